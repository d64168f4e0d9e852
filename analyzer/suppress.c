/* Suppressions: reviewed, owned, expiring exceptions kept in a JSON file in
 * git (like IAM Access Analyzer archive rules, but reviewable). */
#include "rules.h"

#include "grantline/jtree.h"
#include "grantline/tstamp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gl_jval *policy_load_json(const char *path, struct gl_error *err);

static char *str_member(const struct gl_jval *obj, const char *key)
{
    const struct gl_jval *v = gl_jval_get(obj, key, GL_JT_STRING);
    const char *str = v ? v->s : NULL;
    return str ? strdup(str) : NULL;
}

int suppressions_load(struct suppressions *s, const char *path, struct gl_error *err)
{
    memset(s, 0, sizeof *s);
    struct gl_jval *root = policy_load_json(path, err);
    if (!root)
        return err ? err->code : GL_ERR_INVALID;
    const struct gl_jval *list = gl_jval_get(root, "suppressions", GL_JT_ARRAY);
    int rc = GL_OK;
    if (!list) {
        rc = gl_error_set(err, GL_ERR_INVALID, 0, "%s: expected {\"suppressions\": [...]}", path);
        goto done;
    }
    size_t n = list->len;
    s->v = calloc(n ? n : 1, sizeof *s->v);
    if (!s->v) {
        rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const struct gl_jval *e = list->vals[i];
        struct suppression *x = &s->v[s->n++];
        if (!gl_jval_is(e, GL_JT_OBJECT)) {
            rc = gl_error_set(err, GL_ERR_INVALID, 0, "%s: suppression %zu: not an object", path,
                              i + 1);
            goto done;
        }
        x->rule = str_member(e, "rule");
        x->workload = str_member(e, "workload");
        x->credential = str_member(e, "credential");
        x->grant = str_member(e, "grant");
        x->reason = str_member(e, "reason");
        x->owner = str_member(e, "owner");
        char *exp = str_member(e, "expires");
        const char *missing = !x->rule     ? "rule"
                              : !x->reason ? "reason"
                              : !x->owner  ? "owner"
                              : !exp       ? "expires"
                                           : NULL;
        if (missing) {
            free(exp);
            rc = gl_error_set(err, GL_ERR_INVALID, 0,
                              "%s: suppression %zu: '%s' is required (rule, reason, owner and "
                              "expires make the audit trail)",
                              path, i + 1, missing);
            goto done;
        }
        if (strcmp(x->rule, "*") != 0 && gl_rule_find(x->rule) < 0) {
            free(exp);
            rc = gl_error_set(err, GL_ERR_INVALID, 0, "%s: suppression %zu: unknown rule %s", path,
                              i + 1, x->rule);
            goto done;
        }
        char day[40];
        snprintf(day, sizeof day, "%.10sT23:59:59.999999Z", exp);
        const char *why;
        if (strlen(exp) != 10 || gl_tstamp_parse(day, strlen(day), &x->expires_us, &why)) {
            rc = gl_error_set(err, GL_ERR_INVALID, 0,
                              "%s: suppression %zu: expires '%s' is not a date YYYY-MM-DD", path,
                              i + 1, exp);
            free(exp);
            goto done;
        }
        snprintf(x->expires, sizeof x->expires, "%s", exp);
        free(exp);
    }
done:
    gl_jtree_free(root);
    if (rc)
        suppressions_free(s);
    return rc;
}

void suppressions_free(struct suppressions *s)
{
    for (size_t i = 0; i < s->n; i++) {
        struct suppression *x = &s->v[i];
        free(x->rule);
        free(x->workload);
        free(x->credential);
        free(x->grant);
        free(x->reason);
        free(x->owner);
    }
    free(s->v);
    memset(s, 0, sizeof *s);
}

static bool field_ok(const char *pattern, const char *value)
{
    return !pattern || (value && glob_match(pattern, value));
}

const struct suppression *suppressions_match(const struct suppressions *s, const struct finding *f,
                                             int64_t now)
{
    for (size_t i = 0; i < s->n; i++) {
        const struct suppression *x = &s->v[i];
        if (now > x->expires_us)
            continue;
        if (strcmp(x->rule, "*") != 0 && strcmp(x->rule, gl_rules[f->rule]->id) != 0)
            continue;
        if (field_ok(x->workload, f->workload) && field_ok(x->credential, f->credential) &&
            field_ok(x->grant, f->grant))
            return x;
    }
    return NULL;
}
