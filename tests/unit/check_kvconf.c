/* kvconf: key=value settings files (comments, spaces, refusals with the
 * line, permissions) and which setting values are kept out of messages. */
#include "check_helpers.h"

#include "grantline/kvconf.h"

#include <unistd.h>

static char *write_conf(const char *dir, const char *name, const char *text, mode_t mode)
{
    char *path = malloc(strlen(dir) + strlen(name) + 2);
    ck_assert_ptr_nonnull(path);
    sprintf(path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fwrite(text, 1, strlen(text), f);
    fclose(f);
    ck_assert_int_eq(chmod(path, mode), 0);
    return path;
}

START_TEST(test_kvconf_parses_lines)
{
    char *dir = gl_test_tmpdir("kvconf");
    char *p = write_conf(dir, "k.conf",
                         "# Kafka client settings\n"
                         "bootstrap.servers = kafka-1:9093,kafka-2:9093\n"
                         "\n"
                         "   # indented comment\n"
                         "security.protocol=SASL_SSL\r\n"
                         "sasl.password = p=w#rd with spaces  \n"
                         "ssl.ca.location=\n"
                         "last.line=no newline",
                         0600);
    struct gl_kvconf *c = NULL;
    struct gl_error err = {0};
    ck_assert_int_eq(gl_kvconf_load(p, &c, &err), GL_OK);
    ck_assert_uint_eq(c->n, 5);
    ck_assert_str_eq(c->items[0], "bootstrap.servers=kafka-1:9093,kafka-2:9093");
    ck_assert_str_eq(c->items[1], "security.protocol=SASL_SSL");
    /* only the first '=' splits; '#' inside a value is the value's */
    ck_assert_str_eq(c->items[2], "sasl.password=p=w#rd with spaces");
    ck_assert_str_eq(c->items[3], "ssl.ca.location=");
    ck_assert_str_eq(c->items[4], "last.line=no newline");
    ck_assert(!c->others_can_read);
    gl_kvconf_free(c);
    free(p);
    free(dir);
}
END_TEST

START_TEST(test_kvconf_refusals)
{
    char *dir = gl_test_tmpdir("kvconf");
    struct gl_kvconf *c = NULL;
    struct gl_error err = {0};
    char *p = write_conf(dir, "nokey.conf", "a=1\n\n  = value\n", 0600);
    ck_assert_int_eq(gl_kvconf_load(p, &c, &err), GL_ERR_INVALID);
    ck_assert_ptr_null(c);
    ck_assert_msg(strstr(err.msg, "nokey.conf:3: expected key=value (the key is empty)"), "%s",
                  err.msg);
    free(p);
    p = write_conf(dir, "noeq.conf", "a=1\nsasl.password\n", 0600);
    ck_assert_int_eq(gl_kvconf_load(p, &c, &err), GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "noeq.conf:2: expected key=value"), "%s", err.msg);
    free(p);
    char missing[4200];
    snprintf(missing, sizeof missing, "%s/none.conf", dir);
    ck_assert_int_eq(gl_kvconf_load(missing, &c, &err), GL_ERR_IO);
    ck_assert_msg(strstr(err.msg, "No such file"), "%s", err.msg);
    ck_assert_int_eq(gl_kvconf_load(dir, &c, &err), GL_ERR_IO); /* a directory */
    ck_assert_msg(strstr(err.msg, "not a regular file"), "%s", err.msg);
    free(dir);
}
END_TEST

START_TEST(test_kvconf_others_can_read)
{
    char *dir = gl_test_tmpdir("kvconf");
    struct gl_kvconf *c = NULL;
    struct gl_error err = {0};
    char *p = write_conf(dir, "open.conf", "a=1\n", 0640);
    ck_assert_int_eq(gl_kvconf_load(p, &c, &err), GL_OK);
    ck_assert(c->others_can_read);
    gl_kvconf_free(c);
    free(p);
    p = write_conf(dir, "empty.conf", "", 0600);
    ck_assert_int_eq(gl_kvconf_load(p, &c, &err), GL_OK);
    ck_assert_uint_eq(c->n, 0);
    gl_kvconf_free(c);
    free(p);
    free(dir);
}
END_TEST

START_TEST(test_kvconf_secret_keys)
{
    const char *secret[] = {"sasl.password", "ssl.key.password", "ssl.key.pem",
                            "sasl.oauthbearer.config", "sasl.oauthbearer.client.secret",
                            "ssl.certificate.pem", "sasl.jaas.config", "SASL.PASSWORD"};
    for (size_t i = 0; i < sizeof secret / sizeof *secret; i++)
        ck_assert_msg(gl_kvconf_secret_key(secret[i]), "%s", secret[i]);
    const char *plain[] = {"bootstrap.servers", "security.protocol", "sasl.mechanisms",
                           "session.timeout.ms", "ssl.ca.location", "sasl.username"};
    for (size_t i = 0; i < sizeof plain / sizeof *plain; i++)
        ck_assert_msg(!gl_kvconf_secret_key(plain[i]), "%s", plain[i]);
}
END_TEST

START_TEST(test_kvconf_bom_badkey_fifo)
{
    char *dir = gl_test_tmpdir("kvconf");
    struct gl_kvconf *c = NULL;
    struct gl_error err = {0};
    char *p = write_conf(dir, "bom.conf", "\xef\xbb\xbf" "bootstrap.servers=k:9092\n", 0600);
    ck_assert_int_eq(gl_kvconf_load(p, &c, &err), GL_OK);
    ck_assert_uint_eq(c->n, 1);
    ck_assert_str_eq(c->items[0], "bootstrap.servers=k:9092");
    gl_kvconf_free(c);
    free(p);
    /* a password typed with ':' where '=' belongs: refused, never echoed */
    p = write_conf(dir, "colon.conf", "sasl.password: hunter=2x\n", 0600);
    ck_assert_int_eq(gl_kvconf_load(p, &c, &err), GL_ERR_INVALID);
    ck_assert_msg(strstr(err.msg, "colon.conf:1: the key has a character") && !strstr(err.msg, "hunter"),
                  "%s", err.msg);
    free(p);
    char fifo[4200];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert_int_eq(gl_kvconf_load(fifo, &c, &err), GL_ERR_IO); /* refused, not waited on */
    ck_assert_msg(strstr(err.msg, "not a regular file"), "%s", err.msg);
    free(dir);
}
END_TEST

START_TEST(test_kvconf_mask)
{
    const char *props[] = {"bootstrap.servers=kafka-1:9093",
                           "sasl.oauthbearer.config=principal=admin hunter2SECRET",
                           "sasl.password=Tr0ub4dor&3"};
    char out[256];
    gl_kvconf_mask(props, 3, "Unrecognized sasl.oauthbearer.config beginning at: hunter2SECRET",
                   out, sizeof out);
    ck_assert_str_eq(out, "Unrecognized sasl.oauthbearer.config beginning at: (hidden)");
    gl_kvconf_mask(props, 3, "auth failed for \"Tr0ub4dor&3\", broker kafka-1:9093", out,
                   sizeof out);
    ck_assert_str_eq(out, "auth failed for \"(hidden)\", broker kafka-1:9093");
    gl_kvconf_mask(props, 3, "a long line", out, 5); /* cut to fit, terminated */
    ck_assert_str_eq(out, "a lo");
}
END_TEST

static Suite *kvconf_suite(void)
{
    Suite *s = suite_create("kvconf");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, test_kvconf_parses_lines);
    tcase_add_test(tc, test_kvconf_refusals);
    tcase_add_test(tc, test_kvconf_others_can_read);
    tcase_add_test(tc, test_kvconf_secret_keys);
    tcase_add_test(tc, test_kvconf_bom_badkey_fifo);
    tcase_add_test(tc, test_kvconf_mask);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return gl_test_run(kvconf_suite());
}
