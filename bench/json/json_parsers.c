/*
 * json_parsers.c - which Debian 12 JSON library should the collector use?
 *
 * Generates a deterministic stream of canonical grantline events (DESIGN.md
 * section 2; about 480 bytes each, several event types), stores each event in
 * its own exact-size heap buffer (like a Kafka message payload: not padded,
 * not NUL-terminated), then for each library parses every event AND extracts
 * what the collector needs: id, ts, type, workload, task, credential.*,
 * permission(s), decision and the other scalar fields, plus a walk over attrs
 * and unknown top-level keys (which the collector keeps in attrs and has to
 * redact). Each variant folds what it saw into a checksum (bench_common.h);
 * all extracting variants must agree on it.
 *
 * Also runs small robustness probes: invalid UTF-8, duplicate keys, integer
 * overflow, nesting depth, leniency, error messages and offsets.
 *
 * Build and run: bash bench/json/run.sh   (see docs/JSON.md)
 * Not part of grantline; nothing here is linked into the programs.
 */
#define _GNU_SOURCE

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <jansson.h>
#include <msgpack.h>
#include <yajl_parse.h>
#include <yajl_tree.h>
#include <yajl_version.h>

#include "bench_common.h"
#include "jsonc_part.h"

/* ------------------------------------------------------------------ */
/* --- simdjson shim (simdjson_shim.cpp, optional) --- */

#ifdef HAVE_SIMDJSON
#define SJ_DECLARE(P)                                                                              \
    const char *P##describe(void);                                                                 \
    const char *P##ondemand_kernel(void);                                                          \
    int P##init(size_t max_len);                                                                   \
    int P##od_event(const char *buf, size_t len, uint64_t *out);                                   \
    int P##dom_event(const char *buf, size_t len, uint64_t *out);                                  \
    const char *P##strerror(int err);                                                              \
    const char *P##probe_od(const char *buf, size_t len);                                          \
    const char *P##probe_dom(const char *buf, size_t len);                                         \
    const char *P##depth_od(const char *buf, size_t len);                                          \
    const char *P##depth_dom(const char *buf, size_t len);                                         \
    int P##dom_to_msgpack(const char *buf, size_t len, const char **out, size_t *out_len);
SJ_DECLARE(sj_base_)
#ifdef HAVE_SIMDJSON_HASWELL
SJ_DECLARE(sj_hsw_)
#endif
#endif

/* ------------------------------------------------------------------ */
/* --- allocation counter (interposes malloc for every library) --- */

/*
 * The executable's malloc/calloc/realloc/free take precedence over libc's
 * for the shared libraries too, so this counts what each parser allocates.
 * Counting is switched on only for a separate pass, after the timed runs.
 */
#ifndef __SANITIZE_ADDRESS__
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t m);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static int g_count_allocs;
static unsigned long long g_allocs;

void *malloc(size_t n)
{
    if (g_count_allocs)
        g_allocs++;
    return __libc_malloc(n);
}

void *calloc(size_t n, size_t m)
{
    if (g_count_allocs)
        g_allocs++;
    return __libc_calloc(n, m);
}

void *realloc(void *p, size_t n)
{
    if (g_count_allocs)
        g_allocs++;
    return __libc_realloc(p, n);
}

void free(void *p)
{
    __libc_free(p);
}
#else
static int g_count_allocs;             /* ASan build: allocations are not counted */
static unsigned long long g_allocs;
#endif

/* ------------------------------------------------------------------ */
/* --- small utilities --- */

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("json_parsers: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        die("out of memory (%zu bytes)", n);
    return p;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct sb {
    char *p;
    size_t n, cap;
};

static void sb_reserve(struct sb *b, size_t more)
{
    if (b->n + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 1024;
    while (b->n + more + 1 > cap)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        die("out of memory");
    b->p = p;
    b->cap = cap;
}

static void sb_putn(struct sb *b, const char *s, size_t n)
{
    sb_reserve(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

static void sb_puts(struct sb *b, const char *s)
{
    sb_putn(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        die("vsnprintf");
    sb_reserve(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

/* printable rendering of arbitrary bytes, for probe reports */
static void sb_bytes(struct sb *b, const char *s, size_t n)
{
    sb_putn(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
            sb_putn(b, (const char *)&c, 1);
        else
            sb_printf(b, "\\x%02x", c);
    }
    sb_putn(b, "\"", 1);
}

/* ------------------------------------------------------------------ */
/* --- deterministic event generator --- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static unsigned rnd(unsigned n)
{
    return (unsigned)(rng_next() % n);
}

#define PICK(arr) (arr[rnd(sizeof(arr) / sizeof(arr[0]))])

static const char *const TEAMS[] = {"billing", "support", "devops", "research",
                                    "sales",   "security", "data",  "hr"};
static const char *const WL_KIND[] = {"agent", "agent", "agent", "svc", "pipeline"};
static const char *const SOURCES[] = {"gateway", "mcp-proxy", "sidecar", "api-gw"};
static const char *const MODELS[] = {"gpt-4o", "claude-3-5-sonnet", "llama-3.1-70b",
                                     "mistral-large"};
static const char *const TOOLS[] = {"s3_reader", "sql_query", "github_client",
                                    "http_fetch", "jira_client", "shell_exec"};
static const char *const ACTIONS[] = {
    "s3:GetObject",      "s3:PutObject",      "s3:ListBucket",     "dynamodb:Query",
    "kms:Decrypt",       "secretsmanager:GetSecretValue",           "github:repo.read",
    "github:pr.write",   "jira:issue.create", "slack:chat.write",  "db:select",
    "db:update",         "vault:read",        "k8s:pods.list",     "k8s:secrets.get"};
static const char *const CRED_KINDS[] = {"token", "api_key", "certificate", "svid",
                                         "oauth_client", "secret"};
static const char *const WORDS[] = {
    "summarize", "the",      "quarterly", "invoice", "report",   "for",      "customer",
    "account",   "and",      "draft",     "an",      "email",    "to",       "finance",
    "team",      "about",    "overdue",   "payments", "list",    "open",     "tickets",
    "in",        "region",   "check",     "deployment", "status", "of",      "service",
    "rotate",    "keys",     "fetch",     "logs",    "from",     "bucket",   "compare",
    "with",      "last",     "week",      "please",  "only",     "use",      "read-only",
    "access",    "do",       "not",       "modify",  "production", "tables", "then",
    "post",      "a",        "short",     "update",  "channel",  "escalate", "if",
    "errors",    "exceed",   "threshold"};
/* JSON-escaped and raw non-ASCII fragments that real prompts contain */
static const char *const SPECIAL[] = {"\\\"Q3 close\\\"", "\\n", "caf\\u00e9",
                                      "na\xc3\xafve", "\xe2\x86\x92", "r\\u00e9sum\\u00e9",
                                      "\\t", "http:\\/\\/intranet\\/wiki", "\xf0\x9f\x94\x91"};

static void gen_hex(struct sb *b, unsigned n)
{
    static const char hx[] = "0123456789abcdef";
    char tmp[64];
    for (unsigned i = 0; i < n; i++)
        tmp[i] = hx[rnd(16)];
    sb_putn(b, tmp, n);
}

static void gen_prompt(struct sb *b, unsigned target)
{
    size_t start = b->n;
    bool first = true;
    while (b->n - start < target) {
        if (!first)
            sb_putn(b, " ", 1);
        first = false;
        if (rnd(12) == 0)
            sb_puts(b, PICK(SPECIAL));
        else
            sb_puts(b, PICK(WORDS));
    }
}

static void gen_ts(struct sb *b, unsigned i)
{
    unsigned day = 1 + (i / 20000) % 28, sec = i % 86400;
    if (rnd(10) == 0) {
        sb_printf(b, "%llu", 1740787200000ULL + (unsigned long long)i * 7919ULL % 86400000ULL);
        return;
    }
    sb_printf(b, "\"2025-03-%02uT%02u:%02u:%02u.%06u%s\"", day, sec / 3600, sec / 60 % 60,
              sec % 60, rnd(1000000), rnd(5) == 0 ? "+02:00" : "Z");
}

static void gen_resource(struct sb *b, const char *action)
{
    if (strncmp(action, "s3:", 3) == 0)
        sb_printf(b, "arn:aws:s3:::acme-%s-%02u/q%u/%s-%04u.csv", PICK(TEAMS),
                  rnd(40), 1 + rnd(4), PICK(TEAMS), rnd(10000));
    else if (strncmp(action, "kms:", 4) == 0 || strncmp(action, "secretsmanager:", 15) == 0 ||
             strncmp(action, "dynamodb:", 9) == 0) {
        sb_printf(b, "arn:aws:%.*s:eu-west-1:1234567890%02u:%s/", (int)strcspn(action, ":"),
                  action, rnd(100), action[0] == 'd' ? "table" : "key");
        gen_hex(b, 8);
        sb_putn(b, "-", 1);
        gen_hex(b, 4);
    } else if (strncmp(action, "github:", 7) == 0)
        sb_printf(b, "repo:acme/%s-service-%u", PICK(TEAMS), rnd(50));
    else if (strncmp(action, "k8s:", 4) == 0)
        sb_printf(b, "ns/%s-prod/pods/%s-%05x", PICK(TEAMS), PICK(TOOLS), rnd(0xfffff));
    else
        sb_printf(b, "%s/%s/%s_%u", action, PICK(TEAMS), PICK(WORDS), rnd(1000));
}

static void gen_perm(struct sb *b)
{
    const char *act = PICK(ACTIONS);
    sb_printf(b, "{\"action\":\"%s\",\"resource\":\"", act);
    gen_resource(b, act);
    sb_puts(b, "\"}");
}

enum ev_type { EV_ACTION, EV_GRANT, EV_ISSUED, EV_TASK_START, EV_TASK_DONE, EV_NTYPES };
static const char *const EV_NAMES[] = {"action.performed", "access.granted", "identity.issued",
                                       "task.started", "task.completed"};

static enum ev_type gen_event(struct sb *b, unsigned i)
{
    unsigned r = rnd(100);
    enum ev_type t = r < 62   ? EV_ACTION
                     : r < 80 ? EV_GRANT
                     : r < 90 ? EV_ISSUED
                     : r < 96 ? EV_TASK_START
                              : EV_TASK_DONE;
    b->n = 0;
    sb_puts(b, "{\"id\":\"evt_");
    gen_hex(b, 26);
    sb_puts(b, "\",\"ts\":");
    gen_ts(b, i);
    sb_printf(b, ",\"type\":\"%s\",\"workload\":\"%s-%s-%02u\"", EV_NAMES[t], PICK(WL_KIND),
              PICK(TEAMS), rnd(40));
    switch (t) {
    case EV_ACTION: {
        sb_puts(b, ",\"task\":\"task-");
        gen_hex(b, 12);
        sb_printf(b, "\",\"source\":\"%s\",\"credential\":{\"id\":\"cred_", PICK(SOURCES));
        gen_hex(b, 16);
        sb_printf(b, "\"%s},\"permission\":", rnd(2) ? ",\"kind\":\"token\"" : "");
        gen_perm(b);
        sb_printf(b, ",\"decision\":\"%s\",\"attrs\":{\"model\":\"%s\",\"tool\":\"%s\",\"prompt\":\"",
                  rnd(10) ? "allow" : "deny", PICK(MODELS), PICK(TOOLS));
        gen_prompt(b, 10 + rnd(30));
        sb_printf(b, "\",\"latency_ms\":%u,\"trace\":{\"span_id\":\"", rnd(3000));
        gen_hex(b, 16);
        sb_puts(b, "\"}}");
        break;
    }
    case EV_GRANT: {
        sb_printf(b, ",\"actor\":\"%s\",\"source\":\"iam-broker\"",
                  rnd(2) ? "iam-broker" : "alice@example.com");
        if (rnd(2)) {
            sb_puts(b, ",\"grant_id\":\"gr_");
            gen_hex(b, 12);
            sb_puts(b, "\"");
        }
        sb_puts(b, ",\"permissions\":[");
        unsigned k = 1 + rnd(3);
        for (unsigned j = 0; j < k; j++) {
            if (j)
                sb_putn(b, ",", 1);
            gen_perm(b);
        }
        sb_printf(b, "],\"expires_at\":\"2025-03-%02uT%02u:00:00Z\"", 1 + rnd(28), rnd(24));
        if (rnd(2)) {
            sb_puts(b, ",\"task\":\"task-");
            gen_hex(b, 12);
            sb_puts(b, "\"");
        }
        sb_printf(b, ",\"attrs\":{\"ticket\":\"CHG-%05u\",\"reason\":\"", rnd(100000));
        gen_prompt(b, 10 + rnd(30));
        sb_puts(b, "\",\"auto\":true}");
        break;
    }
    case EV_ISSUED:
        sb_puts(b, ",\"source\":\"vault\",\"credential\":{\"id\":\"cred_");
        gen_hex(b, 16);
        sb_printf(b, "\",\"kind\":\"%s\",\"expires_at\":\"2025-03-%02uT%02u:%02u:00Z\"}",
                  PICK(CRED_KINDS), 1 + rnd(28), rnd(24), rnd(60));
        sb_printf(b, ",\"attrs\":{\"issuer\":\"vault-pki-int\",\"ttl_s\":%u,\"serial\":\"",
                  3600 * (1 + rnd(24)));
        for (unsigned j = 0; j < 12; j++) {
            if (j)
                sb_putn(b, ":", 1);
            gen_hex(b, 2);
        }
        sb_puts(b, "\",\"policies\":[\"read-s3\",\"write-logs\",\"default\"],\"renewable\":false,"
                   "\"note\":null,\"request\":{\"remote_addr\":\"10.0.");
        sb_printf(b, "%u.%u\",\"user_agent\":\"vault-agent/1.15.%u\"}}", rnd(256), rnd(256),
                  rnd(6));
        break;
    case EV_TASK_START:
        sb_puts(b, ",\"task\":\"task-");
        gen_hex(b, 12);
        sb_puts(b, "\",\"actor\":\"orchestrator\",\"scope\":[");
        gen_perm(b);
        sb_putn(b, ",", 1);
        gen_perm(b);
        sb_printf(b, "],\"attrs\":{\"model\":\"%s\",\"parent_task\":null,\"prompt\":\"",
                  PICK(MODELS));
        gen_prompt(b, 40 + rnd(60));
        sb_puts(b, "\"}");
        break;
    case EV_TASK_DONE:
        sb_puts(b, ",\"task\":\"task-");
        gen_hex(b, 12);
        sb_printf(b, "\",\"status\":\"%s\",\"attrs\":{\"steps\":%u,\"duration_ms\":%u,\"summary\":\"",
                  rnd(8) ? "succeeded" : "failed", 1 + rnd(40), rnd(600000));
        gen_prompt(b, 80 + rnd(100));
        sb_puts(b, "\"}");
        break;
    default:
        break;
    }
    /* unknown top-level key: the collector keeps it in attrs */
    if (rnd(20) == 0)
        sb_printf(b, ",\"region\":\"eu-west-%u\"", 1 + rnd(3));
    sb_putn(b, "}", 1);
    return t;
}

struct corpus {
    size_t n;
    char **buf;
    size_t *len;
    size_t total, min_len, max_len;
    size_t per_type[EV_NTYPES];
};

static void corpus_make(struct corpus *c, size_t n, uint64_t seed)
{
    struct sb b = {0};
    rng_state = seed;
    memset(c, 0, sizeof *c);
    c->n = n;
    c->buf = xmalloc(n * sizeof *c->buf);
    c->len = xmalloc(n * sizeof *c->len);
    c->min_len = (size_t)-1;
    for (size_t i = 0; i < n; i++) {
        enum ev_type t = gen_event(&b, (unsigned)i);
        c->per_type[t]++;
        /* exact size, no NUL, no padding: like a Kafka payload */
        c->buf[i] = xmalloc(b.n);
        memcpy(c->buf[i], b.p, b.n);
        c->len[i] = b.n;
        c->total += b.n;
        if (b.n < c->min_len)
            c->min_len = b.n;
        if (b.n > c->max_len)
            c->max_len = b.n;
    }
    free(b.p);
}

/* ------------------------------------------------------------------ */
/* --- scratch buffers for parsers that need NUL or padding --- */

static char *g_nulbuf;
static size_t g_nulcap;

static const char *nul_copy(const char *buf, size_t len)
{
    if (len + 1 > g_nulcap) {
        g_nulcap = (len + 1) * 2;
        free(g_nulbuf);
        g_nulbuf = xmalloc(g_nulcap);
    }
    memcpy(g_nulbuf, buf, len);
    g_nulbuf[len] = 0;
    return g_nulbuf;
}

/* error text of the last failed event, for diagnostics */
static char g_err[512];

/* ------------------------------------------------------------------ */
/* --- baseline: touch every byte once --- */

static int ev_baseline(const char *buf, size_t len, uint64_t *out)
{
    *out = bench_hstr(buf, len);
    return 0;
}

/* ------------------------------------------------------------------ */
/* --- jansson --- */

static size_t g_jansson_flags;

static void jn_walk(json_t *v, struct bench_acc *a)
{
    a->nodes++;
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *c;
        json_object_foreach(v, k, c)
        {
            a->attrs += bench_hstr(k, strlen(k));
            jn_walk(c, a);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) jn_walk(c, a);
        break;
    }
    case JSON_STRING:
        a->attrs += bench_hstr(json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        a->attrs += bench_hint(json_integer_value(v));
        break;
    case JSON_REAL:
        a->attrs += bench_hdbl(json_real_value(v));
        break;
    case JSON_TRUE:
        a->attrs += BENCH_H_TRUE;
        break;
    case JSON_FALSE:
        a->attrs += BENCH_H_FALSE;
        break;
    case JSON_NULL:
        a->attrs += BENCH_H_NULL;
        break;
    }
}

static void jn_sub(json_t *v, int tag, struct bench_acc *a)
{
    const char *k;
    json_t *c;
    if (!json_is_object(v))
        return;
    json_object_foreach(v, k, c)
    {
        int sub = bench_sub_tag(k, strlen(k));
        if (sub != S_UNKNOWN && json_is_string(c))
            bench_field(a, tag, sub, bench_hstr(json_string_value(c), json_string_length(c)));
    }
}

static int ev_jansson(const char *buf, size_t len, uint64_t *out)
{
    json_error_t err;
    json_t *root = json_loadb(buf, len, g_jansson_flags, &err);
    if (!root) {
        snprintf(g_err, sizeof g_err, "%s (line %d col %d pos %d)", err.text, err.line,
                 err.column, err.position);
        return -1;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        snprintf(g_err, sizeof g_err, "root is not an object");
        return -1;
    }
    struct bench_acc a = {0, 0, 0};
    const char *k;
    json_t *v;
    json_object_foreach(root, k, v)
    {
        size_t kn = strlen(k);
        int tag = bench_top_tag(k, kn);
        switch (bench_kind(tag)) {
        case K_SCALAR:
            if (json_is_string(v))
                bench_field(&a, tag, 0, bench_hstr(json_string_value(v), json_string_length(v)));
            else if (tag == T_TS && json_is_integer(v))
                bench_field(&a, tag, 0, bench_hint(json_integer_value(v)));
            break;
        case K_OBJECT:
            jn_sub(v, tag, &a);
            break;
        case K_PERMLIST:
            if (json_is_array(v)) {
                size_t i;
                json_t *c;
                json_array_foreach(v, i, c) jn_sub(c, tag, &a);
            }
            break;
        default:
            if (tag == T_UNKNOWN)
                a.attrs += bench_hstr(k, kn);
            jn_walk(v, &a);
            break;
        }
    }
    json_decref(root);
    *out = bench_finish(&a);
    return 0;
}

/* ------------------------------------------------------------------ */
/* --- yajl tree --- */

static void yt_walk(yajl_val v, struct bench_acc *a)
{
    a->nodes++;
    switch (v->type) {
    case yajl_t_object:
        for (size_t i = 0; i < v->u.object.len; i++) {
            a->attrs += bench_hstr(v->u.object.keys[i], strlen(v->u.object.keys[i]));
            yt_walk(v->u.object.values[i], a);
        }
        break;
    case yajl_t_array:
        for (size_t i = 0; i < v->u.array.len; i++)
            yt_walk(v->u.array.values[i], a);
        break;
    case yajl_t_string:
        a->attrs += bench_hstr(v->u.string, strlen(v->u.string));
        break;
    case yajl_t_number:
        if (YAJL_IS_INTEGER(v))
            a->attrs += bench_hint(YAJL_GET_INTEGER(v));
        else
            a->attrs += bench_hdbl(v->u.number.d);
        break;
    case yajl_t_true:
        a->attrs += BENCH_H_TRUE;
        break;
    case yajl_t_false:
        a->attrs += BENCH_H_FALSE;
        break;
    case yajl_t_null:
        a->attrs += BENCH_H_NULL;
        break;
    default:
        break;
    }
}

static void yt_sub(yajl_val v, int tag, struct bench_acc *a)
{
    if (!YAJL_IS_OBJECT(v))
        return;
    for (size_t i = 0; i < v->u.object.len; i++) {
        const char *k = v->u.object.keys[i];
        yajl_val c = v->u.object.values[i];
        int sub = bench_sub_tag(k, strlen(k));
        if (sub != S_UNKNOWN && YAJL_IS_STRING(c))
            bench_field(a, tag, sub, bench_hstr(c->u.string, strlen(c->u.string)));
    }
}

static int ev_yajl_tree(const char *buf, size_t len, uint64_t *out)
{
    char errbuf[128];
    yajl_val root = yajl_tree_parse(nul_copy(buf, len), errbuf, sizeof errbuf);
    if (!root) {
        snprintf(g_err, sizeof g_err, "%s", errbuf);
        return -1;
    }
    if (!YAJL_IS_OBJECT(root)) {
        yajl_tree_free(root);
        snprintf(g_err, sizeof g_err, "root is not an object");
        return -1;
    }
    struct bench_acc a = {0, 0, 0};
    for (size_t i = 0; i < root->u.object.len; i++) {
        const char *k = root->u.object.keys[i];
        yajl_val v = root->u.object.values[i];
        size_t kn = strlen(k);
        int tag = bench_top_tag(k, kn);
        switch (bench_kind(tag)) {
        case K_SCALAR:
            if (YAJL_IS_STRING(v))
                bench_field(&a, tag, 0, bench_hstr(v->u.string, strlen(v->u.string)));
            else if (tag == T_TS && YAJL_IS_INTEGER(v))
                bench_field(&a, tag, 0, bench_hint(YAJL_GET_INTEGER(v)));
            break;
        case K_OBJECT:
            yt_sub(v, tag, &a);
            break;
        case K_PERMLIST:
            if (YAJL_IS_ARRAY(v))
                for (size_t j = 0; j < v->u.array.len; j++)
                    yt_sub(v->u.array.values[j], tag, &a);
            break;
        default:
            if (tag == T_UNKNOWN)
                a.attrs += bench_hstr(k, kn);
            yt_walk(v, &a);
            break;
        }
    }
    yajl_tree_free(root);
    *out = bench_finish(&a);
    return 0;
}

/* ------------------------------------------------------------------ */
/* --- yajl SAX: extraction straight from callbacks --- */

#define SAX_MAX_DEPTH 64 /* our own limit: yajl itself has none */

struct sax {
    struct bench_acc a;
    int depth;                         /* open containers; top-level map = 1 */
    unsigned char is_map[SAX_MAX_DEPTH];
    int top;                           /* tag of the current top-level key */
    int sub;                           /* tag of the current key at depth 2/3 */
};

static bool sax_in_attrs(const struct sax *s)
{
    return s->depth >= 1 && bench_kind(s->top) == K_ATTRS;
}

/* one scalar value: v is its hash, is_str/is_int say what it was */
static int sax_scalar(struct sax *s, uint64_t v, bool is_str, bool is_int)
{
    if (s->depth == 0)
        return 0; /* root must be an object */
    if (sax_in_attrs(s)) {
        s->a.attrs += v;
        s->a.nodes++;
        return 1;
    }
    int kind = bench_kind(s->top);
    if (s->depth == 1) {
        if (kind == K_SCALAR && (is_str || (is_int && s->top == T_TS)))
            bench_field(&s->a, s->top, 0, v);
    } else if (is_str && s->sub != S_UNKNOWN &&
               ((kind == K_OBJECT && s->depth == 2 && s->is_map[1]) ||
                (kind == K_PERMLIST && s->depth == 3 && !s->is_map[1] && s->is_map[2]))) {
        bench_field(&s->a, s->top, s->sub, v);
    }
    return 1;
}

static int sax_null(void *ctx)
{
    return sax_scalar(ctx, BENCH_H_NULL, false, false);
}

static int sax_bool(void *ctx, int b)
{
    return sax_scalar(ctx, b ? BENCH_H_TRUE : BENCH_H_FALSE, false, false);
}

static int sax_int(void *ctx, long long i)
{
    return sax_scalar(ctx, bench_hint(i), false, true);
}

static int sax_double(void *ctx, double d)
{
    return sax_scalar(ctx, bench_hdbl(d), false, false);
}

static int sax_string(void *ctx, const unsigned char *s, size_t n)
{
    return sax_scalar(ctx, bench_hstr((const char *)s, n), true, false);
}

static int sax_open(struct sax *s, bool is_map)
{
    if (s->depth >= SAX_MAX_DEPTH)
        return 0;
    if (s->depth == 0 && !is_map)
        return 0;
    if (sax_in_attrs(s))
        s->a.nodes++;
    s->is_map[s->depth++] = is_map;
    return 1;
}

static int sax_start_map(void *ctx)
{
    return sax_open(ctx, true);
}

static int sax_start_array(void *ctx)
{
    return sax_open(ctx, false);
}

static int sax_end(void *ctx)
{
    struct sax *s = ctx;
    s->depth--;
    return 1;
}

static int sax_key(void *ctx, const unsigned char *k, size_t n)
{
    struct sax *s = ctx;
    if (s->depth == 1) {
        s->top = bench_top_tag((const char *)k, n);
        if (s->top == T_UNKNOWN)
            s->a.attrs += bench_hstr((const char *)k, n);
    } else if (sax_in_attrs(s)) {
        s->a.attrs += bench_hstr((const char *)k, n);
    } else {
        s->sub = bench_sub_tag((const char *)k, n);
    }
    return 1;
}

static const yajl_callbacks sax_cb = {
    sax_null,      sax_bool, sax_int,     sax_double, NULL /* number */, sax_string,
    sax_start_map, sax_key,  sax_end,     sax_start_array, sax_end};

static void yajl_err_text(yajl_handle h, const char *buf, size_t len)
{
    unsigned char *e = yajl_get_error(h, 1, (const unsigned char *)buf, len);
    size_t at = yajl_get_bytes_consumed(h);
    snprintf(g_err, sizeof g_err, "%s [bytes consumed %zu]", (const char *)e, at);
    for (char *p = g_err; *p; p++)
        if (*p == '\n')
            *p = '|';
    yajl_free_error(h, e);
}

static int ev_yajl_sax(const char *buf, size_t len, uint64_t *out)
{
    struct sax s;
    memset(&s, 0, sizeof s);
    /* yajl 2.1 has no reset: one handle per event */
    yajl_handle h = yajl_alloc(&sax_cb, NULL, &s);
    if (!h)
        die("yajl_alloc");
    yajl_status st = yajl_parse(h, (const unsigned char *)buf, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st != yajl_status_ok) {
        yajl_err_text(h, buf, len);
        yajl_free(h);
        return -1;
    }
    yajl_free(h);
    *out = bench_finish(&s.a);
    return 0;
}

/*
 * The same with a bump allocator reset per event (yajl_alloc_funcs): shows
 * what the per-event yajl_alloc/yajl_free costs.
 */
struct arena {
    size_t used;
    size_t last; /* offset of the last block, for in-place realloc */
    _Alignas(16) unsigned char mem[1 << 16];
};

static struct arena g_arena;

static void *arena_malloc(void *ctx, size_t n)
{
    struct arena *a = ctx;
    size_t need = ((n + 15) & ~(size_t)15) + 16;
    if (a->used + need > sizeof a->mem)
        return NULL;
    unsigned char *p = a->mem + a->used;
    memcpy(p, &n, sizeof n);
    a->last = a->used;
    a->used += need;
    return p + 16;
}

static void *arena_realloc(void *ctx, void *ptr, size_t n)
{
    struct arena *a = ctx;
    if (!ptr)
        return arena_malloc(ctx, n);
    unsigned char *hdr = (unsigned char *)ptr - 16;
    size_t old;
    memcpy(&old, hdr, sizeof old);
    if ((size_t)(hdr - a->mem) == a->last) { /* last block: grow in place */
        size_t need = ((n + 15) & ~(size_t)15) + 16;
        if (a->last + need > sizeof a->mem)
            return NULL;
        a->used = a->last + need;
        memcpy(hdr, &n, sizeof n);
        return ptr;
    }
    void *q = arena_malloc(ctx, n);
    if (q)
        memcpy(q, ptr, old < n ? old : n);
    return q;
}

static void arena_free(void *ctx, void *ptr)
{
    (void)ctx;
    (void)ptr;
}

static yajl_alloc_funcs g_arena_funcs = {arena_malloc, arena_realloc, arena_free, &g_arena};

static int ev_yajl_sax_arena(const char *buf, size_t len, uint64_t *out)
{
    struct sax s;
    memset(&s, 0, sizeof s);
    g_arena.used = 0;
    g_arena.last = 0;
    yajl_handle h = yajl_alloc(&sax_cb, &g_arena_funcs, &s);
    if (!h)
        die("yajl_alloc");
    yajl_status st = yajl_parse(h, (const unsigned char *)buf, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st != yajl_status_ok) {
        yajl_err_text(h, buf, len);
        yajl_free(h);
        return -1;
    }
    yajl_free(h);
    *out = bench_finish(&s.a);
    return 0;
}

/* ------------------------------------------------------------------ */
/* --- yajl SAX -> msgpack (the planned design) --- */

/*
 * msgpack needs a container's element count before its elements, SAX only
 * knows it at the end: every map/array is written with a 5-byte map32/array32
 * header whose count is patched in at end_map/end_array.
 */
struct mpconv {
    msgpack_sbuffer sb;
    msgpack_packer pk;
    int depth;
    size_t off[SAX_MAX_DEPTH];
    uint32_t cnt[SAX_MAX_DEPTH];
    unsigned char is_map[SAX_MAX_DEPTH];
};

static void mpc_count(struct mpconv *c)
{
    if (c->depth > 0 && !c->is_map[c->depth - 1])
        c->cnt[c->depth - 1]++;
}

static int mpc_null(void *ctx)
{
    struct mpconv *c = ctx;
    mpc_count(c);
    return msgpack_pack_nil(&c->pk) == 0;
}

static int mpc_bool(void *ctx, int b)
{
    struct mpconv *c = ctx;
    mpc_count(c);
    return (b ? msgpack_pack_true(&c->pk) : msgpack_pack_false(&c->pk)) == 0;
}

static int mpc_int(void *ctx, long long i)
{
    struct mpconv *c = ctx;
    mpc_count(c);
    return msgpack_pack_int64(&c->pk, i) == 0;
}

static int mpc_double(void *ctx, double d)
{
    struct mpconv *c = ctx;
    mpc_count(c);
    return msgpack_pack_double(&c->pk, d) == 0;
}

static int mpc_string(void *ctx, const unsigned char *s, size_t n)
{
    struct mpconv *c = ctx;
    mpc_count(c);
    return msgpack_pack_str(&c->pk, n) == 0 && msgpack_pack_str_body(&c->pk, s, n) == 0;
}

static int mpc_key(void *ctx, const unsigned char *s, size_t n)
{
    struct mpconv *c = ctx;
    c->cnt[c->depth - 1]++;
    return msgpack_pack_str(&c->pk, n) == 0 && msgpack_pack_str_body(&c->pk, s, n) == 0;
}

static int mpc_open(struct mpconv *c, bool is_map)
{
    static const char hdr_map[5] = {(char)0xdf, 0, 0, 0, 0};
    static const char hdr_arr[5] = {(char)0xdd, 0, 0, 0, 0};
    mpc_count(c);
    if (c->depth >= SAX_MAX_DEPTH)
        return 0;
    c->off[c->depth] = c->sb.size;
    c->cnt[c->depth] = 0;
    c->is_map[c->depth] = is_map;
    c->depth++;
    return msgpack_sbuffer_write(&c->sb, is_map ? hdr_map : hdr_arr, 5) == 0;
}

static int mpc_start_map(void *ctx)
{
    return mpc_open(ctx, true);
}

static int mpc_start_array(void *ctx)
{
    return mpc_open(ctx, false);
}

static int mpc_end(void *ctx)
{
    struct mpconv *c = ctx;
    c->depth--;
    uint32_t n = c->cnt[c->depth];
    unsigned char *p = (unsigned char *)c->sb.data + c->off[c->depth] + 1;
    p[0] = (unsigned char)(n >> 24);
    p[1] = (unsigned char)(n >> 16);
    p[2] = (unsigned char)(n >> 8);
    p[3] = (unsigned char)n;
    return 1;
}

static const yajl_callbacks mpc_cb = {
    mpc_null,      mpc_bool, mpc_int, mpc_double,      NULL, mpc_string,
    mpc_start_map, mpc_key,  mpc_end, mpc_start_array, mpc_end};

static struct mpconv g_mpc;

static void mpc_init(void)
{
    msgpack_sbuffer_init(&g_mpc.sb);
    msgpack_packer_init(&g_mpc.pk, &g_mpc.sb, msgpack_sbuffer_write);
}

/* JSON -> msgpack into g_mpc.sb; 0 on success */
static int json_to_msgpack(const char *buf, size_t len)
{
    msgpack_sbuffer_clear(&g_mpc.sb);
    g_mpc.depth = 0;
    yajl_handle h = yajl_alloc(&mpc_cb, NULL, &g_mpc);
    if (!h)
        die("yajl_alloc");
    yajl_status st = yajl_parse(h, (const unsigned char *)buf, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st != yajl_status_ok) {
        yajl_err_text(h, buf, len);
        yajl_free(h);
        return -1;
    }
    yajl_free(h);
    return 0;
}

static int ev_yajl_to_msgpack(const char *buf, size_t len, uint64_t *out)
{
    if (json_to_msgpack(buf, len))
        return -1;
    *out = bench_mix64(g_mpc.sb.size) ^ (unsigned char)g_mpc.sb.data[g_mpc.sb.size - 1];
    return 0;
}

/* --- extraction from a msgpack_object tree --- */

static void mp_walk(const msgpack_object *o, struct bench_acc *a)
{
    a->nodes++;
    switch (o->type) {
    case MSGPACK_OBJECT_MAP:
        for (uint32_t i = 0; i < o->via.map.size; i++) {
            const msgpack_object_kv *kv = &o->via.map.ptr[i];
            if (kv->key.type == MSGPACK_OBJECT_STR)
                a->attrs += bench_hstr(kv->key.via.str.ptr, kv->key.via.str.size);
            mp_walk(&kv->val, a);
        }
        break;
    case MSGPACK_OBJECT_ARRAY:
        for (uint32_t i = 0; i < o->via.array.size; i++)
            mp_walk(&o->via.array.ptr[i], a);
        break;
    case MSGPACK_OBJECT_STR:
        a->attrs += bench_hstr(o->via.str.ptr, o->via.str.size);
        break;
    case MSGPACK_OBJECT_POSITIVE_INTEGER:
        a->attrs += bench_hint((int64_t)o->via.u64);
        break;
    case MSGPACK_OBJECT_NEGATIVE_INTEGER:
        a->attrs += bench_hint(o->via.i64);
        break;
    case MSGPACK_OBJECT_FLOAT32:
    case MSGPACK_OBJECT_FLOAT64:
        a->attrs += bench_hdbl(o->via.f64);
        break;
    case MSGPACK_OBJECT_BOOLEAN:
        a->attrs += o->via.boolean ? BENCH_H_TRUE : BENCH_H_FALSE;
        break;
    case MSGPACK_OBJECT_NIL:
        a->attrs += BENCH_H_NULL;
        break;
    default:
        break;
    }
}

static void mp_sub(const msgpack_object *o, int tag, struct bench_acc *a)
{
    if (o->type != MSGPACK_OBJECT_MAP)
        return;
    for (uint32_t i = 0; i < o->via.map.size; i++) {
        const msgpack_object_kv *kv = &o->via.map.ptr[i];
        if (kv->key.type != MSGPACK_OBJECT_STR || kv->val.type != MSGPACK_OBJECT_STR)
            continue;
        int sub = bench_sub_tag(kv->key.via.str.ptr, kv->key.via.str.size);
        if (sub != S_UNKNOWN)
            bench_field(a, tag, sub, bench_hstr(kv->val.via.str.ptr, kv->val.via.str.size));
    }
}

static msgpack_unpacked g_unp;

static int mp_extract(const char *buf, size_t len, uint64_t *out)
{
    size_t off = 0;
    if (msgpack_unpack_next(&g_unp, buf, len, &off) != MSGPACK_UNPACK_SUCCESS || off != len) {
        snprintf(g_err, sizeof g_err, "msgpack_unpack_next failed");
        return -1;
    }
    const msgpack_object *root = &g_unp.data;
    if (root->type != MSGPACK_OBJECT_MAP) {
        snprintf(g_err, sizeof g_err, "root is not a map");
        return -1;
    }
    struct bench_acc a = {0, 0, 0};
    for (uint32_t i = 0; i < root->via.map.size; i++) {
        const msgpack_object *k = &root->via.map.ptr[i].key, *v = &root->via.map.ptr[i].val;
        if (k->type != MSGPACK_OBJECT_STR)
            continue;
        int tag = bench_top_tag(k->via.str.ptr, k->via.str.size);
        switch (bench_kind(tag)) {
        case K_SCALAR:
            if (v->type == MSGPACK_OBJECT_STR)
                bench_field(&a, tag, 0, bench_hstr(v->via.str.ptr, v->via.str.size));
            else if (tag == T_TS && v->type == MSGPACK_OBJECT_POSITIVE_INTEGER)
                bench_field(&a, tag, 0, bench_hint((int64_t)v->via.u64));
            else if (tag == T_TS && v->type == MSGPACK_OBJECT_NEGATIVE_INTEGER)
                bench_field(&a, tag, 0, bench_hint(v->via.i64));
            break;
        case K_OBJECT:
            mp_sub(v, tag, &a);
            break;
        case K_PERMLIST:
            if (v->type == MSGPACK_OBJECT_ARRAY)
                for (uint32_t j = 0; j < v->via.array.size; j++)
                    mp_sub(&v->via.array.ptr[j], tag, &a);
            break;
        default:
            if (tag == T_UNKNOWN)
                a.attrs += bench_hstr(k->via.str.ptr, k->via.str.size);
            mp_walk(v, &a);
            break;
        }
    }
    *out = bench_finish(&a);
    return 0;
}

static int ev_yajl_msgpack_extract(const char *buf, size_t len, uint64_t *out)
{
    if (json_to_msgpack(buf, len))
        return -1;
    return mp_extract(g_mpc.sb.data, g_mpc.sb.size, out);
}

/* ------------------------------------------------------------------ */
/* --- extraction straight from msgpack bytes (no msgpack_object tree) --- */

/*
 * A minimal reader over msgpack bytes: what a validator could use instead
 * of msgpack_unpack_next(), which builds a tree in a zone first.
 */
struct mpr {
    const unsigned char *p, *end;
    int depth;
};

enum mpv_type { MPV_NIL, MPV_BOOL, MPV_INT, MPV_UINT, MPV_DBL, MPV_STR, MPV_BIN, MPV_ARR, MPV_MAP };

struct mpv {
    enum mpv_type t;
    uint32_t n; /* str/bin length, container count */
    const char *s;
    int64_t i;
    uint64_t u;
    double d;
    bool b;
};

static bool mpr_take(struct mpr *r, size_t n, const unsigned char **q)
{
    if ((size_t)(r->end - r->p) < n)
        return false;
    *q = r->p;
    r->p += n;
    return true;
}

static uint64_t be(const unsigned char *q, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | q[i];
    return v;
}

/* read one header (and a string's body); false on truncated or unsupported input */
static bool mpr_next(struct mpr *r, struct mpv *v)
{
    const unsigned char *q;
    if (!mpr_take(r, 1, &q))
        return false;
    unsigned c = q[0];
    int ln = 0;
    if (c <= 0x7f) {
        v->t = MPV_UINT;
        v->u = c;
        return true;
    }
    if (c >= 0xe0) {
        v->t = MPV_INT;
        v->i = (int8_t)c;
        return true;
    }
    if ((c & 0xf0) == 0x80) {
        v->t = MPV_MAP;
        v->n = c & 0x0f;
        return true;
    }
    if ((c & 0xf0) == 0x90) {
        v->t = MPV_ARR;
        v->n = c & 0x0f;
        return true;
    }
    if ((c & 0xe0) == 0xa0) {
        v->t = MPV_STR;
        v->n = c & 0x1f;
        goto body;
    }
    switch (c) {
    case 0xc0:
        v->t = MPV_NIL;
        return true;
    case 0xc2:
    case 0xc3:
        v->t = MPV_BOOL;
        v->b = c == 0xc3;
        return true;
    case 0xcc: case 0xcd: case 0xce: case 0xcf:
        ln = 1 << (c - 0xcc);
        if (!mpr_take(r, (size_t)ln, &q))
            return false;
        v->t = MPV_UINT;
        v->u = be(q, ln);
        return true;
    case 0xd0: case 0xd1: case 0xd2: case 0xd3:
        ln = 1 << (c - 0xd0);
        if (!mpr_take(r, (size_t)ln, &q))
            return false;
        v->t = MPV_INT;
        v->i = ln == 1 ? (int8_t)q[0] : ln == 2 ? (int16_t)be(q, 2) : ln == 4 ? (int32_t)be(q, 4)
                                                                              : (int64_t)be(q, 8);
        return true;
    case 0xca: {
        if (!mpr_take(r, 4, &q))
            return false;
        uint32_t w = (uint32_t)be(q, 4);
        float f;
        memcpy(&f, &w, 4);
        v->t = MPV_DBL;
        v->d = f;
        return true;
    }
    case 0xcb: {
        if (!mpr_take(r, 8, &q))
            return false;
        uint64_t w = be(q, 8);
        memcpy(&v->d, &w, 8);
        v->t = MPV_DBL;
        return true;
    }
    case 0xd9: case 0xda: case 0xdb:
        ln = 1 << (c - 0xd9);
        if (!mpr_take(r, (size_t)ln, &q))
            return false;
        v->t = MPV_STR;
        v->n = (uint32_t)be(q, ln);
        goto body;
    case 0xc4: case 0xc5: case 0xc6:
        ln = 1 << (c - 0xc4);
        if (!mpr_take(r, (size_t)ln, &q))
            return false;
        v->t = MPV_BIN;
        v->n = (uint32_t)be(q, ln);
        goto body;
    case 0xdc: case 0xdd:
        ln = c == 0xdc ? 2 : 4;
        if (!mpr_take(r, (size_t)ln, &q))
            return false;
        v->t = MPV_ARR;
        v->n = (uint32_t)be(q, ln);
        return true;
    case 0xde: case 0xdf:
        ln = c == 0xde ? 2 : 4;
        if (!mpr_take(r, (size_t)ln, &q))
            return false;
        v->t = MPV_MAP;
        v->n = (uint32_t)be(q, ln);
        return true;
    default:
        return false; /* ext types: not produced from JSON */
    }
body:
    if (!mpr_take(r, v->n, &q))
        return false;
    v->s = (const char *)q;
    return true;
}

/* walk one value into a->attrs (also used to skip) */
static bool mpr_walk(struct mpr *r, struct bench_acc *a)
{
    struct mpv v;
    if (!mpr_next(r, &v))
        return false;
    a->nodes++;
    switch (v.t) {
    case MPV_MAP:
        if (++r->depth > SAX_MAX_DEPTH)
            return false;
        for (uint32_t i = 0; i < v.n; i++) {
            struct mpv k;
            if (!mpr_next(r, &k) || k.t != MPV_STR)
                return false;
            a->attrs += bench_hstr(k.s, k.n);
            if (!mpr_walk(r, a))
                return false;
        }
        r->depth--;
        return true;
    case MPV_ARR:
        if (++r->depth > SAX_MAX_DEPTH)
            return false;
        for (uint32_t i = 0; i < v.n; i++)
            if (!mpr_walk(r, a))
                return false;
        r->depth--;
        return true;
    case MPV_STR:
        a->attrs += bench_hstr(v.s, v.n);
        return true;
    case MPV_UINT:
        a->attrs += bench_hint((int64_t)v.u);
        return true;
    case MPV_INT:
        a->attrs += bench_hint(v.i);
        return true;
    case MPV_DBL:
        a->attrs += bench_hdbl(v.d);
        return true;
    case MPV_BOOL:
        a->attrs += v.b ? BENCH_H_TRUE : BENCH_H_FALSE;
        return true;
    case MPV_NIL:
        a->attrs += BENCH_H_NULL;
        return true;
    default:
        return false;
    }
}

static bool mpr_skip_rest(struct mpr *r, const struct mpv *v)
{
    struct bench_acc junk = {0, 0, 0};
    uint32_t items = v->t == MPV_MAP ? 2 * v->n : v->t == MPV_ARR ? v->n : 0;
    for (uint32_t i = 0; i < items; i++)
        if (!mpr_walk(r, &junk))
            return false;
    return true;
}

static bool mpr_sub(struct mpr *r, int tag, struct bench_acc *a)
{
    struct mpv v;
    if (!mpr_next(r, &v))
        return false;
    if (v.t != MPV_MAP)
        return mpr_skip_rest(r, &v);
    for (uint32_t i = 0; i < v.n; i++) {
        struct mpv k, x;
        if (!mpr_next(r, &k) || k.t != MPV_STR || !mpr_next(r, &x))
            return false;
        int sub = bench_sub_tag(k.s, k.n);
        if (x.t == MPV_STR && sub != S_UNKNOWN)
            bench_field(a, tag, sub, bench_hstr(x.s, x.n));
        else if (!mpr_skip_rest(r, &x))
            return false;
    }
    return true;
}

static int mpr_extract(const char *buf, size_t len, uint64_t *out)
{
    struct mpr r = {(const unsigned char *)buf, (const unsigned char *)buf + len, 1};
    struct mpv root;
    struct bench_acc a = {0, 0, 0};
    if (!mpr_next(&r, &root) || root.t != MPV_MAP)
        goto bad;
    for (uint32_t i = 0; i < root.n; i++) {
        struct mpv k;
        if (!mpr_next(&r, &k) || k.t != MPV_STR)
            goto bad;
        int tag = bench_top_tag(k.s, k.n);
        switch (bench_kind(tag)) {
        case K_SCALAR: {
            struct mpv x;
            if (!mpr_next(&r, &x))
                goto bad;
            if (x.t == MPV_STR)
                bench_field(&a, tag, 0, bench_hstr(x.s, x.n));
            else if (tag == T_TS && x.t == MPV_UINT)
                bench_field(&a, tag, 0, bench_hint((int64_t)x.u));
            else if (tag == T_TS && x.t == MPV_INT)
                bench_field(&a, tag, 0, bench_hint(x.i));
            else if (!mpr_skip_rest(&r, &x))
                goto bad;
            break;
        }
        case K_OBJECT:
            if (!mpr_sub(&r, tag, &a))
                goto bad;
            break;
        case K_PERMLIST: {
            struct mpv x;
            if (!mpr_next(&r, &x))
                goto bad;
            if (x.t != MPV_ARR) {
                if (!mpr_skip_rest(&r, &x))
                    goto bad;
                break;
            }
            for (uint32_t j = 0; j < x.n; j++)
                if (!mpr_sub(&r, tag, &a))
                    goto bad;
            break;
        }
        default:
            if (tag == T_UNKNOWN)
                a.attrs += bench_hstr(k.s, k.n);
            if (!mpr_walk(&r, &a))
                goto bad;
            break;
        }
    }
    if (r.p != r.end)
        goto bad;
    *out = bench_finish(&a);
    return 0;
bad:
    snprintf(g_err, sizeof g_err, "malformed msgpack at offset %td", (const char *)r.p - buf);
    return -1;
}

static int ev_yajl_msgpack_cursor(const char *buf, size_t len, uint64_t *out)
{
    if (json_to_msgpack(buf, len))
        return -1;
    return mpr_extract(g_mpc.sb.data, g_mpc.sb.size, out);
}

#ifdef HAVE_SIMDJSON
static int ev_sj_dom_msgpack(const char *buf, size_t len, uint64_t *out)
{
    const char *mp;
    size_t mplen;
    int e = sj_base_dom_to_msgpack(buf, len, &mp, &mplen);
    if (e) {
        snprintf(g_err, sizeof g_err, "%s", sj_base_strerror(e));
        return -1;
    }
    *out = bench_mix64(mplen) ^ (unsigned char)mp[mplen - 1];
    return 0;
}

static int ev_sj_dom_msgpack_cursor(const char *buf, size_t len, uint64_t *out)
{
    const char *mp;
    size_t mplen;
    int e = sj_base_dom_to_msgpack(buf, len, &mp, &mplen);
    if (e) {
        snprintf(g_err, sizeof g_err, "%s", sj_base_strerror(e));
        return -1;
    }
    return mpr_extract(mp, mplen, out);
}
#endif

/* ------------------------------------------------------------------ */
/* --- json-c (jsonc_part.c) --- */

static int ev_jsonc(const char *buf, size_t len, uint64_t *out)
{
    return jc_event(0, buf, len, out, g_err, sizeof g_err);
}

static int ev_jsonc_utf8(const char *buf, size_t len, uint64_t *out)
{
    return jc_event(1, buf, len, out, g_err, sizeof g_err);
}

/* ------------------------------------------------------------------ */
/* --- cJSON --- */

static void cj_walk(const cJSON *v, struct bench_acc *a)
{
    a->nodes++;
    if (cJSON_IsObject(v)) {
        for (const cJSON *c = v->child; c; c = c->next) {
            a->attrs += bench_hstr(c->string, strlen(c->string));
            cj_walk(c, a);
        }
    } else if (cJSON_IsArray(v)) {
        for (const cJSON *c = v->child; c; c = c->next)
            cj_walk(c, a);
    } else if (cJSON_IsString(v)) {
        a->attrs += bench_hstr(v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsNumber(v)) {
        a->attrs += bench_hnum(v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        a->attrs += cJSON_IsTrue(v) ? BENCH_H_TRUE : BENCH_H_FALSE;
    } else if (cJSON_IsNull(v)) {
        a->attrs += BENCH_H_NULL;
    }
}

static void cj_sub(const cJSON *v, int tag, struct bench_acc *a)
{
    if (!cJSON_IsObject(v))
        return;
    for (const cJSON *c = v->child; c; c = c->next) {
        int sub = bench_sub_tag(c->string, strlen(c->string));
        if (sub != S_UNKNOWN && cJSON_IsString(c))
            bench_field(a, tag, sub, bench_hstr(c->valuestring, strlen(c->valuestring)));
    }
}

static int ev_cjson(const char *buf, size_t len, uint64_t *out)
{
    cJSON *root = cJSON_ParseWithLength(buf, len);
    if (!root) {
        const char *ep = cJSON_GetErrorPtr();
        snprintf(g_err, sizeof g_err, "parse error near offset %td", ep ? ep - buf : -1);
        return -1;
    }
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        snprintf(g_err, sizeof g_err, "root is not an object");
        return -1;
    }
    struct bench_acc a = {0, 0, 0};
    for (const cJSON *v = root->child; v; v = v->next) {
        size_t kn = strlen(v->string);
        int tag = bench_top_tag(v->string, kn);
        switch (bench_kind(tag)) {
        case K_SCALAR:
            if (cJSON_IsString(v))
                bench_field(&a, tag, 0, bench_hstr(v->valuestring, strlen(v->valuestring)));
            else if (tag == T_TS && cJSON_IsNumber(v))
                bench_field(&a, tag, 0, bench_hnum(v->valuedouble));
            break;
        case K_OBJECT:
            cj_sub(v, tag, &a);
            break;
        case K_PERMLIST:
            if (cJSON_IsArray(v))
                for (const cJSON *c = v->child; c; c = c->next)
                    cj_sub(c, tag, &a);
            break;
        default:
            if (tag == T_UNKNOWN)
                a.attrs += bench_hstr(v->string, kn);
            cj_walk(v, &a);
            break;
        }
    }
    cJSON_Delete(root);
    *out = bench_finish(&a);
    return 0;
}

/* ------------------------------------------------------------------ */
/* --- simdjson wrappers --- */

#ifdef HAVE_SIMDJSON
static int ev_sj_od(const char *buf, size_t len, uint64_t *out)
{
    int e = sj_base_od_event(buf, len, out);
    if (e)
        snprintf(g_err, sizeof g_err, "%s", sj_base_strerror(e));
    return e ? -1 : 0;
}

static int ev_sj_dom(const char *buf, size_t len, uint64_t *out)
{
    int e = sj_base_dom_event(buf, len, out);
    if (e)
        snprintf(g_err, sizeof g_err, "%s", sj_base_strerror(e));
    return e ? -1 : 0;
}

#ifdef HAVE_SIMDJSON_HASWELL
static int ev_sj_od_hsw(const char *buf, size_t len, uint64_t *out)
{
    int e = sj_hsw_od_event(buf, len, out);
    if (e)
        snprintf(g_err, sizeof g_err, "%s", sj_hsw_strerror(e));
    return e ? -1 : 0;
}
#endif
#endif

/* ------------------------------------------------------------------ */
/* --- benchmark driver --- */

typedef int (*event_fn)(const char *buf, size_t len, uint64_t *out);

struct variant {
    const char *name;
    const char *what;
    event_fn fn;
    bool extracts; /* does the full extraction: checksum must match the others */
};

static struct variant g_variants[32];
static size_t g_nvariants;

static void add_variant(const char *name, const char *what, event_fn fn, bool extracts)
{
    g_variants[g_nvariants++] = (struct variant){name, what, fn, extracts};
}

struct result {
    double best_s, worst_s;
    uint64_t checksum;
    double allocs_per_event;
};

/* one timed pass over the corpus; returns seconds */
static double time_pass(const struct variant *v, const struct corpus *c, uint64_t *checksum)
{
    uint64_t sum = 0;
    double t0 = now_s();
    for (size_t i = 0; i < c->n; i++) {
        uint64_t h = 0;
        if (v->fn(c->buf[i], c->len[i], &h) != 0)
            die("%s failed on event %zu: %s\n  %.*s", v->name, i, g_err, (int)c->len[i],
                c->buf[i]);
        sum += h;
    }
    *checksum = sum;
    return now_s() - t0;
}

/* separate, untimed pass: heap allocations per event */
static double count_allocs(const struct variant *v, const struct corpus *c)
{
    size_t n = c->n < 10000 ? c->n : 10000;
    uint64_t junk;
    g_allocs = 0;
    g_count_allocs = 1;
    for (size_t i = 0; i < n; i++)
        (void)v->fn(c->buf[i], c->len[i], &junk);
    g_count_allocs = 0;
    return (double)g_allocs / (double)n;
}

/* msgpack input path: pre-converted events */
static struct corpus g_mp_corpus;

static int ev_msgpack_only(const char *buf, size_t len, uint64_t *out)
{
    return mp_extract(buf, len, out);
}

static int ev_msgpack_cursor_only(const char *buf, size_t len, uint64_t *out)
{
    return mpr_extract(buf, len, out);
}

static void make_msgpack_corpus(const struct corpus *c)
{
    g_mp_corpus = *c;
    g_mp_corpus.buf = xmalloc(c->n * sizeof(char *));
    g_mp_corpus.len = xmalloc(c->n * sizeof(size_t));
    g_mp_corpus.total = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (json_to_msgpack(c->buf[i], c->len[i]))
            die("json_to_msgpack: %s", g_err);
        g_mp_corpus.buf[i] = xmalloc(g_mpc.sb.size);
        memcpy(g_mp_corpus.buf[i], g_mpc.sb.data, g_mpc.sb.size);
        g_mp_corpus.len[i] = g_mpc.sb.size;
        g_mp_corpus.total += g_mpc.sb.size;
    }
}

/* ------------------------------------------------------------------ */
/* --- robustness probes --- */

/* each probe parses (buf,len) and describes what the application sees of key "a" */
typedef void (*probe_fn)(const char *buf, size_t len, struct sb *out);

static void probe_jansson_flags(const char *buf, size_t len, struct sb *o, size_t flags)
{
    json_error_t err;
    json_t *root = json_loadb(buf, len, flags, &err);
    if (!root) {
        sb_printf(o, "error: %s (line %d, column %d, position %d)", err.text, err.line,
                  err.column, err.position);
        return;
    }
    sb_puts(o, "ok: ");
    json_t *a = json_is_object(root) ? json_object_get(root, "a") : NULL;
    if (a) {
        sb_puts(o, "a=");
        switch (json_typeof(a)) {
        case JSON_STRING:
            sb_printf(o, "string(len %zu) ", json_string_length(a));
            sb_bytes(o, json_string_value(a), json_string_length(a));
            break;
        case JSON_INTEGER:
            sb_printf(o, "int %" JSON_INTEGER_FORMAT, json_integer_value(a));
            break;
        case JSON_REAL:
            sb_printf(o, "real %.17g", json_real_value(a));
            break;
        default:
            sb_puts(o, "other");
            break;
        }
        sb_puts(o, "; ");
    }
    if (json_is_object(root))
        sb_printf(o, "members=%zu", json_object_size(root));
    json_decref(root);
}

static void probe_jansson(const char *buf, size_t len, struct sb *o)
{
    probe_jansson_flags(buf, len, o, 0);
}

static void probe_jansson_strict(const char *buf, size_t len, struct sb *o)
{
    probe_jansson_flags(buf, len, o, JSON_REJECT_DUPLICATES);
}

static void probe_yajl_tree(const char *buf, size_t len, struct sb *o)
{
    char errbuf[512];
    yajl_val root = yajl_tree_parse(nul_copy(buf, len), errbuf, sizeof errbuf);
    if (!root) {
        for (char *p = errbuf; *p; p++)
            if (*p == '\n')
                *p = '|';
        sb_printf(o, "error: %s", errbuf);
        return;
    }
    sb_puts(o, "ok: ");
    if (YAJL_IS_OBJECT(root)) {
        const char *path[] = {"a", NULL};
        yajl_val a = yajl_tree_get(root, path, yajl_t_any);
        if (a) {
            sb_puts(o, "a(yajl_tree_get)=");
            if (YAJL_IS_STRING(a)) {
                sb_printf(o, "string(strlen %zu) ", strlen(a->u.string));
                sb_bytes(o, a->u.string, strlen(a->u.string));
            } else if (YAJL_IS_NUMBER(a)) {
                sb_printf(o, "number text \"%s\" int_valid=%d", a->u.number.r,
                          YAJL_IS_INTEGER(a) ? 1 : 0);
                if (YAJL_IS_INTEGER(a))
                    sb_printf(o, " i=%lld", YAJL_GET_INTEGER(a));
                if (YAJL_IS_DOUBLE(a))
                    sb_printf(o, " d=%.17g", a->u.number.d);
            } else {
                sb_puts(o, "other");
            }
            sb_puts(o, "; ");
        }
        sb_printf(o, "members=%zu", root->u.object.len);
    }
    yajl_tree_free(root);
}

/* SAX probe: log the callbacks */
static int ps_null(void *ctx)
{
    sb_puts(ctx, "null ");
    return 1;
}

static int ps_bool(void *ctx, int b)
{
    sb_puts(ctx, b ? "true " : "false ");
    return 1;
}

static int ps_int(void *ctx, long long i)
{
    sb_printf(ctx, "int(%lld) ", i);
    return 1;
}

static int ps_double(void *ctx, double d)
{
    sb_printf(ctx, "double(%.17g) ", d);
    return 1;
}

static int ps_string(void *ctx, const unsigned char *s, size_t n)
{
    sb_printf(ctx, "string(len %zu ", n);
    sb_bytes(ctx, (const char *)s, n);
    sb_puts(ctx, ") ");
    return 1;
}

static int ps_key(void *ctx, const unsigned char *s, size_t n)
{
    sb_puts(ctx, "key");
    sb_bytes(ctx, (const char *)s, n);
    sb_puts(ctx, " ");
    return 1;
}

static int ps_sm(void *ctx)
{
    sb_puts(ctx, "{ ");
    return 1;
}

static int ps_em(void *ctx)
{
    sb_puts(ctx, "} ");
    return 1;
}

static int ps_sa(void *ctx)
{
    sb_puts(ctx, "[ ");
    return 1;
}

static int ps_ea(void *ctx)
{
    sb_puts(ctx, "] ");
    return 1;
}

static const yajl_callbacks ps_cb = {ps_null, ps_bool, ps_int, ps_double, NULL, ps_string,
                                     ps_sm,   ps_key,  ps_em,  ps_sa,     ps_ea};

static void probe_yajl_sax(const char *buf, size_t len, struct sb *o)
{
    struct sb ev = {0};
    sb_puts(&ev, "");
    yajl_handle h = yajl_alloc(&ps_cb, NULL, &ev);
    yajl_status st = yajl_parse(h, (const unsigned char *)buf, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st != yajl_status_ok) {
        yajl_err_text(h, buf, len);
        sb_printf(o, "error: %s; callbacks before the error: %s", g_err, ev.p);
    } else {
        sb_printf(o, "ok: callbacks: %s", ev.p);
    }
    yajl_free(h);
    free(ev.p);
}

static void probe_jsonc(const char *buf, size_t len, struct sb *o)
{
    char tmp[2048];
    jc_probe(buf, len, 0, tmp, sizeof tmp);
    sb_puts(o, tmp);
}

static void probe_jsonc_strict(const char *buf, size_t len, struct sb *o)
{
    char tmp[2048];
    jc_probe(buf, len, 1, tmp, sizeof tmp);
    sb_puts(o, tmp);
}

static void probe_cjson(const char *buf, size_t len, struct sb *o)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(buf, len, &end, 0);
    if (!root) {
        const char *ep = cJSON_GetErrorPtr();
        sb_printf(o, "error: (no message) cJSON_GetErrorPtr = offset %td", ep ? ep - buf : -1);
        return;
    }
    sb_puts(o, "ok: ");
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, "a");
    if (a) {
        sb_puts(o, "a=");
        if (cJSON_IsString(a)) {
            sb_printf(o, "string(strlen %zu) ", strlen(a->valuestring));
            sb_bytes(o, a->valuestring, strlen(a->valuestring));
        } else if (cJSON_IsNumber(a)) {
            sb_printf(o, "number valuedouble=%.17g valueint=%d", a->valuedouble, a->valueint);
        } else {
            sb_puts(o, "other");
        }
        sb_puts(o, "; ");
    }
    if (cJSON_IsObject(root))
        sb_printf(o, "members=%d", cJSON_GetArraySize(root));
    if (end && (size_t)(end - buf) != len)
        sb_printf(o, "; NOTE: parse ended at offset %td of %zu (rest ignored)", end - buf, len);
    cJSON_Delete(root);
}

#ifdef HAVE_SIMDJSON
static void probe_sj_od(const char *buf, size_t len, struct sb *o)
{
    sb_puts(o, sj_base_probe_od(buf, len));
}

static void probe_sj_dom(const char *buf, size_t len, struct sb *o)
{
    sb_puts(o, sj_base_probe_dom(buf, len));
}
#endif

struct prober {
    const char *name;
    probe_fn fn;
};

static const struct prober PROBERS[] = {
    {"jansson (flags 0)", probe_jansson},
    {"jansson (JSON_REJECT_DUPLICATES)", probe_jansson_strict},
    {"yajl tree", probe_yajl_tree},
    {"yajl SAX (default config, integer+double callbacks)", probe_yajl_sax},
    {"json-c (flags 0)", probe_jsonc},
    {"json-c (STRICT|VALIDATE_UTF8)", probe_jsonc_strict},
    {"cJSON (ParseWithLengthOpts)", probe_cjson},
#ifdef HAVE_SIMDJSON
    {"simdjson ondemand", probe_sj_od},
    {"simdjson DOM", probe_sj_dom},
#endif
};
#define NPROBERS (sizeof PROBERS / sizeof PROBERS[0])

struct probe_case {
    const char *name;
    const char *json; /* may contain NUL: length given by sizeof */
    size_t len;
};

#define CASE(name, lit) {name, lit, sizeof(lit) - 1}
static const struct probe_case CASES[] = {
    CASE("utf8: invalid byte 0xff", "{\"a\":\"\xff\"}"),
    CASE("utf8: overlong '/' (c0 af)", "{\"a\":\"\xc0\xaf\"}"),
    CASE("utf8: encoded surrogate (ed a0 80)", "{\"a\":\"\xed\xa0\x80\"}"),
    CASE("utf8: truncated sequence (e2 82)", "{\"a\":\"\xe2\x82\"}"),
    CASE("escape: lone surrogate \\ud800", "{\"a\":\"\\ud800\"}"),
    CASE("escape: \\u0000 inside string", "{\"a\":\"x\\u0000y\"}"),
    CASE("raw control char 0x01 in string", "{\"a\":\"x\x01y\"}"),
    CASE("duplicate keys", "{\"a\":1,\"a\":2}"),
    CASE("int64 max", "{\"a\":9223372036854775807}"),
    CASE("int64 max + 1", "{\"a\":9223372036854775808}"),
    CASE("int64 min - 1", "{\"a\":-9223372036854775809}"),
    CASE("2^64", "{\"a\":18446744073709551616}"),
    CASE("30-digit integer", "{\"a\":123456789012345678901234567890}"),
    CASE("double overflow 1e400", "{\"a\":1e400}"),
    CASE("NaN literal", "{\"a\":NaN}"),
    CASE("trailing comma", "{\"a\":1,}"),
    CASE("single quotes", "{'a':1}"),
    CASE("leading zero", "{\"a\":01}"),
    CASE("comment", "{\"a\":1/*c*/}"),
    CASE("trailing garbage", "{\"a\":1} x"),
    CASE("two documents", "{\"a\":1}{\"a\":2}"),
    CASE("truncated", "{\"a\":\"x"),
    CASE("error position (bad literal `tru` at offset 50, line 2 column 8)",
         "{\"id\":\"evt_1\",\"ts\":\"2025-01-01T00:00:00Z\",\n\"type\":tru}"),
};
#define NCASES (sizeof CASES / sizeof CASES[0])

/*
 * Run fn in a child process so that a crash (stack overflow on deep input)
 * is reported instead of killing the benchmark. Returns the child's text;
 * *crash gets the signal number or 0.
 */
typedef void (*child_fn)(const void *arg, struct sb *out);

static char *run_forked(child_fn fn, const void *arg, int *crash, int *exit_code)
{
    int fds[2];
    if (pipe(fds))
        die("pipe: %s", strerror(errno));
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        close(fds[0]);
        struct sb out = {0};
        sb_puts(&out, "");
        fn(arg, &out);
        size_t off = 0;
        while (off < out.n) {
            ssize_t w = write(fds[1], out.p + off, out.n - off);
            if (w <= 0)
                break;
            off += (size_t)w;
        }
        _exit(out.n > 0 && strncmp(out.p, "REJECT", 6) == 0 ? 1 : 0);
    }
    close(fds[1]);
    struct sb in = {0};
    sb_puts(&in, "");
    char tmp[4096];
    ssize_t r;
    while ((r = read(fds[0], tmp, sizeof tmp)) > 0)
        sb_putn(&in, tmp, (size_t)r);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    *crash = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return in.p;
}

/*
 * Error texts may embed raw input bytes (yajl's verbose context does):
 * escape control and non-ASCII bytes so the report stays plain text.
 */
static const char *printable(const char *txt)
{
    static struct sb b;
    b.n = 0;
    sb_puts(&b, "");
    for (const unsigned char *p = (const unsigned char *)txt; *p; p++) {
        if (*p >= 0x20 && *p < 0x7f)
            sb_putn(&b, (const char *)p, 1);
        else
            sb_printf(&b, "\\x%02x", *p);
    }
    return b.p;
}

struct probe_arg {
    const struct prober *p;
    const struct probe_case *c;
};

static void probe_child(const void *arg, struct sb *out)
{
    const struct probe_arg *pa = arg;
    /* exact-size copy so that over-reads would hit the end of the allocation */
    char *copy = xmalloc(pa->c->len);
    memcpy(copy, pa->c->json, pa->c->len);
    pa->p->fn(copy, pa->c->len, out);
    free(copy);
}

static void run_probes(void)
{
    printf("\n## Robustness probes\n\n");
    printf("Each case is parsed by each library with default settings unless noted; `a=` is what\n"
           "the application reads for key \"a\" (lookup or first match).\n");
    for (size_t ci = 0; ci < NCASES; ci++) {
        struct sb shown = {0};
        sb_bytes(&shown, CASES[ci].json, CASES[ci].len);
        printf("\n### %s\n\ninput: `%s`\n\n", CASES[ci].name, shown.p);
        free(shown.p);
        for (size_t pi = 0; pi < NPROBERS; pi++) {
            struct probe_arg pa = {&PROBERS[pi], &CASES[ci]};
            int crash, code;
            char *txt = run_forked(probe_child, &pa, &crash, &code);
            if (crash)
                printf("- %s: CRASH (signal %d: %s)\n", PROBERS[pi].name, crash, strsignal(crash));
            else
                printf("- %s: %s\n", PROBERS[pi].name, printable(txt));
            free(txt);
        }
    }
}

/* --- nesting depth --- */

typedef const char *(*depth_fn)(const char *buf, size_t len); /* NULL = accepted */

static const char *depth_jansson(const char *buf, size_t len)
{
    static char msg[256];
    json_error_t err;
    json_t *r = json_loadb(buf, len, 0, &err);
    if (r) {
        json_decref(r);
        return NULL;
    }
    snprintf(msg, sizeof msg, "%s (position %d)", err.text, err.position);
    return msg;
}

static const char *depth_yajl_tree(const char *buf, size_t len)
{
    static char msg[256];
    yajl_val r = yajl_tree_parse(nul_copy(buf, len), msg, sizeof msg);
    if (r) {
        yajl_tree_free(r);
        return NULL;
    }
    for (char *p = msg; *p; p++)
        if (*p == '\n')
            *p = '|';
    return msg;
}

static const char *depth_yajl_sax(const char *buf, size_t len)
{
    static char msg[sizeof g_err];
    /* no callbacks: the library alone */
    yajl_handle h = yajl_alloc(NULL, NULL, NULL);
    yajl_status st = yajl_parse(h, (const unsigned char *)buf, len);
    if (st == yajl_status_ok)
        st = yajl_complete_parse(h);
    if (st == yajl_status_ok) {
        yajl_free(h);
        return NULL;
    }
    yajl_err_text(h, buf, len);
    snprintf(msg, sizeof msg, "%s", g_err);
    yajl_free(h);
    return msg;
}

static const char *depth_cjson(const char *buf, size_t len)
{
    static char msg[256];
    cJSON *r = cJSON_ParseWithLength(buf, len);
    if (r) {
        cJSON_Delete(r);
        return NULL;
    }
    const char *ep = cJSON_GetErrorPtr();
    snprintf(msg, sizeof msg, "(no message) error pointer at offset %td", ep ? ep - buf : -1);
    return msg;
}

struct depth_lib {
    const char *name;
    depth_fn fn;
};

static const struct depth_lib DEPTH_LIBS[] = {
    {"jansson", depth_jansson},
    {"yajl tree (parse + yajl_tree_free)", depth_yajl_tree},
    {"yajl SAX (no callbacks)", depth_yajl_sax},
    {"json-c (json_tokener_new)", jc_depth},
    {"cJSON", depth_cjson},
#ifdef HAVE_SIMDJSON
    {"simdjson ondemand (iterative descent)", sj_base_depth_od},
    {"simdjson DOM", sj_base_depth_dom},
#endif
};
#define NDEPTH (sizeof DEPTH_LIBS / sizeof DEPTH_LIBS[0])

struct depth_arg {
    depth_fn fn;
    size_t depth;
};

static void depth_child(const void *arg, struct sb *out)
{
    const struct depth_arg *da = arg;
    size_t len = 2 * da->depth;
    char *buf = xmalloc(len);
    memset(buf, '[', da->depth);
    memset(buf + da->depth, ']', da->depth);
    const char *msg = da->fn(buf, len);
    if (msg)
        sb_printf(out, "REJECT %s", msg);
    else
        sb_puts(out, "OK");
    free(buf);
}

/* 0 accepted, 1 rejected, 2 crashed; *text gets a description */
static int depth_try(depth_fn fn, size_t depth, char **text)
{
    struct depth_arg da = {fn, depth};
    int crash, code;
    char *t = run_forked(depth_child, &da, &crash, &code);
    if (crash) {
        free(t);
        if (asprintf(text, "crash (signal %d, %s)", crash, strsignal(crash)) < 0)
            die("asprintf");
        return 2;
    }
    *text = t;
    return code == 0 ? 0 : 1;
}

static void run_depth(void)
{
    const size_t HI = (size_t)1 << 20;
    printf("\n## Nesting depth (input: N nested arrays `[[[...]]]`, 8 MiB main-thread stack)\n\n");
    printf("| library | deepest accepted | at deepest+1 | at %zu |\n|---|---|---|---|\n", HI);
    for (size_t li = 0; li < NDEPTH; li++) {
        char *t_hi = NULL, *t_next = NULL;
        int r_hi = depth_try(DEPTH_LIBS[li].fn, HI, &t_hi);
        size_t lo = 1, hi = HI; /* invariant: lo accepted, hi not (unless r_hi == 0) */
        if (r_hi == 0) {
            printf("| %s | >= %zu (no limit found) | - | accepted |\n", DEPTH_LIBS[li].name, HI);
            free(t_hi);
            continue;
        }
        while (hi - lo > 1) {
            size_t mid = lo + (hi - lo) / 2;
            char *t = NULL;
            int r = depth_try(DEPTH_LIBS[li].fn, mid, &t);
            free(t);
            if (r == 0)
                lo = mid;
            else
                hi = mid;
        }
        depth_try(DEPTH_LIBS[li].fn, lo + 1, &t_next);
        for (char *p = t_next; *p; p++)
            if (*p == '|')
                *p = '/';
        for (char *p = t_hi; *p; p++)
            if (*p == '|')
                *p = '/';
        printf("| %s | %zu | %s |", DEPTH_LIBS[li].name, lo, printable(t_next));
        printf(" %s |\n", printable(t_hi));
        free(t_next);
        free(t_hi);
    }
}

/* ------------------------------------------------------------------ */
/* --- main --- */

static void print_cpu(void)
{
    char line[512], model[256] = "unknown";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        while (fgets(line, sizeof line, f)) {
            if (strncmp(line, "model name", 10) == 0) {
                char *p = strchr(line, ':');
                if (p) {
                    p += 2;
                    p[strcspn(p, "\n")] = 0;
                    snprintf(model, sizeof model, "%s", p);
                }
                break;
            }
        }
        fclose(f);
    }
    printf("- machine: nproc %ld, CPU \"%s\"\n", sysconf(_SC_NPROCESSORS_ONLN), model);
}

/* json-c also exports json_object_get/json_object_iter_next: make sure ours are jansson's */
static void jansson_binding_check(void)
{
    json_t *r = json_loads("{\"a\":7,\"b\":8}", 0, NULL);
    json_t *a = r ? json_object_get(r, "a") : NULL;
    void *it = r ? json_object_iter(r) : NULL;
    int n = 0;
    while (it) {
        n++;
        it = json_object_iter_next(r, it);
    }
    if (!a || !json_is_integer(a) || json_integer_value(a) != 7 || n != 2)
        die("jansson symbols bound to the wrong library (link -ljansson before -ljson-c)");
    json_decref(r);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: json_parsers [--events N] [--runs R] [--seed S] [--only SUBSTR]\n"
               "                    [--no-bench] [--no-probes] [--dump N]\n"
               "  --dump N   print the first N generated events (NDJSON) and exit\n");
}

int main(int argc, char **argv)
{
    size_t n_events = 200000;
    int runs = 3;
    uint64_t seed = 20250314;
    const char *only = NULL;
    bool bench = true, probes = true;
    size_t dump = 0;

    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--events") && i + 1 < argc)
            n_events = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--only") && i + 1 < argc)
            only = argv[++i];
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc)
            dump = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--no-bench"))
            bench = false;
        else if (!strcmp(argv[i], "--no-probes"))
            probes = false;
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    if (n_events == 0 || runs < 1) {
        usage(stderr);
        return 2;
    }
    if (dump) {
        struct corpus c;
        corpus_make(&c, dump, seed);
        for (size_t i = 0; i < c.n; i++)
            printf("%.*s\n", (int)c.len[i], c.buf[i]);
        return 0;
    }

    printf("# JSON parser benchmark (bench/json)\n\n");
    print_cpu();
    printf("- libraries: jansson %s, yajl %d, json-c %s, cJSON %s, msgpack-c %s", JANSSON_VERSION,
           yajl_version(), jc_version(), cJSON_Version(), msgpack_version());
#ifdef HAVE_SIMDJSON
    printf(", %s", sj_base_describe());
#ifdef HAVE_SIMDJSON_HASWELL
    printf("; the -march=haswell build's ondemand kernel: %s", sj_hsw_ondemand_kernel());
#endif
#endif
    printf("\n");

    if (jc_init())
        die("json-c init failed");
    jansson_binding_check();
    mpc_init();
    msgpack_unpacked_init(&g_unp);

    if (bench) {
        struct corpus c;
        corpus_make(&c, n_events, seed);
#ifdef HAVE_SIMDJSON
        if (sj_base_init(c.max_len))
            die("simdjson init failed");
#ifdef HAVE_SIMDJSON_HASWELL
        if (sj_hsw_init(c.max_len))
            die("simdjson init failed");
#endif
#endif
        printf("- corpus: %zu events, seed %" PRIu64 ", %.1f MB, size min/avg/max %zu/%.0f/%zu "
               "bytes; types:",
               c.n, seed, (double)c.total / 1e6, c.min_len, (double)c.total / (double)c.n,
               c.max_len);
        for (int t = 0; t < EV_NTYPES; t++)
            printf(" %s %.0f%%", EV_NAMES[t], 100.0 * (double)c.per_type[t] / (double)c.n);
        printf("\n- each figure: best of %d passes over the whole corpus, one thread\n", runs);
        printf("- budget: 170k events/s = %.2f us per event for the whole collector\n",
               1e6 / 170000.0);

        add_variant("baseline", "hash the raw bytes (no parsing): the floor", ev_baseline, false);
        add_variant("jansson", "json_loadb + iterate + walk attrs", ev_jansson, true);
        add_variant("yajl tree", "copy+NUL, yajl_tree_parse + iterate + walk", ev_yajl_tree,
                    true);
        add_variant("yajl SAX", "yajl_alloc per event, extract in callbacks", ev_yajl_sax, true);
        add_variant("yajl SAX arena", "same, yajl_alloc_funcs bump arena reset per event",
                    ev_yajl_sax_arena, true);
        add_variant("json-c", "reused tokener, json_tokener_parse_ex + iterate + walk", ev_jsonc,
                    true);
        add_variant("json-c UTF-8", "same, tokener flag JSON_TOKENER_VALIDATE_UTF8",
                    ev_jsonc_utf8, true);
        add_variant("cJSON", "cJSON_ParseWithLength + iterate + walk", ev_cjson, true);
#ifdef HAVE_SIMDJSON
        add_variant("simdjson ondemand", "copy to padded buf, iterate + walk (-O2 baseline build)",
                    ev_sj_od, true);
#ifdef HAVE_SIMDJSON_HASWELL
        add_variant("simdjson ondemand haswell", "same, shim built with -march=haswell", ev_sj_od_hsw,
                    true);
#endif
        add_variant("simdjson DOM", "copy to padded buf, parser.parse + iterate + walk", ev_sj_dom,
                    true);
#endif
        add_variant("yajl SAX->msgpack", "plan, step 1: JSON to msgpack bytes (pack only)",
                    ev_yajl_to_msgpack, false);
        add_variant("yajl SAX->msgpack->extract",
                    "plan, full: JSON to msgpack, msgpack_unpack_next, extract + walk",
                    ev_yajl_msgpack_extract, true);
        add_variant("yajl SAX->msgpack->cursor",
                    "plan with a cursor validator: JSON to msgpack, read the bytes in place",
                    ev_yajl_msgpack_cursor, true);
#ifdef HAVE_SIMDJSON
        add_variant("simdjson DOM->msgpack", "alternative step 1: DOM parse, pack (sizes known)",
                    ev_sj_dom_msgpack, false);
        add_variant("simdjson DOM->msgpack->cursor",
                    "alternative full: DOM parse, pack, cursor validator", ev_sj_dom_msgpack_cursor,
                    true);
#endif
        add_variant("msgpack input", "msgpack_unpack_next + extract + walk (msgpack-encoded "
                                     "events)",
                    ev_msgpack_only, true);
        add_variant("msgpack input cursor", "cursor over the bytes + extract + walk",
                    ev_msgpack_cursor_only, true);

        make_msgpack_corpus(&c);

        printf("\n## Throughput\n\n");
        fflush(stdout);
        printf("| variant | what is timed per event | events/s | MB/s (JSON bytes) | ns/event | "
               "share of budget | worst/best | mallocs/event | checksum |\n");
        printf("|---|---|---:|---:|---:|---:|---:|---:|---|\n");
        /*
         * Passes are interleaved (pass 1 of every variant, then pass 2, ...)
         * so that a burst of load from elsewhere on the machine hits all
         * variants alike; the best pass counts, worst/best shows the noise.
         */
        struct result res[sizeof g_variants / sizeof g_variants[0]];
        bool sel[sizeof g_variants / sizeof g_variants[0]];
        for (size_t vi = 0; vi < g_nvariants; vi++) {
            sel[vi] = !only || strstr(g_variants[vi].name, only) ||
                      strcmp(g_variants[vi].name, "baseline") == 0;
            res[vi] = (struct result){1e30, 0, 0, 0};
        }
        for (int run = 0; run < runs; run++) {
            for (size_t vi = 0; vi < g_nvariants; vi++) {
                if (!sel[vi])
                    continue;
                const struct variant *v = &g_variants[vi];
                const struct corpus *cc =
                    (v->fn == ev_msgpack_only || v->fn == ev_msgpack_cursor_only) ? &g_mp_corpus
                                                                                   : &c;
                uint64_t sum;
                double dt = time_pass(v, cc, &sum);
                if (dt < res[vi].best_s)
                    res[vi].best_s = dt;
                if (dt > res[vi].worst_s)
                    res[vi].worst_s = dt;
                if (run > 0 && sum != res[vi].checksum)
                    die("%s: checksum differs between passes", v->name);
                res[vi].checksum = sum;
                if (run == runs - 1)
                    res[vi].allocs_per_event = count_allocs(v, cc);
            }
        }
        uint64_t ref = 0;
        bool have_ref = false, mismatch = false;
        for (size_t vi = 0; vi < g_nvariants; vi++) {
            if (!sel[vi])
                continue;
            const struct variant *v = &g_variants[vi];
            const struct result *r = &res[vi];
            double evs = (double)c.n / r->best_s;
            double mbs = (double)c.total / r->best_s / 1e6;
            double ns = r->best_s * 1e9 / (double)c.n;
            const char *mark = "";
            if (v->extracts) {
                if (!have_ref) {
                    ref = r->checksum;
                    have_ref = true;
                } else if (r->checksum != ref) {
                    mark = " MISMATCH";
                    mismatch = true;
                }
            }
            printf("| %s | %s | %.0f | %.1f | %.0f | %.0f%% | %.2f | %.1f | %016" PRIx64 "%s |\n",
                   v->name, v->what, evs, mbs, ns, 100.0 * ns / (1e9 / 170000.0),
                   r->worst_s / r->best_s, r->allocs_per_event, r->checksum, mark);
        }
        printf("\nmsgpack corpus: %.1f MB (%.0f bytes/event, map32/array32 headers)\n",
               (double)g_mp_corpus.total / 1e6, (double)g_mp_corpus.total / (double)c.n);
        if (mismatch)
            die("checksum mismatch between extracting variants");
    }

    if (probes) {
        run_probes();
        run_depth();
    }
    return 0;
}
