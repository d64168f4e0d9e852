/* Store-level subcommands: stats, quarantine, verify, events. All open the
 * store read-only. */
#include "cmd.h"

#include "grantline/buf.h"
#include "grantline/event.h"
#include "grantline/store.h"
#include "grantline/textout.h"
#include "grantline/tstamp.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct common {
    const char *store;
    int json;
    const char *workload, *task, *credential;
};

/* Parses --store, --format and the filters a command accepts ('allow' lists
 * the long options beyond --store and --help). Returns -1 to continue. */
static int parse_common(int argc, char **argv, const char *name, const char *help,
                        const char *formats, struct common *c)
{
    static const struct option opts[] = {
        {"store", required_argument, 0, 's'},    {"format", required_argument, 0, 'f'},
        {"workload", required_argument, 0, 'w'}, {"task", required_argument, 0, 't'},
        {"credential", required_argument, 0, 'c'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    memset(c, 0, sizeof *c);
    optind = 1;
    int ch;
    while ((ch = getopt_long(argc, argv, "s:f:w:t:c:h", opts, NULL)) != -1) {
        switch (ch) {
        case 's':
            /* one store per run: a second one would be ignored, and
             * "verified" must never speak for a store it did not read */
            if (c->store) {
                fprintf(stderr,
                        "grantline-analyzer %s: one --store only (run it once per store)\n",
                        name);
                return GL_EXIT_USAGE;
            }
            c->store = optarg;
            break;
        case 'f':
            if (!strstr(formats, optarg) || strchr(optarg, '|')) {
                fprintf(stderr, "grantline-analyzer %s: --format must be one of %s\n", name,
                        formats);
                return GL_EXIT_USAGE;
            }
            c->json = strcmp(optarg, "json") == 0;
            break;
        case 'w':
            c->workload = optarg;
            break;
        case 't':
            c->task = optarg;
            break;
        case 'c':
            c->credential = optarg;
            break;
        case 'h':
            printf("%s", help);
            return GL_EXIT_OK;
        default:
            fprintf(stderr, "Try 'grantline-analyzer %s --help'.\n", name);
            return GL_EXIT_USAGE;
        }
    }
    if (!!c->workload + !!c->task + !!c->credential > 1) {
        fprintf(stderr,
                "grantline-analyzer %s: give one of --workload, --task and --credential\n"
                "Try 'grantline-analyzer %s --help'.\n",
                name, name);
        return GL_EXIT_USAGE;
    }
    if (!c->store || optind < argc) {
        fprintf(stderr, "grantline-analyzer %s: %s\nTry 'grantline-analyzer %s --help'.\n", name,
                c->store ? "unexpected argument" : "--store DIR is required", name);
        return GL_EXIT_USAGE;
    }
    return -1;
}

static struct gl_store *open_ro(const char *dir)
{
    struct gl_store *st = NULL;
    struct gl_error err = {0};
    if (gl_store_open(dir, GL_STORE_RDONLY, 0, &st, &err)) {
        fprintf(stderr, "grantline-analyzer: %s\n", err.msg);
        return NULL;
    }
    return st;
}

static void hex(const unsigned char *p, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf(out + 2 * i, "%02x", p[i]);
}

/* --- stats --- */

int gl_cmd_stats(int argc, char **argv)
{
    struct common c;
    int rc = parse_common(argc, argv, "stats",
                          "usage: grantline-analyzer stats --store DIR [--format text|json]\n"
                          "Event count and counts per type, distinct workloads, tasks and\n"
                          "credentials, quarantined inputs, first and last event time, store\n"
                          "size and the hash chain head (publish it to anchor the audit trail).\n",
                          "text|json", &c);
    if (rc >= 0)
        return rc;
    struct gl_store *st = open_ro(c.store);
    if (!st)
        return GL_EXIT_STORE;
    struct gl_store_stats s;
    struct gl_error err = {0};
    if (gl_store_stats(st, &s, &err)) {
        fprintf(stderr, "grantline-analyzer: %s\n", err.msg);
        gl_store_close(st);
        return GL_EXIT_STORE;
    }
    char first[32] = "", last[32] = "", created[32], head[2 * GL_STORE_HASH_LEN + 1];
    if (s.events) {
        gl_tstamp_format(s.first_ts, first);
        gl_tstamp_format(s.last_ts, last);
    }
    gl_tstamp_format(s.created, created);
    hex(s.chain_head, GL_STORE_HASH_LEN, head);
    char id[2 * GL_STORE_ID_LEN + 1];
    bool has_id = gl_store_id(st, id); /* stores from before ids have none until collected into */
    if (c.json) {
        printf("{\"store\":");
        gl_json_write_str(stdout, c.store, strlen(c.store)); /* a path may hold quotes */
        printf(",\"created\":\"%s\",", created);
        printf(has_id ? "\"store_id\":\"%s\"," : "\"store_id\":null,", id);
        printf("\"events\":%llu,\"types\":{", (unsigned long long)s.events);
        for (int i = 0; i < GL_EV__COUNT; i++)
            printf("%s\"%s\":%llu", i ? "," : "", gl_event_type_name((enum gl_event_type)i),
                   (unsigned long long)s.per_type[i]);
        printf("},\"workloads\":%llu,\"tasks\":%llu,\"credentials\":%llu,"
               "\"duplicates\":%llu,\"quarantined\":%llu,",
               (unsigned long long)s.workloads, (unsigned long long)s.tasks,
               (unsigned long long)s.credentials, (unsigned long long)s.duplicates,
               (unsigned long long)s.quarantined);
        if (s.events)
            printf("\"first_event\":\"%s\",\"last_event\":\"%s\",", first, last);
        else
            printf("\"first_event\":null,\"last_event\":null,");
        printf("\"size_bytes\":%llu,\"map_bytes\":%llu,\"last_seq\":%llu,\"chain_head\":\"%s\"}\n",
               (unsigned long long)s.size_bytes, (unsigned long long)s.map_bytes,
               (unsigned long long)s.last_seq, head);
    } else {
        printf("store          %s\n", c.store);
        printf("created        %s\n", created);
        printf("store id       %s\n", has_id ? id : "- (a store from before ids)");
        printf("events         %llu\n", (unsigned long long)s.events);
        for (int i = 0; i < GL_EV__COUNT; i++)
            printf("  %-24s %llu\n", gl_event_type_name((enum gl_event_type)i),
                   (unsigned long long)s.per_type[i]);
        printf("workloads      %llu\n", (unsigned long long)s.workloads);
        printf("tasks          %llu\n", (unsigned long long)s.tasks);
        printf("credentials    %llu\n", (unsigned long long)s.credentials);
        printf("duplicates     %llu (events whose id was stored already: inputs read again, or\n"
               "               an exposure or record event derived again; not stored twice)\n",
               (unsigned long long)s.duplicates);
        printf("quarantined    %llu\n", (unsigned long long)s.quarantined);
        printf("first event    %s\n", s.events ? first : "-");
        printf("last event     %s\n", s.events ? last : "-");
        printf("size           %.1f MiB used of a %.1f MiB map\n", (double)s.size_bytes / 1048576,
               (double)s.map_bytes / 1048576);
        printf("chain head     %s (seq %llu)\n", head, (unsigned long long)s.last_seq);
    }
    gl_store_close(st);
    return GL_EXIT_OK;
}

/* --- quarantine --- */

static void json_string(FILE *f, const char *s, size_t n)
{
    gl_json_write_str(f, s, n);
}

static int print_quarantine(const struct gl_quarantine_rec *q, void *arg)
{
    const struct common *c = arg;
    char t[32];
    gl_tstamp_format(q->received, t);
    if (c->json) {
        printf("{\"qseq\":%llu,\"received\":\"%s\",\"origin\":", (unsigned long long)q->qseq, t);
        json_string(stdout, q->origin, strlen(q->origin));
        printf(",\"reason\":");
        json_string(stdout, q->reason, strlen(q->reason));
        printf(",\"length\":%zu,\"escaped\":%s,\"raw\":", q->orig_len,
               q->escaped ? "true" : "false");
        json_string(stdout, q->raw, q->raw_len);
        printf("}\n");
    } else {
        int shown = q->raw_len > 100 ? 100 : (int)q->raw_len;
        char preview[101], pb[512], ob[1024], rb[1024];
        memcpy(preview, q->raw, (size_t)shown);
        for (int i = 0; i < shown; i++)
            if (preview[i] == '\0')
                preview[i] = ' ';
        preview[shown] = '\0';
        /* refused input is the least trusted text there is: no control
         * character of it reaches the terminal */
        printf("%-6llu %s  %s\n       reason: %s\n       input:  %s%s (%zu bytes)\n",
               (unsigned long long)q->qseq, t, gl_text_safe(q->origin, ob, sizeof ob),
               gl_text_safe(q->reason, rb, sizeof rb), gl_text_safe(preview, pb, sizeof pb),
               q->raw_len > 100 ? "..." : "", q->orig_len);
    }
    return 0;
}

int gl_cmd_quarantine(int argc, char **argv)
{
    struct common c;
    int rc = parse_common(argc, argv, "quarantine",
                          "usage: grantline-analyzer quarantine --store DIR [--format text|json]\n"
                          "Lists every refused input: when, where it came from (topic/partition@\n"
                          "offset or file:line@byte), why, and its raw bytes (secrets redacted,\n"
                          "capped at 64 KiB; invalid UTF-8 bytes shown as \\xHH).\n",
                          "text|json", &c);
    if (rc >= 0)
        return rc;
    struct gl_store *st = open_ro(c.store);
    if (!st)
        return GL_EXIT_STORE;
    struct gl_error err = {0};
    rc = gl_store_scan_quarantine(st, print_quarantine, &c, &err);
    gl_store_close(st);
    if (rc) {
        fprintf(stderr, "grantline-analyzer: %s\n", err.msg);
        return GL_EXIT_STORE;
    }
    return GL_EXIT_OK;
}

/* --- verify --- */

/* What verify found, passed from the process that read the store. */
struct verdict {
    int rc; /* GL_OK, GL_ERR_CORRUPT (does not verify) or VERIFY_UNREADABLE */
    uint64_t checked, bad;
    bool crashed; /* reading the store crashed: how far it got is unknown */
    struct gl_error err;
};
#define VERIFY_UNREADABLE 1

static void verify_here(const char *dir, struct verdict *v)
{
    struct gl_store *st = NULL;
    int rc = gl_store_open(dir, GL_STORE_RDONLY, 0, &st, &v->err);
    if (!rc) {
        rc = gl_store_verify(st, &v->checked, &v->bad, &v->err);
        if (rc == GL_ERR_CORRUPT && gl_store_unlocked(st))
            gl_error_prefix(&v->err, "read without the lock file (this user cannot write "
                                     "lock.mdb), so a collector writing meanwhile could make "
                                     "intact pages look damaged: verify a copy, or as a user "
                                     "who can write lock.mdb, before concluding");
        gl_store_close(st);
    }
    v->rc = !rc || rc == GL_ERR_CORRUPT ? rc : VERIFY_UNREADABLE;
}

/* Verifies in a child process: a store damaged on disk can make LMDB read
 * memory it may not and crash, which is the answer verify exists to give,
 * so a crash of the child is reported as damage, not suffered. */
static void verify_apart(const char *dir, struct verdict *v)
{
    memset(v, 0, sizeof *v);
    int fd[2] = {-1, -1};
    pid_t pid = -1;
    fflush(NULL);
    if (pipe(fd) == 0 && (pid = fork()) == 0) {
        close(fd[0]);
        signal(SIGSEGV, SIG_DFL); /* the parent tells what a crash means here */
        signal(SIGBUS, SIG_DFL);
        verify_here(dir, v);
        _exit(write(fd[1], v, sizeof *v) == (ssize_t)sizeof *v ? 0 : 1);
    }
    if (pid < 0) { /* no child: verify here, as before */
        if (fd[0] >= 0) { /* the pipe was made, the child not */
            close(fd[0]);
            close(fd[1]);
        }
        verify_here(dir, v);
        return;
    }
    close(fd[1]);
    size_t got = 0;
    while (got < sizeof *v) {
        ssize_t n = read(fd[0], (char *)v + got, sizeof *v - got);
        if (n <= 0 && !(n < 0 && errno == EINTR))
            break;
        got += n > 0 ? (size_t)n : 0;
    }
    close(fd[0]);
    int status = 0;
    pid_t w;
    while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    if (got == sizeof *v)
        return;
    memset(v, 0, sizeof *v);
    int sig = w == pid && WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    /* what a read through a damaged map dies of (LMDB asserts abort) */
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGABRT || sig == SIGILL || sig == SIGFPE) {
        v->rc = GL_ERR_CORRUPT;
        v->crashed = true;
        gl_error_set(&v->err, GL_ERR_CORRUPT, 0,
                     "the store's file is damaged: reading it crashed LMDB (%s); restore the "
                     "store from a copy",
                     strsignal(sig));
        return;
    }
    /* killed otherwise (the OOM killer, a signal sent to it): no verdict */
    v->rc = VERIFY_UNREADABLE;
    if (sig)
        gl_error_set(&v->err, GL_ERR_IO, 0, "verify: the check was stopped (%s) before a verdict",
                     strsignal(sig));
    else
        gl_error_set(&v->err, GL_ERR_IO, 0, "verify: the check ended (%s %d) before a verdict",
                     w == pid ? "exit" : "lost, errno", w == pid ? WEXITSTATUS(status) : errno);
}

int gl_cmd_verify(int argc, char **argv)
{
    struct common c;
    int rc = parse_common(argc, argv, "verify",
                          "usage: grantline-analyzer verify --store DIR [--format text|json]\n"
                          "Recomputes the SHA-256 hash chain over every stored event and checks\n"
                          "that sequence numbers are continuous and the head matches. Names the\n"
                          "first changed, removed or reordered event. Exit 0 verified, 1 not.\n",
                          "text|json", &c);
    if (rc >= 0)
        return rc;
    struct verdict v;
    verify_apart(c.store, &v);
    if (v.rc == VERIFY_UNREADABLE) {
        fprintf(stderr, "grantline-analyzer: %s\n", v.err.msg);
        return GL_EXIT_STORE;
    }
    rc = v.rc;
    uint64_t checked = v.checked, bad = v.bad;
    struct gl_error err = v.err;
    if (c.json) {
        printf("{\"rule\":\"GL-015\",\"verified\":%s,\"events_checked\":", rc ? "false" : "true");
        if (v.crashed)
            printf("null");
        else
            printf("%llu", (unsigned long long)checked);
        if (rc) {
            if (bad)
                printf(",\"bad_seq\":%llu", (unsigned long long)bad);
            printf(",\"detail\":");
            json_string(stdout, err.msg, strlen(err.msg));
        }
        printf("}\n");
    } else if (rc && (v.crashed || !checked)) {
        printf("GL-015 audit-integrity: FAILED: %s\n", err.msg);
    } else if (rc) {
        printf("GL-015 audit-integrity: FAILED after %llu good events: %s\n",
               (unsigned long long)checked, err.msg);
    } else {
        printf("verified: %llu events, hash chain and sequence intact\n",
               (unsigned long long)checked);
    }
    return rc ? GL_EXIT_FINDINGS : GL_EXIT_OK;
}

/* --- events --- */

static int print_event(uint64_t seq, const void *rec, size_t len, void *arg)
{
    (void)seq;
    struct gl_buf *b = arg;
    struct gl_error err = {0};
    gl_buf_reset(b);
    if (gl_event_stored_to_json(rec, len, b, &err)) {
        fprintf(stderr, "grantline-analyzer: event %llu: %s\n", (unsigned long long)seq, err.msg);
        return GL_ERR_CORRUPT;
    }
    gl_buf_append(b, "\n", 1);
    fwrite(b->data, 1, b->len, stdout);
    return 0;
}

int gl_cmd_events(int argc, char **argv)
{
    struct common c;
    int rc = parse_common(
        argc, argv, "events",
        "usage: grantline-analyzer events --store DIR [--workload W | --task T | --credential C]\n"
        "Prints stored events as NDJSON (times as RFC 3339), in time order; all of them, or\n"
        "those of one workload, task or credential (from the store's indexes).\n",
        "json", &c);
    if (rc >= 0)
        return rc;
    struct gl_store *st = open_ro(c.store);
    if (!st)
        return GL_EXIT_STORE;
    struct gl_error err = {0};
    struct gl_buf b = {0};
    if (c.workload)
        rc = gl_store_scan_index(st, GL_IDX_WORKLOAD, c.workload, strlen(c.workload), INT64_MIN,
                                 INT64_MAX, print_event, &b, &err);
    else if (c.task)
        rc = gl_store_scan_index(st, GL_IDX_TASK, c.task, strlen(c.task), INT64_MIN, INT64_MAX,
                                 print_event, &b, &err);
    else if (c.credential)
        rc = gl_store_scan_index(st, GL_IDX_CREDENTIAL, c.credential, strlen(c.credential),
                                 INT64_MIN, INT64_MAX, print_event, &b, &err);
    else
        rc = gl_store_scan_time(st, INT64_MIN, INT64_MAX, print_event, &b, &err);
    gl_buf_free(&b);
    gl_store_close(st);
    if (rc) {
        fprintf(stderr, "grantline-analyzer: %s\n", err.msg);
        return GL_EXIT_STORE;
    }
    return GL_EXIT_OK;
}
