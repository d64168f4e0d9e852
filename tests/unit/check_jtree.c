/* Unit tests for lib/jtree.c: every JSON type, member order and lookup,
 * escapes and NUL bytes, large containers, and the errors (syntax, empty,
 * UTF-8, depth) that the analyzer's configuration loading reports. */
#include "grantline/jtree.h"

#include "check_helpers.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct gl_jval *parse_ok(const char *text)
{
    struct gl_error err = {0};
    struct gl_jval *v = gl_jtree_parse(text, strlen(text), &err);
    ck_assert_msg(v != NULL, "'%s': %s", text, err.msg);
    return v;
}

static struct gl_error parse_bad(const char *text, size_t len)
{
    struct gl_error err = {0};
    struct gl_jval *v = gl_jtree_parse(text, len, &err);
    ck_assert_msg(v == NULL, "'%.60s' parsed", text);
    ck_assert_int_eq(err.code, GL_ERR_INVALID);
    ck_assert(err.msg[0] != '\0');
    return err;
}

START_TEST(test_types_and_lookup)
{
    struct gl_jval *root = parse_ok(
        " {\"n\": null, \"t\": true, \"f\": false, \"i\": -42, \"big\": 18446744073709551615,"
        " \"d\": 2.5e3, \"s\": \"a\\u00e9\\n\\u0000z\", \"o\": {\"x\": [1, \"two\", {}], \"y\": []},"
        " \"last\": 2} ");
    ck_assert(gl_jval_is(root, GL_JT_OBJECT));
    ck_assert_uint_eq(root->len, 9);
    ck_assert_str_eq(root->keys[0], "n");
    ck_assert_str_eq(root->keys[8], "last");
    ck_assert(gl_jval_is(gl_jval_get(root, "n", GL_JT_ANY), GL_JT_NULL));
    ck_assert(gl_jval_get(root, "t", GL_JT_BOOL)->b);
    ck_assert(!gl_jval_get(root, "f", GL_JT_BOOL)->b);
    const struct gl_jval *i = gl_jval_get(root, "i", GL_JT_INT);
    ck_assert_int_eq(i->i, -42);
    ck_assert(i->d == -42.0);
    /* beyond int64: a number, not an integer */
    ck_assert_ptr_null(gl_jval_get(root, "big", GL_JT_INT));
    ck_assert(gl_jval_get(root, "big", GL_JT_DOUBLE)->d > 1.8e19);
    ck_assert(gl_jval_get(root, "d", GL_JT_DOUBLE)->d == 2500.0);
    const struct gl_jval *s = gl_jval_get(root, "s", GL_JT_STRING);
    ck_assert_uint_eq(s->len, 6); /* a, é (2 bytes), newline, NUL, z */
    ck_assert(memcmp(s->s, "a\xc3\xa9\n\0z", 6) == 0);
    ck_assert_int_eq(s->s[6], '\0');
    const struct gl_jval *x = gl_jval_get(gl_jval_get(root, "o", GL_JT_OBJECT), "x", GL_JT_ARRAY);
    ck_assert_uint_eq(x->len, 3);
    ck_assert_int_eq(x->vals[0]->i, 1);
    ck_assert_str_eq(x->vals[1]->s, "two");
    ck_assert(gl_jval_is(x->vals[2], GL_JT_OBJECT));
    ck_assert_uint_eq(x->vals[2]->len, 0);
    ck_assert_uint_eq(gl_jval_get(gl_jval_get(root, "o", GL_JT_ANY), "y", GL_JT_ARRAY)->len, 0);
    ck_assert_int_eq(gl_jval_get(root, "last", GL_JT_INT)->i, 2);
    ck_assert_ptr_null(gl_jval_get(root, "i", GL_JT_INT)->s); /* s only for strings */
    /* wrong type, missing member, not an object, NULL */
    ck_assert_ptr_null(gl_jval_get(root, "s", GL_JT_INT));
    ck_assert_ptr_null(gl_jval_get(root, "nope", GL_JT_ANY));
    ck_assert_ptr_null(gl_jval_get(x, "0", GL_JT_ANY));
    ck_assert_ptr_null(gl_jval_get(NULL, "s", GL_JT_ANY));
    ck_assert(!gl_jval_is(NULL, GL_JT_NULL));
    gl_jtree_free(root);
    gl_jtree_free(NULL);

    /* a scalar root */
    struct gl_jval *str = parse_ok("\"only\"");
    ck_assert(gl_jval_is(str, GL_JT_STRING));
    ck_assert_str_eq(str->s, "only");
    gl_jtree_free(str);
}
END_TEST

START_TEST(test_large)
{
    /* 20,000 members with long strings: the arena and child lists grow */
    size_t cap = 20000 * 300 + 16, len = 0;
    char *text = malloc(cap);
    len += (size_t)snprintf(text + len, cap - len, "{");
    char pad[201];
    memset(pad, 'p', 200);
    pad[200] = '\0';
    for (int i = 0; i < 20000; i++)
        len += (size_t)snprintf(text + len, cap - len, "%s\"k%d\":[%d,\"%s\"]", i ? "," : "", i,
                                i, pad);
    len += (size_t)snprintf(text + len, cap - len, "}");
    struct gl_error err = {0};
    struct gl_jval *root = gl_jtree_parse(text, len, &err);
    ck_assert_msg(root != NULL, "%s", err.msg);
    ck_assert_uint_eq(root->len, 20000);
    ck_assert_str_eq(root->keys[19999], "k19999");
    ck_assert_int_eq(root->vals[12345]->vals[0]->i, 12345);
    ck_assert_uint_eq(root->vals[19999]->vals[1]->len, 200);
    gl_jtree_free(root);
    free(text);
}
END_TEST

START_TEST(test_errors)
{
    struct gl_error e = parse_bad("{\"a\": 1,}", 9);
    ck_assert_msg(strstr(e.msg, "invalid JSON") != NULL, "%s", e.msg);
    e = parse_bad("{\"a\": 1} x", 10);
    ck_assert_msg(strstr(e.msg, "invalid JSON") != NULL, "%s", e.msg);
    e = parse_bad("   ", 3);
    ck_assert_msg(strstr(e.msg, "empty") != NULL, "%s", e.msg);
    e = parse_bad("{\"a\": \"\xc3\x28\"}", 10);
    ck_assert_msg(strstr(e.msg, "UTF-8") != NULL, "%s", e.msg);
    e = parse_bad("{\"a\": \"\\ud800\"}", 15);
    ck_assert_msg(strstr(e.msg, "invalid JSON") != NULL, "%s", e.msg);
    /* a repeated key is an error, at any depth (named in the reason) */
    static const char dup1[] = "{\"a\": 1, \"b\": 2, \"a\": 3}";
    e = parse_bad(dup1, strlen(dup1));
    ck_assert_str_eq(e.msg, "duplicate key \"a\"");
    static const char dup2[] = "{\"x\": [{\"k\": 1, \"k\": 1}]}";
    e = parse_bad(dup2, strlen(dup2));
    ck_assert_str_eq(e.msg, "duplicate key \"k\"");
    /* comments are not JSON */
    static const char cmt[] = "{\"a\": 1 /* why */}";
    e = parse_bad(cmt, strlen(cmt));
    ck_assert_msg(strstr(e.msg, "invalid JSON") != NULL, "%s", e.msg);
    /* 64 levels of arrays or objects are fine, 65 are not, also when the
     * innermost container is empty (simdjson lets that one through: the
     * builder's own check refuses it); very deep input fails fast */
    for (int round = 0; round < 3 * 4; round++) {
        int d = 63 + round % 4, shape = round / 4; /* arrays, objects, arrays ending in [] */
        char buf[800] = "";
        for (int k = 0; k < d; k++)
            strcat(buf, shape == 1 ? "{\"k\":" : "[");
        strcat(buf, shape == 0 ? "1" : shape == 1 ? "1" : "");
        for (int k = 0; k < d; k++)
            strcat(buf, shape == 1 ? "}" : "]");
        bool obj = shape == 1;
        struct gl_error err = {0};
        struct gl_jval *v = gl_jtree_parse(buf, strlen(buf), &err);
        if (d <= 64) {
            ck_assert_msg(v != NULL, "%d levels (%s): %s", d, obj ? "objects" : "arrays", err.msg);
            gl_jtree_free(v);
        } else {
            ck_assert_msg(v == NULL && strstr(err.msg, "deeper than 64"), "%d levels (%s): %s", d,
                          obj ? "objects" : "arrays", err.msg);
        }
    }
    size_t n = 100000;
    char *deep = malloc(2 * n);
    memset(deep, '[', n);
    memset(deep + n, ']', n);
    e = parse_bad(deep, 2 * n);
    ck_assert_msg(strstr(e.msg, "deeper") != NULL, "%s", e.msg);
    free(deep);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jtree");
    TCase *tc = tcase_create("jtree");
    tcase_add_test(tc, test_types_and_lookup);
    tcase_add_test(tc, test_large);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return gl_test_run(s);
}
