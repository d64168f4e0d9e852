/* 'findings': runs the rule table over one or more stores (analyzed as one)
 * and prints the findings as aligned text or NDJSON (DESIGN.md §4, §5). */
#include "cmd.h"
#include "rules.h"

#include "grantline/buf.h"
#include "grantline/tstamp.h"

#include <getopt.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Findings collected in memory: their number is small next to the events. */
struct out_finding {
    struct finding f;
    char id[33];
    const char *key;
};

struct sink {
    struct out_finding *v;
    size_t n, cap;
    struct arena *a;
};

static const char *keep(struct arena *a, const char *s)
{
    return s ? arena_strndup(a, s, strlen(s)) : NULL;
}

/* The key that identifies a finding (DESIGN.md §3.1, end). */
static const char *finding_key(const struct finding *f)
{
    if (f->grant)
        return f->grant;
    const char *id = gl_rules[f->rule]->id;
    bool action_rule = !strcmp(id, "GL-009") || !strcmp(id, "GL-011") || !strcmp(id, "GL-012") ||
                       !strcmp(id, "GL-013") || !strcmp(id, "GL-014") || !strcmp(id, "GL-015");
    if (!action_rule && f->credential)
        return f->credential;
    return f->n_evidence ? f->evidence[0] : "";
}

static int collect(struct rule_ctx *c, const struct finding *f)
{
    struct sink *s = c->sink;
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 256;
        struct out_finding *v = realloc(s->v, nc * sizeof *v);
        if (!v)
            return gl_error_set(c->err, GL_ERR_NOMEM, 0, "out of memory");
        s->v = v;
        s->cap = nc;
    }
    struct out_finding *o = &s->v[s->n];
    o->f = *f;
    o->f.workload = keep(s->a, f->workload);
    o->f.task = keep(s->a, f->task);
    o->f.credential = keep(s->a, f->credential);
    o->f.grant = keep(s->a, f->grant);
    for (int i = 0; i < f->n_evidence; i++)
        o->f.evidence[i] = keep(s->a, f->evidence[i]);
    o->key = finding_key(&o->f);
    /* stable across runs: a hash of the rule and its key */
    unsigned char md[32];
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    const char *rid = gl_rules[f->rule]->id;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) &&
             EVP_DigestUpdate(ctx, rid, strlen(rid)) && EVP_DigestUpdate(ctx, "|", 1) &&
             EVP_DigestUpdate(ctx, o->key, strlen(o->key)) && EVP_DigestFinal_ex(ctx, md, NULL);
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return gl_error_set(c->err, GL_ERR_NOMEM, 0, "sha256 failed");
    for (int i = 0; i < 16; i++)
        snprintf(o->id + 2 * i, 3, "%02x", md[i]);
    s->n++;
    return GL_OK;
}

static int cmp_findings(const void *x, const void *y)
{
    const struct out_finding *a = x, *b = y;
    int64_t ta = a->f.has_first ? a->f.first_seen : INT64_MIN;
    int64_t tb = b->f.has_first ? b->f.first_seen : INT64_MIN;
    if (ta != tb)
        return ta < tb ? -1 : 1;
    if (a->f.rule != b->f.rule)
        return a->f.rule - b->f.rule;
    return strcmp(a->key, b->key);
}

struct run {
    struct model *m;
    struct rule_ctx *c;
    struct arena *a;
    bool *enabled;
    struct wl w;
};

static int per_workload(const char *key, size_t len, void *arg)
{
    (void)len;
    struct run *r = arg;
    arena_reset(r->a);
    model_reset_cache(r->m);
    int rc = timeline_build(r->m, key, r->a, &r->w, r->c->err);
    for (size_t i = 0; !rc && gl_rules[i]; i++) {
        if (!r->enabled[i] || !gl_rules[i]->on_workload)
            continue;
        r->c->rule = (int)i;
        rc = gl_rules[i]->on_workload(r->c, &r->w);
    }
    return rc;
}

static int per_credential(const char *key, size_t len, void *arg)
{
    (void)len;
    struct run *r = arg;
    arena_reset(r->a);
    model_reset_cache(r->m);
    struct cred cr = {0};
    int rc = model_load(r->m, GL_IDX_CREDENTIAL, key, r->a, &cr.evs, r->c->err);
    if (!rc)
        model_cred_from_events(&cr.info, key, &cr.evs);
    for (size_t i = 0; !rc && gl_rules[i]; i++) {
        if (!r->enabled[i] || !gl_rules[i]->on_credential)
            continue;
        r->c->rule = (int)i;
        rc = gl_rules[i]->on_credential(r->c, &cr);
    }
    free(cr.evs.v);
    return rc;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void print_json(const struct out_finding *o, const struct controls *ctl)
{
    const struct finding *f = &o->f;
    const struct gl_rule *r = gl_rules[f->rule];
    char t[32];
    printf("{\"finding_id\":\"%s\",\"rule\":\"%s\",\"name\":\"%s\",\"severity\":\"%s\","
           "\"workload\":",
           o->id, r->id, r->name, severity_name(f->severity));
    json_str(stdout, f->workload ? f->workload : "");
    const char *opt[][2] = {{"task", f->task}, {"credential", f->credential}, {"grant", f->grant}};
    for (int i = 0; i < 3; i++) {
        if (!opt[i][1])
            continue;
        printf(",\"%s\":", opt[i][0]);
        json_str(stdout, opt[i][1]);
    }
    if (f->has_first)
        printf(",\"first_seen\":\"%s\"", gl_tstamp_format(f->first_seen, t));
    if (f->has_last)
        printf(",\"last_seen\":\"%s\"", gl_tstamp_format(f->last_seen, t));
    printf(",\"evidence\":[");
    for (int i = 0; i < f->n_evidence; i++) {
        if (i)
            putchar(',');
        json_str(stdout, f->evidence[i]);
    }
    printf("],\"detail\":");
    json_str(stdout, f->detail);
    printf(",\"controls\":[");
    for (size_t k = 0; ctl->ids[f->rule] && ctl->ids[f->rule][k]; k++) {
        if (k)
            putchar(',');
        json_str(stdout, ctl->ids[f->rule][k]);
    }
    printf("]}\n");
}

static void print_text(const struct out_finding *o)
{
    const struct finding *f = &o->f;
    const struct gl_rule *r = gl_rules[f->rule];
    char t[32] = "-";
    if (f->has_first)
        gl_tstamp_format(f->first_seen, t);
    printf("%-8s %-8s %-24s %-27s %s\n         %s\n", r->id, severity_name(f->severity), r->name,
           t, f->workload ? f->workload : "", f->detail);
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: grantline-analyzer findings --store DIR [--store DIR...] [options]\n"
            "Runs the rules (DESIGN.md section 4) over the stores, analyzed as one.\n"
            "  -s, --store DIR        a store (repeatable; events deduplicated by id)\n"
            "      --at TIME          horizon (RFC 3339); default: the latest event\n"
            "      --rule ID          only this rule (GL-001 or unused-grant; repeatable)\n"
            "  -w, --workload W       only findings about W\n"
            "      --min-severity S   info, low, medium, high, critical\n"
            "      --policy FILE      thresholds and severities overriding\n"
            "                         schemas/policy.default.json\n"
            "  -f, --format F         text (default) or json (NDJSON)\n"
            "      --fail-on S        exit 1 when a finding is at or above severity S\n"
            "      --list-rules       print the rule table\n"
            "\nExamples:\n"
            "  grantline-analyzer findings --store ./store\n"
            "  grantline-analyzer findings --store a --store b --format json --fail-on high\n"
            "  grantline-analyzer findings --store ./store --rule GL-010 --at 2026-03-10T00:00:00Z\n");
}

int gl_cmd_findings(int argc, char **argv)
{
    enum { OPT_AT = 256, OPT_RULE, OPT_MINSEV, OPT_POLICY, OPT_FAILON, OPT_LIST };
    static const struct option opts[] = {
        {"store", required_argument, 0, 's'},
        {"at", required_argument, 0, OPT_AT},
        {"rule", required_argument, 0, OPT_RULE},
        {"workload", required_argument, 0, 'w'},
        {"min-severity", required_argument, 0, OPT_MINSEV},
        {"policy", required_argument, 0, OPT_POLICY},
        {"format", required_argument, 0, 'f'},
        {"fail-on", required_argument, 0, OPT_FAILON},
        {"list-rules", no_argument, 0, OPT_LIST},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    const char *dirs[64];
    size_t n_dirs = 0;
    const char *workload = NULL, *policy_path = NULL;
    bool enabled[32] = {0}, any_rule = false, json = false, has_at = false;
    int min_sev = SEV_INFO, fail_on = -1;
    int64_t at = 0;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "s:w:f:h", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if (n_dirs == 64) {
                fprintf(stderr, "grantline-analyzer findings: at most 64 stores\n");
                return GL_EXIT_USAGE;
            }
            dirs[n_dirs++] = optarg;
            break;
        case OPT_AT: {
            const char *why;
            if (gl_tstamp_parse(optarg, strlen(optarg), &at, &why)) {
                fprintf(stderr, "grantline-analyzer findings: --at %s: %s\n", optarg, why);
                return GL_EXIT_USAGE;
            }
            has_at = true;
            break;
        }
        case OPT_RULE: {
            int r = gl_rule_find(optarg);
            if (r < 0) {
                fprintf(stderr, "grantline-analyzer findings: unknown rule %s (--list-rules)\n",
                        optarg);
                return GL_EXIT_USAGE;
            }
            enabled[r] = any_rule = true;
            break;
        }
        case 'w':
            workload = optarg;
            break;
        case OPT_MINSEV:
        case OPT_FAILON: {
            int s = severity_parse(optarg);
            if (s < 0) {
                fprintf(stderr, "grantline-analyzer findings: unknown severity %s\n", optarg);
                return GL_EXIT_USAGE;
            }
            *(ch == OPT_MINSEV ? &min_sev : &fail_on) = s;
            break;
        }
        case OPT_POLICY:
            policy_path = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
                fprintf(stderr, "grantline-analyzer findings: --format must be text or json\n");
                return GL_EXIT_USAGE;
            }
            json = strcmp(optarg, "json") == 0;
            break;
        case OPT_LIST:
            for (size_t i = 0; gl_rules[i]; i++)
                printf("%-7s %-24s %-9s %s\n", gl_rules[i]->id, gl_rules[i]->name,
                       severity_name(gl_rules[i]->default_severity), gl_rules[i]->summary);
            return GL_EXIT_OK;
        case 'h':
            usage(stdout);
            return GL_EXIT_OK;
        default:
            fprintf(stderr, "Try 'grantline-analyzer findings --help'.\n");
            return GL_EXIT_USAGE;
        }
    }
    if (n_dirs == 0 || optind < argc) {
        fprintf(stderr, "grantline-analyzer findings: %s\nTry 'grantline-analyzer findings "
                        "--help'.\n",
                n_dirs ? "unexpected argument" : "--store DIR is required");
        return GL_EXIT_USAGE;
    }
    if (!any_rule)
        for (size_t i = 0; gl_rules[i]; i++)
            enabled[i] = true;

    struct gl_error err = {0};
    struct policy pol;
    struct controls ctl = {0};
    if (policy_load(&pol, policy_path, &err) || controls_load(&ctl, &err)) {
        fprintf(stderr, "grantline-analyzer: %s\n", err.msg);
        controls_free(&ctl);
        return GL_EXIT_USAGE;
    }
    struct gl_store *stores[64] = {0};
    int code = GL_EXIT_OK;
    for (size_t i = 0; i < n_dirs; i++) {
        if (gl_store_open(dirs[i], GL_STORE_RDONLY, 0, &stores[i], &err)) {
            fprintf(stderr, "grantline-analyzer: %s\n", err.msg);
            code = GL_EXIT_STORE;
            goto out;
        }
    }
    struct model m;
    struct sink sink = {.a = arena_new()};
    struct rule_ctx c = {.pol = &pol, .emit = collect, .sink = &sink, .err = &err};
    struct run run = {.m = &m, .c = &c, .a = arena_new(), .enabled = enabled};
    int rc = model_init(&m, stores, n_dirs, at, has_at, &err);
    c.m = &m;
    if (!sink.a || !run.a)
        rc = gl_error_set(&err, GL_ERR_NOMEM, 0, "out of memory");
    for (size_t i = 0; !rc && gl_rules[i]; i++) {
        if (!enabled[i] || !gl_rules[i]->on_store)
            continue;
        c.rule = (int)i;
        for (size_t s = 0; !rc && s < n_dirs; s++)
            rc = gl_rules[i]->on_store(&c, stores[s], dirs[s]);
    }
    if (!rc && workload)
        rc = per_workload(workload, strlen(workload), &run);
    else if (!rc)
        rc = model_keys(&m, GL_IDX_WORKLOAD, per_workload, &run, &err);
    if (!rc)
        rc = model_keys(&m, GL_IDX_CREDENTIAL, per_credential, &run, &err);
    if (rc) {
        fprintf(stderr, "grantline-analyzer: %s\n", err.msg[0] ? err.msg : gl_error_name(rc));
        code = GL_EXIT_STORE;
    } else {
        qsort(sink.v, sink.n, sizeof *sink.v, cmp_findings);
        size_t shown = 0;
        int worst = -1;
        for (size_t i = 0; i < sink.n; i++) {
            const struct out_finding *o = &sink.v[i];
            if ((int)o->f.severity < min_sev)
                continue;
            if (workload && (!o->f.workload || strcmp(o->f.workload, workload) != 0))
                continue;
            shown++;
            if ((int)o->f.severity > worst)
                worst = (int)o->f.severity;
            if (json)
                print_json(o, &ctl);
            else
                print_text(o);
        }
        if (!json) {
            char h[32];
            fprintf(stderr, "%zu findings (horizon %s)\n", shown, gl_tstamp_format(m.horizon, h));
        }
        if (fail_on >= 0 && worst >= fail_on)
            code = GL_EXIT_FINDINGS;
    }
    timeline_free(&run.w);
    arena_free(run.a);
    arena_free(sink.a);
    free(sink.v);
    model_free(&m);
out:
    for (size_t i = 0; i < n_dirs; i++)
        gl_store_close(stores[i]);
    controls_free(&ctl);
    return code;
}
