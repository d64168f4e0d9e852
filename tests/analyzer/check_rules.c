/* The rule table and the analysis primitives: unique ids and names, every
 * rule has a callback, a default policy severity and mapped controls; glob
 * matching, "within" and "covers" per DESIGN.md §3. */
#include "../unit/check_helpers.h"

#include "rules.h"

#include <regex.h>

START_TEST(test_rules_table_well_formed)
{
    size_t n = gl_rule_count();
    ck_assert_uint_eq(n, 16);
    for (size_t i = 0; i < n; i++) {
        const struct gl_rule *r = gl_rules[i];
        char want[32];
        snprintf(want, sizeof want, "GL-%03zu", i + 1);
        ck_assert_msg(strcmp(r->id, want) == 0, "rule %zu is %s, expected %s (table order)", i,
                      r->id, want);
        ck_assert_msg(r->on_workload || r->on_credential || r->on_store, "%s has no callback",
                      r->id);
        ck_assert_msg(r->name && *r->name && r->summary && *r->summary, "%s: name/summary",
                      r->id);
        for (const char *c = r->name; *c; c++)
            ck_assert_msg((*c >= 'a' && *c <= 'z') || *c == '-', "%s: name %s", r->id, r->name);
        for (size_t k = 0; k < i; k++) {
            ck_assert_str_ne(gl_rules[k]->id, r->id);
            ck_assert_str_ne(gl_rules[k]->name, r->name);
        }
        ck_assert_int_eq(gl_rule_find(r->id), (int)i);
        ck_assert_int_eq(gl_rule_find(r->name), (int)i);
    }
    ck_assert_ptr_null(gl_rules[n]);
}
END_TEST

START_TEST(test_rules_policy_and_controls)
{
    setenv("GRANTLINE_SCHEMAS", GL_SOURCE_DIR "/schemas", 1);
    struct policy pol;
    struct gl_error err = {0};
    ck_assert_msg(policy_load(&pol, NULL, &err) == GL_OK, "%s", err.msg);
    ck_assert_int_eq(pol.unused_window, 30LL * 86400 * 1000000);
    ck_assert_int_eq(pol.linger_grace, 5LL * 60 * 1000000);
    ck_assert_int_eq(pol.max_ttl, 24LL * 3600 * 1000000);
    ck_assert_int_eq(pol.max_age, 90LL * 86400 * 1000000);
    ck_assert_int_eq(pol.remediation_sla, 24LL * 3600 * 1000000);
    ck_assert_int_eq(pol.deny_burst_count, 10);
    ck_assert_int_eq(pol.deny_burst_window, 5LL * 60 * 1000000);
    ck_assert_int_eq(pol.severity[gl_rule_find("GL-016")], SEV_INFO);
    ck_assert_int_eq(pol.severity[gl_rule_find("GL-009")], SEV_CRITICAL);
    ck_assert_int_eq(pol.severity_deny_009, SEV_LOW);
    struct controls ctl;
    ck_assert_msg(controls_load(&ctl, &err) == GL_OK, "%s", err.msg);
    regex_t re;
    ck_assert_int_eq(regcomp(&re, "^[A-Z0-9-]+:[A-Za-z0-9 .()-]+$", REG_EXTENDED | REG_NOSUB), 0);
    for (size_t i = 0; gl_rules[i]; i++) {
        ck_assert_msg(ctl.ids[i] && ctl.ids[i][0], "%s maps to no control", gl_rules[i]->id);
        for (size_t k = 0; ctl.ids[i][k]; k++)
            ck_assert_msg(regexec(&re, ctl.ids[i][k], 0, NULL, 0) == 0, "%s: bad control id %s",
                          gl_rules[i]->id, ctl.ids[i][k]);
    }
    regfree(&re);
    controls_free(&ctl);
}
END_TEST

static const struct {
    const char *pattern, *text;
    bool match;
} globs[] = {
    {"*", "", true},
    {"*", "anything/at:all", true},
    {"s3:*", "s3:GetObject", true},
    {"s3:*", "s3:", true},
    {"s3:*", "s4:GetObject", false},
    {"s3:Get*", "s3:GetObject", true},
    {"s3:Get*", "s3:PutObject", false},
    {"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket/a/b/c.csv", true},
    {"arn:aws:s3:::bucket/*", "arn:aws:s3:::bucket2/a", false},
    {"a?c", "abc", true},
    {"a?c", "ac", false},
    {"a?c", "a\xc3\xa9" "c", true}, /* ? is one character, not one byte */
    {"*.csv", "x.csv.bak", false},
    {"*a*b*c*", "xxaxxbxxcxx", true},
    {"*a*b*c*", "xxaxxcxxbxx", false},
    {"Case", "case", false},
    {"", "", true},
    {"", "x", false},
    {"db:warehouse/analytics.*", "db:warehouse/analytics.revenue_daily", true},
    {"db:warehouse/analytics.*", "db:warehouse/finance.payroll", false},
};

START_TEST(test_glob_vectors)
{
    ck_assert_msg(glob_match(globs[_i].pattern, globs[_i].text) == globs[_i].match,
                  "glob '%s' vs '%s': expected %d", globs[_i].pattern, globs[_i].text,
                  globs[_i].match);
}
END_TEST

START_TEST(test_glob_no_blowup)
{
    char text[4001], pat[64];
    memset(text, 'a', 4000);
    text[4000] = '\0';
    snprintf(pat, sizeof pat, "*a*a*a*a*a*a*a*a*a*a*b");
    ck_assert(!glob_match(pat, text)); /* must return promptly */
}
END_TEST

START_TEST(test_within_and_covers)
{
    struct perm grant_any = {"s3:*", NULL};
    struct perm scope = {"s3:Get*", "arn:aws:s3:::r/*"};
    struct perm p1 = {"s3:GetObject", "arn:aws:s3:::r/x"};
    struct perm p2 = {"s3:GetObject", NULL}; /* resource '*' in a grant */
    struct perm p3 = {"s3:Get*", "arn:aws:s3:::r/*"};
    ck_assert(perm_within(&p1, &scope));
    ck_assert(!perm_within(&p2, &scope)); /* a grant's '*' is not within 'r/...' */
    ck_assert(perm_within(&p3, &scope));  /* wildcards taken as text */
    ck_assert(perm_within(&scope, &grant_any));
    ck_assert(!perm_within(&grant_any, &scope));
    struct perm act_nores = {"s3:ListBuckets", NULL}; /* action resource "" */
    struct perm g_star = {"s3:*", "*"};
    struct perm g_r = {"s3:*", "arn:*"};
    ck_assert(perm_covers(&g_star, &act_nores));
    ck_assert(!perm_covers(&g_r, &act_nores));
    ck_assert(perm_covers(&grant_any, &p1));
}
END_TEST

static Suite *rules_suite(void)
{
    Suite *s = suite_create("rules");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_rules_table_well_formed);
    tcase_add_test(tc, test_rules_policy_and_controls);
    tcase_add_loop_test(tc, test_glob_vectors, 0, sizeof globs / sizeof globs[0]);
    tcase_add_test(tc, test_glob_no_blowup);
    tcase_add_test(tc, test_within_and_covers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return gl_test_run(rules_suite());
}
