/* Unit tests for lib/textout.c: JSON strings escape every control
 * character, and text meant for a terminal shows control characters
 * (C0, DEL, C1 as UTF-8) as \xNN while leaving other text, UTF-8 included,
 * as it is. */
#include "grantline/textout.h"

#include "check_helpers.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_text_safe_passes_plain_text_through)
{
    char buf[64];
    const char *s = "agent:sql-runner \xc3\xa9t\xc3\xa9 \xe2\x82\xac";
    ck_assert_ptr_eq(gl_text_safe(s, buf, sizeof buf), s); /* no copy */
    ck_assert_ptr_null(gl_text_safe(NULL, buf, sizeof buf));
}
END_TEST

START_TEST(test_text_safe_escapes_controls)
{
    char buf[128];
    ck_assert_str_eq(gl_text_safe("a\x1b[31mb\nc\td\x7f", buf, sizeof buf),
                     "a\\x1b[31mb\\x0ac\\x09d\\x7f");
    /* U+009B (CSI as UTF-8) is a control; U+00A0 and U+00E9 are not */
    ck_assert_str_eq(gl_text_safe("x\xc2\x9by\xc2\xa0z\xc3\xa9", buf, sizeof buf),
                     "x\\x9by\xc2\xa0z\xc3\xa9");
}
END_TEST

START_TEST(test_text_safe_truncates_whole_escapes)
{
    char buf[8];
    /* room for 7 bytes: "ab" and one escape; never half an escape */
    ck_assert_str_eq(gl_text_safe("ab\x01\x02\x03", buf, sizeof buf), "ab\\x01");
    char one[1];
    ck_assert_str_eq(gl_text_safe("\x01", one, sizeof one), "");
}
END_TEST

START_TEST(test_json_escapes_controls)
{
    struct gl_buf b = {0};
    ck_assert_int_eq(gl_json_append_str(&b, "q\"\\\n\x1b\x7f", GL_NUL_TERMINATED), 0);
    ck_assert_uint_eq(b.len, strlen("\"q\\\"\\\\\\n\\u001b\\u007f\""));
    ck_assert_int_eq(memcmp(b.data, "\"q\\\"\\\\\\n\\u001b\\u007f\"", b.len), 0);
    gl_buf_free(&b);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("textout");
    TCase *tc = tcase_create("escape");
    tcase_add_test(tc, test_text_safe_passes_plain_text_through);
    tcase_add_test(tc, test_text_safe_escapes_controls);
    tcase_add_test(tc, test_text_safe_truncates_whole_escapes);
    tcase_add_test(tc, test_json_escapes_controls);
    suite_add_tcase(s, tc);
    return gl_test_run(s);
}
