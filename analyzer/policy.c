/* Policy (thresholds, severities) and the control catalog, both JSON files
 * in schemas/ read as JSON trees (grantline/jtree.h; trusted, small configuration). */
#include "rules.h"

#include "grantline/glob.h"
#include "grantline/jtree.h"
#include "grantline/textout.h"

#include "grantline/schemas.h"
#include "grantline/tstamp.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gl_jval *policy_load_json(const char *path, struct gl_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        gl_error_set(err, GL_ERR_IO, errno, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + n + 1 > cap) {
            cap = (len + n + 1) * 2;
            char *nb = realloc(buf, cap);
            if (!nb) {
                free(buf);
                fclose(f);
                gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
                return NULL;
            }
            buf = nb;
        }
        memcpy(buf + len, chunk, n);
        len += n;
    }
    fclose(f);
    if (!buf) {
        gl_error_set(err, GL_ERR_INVALID, 0, "%s: empty", path);
        return NULL;
    }
    buf[len] = '\0';
    struct gl_error perr = {0};
    struct gl_jval *v = gl_jtree_parse(buf, len, &perr);
    free(buf);
    if (!gl_jval_is(v, GL_JT_OBJECT)) {
        gl_error_set(err, v ? GL_ERR_INVALID : perr.code, 0, "%s: %s", path,
                     v ? "not a JSON object" : perr.msg);
        gl_jtree_free(v);
        return NULL;
    }
    return v;
}

static const struct gl_jval *member(const struct gl_jval *obj, const char *key)
{
    return gl_jval_get(obj, key, GL_JT_ANY);
}

static int apply(struct policy *pol, const struct gl_jval *root, const char *path,
                 struct gl_error *err)
{
    static const struct {
        const char *name;
        size_t off;
    } durations[] = {
        {"unused_window", offsetof(struct policy, unused_window)},
        {"linger_grace", offsetof(struct policy, linger_grace)},
        {"max_ttl", offsetof(struct policy, max_ttl)},
        {"max_age", offsetof(struct policy, max_age)},
        {"remediation_sla", offsetof(struct policy, remediation_sla)},
        {"deny_burst_window", offsetof(struct policy, deny_burst_window)},
    };
    const struct gl_jval *th = member(root, "thresholds");
    if (gl_jval_is(th, GL_JT_OBJECT)) {
        for (size_t i = 0; i < th->len; i++) {
            const char *k = th->keys[i];
            const struct gl_jval *v = th->vals[i];
            bool known = false;
            for (size_t d = 0; d < sizeof durations / sizeof durations[0]; d++) {
                if (strcmp(k, durations[d].name) != 0)
                    continue;
                known = true;
                int64_t us;
                if (!gl_jval_is(v, GL_JT_STRING) || gl_duration_parse(v->s, &us))
                    return gl_error_set(err, GL_ERR_INVALID, 0,
                                        "%s: thresholds.%s: expected a duration like \"30d\"", path,
                                        k);
                *(int64_t *)((char *)pol + durations[d].off) = us;
            }
            if (strcmp(k, "deny_burst_count") == 0) {
                known = true;
                if (!gl_jval_is(v, GL_JT_INT) || v->i < 1)
                    return gl_error_set(err, GL_ERR_INVALID, 0,
                                        "%s: thresholds.deny_burst_count: expected an integer >= 1",
                                        path);
                pol->deny_burst_count = (int)v->i;
            }
            if (!known)
                return gl_error_set(err, GL_ERR_INVALID, 0, "%s: thresholds.%s: unknown setting",
                                    path, k);
        }
    }
    const struct gl_jval *pub = member(root, "public_workloads");
    if (pub) {
        if (!gl_jval_is(pub, GL_JT_ARRAY))
            return gl_error_set(err, GL_ERR_INVALID, 0,
                                "%s: public_workloads: expected an array of workload globs", path);
        int max = (int)(sizeof pol->public_workloads / sizeof pol->public_workloads[0]);
        pol->n_public_workloads = 0; /* a policy file's list replaces the default's */
        for (size_t i = 0; i < pub->len; i++) {
            const struct gl_jval *v = pub->vals[i];
            if (!gl_jval_is(v, GL_JT_STRING) || !*v->s ||
                strlen(v->s) >= sizeof pol->public_workloads[0] || pol->n_public_workloads >= max)
                return gl_error_set(err, GL_ERR_INVALID, 0,
                                    "%s: public_workloads[%zu]: expected a glob of 1..%zu bytes "
                                    "(at most %d globs)",
                                    path, i, sizeof pol->public_workloads[0] - 1, max);
            snprintf(pol->public_workloads[pol->n_public_workloads++],
                     sizeof pol->public_workloads[0], "%s", v->s);
        }
    }
    const struct gl_jval *sev = member(root, "severity");
    if (gl_jval_is(sev, GL_JT_OBJECT)) {
        for (size_t i = 0; i < sev->len; i++) {
            const char *k = sev->keys[i];
            const struct gl_jval *v = sev->vals[i];
            int s = gl_jval_is(v, GL_JT_STRING) ? severity_parse(v->s) : -1;
            if (s < 0)
                return gl_error_set(err, GL_ERR_INVALID, 0,
                                    "%s: severity.%s: expected info, low, medium, high or "
                                    "critical",
                                    path, k);
            if (strcmp(k, "GL-009-deny") == 0) {
                pol->severity_deny_009 = (enum severity)s;
                continue;
            }
            if (strcmp(k, "GL-002-public") == 0) {
                pol->severity_public_002 = (enum severity)s;
                continue;
            }
            int r = gl_rule_find(k);
            if (r < 0)
                return gl_error_set(err, GL_ERR_INVALID, 0, "%s: severity.%s: unknown rule", path,
                                    k);
            pol->severity[r] = (enum severity)s;
        }
    }
    return GL_OK;
}

int policy_load(struct policy *pol, const char *path, struct gl_error *err)
{
    memset(pol, 0, sizeof *pol);
    for (size_t i = 0; gl_rules[i]; i++)
        pol->severity[i] = gl_rules[i]->default_severity;
    pol->severity_deny_009 = SEV_LOW;
    pol->severity_public_002 = SEV_CRITICAL;
    char def[4096];
    gl_schema_path("policy.default.json", def, sizeof def);
    const char *files[2] = {def, path};
    for (int i = 0; i < 2; i++) {
        if (!files[i])
            continue;
        struct gl_jval *root = policy_load_json(files[i], err);
        if (!root)
            return err ? err->code : GL_ERR_INVALID;
        int rc = apply(pol, root, files[i], err);
        gl_jtree_free(root);
        if (rc)
            return rc;
    }
    if (!pol->unused_window || !pol->max_ttl || !pol->deny_burst_count)
        return gl_error_set(err, GL_ERR_INVALID, 0, "%s: thresholds missing", def);
    return GL_OK;
}

bool policy_is_public(const struct policy *pol, const char *workload)
{
    for (int i = 0; i < pol->n_public_workloads; i++)
        if (gl_glob_match(pol->public_workloads[i], workload, strlen(workload)))
            return true;
    return false;
}

int controls_load(struct controls *ctl, struct gl_error *err)
{
    memset(ctl, 0, sizeof *ctl);
    char path[4096];
    gl_schema_path("controls.json", path, sizeof path);
    struct gl_jval *root = policy_load_json(path, err);
    if (!root)
        return err ? err->code : GL_ERR_INVALID;
    const struct gl_jval *rules = member(root, "rules");
    int rc = GL_OK;
    for (size_t i = 0; gl_jval_is(rules, GL_JT_OBJECT) && i < rules->len; i++) {
        int r = gl_rule_find(rules->keys[i]);
        const struct gl_jval *list = rules->vals[i];
        if (r < 0 || !gl_jval_is(list, GL_JT_ARRAY)) {
            rc = gl_error_set(err, GL_ERR_INVALID, 0, "%s: rules.%s: unknown rule or not a list",
                              path, rules->keys[i]);
            break;
        }
        size_t n = list->len;
        ctl->ids[r] = calloc(n + 1, sizeof(char *));
        if (!ctl->ids[r]) {
            rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
            break;
        }
        for (size_t k = 0; k < n; k++) {
            const struct gl_jval *v = list->vals[k];
            ctl->ids[r][k] = strdup(gl_jval_is(v, GL_JT_STRING) ? v->s : "?");
        }
    }
    gl_jtree_free(root);
    for (size_t r = 0; !rc && r < 32; r++) {
        size_t len;
        FILE *f = open_memstream(&ctl->json[r], &len);
        if (!f) {
            rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
            break;
        }
        fputc('[', f);
        for (size_t k = 0; ctl->ids[r] && ctl->ids[r][k]; k++) {
            if (k)
                fputc(',', f);
            gl_json_write_str(f, ctl->ids[r][k], GL_NUL_TERMINATED);
        }
        fputc(']', f);
        if (fclose(f) != 0)
            rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
    }
    return rc;
}

void controls_free(struct controls *ctl)
{
    for (size_t r = 0; r < 32; r++) {
        for (size_t k = 0; ctl->ids[r] && ctl->ids[r][k]; k++)
            free(ctl->ids[r][k]);
        free(ctl->ids[r]);
        ctl->ids[r] = NULL;
        free(ctl->json[r]);
        ctl->json[r] = NULL;
    }
}
