/* Unit tests for lib/redact.c (secret redaction with the shipped rules in
 * schemas/secrets.rules) and for redaction inside gl_event_encode.
 *
 * The vector test uses an independent oracle: it parses schemas/secrets.rules
 * itself, compiles every rule alone with PCRE2 and picks the earliest match
 * (ties to the earlier rule), so a wrong vector ("DATA") and a wrong library
 * result ("LIB") are reported apart. */
#include "check_helpers.h"

#include "grantline/buf.h"
#include "grantline/error.h"
#include "grantline/event.h"
#include "grantline/redact.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <check.h>
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pcre2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef RULES_PATH
#define RULES_PATH GL_SOURCE_DIR "/schemas/secrets.rules"
#endif
#ifndef VECTORS_PATH
#define VECTORS_PATH GL_SOURCE_DIR "/tests/data/secret_vectors.tsv"
#endif

static const unsigned char KEY_A[32] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                        0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
                                        0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                        0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f};
static const unsigned char KEY_B[32] = {0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
                                        0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00,
                                        0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
                                        0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};

/* A GitHub classic PAT shaped string (fake) and an AWS documentation key id. */
#define GHP "ghp_EXAMPLE0123456789exampleEXAMPLE01234"
#define AKIA "AKIAIOSFODNN7EXAMPLE"

/* --- helpers --------------------------------------------------------------- */

static struct gl_redactor *load_rules(const char *path, const unsigned char *key)
{
    struct gl_redactor *rd = NULL;
    struct gl_error err = {0};
    int rc = gl_redactor_load(path, key, 32, &rd, &err);
    ck_assert_msg(rc == GL_OK, "loading %s failed: %d %s", path, rc, err.msg);
    ck_assert_ptr_nonnull(rd);
    return rd;
}

static struct gl_redactor *load_default(void)
{
    return load_rules(RULES_PATH, KEY_A);
}

static bool mem_has(const char *hay, size_t hlen, const char *needle, size_t nlen)
{
    if (nlen == 0)
        return true;
    if (!hay || hlen < nlen)
        return false;
    for (size_t i = 0; i + nlen <= hlen; i++)
        if (memcmp(hay + i, needle, nlen) == 0)
            return true;
    return false;
}

static bool buf_has(const struct gl_buf *b, const char *needle)
{
    return mem_has(b->data, b->len, needle, strlen(needle));
}

static bool is_lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static int rule_index(const struct gl_redactor *rd, const char *name)
{
    for (size_t i = 0; i < gl_redactor_rule_count(rd); i++)
        if (strcmp(gl_redactor_rule_name(rd, i), name) == 0)
            return (int)i;
    return -1;
}

/* Writes 'content' to <dir>/<name>; returns the malloc'd path. */
static char *write_file(const char *dir, const char *name, const char *content)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *path = malloc(n);
    ck_assert_ptr_nonnull(path);
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_msg(f != NULL, "cannot write %s", path);
    fputs(content, f);
    fclose(f);
    return path;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* HMAC-SHA256(key, s) as lower-case hex, first 'hexdigits' digits. */
static void expected_fp(const unsigned char *key, const char *s, size_t len, char *out,
                        size_t hexdigits)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    ck_assert_ptr_nonnull(
        HMAC(EVP_sha256(), key, 32, (const unsigned char *)s, len, md, &mdlen));
    for (size_t i = 0; i < hexdigits / 2; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
    out[hexdigits] = '\0';
}

/* Scans a C string; returns the result, 'out' and 'hits' filled. */
static int scan(struct gl_redactor *rd, const char *s, struct gl_buf *out,
                struct gl_redact_hits *hits)
{
    struct gl_error err = {0};
    int rc = gl_redactor_scan(rd, s, strlen(s), out, hits, &err);
    ck_assert_msg(rc >= 0, "scan failed: %d %s", rc, err.msg);
    return rc;
}

/* --- an independent oracle over the rules file ----------------------------- */

struct oracle_rule {
    char name[64];
    pcre2_code *re;
    bool on_keys;
    bool raw; /* "raw-*": only for refused input that did not parse */
    char trig[16][32]; /* lower-cased trigger literals (none: the rule always runs) */
    bool word_start[16]; /* "<lit": counts only where no ASCII letter or digit precedes */
    size_t n_trig;
};

struct oracle {
    struct oracle_rule *v;
    size_t n;
    pcre2_match_data *md;
};

static void oracle_load(struct oracle *o, const char *path)
{
    size_t len;
    char *text = gl_test_slurp(path, &len);
    memset(o, 0, sizeof *o);
    o->v = calloc(256, sizeof *o->v);
    ck_assert_ptr_nonnull(o->v);
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        while (*line == ' ' || *line == '\t')
            line++;
        size_t n = strlen(line);
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
            line[--n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        size_t nl = strcspn(line, " \t");
        ck_assert_msg(line[nl] != '\0', "oracle: rule line without pattern: %s", line);
        ck_assert_int_lt(o->n, 256);
        struct oracle_rule *r = &o->v[o->n++];
        ck_assert_int_lt(nl, sizeof r->name);
        memcpy(r->name, line, nl);
        r->name[nl] = '\0';
        r->on_keys = strncmp(r->name, "key-", 4) == 0 || strncmp(r->name, "keep-", 5) == 0;
        r->raw = strncmp(r->name, "raw-", 4) == 0;
        char *pat = line + nl;
        while (*pat == ' ' || *pat == '\t')
            pat++;
        /* optional "triggers=<lit>,<lit>..." before the pattern */
        if (strncmp(pat, "triggers=", 9) == 0) {
            char *t = pat + 9;
            size_t tl = strcspn(t, " \t");
            ck_assert_msg(t[tl] != '\0', "oracle: rule %s has triggers but no pattern", r->name);
            t[tl] = '\0';
            pat = t + tl + 1;
            while (*pat == ' ' || *pat == '\t')
                pat++;
            for (char *c = t; *c;) {
                size_t cl = strcspn(c, ",");
                ck_assert_uint_lt(r->n_trig, 16);
                r->word_start[r->n_trig] = *c == '<';
                if (*c == '<') {
                    c++;
                    cl--;
                }
                ck_assert_uint_lt(cl, sizeof r->trig[0]);
                for (size_t k = 0; k < cl; k++)
                    r->trig[r->n_trig][k] = (char)tolower((unsigned char)c[k]);
                r->trig[r->n_trig][cl] = '\0';
                r->n_trig++;
                c += cl + (c[cl] == ',');
            }
        }
        int ecode;
        PCRE2_SIZE eoff;
        /* byte-wise, no flags, as the rules file documents */
        r->re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED, 0, &ecode, &eoff, NULL);
        ck_assert_msg(r->re != NULL, "oracle: rule %s does not compile", r->name);
    }
    free(text);
    o->md = pcre2_match_data_create(64, NULL);
    ck_assert_ptr_nonnull(o->md);
}

static void oracle_free(struct oracle *o)
{
    for (size_t i = 0; i < o->n; i++)
        pcre2_code_free(o->v[i].re);
    free(o->v);
    pcre2_match_data_free(o->md);
}

/* Earliest-starting text rule over s (ties to the earlier rule); -1 if none.
 * ms and me receive that rule's whole match. */
static int oracle_first(struct oracle *o, const char *s, size_t len, size_t *ms, size_t *me)
{
    int best = -1;
    size_t bs = 0, be = 0;
    for (size_t i = 0; i < o->n; i++) {
        if (o->v[i].on_keys || o->v[i].raw)
            continue;
        int m = pcre2_match(o->v[i].re, (PCRE2_SPTR)s, len, 0, 0, o->md, NULL);
        if (m < 0)
            continue;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(o->md);
        if (best < 0 || ov[0] < bs) {
            best = (int)i;
            bs = ov[0];
            be = ov[1];
        }
    }
    if (ms)
        *ms = bs;
    if (me)
        *me = be;
    return best;
}

/* Whole match of one rule (by index) in s; false if it does not match. */
static bool oracle_rule_match(struct oracle *o, int rule, const char *s, size_t len, size_t *ms,
                              size_t *me)
{
    int m = pcre2_match(o->v[rule].re, (PCRE2_SPTR)s, len, 0, 0, o->md, NULL);
    if (m < 0)
        return false;
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(o->md);
    *ms = ov[0];
    *me = ov[1];
    return true;
}

/* Does the match s[ms..me) contain one of the rule's triggers
 * (case-insensitively), a "<" one where no ASCII letter or digit of the
 * subject s precedes it? A rule without triggers counts as triggered. */
static bool oracle_triggered(const struct oracle_rule *r, const char *s, size_t ms, size_t me)
{
    if (r->n_trig == 0)
        return true;
    for (size_t t = 0; t < r->n_trig; t++) {
        size_t tl = strlen(r->trig[t]);
        for (size_t i = ms; i + tl <= me; i++) {
            if (r->word_start[t] && i > 0 && isalnum((unsigned char)s[i - 1]))
                continue;
            size_t k = 0;
            while (k < tl && tolower((unsigned char)s[i + k]) == (unsigned char)r->trig[t][k])
                k++;
            if (k == tl)
                return true;
        }
    }
    return false;
}

/* --- vectors --------------------------------------------------------------- */

/* Turns the two characters '\' 'n' into a newline, in place. */
static void unescape_nl(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') {
            *w++ = '\n';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

struct report {
    char *text;
    size_t len, cap;
    int n;
};

static void report_add(struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void report_add(struct report *r, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    size_t add = strlen(line) + 1;
    if (r->len + add + 1 > r->cap) {
        r->cap = (r->cap + add + 1) * 2;
        r->text = realloc(r->text, r->cap);
        ck_assert_ptr_nonnull(r->text);
    }
    memcpy(r->text + r->len, line, add - 1);
    r->len += add - 1;
    r->text[r->len++] = '\n';
    r->text[r->len] = '\0';
    r->n++;
}

START_TEST(test_rules_load)
{
    struct gl_redactor *rd = load_default();
    size_t n = gl_redactor_rule_count(rd);
    ck_assert_uint_ge(n, 10);
    for (size_t i = 0; i < n; i++) {
        const char *name = gl_redactor_rule_name(rd, i);
        ck_assert_ptr_nonnull(name);
        ck_assert_uint_gt(strlen(name), 0);
        for (const char *c = name; *c; c++)
            ck_assert_msg((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-',
                          "rule name '%s' is not [a-z0-9-]", name);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(name, gl_redactor_rule_name(rd, j)) != 0,
                          "rule %s is defined twice", name);
    }
    ck_assert_ptr_null(gl_redactor_rule_name(rd, n));

    /* the loader and the oracle agree on the rule list and its order */
    struct oracle o;
    oracle_load(&o, RULES_PATH);
    ck_assert_uint_eq(o.n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(o.v[i].name, gl_redactor_rule_name(rd, i));
    oracle_free(&o);
    gl_redactor_free(rd);
}
END_TEST

START_TEST(test_vectors)
{
    struct gl_redactor *rd = load_default();
    struct oracle o;
    oracle_load(&o, RULES_PATH);
    size_t flen;
    char *file = gl_test_slurp(VECTORS_PATH, &flen);
    size_t nrules = gl_redactor_rule_count(rd);
    int *pos = calloc(nrules, sizeof *pos), *neg = calloc(nrules, sizeof *neg);
    ck_assert(pos && neg);
    struct report data = {0}, lib = {0};
    int lineno = 0, n_plus = 0, n_minus = 0;
    char *save = NULL;
    char *line = file;
    while (line && *line) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        lineno++;
        char *cur = line;
        line = nl ? nl + 1 : NULL;
        if (cur[0] == '\0' || cur[0] == '#')
            continue;
        char *cols[5] = {0};
        int nc = 0;
        for (char *c = strtok_r(cur, "\t", &save); c && nc < 5; c = strtok_r(NULL, "\t", &save))
            cols[nc++] = c;
        if (nc < 3 || nc > 4 || (strcmp(cols[1], "+") && strcmp(cols[1], "-"))) {
            report_add(&data, "DATA line %d: malformed vector (%d columns)", lineno, nc);
            continue;
        }
        const char *rule = cols[0];
        bool plus = cols[1][0] == '+';
        char *s = cols[2];
        unescape_nl(s);
        size_t len = strlen(s);
        char *secret = nc == 4 ? cols[3] : NULL;
        if (secret)
            unescape_nl(secret);
        int ri = rule_index(rd, rule);
        if (ri < 0) {
            report_add(&data, "DATA line %d: unknown rule '%s'", lineno, rule);
            continue;
        }
        (plus ? pos : neg)[ri]++;
        if (strncmp(rule, "raw-", 4) == 0) {
            /* raw-* over-redacts by design: '+' its secret goes in a raw scan
             * and the text scan never names it; '-' a raw scan finds nothing */
            struct gl_buf out = {0}, text = {0};
            struct gl_error err = {0};
            int rc = gl_redactor_scan_raw(rd, s, len, &out, NULL, &err);
            int rct = gl_redactor_scan(rd, s, len, &text, NULL, &err);
            if (plus && (rc <= 0 || (secret && buf_has(&out, secret))))
                report_add(&lib, "LIB line %d: raw scan (%d) leaves '%s': %.*s", lineno, rc,
                           secret ? secret : "?", (int)(out.len < 200 ? out.len : 200),
                           out.data ? out.data : "");
            if (rct > 0 && buf_has(&text, "[REDACTED:raw-"))
                report_add(&lib, "LIB line %d: a text scan ran a raw-* rule", lineno);
            if (!plus && rc != 0)
                report_add(&lib, "LIB line %d: '-' vector: raw scan redacted %d: %.*s", lineno, rc,
                           (int)(out.len < 200 ? out.len : 200), out.data ? out.data : "");
            plus ? n_plus++ : n_minus++;
            gl_buf_free(&out);
            gl_buf_free(&text);
            continue;
        }
        size_t ms = 0, me = 0;
        int expect_first = oracle_first(&o, s, len, &ms, &me);
        /* "every match of the rule contains one of its triggers" */
        for (size_t k = 0; k < o.n; k++) {
            size_t ks, ke;
            if (o.v[k].on_keys || !oracle_rule_match(&o, (int)k, s, len, &ks, &ke))
                continue;
            if (!oracle_triggered(&o.v[k], s, ks, ke))
                report_add(&data,
                           "DATA line %d: rule %s matches '%.*s', which holds none of its "
                           "triggers (the rule will miss it)",
                           lineno, o.v[k].name, (int)(ke - ks), s + ks);
        }
        int got_first = gl_redactor_first_rule(rd, s, len);
        if (got_first != expect_first)
            report_add(&lib,
                       "LIB line %d: gl_redactor_first_rule = %s, independent matching gives %s: %.120s",
                       lineno, got_first >= 0 ? gl_redactor_rule_name(rd, (size_t)got_first) : "none",
                       expect_first >= 0 ? o.v[expect_first].name : "none", s);

        struct gl_buf out = {0};
        struct gl_redact_hits hits = {0};
        struct gl_error err = {0};
        int rc = gl_redactor_scan(rd, s, len, &out, &hits, &err);
        if (plus) {
            n_plus++;
            if (expect_first != ri)
                report_add(&data,
                           "DATA line %d: '+' vector for %s, but the earliest match is %s: %.120s",
                           lineno, rule, expect_first >= 0 ? o.v[expect_first].name : "no rule",
                           s);
            if (got_first != ri)
                report_add(&lib, "LIB line %d: gl_redactor_first_rule names %s, vector says %s", lineno,
                           got_first >= 0 ? gl_redactor_rule_name(rd, (size_t)got_first) : "none",
                           rule);
            /* the secret: 4th column, or the rule's whole match */
            char *whole = NULL;
            if (secret && !strstr(s, secret))
                report_add(&data, "DATA line %d: the secret '%s' is not in the string", lineno,
                           secret);
            if (!secret) {
                size_t rs, re;
                if (oracle_rule_match(&o, ri, s, len, &rs, &re)) {
                    whole = strndup(s + rs, re - rs);
                    secret = whole;
                } else {
                    report_add(&data, "DATA line %d: rule %s does not match its '+' vector", lineno,
                               rule);
                }
            }
            char marker[80];
            snprintf(marker, sizeof marker, "[REDACTED:%s:", rule);
            if (rc <= 0)
                report_add(&lib, "LIB line %d: scan returned %d (%s) for a '+' vector of %s", lineno,
                           rc, err.msg, rule);
            else {
                if (!buf_has(&out, marker))
                    report_add(&lib, "LIB line %d: output lacks '%s': %.*s", lineno, marker,
                               (int)(out.len < 200 ? out.len : 200), out.data);
                if (secret && buf_has(&out, secret))
                    report_add(&lib, "LIB line %d: secret '%s' survives redaction: %.*s", lineno,
                               secret, (int)(out.len < 200 ? out.len : 200), out.data);
                if (hits.n != (size_t)rc)
                    report_add(&lib, "LIB line %d: %d secrets replaced but %zu hits", lineno, rc,
                               hits.n);
                bool hit_rule = false;
                for (size_t i = 0; i < hits.n; i++) {
                    hit_rule |= strcmp(hits.v[i].rule, rule) == 0;
                    if (strlen(hits.v[i].fp) != GL_REDACT_FP_HEX ||
                        !is_lower_hex(hits.v[i].fp, GL_REDACT_FP_HEX))
                        report_add(&lib, "LIB line %d: bad fingerprint '%s'", lineno, hits.v[i].fp);
                }
                if (!hit_rule)
                    report_add(&lib, "LIB line %d: no hit names rule %s", lineno, rule);
                /* "redacting twice changes nothing" (schemas/secrets.rules) */
                struct gl_buf again = {0};
                int rc2 = gl_redactor_scan(rd, out.data, out.len, &again, NULL, &err);
                if (rc2 != 0)
                    report_add(&lib, "LIB line %d: redacting the redacted text again returned %d: %.*s",
                               lineno, rc2, (int)(again.len < 200 ? again.len : 200),
                               again.data ? again.data : "");
                gl_buf_free(&again);
            }
            free(whole);
        } else {
            n_minus++;
            if (expect_first >= 0)
                report_add(&data,
                           "DATA line %d: '-' vector (near miss for %s) is matched by %s at "
                           "[%zu,%zu): %.120s",
                           lineno, rule, o.v[expect_first].name, ms, me, s);
            if (rc != 0)
                report_add(&lib, "LIB line %d: scan returned %d for a '-' vector (%s): %.*s", lineno,
                           rc, rule, (int)(out.len < 200 ? out.len : 200),
                           out.data ? out.data : "");
            if (out.len != 0)
                report_add(&lib, "LIB line %d: '-' vector wrote %zu bytes to out", lineno, out.len);
            if (hits.n != 0)
                report_add(&lib, "LIB line %d: '-' vector produced %zu hits", lineno, hits.n);
        }
        gl_buf_free(&out);
        gl_redact_hits_free(&hits);
    }
    /* the rules file promises both kinds of vectors for every rule */
    for (size_t i = 0; i < nrules; i++) {
        if (o.v[i].on_keys)
            continue;
        if (pos[i] == 0 || neg[i] == 0)
            report_add(&data, "DATA: rule %s has %d '+' and %d '-' vectors (needs both)",
                       gl_redactor_rule_name(rd, i), pos[i], neg[i]);
    }
    ck_assert_int_ge(n_plus, 50);
    ck_assert_int_ge(n_minus, 50);
    int total = data.n + lib.n;
    if (total) /* the whole list; Check caps the size of a failure message */
        fprintf(stderr, "secret vectors: %d problem(s):\n%s%s", total, data.text ? data.text : "",
                lib.text ? lib.text : "");
    ck_assert_msg(total == 0, "%d vector problem(s) (%d DATA, %d LIB), full list on stderr:\n%.1500s%.1500s",
                  total, data.n, lib.n, data.text ? data.text : "", lib.text ? lib.text : "");
    free(data.text);
    free(lib.text);
    free(pos);
    free(neg);
    free(file);
    oracle_free(&o);
    gl_redactor_free(rd);
}
END_TEST

/* --- fingerprints and markers ------------------------------------------------ */

/* Extracts the fingerprint shown in the first marker of 'rule' in out. */
static bool marker_fp(const struct gl_buf *out, const char *rule, char fp[GL_REDACT_MARK_FP + 1])
{
    char prefix[80];
    snprintf(prefix, sizeof prefix, "[REDACTED:%s:", rule);
    size_t pl = strlen(prefix);
    for (size_t i = 0; i + pl + GL_REDACT_MARK_FP + 1 <= out->len; i++) {
        if (memcmp(out->data + i, prefix, pl) == 0) {
            memcpy(fp, out->data + i + pl, GL_REDACT_MARK_FP);
            fp[GL_REDACT_MARK_FP] = '\0';
            return out->data[i + pl + GL_REDACT_MARK_FP] == ']';
        }
    }
    return false;
}

START_TEST(test_fingerprint)
{
    const char *text = "deploy with " GHP " please";
    struct gl_redactor *a1 = load_rules(RULES_PATH, KEY_A);
    struct gl_redactor *a2 = load_rules(RULES_PATH, KEY_A);
    struct gl_redactor *b = load_rules(RULES_PATH, KEY_B);
    struct gl_buf o1 = {0}, o2 = {0}, o3 = {0}, o4 = {0};
    struct gl_redact_hits h1 = {0}, h2 = {0}, h3 = {0}, h4 = {0};
    ck_assert_int_eq(scan(a1, text, &o1, &h1), 1);
    ck_assert_int_eq(scan(a1, text, &o2, &h2), 1); /* same redactor, again */
    ck_assert_int_eq(scan(a2, text, &o3, &h3), 1); /* another redactor, same key */
    ck_assert_int_eq(scan(b, text, &o4, &h4), 1);  /* another key */

    /* hits: 12 lower-case hex digits; the marker shows the first 6 */
    ck_assert_uint_eq(h1.n, 1);
    ck_assert_str_eq(h1.v[0].rule, "github-token");
    ck_assert_uint_eq(strlen(h1.v[0].fp), GL_REDACT_FP_HEX);
    ck_assert(is_lower_hex(h1.v[0].fp, GL_REDACT_FP_HEX));
    char mfp[GL_REDACT_MARK_FP + 1];
    ck_assert_msg(marker_fp(&o1, "github-token", mfp), "no well-formed marker in %.*s",
                  (int)o1.len, o1.data);
    ck_assert_uint_eq(strlen(mfp), GL_REDACT_MARK_FP);
    ck_assert(is_lower_hex(mfp, GL_REDACT_MARK_FP));
    ck_assert_int_eq(memcmp(mfp, h1.v[0].fp, GL_REDACT_MARK_FP), 0);

    /* deterministic for one key */
    ck_assert_str_eq(h1.v[0].fp, h2.v[0].fp);
    ck_assert_str_eq(h1.v[0].fp, h3.v[0].fp);
    ck_assert_uint_eq(o1.len, o3.len);
    ck_assert_int_eq(memcmp(o1.data, o3.data, o1.len), 0);
    /* different for another key, in the hit and in the marker */
    ck_assert_str_ne(h1.v[0].fp, h4.v[0].fp);
    char mfp4[GL_REDACT_MARK_FP + 1];
    ck_assert(marker_fp(&o4, "github-token", mfp4));
    ck_assert_str_ne(mfp, mfp4);

    /* it is the documented keyed fingerprint: HMAC-SHA256(key, secret) */
    char want[GL_REDACT_FP_HEX + 1];
    expected_fp(KEY_A, GHP, strlen(GHP), want, GL_REDACT_FP_HEX);
    ck_assert_str_eq(h1.v[0].fp, want);
    expected_fp(KEY_B, GHP, strlen(GHP), want, GL_REDACT_FP_HEX);
    ck_assert_str_eq(h4.v[0].fp, want);

    /* a different secret gets a different fingerprint */
    struct gl_buf o5 = {0};
    struct gl_redact_hits h5 = {0};
    ck_assert_int_eq(scan(a1, "deploy with ghp_EXAMPLE0123456789exampleEXAMPLE01235", &o5, &h5),
                     1);
    ck_assert_str_ne(h1.v[0].fp, h5.v[0].fp);

    /* the fingerprint covers only the secret group: the same secret under two
     * keys of the same rule is linkable */
    struct gl_buf o6 = {0}, o7 = {0};
    struct gl_redact_hits h6 = {0}, h7 = {0};
    ck_assert_int_eq(scan(a1, "password=Tr0ub4dor-3x&user=bob", &o6, &h6), 1);
    ck_assert_int_eq(scan(a1, "{\"api_key\": \"Tr0ub4dor-3x\"}", &o7, &h7), 1);
    ck_assert_str_eq(h6.v[0].rule, "generic-assignment");
    ck_assert_str_eq(h7.v[0].rule, "generic-assignment");
    ck_assert_str_eq(h6.v[0].fp, h7.v[0].fp);
    expected_fp(KEY_A, "Tr0ub4dor-3x", 12, want, GL_REDACT_FP_HEX);
    /* unquoted values stop at '&' */
    ck_assert_str_eq(h6.v[0].fp, want);

    struct gl_buf *bufs[] = {&o1, &o2, &o3, &o4, &o5, &o6, &o7};
    struct gl_redact_hits *hs[] = {&h1, &h2, &h3, &h4, &h5, &h6, &h7};
    for (size_t i = 0; i < 7; i++) {
        gl_buf_free(bufs[i]);
        gl_redact_hits_free(hs[i]);
    }
    gl_redactor_free(a1);
    gl_redactor_free(a2);
    gl_redactor_free(b);
}
END_TEST

START_TEST(test_context_preserved)
{
    struct gl_redactor *rd = load_default();
    char fp[GL_REDACT_FP_HEX + 1], want[512];

    /* whole-match rule; multibyte UTF-8, tabs, newlines and quotes around it */
    const char *pre = "na\xc3\xafve \xe2\x86\x92 \"tok\"\t(", *post = ")\n\tend \xe2\x9c\x93 ;";
    char s[512];
    snprintf(s, sizeof s, "%s%s%s", pre, GHP, post);
    struct gl_buf out = {0};
    struct gl_redact_hits hits = {0};
    ck_assert_int_eq(scan(rd, s, &out, &hits), 1);
    expected_fp(KEY_A, GHP, strlen(GHP), fp, GL_REDACT_MARK_FP);
    snprintf(want, sizeof want, "%s[REDACTED:github-token:%s]%s", pre, fp, post);
    ck_assert_uint_eq(out.len, strlen(want));
    ck_assert_int_eq(memcmp(out.data, want, out.len), 0);
    gl_buf_reset(&out);
    gl_redact_hits_free(&hits);

    /* named-group rule: only the value goes, the key stays readable */
    const char *aws = "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY ; next";
    ck_assert_int_eq(scan(rd, aws, &out, &hits), 1);
    expected_fp(KEY_A, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 40, fp, GL_REDACT_MARK_FP);
    snprintf(want, sizeof want, "aws_secret_access_key = [REDACTED:aws-secret-key:%s] ; next", fp);
    ck_assert_uint_eq(out.len, strlen(want));
    ck_assert_int_eq(memcmp(out.data, want, out.len), 0);
    gl_buf_reset(&out);
    gl_redact_hits_free(&hits);

    /* an embedded NUL byte and bytes after it are kept (len, not strlen) */
    const char bin[] = "a\0b " GHP " \0z";
    struct gl_error err = {0};
    ck_assert_int_eq(gl_redactor_scan(rd, bin, sizeof bin - 1, &out, &hits, &err), 1);
    expected_fp(KEY_A, GHP, strlen(GHP), fp, GL_REDACT_MARK_FP);
    char wantb[128];
    int wl = snprintf(wantb, sizeof wantb, "a#b [REDACTED:github-token:%s] #z", fp);
    wantb[1] = '\0';
    wantb[wl - 2] = '\0';
    ck_assert_uint_eq(out.len, (size_t)wl);
    ck_assert_int_eq(memcmp(out.data, wantb, out.len), 0);

    gl_buf_free(&out);
    gl_redact_hits_free(&hits);
    gl_redactor_free(rd);
}
END_TEST

START_TEST(test_two_secrets)
{
    struct gl_redactor *rd = load_default();
    const char *s = "first " GHP " then key " AKIA " done";
    struct gl_buf out = {0};
    gl_buf_append(&out, "PREFIX|", 7); /* results are appended */
    struct gl_redact_hits hits = {0};
    ck_assert_int_eq(scan(rd, s, &out, &hits), 2);
    ck_assert_uint_eq(hits.n, 2);
    ck_assert_str_eq(hits.v[0].rule, "github-token");
    ck_assert_str_eq(hits.v[1].rule, "aws-access-key-id");
    ck_assert_str_ne(hits.v[0].fp, hits.v[1].fp);
    ck_assert(!buf_has(&out, GHP));
    ck_assert(!buf_has(&out, AKIA));
    char fp1[8], fp2[8], want[256];
    expected_fp(KEY_A, GHP, strlen(GHP), fp1, GL_REDACT_MARK_FP);
    expected_fp(KEY_A, AKIA, strlen(AKIA), fp2, GL_REDACT_MARK_FP);
    snprintf(want, sizeof want,
             "PREFIX|first [REDACTED:github-token:%s] then key [REDACTED:aws-access-key-id:%s] done",
             fp1, fp2);
    ck_assert_uint_eq(out.len, strlen(want));
    ck_assert_int_eq(memcmp(out.data, want, out.len), 0);

    /* hits accumulate across calls */
    gl_buf_reset(&out);
    ck_assert_int_eq(scan(rd, AKIA, &out, &hits), 1);
    ck_assert_uint_eq(hits.n, 3);
    ck_assert_str_eq(hits.v[2].rule, "aws-access-key-id");
    ck_assert_str_eq(hits.v[2].fp, hits.v[1].fp);

    /* the same secret twice: two replacements, two equal fingerprints */
    gl_buf_reset(&out);
    gl_redact_hits_free(&hits);
    ck_assert_int_eq(scan(rd, AKIA " and " AKIA, &out, &hits), 2);
    ck_assert_uint_eq(hits.n, 2);
    ck_assert_str_eq(hits.v[0].fp, hits.v[1].fp);
    snprintf(want, sizeof want, "[REDACTED:aws-access-key-id:%s] and [REDACTED:aws-access-key-id:%s]",
             fp2, fp2);
    ck_assert_uint_eq(out.len, strlen(want));
    ck_assert_int_eq(memcmp(out.data, want, out.len), 0);

    /* hits may be NULL */
    gl_buf_reset(&out);
    struct gl_error err = {0};
    ck_assert_int_eq(gl_redactor_scan(rd, s, strlen(s), &out, NULL, &err), 2);
    ck_assert(!buf_has(&out, GHP));

    gl_buf_free(&out);
    gl_redact_hits_free(&hits);
    gl_redactor_free(rd);
}
END_TEST

START_TEST(test_clean_string_untouched)
{
    struct gl_redactor *rd = load_default();
    const char *clean[] = {
        "",
        "s3:GetObject on arn:aws:s3:::invoices/2024/05.pdf",
        "rotate the password of tok-support-001 before friday",
        "{\"type\": \"access.granted\", \"workload\": \"billing-agent\"}",
        "d5a0b9f4-1c2e-4b8a-9f3d-0e1f2a3b4c5d",
        "[REDACTED:github-token:abcdef]",
    };
    for (size_t i = 0; i < sizeof clean / sizeof *clean; i++) {
        struct gl_buf out = {0};
        gl_buf_append(&out, "KEEP", 4);
        char *before = out.data;
        struct gl_redact_hits hits = {0};
        struct gl_error err = {0};
        int rc = gl_redactor_scan(rd, clean[i], strlen(clean[i]), &out, &hits, &err);
        ck_assert_msg(rc == 0, "'%s': scan returned %d", clean[i], rc);
        ck_assert_uint_eq(out.len, 4);
        ck_assert_ptr_eq(out.data, before);
        ck_assert_int_eq(memcmp(out.data, "KEEP", 4), 0);
        ck_assert_uint_eq(hits.n, 0);
        ck_assert_int_eq(gl_redactor_first_rule(rd, clean[i], strlen(clean[i])), -1);
        gl_buf_free(&out);
    }
    /* an empty, unallocated buffer stays unallocated */
    struct gl_buf out = {0};
    ck_assert_int_eq(scan(rd, "nothing to see here", &out, NULL), 0);
    ck_assert_ptr_null(out.data);
    ck_assert_uint_eq(out.len, 0);
    gl_redactor_free(rd);
}
END_TEST

/* --- key rules --------------------------------------------------------------- */

START_TEST(test_key_rules_shipped)
{
    struct gl_redactor *rd = load_default();
    size_t n_key = 0;
    for (size_t i = 0; i < gl_redactor_rule_count(rd); i++)
        n_key += strncmp(gl_redactor_rule_name(rd, i), "key-", 4) == 0;
    const char *sensitive[] = {"password", "client_secret", "api_key",
                               /* an env var's _PASS, pass after an account's or a
                                * login service's word, pwd as a word of its own */
                               "DB_PASS", "SMTP_PASS", "db-pass", "smtp.pass", "dbPass",
                               "userPass", "ldap_pass", "MYSQL_PWD", "db-pwd", "dbPwd",
                               "DB_PASSWD", "webIdentityToken"};
    const char *plain[] = {"task", "workload", "action", "resource",
                           /* words that end or start with pass, the shell's PWD */
                           "passport", "bypass", "byPass", "compass", "passenger", "surpass",
                           "passwordLastUsed",
                           /* pass alone or after other words: a test summary's
                            * count, nginx directives, filters, render passes,
                            * Go's PASS, Vault's userpass auth method */
                           "pass", "PASS", "proxy_pass", "grpc_pass", "lowPass", "highPass",
                           "firstPass", "renderPass", "userpass",
                           /* STS's name for the web identity token's subject */
                           "subjectFromWebIdentityToken"};
    for (size_t i = 0; i < sizeof sensitive / sizeof *sensitive; i++) {
        int r = gl_redactor_match_key(rd, sensitive[i], strlen(sensitive[i]));
        if (n_key) {
            ck_assert_msg(r >= 0, "no key rule matches '%s'", sensitive[i]);
            ck_assert(strncmp(gl_redactor_rule_name(rd, (size_t)r), "key-", 4) == 0);
        } else {
            ck_assert_int_eq(r, -1); /* text rules never match key names */
        }
    }
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        ck_assert_msg(gl_redactor_match_key(rd, plain[i], strlen(plain[i])) == -1,
                      "key '%s' taken as sensitive", plain[i]);
    /* pwd and oldpwd alone: hidden unless the whole value is a path (the
     * shell's working directory) */
    const char *pwd_keys[] = {"PWD", "pwd", "OLDPWD", "oldpwd"};
    const char *paths[] = {"/home/agent/work", "/", "~", "~/src", "C:\\Users\\svc",
                           "D:/builds/x y"};
    const char *secrets[] = {"hunter2!", "Tr0ub4dor&3", "x/home", " /tmp", "C:", "/tmp\nnext"};
    for (size_t i = 0; i < sizeof pwd_keys / sizeof *pwd_keys; i++) {
        int r = gl_redactor_match_key(rd, pwd_keys[i], strlen(pwd_keys[i]));
        if (!n_key) {
            ck_assert_int_eq(r, -1);
            continue;
        }
        ck_assert_msg(r >= 0, "no key rule matches '%s'", pwd_keys[i]);
        ck_assert_str_eq(gl_redactor_rule_name(rd, (size_t)r), "key-shell-pwd");
        for (size_t j = 0; j < sizeof paths / sizeof *paths; j++)
            ck_assert_msg(gl_redactor_keeps(rd, r, paths[j], strlen(paths[j])), "%s not kept",
                          paths[j]);
        for (size_t j = 0; j < sizeof secrets / sizeof *secrets; j++)
            ck_assert_msg(!gl_redactor_keeps(rd, r, secrets[j], strlen(secrets[j])), "%s kept",
                          secrets[j]);
    }
    /* the unless= pattern is the rule's own: a path under "password" is hidden */
    int pw = gl_redactor_match_key(rd, "password", 8);
    if (n_key)
        ck_assert(!gl_redactor_keeps(rd, pw, "/home/agent/work", 16));
    for (const char *k[] = {"pwd_hint", "cwd", "pwdx"}, **q = k; q < k + 3; q++) {
        int r = gl_redactor_match_key(rd, *q, strlen(*q));
        ck_assert_msg(r < 0 || strcmp(gl_redactor_rule_name(rd, (size_t)r), "key-shell-pwd"),
                      "key-shell-pwd matches %s", *q);
    }
    gl_redactor_free(rd);
}
END_TEST

static const char KEY_RULES[] =
    "# test rules: one key rule, two text rules\n"
    "\n"
    "key-sensitive   (?i)^(?:[a-z0-9]+[_.-])*(?:password|passwd|secret|api[_-]?key|token)$\n"
    "github-token    (?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,251}\n"
    "\t  # indented comment\n"
    "word-secret     (?<![a-z])sesame(?![a-z])   \n";

START_TEST(test_key_rules_custom)
{
    char *dir = gl_test_tmpdir("redact-keys");
    char *path = write_file(dir, "keys.rules", KEY_RULES);
    struct gl_redactor *rd = load_rules(path, KEY_A);
    ck_assert_uint_eq(gl_redactor_rule_count(rd), 3);
    ck_assert_str_eq(gl_redactor_rule_name(rd, 0), "key-sensitive");
    ck_assert_str_eq(gl_redactor_rule_name(rd, 2), "word-secret"); /* trailing blanks trimmed */

    const char *yes[] = {"password", "client_secret", "api_key", "DB_PASSWORD", "apiKey"};
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        ck_assert_msg(gl_redactor_match_key(rd, yes[i], strlen(yes[i])) == 0,
                      "key rule does not match '%s'", yes[i]);
    const char *no[] = {"task", "workload", "passwords_rotated", "tokenizer"};
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        ck_assert_msg(gl_redactor_match_key(rd, no[i], strlen(no[i])) == -1,
                      "key rule matches '%s'", no[i]);
    /* 'len' bounds the key: "password" is not matched through "passwordX" */
    ck_assert_int_eq(gl_redactor_match_key(rd, "passwordX", 9), -1);
    ck_assert_int_eq(gl_redactor_match_key(rd, "passwordX", 8), 0);

    /* key rules match key names only, never text */
    struct gl_buf out = {0};
    struct gl_redact_hits hits = {0};
    ck_assert_int_eq(scan(rd, "password", &out, &hits), 0);
    ck_assert_int_eq(gl_redactor_first_rule(rd, "password", 8), -1);
    ck_assert_int_eq(scan(rd, "open sesame now", &out, &hits), 1);
    ck_assert_str_eq(hits.v[0].rule, "word-secret");
    gl_buf_reset(&out);
    gl_redact_hits_free(&hits);

    /* redact_all: the whole value, marker of the key rule */
    ck_assert_int_eq(gl_redactor_redact_all(rd, 0, "hunter2hunter2", 14, &out, &hits), 1);
    char fp[GL_REDACT_FP_HEX + 1], want[128];
    expected_fp(KEY_A, "hunter2hunter2", 14, fp, GL_REDACT_MARK_FP);
    snprintf(want, sizeof want, "[REDACTED:key-sensitive:%s]", fp);
    ck_assert_uint_eq(out.len, strlen(want));
    ck_assert_int_eq(memcmp(out.data, want, out.len), 0);
    ck_assert_uint_eq(hits.n, 1);
    ck_assert_str_eq(hits.v[0].rule, "key-sensitive");
    expected_fp(KEY_A, "hunter2hunter2", 14, fp, GL_REDACT_FP_HEX);
    ck_assert_str_eq(hits.v[0].fp, fp);

    gl_buf_free(&out);
    gl_redact_hits_free(&hits);
    gl_redactor_free(rd);
    free(path);
    free(dir);
}
END_TEST

/* --- resource limits ----------------------------------------------------------- */

/* 'unit' repeated to about 'n' bytes, then 'tail'. */
static char *repeat(const char *head, const char *unit, size_t n, const char *tail, size_t *len)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + n + ul + tl + 1);
    ck_assert_ptr_nonnull(s);
    memcpy(s, head, hl);
    size_t at = hl;
    while (at < hl + n) {
        memcpy(s + at, unit, ul);
        at += ul;
    }
    memcpy(s + at, tail, tl);
    at += tl;
    s[at] = '\0';
    *len = at;
    return s;
}

/* Near misses of the shipped rules, 100 KB each, with a real secret at the
 * end: every scan must finish quickly and the secret must not survive. */
START_TEST(test_pathological_shipped)
{
    struct gl_redactor *rd = load_default();
    static const struct {
        const char *head, *unit;
    } cases[] = {
        {"", "a"},
        {"", "token: "},
        {"", "password: a"},
        {"", "/tokentokentokentokentokentokentokentokentokentokentokentoken"},
        {"", "\\\""},
        {"", "a://a:a"},
        {"", "Basic aaaa"},
        {"", "eyJaaaaaaaa"},
        {"", "s.aaaaaaaaaaaaaaaaaaaaaaa"},
        {"", "-----BEGIN "},
        {"-----BEGIN PRIVATE KEY-----", "-----END AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
        {"", "xoxb-1-"},
        {"", "--password "},
        {"", "sk-"},
        {"", "x_password"},
    };
    const char *tail = " then " GHP " leaked";
    double worst = 0;
    const char *worst_unit = "";
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len;
        char *s = repeat(cases[i].head, cases[i].unit, 100 * 1024, tail, &len);
        struct gl_buf out = {0};
        struct gl_redact_hits hits = {0};
        struct gl_error err = {0};
        double t0 = now_s();
        int rc = gl_redactor_scan(rd, s, len, &out, &hits, &err);
        double dt = now_s() - t0;
        if (dt > worst) {
            worst = dt;
            worst_unit = cases[i].unit;
        }
        ck_assert_msg(rc != 0, "'%s'x: the secret at the end was not found", cases[i].unit);
        if (rc > 0) {
            ck_assert_msg(!buf_has(&out, GHP), "'%s'x: secret survives", cases[i].unit);
            ck_assert_uint_eq(hits.n, (size_t)rc);
        } else {
            ck_assert_int_eq(err.code, rc);
        }
        gl_buf_free(&out);
        gl_redact_hits_free(&hits);
        free(s);
    }
    /* generous for sanitizer builds; a release build takes milliseconds */
    ck_assert_msg(worst < 5.0, "slowest 100 KB scan took %.2f s ('%s')", worst, worst_unit);
    gl_redactor_free(rd);
}
END_TEST

/* A key rule that fails on a key name (match limit) counts as matching, so
 * the value is hidden; the failure is not remembered as an answer. */
START_TEST(test_key_rule_limit)
{
    char *dir = gl_test_tmpdir("redact-keylimit");
    char *path = write_file(dir, "evilkey.rules", "key-evil (?:a+)+b\n");
    struct gl_redactor *rd = load_rules(path, KEY_A);
    /* the 'b' defeats PCRE2's required-character shortcut; 42 bytes: a
     * length the cache keeps */
    const char *evil = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaacb";
    for (int i = 0; i < 2; i++)
        ck_assert_int_eq(gl_redactor_match_key(rd, evil, strlen(evil)), 0);
    ck_assert_int_eq(gl_redactor_match_key(rd, "aaab", 4), 0);
    ck_assert_int_eq(gl_redactor_match_key(rd, "zzz", 3), -1);
    ck_assert_int_eq(gl_redactor_match_key(rd, "zzz", 3), -1); /* from the cache */
    gl_redactor_free(rd);
    free(path);
    free(dir);
}
END_TEST

/* A rule with catastrophic backtracking hits the PCRE2 match limit: the scan
 * must stop quickly and must not let text it could not scan through. */
START_TEST(test_match_limit)
{
    char *dir = gl_test_tmpdir("redact-limit");
    char *path = write_file(dir, "evil.rules",
                            "evil-nested     (?:a+)+b\n"
                            "github-token    (?<![A-Za-z0-9_])gh[pousr]_[A-Za-z0-9]{36,251}\n");
    struct gl_redactor *rd = load_rules(path, KEY_A);
    size_t len;
    /* the 'b' far away defeats PCRE2's required-character shortcut */
    char *s = repeat("", "a", 100 * 1024, " " GHP " tail b", &len);
    struct gl_buf out = {0};
    gl_buf_append(&out, "PREFIX|", 7);
    struct gl_redact_hits hits = {0};
    struct gl_error err = {0};
    double t0 = now_s();
    int rc = gl_redactor_scan(rd, s, len, &out, &hits, &err);
    double dt = now_s() - t0;
    ck_assert_msg(dt < 5.0, "scan with a catastrophic rule took %.2f s", dt);
    ck_assert_msg(rc != 0, "match limit: the scan claims the text is clean");
    if (rc > 0) {
        /* the text could not be scanned: it is hidden, not stored */
        ck_assert(!buf_has(&out, GHP));
        ck_assert(!buf_has(&out, "aaaaaaaaaaaaaaaa"));
        ck_assert(buf_has(&out, "[REDACTED:"));
        ck_assert_uint_ge(hits.n, 1);
        ck_assert_uint_eq(hits.n, (size_t)rc);
        /* gl_redactor_scan appends: what the caller had in 'out' stays */
        ck_assert_msg(out.len >= 7 && memcmp(out.data, "PREFIX|", 7) == 0,
                      "match limit: the caller's earlier content of 'out' was discarded: %.*s",
                      (int)(out.len < 80 ? out.len : 80), out.data);
    } else {
        ck_assert_int_eq(err.code, rc);
        ck_assert_int_eq(rc, GL_ERR_REGEX);
    }
    /* short input of the same kind still redacts normally */
    gl_buf_reset(&out);
    gl_redact_hits_free(&hits);
    ck_assert_int_eq(scan(rd, "aaab and " GHP, &out, &hits), 2);
    ck_assert_str_eq(hits.v[0].rule, "evil-nested");
    ck_assert_str_eq(hits.v[1].rule, "github-token");

    gl_buf_free(&out);
    gl_redact_hits_free(&hits);
    free(s);
    gl_redactor_free(rd);
    free(path);
    free(dir);
}
END_TEST

/* Many secrets of one rule and one of another rule far away: the cost must
 * stay linear in the input (a collector gets strings of hundreds of KB). */
START_TEST(test_many_hits_linear)
{
    struct gl_redactor *rd = load_default();
    static const char *const units[] = {"xoxb-1-aaaaaaaa ", AKIA " "};
    for (size_t u = 0; u < sizeof units / sizeof *units; u++) {
        size_t len;
        char *s = repeat("", units[u], 300 * 1024, " password=hunter22xx", &len);
        size_t n_units = (len - strlen(" password=hunter22xx")) / strlen(units[u]);
        struct gl_buf out = {0};
        struct gl_redact_hits hits = {0};
        struct gl_error err = {0};
        double t0 = now_s();
        int rc = gl_redactor_scan(rd, s, len, &out, &hits, &err);
        double dt = now_s() - t0;
        ck_assert_msg(rc == (int)n_units + 1, "'%s'x%zu: %d secrets (%s)", units[u], n_units, rc,
                      err.msg);
        ck_assert(!buf_has(&out, "hunter22xx"));
        ck_assert_str_eq(hits.v[hits.n - 1].rule, "generic-assignment");
        ck_assert_msg(dt < 3.0,
                      "%zu secrets of one rule in %zu bytes, then one of another rule: %.2f s "
                      "(quadratic: every secret rescans the rest of the string for the other "
                      "rule)",
                      n_units, len, dt);
        gl_buf_free(&out);
        gl_redact_hits_free(&hits);
        free(s);
    }
    gl_redactor_free(rd);
}
END_TEST

/* Triggers: a rule runs only on strings holding one of its literals
 * (case-insensitive); a rule without triggers runs on every string. */
START_TEST(test_triggers)
{
    char *dir = gl_test_tmpdir("redact-trig");
    char *path = write_file(dir, "trig.rules",
                            "trig-rule triggers=ZQ,xy- abc[0-9]{3}\n"
                            "plain-rule   def[0-9]{3}\n");
    struct gl_redactor *rd = load_rules(path, KEY_A);
    ck_assert_uint_eq(gl_redactor_rule_count(rd), 2);
    ck_assert_str_eq(gl_redactor_rule_name(rd, 0), "trig-rule");
    struct gl_buf out = {0};
    struct gl_redact_hits hits = {0};

    ck_assert_int_eq(scan(rd, "abc123", &out, &hits), 0); /* no trigger: skipped */
    ck_assert_int_eq(gl_redactor_first_rule(rd, "abc123", 6), -1);
    ck_assert_int_eq(scan(rd, "abc123 z", &out, &hits), 0);
    ck_assert_int_eq(scan(rd, "abc123 zq", &out, &hits), 1);
    ck_assert_str_eq(hits.v[0].rule, "trig-rule");
    ck_assert_int_eq(scan(rd, "XY- abc123", &out, &hits), 1);
    ck_assert_int_eq(scan(rd, "abc123zQ", &out, &hits), 1);
    ck_assert_int_eq(scan(rd, "def123", &out, &hits), 1);
    ck_assert_str_eq(hits.v[hits.n - 1].rule, "plain-rule");
    ck_assert_int_eq(gl_redactor_first_rule(rd, "abc123 def456 zq", 16), 0);
    ck_assert_int_eq(gl_redactor_first_rule(rd, "def456 abc123 zq", 16), 1);
    gl_buf_reset(&out);
    gl_redact_hits_free(&hits);
    /* both rules, leftmost first, text between kept */
    ck_assert_int_eq(scan(rd, "def111 zq abc222 def333", &out, &hits), 3);
    ck_assert_str_eq(hits.v[0].rule, "plain-rule");
    ck_assert_str_eq(hits.v[1].rule, "trig-rule");
    ck_assert_str_eq(hits.v[2].rule, "plain-rule");
    ck_assert(buf_has(&out, "] zq ["));

    gl_buf_free(&out);
    gl_redact_hits_free(&hits);
    gl_redactor_free(rd);
    free(path);
    free(dir);
}
END_TEST

/* A "<" trigger counts only at the string's start or after a byte that is
 * no ASCII letter or digit, even where the pattern alone would match. */
START_TEST(test_word_start_triggers)
{
    char *dir = gl_test_tmpdir("redact-wstrig");
    char *path = write_file(dir, "ws.rules", "ws-rule triggers=<sk-,zq sk-[0-9]{3}\n");
    struct gl_redactor *rd = load_rules(path, KEY_A);
    struct gl_buf out = {0};
    struct gl_redact_hits hits = {0};
    ck_assert_int_eq(scan(rd, "sk-123", &out, &hits), 1);
    ck_assert_int_eq(scan(rd, "id sk-123", &out, &hits), 1);
    /* the trigger counts; the pattern is case-sensitive */
    ck_assert_int_eq(scan(rd, "_SK-123", &out, &hits), 0);
    ck_assert_int_eq(scan(rd, "_sk-123", &out, &hits), 1);
    ck_assert_int_eq(scan(rd, "\xc3\xa9sk-123", &out, &hits), 1); /* a non-ASCII letter */
    ck_assert_int_eq(scan(rd, "task-123", &out, &hits), 0);       /* inside a word: skipped */
    ck_assert_int_eq(scan(rd, "Task-123", &out, &hits), 0);
    ck_assert_int_eq(scan(rd, "9sk-123", &out, &hits), 0);
    ck_assert_int_eq(scan(rd, "task-123 zq", &out, &hits), 1); /* another trigger */
    ck_assert_int_eq(scan(rd, "task-1 sk-222", &out, &hits), 1);
    ck_assert_int_eq(gl_redactor_first_rule(rd, "ask-123", 7), -1);
    ck_assert_int_eq(gl_redactor_first_rule(rd, "a sk-123", 8), 0);
    gl_buf_free(&out);
    gl_redact_hits_free(&hits);
    gl_redactor_free(rd);
    free(path);
    free(dir);
}
END_TEST

/* The trigger filter never misses: random strings over an alphabet holding
 * the triggers' bytes, their other case and the bytes the filter's case
 * folding merges with them ('_' with DEL, '@' with '`'), checked against a
 * plain search, at every length and position up to 19 bytes. */
static bool naive_has(const char *s, size_t len, const char *lit)
{
    size_t n = strlen(lit);
    for (size_t at = 0; at + n <= len; at++) {
        size_t k = 0;
        while (k < n && tolower((unsigned char)s[at + k]) == lit[k])
            k++;
        if (k == n)
            return true;
    }
    return false;
}

START_TEST(test_trigger_filter_exact)
{
    char *dir = gl_test_tmpdir("redact-trigx");
    char *path = write_file(dir, "trigx.rules",
                            "three triggers=q_@ (?i)q_@\n"
                            "two triggers=z- (?i)z-\n"
                            "long triggers=k@y_x (?i)k@y_x\n");
    struct gl_redactor *rd = load_rules(path, KEY_A);
    static const char alpha[] = "qQ_\x7f@`zZ-kKyYxXa";
    unsigned seed = 20261129;
    char s[20];
    for (int round = 0; round < 300000; round++) {
        size_t len = (size_t)(round % 20);
        for (size_t i = 0; i < len; i++) {
            seed = seed * 1103515245u + 12345u;
            s[i] = alpha[(seed >> 16) % (sizeof alpha - 1)];
        }
        int want = naive_has(s, len, "q_@") ? 0 : naive_has(s, len, "z-") ? 1
                                                : naive_has(s, len, "k@y_x") ? 2 : -1;
        int got = gl_redactor_first_rule(rd, s, len);
        if (want == -1)
            ck_assert_int_eq(got, -1);
        else /* the leftmost match decides between several */
            ck_assert_msg(got != -1, "filter missed rule %d in '%.*s'", want, (int)len, s);
    }
    gl_redactor_free(rd);
    free(path);
    free(dir);
}
END_TEST

/* --- loading errors ---------------------------------------------------------- */

static void expect_load_failure(const char *dir, const char *fname, const char *content,
                                int code, const char *must1, const char *must2)
{
    char *path = write_file(dir, fname, content);
    struct gl_redactor *rd = (struct gl_redactor *)(uintptr_t)0x1;
    struct gl_error err = {0};
    int rc = gl_redactor_load(path, KEY_A, 32, &rd, &err);
    ck_assert_msg(rc == code, "%s: expected %d (%s), got %d: %s", fname, code,
                  gl_error_name(code), rc, err.msg);
    ck_assert_int_eq(err.code, code);
    ck_assert_msg(rd == (struct gl_redactor *)(uintptr_t)0x1, "%s: *out written on failure",
                  fname);
    if (must1)
        ck_assert_msg(strstr(err.msg, must1), "%s: message '%s' lacks '%s'", fname, err.msg,
                      must1);
    if (must2)
        ck_assert_msg(strstr(err.msg, must2), "%s: message '%s' lacks '%s'", fname, err.msg,
                      must2);
    free(path);
}

START_TEST(test_load_errors)
{
    char *dir = gl_test_tmpdir("redact-load");
    char where[4200];

    /* bad regex on line 4: GL_ERR_REGEX naming file:line and the rule */
    snprintf(where, sizeof where, "%s/bad-regex.rules:4", dir);
    expect_load_failure(dir, "bad-regex.rules",
                        "# comment\n"
                        "good-rule   abc[0-9]{4}\n"
                        "\n"
                        "broken-rule (?<secret>abc[0-9]{4}\n"
                        "later-rule  xyz\n",
                        GL_ERR_REGEX, where, "broken-rule");
    snprintf(where, sizeof where, "%s/bad-regex2.rules:1", dir);
    expect_load_failure(dir, "bad-regex2.rules", "unbounded   a{2,1}\n", GL_ERR_REGEX, where,
                        "unbounded");

    /* bad names */
    snprintf(where, sizeof where, "%s/bad-name.rules:2", dir);
    expect_load_failure(dir, "bad-name.rules", "ok-rule abc\nBad_Name abc\n", GL_ERR_INVALID,
                        where, "Bad_Name");
    snprintf(where, sizeof where, "%s/bad-name2.rules:1", dir);
    expect_load_failure(dir, "bad-name2.rules", "r\xc3\xa9gle abc\n", GL_ERR_INVALID, where,
                        NULL);
    snprintf(where, sizeof where, "%s/long-name.rules:1", dir);
    expect_load_failure(dir, "long-name.rules",
                        "a-very-long-rule-name-that-is-longer-than-the-limit-of-47 abc\n",
                        GL_ERR_INVALID, where, NULL);
    /* a name without a pattern */
    snprintf(where, sizeof where, "%s/no-pattern.rules:2", dir);
    expect_load_failure(dir, "no-pattern.rules", "ok-rule abc\nlonely-name\n", GL_ERR_INVALID,
                        where, NULL);
    /* unless=: only on key-* rules, a valid regex, a pattern after it */
    expect_load_failure(dir, "unless-text.rules", "text-rule unless=^/ abc\n", GL_ERR_INVALID,
                        "text-rule", "only key-* rules take unless=");
    expect_load_failure(dir, "unless-regex.rules", "key-x unless=(/ (?i)^x\\z\n", GL_ERR_REGEX,
                        "key-x", "unless=");
    expect_load_failure(dir, "unless-nopat.rules", "key-y unless=^/\n", GL_ERR_INVALID, "key-y",
                        "no pattern");
    /* triggers: shorter than 2 bytes, empty, or no pattern after them */
    expect_load_failure(dir, "short-trigger.rules", "short-trig triggers=a abc\n", GL_ERR_INVALID,
                        "short-trig", NULL);
    expect_load_failure(dir, "short-ws-trigger.rules", "short-ws triggers=<ab,<a abc\n",
                        GL_ERR_INVALID, "short-ws", "at least 2 bytes");
    snprintf(where, sizeof where, "%s/empty-trigger.rules:1", dir);
    expect_load_failure(dir, "empty-trigger.rules", "empty-trig triggers=ab,,cd abc\n",
                        GL_ERR_INVALID, where, "empty-trig");
    snprintf(where, sizeof where, "%s/trigger-no-pattern.rules:2", dir);
    expect_load_failure(dir, "trigger-no-pattern.rules", "ok abc\nno-pat triggers=ab\n",
                        GL_ERR_INVALID, where, "no-pat");
    /* no rules at all */
    expect_load_failure(dir, "empty.rules", "# only a comment\n\n", GL_ERR_INVALID, "no rules",
                        NULL);
    /* missing file */
    struct gl_redactor *rd = NULL;
    struct gl_error err = {0};
    snprintf(where, sizeof where, "%s/does-not-exist.rules", dir);
    ck_assert_int_eq(gl_redactor_load(where, KEY_A, 32, &rd, &err), GL_ERR_IO);
    ck_assert_ptr_null(rd);
    ck_assert_msg(strstr(err.msg, where), "message '%s' does not name the file", err.msg);

    /* sanity: the same directory accepts a good file (CRLF line ends too) */
    char *path = write_file(dir, "good.rules", "# c\r\none-rule  abc\r\ntwo-rule\txyz[0-9]\r\n");
    rd = load_rules(path, KEY_A);
    ck_assert_uint_eq(gl_redactor_rule_count(rd), 2);
    ck_assert_str_eq(gl_redactor_rule_name(rd, 1), "two-rule");
    struct gl_buf out = {0};
    ck_assert_int_eq(scan(rd, "abc xyz7", &out, NULL), 2);
    gl_buf_free(&out);
    gl_redactor_free(rd);
    free(path);
    free(dir);
}
END_TEST

/* --- redaction in gl_event_encode ------------------------------------------------ */

struct encoded {
    struct gl_buf rec;
    struct gl_buf json;
    struct gl_redact_hits hits;
};

static void encode_json(struct gl_redactor *rd, const char *json, struct encoded *e)
{
    memset(e, 0, sizeof *e);
    struct gl_decoder *dec = gl_decoder_new();
    ck_assert_ptr_nonnull(dec);
    struct gl_event ev;
    struct gl_error err = {0};
    int rc = gl_decoder_decode(dec, json, strlen(json), &ev, &err);
    ck_assert_msg(rc == GL_OK, "decode failed: %s", err.msg);
    rc = gl_event_encode(&ev, rd, &e->rec, &e->hits, &err);
    ck_assert_msg(rc == GL_OK, "encode failed: %s", err.msg);
    rc = gl_event_stored_to_json(e->rec.data, e->rec.len, &e->json, &err);
    ck_assert_msg(rc == GL_OK, "stored_to_json failed: %s", err.msg);
    gl_buf_append(&e->json, "", 1); /* NUL for messages; not counted */
    e->json.len--;
    gl_decoder_free(dec);
}

static void encoded_free(struct encoded *e)
{
    gl_buf_free(&e->rec);
    gl_buf_free(&e->json);
    gl_redact_hits_free(&e->hits);
}

static const struct gl_redact_hit *hit_for(const struct encoded *e, const char *field)
{
    for (size_t i = 0; i < e->hits.n; i++)
        if (strcmp(e->hits.v[i].field, field) == 0)
            return &e->hits.v[i];
    return NULL;
}

static char *hits_list(const struct encoded *e)
{
    static char s[2048];
    s[0] = '\0';
    for (size_t i = 0; i < e->hits.n; i++) {
        size_t n = strlen(s);
        snprintf(s + n, sizeof s - n, "%s%s(%s)", i ? ", " : "", e->hits.v[i].field,
                 e->hits.v[i].rule);
    }
    return s;
}

#define EV_HEAD                                                                              \
    "{\"id\":\"evt-red-1\",\"ts\":\"2024-05-01T12:00:00Z\",\"type\":\"action.performed\","  \
    "\"workload\":\"agent-support\",\"credential\":{\"id\":\"tok-support-001\"},"            \
    "\"permission\":{\"action\":\"s3:GetObject\",\"resource\":\"arn:aws:s3:::invoices/*\"}," \
    "\"decision\":\"allow\""

START_TEST(test_encode_redacts_attrs)
{
    struct gl_redactor *rd = load_default();
    const char *json = EV_HEAD ",\"attrs\":{\"prompt\":\"please use " GHP " for the push\","
                               "\"ctx\":{\"headers\":[\"Accept: */*\",\"Bearer "
                               "mF_9.B5f-4.1JqMEXAMPLE0123EXAMPLE01\"]},"
                               "\"count\":3,\"note\":\"nothing secret here\"}}";
    struct encoded e;

    /* without a redactor the secret is stored as is (the test can tell) */
    encode_json(NULL, json, &e);
    ck_assert(mem_has(e.rec.data, e.rec.len, GHP, strlen(GHP)));
    ck_assert_uint_eq(e.hits.n, 0);
    encoded_free(&e);

    encode_json(rd, json, &e);
    ck_assert_msg(!mem_has(e.rec.data, e.rec.len, GHP, strlen(GHP)), "secret stored: %s",
                  e.json.data);
    ck_assert(!mem_has(e.rec.data, e.rec.len, "mF_9.B5f-4.1JqMEXAMPLE0123EXAMPLE01", 35));
    ck_assert_msg(buf_has(&e.json, "please use [REDACTED:github-token:"), "%s", e.json.data);
    ck_assert(buf_has(&e.json, "] for the push"));
    ck_assert(buf_has(&e.json, "Bearer [REDACTED:bearer-token:"));
    ck_assert(buf_has(&e.json, "nothing secret here"));
    ck_assert(buf_has(&e.json, "Accept: */*"));
    /* the fields that are not secret are untouched */
    ck_assert(buf_has(&e.json, "\"workload\":\"agent-support\""));
    ck_assert(buf_has(&e.json, "tok-support-001"));
    ck_assert(buf_has(&e.json, "arn:aws:s3:::invoices/*"));

    ck_assert_msg(e.hits.n == 2, "hits: %s", hits_list(&e));
    const struct gl_redact_hit *h = hit_for(&e, "attrs.prompt");
    ck_assert_msg(h != NULL, "no hit for attrs.prompt: %s", hits_list(&e));
    ck_assert_str_eq(h->rule, "github-token");
    char fp[GL_REDACT_FP_HEX + 1];
    expected_fp(KEY_A, GHP, strlen(GHP), fp, GL_REDACT_FP_HEX);
    ck_assert_str_eq(h->fp, fp);
    h = hit_for(&e, "attrs.ctx.headers[1]");
    if (!h) /* the index may be left out of array paths */
        h = hit_for(&e, "attrs.ctx.headers[]");
    ck_assert_msg(h != NULL, "no hit for attrs.ctx.headers[1] (or []): %s", hits_list(&e));
    ck_assert_str_eq(h->rule, "bearer-token");
    encoded_free(&e);

    /* a secret in an unknown top-level key (kept in attrs) is redacted too */
    json = EV_HEAD ",\"debug\":\"export AWS key " AKIA "\"}";
    encode_json(rd, json, &e);
    ck_assert_msg(!mem_has(e.rec.data, e.rec.len, AKIA, strlen(AKIA)), "secret stored: %s",
                  e.json.data);
    ck_assert(buf_has(&e.json, "[REDACTED:aws-access-key-id:"));
    ck_assert_uint_eq(e.hits.n, 1);
    ck_assert_msg(strstr(e.hits.v[0].field, "debug") != NULL, "field '%s'", e.hits.v[0].field);
    encoded_free(&e);

    /* secrets outside attrs: an action resource carrying a presigned URL */
    json = "{\"id\":\"evt-red-2\",\"ts\":\"2024-05-01T12:00:00Z\",\"type\":\"action.performed\","
           "\"workload\":\"agent-support\",\"decision\":\"deny\",\"permission\":{\"action\":"
           "\"s3:GetObject\",\"resource\":\"https://b.s3.amazonaws.com/x?X-Amz-Credential=" AKIA
           "%2F20130524\"}}";
    encode_json(rd, json, &e);
    ck_assert(!mem_has(e.rec.data, e.rec.len, AKIA, strlen(AKIA)));
    ck_assert_msg(hit_for(&e, "permission.resource") != NULL, "hits: %s", hits_list(&e));
    /* the id is never redacted, the decision and action are untouched */
    ck_assert(buf_has(&e.json, "\"id\":\"evt-red-2\""));
    ck_assert(buf_has(&e.json, "s3:GetObject"));
    encoded_free(&e);

    /* a clean event produces no hits and the same record as without redactor */
    json = EV_HEAD ",\"attrs\":{\"prompt\":\"summarise invoice 42\"}}";
    struct encoded plain;
    encode_json(NULL, json, &plain);
    encode_json(rd, json, &e);
    ck_assert_uint_eq(e.hits.n, 0);
    ck_assert_uint_eq(e.rec.len, plain.rec.len);
    ck_assert_int_eq(memcmp(e.rec.data, plain.rec.data, e.rec.len), 0);
    encoded_free(&e);
    encoded_free(&plain);
    gl_redactor_free(rd);
}
END_TEST

START_TEST(test_encode_sensitive_key)
{
    const char *json =
        EV_HEAD ",\"attrs\":{\"password\":\"hunter2hunter2\",\"task_note\":\"hunter2hunter2\","
                "\"nested\":{\"client_secret\":\"s3kr1t-value-xyz\"}}}";

    /* with key rules (a test rules file) */
    char *dir = gl_test_tmpdir("redact-enc");
    char *path = write_file(dir, "keys.rules", KEY_RULES);
    struct gl_redactor *rd = load_rules(path, KEY_A);
    struct encoded e;
    encode_json(rd, json, &e);
    const struct gl_redact_hit *h = hit_for(&e, "attrs.password");
    ck_assert_msg(h != NULL, "no hit for attrs.password: %s", hits_list(&e));
    ck_assert_str_eq(h->rule, "key-sensitive");
    char fp[GL_REDACT_FP_HEX + 1];
    expected_fp(KEY_A, "hunter2hunter2", 14, fp, GL_REDACT_FP_HEX);
    ck_assert_str_eq(h->fp, fp);
    h = hit_for(&e, "attrs.nested.client_secret");
    ck_assert_msg(h != NULL, "no hit for attrs.nested.client_secret: %s", hits_list(&e));
    ck_assert(!mem_has(e.rec.data, e.rec.len, "s3kr1t-value-xyz", 16));
    ck_assert(buf_has(&e.json, "\"password\":\"[REDACTED:key-sensitive:"));
    /* the same string under a harmless key stays: key rules look at keys */
    ck_assert(buf_has(&e.json, "\"task_note\":\"hunter2hunter2\""));
    ck_assert_msg(e.hits.n == 2, "hits: %s", hits_list(&e));
    encoded_free(&e);
    gl_redactor_free(rd);

    /* with the shipped rules: only if they have key rules */
    rd = load_default();
    bool has_key_rules = false;
    for (size_t i = 0; i < gl_redactor_rule_count(rd); i++)
        has_key_rules |= strncmp(gl_redactor_rule_name(rd, i), "key-", 4) == 0;
    encode_json(rd, json, &e);
    if (has_key_rules) {
        ck_assert_msg(hit_for(&e, "attrs.password") != NULL, "hits: %s", hits_list(&e));
        ck_assert(buf_has(&e.json, "\"password\":\"[REDACTED:key-"));
    } else {
        ck_assert_msg(hit_for(&e, "attrs.password") == NULL, "hits: %s", hits_list(&e));
    }
    encoded_free(&e);
    gl_redactor_free(rd);
    free(path);
    free(dir);
}
END_TEST

/* keep-vault-hmac: a Vault audit HMAC under a key naming a secret is a
 * digest, kept (and scanned as text); anything else there is still hidden. */
START_TEST(test_keep_rules_shipped)
{
    struct gl_redactor *rd = load_default();
    const char *hmac = "hmac-sha256:5f2a0c6b9d3e8f1a4b7c0d2e5f8a1b4c7d0e3f6a9b2c5d8e1f4a7b0c3d6e9f2a";
    ck_assert(gl_redactor_keeps(rd, -1, hmac, strlen(hmac)));
    const char *near[] = {
        "hmac-sha256:5f2a0c6b9d3e8f1a4b7c0d2e5f8a1b4c7d0e3f6a9b2c5d8e1f4a7b0c3d6e9f2",   /* 63 */
        "hmac-sha256:5f2a0c6b9d3e8f1a4b7c0d2e5f8a1b4c7d0e3f6a9b2c5d8e1f4a7b0c3d6e9f2aa", /* 65 */
        "hmac-sha256:5F2A0C6B9D3E8F1A4B7C0D2E5F8A1B4C7D0E3F6A9B2C5D8E1F4A7B0C3D6E9F2A",
        "x hmac-sha256:5f2a0c6b9d3e8f1a4b7c0d2e5f8a1b4c7d0e3f6a9b2c5d8e1f4a7b0c3d6e9f2a",
        "hunter2hunter2",
    };
    for (size_t i = 0; i < sizeof near / sizeof *near; i++)
        ck_assert_msg(!gl_redactor_keeps(rd, -1, near[i], strlen(near[i])), "kept %s", near[i]);
    /* a keep rule never scans text: the HMAC in prose is left alone anyway,
     * and no text scan names a keep-* rule */
    struct gl_buf out = {0};
    struct gl_error err = {0};
    ck_assert_int_eq(gl_redactor_scan(rd, hmac, strlen(hmac), &out, NULL, &err), 0);
    gl_buf_free(&out);

    char json[2048];
    snprintf(json, sizeof json,
             EV_HEAD ",\"attrs\":{\"vault\":{\"password\":\"%s\",\"api_key\":\"%.60s\","
                     "\"token\":\"hvs.CAESIJT2KM9n2KJqg_E267EHJSY0c4NWtTRnBsNWhzUDkQZQ\"}}}",
             hmac, near[0]);
    struct encoded e;
    encode_json(rd, json, &e);
    ck_assert_msg(hit_for(&e, "attrs.vault.password") == NULL, "hits: %s", hits_list(&e));
    ck_assert(buf_has(&e.json, hmac));
    ck_assert_msg(hit_for(&e, "attrs.vault.api_key") != NULL, "hits: %s", hits_list(&e));
    ck_assert_msg(hit_for(&e, "attrs.vault.token") != NULL, "hits: %s", hits_list(&e));
    ck_assert(!buf_has(&e.json, "hvs.CAES"));
    encoded_free(&e);

    /* Vault HMACs every string of a list or map: digests all the way down
     * are kept; one value that is no digest hides the whole value */
    snprintf(json, sizeof json,
             EV_HEAD ",\"attrs\":{\"h\":{\"authorization\":[\"%s\"],\"password\":[\"%s\",\"%s\"],"
                     "\"client_secret\":{\"primary\":\"%s\"}},\"m\":{\"password\":[\"%s\","
                     "\"plain-secret-1\"],\"api_key\":[],\"secret\":{\"pin\":1234}}}}",
             hmac, hmac, hmac, hmac, hmac);
    encode_json(rd, json, &e);
    ck_assert_msg(hit_for(&e, "attrs.h.authorization") == NULL, "hits: %s", hits_list(&e));
    ck_assert_msg(hit_for(&e, "attrs.h.password") == NULL, "hits: %s", hits_list(&e));
    ck_assert_msg(hit_for(&e, "attrs.h.client_secret") == NULL, "hits: %s", hits_list(&e));
    ck_assert_msg(hit_for(&e, "attrs.m.password") != NULL, "hits: %s", hits_list(&e));
    ck_assert_msg(hit_for(&e, "attrs.m.secret") != NULL, "hits: %s", hits_list(&e));
    ck_assert(!buf_has(&e.json, "plain-secret-1"));
    ck_assert(!buf_has(&e.json, "1234"));
    encoded_free(&e);

    /* an environment dump keeps its working directory; an application's
     * {"pwd": ...} is a password */
    encode_json(rd,
                EV_HEAD ",\"attrs\":{\"env\":{\"PWD\":\"/srv/agent\",\"OLDPWD\":\"~\"},"
                        "\"login\":{\"user\":\"svc\",\"pwd\":\"Sup3rS3cret!\"}}}",
                &e);
    ck_assert_msg(hit_for(&e, "attrs.env.PWD") == NULL, "hits: %s", hits_list(&e));
    ck_assert(buf_has(&e.json, "/srv/agent"));
    ck_assert_msg(hit_for(&e, "attrs.login.pwd") != NULL, "hits: %s", hits_list(&e));
    ck_assert(!buf_has(&e.json, "Sup3rS3cret"));
    encoded_free(&e);
    gl_redactor_free(rd);
}
END_TEST

static Suite *redact_suite(void)
{
    Suite *s = suite_create("redact");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_rules_load);
    tcase_add_test(tc, test_vectors);
    tcase_add_test(tc, test_fingerprint);
    tcase_add_test(tc, test_context_preserved);
    tcase_add_test(tc, test_two_secrets);
    tcase_add_test(tc, test_clean_string_untouched);
    tcase_add_test(tc, test_key_rules_shipped);
    tcase_add_test(tc, test_key_rules_custom);
    tcase_add_test(tc, test_pathological_shipped);
    tcase_add_test(tc, test_match_limit);
    tcase_add_test(tc, test_many_hits_linear);
    tcase_add_test(tc, test_triggers);
    tcase_add_test(tc, test_word_start_triggers);
    tcase_add_test(tc, test_key_rule_limit);
    tcase_add_test(tc, test_trigger_filter_exact);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_encode_redacts_attrs);
    tcase_add_test(tc, test_encode_sensitive_key);
    tcase_add_test(tc, test_keep_rules_shipped);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return gl_test_run(redact_suite());
}
