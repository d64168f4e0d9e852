/* 'report': a compliance report over one or more stores (analyzed as one):
 * scope, every control of the selected frameworks with its status and the
 * findings as evidence, a risk summary per workload, and the metrics IAM
 * teams track (docs/report.md). Markdown, one self-contained HTML file, one
 * JSON document, or OSCAL 1.0.6 assessment results. The data is gathered in
 * report_data.c; each format is a writer in report_<format>.c. */
#include "cmd.h"
#include "report.h"

#include "grantline/tstamp.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct rep_format *const formats[] = {
    &rep_format_md, &rep_format_html, &rep_format_json, &rep_format_oscal, NULL,
};

/* --framework names users type, and the catalog prefixes they select. */
static const struct {
    const char *name;
    const char *prefix[4];
} fw_names[] = {
    {"nist-800-53", {"NIST-800-53"}},
    {"csf", {"CSF"}},
    {"ai-rmf", {"AI-RMF"}},
    {"sp800-63b", {"SP800-63B"}},
    {"owasp-nhi", {"OWASP-NHI"}},
    {"owasp-agentic", {"OWASP-ASI"}},
    {"owasp-llm", {"OWASP-LLM"}},
    {"nist", {"NIST-800-53", "CSF", "AI-RMF", "SP800-63B"}},
    {"owasp", {"OWASP-NHI", "OWASP-ASI", "OWASP-LLM"}},
};

static void usage(FILE *out)
{
    fprintf(out,
            "usage: grantline-analyzer report --store DIR [--store DIR...] [options]\n"
            "Runs every rule over the stores (analyzed as one) and writes a compliance\n"
            "report to stdout: scope, each control of the selected frameworks with its\n"
            "status (findings / no findings / not assessed) and the findings as evidence,\n"
            "a risk summary per workload, and metrics (privilege utilisation, remediation\n"
            "lag, credential ages, bound actions, task-scoped access). docs/report.md\n"
            "explains every figure.\n"
            "  -s, --store DIR        a store (repeatable; events deduplicated by id)\n"
            "      --at TIME          horizon (RFC 3339); default: the latest event\n"
            "  -f, --format F         md (default), html (one self-contained file),\n"
            "                         json (one document) or oscal (OSCAL 1.0.6\n"
            "                         assessment results)\n"
            "      --framework F      nist-800-53, csf, ai-rmf, sp800-63b, owasp-nhi,\n"
            "                         owasp-agentic, owasp-llm, nist, owasp or all (default);\n"
            "                         repeatable or comma-separated\n"
            "      --policy FILE      thresholds and severities overriding\n"
            "                         schemas/policy.default.json\n"
            "      --suppressions FILE  findings hidden by reviewed exceptions are counted\n"
            "                         as suppressed, not as evidence\n"
            "      --evidence N       findings listed per control, most severe first\n"
            "                         (default 25, oscal: 0 = all, one observation each)\n"
            "      --title TEXT       report title\n"
            "      --fail-on S        exit 1 when a finding is at or above severity S\n"
            "\nExamples:\n"
            "  grantline-analyzer report --store ./store > report.md\n"
            "  grantline-analyzer report --store a --store b --format html > report.html\n"
            "  grantline-analyzer report --store ./store --format oscal "
            "--framework nist-800-53 > ar.json\n");
}

/* Adds the catalog prefixes of one --framework value (comma-separated
 * names, or catalog prefixes, which report_init checks). "all" selects
 * nothing here: no selection means every framework. */
static void add_frameworks(char *arg, const char **sel, size_t *n, size_t cap, bool *all)
{
    for (char *save = NULL, *tok = strtok_r(arg, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (strcasecmp(tok, "all") == 0) {
            *all = true;
            continue;
        }
        bool found = false;
        for (size_t i = 0; i < sizeof fw_names / sizeof fw_names[0] && !found; i++) {
            if (strcasecmp(tok, fw_names[i].name) != 0)
                continue;
            found = true;
            for (size_t k = 0; k < 4 && fw_names[i].prefix[k] && *n < cap; k++)
                sel[(*n)++] = fw_names[i].prefix[k];
        }
        /* a catalog prefix as written in controls.json ("OWASP-ASI") */
        if (!found && *n < cap) {
            for (char *p = tok; *p; p++)
                if (*p >= 'a' && *p <= 'z')
                    *p = (char)(*p - 'a' + 'A');
            sel[(*n)++] = tok;
        }
    }
}

/* Drops repeated prefixes (so "nist,nist-800-53" is not an error). */
static size_t dedup(const char **sel, size_t n)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t k = 0; k < o && !seen; k++)
            seen = strcmp(sel[k], sel[i]) == 0;
        if (!seen)
            sel[o++] = sel[i];
    }
    return o;
}

static int64_t report_time(void)
{
    /* reproducible builds convention: fixed output for the same inputs */
    const char *s = getenv("SOURCE_DATE_EPOCH");
    if (s && *s) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (!*end && v >= 0 && v < 253402300800LL)
            return (int64_t)v * 1000000;
    }
    return gl_tstamp_now();
}

int gl_cmd_report(int argc, char **argv)
{
    enum {
        OPT_AT = 256,
        OPT_FW,
        OPT_POLICY,
        OPT_SUPP,
        OPT_EVIDENCE,
        OPT_TITLE,
        OPT_FAILON
    };
    static const struct option opts[] = {
        {"store", required_argument, 0, 's'},
        {"at", required_argument, 0, OPT_AT},
        {"format", required_argument, 0, 'f'},
        {"framework", required_argument, 0, OPT_FW},
        {"policy", required_argument, 0, OPT_POLICY},
        {"suppressions", required_argument, 0, OPT_SUPP},
        {"evidence", required_argument, 0, OPT_EVIDENCE},
        {"title", required_argument, 0, OPT_TITLE},
        {"fail-on", required_argument, 0, OPT_FAILON},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct gl_store_args sa = {0};
    const char *fw_sel[64];
    size_t n_fw = 0;
    bool fw_all = false;
    const char *policy_path = NULL, *supp_path = NULL, *title = NULL;
    const struct rep_format *fmt = &rep_format_md;
    size_t max_evidence = 25;
    bool evidence_set = false;
    int fail_on = -1;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "s:f:h", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if (gl_store_args_add(&sa, optarg, "report"))
                return GL_EXIT_USAGE;
            break;
        case OPT_AT:
            if (gl_store_args_at(&sa, optarg, "report"))
                return GL_EXIT_USAGE;
            break;
        case 'f':
            fmt = NULL;
            for (size_t i = 0; formats[i] && !fmt; i++)
                if (strcmp(formats[i]->name, optarg) == 0)
                    fmt = formats[i];
            if (!fmt) {
                fprintf(stderr, "grantline-analyzer report: --format must be one of:");
                for (size_t i = 0; formats[i]; i++)
                    fprintf(stderr, " %s", formats[i]->name);
                fputc('\n', stderr);
                return GL_EXIT_USAGE;
            }
            break;
        case OPT_FW:
            add_frameworks(optarg, fw_sel, &n_fw, sizeof fw_sel / sizeof fw_sel[0], &fw_all);
            break;
        case OPT_POLICY:
            policy_path = optarg;
            break;
        case OPT_SUPP:
            supp_path = optarg;
            break;
        case OPT_EVIDENCE: {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || end == optarg || v < 0 || v > 1000000) {
                fprintf(stderr, "grantline-analyzer report: --evidence wants 0..1000000\n");
                return GL_EXIT_USAGE;
            }
            max_evidence = (size_t)v;
            evidence_set = true;
            break;
        }
        case OPT_TITLE:
            title = optarg;
            break;
        case OPT_FAILON:
            fail_on = severity_parse(optarg);
            if (fail_on < 0) {
                fprintf(stderr, "grantline-analyzer report: unknown severity %s\n", optarg);
                return GL_EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return GL_EXIT_OK;
        default:
            fprintf(stderr, "Try 'grantline-analyzer report --help'.\n");
            return GL_EXIT_USAGE;
        }
    }
    if (sa.n_dirs == 0 || optind < argc) {
        fprintf(stderr, "grantline-analyzer report: %s\nTry 'grantline-analyzer report --help'.\n",
                sa.n_dirs ? "unexpected argument" : "--store DIR is required");
        return GL_EXIT_USAGE;
    }
    n_fw = dedup(fw_sel, n_fw);
    /* OSCAL is evidence for tools: one observation per finding unless the
     * user bounds it; the readable formats list the most severe ones */
    if (fmt == &rep_format_oscal && !evidence_set)
        max_evidence = 0;

    struct gl_error err = {0};
    struct policy pol;
    struct controls ctl = {0};
    struct suppressions supp = {0};
    struct report rep = {0};
    struct gl_store *stores[64] = {0};
    /* all zeroed so the one cleanup path is safe whichever step failed */
    struct model m = {0};
    struct engine eng = {0};
    int code = GL_EXIT_OK;
    bool all_rules[32];
    for (size_t i = 0; i < 32; i++)
        all_rules[i] = i < gl_rule_count();
    const char *const *sel = !fw_all && n_fw ? fw_sel : NULL;
    if (policy_load(&pol, policy_path, &err) || controls_load(&ctl, &err) ||
        (supp_path && suppressions_load(&supp, supp_path, &err)) ||
        report_init(&rep, &ctl, sel, sel ? n_fw : 0, &err)) {
        fprintf(stderr, "grantline-analyzer report: %s\n", err.msg);
        if (strstr(err.msg, "framework "))
            fprintf(stderr, "--framework names: nist-800-53, csf, ai-rmf, sp800-63b, owasp-nhi, "
                            "owasp-agentic, owasp-llm, nist, owasp, all\n");
        code = GL_EXIT_USAGE;
        goto out;
    }
    if (fmt == &rep_format_oscal) {
        bool nist = false;
        for (size_t i = 0; i < rep.n_controls && !nist; i++)
            nist = rep.controls[i].rules && strncmp(rep.controls[i].id, "NIST-800-53:", 12) == 0;
        if (!nist) {
            fprintf(stderr, "grantline-analyzer report: --format oscal lists NIST SP 800-53 "
                            "controls; select --framework nist-800-53 (or all)\n");
            code = GL_EXIT_USAGE;
            goto out;
        }
    }
    rep.pol = &pol;
    rep.supp = &supp;
    rep.policy_path = policy_path;
    rep.supp_path = supp_path;
    rep.max_evidence = max_evidence;
    rep.has_at = sa.has_at;
    rep.generated = report_time();
    rep.title = title;

    for (size_t i = 0; i < sa.n_dirs; i++) {
        if (gl_store_open(sa.dirs[i], GL_STORE_RDONLY, 0, &stores[i], &err)) {
            fprintf(stderr, "grantline-analyzer report: %s\n", err.msg);
            code = GL_EXIT_STORE;
            goto out;
        }
    }
    model_warn_mixed_keys(stores, (const char *const *)sa.dirs, sa.n_dirs);
    int rc = model_init(&m, stores, sa.n_dirs, sa.at, sa.has_at, &err);
    if (!rc)
        rc = engine_init(&eng, &m, &pol, all_rules, &err);
    if (!rc)
        rc = report_run(&rep, &eng, stores, sa.dirs, sa.n_dirs);
    if (rc) {
        fprintf(stderr, "grantline-analyzer report: %s\n",
                err.msg[0] ? err.msg : gl_error_name(rc));
        code = GL_EXIT_STORE;
        goto out;
    }
    report_finish(&rep);
    if (!rep.events)
        fprintf(stderr, "grantline-analyzer report: no event was analysed (an empty store, or "
                        "only quarantined input): every control is \"not assessed\"\n");
    fmt->write(stdout, &rep);
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "grantline-analyzer report: writing the report failed\n");
        code = GL_EXIT_STORE;
    } else if (fail_on >= 0 && rep_worst(rep.sev) >= fail_on) {
        code = GL_EXIT_FINDINGS;
    }
out:
    engine_free(&eng);
    model_free(&m);
    for (size_t i = 0; i < sa.n_dirs; i++)
        gl_store_close(stores[i]);
    report_free(&rep);
    controls_free(&ctl);
    suppressions_free(&supp);
    return code;
}
