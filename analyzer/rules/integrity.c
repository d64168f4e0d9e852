/* GL-015 audit-integrity: the store's hash chain and sequence. */
#include "common.h"

static int integrity(struct rule_ctx *c, struct gl_store *st, const char *name)
{
    uint64_t checked = 0, bad = 0;
    struct gl_error verr = {0};
    int rc = gl_store_verify(st, &checked, &bad, &verr);
    if (rc == GL_OK)
        return GL_OK;
    if (rc != GL_ERR_CORRUPT) {
        *c->err = verr;
        return rc;
    }
    struct finding f = {.workload = name};
    char seq[32];
    snprintf(seq, sizeof seq, "seq:%llu", (unsigned long long)bad);
    add_evidence(&f, seq);
    snprintf(f.detail, sizeof f.detail, "%.200s (%llu events verified before it) in store %.200s",
             verr.msg, (unsigned long long)checked, name);
    return rule_emit(c, &f);
}

const struct gl_rule gl_rule_audit_integrity = {
    .id = "GL-015",
    .name = "audit-integrity",
    .default_severity = SEV_CRITICAL,
    .summary = "the store's hash chain or sequence does not verify",
    .on_store = integrity,
};
