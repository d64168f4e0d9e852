/* Secret redaction with PCRE2. Each rule declares literal triggers; one
 * case-insensitive scan over all triggers tells which rules can match a
 * string, so clean text (almost all text) costs one JIT scan and only the
 * triggered rules run. Leftmost match wins, ties go to the earlier rule.
 * Patterns run byte-wise (no PCRE2_UTF: 4x faster on case-insensitive
 * rules); input is valid UTF-8 and matches are widened to whole characters. */
#include "grantline/redact.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <xxhash.h>

struct rule {
    char name[48];
    pcre2_code *re;
    int secret_group; /* capture group number of (?<secret>), or 0 for the whole match */
    bool on_keys;     /* "key-*": matches map key names */
    bool keep;        /* "keep-*": a whole value a key-* rule would hide that is no secret */
    pcre2_code *unless; /* key-* rules: a whole value under the key that is no secret */
    bool raw;         /* "raw-*": only on refused input that did not parse */
    bool always;      /* no triggers: runs on every string */
};

struct next_match {
    bool valid;
    size_t span[4]; /* whole match start/end, secret start/end */
};

struct trigger {
    char *lit; /* lower case */
    size_t len;
    size_t rule;
    bool word_start; /* "<lit": only where no ASCII letter or digit precedes it */
};

struct gl_redactor {
    struct rule *rules;
    size_t n;
    struct trigger *trig;
    size_t n_trig, cap_trig;
    /* Multi-literal search: a bit per hashed lower-cased trigram that starts
     * a trigger (a two-byte trigger followed by any byte), a bit per byte
     * pair that is a whole two-byte trigger (for the string's last two
     * bytes), and per first byte the triggers starting with it. Trigrams
     * rarely match prose by chance, so the scan seldom stops (a PCRE2
     * alternation of ~50 literals costs ~15 ns a byte, a byte-pair filter
     * ~1.5 ns, this ~0.5 ns). */
    uint64_t tri[65536 / 64];
    uint64_t pair[65536 / 64];
    unsigned char low[256]; /* ASCII lower case */
    uint16_t *by_first[256]; /* trigger indexes, NULL-free lists ended by UINT16_MAX */
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    bool raw_mode; /* this scan: refused input that did not parse (raw-* rules too) */
    bool *run; /* per rule, scratch for one scan */
    struct next_match *next; /* per rule: its next match, reused while still ahead */
    unsigned char key[64];
    size_t keylen;
    unsigned char *clean;     /* CLEAN_BYTES, allocated on first use */
    struct key_verdict *keys; /* KEY_SLOTS, allocated on first use */
};

/* Strings found clean are remembered: events repeat the same names, actions
 * and resources, and the same bytes under the same rules give the same
 * verdict. Direct-mapped tables holding the strings' bytes, not only their
 * hash, so a collision can never let a secret through; in memory only. A
 * slot is its length byte (0: empty) and the bytes. Short strings (names,
 * actions, most resources: under 48 bytes in the benchmark's events) get
 * one cache line a slot; a slot spanning two lines for every length made
 * the lookup's cache miss the reader's costliest instruction. */
#define CLEAN_SHORT_SLOTS 4096
#define CLEAN_SHORT_SIZE  64 /* a slot: strings of up to 63 bytes */
#define CLEAN_LONG_SLOTS  1024
#define CLEAN_LONG_SIZE   128
#define CLEAN_MAX         (CLEAN_LONG_SIZE - 1) /* longest string remembered */
#define CLEAN_BYTES       (CLEAN_SHORT_SLOTS * CLEAN_SHORT_SIZE + CLEAN_LONG_SLOTS * CLEAN_LONG_SIZE)

/* The slot a string of 1..CLEAN_MAX bytes would be remembered in. */
static unsigned char *clean_slot(unsigned char *tables, const char *s, size_t len)
{
    uint64_t h = XXH3_64bits(s, len);
    if (len < CLEAN_SHORT_SIZE)
        return tables + (h & (CLEAN_SHORT_SLOTS - 1)) * CLEAN_SHORT_SIZE;
    return tables + CLEAN_SHORT_SLOTS * CLEAN_SHORT_SIZE +
           (h & (CLEAN_LONG_SLOTS - 1)) * CLEAN_LONG_SIZE;
}

/* Verdicts of the key-* rules on map key names: events repeat a handful
 * of attribute names, and the key rule is one long alternation (~2,400
 * instructions a call). Same bytes, same rules, same verdict; a slot holds
 * the key's bytes, so a collision only costs a match. */
#define KEY_SLOTS 256
#define KEY_MAX   46
struct key_verdict {
    uint8_t len; /* 0: empty slot */
    int8_t rule; /* gl_redactor_match_key's answer */
    char s[KEY_MAX];
};

/* Attacker-influenced text: bound the work per match. */
#define MATCH_LIMIT 200000
#define DEPTH_LIMIT 5000

void gl_redactor_free(struct gl_redactor *rd)
{
    if (!rd)
        return;
    for (size_t i = 0; i < rd->n; i++) {
        pcre2_code_free(rd->rules[i].re);
        pcre2_code_free(rd->rules[i].unless);
    }
    free(rd->rules);
    for (size_t i = 0; i < rd->n_trig; i++)
        free(rd->trig[i].lit);
    free(rd->trig);
    free(rd->run);
    free(rd->next);
    for (int i = 0; i < 256; i++)
        free(rd->by_first[i]);
    pcre2_match_data_free(rd->md);
    pcre2_match_context_free(rd->mctx);
    free(rd->clean);
    free(rd->keys);
    free(rd);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    return s;
}

static int compile_one(const char *pat, size_t len, pcre2_code **out, char *why, size_t whylen,
                       uint32_t extra_opts)
{
    int ecode;
    PCRE2_SIZE eoff;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, len, extra_opts, &ecode, &eoff, NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(ecode, msg, sizeof msg);
        snprintf(why, whylen, "%s at offset %zu", (char *)msg, (size_t)eoff);
        return GL_ERR_REGEX;
    }
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* falls back to the interpreter */
    *out = re;
    return GL_OK;
}

static int add_trigger(struct gl_redactor *rd, const char *lit, size_t len, size_t rule,
                       bool word_start)
{
    if (rd->n_trig == rd->cap_trig) {
        size_t nc = rd->cap_trig ? rd->cap_trig * 2 : 64;
        struct trigger *t = realloc(rd->trig, nc * sizeof *t);
        if (!t)
            return GL_ERR_NOMEM;
        rd->trig = t;
        rd->cap_trig = nc;
    }
    char *l = strndup(lit, len);
    if (!l)
        return GL_ERR_NOMEM;
    for (size_t i = 0; i < len; i++)
        if (l[i] >= 'A' && l[i] <= 'Z')
            l[i] = (char)(l[i] - 'A' + 'a');
    rd->trig[rd->n_trig++] = (struct trigger){l, len, rule, word_start};
    return GL_OK;
}

static int add_rule(struct gl_redactor *rd, size_t *cap, const char *name, const char *triggers,
                    const char *unless, const char *pat, const char *path, int lineno,
                    struct gl_error *err)
{
    if (rd->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        struct rule *r = realloc(rd->rules, nc * sizeof *r);
        if (!r)
            return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        rd->rules = r;
        *cap = nc;
    }
    struct rule *r = &rd->rules[rd->n];
    memset(r, 0, sizeof *r);
    if (strlen(name) >= sizeof r->name)
        return gl_error_set(err, GL_ERR_INVALID, 0, "%s:%d: rule name too long", path, lineno);
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
            return gl_error_set(err, GL_ERR_INVALID, 0,
                                "%s:%d: rule name '%s' must be [a-z0-9-]", path, lineno, name);
    snprintf(r->name, sizeof r->name, "%s", name);
    r->on_keys = strncmp(name, "key-", 4) == 0;
    r->keep = strncmp(name, "keep-", 5) == 0;
    if (r->keep && triggers)
        return gl_error_set(err, GL_ERR_INVALID, 0, "%s:%d: rule %s: keep-* rules take no "
                            "triggers (they never scan text)", path, lineno, name);
    r->raw = strncmp(name, "raw-", 4) == 0;
    if (r->raw && !triggers)
        return gl_error_set(err, GL_ERR_INVALID, 0, "%s:%d: rule %s: raw-* rules need triggers",
                            path, lineno, name);
    char why[300];
    if (compile_one(pat, strlen(pat), &r->re, why, sizeof why, 0))
        return gl_error_set(err, GL_ERR_REGEX, 0, "%s:%d: rule %s: %s", path, lineno, name, why);
    int g = pcre2_substring_number_from_name(r->re, (PCRE2_SPTR) "secret");
    r->secret_group = g > 0 ? g : 0;
    r->always = !triggers && !r->on_keys && !r->keep;
    /* the rule counts (and is freed with the redactor) from here on */
    rd->n++;
    if (unless && !r->on_keys)
        return gl_error_set(err, GL_ERR_INVALID, 0, "%s:%d: rule %s: only key-* rules take "
                            "unless=", path, lineno, name);
    if (unless && compile_one(unless, strlen(unless), &r->unless, why, sizeof why, 0))
        return gl_error_set(err, GL_ERR_REGEX, 0, "%s:%d: rule %s: unless=: %s", path, lineno,
                            name, why);
    for (const char *t = triggers; t && *t;) {
        size_t len = strcspn(t, ",");
        bool word_start = *t == '<';
        if (len - word_start < 2)
            return gl_error_set(err, GL_ERR_INVALID, 0,
                                "%s:%d: rule %s: triggers must be at least 2 bytes", path, lineno,
                                name);
        if (add_trigger(rd, t + word_start, len - word_start, rd->n - 1, word_start))
            return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        t += len + (t[len] == ',');
    }
    return GL_OK;
}

static unsigned char lower(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* Hash of three bytes held little-endian in the low 24 bits of 'v'. Letters
 * are folded by setting bit 5 of every byte, which is exact for letters and
 * merges some punctuation pairs ('_' with DEL, '@' with '`'): extra
 * candidates only, each checked exactly. No lookup table in the way lets the
 * scan of one string run its positions in parallel. */
static unsigned tri_hash(uint32_t v)
{
    return (uint32_t)(((v & 0xffffff) | 0x202020) * 0x9e3779b1u) >> 16;
}

static uint32_t load3(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
}

/* Three bytes at p, of which at least four are readable. */
static uint32_t load4(const unsigned char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

#define BIT(set, i) ((set)[(i) / 64] & (1ULL << ((i) % 64)))

/* Index of the trigger literals for select_rules(). Literals have at least
 * two bytes (checked), so every match starts with a flagged byte pair. */
static int build_triggers(struct gl_redactor *rd, struct gl_error *err)
{
    size_t count[256] = {0};
    for (int c = 0; c < 256; c++)
        rd->low[c] = lower((unsigned char)c);
    for (size_t i = 0; i < rd->n_trig; i++) {
        const unsigned char *l = (const unsigned char *)rd->trig[i].lit;
        if (rd->trig[i].len < 2)
            return gl_error_set(err, GL_ERR_INVALID, 0,
                                "secret rule %s: trigger '%s' is shorter than 2 bytes",
                                rd->rules[rd->trig[i].rule].name, rd->trig[i].lit);
        if (rd->trig[i].len == 2) {
            unsigned pair = (unsigned)l[0] << 8 | l[1];
            rd->pair[pair / 64] |= 1ULL << (pair % 64);
            for (uint32_t c = 0; c < 256; c++) {
                unsigned h = tri_hash((uint32_t)l[0] | (uint32_t)l[1] << 8 | c << 16);
                rd->tri[h / 64] |= 1ULL << (h % 64);
            }
        } else {
            unsigned h = tri_hash(load3(l));
            rd->tri[h / 64] |= 1ULL << (h % 64);
        }
        count[l[0]]++;
    }
    for (int c = 0; c < 256; c++) {
        if (!count[c])
            continue;
        rd->by_first[c] = malloc((count[c] + 1) * sizeof(uint16_t));
        if (!rd->by_first[c])
            return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        size_t k = 0;
        for (size_t i = 0; i < rd->n_trig; i++)
            if ((unsigned char)rd->trig[i].lit[0] == c)
                rd->by_first[c][k++] = (uint16_t)i;
        rd->by_first[c][k] = UINT16_MAX;
    }
    return GL_OK;
}

int gl_redactor_load(const char *path, const void *key, size_t keylen, struct gl_redactor **out,
                     struct gl_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return gl_error_set(err, GL_ERR_IO, errno, "secret rules %s: %s", path, strerror(errno));
    struct gl_redactor *rd = calloc(1, sizeof *rd);
    size_t cap = 0;
    int rc = GL_OK;
    char *line = NULL;
    size_t linecap = 0;
    int lineno = 0;
    if (!rd) {
        rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        goto done;
    }
    if (keylen > sizeof rd->key)
        keylen = sizeof rd->key;
    memcpy(rd->key, key, keylen);
    rd->keylen = keylen;
    while (getline(&line, &linecap, f) > 0) {
        lineno++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        char *sp = s + strcspn(s, " \t");
        if (*sp == '\0') {
            rc = gl_error_set(err, GL_ERR_INVALID, 0, "%s:%d: expected '<name> <pattern>'", path,
                              lineno);
            goto done;
        }
        *sp = '\0';
        char *pat = trim(sp + 1);
        /* options before the pattern: triggers=a,b,c and unless=REGEX */
        const char *triggers = NULL, *unless = NULL;
        for (;;) {
            const char **opt = strncmp(pat, "triggers=", 9) == 0 ? &triggers
                               : strncmp(pat, "unless=", 7) == 0  ? &unless
                                                                   : NULL;
            if (!opt)
                break;
            *opt = strchr(pat, '=') + 1;
            char *end = pat + strcspn(pat, " \t");
            if (*end == '\0') {
                rc = gl_error_set(err, GL_ERR_INVALID, 0, "%s:%d: rule %s: no pattern", path,
                                  lineno, s);
                goto done;
            }
            *end = '\0';
            pat = trim(end + 1);
        }
        rc = add_rule(rd, &cap, s, triggers, unless, pat, path, lineno, err);
        if (rc)
            goto done;
    }
    if (rd->n == 0) {
        rc = gl_error_set(err, GL_ERR_INVALID, 0, "%s: no rules", path);
        goto done;
    }
    uint32_t max_groups = 1;
    for (size_t i = 0; i < rd->n; i++) {
        uint32_t c = 0;
        pcre2_pattern_info(rd->rules[i].re, PCRE2_INFO_CAPTURECOUNT, &c);
        if (c + 1 > max_groups)
            max_groups = c + 1;
    }
    rd->md = pcre2_match_data_create(max_groups, NULL);
    rd->mctx = pcre2_match_context_create(NULL);
    if (!rd->md || !rd->mctx) {
        rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        goto done;
    }
    pcre2_set_match_limit(rd->mctx, MATCH_LIMIT);
    pcre2_set_depth_limit(rd->mctx, DEPTH_LIMIT);
    rd->run = calloc(rd->n, sizeof *rd->run);
    rd->next = calloc(rd->n, sizeof *rd->next);
    if (!rd->run || !rd->next) {
        rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        goto done;
    }
    if (!rc)
        rc = build_triggers(rd, err);
done:
    free(line);
    fclose(f);
    if (rc) {
        gl_redactor_free(rd);
        return rc;
    }
    *out = rd;
    return GL_OK;
}

size_t gl_redactor_rule_count(const struct gl_redactor *rd)
{
    return rd->n;
}

const char *gl_redactor_rule_name(const struct gl_redactor *rd, size_t i)
{
    return i < rd->n ? rd->rules[i].name : NULL;
}

void gl_redact_hits_free(struct gl_redact_hits *h)
{
    if (!h)
        return;
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

static int add_hit(struct gl_redactor *rd, int rule, const char *s, size_t len,
                   struct gl_buf *out, struct gl_redact_hits *hits)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!HMAC(EVP_sha256(), rd->key, (int)rd->keylen, (const unsigned char *)s, len, md, &mdlen))
        return GL_ERR_NOMEM;
    char fp[GL_REDACT_FP_HEX + 1];
    for (int i = 0; i < GL_REDACT_FP_HEX / 2; i++)
        snprintf(fp + 2 * i, 3, "%02x", md[i]);
    const char *name = rule >= 0 ? rd->rules[rule].name : "unscannable";
    int rc = gl_buf_printf(out, "[REDACTED:%s:%.*s]", name, GL_REDACT_MARK_FP, fp);
    if (rc)
        return rc;
    if (!hits)
        return GL_OK;
    if (hits->n == hits->cap) {
        size_t nc = hits->cap ? hits->cap * 2 : 8;
        struct gl_redact_hit *v = realloc(hits->v, nc * sizeof *v);
        if (!v)
            return GL_ERR_NOMEM;
        hits->v = v;
        hits->cap = nc;
    }
    struct gl_redact_hit *h = &hits->v[hits->n++];
    memset(h, 0, sizeof *h);
    snprintf(h->rule, sizeof h->rule, "%s", name);
    memcpy(h->fp, fp, sizeof h->fp);
    return GL_OK;
}

static bool is_alnum(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

/* Marks the rules whose triggers start at s[at], if not marked yet.
 * Returns how many it marked. */
static int mark_triggers(struct gl_redactor *rd, const unsigned char *s, size_t len, size_t at)
{
    const uint16_t *t = rd->by_first[rd->low[s[at]]];
    int n = 0;
    if (!t) /* trigram hashes collide */
        return 0;
    for (; *t != UINT16_MAX; t++) {
        const struct trigger *tr = &rd->trig[*t];
        if (rd->run[tr->rule] || tr->len > len - at || (rd->rules[tr->rule].raw && !rd->raw_mode))
            continue;
        /* "task-1" holds "sk-", but openai-key's pattern refuses to start
         * inside a word: no PCRE2 call for every task name */
        if (tr->word_start && at > 0 && is_alnum(s[at - 1]))
            continue;
        size_t k = 1;
        while (k < tr->len && lower(s[at + k]) == (unsigned char)tr->lit[k])
            k++;
        if (k == tr->len) {
            rd->run[tr->rule] = true;
            n++;
        }
    }
    return n;
}

/* Marks in rd->run the rules that may match s: those without triggers and
 * those with a trigger somewhere in s. Returns how many. */
static int select_rules(struct gl_redactor *rd, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    int n = 0;
    for (size_t i = 0; i < rd->n; i++) {
        rd->run[i] = rd->rules[i].always;
        rd->next[i].valid = false;
        n += rd->run[i];
    }
    size_t at = 0;
    for (; at + 4 <= len; at++)
        if (BIT(rd->tri, tri_hash(load4(s + at))))
            n += mark_triggers(rd, s, len, at);
    if (at + 3 <= len) {
        if (BIT(rd->tri, tri_hash(load3(s + at))))
            n += mark_triggers(rd, s, len, at);
        at++;
    }
    if (at + 2 <= len) { /* the last two bytes: only a two-byte trigger fits */
        unsigned pair = (unsigned)rd->low[s[at]] << 8 | rd->low[s[at + 1]];
        if (BIT(rd->pair, pair))
            n += mark_triggers(rd, s, len, at);
    }
    return n;
}

static size_t char_start(const char *s, size_t at)
{
    while (at > 0 && ((unsigned char)s[at] & 0xc0) == 0x80)
        at--;
    return at;
}

static size_t char_end(const char *s, size_t len, size_t at)
{
    while (at < len && ((unsigned char)s[at] & 0xc0) == 0x80)
        at++;
    return at;
}

/* Finds the leftmost match of a selected rule at or after 'from'. Sets the
 * rule and the spans of the whole match and of the secret. Returns 1, 0
 * (none) or <0 (PCRE2 error such as the match limit). */
static int find(struct gl_redactor *rd, const char *s, size_t len, size_t from, int *rule,
                size_t span[4])
{
    int best = -1;
    for (size_t i = 0; i < rd->n; i++) {
        const struct rule *r = &rd->rules[i];
        if (!rd->run[i])
            continue;
        struct next_match *nm = &rd->next[i];
        /* A rule's next match found earlier is still its next one while it
         * starts at or after 'from': searching again would rescan the text
         * once per hit of other rules (quadratic on hit-dense input). */
        if (!nm->valid || nm->span[0] < from) {
            int m = pcre2_match(r->re, (PCRE2_SPTR)s, len, from, 0, rd->md, rd->mctx);
            if (m == PCRE2_ERROR_NOMATCH) {
                rd->run[i] = false; /* nothing further on either */
                continue;
            }
            if (m < 0)
                return m;
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rd->md);
            nm->valid = true;
            nm->span[0] = nm->span[2] = ov[0];
            nm->span[1] = nm->span[3] = ov[1];
            if (r->secret_group && m > r->secret_group &&
                ov[2 * r->secret_group] != PCRE2_UNSET) {
                nm->span[2] = ov[2 * r->secret_group];
                nm->span[3] = ov[2 * r->secret_group + 1];
            }
        }
        if (best >= 0 && nm->span[0] >= span[0])
            continue;
        best = (int)i;
        memcpy(span, nm->span, sizeof nm->span);
    }
    *rule = best;
    if (best < 0)
        return 0;
    span[2] = char_start(s, span[2]);
    span[3] = char_end(s, len, span[3]);
    return 1;
}

static int scan_once(struct gl_redactor *rd, const char *s, size_t len, struct gl_buf *out,
                     struct gl_redact_hits *hits, struct gl_error *err);

/* Leftmost match wins and only its 'secret' group is replaced, so a secret
 * of another rule inside the winner's context (a token in the user part of
 * a URL whose password was redacted) survives one pass. Markers are never
 * matched again, so passes repeat until nothing more is found. */
int gl_redactor_scan(struct gl_redactor *rd, const char *s, size_t len, struct gl_buf *out,
                     struct gl_redact_hits *hits, struct gl_error *err)
{
    unsigned char *slot = NULL;
    if (len > 0 && len <= CLEAN_MAX && !rd->raw_mode) { /* clean for the text rules, not raw-* */
        if (!rd->clean && (rd->clean = aligned_alloc(64, CLEAN_BYTES)))
            memset(rd->clean, 0, CLEAN_BYTES);
        if (rd->clean) {
            slot = clean_slot(rd->clean, s, len);
            if (slot[0] == len && memcmp(slot + 1, s, len) == 0)
                return 0;
        }
    }
    size_t base = out->len;
    int total = scan_once(rd, s, len, out, hits, err);
    if (total == 0 && slot) {
        memcpy(slot + 1, s, len);
        slot[0] = (unsigned char)len;
    }
    struct gl_buf next = {0};
    for (int pass = 0; total > 0 && pass < 4; pass++) {
        gl_buf_reset(&next);
        int n = scan_once(rd, out->data + base, out->len - base, &next, hits, err);
        if (n < 0) {
            total = n;
            break;
        }
        if (n == 0)
            break;
        out->len = base;
        if (gl_buf_append(out, next.data, next.len)) {
            total = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory redacting");
            break;
        }
        total += n;
    }
    gl_buf_free(&next);
    return total;
}

static int scan_once(struct gl_redactor *rd, const char *s, size_t len, struct gl_buf *out,
                     struct gl_redact_hits *hits, struct gl_error *err)
{
    size_t from = 0, copied = 0, out_base = out->len;
    int count = 0;
    if (select_rules(rd, s, len) == 0)
        return 0;
    while (from <= len) {
        int rule = -1;
        size_t span[4];
        int m = find(rd, s, len, from, &rule, span);
        if (m == 0)
            break;
        if (m < 0) {
            /* Cannot tell what is in it: hide all of it rather than store it. */
            out->len = out_base;
            int rc = add_hit(rd, -1, s, len, out, hits);
            if (rc)
                return gl_error_set(err, rc, m, "out of memory redacting");
            return 1;
        }
        if (span[3] > span[2]) {
            int rc = gl_buf_append(out, s + copied, span[2] - copied);
            if (!rc)
                rc = add_hit(rd, rule, s + span[2], span[3] - span[2], out, hits);
            if (rc)
                return gl_error_set(err, rc, 0, "out of memory redacting");
            copied = span[3];
            count++;
        }
        from = span[1] > from ? span[1] : from + 1;
        if (from < copied)
            from = copied;
    }
    if (count == 0)
        return 0;
    if (gl_buf_append(out, s + copied, len - copied))
        return gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory redacting");
    return count;
}

int gl_redactor_first_rule(struct gl_redactor *rd, const char *s, size_t len)
{
    int rule = -1;
    size_t span[4];
    if (select_rules(rd, s, len) == 0)
        return -1;
    return find(rd, s, len, 0, &rule, span) == 1 ? rule : -1;
}

int gl_redactor_scan_raw(struct gl_redactor *rd, const char *s, size_t len, struct gl_buf *out,
                         struct gl_redact_hits *hits, struct gl_error *err)
{
    /* Text a quarter NUL bytes is UTF-16 or binary: no rule reads it, so it
     * is unscannable as a whole (kept only as a marker). */
    size_t nul = 0;
    for (size_t i = 0; i < len; i++)
        nul += s[i] == '\0';
    if (len >= 8 && nul * 4 >= len) {
        int rc = add_hit(rd, -1, s, len, out, hits);
        return rc ? gl_error_set(err, rc, 0, "out of memory redacting") : 1;
    }
    /* raw-* rules in the first pass only: their words also occur in markers
     * ("raw-after-secret-word", "github-token"), which a later pass would
     * redact again; the later passes (text rules) catch what a winner's
     * context hid, as in gl_redactor_scan */
    struct gl_buf first = {0};
    rd->raw_mode = true;
    int n = scan_once(rd, s, len, &first, hits, err);
    rd->raw_mode = false;
    if (n > 0) {
        int m = gl_redactor_scan(rd, first.data, first.len, out, hits, err);
        if (m == 0 && gl_buf_append(out, first.data, first.len))
            m = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory redacting");
        n = m < 0 ? m : n + m;
    }
    gl_buf_free(&first);
    return n;
}

/* The first key-* rule matching the key, or -1. A rule that fails (match
 * limit, out of memory) counts as matching: the value is hidden rather than
 * stored unread; *failed tells the cache not to keep that answer. */
static int match_key(struct gl_redactor *rd, const char *key, size_t len, bool *failed)
{
    *failed = false;
    for (size_t i = 0; i < rd->n; i++) {
        if (!rd->rules[i].on_keys)
            continue;
        int m = pcre2_match(rd->rules[i].re, (PCRE2_SPTR)key, len, 0, 0, rd->md, rd->mctx);
        if (m > 0 || (m < 0 && m != PCRE2_ERROR_NOMATCH)) {
            *failed = m < 0;
            return (int)i;
        }
    }
    return -1;
}

int gl_redactor_match_key(struct gl_redactor *rd, const char *key, size_t len)
{
    bool failed;
    if (len == 0 || len > KEY_MAX || rd->n > INT8_MAX)
        return match_key(rd, key, len, &failed);
    if (!rd->keys && !(rd->keys = calloc(KEY_SLOTS, sizeof *rd->keys)))
        return match_key(rd, key, len, &failed);
    struct key_verdict *slot = &rd->keys[XXH3_64bits(key, len) & (KEY_SLOTS - 1)];
    if (slot->len == len && memcmp(slot->s, key, len) == 0)
        return slot->rule;
    int rule = match_key(rd, key, len, &failed);
    if (!failed) {
        slot->len = (uint8_t)len;
        slot->rule = (int8_t)rule;
        memcpy(slot->s, key, len);
    }
    return rule;
}

/* Whether 're' matches all of s (a failed match keeps nothing). */
static bool whole_match(struct gl_redactor *rd, const pcre2_code *re, const char *s, size_t len)
{
    int m = pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, rd->md, rd->mctx);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(rd->md);
    return m > 0 && ov[0] == 0 && ov[1] == len;
}

bool gl_redactor_keeps(struct gl_redactor *rd, int rule, const char *s, size_t len)
{
    if (rule >= 0 && (size_t)rule < rd->n && rd->rules[rule].unless &&
        whole_match(rd, rd->rules[rule].unless, s, len))
        return true;
    for (size_t i = 0; i < rd->n; i++)
        if (rd->rules[i].keep && whole_match(rd, rd->rules[i].re, s, len))
            return true;
    return false;
}

int gl_redactor_redact_all(struct gl_redactor *rd, int rule, const char *s, size_t len,
                           struct gl_buf *out, struct gl_redact_hits *hits)
{
    int rc = add_hit(rd, rule, s, len, out, hits);
    return rc ? rc : 1;
}
