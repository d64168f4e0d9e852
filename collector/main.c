/* grantline-collector: ingest identity and action events from Kafka or
 * NDJSON into an LMDB store. Exit codes: 0 ok, 2 usage or input error,
 * 3 store or I/O error. */
#include "heap.h"
#include "pipeline.h"
#include "source.h"

#include "grantline/kvconf.h"
#include "grantline/log.h"
#include "grantline/redact.h"
#include "grantline/schemas.h"
#include "grantline/store.h"
#include "grantline/tstamp.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: grantline-collector --brokers HOST:PORT[,...] --topic T[,T...] --group G "
            "--store DIR [options]\n"
            "       grantline-collector --input FILE|- --store DIR [options]\n"
            "\n"
            "Ingest identity and action events of non-human identities into an LMDB store.\n"
            "Every valid event is stored once (dedup by id), secrets are redacted before\n"
            "storage, invalid input is quarantined with a reason.\n"
            "\n"
            "Sources:\n"
            "  -b, --brokers LIST      Kafka bootstrap servers\n"
            "  -t, --topic LIST        topics to consume (comma-separated)\n"
            "  -g, --group G           consumer group id (collectors in one group split\n"
            "                          the partitions)\n"
            "  -X KEY=VALUE            any librdkafka setting (repeatable): SASL, TLS, ...;\n"
            "                          prefetch defaults here: queued.min.messages=50000,\n"
            "                          queued.max.messages.kbytes=32768, fetch.max.bytes=\n"
            "                          8388608 (within the queue's bytes, at least\n"
            "                          message.max.bytes); offsets\n"
            "                          go to Kafka only once stored, naming the store, every\n"
            "                          auto.commit.interval.ms (enable.auto.commit and\n"
            "                          enable.auto.offset.store are always off)\n"
            "  -F, --kafka-config FILE librdkafka settings, one key=value per line (# starts\n"
            "                          a comment): keeps a SASL password off the command\n"
            "                          line; -X overrides it; may name bootstrap.servers\n"
            "  -i, --input FILE|-      read NDJSON from a file or stdin instead of Kafka (an\n"
            "                          event over several lines, as jq . prints it, too)\n"
            "      --from-start        --input: ignore the stored position, reread the file\n"
            "      --mappings DIR|none records of other formats (CloudTrail, Kubernetes\n"
            "                          and Vault audit) made canonical events by the rules\n"
            "                          in DIR (default: schemas/mappings)\n"
            "  -e, --exit-at-end       stop when every assigned partition (or the file) is\n"
            "                          drained (Kafka: fetch.wait.max.ms=100 unless -X sets\n"
            "                          it, so an empty fetch answers sooner)\n"
            "Store:\n"
            "  -s, --store DIR         store directory (created 0700, files 0600)\n"
            "      --map-size MIB      initial LMDB map size in MiB (grows by itself;\n"
            "                          default 256)\n"
            "      --secret-rules FILE redaction rules (default: schemas/secrets.rules)\n"
            "      --redact-key-file F key (>= 32 bytes) for secret fingerprints; give every\n"
            "                          collector of a group the same file so a secret gets\n"
            "                          the same marker and exposure id in every store\n"
            "                          (default: a random key kept in the store); a store\n"
            "                          keeps the key it was first filled with\n"
            "Batching:\n"
            "      --batch N           events per transaction (default 50000; large batches\n"
            "                          touch each index page once for many events)\n"
            "      --batch-ms MS       longest wait before a partial batch commits (default 500;\n"
            "                          from Kafka, sooner when the topic pauses)\n"
            "      --max-message BYTES larger messages are quarantined (default 1048576)\n"
            "Output:\n"
            "  -q, --quiet             no progress: only warnings, errors and the final summary\n"
            "      --progress SEC      progress line interval (default 5, 0 = off)\n"
            "      --log-format F      text (default) or json\n"
            "  -v, --verbose           debug logging (per-message reasons, each batch made\n"
            "                          durable); the summary adds writer and reader CPU and\n"
            "                          waits; librdkafka's own: -X debug=consumer,cgrp\n"
            "  -h, --help              this help\n"
            "  -V, --version           print the version\n"
            "\n"
            "Summary: read = stored + duplicates + quarantined (every message accounted\n"
            "for); exposure events (one per secret found) and record events (the second\n"
            "event of a record such as a CloudTrail AssumeRole) are stored beside them.\n"
            "\n"
            "Examples:\n"
            "  grantline-collector --brokers kafka:9092 --topic nhi-events --group grantline \\\n"
            "      --store /var/lib/grantline/store\n"
            "  grantline-collector -F /etc/grantline/kafka.conf -t nhi-events -g grantline -s ./store\n"
            "      (kafka.conf, mode 600: bootstrap.servers=kafka:9093, security.protocol=SASL_SSL,\n"
            "       sasl.mechanisms=SCRAM-SHA-512, sasl.username=..., sasl.password=..., one a line)\n"
            "  grantline-collector --input samples/agents.ndjson --store ./store\n"
            "  jq -c '.Records[]' cloudtrail/*.json | grantline-collector --input - --store ./store\n"
            "  grantline-collector --input /var/log/vault/audit.log --store ./store\n"
            "  zcat events.ndjson.gz | grantline-collector --input - --store ./store\n");
}


/* A whole number in [min, max] from an option's value, or a message and
 * false: "abc", "-5" and "10x" are refused, not read as 0 or 10. */
static bool parse_count(const char *opt, const char *s, uint64_t min, uint64_t max,
                        uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
    if (!end || *end || errno || v < min || v > max) {
        fprintf(stderr, "grantline-collector: --%s: '%s' is not a whole number from %llu to %llu\n",
                opt, s, (unsigned long long)min, (unsigned long long)max);
        return false;
    }
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    enum {
        OPT_MAP = 256,
        OPT_RULES,
        OPT_BATCH,
        OPT_BATCH_MS,
        OPT_MAXMSG,
        OPT_PROGRESS,
        OPT_LOGFMT,
        OPT_FROM_START,
        OPT_REDACT_KEY,
        OPT_MAPPINGS,
    };
    static const struct option opts[] = {
        {"brokers", required_argument, 0, 'b'},  {"topic", required_argument, 0, 't'},
        {"group", required_argument, 0, 'g'},    {"input", required_argument, 0, 'i'},
        {"store", required_argument, 0, 's'},    {"exit-at-end", no_argument, 0, 'e'},
        {"map-size", required_argument, 0, OPT_MAP},
        {"secret-rules", required_argument, 0, OPT_RULES},
        {"batch", required_argument, 0, OPT_BATCH},
        {"batch-ms", required_argument, 0, OPT_BATCH_MS},
        {"max-message", required_argument, 0, OPT_MAXMSG},
        {"progress", required_argument, 0, OPT_PROGRESS},
        {"log-format", required_argument, 0, OPT_LOGFMT},
        {"from-start", no_argument, 0, OPT_FROM_START},
        {"redact-key-file", required_argument, 0, OPT_REDACT_KEY},
        {"mappings", required_argument, 0, OPT_MAPPINGS},
        {"kafka-config", required_argument, 0, 'F'},
        {"quiet", no_argument, 0, 'q'},          {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},           {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    struct gl_source_cfg cfg = {0};
    const char *store_dir = NULL, *rules = NULL, *key_file = NULL, *maps_dir = NULL;
    const char *kafka_conf = NULL;
    struct gl_kvconf *kvc = NULL;
    struct gl_mappings *maps = NULL;
    const char **props = calloc((size_t)argc, sizeof *props);
    struct gl_pipeline_opts popts = {.batch_max = 50000,
                                     .batch_us = 500000,
                                     .max_message = 1 << 20,
                                     .quarantine_cap = 64 << 10,
                                     .progress_us = 5000000};
    uint64_t map_mib = 0, num = 0;
    int quiet = 0, verbose = 0, json = 0;
    int c;
    int huge = gl_heap_use_huge_pages(); /* before the heap grows, and before threads */
    while ((c = getopt_long(argc, argv, "b:t:g:i:s:eX:F:qvhV", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            cfg.brokers = optarg;
            break;
        case 't':
            cfg.topics = optarg;
            break;
        case 'g':
            cfg.group = optarg;
            break;
        case 'i':
            cfg.input = optarg;
            break;
        case 's':
            store_dir = optarg;
            break;
        case 'e':
            cfg.exit_at_end = true;
            break;
        case 'X':
            props[cfg.n_kafka_props++] = optarg;
            break;
        case OPT_MAP:
            if (!parse_count("map-size", optarg, 1, 1 << 24, &map_mib))
                goto usage_error;
            break;
        case OPT_RULES:
            rules = optarg;
            break;
        case OPT_BATCH:
            if (!parse_count("batch", optarg, 1, 10000000, &num))
                goto usage_error;
            popts.batch_max = (size_t)num;
            break;
        case OPT_BATCH_MS:
            if (!parse_count("batch-ms", optarg, 0, 86400000, &num))
                goto usage_error;
            popts.batch_us = (int64_t)num * 1000;
            break;
        case OPT_MAXMSG:
            if (!parse_count("max-message", optarg, 1, 1 << 30, &num))
                goto usage_error;
            popts.max_message = (size_t)num;
            break;
        case OPT_PROGRESS: {
            char *end = NULL;
            double secs = strtod(optarg, &end);
            if (end == optarg || *end || !(secs >= 0 && secs <= 86400)) {
                fprintf(stderr, "grantline-collector: --progress: '%s' is not a number of "
                                "seconds from 0 to 86400\n", optarg);
                goto usage_error;
            }
            popts.progress_us = (int64_t)(secs * 1e6);
            break;
        }
        case OPT_LOGFMT:
            if (strcmp(optarg, "json") && strcmp(optarg, "text")) {
                fprintf(stderr, "grantline-collector: --log-format must be text or json\n");
                return 2;
            }
            json = strcmp(optarg, "json") == 0;
            break;
        case OPT_FROM_START:
            cfg.from_start = true;
            break;
        case OPT_REDACT_KEY:
            key_file = optarg;
            break;
        case OPT_MAPPINGS:
            maps_dir = optarg;
            break;
        case 'F':
            kafka_conf = optarg;
            break;
        case 'q':
            quiet = 1;
            break;
        case 'v':
            verbose = 1;
            break;
        case 'h':
            usage(stdout);
            free(props);
            return 0;
        case 'V':
            printf("grantline-collector %s\n", GL_VERSION);
            free(props);
            return 0;
        default:
        usage_error:
            fprintf(stderr, "Try 'grantline-collector --help'.\n");
            free(props);
            return 2;
        }
    }
    gl_log_setup(quiet ? GL_LOG_WARN : verbose ? GL_LOG_DEBUG : GL_LOG_INFO, json);
    gl_log(GL_LOG_DEBUG, "collector", "heap: %s",
           huge ? "tcmalloc, in transparent huge pages where the kernel allows"
                : "the allocator's own (small pages)");
    gl_log_crash_hint("grantline-collector");
    cfg.kafka_props = props;
    if (optind < argc || !store_dir || popts.batch_max == 0 ||
        popts.batch_max > 10000000 || popts.max_message == 0) {
        const char *why = optind < argc ? "unexpected argument"
                          : !store_dir    ? "--store DIR is required"
                                          : "bad batch settings (--batch 1..10000000)";
        fprintf(stderr, "grantline-collector: %s\nTry 'grantline-collector --help'.\n", why);
        free(props);
        return 2;
    }
    const struct gl_source_ops *src = NULL;
    for (size_t i = 0; gl_sources[i]; i++) {
        if (gl_sources[i]->selected(&cfg)) {
            if (src) {
                fprintf(stderr, "grantline-collector: choose one source: --input or --brokers\n");
                free(props);
                return 2;
            }
            src = gl_sources[i];
        }
    }
    if (!src) {
        fprintf(stderr, "grantline-collector: no source: give --brokers/--topic/--group or "
                        "--input\nTry 'grantline-collector --help'.\n");
        free(props);
        return 2;
    }

    if (src != &gl_src_kafka && (kafka_conf || cfg.n_kafka_props)) {
        fprintf(stderr, "grantline-collector: -X and --kafka-config set the Kafka client; "
                        "--input reads a file\n");
        free(props);
        return 2;
    }
    if (kafka_conf) {
        struct gl_error kerr = {0};
        if (gl_kvconf_load_with(kafka_conf, props, cfg.n_kafka_props, &kvc, &kerr)) {
            fprintf(stderr, "grantline-collector: --kafka-config %s\n", kerr.msg);
            free(props);
            return 2;
        }
        if (kvc->others_can_read)
            gl_log(GL_LOG_WARN, "collector",
                   "--kafka-config %s is readable by its group or others; if it holds a "
                   "password, chmod 600 it",
                   kafka_conf);
        cfg.kafka_props = (const char **)kvc->items; /* the file's, then -X */
        cfg.n_kafka_props = kvc->n;
    }
    struct gl_error err = {0};
    struct gl_store *st = NULL;
    struct gl_redactor *rd = NULL;
    struct gl_pipeline *p = NULL;
    int exit_code = 0;
    bool ran = false;
    if (src->check && src->check(&cfg, &err)) {
        gl_log(GL_LOG_ERROR, "collector", "%s", err.msg);
        exit_code = err.code == GL_ERR_INVALID ? 2 : 3; /* a bad setting, or an unreadable input */
        goto done;
    }
    /* configuration first: a broken mapping creates no store */
    char maps_path[4096];
    if (!maps_dir)
        maps_dir = gl_schema_path("mappings", maps_path, sizeof maps_path);
    if (strcmp(maps_dir, "none") && gl_mappings_load(maps_dir, &maps, &err)) {
        gl_log(GL_LOG_ERROR, "collector", "%s", err.msg);
        exit_code = 2;
        goto done;
    }
    if (gl_store_open(store_dir, GL_STORE_CREATE, map_mib << 20, &st, &err)) {
        gl_log(GL_LOG_ERROR, "collector", "%s", err.msg);
        exit_code = 3;
        goto done;
    }
    char rules_path[4096];
    if (!rules)
        rules = gl_schema_path("secrets.rules", rules_path, sizeof rules_path);
    unsigned char key[64];
    size_t keylen = 32;
    memcpy(key, gl_store_redact_key(st), 32);
    if (key_file) {
        /* the key makes fingerprints unguessable; readable by others, a
         * reader of the store could test guesses of a secret against them */
        struct stat ks;
        if (stat(key_file, &ks) == 0 && (ks.st_mode & 077))
            gl_log(GL_LOG_WARN, "collector",
                   "--redact-key-file %s is readable by its group or others: chmod 600 it",
                   key_file);
        FILE *kf = fopen(key_file, "rb");
        keylen = kf ? fread(key, 1, sizeof key, kf) : 0;
        if (kf)
            fclose(kf);
        if (keylen < 32) {
            gl_log(GL_LOG_ERROR, "collector",
                   "--redact-key-file %s: cannot read at least 32 bytes (try: head -c 32 "
                   "/dev/urandom > %s; chmod 600 %s)",
                   key_file, key_file, key_file);
            exit_code = 2;
            goto done;
        }
    }
    /* one key per store: a marker must mean one secret across its events */
    if (gl_store_bind_redact_key(st, key, keylen, &err)) {
        gl_log(GL_LOG_ERROR, "collector", "%s", err.msg);
        exit_code = 2;
        goto done;
    }
    gl_mappings_set_key(maps, key, keylen);
    if (gl_redactor_load(rules, key, keylen, &rd, &err)) {
        gl_log(GL_LOG_ERROR, "collector", "%s", err.msg);
        exit_code = 2;
        goto done;
    }
    popts.maps = maps;
    if (gl_pipeline_new(st, rd, &popts, &p, &err)) {
        gl_log(GL_LOG_ERROR, "collector", "%s", err.msg);
        exit_code = 3;
        goto done;
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    char maps_list[256] = "";
    for (size_t i = 0, at = 0; i < gl_mappings_count(maps) && at < sizeof maps_list; i++)
        at += (size_t)snprintf(maps_list + at, sizeof maps_list - at, "%s%s", i ? ", " : "",
                               gl_mappings_name(maps, i));
    gl_log(GL_LOG_INFO, "collector", "source %s -> store %s (%zu secret rules; mappings: %s)",
           src->name, store_dir, gl_redactor_rule_count(rd), maps_list[0] ? maps_list : "none");
    int rc = src->run(&cfg, p, st, &stop_flag, &err);
    ran = true;
    const struct gl_pipeline_counters *cnt = gl_pipeline_counters(p);
    double secs = gl_pipeline_elapsed(p);
    /* Messages of batches the store did not commit (a failed commit): they
     * are counted read, and the source position stays before them. */
    uint64_t done_n = cnt->stored + cnt->duplicates + cnt->quarantined;
    char lost_note[200] = "";
    bool from_pipe = cfg.input && strcmp(cfg.input, "-") == 0;
    if (cnt->read > done_n)
        snprintf(lost_note, sizeof lost_note,
                 from_pipe ? ", not committed %llu (the store kept none of them; stdin cannot be "
                             "read again: feed the input again, what is stored is skipped)"
                           : ", not committed %llu (the store kept none of them and its source "
                             "position stays before them: the next run reads them again)",
                 (unsigned long long)(cnt->read - done_n));
    /* The summary is the result of the run: always printed, even with --quiet. */
    gl_log_write(GL_LOG_INFO, "summary",
            "read %llu, stored %llu, duplicates %llu, quarantined %llu%s, "
            "secrets redacted %llu, exposure events %llu, record events %llu, %.1f s, %.0f ev/s "
            "(%.0f ev/s from the first message to the last stored)%s",
            (unsigned long long)cnt->read, (unsigned long long)cnt->stored,
            (unsigned long long)cnt->duplicates, (unsigned long long)cnt->quarantined, lost_note,
            (unsigned long long)cnt->secrets, (unsigned long long)cnt->derived,
            (unsigned long long)cnt->more, secs,
            secs > 0 ? (double)cnt->read / secs : 0.0,
            gl_pipeline_busy(p) > 0 ? (double)cnt->read / gl_pipeline_busy(p) : 0.0,
            stop_flag ? " (stopped by signal)" : "");
    gl_log(GL_LOG_DEBUG, "summary",
           "%llu batches; writer thread %.2f s in store commits (%.2f s CPU); reader %.2f s "
           "CPU, waited %.2f s for the writer and %.2f s for input",
           (unsigned long long)cnt->batches, (double)cnt->commit_us / 1e6,
           (double)cnt->commit_cpu_us / 1e6, (double)gl_tstamp_thread_cpu() / 1e6,
           (double)cnt->wait_us / 1e6, (double)cnt->idle_us / 1e6);
    if (rc) {
        gl_log(GL_LOG_ERROR, "collector", "%s", err.msg);
        exit_code = rc == GL_ERR_INVALID ? 2 : 3;
    }
done:
    gl_pipeline_free(p); /* the writer thread has ended */
    if (ran) {
        /* Leave every index entry in the by-name indexes, so queries on the
         * store need not look in recent_index (the commits merge it every
         * few batches; this merges the last few). */
        int64_t t0 = gl_tstamp_now();
        struct gl_error merr = {0};
        if (gl_store_merge_index(st, &merr))
            gl_log(GL_LOG_WARN, "collector",
                   "%s (the committed events are stored and queryable; the next run merges "
                   "the index)",
                   merr.msg);
        else
            gl_log(GL_LOG_DEBUG, "collector", "index merged in %.2f s",
                   (double)(gl_tstamp_now() - t0) / 1e6);
    }
    gl_redactor_free(rd);
    gl_mappings_free(maps);
    gl_store_close(st);
    free(props);
    gl_kvconf_free(kvc);
    return exit_code;
}
