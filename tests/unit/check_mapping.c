/* Unit tests for lib/mapping.c through the decoder: the shipped CloudTrail
 * and Kubernetes audit mappings on records shaped like the real ones, the
 * template language (alternatives, filters, whole values, switches, braces),
 * conditions, refusals, identifiers, and the load errors a mapping author
 * sees. */
#include "grantline/event.h"
#include "grantline/mapping.h"

#include "check_helpers.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct gl_mappings *shipped(void)
{
    struct gl_mappings *m = NULL;
    struct gl_error err = {0};
    int rc = gl_mappings_load(GL_SOURCE_DIR "/schemas/mappings", &m, &err);
    ck_assert_msg(rc == GL_OK, "%s", err.msg);
    ck_assert_uint_eq(gl_mappings_count(m), 6); /* in file name order */
    ck_assert_str_eq(gl_mappings_name(m, 0), "cloudtrail-eventbridge");
    ck_assert_str_eq(gl_mappings_name(m, 1), "cloudtrail-log-file");
    ck_assert_str_eq(gl_mappings_name(m, 2), "cloudtrail");
    ck_assert_str_eq(gl_mappings_name(m, 3), "k8s-audit-list");
    ck_assert_str_eq(gl_mappings_name(m, 4), "k8s-audit");
    ck_assert_str_eq(gl_mappings_name(m, 5), "vault-audit");
    return m;
}

static struct gl_mappings *one(const char *json)
{
    struct gl_mappings *m = NULL;
    struct gl_error err = {0};
    int rc = gl_mappings_add(&m, json, strlen(json), "test", &err);
    ck_assert_msg(rc == GL_OK, "%s", err.msg);
    return m;
}

static void load_bad(const char *json, const char *want)
{
    struct gl_mappings *m = NULL;
    struct gl_error err = {0};
    int rc = gl_mappings_add(&m, json, strlen(json), "bad.json", &err);
    ck_assert_int_eq(rc, GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, want) != NULL, "'%s' lacks '%s'", err.msg, want);
    ck_assert_msg(strstr(err.msg, "bad.json") != NULL, "'%s' does not name the file", err.msg);
    gl_mappings_free(m);
}

static bool str_eq(struct gl_str s, const char *want)
{
    return s.ptr && s.len == strlen(want) && memcmp(s.ptr, want, s.len) == 0;
}

#define ck_assert_gstr(s, want)                                                               \
    ck_assert_msg(str_eq((s), (want)), "got '%.*s', want '%s'", (int)(s).len,                 \
                  (s).ptr ? (s).ptr : "", (want))

/* The shipped secret rules under a fixed key; the caller frees them. */
static struct gl_redactor *redactor(void)
{
    struct gl_redactor *rd = NULL;
    struct gl_error err = {0};
    unsigned char key[32] = {1};
    ck_assert_msg(gl_redactor_load(GL_SOURCE_DIR "/schemas/secrets.rules", key, sizeof key, &rd,
                                   &err) == GL_OK,
                  "%s", err.msg);
    return rd;
}

/* 'ev' stored (redacted by 'rd' unless NULL, secrets added to 'hits' unless
 * NULL) and read back as JSON, NUL-terminated; the caller frees it. */
static char *stored_json(const struct gl_event *ev, struct gl_redactor *rd,
                         struct gl_redact_hits *hits)
{
    struct gl_buf out = {0}, json = {0};
    struct gl_error err = {0};
    ck_assert_msg(gl_event_encode(ev, rd, &out, hits, &err) == GL_OK, "%s", err.msg);
    ck_assert_msg(gl_event_stored_to_json(out.data, out.len, &json, &err) == GL_OK, "%s",
                  err.msg);
    gl_buf_append(&json, "", 1);
    gl_buf_free(&out);
    return json.data;
}

static int decode(struct gl_decoder *d, const char *json, struct gl_event *ev,
                  struct gl_error *err)
{
    memset(ev, 0, sizeof *ev);
    memset(err, 0, sizeof *err);
    return gl_decoder_decode(d, json, strlen(json), ev, err);
}

#define ASSUME_ROLE                                                                            \
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"principalId\":"        \
    "\"AIDAEXAMPLE\",\"arn\":\"arn:aws:iam::111122223333:user/deployer\",\"accountId\":"        \
    "\"111122223333\",\"accessKeyId\":\"AKIAIOSFODNN7EXAMPLE\",\"userName\":\"deployer\"},"     \
    "\"eventTime\":\"2026-03-01T10:00:00Z\",\"eventSource\":\"sts.amazonaws.com\","             \
    "\"eventName\":\"AssumeRole\",\"awsRegion\":\"eu-west-1\",\"requestParameters\":{"          \
    "\"roleArn\":\"arn:aws:iam::111122223333:role/ci-agent\",\"roleSessionName\":\"run-42\"},"  \
    "\"responseElements\":{\"credentials\":{\"accessKeyId\":\"ASIAQEXAMPLEKEY12345\","          \
    "\"sessionToken\":\"IQoJb3JpZ2luX2VjEXAMPLEtokenvalueABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\","  \
    "\"expiration\":\"Mar 1, 2026, 11:00:00 AM\"},\"assumedRoleUser\":{\"assumedRoleId\":"     \
    "\"AROAEXAMPLE:run-42\",\"arn\":\"arn:aws:sts::111122223333:assumed-role/ci-agent/run-42\"}}," \
    "\"eventID\":\"ct-0001\",\"eventType\":\"AwsApiCall\",\"recipientAccountId\":\"111122223333\"}"

START_TEST(test_cloudtrail_assume_role)
{
    struct gl_mappings *m = shipped();
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    struct gl_error err;
    ck_assert_msg(decode(d, ASSUME_ROLE, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_IDENTITY_ISSUED);
    ck_assert_gstr(ev.id, "cloudtrail:ct-0001"); /* ids of each format apart */
    ck_assert_gstr(ev.workload, "arn:aws:iam::111122223333:role/ci-agent");
    ck_assert_gstr(ev.task, "arn:aws:sts::111122223333:assumed-role/ci-agent/run-42");
    ck_assert_gstr(ev.actor, "arn:aws:iam::111122223333:user/deployer");
    ck_assert_gstr(ev.source, "sts.amazonaws.com");
    ck_assert_gstr(ev.cred_id, "ASIAQEXAMPLEKEY12345");
    ck_assert_gstr(ev.cred_kind, "token");
    /* "Mar 1, 2026, 11:00:00 AM" (awstime) is an hour after the event */
    ck_assert(ev.has_cred_expires);
    ck_assert_int_eq(ev.cred_expires - ev.ts, 3600LL * 1000000);
    const struct gl_mapping_rule *r = gl_decoder_mapped(d);
    ck_assert_str_eq(gl_mapping_rule_label(r), "cloudtrail/sts-assume-role");
    /* and the caller's call, the record's second event */
    ck_assert_uint_eq(gl_decoder_more(d), 1);
    struct gl_event call;
    ck_assert_msg(gl_decoder_decode_more(d, 0, &call, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(call.type, GL_EV_ACTION_PERFORMED);
    ck_assert_gstr(call.id, "cloudtrail:ct-0001:call");
    ck_assert_gstr(call.workload, "arn:aws:iam::111122223333:user/deployer");
    ck_assert_gstr(call.cred_id, "AKIAIOSFODNN7EXAMPLE");
    ck_assert_gstr(call.perms[0].action, "sts:AssumeRole");
    ck_assert_gstr(call.perms[0].resource, "arn:aws:iam::111122223333:role/ci-agent");
    ck_assert_int_eq(call.decision, GL_DECISION_ALLOW);
    ck_assert_str_eq(gl_mapping_rule_label(gl_decoder_mapped(d)), "cloudtrail/iam-user-call");
    ck_assert_int_eq(gl_decoder_decode_more(d, 1, &call, &err), GL_ERR_INVALID);
    /* the first event again */
    ck_assert_msg(decode(d, ASSUME_ROLE, &ev, &err) == GL_OK, "%s", err.msg);
    r = gl_decoder_mapped(d);
    ck_assert(gl_mapping_rule_identifier(r, "credential.id", "aws-access-key-id"));
    ck_assert(gl_mapping_rule_identifier(r, "attrs.cloudtrail.userIdentity.accessKeyId",
                                         "aws-access-key-id"));
    /* only for the rule it names: a GitHub token there is an exposure */
    ck_assert(!gl_mapping_rule_identifier(r, "attrs.cloudtrail.userIdentity.accessKeyId",
                                          "github-token"));
    ck_assert(!gl_mapping_rule_identifier(
        r, "attrs.cloudtrail.responseElements.credentials.sessionToken", "key-sensitive"));

    /* the whole record is kept in attrs, redacted there: encode and look */
    struct gl_redactor *rd = redactor();
    struct gl_redact_hits hits = {0};
    char *json = stored_json(&ev, rd, &hits);
    ck_assert_msg(strstr(json, "\"roleSessionName\":\"run-42\"") != NULL, "%s", json);
    ck_assert_msg(strstr(json, "IQoJb3JpZ2lu") == NULL, "session token stored: %s", json);
    bool token = false;
    for (size_t i = 0; i < hits.n; i++)
        token |= strcmp(hits.v[i].field,
                        "attrs.cloudtrail.responseElements.credentials.sessionToken") == 0;
    ck_assert_msg(token, "the session token was not found as a secret");
    free(json);
    gl_redact_hits_free(&hits);
    gl_redactor_free(rd);
    gl_decoder_free(d);
    gl_mappings_free(m);
}
END_TEST

START_TEST(test_cloudtrail_calls)
{
    struct gl_mappings *m = shipped();
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    struct gl_error err;
    /* a call made with the role session: role = workload, session = task */
    const char *session_call =
        "{\"eventVersion\":\"1.09\",\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":"
        "\"arn:aws:sts::111122223333:assumed-role/ci-agent/run-42\",\"accessKeyId\":"
        "\"ASIAQEXAMPLEKEY12345\",\"sessionContext\":{\"sessionIssuer\":{\"type\":\"Role\","
        "\"arn\":\"arn:aws:iam::111122223333:role/ci-agent\"}}},\"eventTime\":"
        "\"2026-03-01T10:05:00Z\",\"eventSource\":\"secretsmanager.amazonaws.com\","
        "\"eventName\":\"GetSecretValue\",\"requestParameters\":{\"secretId\":\"prod/db\"},"
        "\"errorCode\":\"AccessDenied\",\"eventID\":\"ct-0002\",\"eventType\":\"AwsApiCall\"}";
    ck_assert_msg(decode(d, session_call, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_ACTION_PERFORMED);
    ck_assert_gstr(ev.workload, "arn:aws:iam::111122223333:role/ci-agent");
    ck_assert_gstr(ev.task, "arn:aws:sts::111122223333:assumed-role/ci-agent/run-42");
    ck_assert_gstr(ev.cred_id, "ASIAQEXAMPLEKEY12345");
    ck_assert_uint_eq(ev.n_perms, 1);
    ck_assert_gstr(ev.perms[0].action, "secretsmanager:GetSecretValue");
    ck_assert_gstr(ev.perms[0].resource, "prod/db");
    ck_assert_int_eq(ev.decision, GL_DECISION_DENY);
    ck_assert_str_eq(gl_mapping_rule_label(gl_decoder_mapped(d)), "cloudtrail/role-session-call");

    /* an AWS service's call: no key, no resource, an error that is no denial,
     * the time under Logstash's @timestamp */
    const char *service_call =
        "{\"eventVersion\":\"1.05\",\"userIdentity\":{\"type\":\"AWSService\",\"invokedBy\":"
        "\"ec2.amazonaws.com\"},\"@timestamp\":\"2026-03-01T10:06:00.000Z\",\"eventSource\":"
        "\"kms.amazonaws.com\",\"eventName\":\"Decrypt\",\"errorCode\":\"ThrottlingException\","
        "\"eventID\":\"ct-0003\",\"eventType\":\"AwsApiCall\"}";
    ck_assert_msg(decode(d, service_call, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.workload, "ec2.amazonaws.com");
    ck_assert_int_eq(ev.cred_id.len, 0);
    ck_assert_gstr(ev.perms[0].action, "kms:Decrypt");
    ck_assert_int_eq(ev.decision, GL_DECISION_ALLOW);
    ck_assert_str_eq(gl_mapping_rule_label(gl_decoder_mapped(d)), "cloudtrail/call");

    /* an access key created, then deleted */
    const char *create =
        "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":"
        "\"arn:aws:iam::111122223333:user/admin\",\"accountId\":\"111122223333\"},"
        "\"eventTime\":\"2026-03-02T09:00:00Z\",\"eventSource\":\"iam.amazonaws.com\","
        "\"eventName\":\"CreateAccessKey\",\"requestParameters\":{\"userName\":\"ci-bot\"},"
        "\"responseElements\":{\"accessKey\":{\"accessKeyId\":\"AKIAI44QH8DHBEXAMPLE\","
        "\"status\":\"Active\",\"userName\":\"ci-bot\",\"createDate\":\"Mar 2, 2026 9:00:00 AM\"}},"
        "\"eventID\":\"ct-0004\",\"recipientAccountId\":\"111122223333\",\"eventType\":\"AwsApiCall\"}";
    ck_assert_msg(decode(d, create, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_IDENTITY_ISSUED);
    ck_assert_gstr(ev.workload, "arn:aws:iam::111122223333:user/ci-bot");
    ck_assert_gstr(ev.cred_id, "AKIAI44QH8DHBEXAMPLE");
    ck_assert_gstr(ev.cred_kind, "api_key");
    ck_assert(!ev.has_cred_expires);
    const char *del =
        "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":"
        "\"arn:aws:iam::111122223333:user/admin\"},\"eventTime\":\"2026-03-09T09:00:00Z\","
        "\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"DeleteAccessKey\","
        "\"requestParameters\":{\"userName\":\"ci-bot\",\"accessKeyId\":\"AKIAI44QH8DHBEXAMPLE\"},"
        "\"eventID\":\"ct-0005\",\"recipientAccountId\":\"111122223333\",\"eventType\":\"AwsApiCall\"}";
    ck_assert_msg(decode(d, del, &ev, &err) == GL_OK, "%s", err.msg);
    /* a revocation comes after the record's call (a key deleted with itself
     * is used, then retired) */
    ck_assert_int_eq(ev.type, GL_EV_ACTION_PERFORMED);
    ck_assert_gstr(ev.id, "cloudtrail:ct-0005:call");
    ck_assert_gstr(ev.perms[0].action, "iam:DeleteAccessKey");
    ck_assert_uint_eq(gl_decoder_more(d), 1);
    ck_assert_msg(gl_decoder_decode_more(d, 0, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_CREDENTIAL_REVOKED);
    ck_assert_gstr(ev.id, "cloudtrail:ct-0005");
    ck_assert_gstr(ev.workload, "arn:aws:iam::111122223333:user/ci-bot");
    ck_assert_gstr(ev.cred_id, "AKIAI44QH8DHBEXAMPLE");

    /* a record the mapping detects but cannot make valid: the reason names
     * the rule and the field */
    const char *no_id = "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"Root\"},"
                        "\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"ListUsers\","
                        "\"eventID\":\"ct-0006\",\"eventType\":\"AwsApiCall\"}";
    ck_assert_int_eq(decode(d, no_id, &ev, &err), GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "cloudtrail/call") && strstr(err.msg, "ts"), "%s", err.msg);
    gl_decoder_free(d);
    gl_mappings_free(m);
}
END_TEST

START_TEST(test_cloudtrail_edges)
{
    struct gl_mappings *m = shipped();
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    struct gl_error err;
    /* an IAM user with a path, in another partition: named as its keys are
     * issued (CreateAccessKey gives no path), a key id "" names no key, an
     * authentication failure is a denial */
    const char *user_call =
        "{\"eventVersion\":\"1.09\",\"eventType\":\"AwsApiCall\",\"userIdentity\":{\"type\":"
        "\"IAMUser\",\"arn\":\"arn:aws-us-gov:iam::111122223333:user/ci/deployer\",\"accountId\":"
        "\"111122223333\",\"userName\":\"deployer\",\"accessKeyId\":\"\"},\"eventTime\":"
        "\"2026-03-01T10:00:00Z\",\"eventSource\":\"sns.amazonaws.com\",\"eventName\":\"Publish\","
        "\"errorCode\":\"AuthorizationError\",\"eventID\":\"ct-0100\"}";
    ck_assert_msg(decode(d, user_call, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.workload, "arn:aws-us-gov:iam::111122223333:user/deployer");
    ck_assert_int_eq(ev.cred_id.len, 0);
    ck_assert_int_eq(ev.decision, GL_DECISION_DENY);
    ck_assert_str_eq(gl_mapping_rule_label(gl_decoder_mapped(d)), "cloudtrail/iam-user-call");
    const char *expired = "{\"eventVersion\":\"1.09\",\"eventType\":\"AwsApiCall\",\"userIdentity\":"
                          "{\"type\":\"IAMUser\",\"arn\":\"arn:aws:iam::1:user/u\",\"userName\":\"u\","
                          "\"accountId\":\"1\"},\"eventTime\":\"2026-03-01T10:00:00Z\",\"eventSource\":"
                          "\"sts.amazonaws.com\",\"eventName\":\"GetCallerIdentity\",\"errorCode\":"
                          "\"ExpiredToken\",\"eventID\":\"ct-0101\"}";
    ck_assert_msg(decode(d, expired, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.decision, GL_DECISION_DENY);

    /* an expiry the filter cannot read leaves the expiry out, not the
     * issuance; "Sept", lower-case "am" and epoch milliseconds are read */
    const struct {
        const char *exp;
        long long want_s; /* 0: left out */
    } exps[] = {
        {"Sept 2, 2026, 11:00:00 AM", 1788346800},
        {"Mar 2, 2026, 11:00:00 am", 1772449200},
        {"Mar 2, 2026, 11:00:00\xe2\x80\xaf" "PM", 1772492400},
        {"1772449200000", 1772449200},
        {"1772449200", 1772449200}, /* epoch seconds */
        {"next Tuesday", 0},
        {"Feb 31, 2026, 11:00:00 AM", 0},
        {"2026-02-31T11:00:00Z", 0},
        {"999999999999999", 0}, /* a year past 9999 */
    };
    for (size_t i = 0; i < sizeof exps / sizeof *exps; i++) {
        char rec[1024];
        snprintf(rec, sizeof rec,
                 "{\"eventVersion\":\"1.08\",\"eventType\":\"AwsApiCall\",\"userIdentity\":{\"type\":"
                 "\"AWSService\",\"invokedBy\":\"ec2.amazonaws.com\"},\"eventTime\":"
                 "\"2026-03-01T10:00:00Z\",\"eventSource\":\"sts.amazonaws.com\",\"eventName\":"
                 "\"AssumeRole\",\"requestParameters\":{\"roleArn\":\"arn:aws:iam::1:role/r\"},"
                 "\"responseElements\":{\"credentials\":{\"accessKeyId\":\"ASIAEXAMPLEEXAMPLE01\","
                 "\"expiration\":\"%s\"}},\"eventID\":\"e-%zu\"}",
                 exps[i].exp, i);
        ck_assert_msg(decode(d, rec, &ev, &err) == GL_OK, "%s: %s", exps[i].exp, err.msg);
        ck_assert_int_eq(ev.type, GL_EV_IDENTITY_ISSUED);
        ck_assert_msg(ev.has_cred_expires == (exps[i].want_s != 0), "%s", exps[i].exp);
        if (exps[i].want_s)
            ck_assert_msg(ev.cred_expires == exps[i].want_s * 1000000, "%s: %lld", exps[i].exp,
                          (long long)ev.cred_expires);
    }

    /* what is not one call is refused with the way out */
    const struct {
        const char *rec, *want;
    } refused[] = {
        {"{\"Records\":[{\"eventVersion\":\"1.08\"}]}", "cloudtrail-log-file/split-first: a CloudTrail "
                                                         "log file (its records in one message): give "
                                                         "one record per line or message, e.g. jq -c"},
        {"{\"eventVersion\":\"1.07\",\"eventID\":\"i-1\",\"eventType\":\"AwsCloudTrailInsight\","
         "\"insightDetails\":{}}",
         "cloudtrail/insight: a CloudTrail Insights event"},
        {"{\"eventVersion\":\"1.08\",\"eventID\":\"i-2\",\"eventType\":\"AwsServiceEvent\"}",
         "cloudtrail/no-identity: a AwsServiceEvent record without userIdentity"},
        {"{\"kind\":\"EventList\",\"apiVersion\":\"audit.k8s.io/v1\",\"items\":[]}",
         "k8s-audit-list/split-first: a Kubernetes audit EventList (the webhook backend's batch)"},
    };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++) {
        ck_assert_int_eq(decode(d, refused[i].rec, &ev, &err), GL_ERR_INVALID);
        ck_assert_msg(strncmp(err.msg, refused[i].want, strlen(refused[i].want)) == 0, "%s",
                      err.msg);
    }
    gl_decoder_free(d);
    gl_mappings_free(m);
}
END_TEST

START_TEST(test_k8s_ids_and_secrets)
{
    struct gl_mappings *m = shipped();
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    struct gl_error err;
    /* a client may send any Audit-ID: the id also digests the record, so a
     * second request with the same audit id is an event of its own, while
     * the same record read twice is the same event */
    const char *a = "{\"kind\":\"Event\",\"auditID\":\"same\",\"stage\":\"ResponseComplete\","
                    "\"verb\":\"get\",\"user\":{\"username\":\"u\"},\"objectRef\":{\"resource\":"
                    "\"configmaps\"},\"requestURI\":\"/api/v1/namespaces/ci/configmaps/build\","
                    "\"responseStatus\":{\"code\":200},"
                    "\"requestReceivedTimestamp\":\"2026-03-01T10:00:00Z\"}";
    const char *b = "{\"kind\":\"Event\",\"auditID\":\"same\",\"stage\":\"ResponseComplete\","
                    "\"verb\":\"get\",\"user\":{\"username\":\"u\"},\"objectRef\":{\"resource\":"
                    "\"secrets\"},\"requestURI\":\"/api/v1/namespaces/kube-system/secrets/admin\","
                    "\"responseStatus\":{\"code\":200},"
                    "\"requestReceivedTimestamp\":\"2026-03-01T10:00:01Z\"}";
    char id_a[160], id_a2[160], id_b[160];
    ck_assert_msg(decode(d, a, &ev, &err) == GL_OK, "%s", err.msg);
    snprintf(id_a, sizeof id_a, "%.*s", (int)ev.id.len, ev.id.ptr);
    ck_assert_msg(decode(d, a, &ev, &err) == GL_OK, "%s", err.msg);
    snprintf(id_a2, sizeof id_a2, "%.*s", (int)ev.id.len, ev.id.ptr);
    ck_assert_msg(decode(d, b, &ev, &err) == GL_OK, "%s", err.msg);
    snprintf(id_b, sizeof id_b, "%.*s", (int)ev.id.len, ev.id.ptr);
    ck_assert_str_eq(id_a, id_a2);
    ck_assert_str_ne(id_a, id_b);
    ck_assert_msg(strncmp(id_a, "k8s:", 4) == 0 && strlen(id_a) == 4 + 32, "%s", id_a);
    /* keyed: another key, another id (a reader cannot test guesses of a
     * secret the record held against an unkeyed digest) */
    gl_mappings_set_key(m, "another key of the store, 32 b..", 32);
    ck_assert_msg(decode(d, a, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert(strlen(id_a) == ev.id.len && memcmp(id_a, ev.id.ptr, ev.id.len) != 0);
    /* a client's audit id of any length is no event id */
    char longid[1024];
    snprintf(longid, sizeof longid,
             "{\"kind\":\"Event\",\"auditID\":\"%0300d\",\"stage\":\"ResponseComplete\","
             "\"verb\":\"get\",\"user\":{\"username\":\"u\"},\"objectRef\":{\"resource\":"
             "\"secrets\"},\"requestURI\":\"/x\",\"responseStatus\":{\"code\":200},"
             "\"requestReceivedTimestamp\":\"2026-03-01T10:00:01Z\"}",
             7);
    ck_assert_msg(decode(d, longid, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_uint_eq(ev.id.len, 36);

    /* a Secret's value logged at Request level is stored as a marker, with
     * the exposure it is */
    const char *secret =
        "{\"kind\":\"Event\",\"auditID\":\"s-1\",\"stage\":\"ResponseComplete\",\"level\":"
        "\"Request\",\"verb\":\"create\",\"user\":{\"username\":\"admin\"},\"objectRef\":{"
        "\"resource\":\"secrets\",\"namespace\":\"prod\",\"name\":\"db\"},\"requestURI\":"
        "\"/api/v1/namespaces/prod/secrets\",\"requestObject\":{\"kind\":\"Secret\",\"data\":{"
        "\"db-url\":\"cG9zdGdyZXM6Ly9hcHA6UzNjcjN0QGRiL2FwcA==\"}},\"responseStatus\":{\"code\":"
        "201},\"requestReceivedTimestamp\":\"2026-03-01T10:00:00Z\"}";
    ck_assert_msg(decode(d, secret, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_uint_eq(ev.n_secret_vals, 1);
    struct gl_redactor *rd = redactor();
    struct gl_redact_hits hits = {0};
    char *js = stored_json(&ev, rd, &hits);
    ck_assert_msg(strstr(js, "cG9zdGdyZXM6") == NULL, "%s", js);
    ck_assert_msg(strstr(js, "\"requestObject\":\"[REDACTED:key-sensitive:"), "%s", js);
    free(js);
    ck_assert_uint_eq(hits.n, 1);
    ck_assert_str_eq(hits.v[0].field, "attrs.k8s.requestObject");
    /* a repeated key hides nothing: every reading of the record counts */
    const char *twice =
        "{\"kind\":\"Event\",\"auditID\":\"s-3\",\"stage\":\"ResponseComplete\",\"verb\":"
        "\"create\",\"user\":{\"username\":\"admin\"},\"objectRef\":{\"resource\":"
        "\"configmaps\",\"resource\":\"secrets\"},\"requestURI\":\"/x\",\"requestObject\":{},"
        "\"requestObject\":{\"data\":{\"k\":\"RFVQS0VZLVBMQUlOVEVYVA==\"}},\"responseStatus\":"
        "{\"code\":201},\"requestReceivedTimestamp\":\"2026-03-01T10:00:00Z\"}";
    ck_assert_msg(decode(d, twice, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_uint_eq(ev.n_secret_vals, 2);
    js = stored_json(&ev, rd, NULL);
    ck_assert_msg(strstr(js, "RFVQS0VZ") == NULL, "%s", js);
    free(js);
    struct gl_buf json = {0};
    /* a Secret repeating its resource key past any limit: refused, and
     * the quarantine keeps it as one marker */
    char many[4096];
    int at = snprintf(many, sizeof many,
                      "{\"kind\":\"Event\",\"auditID\":\"s-4\",\"stage\":\"ResponseComplete\","
                      "\"verb\":\"create\",\"user\":{\"username\":\"admin\"},\"objectRef\":"
                      "{\"resource\":\"secrets\"},\"requestURI\":\"/x\",\"responseStatus\":"
                      "{\"code\":201},\"requestReceivedTimestamp\":\"2026-03-01T10:00:00Z\"");
    for (int i = 0; i < 40; i++)
        at += snprintf(many + at, sizeof many - (size_t)at,
                       ",\"requestObject\":{\"data\":{\"k\":\"TUFOWS1QTEFJTlRFWFQ=\"}}");
    snprintf(many + at, sizeof many - (size_t)at, "}");
    ck_assert_int_eq(decode(d, many, &ev, &err), GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "more than 32 values to redact"), "%s", err.msg);
    gl_buf_reset(&json);
    ck_assert_int_eq(gl_event_redact_raw(d, many, strlen(many), rd, &json, NULL, &err), GL_OK);
    gl_buf_append(&json, "", 1);
    ck_assert_msg(strstr(json.data, "TUFOWS1") == NULL && json.data[0] == '"', "%s", json.data);
    /* msgpack keys written as bin are keys too */
    msgpack_sbuffer sb;
    msgpack_sbuffer_init(&sb);
    msgpack_packer pk;
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 7);
    const char *kv[][2] = {{"kind", "Event"}, {"auditID", "s-5"}, {"stage", "RequestReceived"},
                           {"verb", "create"}};
    for (int i = 0; i < 4; i++) {
        msgpack_pack_bin(&pk, strlen(kv[i][0]));
        msgpack_pack_bin_body(&pk, kv[i][0], strlen(kv[i][0]));
        msgpack_pack_str(&pk, strlen(kv[i][1]));
        msgpack_pack_str_body(&pk, kv[i][1], strlen(kv[i][1]));
    }
    msgpack_pack_bin(&pk, 4);
    msgpack_pack_bin_body(&pk, "user", 4);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str(&pk, 8);
    msgpack_pack_str_body(&pk, "username", 8);
    msgpack_pack_str(&pk, 1);
    msgpack_pack_str_body(&pk, "u", 1);
    msgpack_pack_bin(&pk, 9);
    msgpack_pack_bin_body(&pk, "objectRef", 9);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_bin(&pk, 8);
    msgpack_pack_bin_body(&pk, "resource", 8);
    msgpack_pack_str(&pk, 7);
    msgpack_pack_str_body(&pk, "secrets", 7);
    msgpack_pack_bin(&pk, 13);
    msgpack_pack_bin_body(&pk, "requestObject", 13);
    msgpack_pack_map(&pk, 1);
    msgpack_pack_str(&pk, 4);
    msgpack_pack_str_body(&pk, "data", 4);
    msgpack_pack_str(&pk, 20);
    msgpack_pack_str_body(&pk, "QklOLUtFWS1QTEFJTi0x", 20);
    gl_buf_reset(&json);
    ck_assert_int_eq(gl_event_redact_raw(d, sb.data, sb.size, rd, &json, NULL, &err), GL_OK);
    gl_buf_append(&json, "", 1);
    msgpack_sbuffer_destroy(&sb);
    ck_assert_msg(strstr(json.data, "QklOLUtF") == NULL, "%s", json.data);
    /* a bin key naming a secret hides its value as a string key would */
    msgpack_sbuffer_init(&sb);
    msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
    msgpack_pack_map(&pk, 2);
    msgpack_pack_str(&pk, 4);
    msgpack_pack_str_body(&pk, "note", 4);
    msgpack_pack_str(&pk, 2);
    msgpack_pack_str_body(&pk, "hi", 2);
    msgpack_pack_bin(&pk, 8);
    msgpack_pack_bin_body(&pk, "password", 8);
    msgpack_pack_str(&pk, 16);
    msgpack_pack_str_body(&pk, "hunter2hunter2-x", 16);
    gl_buf_reset(&json);
    ck_assert_int_eq(gl_event_redact_raw(d, sb.data, sb.size, rd, &json, NULL, &err), GL_OK);
    gl_buf_append(&json, "", 1);
    msgpack_sbuffer_destroy(&sb);
    ck_assert_msg(strstr(json.data, "hunter2") == NULL && strstr(json.data, "[REDACTED:key-"),
                  "%s", json.data);
    /* and so is the quarantine's copy of a refused one */
    gl_buf_reset(&json);
    gl_redact_hits_free(&hits);
    memset(&hits, 0, sizeof hits);
    const char *received =
        "{\"kind\":\"Event\",\"auditID\":\"s-2\",\"stage\":\"RequestReceived\",\"level\":"
        "\"Request\",\"verb\":\"create\",\"user\":{\"username\":\"admin\"},\"objectRef\":{"
        "\"resource\":\"secrets\"},\"requestObject\":{\"kind\":\"Secret\",\"data\":{"
        "\"db-url\":\"cG9zdGdyZXM6Ly9hcHA6UzNjcjN0QGRiL2FwcA==\"}}}";
    ck_assert_int_eq(gl_event_redact_raw(d, received, strlen(received), rd, &json, &hits, &err),
                     GL_OK);
    gl_buf_append(&json, "", 1);
    ck_assert_msg(strstr(json.data, "cG9zdGdyZXM6") == NULL, "%s", json.data);
    ck_assert_uint_eq(hits.n, 1);
    gl_buf_free(&json);
    gl_redact_hits_free(&hits);
    gl_redactor_free(rd);
    gl_decoder_free(d);
    gl_mappings_free(m);
}
END_TEST

START_TEST(test_k8s_audit)
{
    struct gl_mappings *m = shipped();
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    struct gl_error err;
    const char *exec =
        "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Metadata\","
        "\"auditID\":\"a-1\",\"stage\":\"ResponseStarted\",\"requestURI\":"
        "\"/api/v1/namespaces/prod/pods/web-0/exec?command=sh\",\"verb\":\"create\",\"user\":"
        "{\"username\":\"system:serviceaccount:ci:deployer\"},\"objectRef\":{\"resource\":"
        "\"pods\",\"namespace\":\"prod\",\"name\":\"web-0\",\"subresource\":\"exec\"},"
        "\"responseStatus\":{\"code\":101},\"stageTimestamp\":\"2026-03-01T10:00:00.123456Z\","
        "\"annotations\":{\"authorization.k8s.io/decision\":\"allow\"}}";
    ck_assert_msg(decode(d, exec, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_ACTION_PERFORMED);
    ck_assert_gstr(ev.workload, "system:serviceaccount:ci:deployer");
    ck_assert_gstr(ev.perms[0].action, "k8s:create:pods/exec");
    ck_assert_gstr(ev.perms[0].resource, "/api/v1/namespaces/prod/pods/web-0/exec?command=sh");
    ck_assert_int_eq(ev.decision, GL_DECISION_ALLOW);
    ck_assert_int_eq(ev.ts % 1000000, 123456);

    /* impersonation: the impersonator's own action of impersonating comes
     * first (a 403 without "cannot impersonate" refused the request, not the
     * impersonation); then the request, whose workload is the impersonated
     * user; no decision annotation: the status code decides */
    const char *forbidden =
        "{\"kind\":\"Event\",\"auditID\":\"a-2\",\"stage\":\"ResponseComplete\",\"requestURI\":"
        "\"/api/v1/namespaces/kube-system/secrets\",\"verb\":\"list\",\"user\":{\"username\":"
        "\"admin\"},\"impersonatedUser\":{\"username\":\"system:serviceaccount:ci:bot\"},"
        "\"objectRef\":{\"resource\":\"secrets\",\"namespace\":\"kube-system\"},"
        "\"responseStatus\":{\"code\":403},\"stageTimestamp\":\"2026-03-01T10:01:00Z\"}";
    ck_assert_msg(decode(d, forbidden, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.workload, "admin");
    ck_assert_gstr(ev.perms[0].action, "k8s:impersonate:users");
    ck_assert_gstr(ev.perms[0].resource, "users/system:serviceaccount:ci:bot");
    ck_assert_int_eq(ev.decision, GL_DECISION_ALLOW);
    ck_assert_uint_eq(gl_decoder_more(d), 1);
    ck_assert_msg(gl_decoder_decode_more(d, 0, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.workload, "system:serviceaccount:ci:bot");
    ck_assert_gstr(ev.actor, "admin");
    ck_assert_gstr(ev.perms[0].action, "k8s:list:secrets");
    ck_assert_int_eq(ev.decision, GL_DECISION_DENY);

    const char *token =
        "{\"kind\":\"Event\",\"auditID\":\"a-3\",\"stage\":\"ResponseComplete\",\"requestURI\":"
        "\"/api/v1/namespaces/ci/serviceaccounts/bot/token\",\"verb\":\"create\",\"user\":"
        "{\"username\":\"system:kube-controller-manager\"},\"objectRef\":{\"resource\":"
        "\"serviceaccounts\",\"namespace\":\"ci\",\"name\":\"bot\",\"subresource\":\"token\"},"
        "\"responseStatus\":{\"code\":201},\"responseObject\":{\"status\":{"
        "\"expirationTimestamp\":\"2026-03-01T11:02:00Z\"}},"
        "\"stageTimestamp\":\"2026-03-01T10:02:00Z\"}";
    ck_assert_msg(decode(d, token, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_IDENTITY_ISSUED);
    ck_assert_gstr(ev.workload, "system:serviceaccount:ci:bot");
    /* no issued-credential-id annotation: named by the record, not by the
     * audit id a client could reuse for another account's token */
    ck_assert_msg(ev.cred_id.len == 10 + 32 && memcmp(ev.cred_id.ptr, "k8s-token:", 10) == 0,
                  "%.*s", (int)ev.cred_id.len, ev.cred_id.ptr);
    ck_assert(ev.has_cred_expires);

    const char *received =
        "{\"kind\":\"Event\",\"auditID\":\"a-4\",\"stage\":\"RequestReceived\",\"verb\":\"get\","
        "\"user\":{\"username\":\"u\"}}";
    ck_assert_int_eq(decode(d, received, &ev, &err), GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "k8s-audit/request-received: stage RequestReceived") &&
                      strstr(err.msg, "audit id a-4"),
                  "%s", err.msg);

    /* a canonical event is never mapped, even with a mapping's keys */
    const char *canonical = "{\"id\":\"e1\",\"ts\":\"2026-03-01T10:00:00Z\",\"type\":"
                            "\"task.started\",\"workload\":\"w\",\"task\":\"t\",\"kind\":\"Event\","
                            "\"auditID\":\"x\",\"stage\":\"s\",\"verb\":\"v\",\"user\":\"u\"}";
    ck_assert_msg(decode(d, canonical, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_ptr_null(gl_decoder_mapped(d));
    ck_assert_int_eq(ev.type, GL_EV_TASK_STARTED);
    gl_decoder_free(d);
    gl_mappings_free(m);
}
END_TEST

START_TEST(test_template_language)
{
    struct gl_mappings *m = one(
        "{\"mapping\":\"t\",\"detect\":[\"src\"],\"identifiers\":{\"credential.id\":\"aws-access-key-id\"},\"rules\":["
        "{\"rule\":\"refused\",\"when\":{\"src.kind\":[\"bad\",\"worse\"]},"
        "\"refuse\":\"kind {src.kind} refused ({{literal}})\"},"
        "{\"rule\":\"main\",\"when\":{\"src.n\":\"7\",\"src.gone\":null,\"src.list.1\":true},"
        "\"event\":{\"id\":\"{src.id|src.alt_id}\",\"ts\":\"{src.ms}\",\"type\":\"task.started\","
        "\"workload\":\"{src.svc:service}/{src.Name:lower}\",\"task\":\"{src.list.1}-{src.n}\","
        "\"actor\":\"{src.missing}\",\"source\":\"{src.gone|src.flag}!\","
        "\"grant_id\":\"{src.obj|src.svc}\","
        "\"credential\":{\"id\":\"{src.missing}\",\"kind\":\"token\"},"
        "\"attrs\":{\"whole\":\"{src.obj}\",\"dotted\":\"{src.a\\\\.b}\"}}}]}");
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    struct gl_error err;
    const char *rec = "{\"src\":{\"alt_id\":\"i-9\",\"ms\":1772359200000,\"svc\":\"s3.amazonaws.com\","
                      "\"Name\":\"MiXed\",\"list\":[\"a\",\"b\"],\"n\":7,\"gone\":null,\"flag\":true,"
                      "\"obj\":{\"k\":[1,2]},\"a.b\":\"dot\"}}";
    ck_assert_msg(decode(d, rec, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.id, "i-9");                 /* the second alternative */
    ck_assert_int_eq(ev.ts, 1772359200000LL * 1000); /* a whole value keeps its type */
    ck_assert_gstr(ev.workload, "s3/mixed");      /* service, lower */
    ck_assert_gstr(ev.task, "b-7");               /* array index, a number as text */
    ck_assert_int_eq(ev.actor.len, 0);            /* absent: the field is left out */
    ck_assert_gstr(ev.source, "true!");
    ck_assert_gstr(ev.grant_id, "s3.amazonaws.com"); /* an object is no string: the next */
    ck_assert_int_eq(ev.cred_id.len, 0);          /* an object with no hole found: left out */
    char *json = stored_json(&ev, NULL, NULL);
    ck_assert_msg(strstr(json, "\"attrs\":{\"whole\":{\"k\":[1,2]},\"dotted\":\"dot\"}"), "%s",
                  json);
    free(json);

    ck_assert_int_eq(decode(d, "{\"src\":{\"kind\":\"worse\"}}", &ev, &err), GL_ERR_INVALID);
    ck_assert_str_eq(err.msg, "t/refused: kind worse refused ({literal})");
    /* a condition unmet: no rule left */
    ck_assert_int_eq(decode(d, "{\"src\":{\"n\":8}}", &ev, &err), GL_ERR_INVALID);
    ck_assert_str_eq(err.msg, "t: no rule matches this record");
    /* a "type" of another format's does not stop the mapping (Vault's
     * audit log has "type": "response") */
    ck_assert_msg(decode(d, "{\"type\":\"response\",\"src\":{\"kind\":\"bad\"}}", &ev, &err) ==
                      GL_ERR_INVALID &&
                      strcmp(err.msg, "t/refused: kind bad refused ({literal})") == 0,
                  "%s", err.msg);
    /* one of ours does: a canonical event keeps its own reason */
    ck_assert_int_eq(decode(d, "{\"type\":\"task.started\",\"src\":{\"kind\":\"bad\"}}", &ev, &err),
                     GL_ERR_INVALID);
    ck_assert_ptr_null(gl_decoder_mapped(d));
    ck_assert_msg(strstr(err.msg, "t/") == NULL, "%s", err.msg);
    /* no detect key: not this mapping's, the canonical checks speak */
    ck_assert_int_eq(decode(d, "{\"other\":1}", &ev, &err), GL_ERR_INVALID);
    ck_assert_ptr_null(gl_decoder_mapped(d));
    ck_assert_msg(strstr(err.msg, "t/") == NULL, "%s", err.msg);
    gl_decoder_free(d);
    gl_mappings_free(m);
}
END_TEST

START_TEST(test_switch)
{
    struct gl_mappings *m = one(
        "{\"mapping\":\"s\",\"detect\":\"r\",\"rules\":[{\"rule\":\"a\",\"event\":{\"id\":\"x\","
        "\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"action.performed\",\"workload\":\"w\","
        "\"permission\":{\"action\":\"do\"},\"decision\":{\"switch\":\"{r.e|r.code}\","
        "\"cases\":{\"Denied\":\"deny\",\"403\":\"deny\"},\"absent\":\"allow\",\"default\":\"allow\"}}}]}");
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    struct gl_error err;
    const struct {
        const char *rec;
        enum gl_decision want;
    } cases[] = {
        {"{\"r\":{}}", GL_DECISION_ALLOW},
        {"{\"r\":{\"e\":\"Denied\"}}", GL_DECISION_DENY},
        {"{\"r\":{\"e\":\"Throttled\"}}", GL_DECISION_ALLOW},
        {"{\"r\":{\"code\":403}}", GL_DECISION_DENY},
        {"{\"r\":{\"e\":null,\"code\":200}}", GL_DECISION_ALLOW},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        ck_assert_msg(decode(d, cases[i].rec, &ev, &err) == GL_OK, "%s: %s", cases[i].rec, err.msg);
        ck_assert_msg(ev.decision == cases[i].want, "%s", cases[i].rec);
    }
    gl_decoder_free(d);
    gl_mappings_free(m);
}
END_TEST

START_TEST(test_awstime)
{
    struct gl_mappings *m = one(
        "{\"mapping\":\"a\",\"detect\":\"t\",\"rules\":[{\"rule\":\"r\",\"event\":{\"id\":\"x\","
        "\"ts\":\"{t:awstime}\",\"type\":\"task.started\",\"workload\":\"w\",\"task\":\"t\"}}]}");
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    struct gl_error err;
    const struct {
        const char *t;
        int64_t want_s; /* 0: refused */
    } cases[] = {
        {"Jul 30, 2024, 9:46:15 PM", 1722375975},
        {"Aug 1, 2024 1:33:28 PM", 1722519208},
        {"Jan 1, 2024, 12:00:00 AM", 1704067200}, /* midnight */
        {"Jan 1, 2024, 12:30:00 PM", 1704112200}, /* half past noon */
        {"2024-01-01T00:00:00Z", 1704067200},     /* passed on as it is */
        {"Foo 1, 2024, 1:00:00 PM", 0},
        {"Jan 1, 2024, 13:00:00 PM", 0},
        {"Jan 1, 2024, 1:00:00 XM", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char rec[128];
        snprintf(rec, sizeof rec, "{\"t\":\"%s\"}", cases[i].t);
        int rc = decode(d, rec, &ev, &err);
        if (cases[i].want_s) {
            ck_assert_msg(rc == GL_OK, "%s: %s", cases[i].t, err.msg);
            ck_assert_msg(ev.ts == cases[i].want_s * 1000000, "%s: %lld", cases[i].t,
                          (long long)ev.ts);
        } else {
            ck_assert_msg(rc == GL_ERR_INVALID && strstr(err.msg, "a/r: ts"), "%s: %s",
                          cases[i].t, err.msg);
        }
    }
    gl_decoder_free(d);
    gl_mappings_free(m);
}
END_TEST

/* "like" conditions, "first" fields and time fields. */
START_TEST(test_like_first_time)
{
    struct gl_mappings *m = one(
        "{\"mapping\":\"v\",\"detect\":\"r\",\"rules\":["
        "{\"rule\":\"login\",\"when\":{\"r.path\":{\"like\":[\"auth/*/login\",\"auth/*/login/?\"]}},"
        "\"event\":{\"id\":\"{r.id}\",\"ts\":\"{r.t}\",\"type\":\"identity.issued\","
        "\"workload\":{\"first\":[\"system:serviceaccount:{r.m.ns}:{r.m.sa}\",\"role:{r.m.role}\","
        "\"{r.name}\"]},\"credential\":{\"id\":\"{r.acc}\",\"expires_at\":{\"time\":\"{r.t}\","
        "\"plus\":\"{r.ttl}\"}}}},"
        "{\"rule\":\"other\",\"refuse\":\"not a login: {r.path}\"}]}");
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    struct gl_error err;
    const char *rec =
        "{\"r\":{\"id\":\"a\",\"path\":\"auth/kubernetes/login\",\"t\":\"2026-05-01T10:00:00.5Z\","
        "\"m\":{\"ns\":\"ci\",\"sa\":\"builder\",\"role\":\"r1\"},\"acc\":\"acc-1\",\"ttl\":3600}}";
    ck_assert_msg(decode(d, rec, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.workload, "system:serviceaccount:ci:builder");
    ck_assert(ev.has_cred_expires);
    ck_assert_int_eq(ev.cred_expires - ev.ts, INT64_C(3600000000));
    /* one hole of the first template missing: the next template; a duration */
    rec = "{\"r\":{\"id\":\"b\",\"path\":\"auth/approle/login/x\",\"t\":\"2026-05-01T10:00:00Z\","
          "\"m\":{\"ns\":\"ci\",\"role\":\"r1\"},\"acc\":\"acc-2\",\"ttl\":\"768h\"}}";
    ck_assert_msg(decode(d, rec, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.workload, "role:r1");
    ck_assert_int_eq(ev.cred_expires - ev.ts, INT64_C(768) * 3600 * 1000000);
    /* none of the first: the last; ttl 0 (Vault: never expires) and an
     * unreadable ttl leave the expiry out, not the credential */
    const char *ttls[] = {"0", "\"soon\"", "-5", "\"\""};
    for (size_t i = 0; i < sizeof ttls / sizeof *ttls; i++) {
        char buf[256];
        snprintf(buf, sizeof buf,
                 "{\"r\":{\"id\":\"c\",\"path\":\"auth/jwt/login\",\"t\":\"2026-05-01T10:00:00Z\","
                 "\"name\":\"n1\",\"acc\":\"acc-3\",\"ttl\":%s}}", ttls[i]);
        ck_assert_msg(decode(d, buf, &ev, &err) == GL_OK, "%s: %s", buf, err.msg);
        ck_assert_gstr(ev.workload, "n1");
        ck_assert_gstr(ev.cred_id, "acc-3");
        ck_assert_msg(!ev.has_cred_expires, "%s", buf);
    }
    /* no workload at all: invalid, with the rule named */
    rec = "{\"r\":{\"id\":\"d\",\"path\":\"auth/jwt/login\",\"t\":\"2026-05-01T10:00:00Z\","
          "\"acc\":\"acc-4\"}}";
    ck_assert_int_eq(decode(d, rec, &ev, &err), GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "v/login") && strstr(err.msg, "workload"), "%s", err.msg);
    /* like is a whole match, case sensitive */
    const char *no[] = {"auth/kubernetes/login/a/b", "Auth/jwt/login", "xauth/jwt/login",
                        "auth/jwt/logins"};
    for (size_t i = 0; i < sizeof no / sizeof *no; i++) {
        char buf[256];
        snprintf(buf, sizeof buf, "{\"r\":{\"id\":\"e\",\"path\":\"%s\"}}", no[i]);
        ck_assert_int_eq(decode(d, buf, &ev, &err), GL_ERR_INVALID);
        ck_assert_msg(strstr(err.msg, "not a login"), "%s: %s", no[i], err.msg);
    }
    gl_decoder_free(d);
    gl_mappings_free(m);

    /* a "first" entry with conditions; "unlike" holds when absent or no match */
    m = one("{\"mapping\":\"u\",\"detect\":\"r\",\"rules\":[{\"rule\":\"a\",\"event\":{"
            "\"id\":\"{r.id}\",\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"action.performed\","
            "\"workload\":{\"first\":[{\"when\":{\"r.dn\":{\"unlike\":[\"token\",\"token-*\"]}},"
            "\"value\":\"sa:{r.sa}\"},\"dn:{r.dn}\"]},\"permission\":{\"action\":\"do\"},"
            "\"decision\":\"allow\"}}]}");
    d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    const struct {
        const char *rec, *want;
    } un[] = {
        {"{\"r\":{\"id\":\"1\",\"sa\":\"s\",\"dn\":\"kubernetes-ci-s\"}}", "sa:s"},
        {"{\"r\":{\"id\":\"2\",\"sa\":\"s\",\"dn\":\"token-x\"}}", "dn:token-x"},
        {"{\"r\":{\"id\":\"3\",\"sa\":\"s\",\"dn\":\"token\"}}", "dn:token"},
        {"{\"r\":{\"id\":\"4\",\"sa\":\"s\"}}", "sa:s"},
        {"{\"r\":{\"id\":\"5\",\"dn\":\"tokens\"}}", "dn:tokens"},
    };
    for (size_t i = 0; i < sizeof un / sizeof *un; i++) {
        ck_assert_msg(decode(d, un[i].rec, &ev, &err) == GL_OK, "%s: %s", un[i].rec, err.msg);
        ck_assert_gstr(ev.workload, un[i].want);
    }
    gl_decoder_free(d);
    gl_mappings_free(m);

    /* a record of several events: "continue" with a suffix, a revocation
     * after the others, ids that collide, a chain too long, and nothing of
     * it left after the next decode fails */
#define EV_OF(id_, type_) "\"id\":\"" id_ "\",\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"" type_ "\"," \
                          "\"workload\":\"w\""
#define CALL_FIELDS ",\"permission\":{\"action\":\"do\"},\"decision\":\"allow\""
    m = one("{\"mapping\":\"c\",\"detect\":\"c\",\"rules\":["
            "{\"rule\":\"rev\",\"when\":{\"c\":\"rev\"},\"continue\":\":call\",\"event\":{"
            EV_OF("{n}", "credential.revoked") ",\"credential\":{\"id\":\"k\"}}},"
            "{\"rule\":\"same\",\"when\":{\"c\":\"same\"},\"continue\":true,\"event\":{"
            EV_OF("{n}", "action.performed") CALL_FIELDS "}},"
            "{\"rule\":\"chain\",\"when\":{\"c\":\"chain\"},\"continue\":\"-1\",\"event\":{"
            EV_OF("{n}", "action.performed") CALL_FIELDS "}},"
            "{\"rule\":\"chain2\",\"when\":{\"c\":\"chain\"},\"continue\":\"-2\",\"event\":{"
            EV_OF("{n}", "action.performed") CALL_FIELDS "}},"
            "{\"rule\":\"chain3\",\"when\":{\"c\":\"chain\"},\"continue\":\"-3\",\"event\":{"
            EV_OF("{n}", "action.performed") CALL_FIELDS "}},"
            "{\"rule\":\"chain4\",\"when\":{\"c\":\"chain\"},\"continue\":\"-4\",\"event\":{"
            EV_OF("{n}", "action.performed") CALL_FIELDS "}},"
            "{\"rule\":\"call\",\"event\":{" EV_OF("{n}", "action.performed") CALL_FIELDS "}}]}");
    d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    ck_assert_msg(decode(d, "{\"c\":\"rev\",\"n\":\"e1\"}", &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_ACTION_PERFORMED); /* the call first */
    ck_assert_gstr(ev.id, "e1:call");
    ck_assert_uint_eq(gl_decoder_more(d), 1);
    ck_assert_msg(gl_decoder_decode_more(d, 0, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_CREDENTIAL_REVOKED);
    ck_assert_gstr(ev.id, "e1");
    ck_assert_int_eq(decode(d, "{\"c\":\"same\",\"n\":\"e2\"}", &ev, &err), GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "c/call: gives the id e2 of an event of the same record"), "%s",
                  err.msg);
    ck_assert_uint_eq(gl_decoder_more(d), 0);
    ck_assert_int_eq(decode(d, "{\"c\":\"chain\",\"n\":\"e3\"}", &ev, &err), GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "a record gives at most 4 events"), "%s", err.msg);
    ck_assert_msg(decode(d, "{\"c\":\"rev\",\"n\":\"e4\"}", &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_uint_eq(gl_decoder_more(d), 1);
    ck_assert_int_eq(decode(d, "{\"c\":[1,2", &ev, &err), GL_ERR_INVALID);
    ck_assert_uint_eq(gl_decoder_more(d), 0);
    ck_assert_ptr_null(gl_decoder_mapped(d));
    ck_assert_int_eq(gl_decoder_decode_more(d, 0, &ev, &err), GL_ERR_INVALID);
    gl_decoder_free(d);
    gl_mappings_free(m);
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"continue\":true,"
             "\"event\":{}}]}",
             "the last rule cannot continue");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"continue\":\"\","
             "\"event\":{}},{\"rule\":\"s\",\"event\":{}}]}",
             "an empty suffix");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"continue\":true,"
             "\"refuse\":\"no\"},{\"rule\":\"s\",\"event\":{}}]}",
             "a refusing rule cannot continue");

    /* filters with arguments: \\: is a colon; :account */
    m = one("{\"mapping\":\"f\",\"detect\":\"r\",\"rules\":[{\"rule\":\"a\",\"event\":{"
            "\"id\":\"{r.id}\",\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"action.performed\","
            "\"workload\":\"{r.arn:after-last=\\\\:}|{r.arn:account}|{r.arn:partition}\","
            "\"permission\":{\"action\":\"do\"},\"decision\":\"allow\"}}]}");
    d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    ck_assert_msg(decode(d, "{\"r\":{\"id\":\"1\",\"arn\":\"arn:aws-cn:iam::123456789012:role/x\"}}",
                         &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.workload, "role/x|123456789012|aws-cn");
    ck_assert_int_eq(decode(d, "{\"r\":{\"id\":\"2\",\"arn\":\"arn:aws:iam\"}}", &ev, &err),
                     GL_ERR_INVALID); /* no account field: the workload is absent */
    gl_decoder_free(d);
    gl_mappings_free(m);

    /* :before-last=SEP keeps the text before the last SEP, absent without
     * it or with nothing before it */
    m = one("{\"mapping\":\"f\",\"detect\":\"r\",\"rules\":[{\"rule\":\"a\",\"event\":{"
            "\"id\":\"{r.id}\",\"ts\":\"2026-01-01T00:00:00Z\",\"type\":\"action.performed\","
            "\"workload\":\"sa:{r.name:before-last=-token-}\","
            "\"permission\":{\"action\":\"do\"},\"decision\":\"allow\"}}]}");
    d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    ck_assert_msg(decode(d, "{\"r\":{\"id\":\"1\",\"name\":\"my-token-sa-token-x7k2q\"}}",
                         &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.workload, "sa:my-token-sa");
    ck_assert_int_eq(decode(d, "{\"r\":{\"id\":\"2\",\"name\":\"-token-x7k2q\"}}", &ev, &err),
                     GL_ERR_INVALID);
    ck_assert_int_eq(decode(d, "{\"r\":{\"id\":\"3\",\"name\":\"registry-creds\"}}", &ev, &err),
                     GL_ERR_INVALID);
    gl_decoder_free(d);
    gl_mappings_free(m);

    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"when\":{\"a\":"
             "{\"glob\":\"*\"}},\"event\":{}}]}",
             "{\"like\": glob or [globs]}");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"event\":"
             "{\"w\":{\"first\":[]}}}]}",
             "\"first\" is a non-empty array");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"event\":"
             "{\"w\":{\"plus\":\"{a}\"}}}]}",
             "a time field has \"time\" and \"plus\"");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"event\":"
             "{\"w\":{\"time\":\"{a}\"}}}]}",
             "a time field has \"time\" and \"plus\"");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"event\":"
             "{\"w\":\"{a:strip=}\"}}]}",
             "filter 'strip' needs a non-empty argument");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"event\":"
             "{\"w\":\"{a:lower=x}\"}}]}",
             "filter 'lower' takes no argument");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"event\":"
             "{\"w\":{\"first\":[{\"value\":\"{a}\"}]}}}]}",
             "an entry of \"first\" is a template or");
}
END_TEST

#define H1 "hmac-sha256:d4f4e30a932a0580a83e4486a38f7682364c59af0103c8775f78de603ef175c5"
#define H2 "hmac-sha256:041a17e266dc6d22b5119df83745c22e91e38d14f36b0942ffbe9abe2298ebf3"
#define H3 "hmac-sha256:11376dc841da0c8e7b50efb9f73b0719f0fd3d427e675ff6733c4c87e730a9ce"

/* Vault audit entries shaped as Vault 1.19/1.20 and 1.9 write them (a
 * Kubernetes login response and a denied transit call, as published). */
START_TEST(test_vault_audit)
{
    struct gl_mappings *m = shipped();
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    struct gl_error err;
    const char *login =
        "{\"auth\":{\"accessor\":\"" H1 "\",\"client_token\":\"" H2 "\",\"display_name\":"
        "\"kubernetes-default-vault\",\"entity_id\":\"481c4eec-74be-2fd5-2c78-ce8108a69fef\","
        "\"metadata\":{\"role\":\"webapp\",\"service_account_name\":\"vault\","
        "\"service_account_namespace\":\"default\",\"service_account_secret_name\":\"\"},"
        "\"token_ttl\":86400,\"token_type\":\"service\"},\"request\":{\"data\":{\"jwt\":\"" H2 "\"},"
        "\"id\":\"087dcbfb-3065-5fe5-227a-9d4853f558f3\",\"mount_type\":\"kubernetes\","
        "\"namespace\":{\"id\":\"root\"},\"operation\":\"update\",\"path\":\"auth/kubernetes/login\","
        "\"remote_address\":\"10.244.0.35\"},\"response\":{\"auth\":{\"accessor\":\"" H1 "\","
        "\"client_token\":\"" H2 "\",\"display_name\":\"kubernetes-default-vault\",\"metadata\":{"
        "\"service_account_name\":\"vault\",\"service_account_namespace\":\"default\"},"
        "\"token_ttl\":86400,\"token_type\":\"service\"},\"mount_type\":\"kubernetes\"},"
        "\"time\":\"2025-04-16T08:43:21.060132801Z\",\"type\":\"response\"}";
    ck_assert_msg(decode(d, login, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_IDENTITY_ISSUED);
    ck_assert_gstr(ev.id, "vault:087dcbfb-3065-5fe5-227a-9d4853f558f3");
    ck_assert_gstr(ev.workload, "system:serviceaccount:default:vault");
    ck_assert_gstr(ev.cred_id, H1);
    ck_assert_gstr(ev.cred_kind, "token");
    ck_assert(ev.has_cred_expires);
    ck_assert_int_eq(ev.cred_expires - ev.ts, INT64_C(86400000000));
    ck_assert_str_eq(gl_mapping_rule_label(gl_decoder_mapped(d)), "vault-audit/login");

    /* its request entry names no one: refused with the reason */
    char req[4096];
    snprintf(req, sizeof req, "%s", login);
    char *resp = strstr(req, ",\"response\":");
    char *tail = strstr(req, ",\"time\":");
    memmove(resp, tail, strlen(tail) + 1);
    char *type = strstr(req, "\"type\":\"response\"");
    memcpy(type, "\"type\":\"request\" ", 17);
    /* and carries no token: the top-level auth of the response entry is
     * the login's result */
    char *auth_end = strstr(req, ",\"request\":");
    const char *no_token = "{\"auth\":{\"token_type\":\"default\"}";
    memmove(req + strlen(no_token), auth_end, strlen(auth_end) + 1);
    memcpy(req, no_token, strlen(no_token));
    ck_assert_int_eq(decode(d, req, &ev, &err), GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "vault-audit/login-request: a login's request entry "
                                  "(auth/kubernetes/login)"), "%s", err.msg);

    const char *denied =
        "{\"time\":\"2022-01-13T19:27:00.594173635Z\",\"type\":\"response\",\"auth\":{"
        "\"client_token\":\"" H2 "\",\"accessor\":\"" H3 "\",\"display_name\":\"approle\","
        "\"metadata\":{\"role_name\":\"hwapp\"},\"entity_id\":\"fb3e9a7d-e8a3-96da-d1e0-348622d71a3a\","
        "\"token_type\":\"service\",\"token_ttl\":86400},\"request\":{\"id\":"
        "\"adc24b63-a11c-21ea-1c3c-b96b99d7465d\",\"operation\":\"update\",\"mount_type\":\"transit\","
        "\"client_token_accessor\":\"" H3 "\",\"namespace\":{\"id\":\"root\"},\"path\":"
        "\"transit/decrypt/payout\",\"data\":{\"ciphertext\":\"" H1 "\"}},\"response\":{"
        "\"mount_type\":\"transit\",\"data\":{\"error\":\"" H2 "\"}},"
        "\"error\":\"1 error occurred:\\n\\t* permission denied\\n\\n\"}";
    ck_assert_msg(decode(d, denied, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_ACTION_PERFORMED);
    ck_assert_int_eq(ev.decision, GL_DECISION_DENY);
    ck_assert_gstr(ev.workload, "vault:approle:hwapp");
    ck_assert_gstr(ev.cred_id, H3);
    ck_assert_gstr(ev.perms[0].action, "vault:update");
    ck_assert_gstr(ev.perms[0].resource, "transit/decrypt/payout");
    ck_assert_gstr(ev.id, "vault:adc24b63-a11c-21ea-1c3c-b96b99d7465d");

    /* a batch token has no accessor: its HMAC'd token names it; a namespace
     * prefixes the path; policy_results says denied without an error */
    const char *batch =
        "{\"time\":\"2026-01-02T03:04:05Z\",\"type\":\"request\",\"auth\":{\"client_token\":\"" H2 "\","
        "\"display_name\":\"jwt-repo:acme/api:ref:refs/heads/main\",\"token_type\":\"batch\","
        "\"policy_results\":{\"allowed\":false}},\"request\":{\"id\":\"r-3\",\"operation\":\"read\","
        "\"namespace\":{\"id\":\"x1\",\"path\":\"team-a/\"},\"path\":\"kv/data/deploy\"}}";
    ck_assert_msg(decode(d, batch, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.workload, "vault:jwt-repo:acme/api:ref:refs/heads/main");
    ck_assert_gstr(ev.cred_id, H2);
    ck_assert_gstr(ev.perms[0].resource, "team-a/kv/data/deploy");
    ck_assert_int_eq(ev.decision, GL_DECISION_DENY);

    /* revoke-self retires the caller's own token; a lease revoked by its
     * path form names the lease */
    const char *self =
        "{\"time\":\"2026-01-02T03:04:06Z\",\"type\":\"response\",\"auth\":{\"accessor\":\"" H3 "\","
        "\"display_name\":\"approle\",\"metadata\":{\"role_name\":\"hwapp\"}},\"request\":{\"id\":\"r-4\","
        "\"operation\":\"update\",\"path\":\"auth/token/revoke-self\"},\"response\":{}}";
    ck_assert_msg(decode(d, self, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_ACTION_PERFORMED); /* the call, then the revocation */
    ck_assert_gstr(ev.id, "vault:r-4");
    ck_assert_msg(gl_decoder_decode_more(d, 0, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_CREDENTIAL_REVOKED);
    ck_assert_gstr(ev.cred_id, H3);
    ck_assert_gstr(ev.id, "vault:r-4:revoked");
    const char *lease =
        "{\"time\":\"2026-01-02T03:04:07Z\",\"type\":\"response\",\"auth\":{\"accessor\":\"" H3 "\","
        "\"display_name\":\"approle\",\"metadata\":{\"role_name\":\"hwapp\"}},\"request\":{\"id\":\"r-5\","
        "\"operation\":\"update\",\"path\":\"sys/leases/revoke/aws/creds/deploy/AbC\"},\"response\":{}}";
    ck_assert_msg(decode(d, lease, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_msg(gl_decoder_decode_more(d, 0, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_CREDENTIAL_REVOKED);
    ck_assert_gstr(ev.cred_id, "aws/creds/deploy/AbC");
    ck_assert_gstr(ev.cred_kind, "secret");

    /* a renewal issues the same token again with its new TTL (the analyzer
     * moves the expiry); a created token whose creator set metadata naming
     * a service account is named by its display name, not by that metadata */
    const char *renew =
        "{\"time\":\"2026-01-02T03:50:00Z\",\"type\":\"response\",\"auth\":{\"accessor\":\"" H3 "\","
        "\"display_name\":\"approle\",\"metadata\":{\"role_name\":\"hwapp\"}},\"request\":{\"id\":\"r-6\","
        "\"operation\":\"update\",\"path\":\"auth/token/renew-self\"},\"response\":{\"auth\":{"
        "\"accessor\":\"" H3 "\",\"client_token\":\"" H2 "\",\"display_name\":\"approle\",\"metadata\":{\"role_name\":\"hwapp\"},"
        "\"token_ttl\":3600}}}";
    ck_assert_msg(decode(d, renew, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_IDENTITY_ISSUED);
    ck_assert_gstr(ev.workload, "vault:approle:hwapp");
    ck_assert_gstr(ev.cred_id, H3);
    ck_assert_int_eq(ev.cred_expires - ev.ts, INT64_C(3600000000));
    const char *spoof =
        "{\"time\":\"2026-01-02T03:51:00Z\",\"type\":\"response\",\"auth\":{\"accessor\":\"" H1 "\","
        "\"display_name\":\"token-x\",\"metadata\":{\"service_account_namespace\":\"ci\","
        "\"service_account_name\":\"deployer\",\"role_name\":\"hwapp\"}},\"request\":{\"id\":\"r-7\","
        "\"operation\":\"read\",\"path\":\"secret/data/x\"},\"response\":{}}";
    ck_assert_msg(decode(d, spoof, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.workload, "vault:token-x");
    /* an entry without its time is refused as one */
    ck_assert_int_eq(decode(d, "{\"type\":\"response\",\"request\":{\"id\":\"r-8\"}}", &ev, &err),
                     GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "vault-audit/no-time"), "%s", err.msg);
    gl_decoder_free(d);
    gl_mappings_free(m);
}
END_TEST

/* A known AWS managed policy attached is a grant of the user or role (the
 * call beside it); detached, the grant ends after the call; another policy
 * is the call only. */
START_TEST(test_cloudtrail_policies)
{
    struct gl_mappings *m = shipped();
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    struct gl_error err;
#define IAM_CALL(name, params, id)                                                             \
    "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"IAMUser\",\"arn\":"               \
    "\"arn:aws:iam::111122223333:user/ops/admin\",\"accountId\":\"111122223333\","             \
    "\"userName\":\"admin\",\"accessKeyId\":\"AKIAIOSFODNN7EXAMPLE\"},\"eventTime\":"          \
    "\"2026-03-02T09:00:00Z\",\"eventSource\":\"iam.amazonaws.com\",\"eventName\":\"" name "\"," \
    "\"requestParameters\":{" params "},\"eventID\":\"" id "\",\"eventType\":\"AwsApiCall\","    \
    "\"recipientAccountId\":\"111122223333\"}"
    const char *attach = IAM_CALL("AttachRolePolicy",
                                  "\"roleName\":\"ci-deployer\",\"policyArn\":"
                                  "\"arn:aws:iam::aws:policy/AmazonS3FullAccess\"", "p-1");
    ck_assert_msg(decode(d, attach, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_ACCESS_GRANTED);
    ck_assert_gstr(ev.id, "cloudtrail:p-1");
    ck_assert_gstr(ev.workload, "arn:aws:iam::111122223333:role/ci-deployer");
    ck_assert_gstr(ev.actor, "arn:aws:iam::111122223333:user/admin"); /* named as its calls */
    ck_assert_gstr(ev.grant_id, "arn:aws:iam::111122223333:role/ci-deployer|"
                                "arn:aws:iam::aws:policy/AmazonS3FullAccess");
    ck_assert_uint_eq(ev.n_perms, 1);
    ck_assert_gstr(ev.perms[0].action, "s3:*");
    ck_assert_gstr(ev.perms[0].resource, "*");
    ck_assert_msg(gl_decoder_decode_more(d, 0, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.id, "cloudtrail:p-1:call");
    ck_assert_gstr(ev.perms[0].action, "iam:AttachRolePolicy");
    /* the role's own calls name it the same way, its path left out */
    const char *role_call =
        "{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\",\"accountId\":"
        "\"111122223333\",\"accessKeyId\":\"ASIAQEXAMPLEKEY12345\",\"arn\":"
        "\"arn:aws:sts::111122223333:assumed-role/ci-deployer/s1\",\"sessionContext\":{"
        "\"sessionIssuer\":{\"type\":\"Role\",\"arn\":"
        "\"arn:aws:iam::111122223333:role/service-role/ci-deployer\",\"accountId\":"
        "\"111122223333\",\"userName\":\"ci-deployer\"}}},\"eventTime\":\"2026-03-02T09:10:00Z\","
        "\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"eventID\":\"p-9\","
        "\"eventType\":\"AwsApiCall\"}";
    ck_assert_msg(decode(d, role_call, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.workload, "arn:aws:iam::111122223333:role/ci-deployer");
    const char *detach = IAM_CALL("DetachUserPolicy",
                                  "\"userName\":\"ci-bot\",\"policyArn\":"
                                  "\"arn:aws-us-gov:iam::aws:policy/AdministratorAccess\"", "p-2");
    ck_assert_msg(decode(d, detach, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_ACTION_PERFORMED); /* the call, then the revocation */
    ck_assert_msg(gl_decoder_decode_more(d, 0, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_ACCESS_REVOKED);
    ck_assert_gstr(ev.workload, "arn:aws-us-gov:iam::111122223333:user/ci-bot");
    ck_assert_gstr(ev.grant_id, "arn:aws-us-gov:iam::111122223333:user/ci-bot|"
                                "arn:aws-us-gov:iam::aws:policy/AdministratorAccess");
    const char *other[] = {
        IAM_CALL("AttachRolePolicy", "\"roleName\":\"r\",\"policyArn\":"
                 "\"arn:aws:iam::111122223333:policy/AdministratorAccess\"", "p-3"),
        IAM_CALL("AttachRolePolicy", "\"roleName\":\"r\",\"policyArn\":"
                 "\"arn:aws:iam::aws:policy/service-role/AWSLambdaRole\"", "p-4"),
        IAM_CALL("AttachGroupPolicy", "\"groupName\":\"g\",\"policyArn\":"
                 "\"arn:aws:iam::aws:policy/AdministratorAccess\"", "p-5"),
    };
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        ck_assert_msg(decode(d, other[i], &ev, &err) == GL_OK, "%s", err.msg);
        ck_assert_int_eq(ev.type, GL_EV_ACTION_PERFORMED);
        ck_assert_uint_eq(gl_decoder_more(d), 0);
    }
    gl_decoder_free(d);
    gl_mappings_free(m);
}
END_TEST

/* A binding to cluster-admin is a grant of everything to its first
 * subject: everywhere for a ClusterRoleBinding, in its namespace for a
 * RoleBinding; other roles and Group subjects are the request only. */
START_TEST(test_k8s_cluster_admin_binding)
{
    struct gl_mappings *m = shipped();
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    struct gl_error err;
#define BINDING(res, ns, role, kind, subj)                                                      \
    "{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/v1\",\"level\":\"Request\",\"auditID\":"   \
    "\"b-1\",\"stage\":\"ResponseComplete\",\"requestURI\":\"/apis/rbac.authorization.k8s.io/v1/" \
    res "\",\"verb\":\"create\",\"user\":{\"username\":\"admin\"},\"objectRef\":{\"resource\":\""  \
    res "\"," ns "\"name\":\"b\",\"apiGroup\":\"rbac.authorization.k8s.io\"},\"responseStatus\":"  \
    "{\"code\":201},\"requestObject\":{\"kind\":\"X\",\"metadata\":{\"name\":\"b\"},\"roleRef\":"  \
    "{\"kind\":\"ClusterRole\",\"name\":\"" role "\"},\"subjects\":[{\"kind\":\"" kind "\"," subj  \
    "}]},\"requestReceivedTimestamp\":\"2026-03-02T09:15:00Z\"}"
    const char *rb = BINDING("rolebindings", "\"namespace\":\"prod\",", "cluster-admin",
                             "ServiceAccount", "\"name\":\"deployer\",\"namespace\":\"ci\"");
    ck_assert_msg(decode(d, rb, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_ACCESS_GRANTED);
    ck_assert_gstr(ev.workload, "system:serviceaccount:ci:deployer");
    ck_assert_gstr(ev.grant_id, "k8s:rolebindings/prod/b");
    ck_assert_gstr(ev.perms[0].action, "k8s:*");
    ck_assert_gstr(ev.perms[0].resource, "/api*/namespaces/prod/*");
    ck_assert_uint_eq(gl_decoder_more(d), 1);
    ck_assert_msg(gl_decoder_decode_more(d, 0, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.perms[0].action, "k8s:create:rolebindings");
    ck_assert_gstr(ev.workload, "admin");
    const char *crb = BINDING("clusterrolebindings", "", "cluster-admin", "User",
                              "\"name\":\"alice@example.com\"");
    ck_assert_msg(decode(d, crb, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.workload, "alice@example.com");
    ck_assert_gstr(ev.grant_id, "k8s:clusterrolebindings/b");
    ck_assert_gstr(ev.perms[0].resource, "*");
    /* a group is a subject too (k8s:group:NAME) */
    const char *grp = BINDING("clusterrolebindings", "", "cluster-admin", "Group",
                              "\"name\":\"devs\"");
    ck_assert_msg(decode(d, grp, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(ev.type, GL_EV_ACCESS_GRANTED);
    ck_assert_gstr(ev.workload, "k8s:group:devs");
    const char *other[] = {
        BINDING("clusterrolebindings", "", "view", "User", "\"name\":\"bob\""),
        BINDING("clusterrolebindings", "", "cluster-admin", "Unknown", "\"name\":\"x\""),
    };
    for (size_t i = 0; i < sizeof other / sizeof *other; i++) {
        ck_assert_msg(decode(d, other[i], &ev, &err) == GL_OK, "%s", err.msg);
        ck_assert_int_eq(ev.type, GL_EV_ACTION_PERFORMED);
        ck_assert_uint_eq(gl_decoder_more(d), 0);
    }
    gl_decoder_free(d);
    gl_mappings_free(m);
}
END_TEST

START_TEST(test_load_errors)
{
    load_bad("[]", "expected a JSON object");
    load_bad("{\"mapping\":\"x\",\"detect\":[\"a\"]}", "\"rules\"");
    load_bad("{\"mapping\":\"x\",\"detect\":[],\"rules\":[{}]}", "detect");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rulez\":[],\"rules\":[{}]}", "unknown key 'rulez'");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"event\":{}}]}", "\"rule\"");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\"}]}",
             "rule 1 (r): a rule has one of \"event\", \"refuse\" or \"unwrap\"");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"unwrap\":\"a\","
             "\"refuse\":\"no\"}]}",
             "a rule has one of");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"unwrap\":\"a\","
             "\"continue\":true}]}",
             "an unwrapping rule cannot continue");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"unwrap\":\".\"}]}",
             "\"unwrap\" is the path");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"unwrap\":5}]}",
             "\"unwrap\" is the path");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"event\":"
             "{\"id\":\"{a\"}}]}",
             "without its '}'");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"event\":"
             "{\"id\":\"a}\"}}]}",
             "without its '{'");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"event\":"
             "{\"id\":\"{a:upper}\"}}]}",
             "unknown filter 'upper'");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"event\":"
             "{\"id\":\"{a..b}\"}}]}",
             "empty segment in path 'a..b'");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"event\":"
             "{\"id\":5}}]}",
             "field id: expected a template string");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"event\":"
             "{\"d\":{\"switch\":\"{a}\"}}}]}",
             "a switch needs");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\",\"when\":{\"a\":5},"
             "\"event\":{}}]}",
             "a: expected a string or a non-empty array of strings");
    load_bad("{\"mapping\":\"x\",\"detect\":\"a\" ", "bad.json");
    /* two mappings of one name */
    struct gl_mappings *m = one("{\"mapping\":\"x\",\"detect\":\"a\",\"rules\":[{\"rule\":\"r\","
                                "\"refuse\":\"no\"}]}");
    struct gl_error err = {0};
    const char *again = "{\"mapping\":\"x\",\"detect\":\"b\",\"rules\":[{\"rule\":\"r\","
                        "\"refuse\":\"no\"}]}";
    ck_assert_int_eq(gl_mappings_add(&m, again, strlen(again), "again.json", &err),
                     GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "already loaded"), "%s", err.msg);
    ck_assert_uint_eq(gl_mappings_count(m), 1);
    gl_mappings_free(m);
    ck_assert_int_eq(gl_mappings_load("/nonexistent/mappings", &m, &err), GL_ERR_IO);
    ck_assert_msg(strstr(err.msg, "/nonexistent/mappings"), "%s", err.msg);
}
END_TEST

/* An envelope ("unwrap"): the record inside is mapped by whichever mapping
 * detects it, with its own rules, ids and secrets; envelopes nest at most
 * 4 deep; a path without an object, an inner record no mapping knows and
 * an inner refusal are refused naming the envelope. */
START_TEST(test_unwrap)
{
    struct gl_mappings *m = one(
        "{\"mapping\":\"env\",\"detect\":[\"wrapped\"],\"rules\":["
        "{\"rule\":\"open\",\"when\":{\"wrapped\":\"yes\"},\"unwrap\":\"body\"},"
        "{\"rule\":\"closed\",\"refuse\":\"not wrapped\"}]}");
    struct gl_error err = {0};
    const char *inner = "{\"mapping\":\"in\",\"detect\":[\"rid\"],"
                        "\"secrets\":[{\"paths\":[\"blob\"]}],\"rules\":["
                        "{\"rule\":\"bad\",\"when\":{\"rid\":\"0\"},\"refuse\":\"rid 0\"},"
                        "{\"rule\":\"ev\",\"event\":{\"id\":\"in:{rid}\",\"ts\":\"{t}\","
                        "\"type\":\"action.performed\",\"workload\":\"{who}\",\"decision\":\"allow\","
                        "\"permission\":{\"action\":\"x:do\"},\"attrs\":{\"rec\":\"{.}\"}}}]}";
    ck_assert_msg(gl_mappings_add(&m, inner, strlen(inner), "in.json", &err) == GL_OK, "%s",
                  err.msg);
    struct gl_decoder *d = gl_decoder_new();
    gl_decoder_set_mappings(d, m);
    struct gl_event ev;
    const char *rec = "{\"rid\":\"7\",\"t\":\"2026-03-01T10:00:00Z\",\"who\":\"svc:a\","
                      "\"blob\":\"hunter2-not-a-pattern\"}";
    char buf[1024];
    snprintf(buf, sizeof buf, "{\"wrapped\":\"yes\",\"id\":\"envelope-1\",\"body\":%s}", rec);
    ck_assert_msg(decode(d, buf, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.id, "in:7");
    ck_assert_gstr(ev.workload, "svc:a");
    ck_assert_str_eq(gl_mapping_rule_label(gl_decoder_mapped(d)), "in/ev");
    ck_assert_uint_eq(ev.n_secret_vals, 1); /* the inner mapping's secrets */
    /* the same record alone: the same event */
    struct gl_event alone;
    struct gl_decoder *d2 = gl_decoder_new();
    gl_decoder_set_mappings(d2, m);
    ck_assert_msg(decode(d2, rec, &alone, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(alone.id, "in:7");
    char *a = stored_json(&ev, NULL, NULL), *b = stored_json(&alone, NULL, NULL);
    ck_assert_str_eq(a, b); /* attrs keep the inner record, not the envelope */
    free(a);
    free(b);
    /* nested envelopes: up to 4 deep */
    snprintf(buf, sizeof buf,
             "{\"wrapped\":\"yes\",\"body\":{\"wrapped\":\"yes\",\"body\":{\"wrapped\":\"yes\","
             "\"body\":%s}}}",
             rec);
    ck_assert_msg(decode(d, buf, &ev, &err) == GL_OK, "%s", err.msg);
    ck_assert_gstr(ev.id, "in:7");
    snprintf(buf, sizeof buf,
             "{\"wrapped\":\"yes\",\"body\":{\"wrapped\":\"yes\",\"body\":{\"wrapped\":\"yes\","
             "\"body\":{\"wrapped\":\"yes\",\"body\":%s}}}}",
             rec);
    ck_assert_int_eq(decode(d, buf, &ev, &err), GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "env/open: envelopes nested more than 4 deep"), "%s", err.msg);
    /* what the envelope holds is no object, or no known record */
    ck_assert_int_eq(decode(d, "{\"wrapped\":\"yes\",\"body\":\"text\"}", &ev, &err),
                     GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "env/open: body is not an object"), "%s", err.msg);
    ck_assert_int_eq(decode(d, "{\"wrapped\":\"yes\",\"body\":{\"other\":1}}", &ev, &err),
                     GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "env/open: its body is a record of no format a mapping knows"),
                  "%s", err.msg);
    /* the inner record refused: both rules named */
    ck_assert_int_eq(decode(d, "{\"wrapped\":\"yes\",\"body\":{\"rid\":\"0\"}}", &ev, &err),
                     GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "env/open: in/bad: rid 0"), "%s", err.msg);
    ck_assert_int_eq(decode(d, "{\"wrapped\":\"no\",\"body\":{\"rid\":\"7\"}}", &ev, &err),
                     GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "env/closed: not wrapped"), "%s", err.msg);
    /* a refused envelope keeps none of the inner record's secrets in the
     * quarantine (the inner mapping's "secrets", hidden whole) */
    struct gl_redactor *rd = redactor();
    struct gl_buf q = {0};
    const char *refused = "{\"wrapped\":\"yes\",\"body\":{\"rid\":\"0\",\"blob\":\"plainword\"}}";
    ck_assert_msg(gl_event_redact_raw(d, refused, strlen(refused), rd, &q, NULL, &err) == GL_OK,
                  "%s", err.msg);
    gl_buf_append(&q, "", 1);
    ck_assert_msg(strstr(q.data, "plainword") == NULL, "%s", q.data);
    ck_assert_msg(strstr(q.data, "\"rid\":\"0\""), "%s", q.data);
    gl_buf_free(&q);
    gl_redactor_free(rd);
    gl_decoder_free(d);
    gl_decoder_free(d2);
    gl_mappings_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mapping");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_cloudtrail_assume_role);
    tcase_add_test(tc, test_cloudtrail_calls);
    tcase_add_test(tc, test_cloudtrail_edges);
    tcase_add_test(tc, test_k8s_audit);
    tcase_add_test(tc, test_k8s_ids_and_secrets);
    tcase_add_test(tc, test_template_language);
    tcase_add_test(tc, test_switch);
    tcase_add_test(tc, test_awstime);
    tcase_add_test(tc, test_load_errors);
    tcase_add_test(tc, test_like_first_time);
    tcase_add_test(tc, test_vault_audit);
    tcase_add_test(tc, test_cloudtrail_policies);
    tcase_add_test(tc, test_k8s_cluster_admin_binding);
    tcase_add_test(tc, test_unwrap);
    suite_add_tcase(s, tc);
    return gl_test_run(s);
}
