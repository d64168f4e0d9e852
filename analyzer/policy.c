/* Policy (thresholds, severities) and the control catalog, both JSON files
 * in schemas/ read with yajl's tree API (trusted, small configuration). */
#include "rules.h"

#include "grantline/textout.h"

#include "grantline/schemas.h"
#include "grantline/tstamp.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_tree.h>

yajl_val policy_load_json(const char *path, struct gl_error *err)
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
    char why[256] = "";
    yajl_val v = yajl_tree_parse(buf, why, sizeof why);
    free(buf);
    if (!v || !YAJL_IS_OBJECT(v)) {
        char *nl = strchr(why, '\n');
        if (nl)
            *nl = '\0';
        gl_error_set(err, GL_ERR_INVALID, 0, "%s: %s", path, v ? "not a JSON object" : why);
        yajl_tree_free(v);
        return NULL;
    }
    return v;
}

static yajl_val member(yajl_val obj, const char *key)
{
    const char *path[] = {key, NULL};
    return obj ? yajl_tree_get(obj, path, yajl_t_any) : NULL;
}

static int apply(struct policy *pol, yajl_val root, const char *path, struct gl_error *err)
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
    yajl_val th = member(root, "thresholds");
    if (th && YAJL_IS_OBJECT(th)) {
        for (size_t i = 0; i < YAJL_GET_OBJECT(th)->len; i++) {
            const char *k = YAJL_GET_OBJECT(th)->keys[i];
            yajl_val v = YAJL_GET_OBJECT(th)->values[i];
            bool known = false;
            for (size_t d = 0; d < sizeof durations / sizeof durations[0]; d++) {
                if (strcmp(k, durations[d].name) != 0)
                    continue;
                known = true;
                int64_t us;
                if (!YAJL_IS_STRING(v) || gl_duration_parse(YAJL_GET_STRING(v), &us))
                    return gl_error_set(err, GL_ERR_INVALID, 0,
                                        "%s: thresholds.%s: expected a duration like \"30d\"",
                                        path, k);
                *(int64_t *)((char *)pol + durations[d].off) = us;
            }
            if (strcmp(k, "deny_burst_count") == 0) {
                known = true;
                if (!YAJL_IS_INTEGER(v) || YAJL_GET_INTEGER(v) < 1)
                    return gl_error_set(err, GL_ERR_INVALID, 0,
                                        "%s: thresholds.deny_burst_count: expected an integer >= 1",
                                        path);
                pol->deny_burst_count = (int)YAJL_GET_INTEGER(v);
            }
            if (!known)
                return gl_error_set(err, GL_ERR_INVALID, 0, "%s: thresholds.%s: unknown setting",
                                    path, k);
        }
    }
    yajl_val sev = member(root, "severity");
    if (sev && YAJL_IS_OBJECT(sev)) {
        for (size_t i = 0; i < YAJL_GET_OBJECT(sev)->len; i++) {
            const char *k = YAJL_GET_OBJECT(sev)->keys[i];
            yajl_val v = YAJL_GET_OBJECT(sev)->values[i];
            int s = YAJL_IS_STRING(v) ? severity_parse(YAJL_GET_STRING(v)) : -1;
            if (s < 0)
                return gl_error_set(err, GL_ERR_INVALID, 0,
                                    "%s: severity.%s: expected info, low, medium, high or "
                                    "critical",
                                    path, k);
            if (strcmp(k, "GL-009-deny") == 0) {
                pol->severity_deny_009 = (enum severity)s;
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
    char def[4096];
    gl_schema_path("policy.default.json", def, sizeof def);
    const char *files[2] = {def, path};
    for (int i = 0; i < 2; i++) {
        if (!files[i])
            continue;
        yajl_val root = policy_load_json(files[i], err);
        if (!root)
            return err ? err->code : GL_ERR_INVALID;
        int rc = apply(pol, root, files[i], err);
        yajl_tree_free(root);
        if (rc)
            return rc;
    }
    if (!pol->unused_window || !pol->max_ttl || !pol->deny_burst_count)
        return gl_error_set(err, GL_ERR_INVALID, 0, "%s: thresholds missing", def);
    return GL_OK;
}

int controls_load(struct controls *ctl, struct gl_error *err)
{
    memset(ctl, 0, sizeof *ctl);
    char path[4096];
    gl_schema_path("controls.json", path, sizeof path);
    yajl_val root = policy_load_json(path, err);
    if (!root)
        return err ? err->code : GL_ERR_INVALID;
    yajl_val rules = member(root, "rules");
    int rc = GL_OK;
    for (size_t i = 0; rules && YAJL_IS_OBJECT(rules) && i < YAJL_GET_OBJECT(rules)->len; i++) {
        int r = gl_rule_find(YAJL_GET_OBJECT(rules)->keys[i]);
        yajl_val list = YAJL_GET_OBJECT(rules)->values[i];
        if (r < 0 || !YAJL_IS_ARRAY(list)) {
            rc = gl_error_set(err, GL_ERR_INVALID, 0, "%s: rules.%s: unknown rule or not a list",
                              path, YAJL_GET_OBJECT(rules)->keys[i]);
            break;
        }
        size_t n = YAJL_GET_ARRAY(list)->len;
        ctl->ids[r] = calloc(n + 1, sizeof(char *));
        if (!ctl->ids[r]) {
            rc = gl_error_set(err, GL_ERR_NOMEM, 0, "out of memory");
            break;
        }
        for (size_t k = 0; k < n; k++) {
            yajl_val v = YAJL_GET_ARRAY(list)->values[k];
            ctl->ids[r][k] = strdup(YAJL_IS_STRING(v) ? YAJL_GET_STRING(v) : "?");
        }
    }
    yajl_tree_free(root);
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
