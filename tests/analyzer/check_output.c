/* SIEM output encodings: CEF header and extension escaping (pipes,
 * backslashes, equals signs, newlines) and the severity mappings. */
#include "../unit/check_helpers.h"

#include "output.h"

static const struct {
    const char *in, *header, *value;
} cef[] = {
    {"plain", "plain", "plain"},
    {"a|b", "a\\|b", "a|b"},            /* pipes: header only */
    {"a\\b", "a\\\\b", "a\\\\b"},       /* backslashes: both */
    {"k=v", "k=v", "k\\=v"},            /* equals: extension only */
    {"l1\nl2", "l1 l2", "l1\\nl2"},     /* newlines: \n in values, never raw */
    {"cr\rx", "cr x", "cr\\rx"},
    {"\\|=\n", "\\\\\\|= ", "\\\\|\\=\\n"},
    {"", "", ""},
};

START_TEST(test_cef_escaping)
{
    char h[256], v[256];
    cef_escape_header(cef[_i].in, h, sizeof h);
    cef_escape_value(cef[_i].in, v, sizeof v);
    ck_assert_msg(strcmp(h, cef[_i].header) == 0, "header('%s') = '%s', want '%s'", cef[_i].in, h,
                  cef[_i].header);
    ck_assert_msg(strcmp(v, cef[_i].value) == 0, "value('%s') = '%s', want '%s'", cef[_i].in, v,
                  cef[_i].value);
}
END_TEST

START_TEST(test_cef_escaping_truncates_safely)
{
    char small[8];
    cef_escape_value("==========", small, sizeof small);
    ck_assert_uint_lt(strlen(small), sizeof small);
    /* never ends in half an escape */
    size_t n = strlen(small);
    size_t bs = 0;
    while (bs < n && small[n - 1 - bs] == '\\')
        bs++;
    ck_assert_uint_eq(bs % 2, 0);
}
END_TEST

START_TEST(test_severity_maps)
{
    ck_assert_int_eq(ocsf_severity_id(SEV_INFO), 1);
    ck_assert_int_eq(ocsf_severity_id(SEV_CRITICAL), 5);
    ck_assert_int_eq(cef_severity(SEV_INFO), 1);
    ck_assert_int_eq(cef_severity(SEV_LOW), 3);
    ck_assert_int_eq(cef_severity(SEV_MEDIUM), 5);
    ck_assert_int_eq(cef_severity(SEV_HIGH), 8);
    ck_assert_int_eq(cef_severity(SEV_CRITICAL), 10);
    ck_assert_ptr_nonnull(gl_output_find("ocsf"));
    ck_assert_ptr_nonnull(gl_output_find("cef"));
    ck_assert_ptr_null(gl_output_find("xml"));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("output");
    TCase *tc = tcase_create("cef");
    tcase_add_loop_test(tc, test_cef_escaping, 0, sizeof cef / sizeof cef[0]);
    tcase_add_test(tc, test_cef_escaping_truncates_safely);
    tcase_add_test(tc, test_severity_maps);
    suite_add_tcase(s, tc);
    return gl_test_run(s);
}
