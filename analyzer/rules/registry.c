/* The rule registry: one line per rule. GL-015 (audit-integrity) is the
 * store's hash chain, checked by 'verify' and by 'findings' (engine.c). */
#include "../rules.h"

#include <string.h>

extern const struct gl_rule gl_rule_unused_grant, gl_rule_wildcard_grant, gl_rule_beyond_scope,
    gl_rule_lingering, gl_rule_long_lived, gl_rule_stale, gl_rule_unused_credential,
    gl_rule_shared, gl_rule_use_after_retire, gl_rule_remediation_lag, gl_rule_unbound_action,
    gl_rule_ungranted_action, gl_rule_delegation_escalation, gl_rule_denied_burst,
    gl_rule_audit_integrity, gl_rule_unobservable_grant;

const struct gl_rule *const gl_rules[] = {
    &gl_rule_unused_grant,
    &gl_rule_wildcard_grant,
    &gl_rule_beyond_scope,
    &gl_rule_lingering,
    &gl_rule_long_lived,
    &gl_rule_stale,
    &gl_rule_unused_credential,
    &gl_rule_shared,
    &gl_rule_use_after_retire,
    &gl_rule_remediation_lag,
    &gl_rule_unbound_action,
    &gl_rule_ungranted_action,
    &gl_rule_delegation_escalation,
    &gl_rule_denied_burst,
    &gl_rule_audit_integrity,
    &gl_rule_unobservable_grant,
    NULL,
};

size_t gl_rule_count(void)
{
    size_t n = 0;
    while (gl_rules[n])
        n++;
    return n;
}

int gl_rule_find(const char *id)
{
    for (size_t i = 0; gl_rules[i]; i++)
        if (strcmp(gl_rules[i]->id, id) == 0 || strcmp(gl_rules[i]->name, id) == 0)
            return (int)i;
    return -1;
}

const char *severity_name(enum severity s)
{
    static const char *const names[SEV__COUNT] = {"info", "low", "medium", "high", "critical"};
    return (unsigned)s < SEV__COUNT ? names[s] : "unknown";
}

int severity_parse(const char *s)
{
    for (int i = 0; i < SEV__COUNT; i++)
        if (strcmp(severity_name((enum severity)i), s) == 0)
            return i;
    return -1;
}

int rule_emit(struct rule_ctx *c, struct finding *f)
{
    f->rule = c->rule;
    if (!f->severity_set)
        f->severity = c->pol->severity[c->rule];
    return c->emit(c, f);
}
