/* 'findings': runs the rule table over one or more stores (analyzed as one)
 * and prints the findings as aligned text or NDJSON (DESIGN.md §4, §5). */
#include "cmd.h"
#include "engine.h"
#include "notify_state.h"
#include "output.h"
#include "sink_kafka.h"
#include "rules.h"

#include "grantline/buf.h"
#include "grantline/kvconf.h"
#include "grantline/tstamp.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
            "  -f, --format F         text (default), json (NDJSON), ocsf (OCSF 1.8.0\n"
            "                         Detection Finding, NDJSON) or cef (CEF:0 lines)\n"
            "      --syslog           cef: frame each line as RFC 5424 syslog\n"
            "  -j, --jobs N           analysis threads (default: the CPUs, at most 8);\n"
            "                         the output does not depend on it\n"
            "      --sink kafka://HOST:PORT[,HOST:PORT]/TOPIC\n"
            "                         publish each finding (keyed by workload) instead of\n"
            "                         printing; waits for delivery, exit 3 if any failed\n"
            "  -X KEY=VALUE           librdkafka setting for the sink (SASL, TLS, ...)\n"
            "  -F, --kafka-config FILE  the sink's librdkafka settings, key=value per line (a\n"
            "                         SASL password off the command line); -X overrides\n"
            "      --new-only         emit only findings not emitted before, and once more as\n"
            "                         resolved those that went away (needs --state)\n"
            "      --state FILE       what was emitted so far (rewritten after delivery)\n"
            "      --fail-on S        exit 1 when a finding is at or above severity S\n"
            "      --suppressions FILE  hide findings matched by reviewed, owned, expiring\n"
            "                         exceptions: {\"suppressions\": [{\"rule\", \"workload\"?,\n"
            "                         \"credential\"?, \"grant\"? (globs), \"reason\", \"owner\",\n"
            "                         \"expires\": \"YYYY-MM-DD\"}]}; expired ones warn and hide nothing\n"
            "      --show-suppressed  list suppressed findings too, with their suppression\n"
            "      --list-rules       print the rule table\n"
            "\nExamples:\n"
            "  grantline-analyzer findings --store ./store\n"
            "  grantline-analyzer findings --store a --store b --format json --fail-on high\n"
            "  grantline-analyzer findings --store ./store --rule GL-010 --at 2026-03-10T00:00:00Z\n"
            "  grantline-analyzer findings --store ./store --format ocsf --new-only \\\n"
            "      --state /var/lib/grantline/siem.state --sink kafka://kafka:9092/nhi-findings\n");
}

struct printer {
    struct out_ctx out;
    const struct gl_output *fmt;
    const struct suppressions *supp;
    const char *workload;
    const bool *enabled;
    int min_sev;
    bool show_suppressed;
    int64_t now;
    size_t shown, hidden, skipped_known, resolved;
    int worst;
    struct kafka_sink *sink;     /* NULL: stdout */
    struct notify_state *state;  /* --new-only, else NULL */
    FILE *new_lines;             /* json lines of newly emitted findings, for the state */
    struct gl_error *err;
};

/* Writes one finding to stdout or the Kafka sink (one message each). */
static int emit(struct printer *p, const struct out_finding *o, const struct suppression *x)
{
    if (!p->sink) {
        p->fmt->write(&p->out, o, x);
        return GL_OK;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    if (!mem)
        return gl_error_set(p->err, GL_ERR_NOMEM, 0, "out of memory");
    FILE *saved = p->out.f;
    p->out.f = mem;
    p->fmt->write(&p->out, o, x);
    p->out.f = saved;
    fclose(mem);
    while (len && buf[len - 1] == '\n')
        len--;
    int rc = kafka_sink_send(p->sink, o->f.workload, buf, len, p->err);
    free(buf);
    return rc;
}

/* Records a newly emitted finding in the next state (json format). */
static void remember(struct printer *p, const struct out_finding *o)
{
    const struct gl_output *json = gl_output_find("json");
    FILE *saved = p->out.f;
    p->out.f = p->new_lines;
    json->write(&p->out, o, NULL);
    p->out.f = saved;
}

static bool selected(const struct printer *p, const struct finding *f)
{
    return p->enabled[f->rule] && (int)f->severity >= p->min_sev &&
           (!p->workload || (f->workload && strcmp(f->workload, p->workload) == 0));
}

/* Prints the findings of one workload or credential as they are found. */
static int print_batch(struct engine *e, void *arg)
{
    struct printer *p = arg;
    for (size_t i = 0; i < e->sink.n; i++) {
        const struct out_finding *o = &e->sink.v[i];
        if (!selected(p, &o->f))
            continue;
        const struct suppression *x = suppressions_match(p->supp, &o->f, p->now);
        if (x) {
            p->hidden++;
            if (!p->show_suppressed)
                continue;
        } else {
            if ((int)o->f.severity > p->worst)
                p->worst = (int)o->f.severity;
        }
        if (p->state) {
            struct notify_entry *known = notify_state_find(p->state, o->id);
            if (known) {
                known->seen = true;
                p->skipped_known++;
                continue;
            }
            remember(p, o);
        }
        if (!x)
            p->shown++;
        int rc = emit(p, o, x);
        if (rc)
            return rc;
    }
    return GL_OK;
}

/* --new-only: findings emitted before and not found now are emitted once
 * more as resolved, then forgotten. Only those this run looked for count:
 * a --rule or --workload filter leaves the others alone. */
static int emit_resolved(struct printer *p)
{
    for (size_t i = 0; i < p->state->n; i++) {
        struct notify_entry *en = &p->state->v[i];
        if (en->seen)
            continue;
        struct out_finding o;
        int rc = notify_state_finding(p->state, en, &o, p->err);
        if (rc)
            return rc;
        if (!selected(p, &o.f)) {
            en->seen = true; /* outside this run: keep it */
            continue;
        }
        p->out.resolved = true;
        rc = emit(p, &o, NULL);
        p->out.resolved = false;
        if (rc)
            return rc;
        p->resolved++;
    }
    return GL_OK;
}

/* The next state: what is still open plus what was new, written atomically. */
static int save_state(struct printer *p, const char *path, const char *new_lines, size_t len)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    /* findings describe credentials and grants: readable by the owner only */
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        if (fd >= 0)
            close(fd);
        return gl_error_set(p->err, GL_ERR_IO, errno, "state %s: %s", tmp, strerror(errno));
    }
    for (size_t i = 0; i < p->state->n; i++)
        if (p->state->v[i].seen)
            fprintf(f, "%s\n", p->state->v[i].line);
    fwrite(new_lines, 1, len, f);
    int bad = ferror(f) | fflush(f) | fsync(fileno(f));
    bad |= fclose(f);
    if (bad || rename(tmp, path) != 0)
        return gl_error_set(p->err, GL_ERR_IO, errno, "state %s: %s", path, strerror(errno));
    return GL_OK;
}

int gl_cmd_findings(int argc, char **argv)
{
    enum { OPT_AT = 256, OPT_RULE, OPT_MINSEV, OPT_POLICY, OPT_FAILON, OPT_LIST, OPT_SUPP,
           OPT_SHOWSUPP, OPT_SYSLOG, OPT_SINK, OPT_NEWONLY, OPT_STATE };
    const char *kafka_conf = NULL;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    int jobs = ncpu < 1 ? 1 : ncpu > 8 ? 8 : (int)ncpu;
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
        {"suppressions", required_argument, 0, OPT_SUPP},
        {"show-suppressed", no_argument, 0, OPT_SHOWSUPP},
        {"syslog", no_argument, 0, OPT_SYSLOG},
        {"sink", required_argument, 0, OPT_SINK},
        {"new-only", no_argument, 0, OPT_NEWONLY},
        {"state", required_argument, 0, OPT_STATE},
        {"kafka-config", required_argument, 0, 'F'},
        {"jobs", required_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    struct gl_store_args sa = {0};
    const char *workload = NULL, *policy_path = NULL, *supp_path = NULL;
    bool show_suppressed = false, syslog = false, new_only = false;
    const char *sink_url = NULL, *state_path = NULL;
    const char *props[64];
    size_t n_props = 0;
    const struct gl_output *fmt = gl_output_find("text");
    bool enabled[32] = {0}, any_rule = false, json = false;
    int min_sev = SEV_INFO, fail_on = -1;
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "s:w:f:hX:F:j:", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            if (gl_store_args_add(&sa, optarg, "findings"))
                return GL_EXIT_USAGE;
            break;
        case OPT_AT:
            if (gl_store_args_at(&sa, optarg, "findings"))
                return GL_EXIT_USAGE;
            break;
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
        case OPT_SUPP:
            supp_path = optarg;
            break;
        case OPT_SHOWSUPP:
            show_suppressed = true;
            break;
        case 'f':
            fmt = gl_output_find(optarg);
            if (!fmt) {
                fprintf(stderr, "grantline-analyzer findings: --format must be one of:");
                for (size_t i = 0; gl_outputs[i]; i++)
                    fprintf(stderr, " %s", gl_outputs[i]->name);
                fputc('\n', stderr);
                return GL_EXIT_USAGE;
            }
            json = strcmp(fmt->name, "text") != 0;
            break;
        case OPT_SYSLOG:
            syslog = true;
            break;
        case OPT_SINK:
            sink_url = optarg;
            break;
        case OPT_NEWONLY:
            new_only = true;
            break;
        case OPT_STATE:
            state_path = optarg;
            break;
        case 'j': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 8) {
                fprintf(stderr, "grantline-analyzer findings: --jobs must be 1 to 8\n");
                return GL_EXIT_USAGE;
            }
            jobs = (int)v;
            break;
        }
        case 'F':
            kafka_conf = optarg;
            break;
        case 'X':
            if (n_props == 64) {
                fprintf(stderr, "grantline-analyzer findings: at most 64 -X settings\n");
                return GL_EXIT_USAGE;
            }
            props[n_props++] = optarg;
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
    if (sa.n_dirs == 0 || optind < argc) {
        fprintf(stderr, "grantline-analyzer findings: %s\nTry 'grantline-analyzer findings "
                        "--help'.\n",
                sa.n_dirs ? "unexpected argument" : "--store DIR is required");
        return GL_EXIT_USAGE;
    }
    if (new_only && !state_path) {
        fprintf(stderr, "grantline-analyzer findings: --new-only needs --state FILE\n");
        return GL_EXIT_USAGE;
    }
    if ((kafka_conf || n_props) && !sink_url) {
        fprintf(stderr, "grantline-analyzer findings: -X and --kafka-config set the --sink's "
                        "client: give --sink\n");
        return GL_EXIT_USAGE;
    }
    if (sink_url && !json)
        fmt = gl_output_find("json"); /* text is for terminals; a topic gets NDJSON */
    if (!any_rule)
        for (size_t i = 0; gl_rules[i]; i++)
            enabled[i] = true;

    struct gl_error err = {0};
    /* the sink's settings: the file's first, so -X overrides them */
    struct gl_kvconf *kvc = NULL;
    const char **sink_props = props;
    size_t n_sink_props = n_props;
    if (kafka_conf) {
        if (gl_kvconf_load_with(kafka_conf, props, n_props, &kvc, &err)) {
            fprintf(stderr, "grantline-analyzer findings: --kafka-config %s\n", err.msg);
            return GL_EXIT_USAGE;
        }
        if (kvc->others_can_read)
            fprintf(stderr, "grantline-analyzer: warning: --kafka-config %s is readable by its "
                            "group or others; if it holds a password, chmod 600 it\n",
                    kafka_conf);
        sink_props = (const char **)kvc->items;
        n_sink_props = kvc->n;
    }
    struct policy pol;
    struct controls ctl = {0};
    struct suppressions supp = {0};
    if (policy_load(&pol, policy_path, &err) || controls_load(&ctl, &err) ||
        (supp_path && suppressions_load(&supp, supp_path, &err))) {
        fprintf(stderr, "grantline-analyzer: %s\n", err.msg);
        controls_free(&ctl);
        gl_kvconf_free(kvc);
        return GL_EXIT_USAGE;
    }
    int64_t now = gl_tstamp_now();
    for (size_t i = 0; i < supp.n; i++)
        if (now > supp.v[i].expires_us)
            fprintf(stderr,
                    "grantline-analyzer: warning: suppression %zu (%s, owner %s: %s) expired on "
                    "%s and no longer hides anything\n",
                    i + 1, supp.v[i].rule, supp.v[i].owner, supp.v[i].reason, supp.v[i].expires);
    struct gl_store *stores[64] = {0};
    int code = GL_EXIT_OK;
    /* the sink first: a refused setting is a usage error, found before any
     * analysis (and it never gets to see a finding) */
    struct kafka_sink *sink = NULL;
    if (sink_url && kafka_sink_open(sink_url, sink_props, n_sink_props, &sink, &err)) {
        fprintf(stderr, "grantline-analyzer: %s\n", err.msg);
        code = err.code == GL_ERR_INVALID ? GL_EXIT_USAGE : GL_EXIT_STORE;
        goto out;
    }
    for (size_t i = 0; i < sa.n_dirs; i++) {
        if (gl_store_open(sa.dirs[i], GL_STORE_RDONLY, 0, &stores[i], &err)) {
            fprintf(stderr, "grantline-analyzer: %s\n", err.msg);
            code = GL_EXIT_STORE;
            goto out;
        }
    }
    model_warn_mixed_keys(stores, (const char *const *)sa.dirs, sa.n_dirs);
    struct model m;
    struct engine eng;
    memset(&eng, 0, sizeof eng); /* freed on every path, even if init fails */
    struct notify_state state = {0};
    char *new_buf = NULL;
    size_t new_len = 0;
    struct printer pr = {.out = {.f = stdout, .ctl = &ctl, .syslog = syslog},
                         .fmt = fmt,
                         .supp = &supp,
                         .workload = workload,
                         .enabled = enabled,
                         .err = &err,
                         .min_sev = min_sev,
                         .show_suppressed = show_suppressed,
                         .now = now,
                         .worst = -1,
                         .sink = sink};
    sink = NULL; /* the printer's now */
    gethostname(pr.out.host, sizeof pr.out.host - 1);
    int rc = model_init(&m, stores, sa.n_dirs, sa.at, sa.has_at, &err);
    if (!rc)
        rc = engine_init(&eng, &m, &pol, enabled, &err);
    if (!rc && new_only) {
        rc = notify_state_load(&state, state_path, &err);
        pr.state = &state;
        pr.new_lines = open_memstream(&new_buf, &new_len);
        if (!rc && !pr.new_lines)
            rc = gl_error_set(&err, GL_ERR_NOMEM, 0, "out of memory");
    }
    eng.flush = print_batch;
    eng.flush_arg = &pr;
    /* output streams workload by workload (then credential by credential
     * when only some workloads are asked for), memory bounded by one of
     * them; the store checks rehash every event on a second thread
     * meanwhile and report last */
    if (!rc)
        rc = engine_stores_start(&eng, stores, sa.dirs, sa.n_dirs);
    bool wl_rules = false, cred_rules = false;
    for (size_t i = 0; gl_rules[i]; i++) {
        wl_rules |= enabled[i] && gl_rules[i]->on_workload;
        cred_rules |= enabled[i] && gl_rules[i]->on_credential;
    }
    if (!rc && (wl_rules || cred_rules) && workload) {
        /* one workload: the credentials it names are all its findings can
         * be about, no pass over every credential of the store */
        eng.merge_creds = cred_rules;
        eng.creds_named = true;
        rc = engine_workload(&eng, workload);
        cred_rules = false;
    } else if (!rc && (wl_rules || cred_rules)) {
        /* every workload: each credential goes with the workload owning it */
        eng.merge_creds = cred_rules;
        char **keys;
        size_t n_keys;
        rc = model_key_list(&m, GL_IDX_WORKLOAD, &keys, &n_keys, &err);
        if (!rc)
            rc = engine_workloads(&eng, keys, n_keys, jobs);
        model_key_list_free(keys, n_keys);
        cred_rules = false;
    }
    if (!rc && cred_rules)
        rc = model_keys(&m, GL_IDX_CREDENTIAL, engine_credential_cb, &eng, &err);
    if (!rc)
        rc = engine_stores_finish(&eng);
    if (!rc && new_only)
        rc = emit_resolved(&pr);
    if (pr.sink) {
        /* delivery decides whether the state may move on */
        uint64_t delivered = 0, failed = 0;
        struct gl_error kerr = {0};
        int krc = kafka_sink_close(pr.sink, 60000, &delivered, &failed, &kerr);
        pr.sink = NULL;
        if (!rc && krc) {
            rc = krc;
            err = kerr;
        }
        fprintf(stderr, "grantline-analyzer: %llu findings delivered to %s\n",
                (unsigned long long)delivered, sink_url);
    }
    /* findings printed to a full disk or a closed pipe were not emitted */
    if (!rc && !pr.sink && !gl_cmd_stdout_ok())
        rc = gl_error_set(&err, GL_ERR_IO, errno, "output not written; state not updated");
    if (new_only && pr.new_lines) {
        fclose(pr.new_lines);
        pr.new_lines = NULL;
        if (!rc)
            rc = save_state(&pr, state_path, new_buf ? new_buf : "", new_len);
        fprintf(stderr,
                "grantline-analyzer: --new-only: %zu new, %zu already emitted, %zu resolved\n",
                pr.shown, pr.skipped_known, pr.resolved);
    }
    if (rc) {
        fprintf(stderr, "grantline-analyzer: %s\n", err.msg[0] ? err.msg : gl_error_name(rc));
        code = GL_EXIT_STORE;
    } else {
        if (!json) {
            char h[32] = "none: no events";
            if (m.horizon != INT64_MIN)
                gl_tstamp_format(m.horizon, h);
            fprintf(stderr, "%zu findings, %zu suppressed (horizon %s)\n", pr.shown, pr.hidden,
                    h);
        }
        if (fail_on >= 0 && pr.worst >= fail_on)
            code = GL_EXIT_FINDINGS;
    }
    if (pr.new_lines)
        fclose(pr.new_lines);
    free(new_buf);
    if (pr.sink)
        kafka_sink_close(pr.sink, 0, NULL, NULL, NULL);
    notify_state_free(&state);
    engine_free(&eng);
    model_free(&m);
    out_ctx_free(&pr.out);
out:
    if (sink) /* a store did not open */
        kafka_sink_close(sink, 0, NULL, NULL, NULL);
    for (size_t i = 0; i < sa.n_dirs; i++)
        gl_store_close(stores[i]);
    gl_kvconf_free(kvc);
    controls_free(&ctl);
    suppressions_free(&supp);
    return code;
}
