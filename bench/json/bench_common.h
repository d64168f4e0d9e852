/*
 * bench_common.h - shared helpers of the JSON parser benchmark (C and C++).
 *
 * Every parser under test must do the same work per event: find the fields
 * a collector needs (DESIGN.md section 2) and fold them into a checksum, and
 * walk attrs (plus unknown top-level keys, which are kept in attrs). The
 * checksum is a sum of per-field hashes, so it does not depend on the order
 * in which a library iterates object members; every extracting variant must
 * therefore print the same checksum, which proves they did the same work.
 *
 * Not part of grantline: this lives in bench/ only.
 */
#ifndef GL_BENCH_COMMON_H
#define GL_BENCH_COMMON_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* top-level keys */
enum {
    T_UNKNOWN = 0,
    T_ID,
    T_TS,
    T_TYPE,
    T_WORKLOAD,
    T_TASK,
    T_ACTOR,
    T_SOURCE,
    T_CREDENTIAL,
    T_PREVIOUS,
    T_GRANT_ID,
    T_PERMISSION,
    T_PERMISSIONS,
    T_SCOPE,
    T_EXPIRES_AT,
    T_DECISION,
    T_DELEGATE,
    T_STATUS,
    T_ATTRS
};

/* keys inside credential / permission / permissions[] / scope[] */
enum { S_UNKNOWN = 0, S_ID, S_KIND, S_EXPIRES_AT, S_ACTION, S_RESOURCE };

/* what to do with the value of a top-level key */
enum { K_SCALAR, K_OBJECT, K_PERMLIST, K_ATTRS };

#define BENCH_KEYEQ(k, n, lit) ((n) == sizeof(lit) - 1 && memcmp((k), (lit), sizeof(lit) - 1) == 0)

static inline int bench_top_tag(const char *k, size_t n)
{
    switch (n) {
    case 2:
        if (BENCH_KEYEQ(k, n, "id"))
            return T_ID;
        if (BENCH_KEYEQ(k, n, "ts"))
            return T_TS;
        break;
    case 4:
        if (BENCH_KEYEQ(k, n, "type"))
            return T_TYPE;
        if (BENCH_KEYEQ(k, n, "task"))
            return T_TASK;
        break;
    case 5:
        if (BENCH_KEYEQ(k, n, "attrs"))
            return T_ATTRS;
        if (BENCH_KEYEQ(k, n, "actor"))
            return T_ACTOR;
        if (BENCH_KEYEQ(k, n, "scope"))
            return T_SCOPE;
        break;
    case 6:
        if (BENCH_KEYEQ(k, n, "source"))
            return T_SOURCE;
        if (BENCH_KEYEQ(k, n, "status"))
            return T_STATUS;
        break;
    case 8:
        if (BENCH_KEYEQ(k, n, "workload"))
            return T_WORKLOAD;
        if (BENCH_KEYEQ(k, n, "decision"))
            return T_DECISION;
        if (BENCH_KEYEQ(k, n, "previous"))
            return T_PREVIOUS;
        if (BENCH_KEYEQ(k, n, "grant_id"))
            return T_GRANT_ID;
        if (BENCH_KEYEQ(k, n, "delegate"))
            return T_DELEGATE;
        break;
    case 10:
        if (BENCH_KEYEQ(k, n, "credential"))
            return T_CREDENTIAL;
        if (BENCH_KEYEQ(k, n, "permission"))
            return T_PERMISSION;
        if (BENCH_KEYEQ(k, n, "expires_at"))
            return T_EXPIRES_AT;
        break;
    case 11:
        if (BENCH_KEYEQ(k, n, "permissions"))
            return T_PERMISSIONS;
        break;
    default:
        break;
    }
    return T_UNKNOWN;
}

static inline int bench_sub_tag(const char *k, size_t n)
{
    if (BENCH_KEYEQ(k, n, "id"))
        return S_ID;
    if (BENCH_KEYEQ(k, n, "action"))
        return S_ACTION;
    if (BENCH_KEYEQ(k, n, "resource"))
        return S_RESOURCE;
    if (BENCH_KEYEQ(k, n, "kind"))
        return S_KIND;
    if (BENCH_KEYEQ(k, n, "expires_at"))
        return S_EXPIRES_AT;
    return S_UNKNOWN;
}

static inline int bench_kind(int tag)
{
    switch (tag) {
    case T_CREDENTIAL:
    case T_PERMISSION:
        return K_OBJECT;
    case T_PERMISSIONS:
    case T_SCOPE:
        return K_PERMLIST;
    case T_ATTRS:
    case T_UNKNOWN:
        return K_ATTRS;
    default:
        return K_SCALAR;
    }
}

static inline uint64_t bench_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

/* string hash, 8 bytes at a time: stands for "the collector copies/looks at it" */
static inline uint64_t bench_hstr(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ULL ^ (uint64_t)n;
    uint64_t w;
    while (n >= 8) {
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
        s += 8;
        n -= 8;
    }
    w = 0;
    if (n)
        memcpy(&w, s, n);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    return h ^ (h >> 29);
}

static inline uint64_t bench_hint(int64_t i)
{
    return bench_mix64((uint64_t)i ^ 0x1111);
}

/* doubles: hashed at 1e-3 resolution so every parser's nearest double agrees */
static inline uint64_t bench_hdbl(double d)
{
    return bench_mix64((uint64_t)llround(d * 1000.0) ^ 0x2222);
}

/* for parsers that keep only a double (cJSON): integral values count as ints */
static inline uint64_t bench_hnum(double d)
{
    if (d == floor(d) && fabs(d) < 9e15)
        return bench_hint((int64_t)d);
    return bench_hdbl(d);
}

#define BENCH_H_TRUE  0xB1B1B1B1ULL
#define BENCH_H_FALSE 0xB0B0B0B0ULL
#define BENCH_H_NULL  0x77777777ULL

struct bench_acc {
    uint64_t h;     /* sum of extracted fields */
    uint64_t attrs; /* sum over attrs keys and leaves */
    uint64_t nodes; /* attrs nodes visited */
};

static inline void bench_field(struct bench_acc *a, int tag, int sub, uint64_t v)
{
    a->h += bench_mix64(v + (uint64_t)(tag * 32 + sub) * 0x9E3779B97F4A7C15ULL);
}

static inline uint64_t bench_finish(const struct bench_acc *a)
{
    return a->h + bench_mix64(a->attrs ^ (a->nodes << 48));
}

#endif /* GL_BENCH_COMMON_H */
