/* grantline-analyzer: read-only queries over one or more stores. Dispatches
 * to the subcommand table; each subcommand parses its own options. */
#include "cmd.h"

#include "grantline/log.h"
#include "grantline/tstamp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct gl_cmd commands[] = {
    {"stats", "event counts, time range, size and chain head of a store", gl_cmd_stats},
    {"quarantine", "list refused inputs with their reasons", gl_cmd_quarantine},
    {"timeline", "one workload's events with covering grants, credentials and findings",
     gl_cmd_timeline},
    {"state", "what a workload could do at an instant, and what it did that day", gl_cmd_state},
    {"findings", "run the rules GL-001..GL-016: text, json, ocsf, cef; --sink kafka://",
     gl_cmd_findings},
    {"report", "compliance report per control (NIST, OWASP): md, html, json, oscal", gl_cmd_report},
    {"verify", "recompute the hash chain; name the first bad event (GL-015)", gl_cmd_verify},
    {"events", "print stored events as NDJSON (all, or one workload/task/credential)",
     gl_cmd_events},
    {NULL, NULL, NULL},
};

int gl_cmd_stdout_ok(void)
{
    if (fflush(stdout) == 0 && !ferror(stdout))
        return 1;
    fprintf(stderr, "grantline-analyzer: writing the output failed: %s\n", strerror(errno));
    return 0;
}

int gl_store_args_add(struct gl_store_args *a, const char *dir, const char *cmd)
{
    if (a->n_dirs == GL_CMD_MAX_STORES) {
        fprintf(stderr, "grantline-analyzer %s: at most %d stores\n", cmd, GL_CMD_MAX_STORES);
        return GL_EXIT_USAGE;
    }
    a->dirs[a->n_dirs++] = dir;
    return 0;
}

int gl_store_args_at(struct gl_store_args *a, const char *arg, const char *cmd)
{
    const char *why;
    if (gl_tstamp_parse(arg, strlen(arg), &a->at, &why)) {
        fprintf(stderr, "grantline-analyzer %s: --at %s: %s\n", cmd, arg, why);
        return GL_EXIT_USAGE;
    }
    a->has_at = true;
    return 0;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: grantline-analyzer COMMAND --store DIR [options]\n\nCommands:\n");
    for (const struct gl_cmd *c = commands; c->name; c++)
        fprintf(out, "  %-12s %s\n", c->name, c->summary);
    fprintf(out, "\n'grantline-analyzer COMMAND --help' shows a command's options.\n"
                 "Exit codes: 0 ok, 1 findings at or above --fail-on, 2 usage or input error,\n"
                 "3 store or I/O error (verify: 1 when the store does not verify).\n"
                 "\nExamples:\n"
                 "  grantline-analyzer stats --store ./store\n"
                 "  grantline-analyzer quarantine --store ./store --format json\n"
                 "  grantline-analyzer verify --store ./store\n"
                 "  grantline-analyzer findings --store ./store --format ocsf --fail-on high\n"
                 "  grantline-analyzer timeline --store ./store --workload agent:sql-runner\n"
                 "  grantline-analyzer report --store ./store --format html > report.html\n"
                 "  grantline-analyzer events --store ./store --workload agent:support-bot\n");
}

int main(int argc, char **argv)
{
    gl_log_setup(GL_LOG_WARN, 0);
    gl_log_crash_hint("grantline-analyzer");
    if (argc < 2) {
        usage(stderr);
        return GL_EXIT_USAGE;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return GL_EXIT_OK;
    }
    if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
        printf("grantline-analyzer %s\n", GL_VERSION);
        return GL_EXIT_OK;
    }
    for (const struct gl_cmd *c = commands; c->name; c++) {
        if (strcmp(argv[1], c->name) != 0)
            continue;
        int rc = c->run(argc - 1, argv + 1);
        /* output that did not arrive is an I/O error, whatever the command */
        if (!gl_cmd_stdout_ok() && rc != GL_EXIT_STORE)
            rc = GL_EXIT_STORE;
        return rc;
    }
    fprintf(stderr, "grantline-analyzer: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return GL_EXIT_USAGE;
}
