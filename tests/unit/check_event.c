/* Unit tests for lib/event.c: decoding and validating canonical events from
 * JSON and msgpack, the stored form (encode / decode_stored / to_json) and the
 * UTF-8 checker. Data: tests/data/valid_events.ndjson, invalid_events.tsv,
 * samples/agents.ndjson, samples/malformed.ndjson. */
#include "grantline/buf.h"
#include "grantline/error.h"
#include "grantline/event.h"

#include "check_helpers.h"

#include <check.h>
#include <inttypes.h>
#include <msgpack.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

#define VALID_EVENTS GL_SOURCE_DIR "/tests/data/valid_events.ndjson"
#define INVALID_EVENTS GL_SOURCE_DIR "/tests/data/invalid_events.tsv"
#define SAMPLE_AGENTS GL_SOURCE_DIR "/samples/agents.ndjson"
#define SAMPLE_MALFORMED GL_SOURCE_DIR "/samples/malformed.ndjson"

/* 2024-05-01T12:00:00Z in microseconds */
#define T0 INT64_C(1714564800000000)

/* --- helpers --- */

static struct gl_decoder *dec;

static void setup(void)
{
    dec = gl_decoder_new();
    ck_assert_ptr_nonnull(dec);
}

static void teardown(void)
{
    gl_decoder_free(dec);
    dec = NULL;
}

/* Number of lines in a file (a last line without '\n' counts); 0 if unreadable.
 * Used by main() outside any test, so no ck_assert here. */
static int count_lines(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    int n = 0, c, last = '\n';
    while ((c = fgetc(f)) != EOF) {
        if (c == '\n')
            n++;
        last = c;
    }
    fclose(f);
    return n + (last != '\n');
}

/* Copy of line 'idx' (0-based) of 'path' without its '\n'; NULL past the end. */
static char *get_line(const char *path, int idx, size_t *len)
{
    size_t n;
    char *buf = gl_test_slurp(path, &n);
    size_t start = 0;
    for (int i = 0; i < idx && start <= n; i++) {
        const char *nl = memchr(buf + start, '\n', n - start);
        start = nl ? (size_t)(nl - buf) + 1 : n + 1;
    }
    if (start > n || (start == n && idx > 0)) {
        free(buf);
        return NULL;
    }
    const char *nl = memchr(buf + start, '\n', n - start);
    size_t l = nl ? (size_t)(nl - buf) - start : n - start;
    char *line = malloc(l + 1);
    ck_assert_ptr_nonnull(line);
    memcpy(line, buf + start, l);
    line[l] = '\0';
    free(buf);
    *len = l;
    return line;
}

static bool is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return false;
    return true;
}

static int decode_cstr(struct gl_decoder *d, const char *json, struct gl_event *ev,
                       struct gl_error *err)
{
    memset(err, 0, sizeof *err);
    return gl_decoder_decode(d, json, strlen(json), ev, err);
}

/* Decodes line 'lineno' (1-based) of valid_events.ndjson; JSON views live in
 * the decoder, so the line copy is freed at once. */
/* The decoded event's views may point into the input: the line is kept
 * until the next call. */
static void decode_valid_line(int lineno, struct gl_event *ev)
{
    static char *line;
    size_t len;
    free(line);
    line = get_line(VALID_EVENTS, lineno - 1, &len);
    ck_assert_msg(line != NULL, "valid_events.ndjson has no line %d", lineno);
    struct gl_error err = {0};
    int rc = gl_decoder_decode(dec, line, len, ev, &err);
    ck_assert_msg(rc == GL_OK, "line %d: rc=%d msg '%s'", lineno, rc, err.msg);
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

#define ck_assert_gstr(s, exp)                                                                     \
    do {                                                                                           \
        struct gl_str s_ = (s);                                                                    \
        const char *e_ = (exp);                                                                    \
        if (!e_) {                                                                                 \
            ck_assert_msg(s_.ptr == NULL, "%s: expected absent, got '%.*s'", #s, (int)s_.len,     \
                          s_.ptr);                                                                 \
        } else {                                                                                   \
            ck_assert_msg(s_.ptr != NULL, "%s: absent, expected '%s'", #s, e_);                    \
            ck_assert_msg(s_.len == strlen(e_) && memcmp(s_.ptr, e_, s_.len) == 0,                 \
                          "%s: got '%.*s' (%zu bytes), expected '%s'", #s, (int)s_.len, s_.ptr,    \
                          s_.len, e_);                                                             \
        }                                                                                          \
    } while (0)

#define ck_assert_i64(a, b)                                                                        \
    do {                                                                                           \
        int64_t a_ = (a), b_ = (b);                                                                \
        ck_assert_msg(a_ == b_, "%s == %" PRId64 ", expected %" PRId64, #a, a_, b_);              \
    } while (0)

/* Asserts err.msg starts with 'prefix' and the call failed with GL_ERR_INVALID. */
#define ck_assert_invalid(rc, err, prefix)                                                         \
    do {                                                                                           \
        int rc_ = (rc);                                                                            \
        ck_assert_msg(rc_ == GL_ERR_INVALID, "expected GL_ERR_INVALID ('%s...'), got rc=%d msg '%s'", \
                      (prefix), rc_, (err).msg);                                                   \
        ck_assert_msg(starts_with((err).msg, (prefix)), "message '%s' does not start with '%s'",   \
                      (err).msg, (prefix));                                                        \
    } while (0)

static void same_str(struct gl_str a, struct gl_str b, const char *field, const char *ctx)
{
    ck_assert_msg((a.ptr == NULL) == (b.ptr == NULL), "%s: %s is %s in one event, %s in the other",
                  ctx, field, a.ptr ? "present" : "absent", b.ptr ? "present" : "absent");
    if (a.ptr)
        ck_assert_msg(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0,
                      "%s: %s differs: '%.*s' vs '%.*s'", ctx, field, (int)a.len, a.ptr,
                      (int)b.len, b.ptr);
}

static void same_perms(const struct gl_perm *a, size_t na, const struct gl_perm *b, size_t nb,
                       const char *what, const char *ctx)
{
    ck_assert_msg(na == nb, "%s: %s count %zu vs %zu", ctx, what, na, nb);
    for (size_t i = 0; i < na; i++) {
        char f[64];
        snprintf(f, sizeof f, "%s[%zu].action", what, i);
        same_str(a[i].action, b[i].action, f, ctx);
        snprintf(f, sizeof f, "%s[%zu].resource", what, i);
        same_str(a[i].resource, b[i].resource, f, ctx);
    }
}

/* Every contract field of two events is equal (attrs are compared elsewhere). */
static void same_event(const struct gl_event *a, const struct gl_event *b, const char *ctx)
{
    same_str(a->id, b->id, "id", ctx);
    ck_assert_msg(a->ts == b->ts, "%s: ts %" PRId64 " vs %" PRId64, ctx, a->ts, b->ts);
    ck_assert_msg(a->type == b->type, "%s: type %d vs %d", ctx, a->type, b->type);
    same_str(a->workload, b->workload, "workload", ctx);
    same_str(a->task, b->task, "task", ctx);
    same_str(a->actor, b->actor, "actor", ctx);
    same_str(a->source, b->source, "source", ctx);
    same_str(a->cred_id, b->cred_id, "credential.id", ctx);
    same_str(a->cred_kind, b->cred_kind, "credential.kind", ctx);
    ck_assert_msg(a->has_cred_expires == b->has_cred_expires, "%s: has credential.expires_at", ctx);
    if (a->has_cred_expires)
        ck_assert_msg(a->cred_expires == b->cred_expires,
                      "%s: credential.expires_at %" PRId64 " vs %" PRId64, ctx, a->cred_expires,
                      b->cred_expires);
    same_str(a->previous, b->previous, "previous", ctx);
    same_str(a->grant_id, b->grant_id, "grant_id", ctx);
    same_str(a->delegate, b->delegate, "delegate", ctx);
    same_str(a->authority, b->authority, "authority", ctx);
    same_perms(a->perms, a->n_perms, b->perms, b->n_perms, "perms", ctx);
    ck_assert_msg(a->has_scope == b->has_scope, "%s: has_scope %d vs %d", ctx, a->has_scope,
                  b->has_scope);
    same_perms(a->scope, a->n_scope, b->scope, b->n_scope, "scope", ctx);
    ck_assert_msg(a->has_expires == b->has_expires, "%s: has expires_at", ctx);
    if (a->has_expires)
        ck_assert_msg(a->expires == b->expires, "%s: expires_at %" PRId64 " vs %" PRId64, ctx,
                      a->expires, b->expires);
    ck_assert_msg(a->decision == b->decision, "%s: decision %d vs %d", ctx, a->decision,
                  b->decision);
    ck_assert_msg(a->status == b->status, "%s: status %d vs %d", ctx, a->status, b->status);
}

static void encode_ok(const struct gl_event *ev, struct gl_buf *out)
{
    struct gl_error err = {0};
    int rc = gl_event_encode(ev, NULL, out, NULL, &err);
    ck_assert_msg(rc == GL_OK, "encode: rc=%d msg '%s'", rc, err.msg);
    ck_assert_uint_gt(out->len, 0);
}

/* Stored record -> one line of JSON, NUL-terminated in 'out'. */
static void stored_json(const struct gl_buf *rec, struct gl_buf *out)
{
    struct gl_error err = {0};
    int rc = gl_event_stored_to_json(rec->data, rec->len, out, &err);
    ck_assert_msg(rc == GL_OK, "stored_to_json: rc=%d msg '%s'", rc, err.msg);
    ck_assert_int_eq(gl_buf_append(out, "", 1), 0);
}

#define ck_assert_contains(hay, needle)                                                            \
    ck_assert_msg(strstr((hay), (needle)) != NULL, "'%s' not found in %s", (needle), (hay))

/* ===================== valid_events.ndjson ===================== */

START_TEST(test_decode_valid_lines)
{
    size_t len;
    char *line = get_line(VALID_EVENTS, _i, &len);
    ck_assert_msg(line != NULL, "line %d missing", _i + 1);
    if (is_blank(line, len)) {
        free(line);
        return;
    }
    struct gl_event ev;
    struct gl_error err = {0};
    int rc = gl_decoder_decode(dec, line, len, &ev, &err);
    ck_assert_msg(rc == GL_OK, "valid_events.ndjson line %d: rc=%d msg '%s'", _i + 1, rc, err.msg);
    ck_assert_msg(ev.id.ptr != NULL && ev.workload.ptr != NULL, "line %d: id/workload", _i + 1);
    ck_assert_msg((unsigned)ev.type < GL_EV__COUNT, "line %d: type %d", _i + 1, ev.type);
    free(line);
}
END_TEST

START_TEST(test_decode_fields_hand_checked)
{
    struct gl_event ev;

    decode_valid_line(1, &ev);
    ck_assert_gstr(ev.id, "evt-0001");
    ck_assert_i64(ev.ts, T0);
    ck_assert_int_eq(ev.type, GL_EV_IDENTITY_ISSUED);
    ck_assert_gstr(ev.workload, "agent-billing");
    ck_assert_gstr(ev.task, NULL);
    ck_assert_gstr(ev.actor, NULL);
    ck_assert_gstr(ev.source, NULL);
    ck_assert_gstr(ev.cred_id, "cred-1");
    ck_assert_gstr(ev.cred_kind, "token");
    ck_assert(ev.has_cred_expires);
    ck_assert_i64(ev.cred_expires, INT64_C(1714651200000000));
    ck_assert_uint_eq(ev.n_perms, 0);
    ck_assert(!ev.has_scope);
    ck_assert(!ev.has_expires);
    ck_assert_int_eq(ev.decision, GL_DECISION_NONE);
    ck_assert_int_eq(ev.status, GL_STATUS_NONE);

    decode_valid_line(6, &ev);
    ck_assert_int_eq(ev.type, GL_EV_ACCESS_GRANTED);
    ck_assert_gstr(ev.task, "task-42");
    ck_assert_uint_eq(ev.n_perms, 1);
    ck_assert_gstr(ev.perms[0].action, "s3:GetObject");
    ck_assert_gstr(ev.perms[0].resource, "arn:aws:s3:::invoices/*");
    ck_assert(ev.has_expires);
    ck_assert_i64(ev.expires, INT64_C(1714568400000000));
    ck_assert_gstr(ev.cred_id, NULL);
    ck_assert_gstr(ev.grant_id, NULL);

    decode_valid_line(7, &ev);
    ck_assert_gstr(ev.grant_id, "g-1");
    ck_assert_uint_eq(ev.n_perms, 2);
    ck_assert_gstr(ev.perms[0].action, "s3:GetObject");
    ck_assert_gstr(ev.perms[0].resource, "invoices/*");
    ck_assert_gstr(ev.perms[1].action, "s3:PutObject");
    ck_assert_gstr(ev.perms[1].resource, "reports/*");
    ck_assert(!ev.has_expires);

    decode_valid_line(8, &ev);
    ck_assert_int_eq(ev.type, GL_EV_ACCESS_REVOKED);
    ck_assert_gstr(ev.grant_id, "g-1");
    ck_assert_uint_eq(ev.n_perms, 0);

    decode_valid_line(10, &ev);
    ck_assert_int_eq(ev.type, GL_EV_TASK_STARTED);
    ck_assert(ev.has_scope);
    ck_assert_uint_eq(ev.n_scope, 1);
    ck_assert_gstr(ev.scope[0].action, "s3:GetObject");
    ck_assert_gstr(ev.scope[0].resource, "invoices/*");
    ck_assert_uint_eq(ev.n_perms, 0);

    decode_valid_line(11, &ev);
    ck_assert_int_eq(ev.type, GL_EV_TASK_COMPLETED);
    ck_assert_int_eq(ev.status, GL_STATUS_SUCCEEDED);

    decode_valid_line(12, &ev);
    ck_assert_int_eq(ev.type, GL_EV_ACTION_PERFORMED);
    ck_assert_int_eq(ev.decision, GL_DECISION_ALLOW);
    ck_assert_gstr(ev.cred_id, "cred-1");
    ck_assert_gstr(ev.cred_kind, NULL);
    ck_assert(!ev.has_cred_expires);
    ck_assert_uint_eq(ev.n_perms, 1);
    ck_assert_gstr(ev.perms[0].resource, "invoices/2024/05.pdf");

    decode_valid_line(13, &ev);
    ck_assert_int_eq(ev.type, GL_EV_AGENT_DELEGATED);
    ck_assert_gstr(ev.delegate, "agent-report");
    ck_assert_uint_eq(ev.n_perms, 1);
    ck_assert_i64(ev.expires, INT64_C(1714568400000000));

    /* every optional field null: all absent; integer epoch ms */
    decode_valid_line(14, &ev);
    ck_assert_i64(ev.ts, T0);
    ck_assert_gstr(ev.task, NULL);
    ck_assert_gstr(ev.actor, NULL);
    ck_assert_gstr(ev.source, NULL);
    ck_assert_gstr(ev.cred_id, "ci-token-7");
    ck_assert_gstr(ev.cred_kind, NULL);
    ck_assert(!ev.has_cred_expires);
    ck_assert_gstr(ev.previous, NULL);
    ck_assert_gstr(ev.grant_id, NULL);
    ck_assert_gstr(ev.delegate, NULL);
    ck_assert_uint_eq(ev.n_perms, 0);
    ck_assert(!ev.has_scope);
    ck_assert(!ev.has_expires);
    ck_assert_int_eq(ev.decision, GL_DECISION_NONE);
    ck_assert_int_eq(ev.status, GL_STATUS_NONE);

    decode_valid_line(15, &ev);
    ck_assert_i64(ev.ts, 0);
    ck_assert_gstr(ev.task, "build-991");
    ck_assert_int_eq(ev.status, GL_STATUS_NONE);

    decode_valid_line(16, &ev);
    ck_assert_i64(ev.ts, INT64_C(253402300799999000));
    ck_assert(ev.has_cred_expires);
    ck_assert_i64(ev.cred_expires, INT64_C(1714651200000000));

    decode_valid_line(17, &ev);
    ck_assert_i64(ev.ts, INT64_C(1714557600100000));
    ck_assert_int_eq(ev.decision, GL_DECISION_DENY);
    ck_assert_gstr(ev.perms[0].action, "s3:ListBucket");
    ck_assert_gstr(ev.perms[0].resource, NULL); /* absent, not "" */

    decode_valid_line(18, &ev);
    ck_assert_i64(ev.ts, INT64_C(1714584600120000));
    ck_assert_gstr(ev.perms[0].resource, ""); /* present and empty */
    ck_assert_int_eq(ev.decision, GL_DECISION_ALLOW);

    decode_valid_line(19, &ev);
    ck_assert_i64(ev.ts, INT64_C(1714564800123000));
    ck_assert_gstr(ev.cred_kind, "svid");

    decode_valid_line(20, &ev);
    ck_assert_i64(ev.ts, INT64_C(1709200799123400));
    ck_assert_uint_eq(ev.n_perms, 2);
    ck_assert_gstr(ev.perms[0].action, "s3:*");
    ck_assert_gstr(ev.perms[0].resource, NULL);
    ck_assert_gstr(ev.perms[1].action, "kms:Decrypt");
    ck_assert_gstr(ev.perms[1].resource, NULL);

    decode_valid_line(21, &ev);
    ck_assert_int_eq(ev.type, GL_EV_CREDENTIAL_ROTATED);
    ck_assert_i64(ev.ts, INT64_C(951825600123450));
    ck_assert_gstr(ev.previous, "pw-1");
    ck_assert_gstr(ev.cred_id, "pw-2");
    ck_assert_gstr(ev.cred_kind, "password");
    ck_assert_i64(ev.cred_expires, INT64_C(954288000000000));

    decode_valid_line(22, &ev);
    ck_assert_int_eq(ev.type, GL_EV_CREDENTIAL_EXPOSED);
    ck_assert_i64(ev.ts, INT64_C(1735689599123456));
    ck_assert_gstr(ev.source, "log-scanner");

    decode_valid_line(23, &ev);
    ck_assert_i64(ev.ts, INT64_C(1704067200123456));
    ck_assert_gstr(ev.cred_id, "spiffe://example.org/edge");
    ck_assert_i64(ev.cred_expires, INT64_C(1704153600000000));

    decode_valid_line(24, &ev);
    ck_assert_i64(ev.ts, INT64_C(1719714600123456));
    ck_assert_gstr(ev.cred_kind, "ssh_key");

    decode_valid_line(25, &ev);
    ck_assert_i64(ev.ts, INT64_C(1719735300123456));
    ck_assert_gstr(ev.actor, "okta");
    ck_assert_i64(ev.cred_expires, INT64_C(1719821700000000));

    decode_valid_line(26, &ev);
    ck_assert_gstr(ev.workload, "агент-поддержки");
    ck_assert_gstr(ev.task, "工单-7781");
    ck_assert(ev.has_scope);
    ck_assert_uint_eq(ev.n_scope, 0);

    decode_valid_line(27, &ev);
    ck_assert_gstr(ev.delegate, "🤖-helper");
    ck_assert_gstr(ev.grant_id, "deleg-1");
    ck_assert_i64(ev.expires, INT64_C(1714568400000000));
    ck_assert_i64(ev.ts, T0 + 1000000);

    decode_valid_line(28, &ev);
    ck_assert_gstr(ev.cred_id, NULL);
    ck_assert_gstr(ev.perms[0].action, "*");
    ck_assert_gstr(ev.perms[0].resource, "*");

    decode_valid_line(29, &ev);
    ck_assert_int_eq(ev.status, GL_STATUS_CANCELLED);
    decode_valid_line(30, &ev);
    ck_assert_int_eq(ev.status, GL_STATUS_FAILED);

    decode_valid_line(31, &ev);
    ck_assert_uint_eq(ev.n_perms, 1);
    ck_assert_gstr(ev.perms[0].action, "ecr:PutImage");
    ck_assert_gstr(ev.cred_kind, "api_key");

    decode_valid_line(32, &ev);
    ck_assert_uint_eq(ev.id.len, 128);
    ck_assert_uint_eq(ev.workload.len, 256);
    ck_assert_uint_eq(ev.perms[0].resource.len, 1024);

    decode_valid_line(33, &ev);
    ck_assert_uint_eq(ev.id.len, 128);
    ck_assert_uint_eq(ev.cred_id.len, 256);

    decode_valid_line(34, &ev); /* "2024-05-01 12:00:10+01:00" */
    ck_assert_i64(ev.ts, INT64_C(1714561210000000));

    decode_valid_line(35, &ev);
    ck_assert_i64(ev.ts, INT64_C(1483228799999999));

    decode_valid_line(37, &ev);
    ck_assert_gstr(ev.workload, "agent/escaped");
    ck_assert_gstr(ev.task, "quote \" backslash \\ tab \t \xc3\xa9 \xf0\x9f\xa4\x96");

    decode_valid_line(39, &ev);
    ck_assert_i64(ev.ts, INT64_C(1714564810000000));
    ck_assert_gstr(ev.task, "build-993");

    decode_valid_line(40, &ev);
    ck_assert_gstr(ev.authority, "aws-iam");
    ck_assert_gstr(ev.source, NULL);
}
END_TEST

/* ===================== invalid_events.tsv ===================== */

START_TEST(test_decode_invalid_lines)
{
    size_t len;
    char *line = get_line(INVALID_EVENTS, _i, &len);
    ck_assert_msg(line != NULL, "line %d missing", _i + 1);
    if (is_blank(line, len)) {
        free(line);
        return;
    }
    char *tab = memchr(line, '\t', len);
    ck_assert_msg(tab != NULL, "invalid_events.tsv line %d: no tab", _i + 1);
    *tab = '\0';
    const char *field = line[0] == '!' ? line + 1 : line;
    const char *json = tab + 1;
    size_t jlen = len - (size_t)(json - line);

    struct gl_event ev;
    struct gl_error err = {0};
    int rc = gl_decoder_decode(dec, json, jlen, &ev, &err);
    ck_assert_msg(rc == GL_ERR_INVALID,
                  "invalid_events.tsv line %d: expected field '%s', got rc=%d msg '%s'", _i + 1,
                  field, rc, err.msg);
    size_t flen = strlen(field);
    ck_assert_msg(strncmp(err.msg, field, flen) == 0 && err.msg[flen] == ':',
                  "invalid_events.tsv line %d: expected field '%s', actual message '%s'", _i + 1,
                  field, err.msg);
    free(line);
}
END_TEST

/* ===================== samples ===================== */

START_TEST(test_samples_agents_all_decode)
{
    size_t n;
    char *buf = gl_test_slurp(SAMPLE_AGENTS, &n);
    char report[2048] = "";
    size_t rlen = 0;
    int lineno = 0, decoded = 0, failed = 0;
    for (size_t at = 0; at < n;) {
        const char *nl = memchr(buf + at, '\n', n - at);
        size_t l = nl ? (size_t)(nl - buf) - at : n - at;
        lineno++;
        if (!is_blank(buf + at, l)) {
            struct gl_event ev;
            struct gl_error err = {0};
            int rc = gl_decoder_decode(dec, buf + at, l, &ev, &err);
            if (rc == GL_OK) {
                decoded++;
            } else {
                failed++;
                if (rlen < sizeof report - 1)
                    rlen += (size_t)snprintf(report + rlen, sizeof report - rlen,
                                             " line %d: %s;", lineno, err.msg);
            }
        }
        at += l + 1;
    }
    free(buf);
    ck_assert_msg(failed == 0, "%d agents.ndjson lines failed:%s", failed, report);
    ck_assert_int_eq(decoded, 498); /* samples/README.md: 498 lines, all valid */
}
END_TEST

/* samples/malformed.ndjson, line by line (samples/README.md): each non-blank
 * line fails, with the reason naming the faulty field. */
static const struct {
    int line;
    const char *prefix; /* NULL: blank line */
} malformed_cases[] = {
    {1, "invalid JSON"},
    {2, "invalid JSON"},          /* truncated */
    {3, "not a JSON object"},     /* array */
    {4, "id:"},                   /* missing */
    {5, "id:"},                   /* empty */
    {6, "id:"},                   /* 129 bytes */
    {7, NULL},
    {8, "ts:"},                   /* missing */
    {9, "ts:"},                   /* no zone */
    {10, "ts:"},                  /* float */
    {11, "ts:"},                  /* month 13 */
    {12, "type:"},                /* unknown */
    {13, "workload:"},            /* missing */
    {14, "workload:"},            /* 257 bytes */
    {15, "decision:"},            /* missing */
    {16, "decision:"},            /* "maybe" */
    {17, "credential:"},          /* identity.issued without credential */
    {18, "credential:"},          /* a string */
    {19, "permission:"},          /* access.granted without permission(s) */
    {20, NULL},
    {21, "invalid UTF-8"},        /* raw bytes 0xC3 0x28 in attrs.subject */
    {22, "previous:"},            /* credential.rotated without previous */
};

START_TEST(test_samples_malformed_all_rejected)
{
    int lineno = malformed_cases[_i].line;
    const char *prefix = malformed_cases[_i].prefix;
    size_t len;
    char *line = get_line(SAMPLE_MALFORMED, lineno - 1, &len);
    ck_assert_msg(line != NULL, "malformed.ndjson has no line %d", lineno);
    if (!prefix) {
        ck_assert_msg(is_blank(line, len), "malformed.ndjson line %d should be blank", lineno);
        free(line);
        return;
    }
    ck_assert_msg(!is_blank(line, len), "malformed.ndjson line %d is blank", lineno);
    if (lineno == 21)
        ck_assert_msg(strstr(line, "\xc3\x28") != NULL, "line 21 lost its bad bytes");
    struct gl_event ev;
    struct gl_error err = {0};
    int rc = gl_decoder_decode(dec, line, len, &ev, &err);
    free(line);
    ck_assert_msg(rc == GL_ERR_INVALID, "malformed.ndjson line %d: rc=%d msg '%s'", lineno, rc,
                  err.msg);
    ck_assert_msg(starts_with(err.msg, prefix), "malformed.ndjson line %d: '%s', expected '%s...'",
                  lineno, err.msg, prefix);
}
END_TEST

START_TEST(test_samples_malformed_line_count)
{
    ck_assert_int_eq(count_lines(SAMPLE_MALFORMED), N_ELEMS(malformed_cases));
}
END_TEST

/* ===================== msgpack input ===================== */

static void pk_strn(msgpack_packer *pk, const char *s, size_t n)
{
    ck_assert_int_eq(msgpack_pack_str(pk, n), 0);
    ck_assert_int_eq(msgpack_pack_str_body(pk, s, n), 0);
}

static void pk_str(msgpack_packer *pk, const char *s)
{
    pk_strn(pk, s, strlen(s));
}

static void pk_kv(msgpack_packer *pk, const char *k, const char *v)
{
    pk_str(pk, k);
    pk_str(pk, v);
}

/* The msgpack twin of BASE_JSON: a map with 8 + 'extra' entries, of which the
 * caller packs the last 'extra'. 'workload' may carry arbitrary bytes. */
#define BASE_JSON_BODY                                                                             \
    "\"id\":\"evt-mp-1\",\"ts\":\"2024-05-01T12:00:00.25+02:00\",\"type\":\"action.performed\","  \
    "\"workload\":\"agent-billing\",\"task\":\"task-42\","                                         \
    "\"credential\":{\"id\":\"cred-1\",\"kind\":\"token\"},"                                       \
    "\"permission\":{\"action\":\"s3:GetObject\",\"resource\":\"invoices/2024/05.pdf\"},"          \
    "\"decision\":\"allow\""

static void pack_base_w(msgpack_packer *pk, size_t extra, const char *workload, size_t wlen)
{
    ck_assert_int_eq(msgpack_pack_map(pk, 8 + extra), 0);
    pk_kv(pk, "id", "evt-mp-1");
    pk_kv(pk, "ts", "2024-05-01T12:00:00.25+02:00");
    pk_kv(pk, "type", "action.performed");
    pk_str(pk, "workload");
    pk_strn(pk, workload, wlen);
    pk_kv(pk, "task", "task-42");
    pk_str(pk, "credential");
    msgpack_pack_map(pk, 2);
    pk_kv(pk, "id", "cred-1");
    pk_kv(pk, "kind", "token");
    pk_str(pk, "permission");
    msgpack_pack_map(pk, 2);
    pk_kv(pk, "action", "s3:GetObject");
    pk_kv(pk, "resource", "invoices/2024/05.pdf");
    pk_kv(pk, "decision", "allow");
}

static void pack_base(msgpack_packer *pk, size_t extra)
{
    pack_base_w(pk, extra, "agent-billing", 13);
}

static void check_base_fields(const struct gl_event *ev)
{
    ck_assert_gstr(ev->id, "evt-mp-1");
    ck_assert_i64(ev->ts, INT64_C(1714557600250000));
    ck_assert_int_eq(ev->type, GL_EV_ACTION_PERFORMED);
    ck_assert_gstr(ev->workload, "agent-billing");
    ck_assert_gstr(ev->task, "task-42");
    ck_assert_gstr(ev->cred_id, "cred-1");
    ck_assert_gstr(ev->cred_kind, "token");
    ck_assert_uint_eq(ev->n_perms, 1);
    ck_assert_gstr(ev->perms[0].action, "s3:GetObject");
    ck_assert_gstr(ev->perms[0].resource, "invoices/2024/05.pdf");
    ck_assert_int_eq(ev->decision, GL_DECISION_ALLOW);
}

static int decode_sbuf(const msgpack_sbuffer *sb, struct gl_event *ev, struct gl_error *err)
{
    memset(err, 0, sizeof *err);
    return gl_decoder_decode(dec, sb->data, sb->size, ev, err);
}

START_TEST(test_msgpack_same_fields_as_json)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    pack_base(&pk, 2);
    pk_str(&pk, "attrs");
    msgpack_pack_map(&pk, 2);
    pk_kv(&pk, "k", "v");
    pk_str(&pk, "n");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_int(&pk, 1);
    msgpack_pack_int(&pk, -2);
    pk_kv(&pk, "trace_id", "abc");
    ck_assert(((unsigned char)sb.data[0] & 0xf0) == 0x80); /* fixmap: msgpack detected */

    const char *json =
        "{" BASE_JSON_BODY ",\"attrs\":{\"k\":\"v\",\"n\":[1,-2]},\"trace_id\":\"abc\"}";

    struct gl_event mev, jev;
    struct gl_error err;
    struct gl_decoder *jdec = gl_decoder_new();
    ck_assert_ptr_nonnull(jdec);
    int rc = decode_sbuf(&sb, &mev, &err);
    ck_assert_msg(rc == GL_OK, "msgpack: rc=%d msg '%s'", rc, err.msg);
    rc = decode_cstr(jdec, json, &jev, &err);
    ck_assert_msg(rc == GL_OK, "json: rc=%d msg '%s'", rc, err.msg);

    check_base_fields(&mev);
    check_base_fields(&jev);
    same_event(&mev, &jev, "msgpack vs json");

    /* both encodings give the same stored record, attrs included */
    struct gl_buf mout = {0}, jout = {0};
    encode_ok(&mev, &mout);
    encode_ok(&jev, &jout);
    ck_assert_uint_eq(mout.len, jout.len);
    ck_assert(memcmp(mout.data, jout.data, mout.len) == 0);

    struct gl_buf js = {0};
    stored_json(&mout, &js);
    ck_assert_contains(js.data, "\"attrs\":{\"k\":\"v\",\"n\":[1,-2],\"trace_id\":\"abc\"}");

    gl_buf_free(&js);
    gl_buf_free(&mout);
    gl_buf_free(&jout);
    gl_decoder_free(jdec);
    msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* Integer ts in msgpack is epoch milliseconds too; map16 header accepted. */
START_TEST(test_msgpack_epoch_ms_and_map16)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    /* map16 with 5 entries */
    const unsigned char hdr[] = {0xde, 0x00, 0x05};
    msgpack_sbuffer_write(&sb, (const char *)hdr, sizeof hdr);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    pk_kv(&pk, "id", "evt-mp-2");
    pk_str(&pk, "ts");
    msgpack_pack_uint64(&pk, UINT64_C(1714564800123));
    pk_kv(&pk, "type", "task.started");
    pk_kv(&pk, "workload", "w");
    pk_kv(&pk, "task", "t");

    struct gl_event ev;
    struct gl_error err;
    int rc = decode_sbuf(&sb, &ev, &err);
    ck_assert_msg(rc == GL_OK, "rc=%d msg '%s'", rc, err.msg);
    ck_assert_i64(ev.ts, INT64_C(1714564800123000));
    ck_assert_int_eq(ev.type, GL_EV_TASK_STARTED);
    ck_assert_gstr(ev.task, "t");
    msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* Mutation applied after the 8 base entries of a msgpack event. */
enum mp_bad {
    MP_BAD_WORKLOAD,      /* workload "\xc3\x28" */
    MP_BAD_ATTRS_VALUE,   /* attrs {"note": surrogate} */
    MP_BAD_ATTRS_KEY,     /* attrs {"\xff": 1} */
    MP_BAD_UNKNOWN_VALUE, /* unknown top-level key with an overlong */
    MP_BAD_TOP_KEY,       /* top-level key "\xfe" */
    MP_BAD_CRED_ID,       /* credential.id truncated sequence */
    MP_BAD_ACTION,        /* permission.action overlong '/' */
    MP_BAD_NESTED_ARRAY,  /* attrs {"a":[["ok","\xf5\x80\x80\x80"]]} */
};

static const struct {
    enum mp_bad kind;
    const char *prefix;
} mp_utf8_cases[] = {
    {MP_BAD_WORKLOAD, "workload:"},     {MP_BAD_ATTRS_VALUE, "attrs:"},
    {MP_BAD_ATTRS_KEY, "attrs:"},       {MP_BAD_UNKNOWN_VALUE, "attrs:"},
    {MP_BAD_TOP_KEY, ""},               {MP_BAD_CRED_ID, "credential.id:"},
    {MP_BAD_ACTION, "permission.action:"}, {MP_BAD_NESTED_ARRAY, "attrs:"},
};

START_TEST(test_msgpack_invalid_utf8_rejected)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    enum mp_bad kind = mp_utf8_cases[_i].kind;
    switch (kind) {
    case MP_BAD_WORKLOAD:
        pack_base_w(&pk, 0, "\xc3\x28", 2);
        break;
    case MP_BAD_ATTRS_VALUE:
        pack_base(&pk, 1);
        pk_str(&pk, "attrs");
        msgpack_pack_map(&pk, 1);
        pk_kv(&pk, "note", "a\xed\xa0\x80z");
        break;
    case MP_BAD_ATTRS_KEY:
        pack_base(&pk, 1);
        pk_str(&pk, "attrs");
        msgpack_pack_map(&pk, 1);
        pk_str(&pk, "\xff");
        msgpack_pack_int(&pk, 1);
        break;
    case MP_BAD_UNKNOWN_VALUE:
        pack_base(&pk, 1);
        pk_kv(&pk, "comment", "\xc0\xaf");
        break;
    case MP_BAD_TOP_KEY:
        pack_base(&pk, 1);
        pk_str(&pk, "\xfe");
        msgpack_pack_int(&pk, 1);
        break;
    case MP_BAD_CRED_ID:
    case MP_BAD_ACTION:
        ck_assert_int_eq(msgpack_pack_map(&pk, 8), 0);
        pk_kv(&pk, "id", "evt-mp-1");
        pk_kv(&pk, "ts", "2024-05-01T12:00:00Z");
        pk_kv(&pk, "type", "action.performed");
        pk_kv(&pk, "workload", "agent-billing");
        pk_kv(&pk, "task", "task-42");
        pk_str(&pk, "credential");
        msgpack_pack_map(&pk, 1);
        pk_kv(&pk, "id", kind == MP_BAD_CRED_ID ? "cred-\xe2\x98" : "cred-1");
        pk_str(&pk, "permission");
        msgpack_pack_map(&pk, 1);
        pk_kv(&pk, "action", kind == MP_BAD_ACTION ? "s3\xc0\xafGet" : "s3:Get");
        pk_kv(&pk, "decision", "allow");
        break;
    case MP_BAD_NESTED_ARRAY:
        pack_base(&pk, 1);
        pk_str(&pk, "attrs");
        msgpack_pack_map(&pk, 1);
        pk_str(&pk, "a");
        msgpack_pack_array(&pk, 1);
        msgpack_pack_array(&pk, 2);
        pk_str(&pk, "ok");
        pk_str(&pk, "\xf5\x80\x80\x80");
        break;
    }
    struct gl_event ev;
    struct gl_error err;
    int rc = decode_sbuf(&sb, &ev, &err);
    ck_assert_msg(rc == GL_ERR_INVALID, "case %d: rc=%d msg '%s'", _i, rc, err.msg);
    ck_assert_msg(starts_with(err.msg, mp_utf8_cases[_i].prefix),
                  "case %d: '%s' does not start with '%s'", _i, err.msg, mp_utf8_cases[_i].prefix);
    ck_assert_msg(strstr(err.msg, "UTF-8") != NULL, "case %d: '%s' does not mention UTF-8", _i,
                  err.msg);
    msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* Control: the same map with valid bytes decodes (so the cases above fail for
 * the bytes, not the packing). */
START_TEST(test_msgpack_valid_utf8_accepted)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    pack_base_w(&pk, 2, "\xc3\xa9-\xe2\x98\x83-\xf0\x9f\xa4\x96", 11);
    pk_str(&pk, "attrs");
    msgpack_pack_map(&pk, 1);
    pk_kv(&pk, "\xe2\x98\x83", "\xf4\x8f\xbf\xbf");
    pk_kv(&pk, "comment", "na\xc3\xafve");
    struct gl_event ev;
    struct gl_error err;
    int rc = decode_sbuf(&sb, &ev, &err);
    ck_assert_msg(rc == GL_OK, "rc=%d msg '%s'", rc, err.msg);
    ck_assert_gstr(ev.workload, "é-☃-🤖");
    msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(test_msgpack_non_string_key_rejected)
{
    for (int variant = 0; variant < 4; variant++) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        const char *prefix = "";
        if (variant == 0) { /* top-level integer key */
            pack_base(&pk, 1);
            msgpack_pack_int(&pk, 7);
            pk_str(&pk, "x");
        } else if (variant == 1) { /* attrs map with a nil key */
            pack_base(&pk, 1);
            pk_str(&pk, "attrs");
            msgpack_pack_map(&pk, 1);
            msgpack_pack_nil(&pk);
            pk_str(&pk, "x");
            prefix = "attrs:";
        } else if (variant == 2) { /* unknown key holding a map with an array key */
            pack_base(&pk, 1);
            pk_str(&pk, "ctx");
            msgpack_pack_map(&pk, 1);
            msgpack_pack_array(&pk, 0);
            msgpack_pack_true(&pk);
            prefix = "attrs:";
        } else { /* bool key inside credential */
            ck_assert_int_eq(msgpack_pack_map(&pk, 5), 0);
            pk_kv(&pk, "id", "e");
            pk_kv(&pk, "ts", "2024-05-01T12:00:00Z");
            pk_kv(&pk, "type", "identity.issued");
            pk_kv(&pk, "workload", "w");
            pk_str(&pk, "credential");
            msgpack_pack_map(&pk, 2);
            pk_kv(&pk, "id", "c");
            msgpack_pack_true(&pk);
            pk_str(&pk, "token");
            prefix = "credential:";
        }
        struct gl_event ev;
        struct gl_error err;
        int rc = decode_sbuf(&sb, &ev, &err);
        ck_assert_msg(rc == GL_ERR_INVALID, "variant %d: rc=%d msg '%s'", variant, rc, err.msg);
        ck_assert_msg(starts_with(err.msg, prefix), "variant %d: '%s', expected '%s...'", variant,
                      err.msg, prefix);
        ck_assert_msg(err.msg[0] != '\0', "variant %d: empty message", variant);
        msgpack_sbuffer_destroy(&sb);
    }
}
END_TEST

START_TEST(test_msgpack_trailing_bytes_rejected)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    pack_base(&pk, 0);
    struct gl_event ev;
    struct gl_error err;
    ck_assert_int_eq(decode_sbuf(&sb, &ev, &err), GL_OK); /* control */

    msgpack_pack_nil(&pk); /* one trailing byte */
    int rc = decode_sbuf(&sb, &ev, &err);
    ck_assert_invalid(rc, err, "invalid msgpack");
    ck_assert_contains(err.msg, "1 trailing byte");

    pack_base(&pk, 0); /* a whole second event after it */
    rc = decode_sbuf(&sb, &ev, &err);
    ck_assert_invalid(rc, err, "invalid msgpack");
    ck_assert_contains(err.msg, "trailing");
    msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(test_msgpack_truncated_rejected)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    pack_base(&pk, 1);
    pk_str(&pk, "attrs");
    msgpack_pack_array(&pk, 2);
    msgpack_pack_double(&pk, 0.5);
    msgpack_pack_uint64(&pk, UINT64_C(1) << 40);

    struct gl_event ev;
    struct gl_error err;
    ck_assert_int_eq(decode_sbuf(&sb, &ev, &err), GL_OK); /* control */
    /* every proper prefix, copied so ASan sees reads past the cut */
    for (size_t cut = 1; cut < sb.size; cut++) {
        char *p = malloc(cut);
        ck_assert_ptr_nonnull(p);
        memcpy(p, sb.data, cut);
        memset(&err, 0, sizeof err);
        int rc = gl_decoder_decode(dec, p, cut, &ev, &err);
        free(p);
        ck_assert_msg(rc == GL_ERR_INVALID, "prefix of %zu/%zu bytes: rc=%d msg '%s'", cut,
                      sb.size, rc, err.msg);
        ck_assert_msg(starts_with(err.msg, "invalid msgpack"), "prefix %zu: '%s'", cut, err.msg);
    }
    msgpack_sbuffer_destroy(&sb);
}
END_TEST

START_TEST(test_msgpack_bin_in_attrs_rejected)
{
    for (int variant = 0; variant < 4; variant++) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        pack_base(&pk, 1);
        if (variant == 0) { /* attrs {"blob": bin} */
            pk_str(&pk, "attrs");
            msgpack_pack_map(&pk, 1);
            pk_str(&pk, "blob");
            msgpack_pack_bin_with_body(&pk, "abc", 3);
        } else if (variant == 1) { /* attrs = bin */
            pk_str(&pk, "attrs");
            msgpack_pack_bin_with_body(&pk, "abc", 3);
        } else if (variant == 2) { /* unknown key holding [1, ext] */
            pk_str(&pk, "blob");
            msgpack_pack_array(&pk, 2);
            msgpack_pack_int(&pk, 1);
            msgpack_pack_ext_with_body(&pk, "abcd", 4, 5);
        } else { /* bin deep inside attrs */
            pk_str(&pk, "attrs");
            msgpack_pack_map(&pk, 1);
            pk_str(&pk, "a");
            msgpack_pack_map(&pk, 1);
            pk_str(&pk, "b");
            msgpack_pack_array(&pk, 1);
            msgpack_pack_bin_with_body(&pk, "", 0);
        }
        struct gl_event ev;
        struct gl_error err;
        int rc = decode_sbuf(&sb, &ev, &err);
        ck_assert_msg(rc == GL_ERR_INVALID, "variant %d: rc=%d msg '%s'", variant, rc, err.msg);
        ck_assert_msg(starts_with(err.msg, "attrs:"), "variant %d: '%s'", variant, err.msg);
        msgpack_sbuffer_destroy(&sb);
    }
}
END_TEST

/* Contract fields packed as bin are not strings. */
START_TEST(test_msgpack_bin_field_rejected)
{
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    ck_assert_int_eq(msgpack_pack_map(&pk, 5), 0);
    pk_kv(&pk, "id", "e");
    pk_kv(&pk, "ts", "2024-05-01T12:00:00Z");
    pk_kv(&pk, "type", "task.started");
    pk_str(&pk, "workload");
    msgpack_pack_bin_with_body(&pk, "w", 1);
    pk_kv(&pk, "task", "t");
    struct gl_event ev;
    struct gl_error err;
    ck_assert_invalid(decode_sbuf(&sb, &ev, &err), err, "workload:");
    msgpack_sbuffer_destroy(&sb);
}
END_TEST

/* ===================== JSON edge cases ===================== */

START_TEST(test_json_duplicate_key_rejected)
{
    struct gl_event ev;
    struct gl_error err;
    int rc = decode_cstr(dec,
                         "{\"id\":\"a\",\"id\":\"b\",\"ts\":0,\"type\":\"task.started\","
                         "\"workload\":\"w\",\"task\":\"t\"}",
                         &ev, &err);
    ck_assert_invalid(rc, err, "id: duplicate key");

    rc = decode_cstr(dec,
                     "{\"id\":null,\"id\":\"b\",\"ts\":0,\"type\":\"task.started\","
                     "\"workload\":\"w\",\"task\":\"t\"}",
                     &ev, &err);
    ck_assert_invalid(rc, err, "id: duplicate key");

    rc = decode_cstr(dec,
                     "{\"id\":\"a\",\"ts\":0,\"type\":\"task.started\",\"workload\":\"w\","
                     "\"task\":\"t\",\"ts\":1}",
                     &ev, &err);
    ck_assert_invalid(rc, err, "ts: duplicate key");

    rc = decode_cstr(dec,
                     "{\"id\":\"a\",\"ts\":0,\"type\":\"identity.issued\",\"workload\":\"w\","
                     "\"credential\":{\"id\":\"c1\",\"id\":\"c2\"}}",
                     &ev, &err);
    ck_assert_invalid(rc, err, "credential.id: duplicate key");

    rc = decode_cstr(dec,
                     "{\"id\":\"a\",\"ts\":0,\"type\":\"access.granted\",\"workload\":\"w\","
                     "\"permission\":{\"action\":\"x\",\"action\":\"y\"}}",
                     &ev, &err);
    ck_assert_invalid(rc, err, "permission.action: duplicate key");

    /* control: without the duplicate it decodes */
    rc = decode_cstr(dec,
                     "{\"id\":\"a\",\"ts\":0,\"type\":\"task.started\",\"workload\":\"w\","
                     "\"task\":\"t\"}",
                     &ev, &err);
    ck_assert_int_eq(rc, GL_OK);
}
END_TEST

/* credential.kind and credential.expires_at are known keys too: a second
 * value must not silently replace the first. */
START_TEST(test_json_duplicate_nested_key_rejected)
{
    struct gl_event ev;
    struct gl_error err;
    int rc = decode_cstr(dec,
                         "{\"id\":\"a\",\"ts\":0,\"type\":\"identity.issued\",\"workload\":\"w\","
                         "\"credential\":{\"id\":\"c\",\"kind\":\"token\",\"kind\":\"svid\"}}",
                         &ev, &err);
    ck_assert_invalid(rc, err, "credential.kind: duplicate key");

    rc = decode_cstr(dec,
                     "{\"id\":\"a\",\"ts\":0,\"type\":\"identity.issued\",\"workload\":\"w\","
                     "\"credential\":{\"id\":\"c\",\"expires_at\":1,\"expires_at\":2}}",
                     &ev, &err);
    ck_assert_invalid(rc, err, "credential.expires_at: duplicate key");
}
END_TEST

START_TEST(test_json_null_optional_fields_absent)
{
    const char *with_nulls =
        "{\"id\":\"n1\",\"ts\":\"2024-05-01T12:00:00Z\",\"type\":\"action.performed\","
        "\"workload\":\"w\",\"task\":null,\"actor\":null,\"source\":null,"
        "\"credential\":{\"id\":\"c\",\"kind\":null,\"expires_at\":null},\"previous\":null,"
        "\"grant_id\":null,\"permission\":{\"action\":\"a\",\"resource\":null},"
        "\"permissions\":null,\"scope\":null,\"expires_at\":null,\"decision\":\"deny\","
        "\"delegate\":null,\"status\":null,\"attrs\":null,\"extra\":null}";
    const char *without =
        "{\"id\":\"n1\",\"ts\":\"2024-05-01T12:00:00Z\",\"type\":\"action.performed\","
        "\"workload\":\"w\",\"credential\":{\"id\":\"c\"},\"permission\":{\"action\":\"a\"},"
        "\"decision\":\"deny\"}";
    struct gl_decoder *d2 = gl_decoder_new();
    ck_assert_ptr_nonnull(d2);
    struct gl_event a, b;
    struct gl_error err;
    int rc = decode_cstr(dec, with_nulls, &a, &err);
    ck_assert_msg(rc == GL_OK, "rc=%d msg '%s'", rc, err.msg);
    rc = decode_cstr(d2, without, &b, &err);
    ck_assert_msg(rc == GL_OK, "rc=%d msg '%s'", rc, err.msg);

    ck_assert_gstr(a.task, NULL);
    ck_assert_gstr(a.actor, NULL);
    ck_assert_gstr(a.source, NULL);
    ck_assert_gstr(a.cred_kind, NULL);
    ck_assert(!a.has_cred_expires);
    ck_assert_gstr(a.previous, NULL);
    ck_assert_gstr(a.grant_id, NULL);
    ck_assert_gstr(a.delegate, NULL);
    ck_assert_uint_eq(a.n_perms, 1);
    ck_assert_gstr(a.perms[0].resource, NULL);
    ck_assert(!a.has_scope);
    ck_assert(!a.has_expires);
    ck_assert_int_eq(a.status, GL_STATUS_NONE);
    same_event(&a, &b, "nulls vs absent");

    /* and the stored records are byte for byte the same (no attrs either) */
    struct gl_buf ra = {0}, rb = {0};
    encode_ok(&a, &ra);
    encode_ok(&b, &rb);
    ck_assert_uint_eq(ra.len, rb.len);
    ck_assert(memcmp(ra.data, rb.data, ra.len) == 0);
    struct gl_buf js = {0};
    stored_json(&ra, &js);
    ck_assert_msg(strstr(js.data, "attrs") == NULL && strstr(js.data, "null") == NULL, "%s",
                  js.data);
    gl_buf_free(&js);
    gl_buf_free(&ra);
    gl_buf_free(&rb);
    gl_decoder_free(d2);
}
END_TEST

START_TEST(test_json_non_object_rejected)
{
    static const char *const inputs[] = {
        "[]",
        "[{\"id\":\"a\",\"ts\":0,\"type\":\"task.started\",\"workload\":\"w\",\"task\":\"t\"}]",
        "42",
        "\"text\"",
        "null",
        "true",
        "  [1]",
    };
    for (int i = 0; i < N_ELEMS(inputs); i++) {
        struct gl_event ev;
        struct gl_error err;
        int rc = decode_cstr(dec, inputs[i], &ev, &err);
        ck_assert_msg(rc == GL_ERR_INVALID, "'%s': rc=%d", inputs[i], rc);
        ck_assert_msg(strcmp(err.msg, "not a JSON object") == 0, "'%s': msg '%s'", inputs[i],
                      err.msg);
    }
    /* two objects in one message */
    struct gl_event ev;
    struct gl_error err;
    int rc = decode_cstr(dec,
                         "{\"id\":\"a\",\"ts\":0,\"type\":\"task.started\",\"workload\":\"w\","
                         "\"task\":\"t\"} {}",
                         &ev, &err);
    ck_assert_msg(rc == GL_ERR_INVALID, "two objects: rc=%d msg '%s'", rc, err.msg);
}
END_TEST

/* Strict JSON (RFC 8259): what the previous parser let through is refused
 * with a reason, and what msgpack input already allowed is accepted. */
START_TEST(test_json_strict)
{
    static const char *const refused[] = {
        /* lone UTF-16 surrogate escapes (were stored as '?' or merged) */
        "{" BASE_JSON_BODY ",\"attrs\":{\"note\":\"a\\ud800\"}}",
        "{" BASE_JSON_BODY ",\"attrs\":{\"note\":\"a\\ud800\\u0041\"}}",
        "{" BASE_JSON_BODY ",\"attrs\":{\"note\":\"\\udc00\"}}",
        /* an unterminated string after the object (trailing bytes were dropped) */
        "{" BASE_JSON_BODY "} \"password=hunter2",
        /* form feed is not JSON white space */
        "\f{" BASE_JSON_BODY "}",
        /* raw control character inside a string */
        "{" BASE_JSON_BODY ",\"attrs\":{\"note\":\"a\x01z\"}}",
    };
    for (int i = 0; i < N_ELEMS(refused); i++) {
        struct gl_event ev;
        struct gl_error err;
        int rc = decode_cstr(dec, refused[i], &ev, &err);
        ck_assert_msg(rc == GL_ERR_INVALID && strstr(err.msg, "invalid JSON"),
                      "input %d: rc=%d msg '%s'", i, rc, err.msg);
    }
    struct gl_event ev;
    struct gl_error err;
    int rc = decode_cstr(dec, refused[0], &ev, &err);
    ck_assert_msg(strstr(err.msg, "surrogate") != NULL, "'%s'", err.msg);
    /* a valid surrogate pair is one code point */
    rc = decode_cstr(dec, "{" BASE_JSON_BODY ",\"attrs\":{\"note\":\"\\ud83d\\ude00\"}}", &ev,
                     &err);
    ck_assert_msg(rc == GL_OK, "%s", err.msg);
    /* the full unsigned and signed 64-bit ranges in attrs, as msgpack input allows */
    rc = decode_cstr(dec,
                     "{" BASE_JSON_BODY ",\"attrs\":{\"u\":18446744073709551615,"
                     "\"s\":-9223372036854775808}}",
                     &ev, &err);
    ck_assert_msg(rc == GL_OK, "%s", err.msg);
    rc = decode_cstr(dec, "{" BASE_JSON_BODY ",\"attrs\":{\"u\":18446744073709551616}}", &ev,
                     &err);
    ck_assert_int_eq(rc, GL_ERR_INVALID);
    /* invalid UTF-8 is located exactly */
    rc = decode_cstr(dec, "{\"id\":\"\xc3\x28\"}", &ev, &err);
    ck_assert_int_eq(rc, GL_ERR_INVALID);
    ck_assert_str_eq(err.msg, "invalid UTF-8 at byte 7");
}
END_TEST

START_TEST(test_json_empty_message_rejected)
{
    struct gl_event ev;
    struct gl_error err = {0};
    int rc = gl_decoder_decode(dec, "", 0, &ev, &err);
    ck_assert_int_eq(rc, GL_ERR_INVALID);
    ck_assert_str_eq(err.msg, "empty message");

    rc = decode_cstr(dec, "   \n", &ev, &err);
    ck_assert_msg(rc == GL_ERR_INVALID && err.msg[0] != '\0', "whitespace only: rc=%d msg '%s'",
                  rc, err.msg);

    rc = decode_cstr(dec, "{}", &ev, &err);
    ck_assert_invalid(rc, err, "id: missing");
}
END_TEST

/* attrs made of 'k' nested arrays around a string; the event object itself is
 * one level, so the whole message has k + 1 levels. */
static char *nested_json(int k)
{
    size_t cap = 256 + 2 * (size_t)k;
    char *s = malloc(cap);
    ck_assert_ptr_nonnull(s);
    int n = snprintf(s, cap,
                     "{\"id\":\"deep\",\"ts\":0,\"type\":\"task.started\",\"workload\":\"w\","
                     "\"task\":\"t\",\"attrs\":");
    for (int i = 0; i < k; i++)
        s[n++] = '[';
    n += snprintf(s + n, cap - (size_t)n, "\"leaf\"");
    for (int i = 0; i < k; i++)
        s[n++] = ']';
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

static void nested_msgpack(int k, msgpack_sbuffer *sb)
{
    msgpack_packer pk;
    msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 6);
    pk_kv(&pk, "id", "deep");
    pk_str(&pk, "ts");
    msgpack_pack_int(&pk, 0);
    pk_kv(&pk, "type", "task.started");
    pk_kv(&pk, "workload", "w");
    pk_kv(&pk, "task", "t");
    pk_str(&pk, "attrs");
    for (int i = 0; i < k; i++)
        msgpack_pack_array(&pk, 1);
    pk_str(&pk, "leaf");
}

START_TEST(test_json_nesting_limit)
{
    /* 32 levels (object + 31 arrays) are fine, 33 are not; JSON and msgpack agree */
    for (int k = 28; k <= 40; k++) {
        char *json = nested_json(k);
        struct gl_event ev;
        struct gl_error jerr, merr;
        int jrc = decode_cstr(dec, json, &ev, &jerr);
        free(json);
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        nested_msgpack(k, &sb);
        int mrc = decode_sbuf(&sb, &ev, &merr);
        msgpack_sbuffer_destroy(&sb);
        int want = k + 1 <= 32 ? GL_OK : GL_ERR_INVALID;
        ck_assert_msg(jrc == want, "json, %d levels: rc=%d msg '%s'", k + 1, jrc, jerr.msg);
        ck_assert_msg(mrc == want, "msgpack, %d levels: rc=%d msg '%s'", k + 1, mrc, merr.msg);
        if (want != GL_OK)
            ck_assert_msg(strstr(jerr.msg, "deeper than 32") != NULL, "json, %d levels: '%s'",
                          k + 1, jerr.msg);
    }
    /* very deep input is refused without trouble */
    char *json = nested_json(5000);
    struct gl_event ev;
    struct gl_error err;
    int rc = decode_cstr(dec, json, &ev, &err);
    free(json);
    ck_assert_msg(rc == GL_ERR_INVALID && strstr(err.msg, "deeper than 32"), "rc=%d msg '%s'", rc,
                  err.msg);
}
END_TEST

START_TEST(test_json_epoch_ms_ts)
{
    static const struct {
        const char *ts;
        int64_t us;
    } ok[] = {
        {"1714564800123", INT64_C(1714564800123000)},
        {"0", 0},
        {"1", 1000},
        {"253402300799999", INT64_C(253402300799999000)},
    };
    for (int i = 0; i < N_ELEMS(ok); i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"id\":\"e\",\"ts\":%s,\"type\":\"access.granted\",\"workload\":\"w\","
                 "\"permission\":{\"action\":\"a\"},\"expires_at\":%s,"
                 "\"credential\":{\"id\":\"c\",\"expires_at\":%s}}",
                 ok[i].ts, ok[i].ts, ok[i].ts);
        struct gl_event ev;
        struct gl_error err;
        int rc = decode_cstr(dec, json, &ev, &err);
        ck_assert_msg(rc == GL_OK, "ts %s: rc=%d msg '%s'", ok[i].ts, rc, err.msg);
        ck_assert_i64(ev.ts, ok[i].us);
        ck_assert(ev.has_expires);
        ck_assert_i64(ev.expires, ok[i].us);
        ck_assert(ev.has_cred_expires);
        ck_assert_i64(ev.cred_expires, ok[i].us);
    }
}
END_TEST

/* Schema note (5): epoch milliseconds are limited to 0..253402300799999. */
START_TEST(test_json_epoch_ms_out_of_range_rejected)
{
    static const char *const bad[] = {"-1", "-1000", "253402300800000", "9223372036854775807"};
    for (int i = 0; i < N_ELEMS(bad); i++) {
        char json[256];
        snprintf(json, sizeof json,
                 "{\"id\":\"e\",\"ts\":%s,\"type\":\"task.started\",\"workload\":\"w\","
                 "\"task\":\"t\"}",
                 bad[i]);
        struct gl_event ev;
        struct gl_error err;
        int rc = decode_cstr(dec, json, &ev, &err);
        ck_assert_msg(rc == GL_ERR_INVALID && starts_with(err.msg, "ts:"),
                      "ts %s: rc=%d msg '%s' (ts=%" PRId64 ")", bad[i], rc, err.msg,
                      rc == GL_OK ? ev.ts : 0);
    }
}
END_TEST

START_TEST(test_decoder_reuse_after_error)
{
    struct gl_event ev;
    struct gl_error err;
    char *deep = nested_json(100);
    ck_assert_int_eq(decode_cstr(dec, deep, &ev, &err), GL_ERR_INVALID);
    free(deep);
    ck_assert_int_eq(decode_cstr(dec, "{\"id\":\"a\",\"ts\":", &ev, &err), GL_ERR_INVALID);
    decode_valid_line(7, &ev);
    ck_assert_uint_eq(ev.n_perms, 2);
    ck_assert_gstr(ev.perms[1].action, "s3:PutObject");
    decode_valid_line(11, &ev);
    ck_assert_uint_eq(ev.n_perms, 0);
    ck_assert(!ev.has_scope);
    ck_assert_gstr(ev.id, "evt-0011");
    ck_assert_int_eq(ev.status, GL_STATUS_SUCCEEDED);
}
END_TEST

/* ===================== stored form ===================== */

static const char *const ALL_FIELDS_JSON =
    "{\"id\":\"evt-all\",\"ts\":\"2024-05-01T12:00:00.654321+02:00\",\"type\":\"agent.delegated\","
    "\"workload\":\"agent-a\",\"task\":\"task-1\",\"actor\":\"okta\",\"source\":\"vault\","
    "\"credential\":{\"id\":\"cred-9\",\"kind\":\"oauth_client\","
    "\"expires_at\":\"2024-05-02T00:00:00Z\"},"
    "\"previous\":\"cred-8\",\"grant_id\":\"g-9\","
    "\"permission\":{\"action\":\"s3:GetObject\",\"resource\":\"b/*\"},"
    "\"permissions\":[{\"action\":\"s3:PutObject\"},{\"action\":\"kms:Decrypt\",\"resource\":\"\"}],"
    "\"scope\":[{\"action\":\"s3:*\"},{\"action\":\"kms:*\",\"resource\":\"k/1\"}],"
    "\"expires_at\":1714568400000,\"decision\":\"deny\",\"delegate\":\"agent-b\","
    "\"status\":\"cancelled\",\"authority\":\"aws-iam\",\"attrs\":{\"x\":1},"
    "\"extra\":\"kept\"}";

static void check_all_fields(const struct gl_event *ev)
{
    ck_assert_gstr(ev->id, "evt-all");
    ck_assert_i64(ev->ts, INT64_C(1714557600654321));
    ck_assert_int_eq(ev->type, GL_EV_AGENT_DELEGATED);
    ck_assert_gstr(ev->workload, "agent-a");
    ck_assert_gstr(ev->task, "task-1");
    ck_assert_gstr(ev->actor, "okta");
    ck_assert_gstr(ev->source, "vault");
    ck_assert_gstr(ev->cred_id, "cred-9");
    ck_assert_gstr(ev->cred_kind, "oauth_client");
    ck_assert(ev->has_cred_expires);
    ck_assert_i64(ev->cred_expires, INT64_C(1714608000000000));
    ck_assert_gstr(ev->previous, "cred-8");
    ck_assert_gstr(ev->grant_id, "g-9");
    ck_assert_uint_eq(ev->n_perms, 3); /* permission first, then permissions */
    ck_assert_gstr(ev->perms[0].action, "s3:GetObject");
    ck_assert_gstr(ev->perms[0].resource, "b/*");
    ck_assert_gstr(ev->perms[1].action, "s3:PutObject");
    ck_assert_gstr(ev->perms[1].resource, NULL);
    ck_assert_gstr(ev->perms[2].action, "kms:Decrypt");
    ck_assert_gstr(ev->perms[2].resource, "");
    ck_assert(ev->has_scope);
    ck_assert_uint_eq(ev->n_scope, 2);
    ck_assert_gstr(ev->scope[0].action, "s3:*");
    ck_assert_gstr(ev->scope[0].resource, NULL);
    ck_assert_gstr(ev->scope[1].action, "kms:*");
    ck_assert_gstr(ev->scope[1].resource, "k/1");
    ck_assert(ev->has_expires);
    ck_assert_i64(ev->expires, INT64_C(1714568400000000));
    ck_assert_int_eq(ev->decision, GL_DECISION_DENY);
    ck_assert_gstr(ev->delegate, "agent-b");
    ck_assert_int_eq(ev->status, GL_STATUS_CANCELLED);
    ck_assert_gstr(ev->authority, "aws-iam");
}

START_TEST(test_encode_roundtrip_all_fields)
{
    struct gl_event ev, st;
    struct gl_error err;
    int rc = decode_cstr(dec, ALL_FIELDS_JSON, &ev, &err);
    ck_assert_msg(rc == GL_OK, "rc=%d msg '%s'", rc, err.msg);
    check_all_fields(&ev);

    struct gl_buf rec = {0};
    encode_ok(&ev, &rec);

    struct gl_decoder *d2 = gl_decoder_new();
    ck_assert_ptr_nonnull(d2);
    memset(&err, 0, sizeof err);
    rc = gl_decoder_decode_stored(d2, rec.data, rec.len, &st, &err);
    ck_assert_msg(rc == GL_OK, "decode_stored: rc=%d msg '%s'", rc, err.msg);
    ck_assert(st.from_store);
    check_all_fields(&st);
    same_event(&ev, &st, "json vs stored");

    /* re-encoding the stored event gives the same bytes (attrs included) */
    struct gl_buf rec2 = {0};
    encode_ok(&st, &rec2);
    ck_assert_uint_eq(rec2.len, rec.len);
    ck_assert(memcmp(rec2.data, rec.data, rec.len) == 0);

    gl_buf_free(&rec);
    gl_buf_free(&rec2);
    gl_decoder_free(d2);
}
END_TEST

/* decode -> encode -> decode_stored -> encode for every valid line; then the
 * JSON the store prints decodes again to the same fields. */
START_TEST(test_encode_roundtrip_valid_lines)
{
    size_t len;
    char *line = get_line(VALID_EVENTS, _i, &len);
    ck_assert_msg(line != NULL, "line %d missing", _i + 1);
    if (is_blank(line, len)) {
        free(line);
        return;
    }
    char ctx[64];
    snprintf(ctx, sizeof ctx, "valid_events.ndjson line %d", _i + 1);
    struct gl_event ev, st, back;
    struct gl_error err = {0};
    int rc = gl_decoder_decode(dec, line, len, &ev, &err);
    ck_assert_msg(rc == GL_OK, "%s: rc=%d msg '%s'", ctx, rc, err.msg);

    struct gl_buf rec = {0}, rec2 = {0}, js = {0};
    encode_ok(&ev, &rec);
    struct gl_decoder *d2 = gl_decoder_new(), *d3 = gl_decoder_new();
    ck_assert(d2 && d3);
    rc = gl_decoder_decode_stored(d2, rec.data, rec.len, &st, &err);
    ck_assert_msg(rc == GL_OK, "%s: decode_stored rc=%d msg '%s'", ctx, rc, err.msg);
    same_event(&ev, &st, ctx);
    encode_ok(&st, &rec2);
    ck_assert_msg(rec2.len == rec.len && memcmp(rec2.data, rec.data, rec.len) == 0,
                  "%s: re-encoding the stored event changed it", ctx);
    /* the in-place reader the analyzer uses sees the same fields */
    struct gl_decoder *d4 = gl_decoder_new();
    struct gl_event vw;
    rc = gl_decoder_view_stored(d4, rec.data, rec.len, &vw, &err);
    ck_assert_msg(rc == GL_OK, "%s: view_stored rc=%d msg '%s'", ctx, rc, err.msg);
    same_event(&ev, &vw, ctx);
    /* every cut of the record is refused with a reason, never read past */
    for (size_t cut = 0; cut < rec.len; cut++) {
        err.msg[0] = '\0';
        ck_assert_msg(gl_decoder_view_stored(d4, rec.data, cut, &vw, &err) == GL_ERR_INVALID,
                      "%s: record cut at %zu accepted", ctx, cut);
        ck_assert_msg(err.msg[0], "%s: no reason for a cut record", ctx);
    }
    gl_decoder_free(d4);

    stored_json(&rec, &js);
    rc = gl_decoder_decode(d3, js.data, strlen(js.data), &back, &err);
    ck_assert_msg(rc == GL_OK, "%s: stored JSON does not decode: %s\n%s", ctx, err.msg, js.data);
    same_event(&ev, &back, ctx);

    gl_buf_free(&rec);
    gl_buf_free(&rec2);
    gl_buf_free(&js);
    gl_decoder_free(d2);
    gl_decoder_free(d3);
    free(line);
}
END_TEST

START_TEST(test_encode_unknown_keys_in_attrs)
{
    struct gl_event ev;
    struct gl_error err;
    int rc = decode_cstr(dec, ALL_FIELDS_JSON, &ev, &err);
    ck_assert_int_eq(rc, GL_OK);
    struct gl_buf rec = {0}, js = {0};
    encode_ok(&ev, &rec);
    stored_json(&rec, &js);
    ck_assert_contains(js.data, "\"attrs\":{\"x\":1,\"extra\":\"kept\"}");
    /* "extra" appears only inside attrs */
    const char *first = strstr(js.data, "\"extra\"");
    ck_assert_ptr_nonnull(first);
    ck_assert_ptr_null(strstr(first + 1, "\"extra\""));
    gl_buf_free(&rec);
    gl_buf_free(&js);

    /* valid line 26: unknown keys (including "v") next to an attrs object */
    decode_valid_line(26, &ev);
    encode_ok(&ev, &rec);
    stored_json(&rec, &js);
    ck_assert_contains(
        js.data, "\"attrs\":{\"prompt\":{\"tokens\":[1,2,3],\"model\":\"m-1\",\"tools\":[{\"name\":"
                 "\"search\",\"args\":{\"q\":\"naïve ☃ 🤖\"}}]},\"ok\":true,\"ratio\":0.5,"
                 "\"none\":null,\"v\":1,\"trace_id\":\"4bf92f3577b34da6\",\"tenant\":{\"name\":"
                 "\"Zürich AG\",\"tier\":2}}");
    gl_buf_free(&rec);
    gl_buf_free(&js);

    /* an unknown key that collides with an attrs key, and a non-object attrs */
    rc = decode_cstr(dec,
                     "{\"id\":\"e\",\"ts\":0,\"type\":\"task.started\",\"workload\":\"w\","
                     "\"task\":\"t\",\"attrs\":{\"a\":1},\"a\":2}",
                     &ev, &err);
    ck_assert_int_eq(rc, GL_OK);
    encode_ok(&ev, &rec);
    stored_json(&rec, &js);
    ck_assert_contains(js.data, "\"attrs\":{\"a\":1,\"^a\":2}");
    gl_buf_free(&rec);
    gl_buf_free(&js);

    rc = decode_cstr(dec,
                     "{\"id\":\"e\",\"ts\":0,\"type\":\"task.started\",\"workload\":\"w\","
                     "\"task\":\"t\",\"attrs\":\"free text\",\"zz\":[true,null]}",
                     &ev, &err);
    ck_assert_int_eq(rc, GL_OK);
    encode_ok(&ev, &rec);
    stored_json(&rec, &js);
    ck_assert_contains(js.data, "\"attrs\":{\"value\":\"free text\",\"zz\":[true,null]}");
    gl_buf_free(&rec);
    gl_buf_free(&js);
}
END_TEST

/* An unknown top-level key keeps its full name in attrs, however long. */
START_TEST(test_encode_long_unknown_key_preserved)
{
    char key[401];
    memset(key, 'k', 400);
    key[400] = '\0';
    char json[700];
    snprintf(json, sizeof json,
             "{\"id\":\"e\",\"ts\":0,\"type\":\"task.started\",\"workload\":\"w\",\"task\":\"t\","
             "\"%s\":7}",
             key);
    struct gl_event ev;
    struct gl_error err;
    ck_assert_int_eq(decode_cstr(dec, json, &ev, &err), GL_OK);
    struct gl_buf rec = {0}, js = {0};
    encode_ok(&ev, &rec);
    stored_json(&rec, &js);
    char want[460];
    snprintf(want, sizeof want, "\"attrs\":{\"%s\":7}", key);
    ck_assert_msg(strstr(js.data, want) != NULL, "400-byte key not kept intact: %s", js.data);
    gl_buf_free(&rec);
    gl_buf_free(&js);
}
END_TEST

START_TEST(test_stored_json_rfc3339_times)
{
    struct gl_event ev;
    struct gl_error err;
    ck_assert_int_eq(decode_cstr(dec, ALL_FIELDS_JSON, &ev, &err), GL_OK);
    struct gl_buf rec = {0}, js = {0};
    encode_ok(&ev, &rec);
    stored_json(&rec, &js);
    ck_assert_contains(js.data, "\"ts\":\"2024-05-01T10:00:00.654321Z\"");
    ck_assert_contains(js.data, "\"expires_at\":\"2024-05-01T13:00:00Z\"");
    ck_assert_contains(js.data, "\"credential\":{\"id\":\"cred-9\",\"kind\":\"oauth_client\","
                                "\"expires_at\":\"2024-05-02T00:00:00Z\"}");
    ck_assert_contains(js.data, "\"id\":\"evt-all\"");
    ck_assert_contains(js.data, "\"type\":\"agent.delegated\"");
    ck_assert_contains(js.data, "\"decision\":\"deny\"");
    ck_assert_contains(js.data, "\"status\":\"cancelled\"");
    ck_assert_contains(js.data, "\"permissions\":[{\"action\":\"s3:GetObject\",\"resource\":\"b/*\"},"
                                "{\"action\":\"s3:PutObject\"},{\"action\":\"kms:Decrypt\","
                                "\"resource\":\"\"}]");
    ck_assert_contains(js.data,
                       "\"scope\":[{\"action\":\"s3:*\"},{\"action\":\"kms:*\",\"resource\":\"k/1\"}]");
    ck_assert_msg(js.data[0] == '{' && js.data[strlen(js.data) - 1] == '}', "%s", js.data);
    ck_assert_ptr_null(strchr(js.data, '\n'));
    ck_assert_ptr_null(strstr(js.data, "\"ts\":1"));
    gl_buf_free(&rec);
    gl_buf_free(&js);

    /* before 1970, and a time key inside attrs stays as given */
    ck_assert_int_eq(decode_cstr(dec,
                                 "{\"id\":\"e\",\"ts\":\"1969-07-20T20:17:40.5-00:00\","
                                 "\"type\":\"task.started\",\"workload\":\"w\",\"task\":\"t\","
                                 "\"attrs\":{\"ts\":5}}",
                                 &ev, &err),
                     GL_OK);
    ck_assert_i64(ev.ts, INT64_C(-14182939500000));
    encode_ok(&ev, &rec);
    stored_json(&rec, &js);
    ck_assert_contains(js.data, "\"ts\":\"1969-07-20T20:17:40.500000Z\"");
    ck_assert_contains(js.data, "\"attrs\":{\"ts\":5}");
    gl_buf_free(&rec);
    gl_buf_free(&js);
}
END_TEST

START_TEST(test_stored_decode_rejects_garbage)
{
    struct gl_event ev;
    struct gl_error err = {0};
    const char junk[] = "\x81\xa2id"; /* map whose value is missing */
    ck_assert_int_eq(gl_decoder_decode_stored(dec, junk, sizeof junk - 1, &ev, &err),
                     GL_ERR_INVALID);
    ck_assert_int_eq(gl_decoder_view_stored(dec, junk, sizeof junk - 1, &ev, &err),
                     GL_ERR_INVALID);
    /* a map claiming 2^32-1 pairs in a few bytes: refused before any loop */
    const char bomb[] = "\xdf\xff\xff\xff\xff" "\xa2id";
    ck_assert_int_eq(gl_decoder_view_stored(dec, bomb, sizeof bomb - 1, &ev, &err),
                     GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "more elements"), "%s", err.msg);
    /* nesting past the limit inside attrs */
    char deep[64] = "\x81\xa5" "attrs";
    size_t n = 7;
    for (int i = 0; i < 40; i++)
        deep[n++] = '\x91';
    deep[n++] = '\x01';
    ck_assert_int_eq(gl_decoder_view_stored(dec, deep, n, &ev, &err), GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "deeper"), "%s", err.msg);
    struct gl_buf js = {0};
    ck_assert_int_ne(gl_event_stored_to_json(junk, sizeof junk - 1, &js, &err), GL_OK);
    gl_buf_free(&js);
}
END_TEST

/* ===================== names ===================== */

START_TEST(test_names_type_roundtrip)
{
    for (int t = 0; t < GL_EV__COUNT; t++) {
        const char *n = gl_event_type_name((enum gl_event_type)t);
        ck_assert_int_eq(gl_event_type_parse(n, strlen(n)), t);
    }
    ck_assert_str_eq(gl_event_type_name(GL_EV_ACTION_PERFORMED), "action.performed");
    ck_assert_int_eq(gl_event_type_parse("action.perform", 14), -1);
    ck_assert_int_eq(gl_event_type_parse("action.performedX", 17), -1);
    ck_assert_str_eq(gl_decision_name(GL_DECISION_DENY), "deny");
    ck_assert_str_eq(gl_status_name(GL_STATUS_FAILED), "failed");
}
END_TEST

/* ===================== gl_utf8_valid ===================== */

struct bytes {
    const char *s;
    size_t len;
};
#define B(lit) {lit, sizeof(lit) - 1}

static const struct bytes utf8_good[] = {
    B(""),
    B("plain ascii"),
    B("a\0b"),                /* U+0000 is a character */
    B("\x7f"),
    B("\xc2\x80"),            /* U+0080, first 2-byte */
    B("\xc3\xa9"),            /* é */
    B("\xdf\xbf"),            /* U+07FF, last 2-byte */
    B("\xe0\xa0\x80"),        /* U+0800, first 3-byte */
    B("\xe2\x98\x83"),        /* ☃ */
    B("\xed\x9f\xbf"),        /* U+D7FF, just below the surrogates */
    B("\xee\x80\x80"),        /* U+E000, just above */
    B("\xef\xbf\xbf"),        /* U+FFFF */
    B("\xf0\x90\x80\x80"),    /* U+10000, first 4-byte */
    B("\xf0\x9f\xa4\x96"),    /* 🤖 */
    B("\xf4\x8f\xbf\xbf"),    /* U+10FFFF, last code point */
    B("x\xc3\xa9y\xe2\x98\x83z\xf0\x9f\xa4\x96!"),
};

static const struct bytes utf8_bad[] = {
    /* overlongs */
    B("\xc0\x80"),
    B("\xc0\xaf"),
    B("\xc1\xbf"),
    B("\xe0\x80\x80"),
    B("\xe0\x9f\xbf"),
    B("\xf0\x80\x80\x80"),
    B("\xf0\x8f\xbf\xbf"),
    /* surrogates */
    B("\xed\xa0\x80"),
    B("\xed\xbf\xbf"),
    B("\xed\xa0\xbd\xed\xb2\xa9"), /* CESU-8 pair */
    /* beyond U+10FFFF, 5- and 6-byte forms */
    B("\xf4\x90\x80\x80"),
    B("\xf5\x80\x80\x80"),
    B("\xf7\xbf\xbf\xbf"),
    B("\xf8\x88\x80\x80\x80"),
    B("\xfc\x84\x80\x80\x80\x80"),
    B("\xfe"),
    B("\xff"),
    /* truncated sequences */
    B("\xc3"),
    B("\xe2\x98"),
    B("\xf0\x9f\xa4"),
    B("ok\xc3"),
    B("ok\xf0\x9f"),
    /* bad continuation bytes */
    B("\x80"),
    B("\xbf"),
    B("\xc3\x28"),
    B("\xe2\x28\xa1"),
    B("\xe2\x82\x28"),
    B("\xf0\x28\x8c\xbc"),
    B("\xf0\x90\x28\xbc"),
    B("\xf0\x90\x8c\x28"),
    B("\xc3\xc3\xa9"),
};

START_TEST(test_utf8_valid_accepts)
{
    ck_assert_msg(gl_utf8_valid(utf8_good[_i].s, utf8_good[_i].len), "case %d (%zu bytes) rejected",
                  _i, utf8_good[_i].len);
}
END_TEST

START_TEST(test_utf8_valid_rejects)
{
    ck_assert_msg(!gl_utf8_valid(utf8_bad[_i].s, utf8_bad[_i].len), "case %d (%zu bytes) accepted",
                  _i, utf8_bad[_i].len);
}
END_TEST

/* The length bounds the check: a sequence cut by 'len' is truncated. */
START_TEST(test_utf8_valid_respects_len)
{
    const char s[] = "ab\xf0\x9f\xa4\x96";
    ck_assert(gl_utf8_valid(s, 6));
    ck_assert(gl_utf8_valid(s, 2));
    for (size_t n = 3; n < 6; n++)
        ck_assert_msg(!gl_utf8_valid(s, n), "cut at %zu accepted", n);
}
END_TEST

/* ===================== runner ===================== */

static Suite *event_suite(int n_valid, int n_invalid)
{
    Suite *s = suite_create("event");

    TCase *tc = tcase_create("valid_events");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_decode_valid_lines, 0, n_valid);
    tcase_add_test(tc, test_decode_fields_hand_checked);
    suite_add_tcase(s, tc);

    tc = tcase_create("invalid_events");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_loop_test(tc, test_decode_invalid_lines, 0, n_invalid);
    suite_add_tcase(s, tc);

    tc = tcase_create("samples");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_samples_agents_all_decode);
    tcase_add_loop_test(tc, test_samples_malformed_all_rejected, 0, N_ELEMS(malformed_cases));
    tcase_add_test(tc, test_samples_malformed_line_count);
    suite_add_tcase(s, tc);

    tc = tcase_create("msgpack");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_msgpack_same_fields_as_json);
    tcase_add_test(tc, test_msgpack_epoch_ms_and_map16);
    tcase_add_loop_test(tc, test_msgpack_invalid_utf8_rejected, 0, N_ELEMS(mp_utf8_cases));
    tcase_add_test(tc, test_msgpack_valid_utf8_accepted);
    tcase_add_test(tc, test_msgpack_non_string_key_rejected);
    tcase_add_test(tc, test_msgpack_trailing_bytes_rejected);
    tcase_add_test(tc, test_msgpack_truncated_rejected);
    tcase_add_test(tc, test_msgpack_bin_in_attrs_rejected);
    tcase_add_test(tc, test_msgpack_bin_field_rejected);
    suite_add_tcase(s, tc);

    tc = tcase_create("json");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_json_duplicate_key_rejected);
    tcase_add_test(tc, test_json_duplicate_nested_key_rejected);
    tcase_add_test(tc, test_json_null_optional_fields_absent);
    tcase_add_test(tc, test_json_non_object_rejected);
    tcase_add_test(tc, test_json_empty_message_rejected);
    tcase_add_test(tc, test_json_strict);
    tcase_add_test(tc, test_json_nesting_limit);
    tcase_add_test(tc, test_json_epoch_ms_ts);
    tcase_add_test(tc, test_json_epoch_ms_out_of_range_rejected);
    tcase_add_test(tc, test_decoder_reuse_after_error);
    suite_add_tcase(s, tc);

    tc = tcase_create("stored");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_encode_roundtrip_all_fields);
    tcase_add_loop_test(tc, test_encode_roundtrip_valid_lines, 0, n_valid);
    tcase_add_test(tc, test_encode_unknown_keys_in_attrs);
    tcase_add_test(tc, test_encode_long_unknown_key_preserved);
    tcase_add_test(tc, test_stored_json_rfc3339_times);
    tcase_add_test(tc, test_stored_decode_rejects_garbage);
    suite_add_tcase(s, tc);

    tc = tcase_create("names_utf8");
    tcase_add_test(tc, test_names_type_roundtrip);
    tcase_add_loop_test(tc, test_utf8_valid_accepts, 0, N_ELEMS(utf8_good));
    tcase_add_loop_test(tc, test_utf8_valid_rejects, 0, N_ELEMS(utf8_bad));
    tcase_add_test(tc, test_utf8_valid_respects_len);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    int n_valid = count_lines(VALID_EVENTS);
    int n_invalid = count_lines(INVALID_EVENTS);
    if (n_valid < 1 || n_invalid < 1) {
        fprintf(stderr, "check_event: cannot read %s or %s\n", VALID_EVENTS, INVALID_EVENTS);
        return EXIT_FAILURE;
    }
    return gl_test_run(event_suite(n_valid, n_invalid));
}
