/* End-to-end ingest over the real Kafka protocol: librdkafka's mock cluster
 * in this process, the samples produced with a librdkafka producer (keyed by
 * workload), and the grantline-collector binary consuming them. Checks that
 * every valid event is stored exactly once, malformed input is quarantined,
 * and restarts (clean or SIGKILL mid-stream) lose nothing and add nothing. */
#include "../unit/check_helpers.h"

#include "grantline/event.h"
#include "grantline/store.h"

#include <librdkafka/rdkafka.h>
#include <msgpack.h>
#include <librdkafka/rdkafka_mock.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define TOPIC      "nhi-events"
#define PARTITIONS 4

struct mock {
    rd_kafka_t *owner;
    rd_kafka_mock_cluster_t *mc;
    char boot[256];
};

static void mock_start(struct mock *m)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof errstr);
    m->owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    ck_assert_msg(m->owner, "rd_kafka_new: %s", errstr);
    m->mc = rd_kafka_mock_cluster_new(m->owner, 1);
    ck_assert(m->mc);
    ck_assert_int_eq(rd_kafka_mock_topic_create(m->mc, TOPIC, PARTITIONS, 1), 0);
    snprintf(m->boot, sizeof m->boot, "%s", rd_kafka_mock_cluster_bootstraps(m->mc));
}

static void mock_stop(struct mock *m)
{
    rd_kafka_mock_cluster_destroy(m->mc); /* before its owner, or librdkafka asserts */
    rd_kafka_destroy(m->owner);
}

/* One input line: bytes, and for valid events the id and workload. */
struct line {
    char *buf;
    size_t len;
    char *id, *workload;
};

struct input {
    struct line *v;
    size_t n;
};

static void load_lines(struct input *in, const char *path)
{
    size_t len;
    char *all = gl_test_slurp(path, &len);
    struct gl_decoder *dec = gl_decoder_new();
    char *p = all;
    while (p < all + len) {
        char *nl = memchr(p, '\n', (size_t)(all + len - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(all + len - p);
        if (n > 0) {
            in->v = realloc(in->v, (in->n + 1) * sizeof *in->v);
            struct line *l = &in->v[in->n++];
            memset(l, 0, sizeof *l);
            l->buf = malloc(n);
            memcpy(l->buf, p, n);
            l->len = n;
            struct gl_event ev;
            struct gl_error err;
            if (gl_decoder_decode(dec, l->buf, n, &ev, &err) == GL_OK) {
                l->id = strndup(ev.id.ptr, ev.id.len);
                l->workload = strndup(ev.workload.ptr, ev.workload.len);
            }
        }
        p += n + 1;
    }
    gl_decoder_free(dec);
    free(all);
}

static void free_lines(struct input *in)
{
    for (size_t i = 0; i < in->n; i++) {
        free(in->v[i].buf);
        free(in->v[i].id);
        free(in->v[i].workload);
    }
    free(in->v);
}

static void produce(const struct mock *m, const struct input *in, size_t from, size_t to)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", m->boot, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "linger.ms", "5", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    ck_assert_msg(rk, "producer: %s", errstr);
    for (size_t i = from; i < to; i++) {
        const struct line *l = &in->v[i];
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE(l->buf, l->len),
            RD_KAFKA_V_KEY(l->workload, l->workload ? strlen(l->workload) : 0), RD_KAFKA_V_END);
        ck_assert_msg(e == 0, "produce: %s", rd_kafka_err2str(e));
    }
    ck_assert_int_eq(rd_kafka_flush(rk, 30000), 0);
    rd_kafka_destroy(rk);
}

static pid_t collector_spawn(const struct mock *m, const char *store, bool exit_at_end,
                             const char *batch)
{
    char bin[4096];
    snprintf(bin, sizeof bin, "%s/collector/grantline-collector", GL_BUILD_DIR);
    char *argv[] = {bin,
                    "--brokers",
                    (char *)m->boot,
                    "--topic",
                    TOPIC,
                    "--group",
                    "grantline-it",
                    "--store",
                    (char *)store,
                    "-X",
                    "session.timeout.ms=6000",
                    "--batch",
                    (char *)batch,
                    "--batch-ms",
                    "20",
                    "-q",
                    exit_at_end ? "--exit-at-end" : NULL,
                    NULL};
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, bin, NULL, NULL, argv, environ), 0);
    return pid;
}

/* The collector on TOPIC with --batch-ms 'batch_ms' and the settings
 * 'extra' (NULL-terminated, at most 8), its stderr to 'log' (NULL: kept). */
static pid_t collector_spawn_with(const struct mock *m, const char *store, const char *batch_ms,
                                  const char *const *extra, const char *log)
{
    char bin[4096];
    snprintf(bin, sizeof bin, "%s/collector/grantline-collector", GL_BUILD_DIR);
    char *argv[32] = {bin,          "--brokers", (char *)m->boot, "--topic",
                      TOPIC,        "--group",   "grantline-it",  "--store",
                      (char *)store, "-X",       "session.timeout.ms=6000", "--batch-ms",
                      (char *)batch_ms};
    int n = 13;
    for (int i = 0; extra[i] && i < 8; i++)
        argv[n++] = (char *)extra[i];
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    if (log)
        posix_spawn_file_actions_addopen(&fa, 2, log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, bin, &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    return pid;
}

static int wait_exit(pid_t pid, int timeout_s)
{
    for (int i = 0; i < timeout_s * 10; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        gl_test_sleep_ms(100);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    ck_abort_msg("collector did not finish within %d s", timeout_s);
    return -1;
}

/* --- checking the store --- */

struct ids {
    char **v;
    size_t n;
};

static int collect_id(uint64_t seq, const void *rec, size_t len, void *arg)
{
    (void)seq;
    struct ids *ids = arg;
    struct gl_decoder *dec = gl_decoder_new();
    struct gl_event ev;
    struct gl_error err;
    ck_assert_int_eq(gl_decoder_decode_stored(dec, rec, len, &ev, &err), GL_OK);
    ids->v = realloc(ids->v, (ids->n + 1) * sizeof *ids->v);
    ids->v[ids->n++] = strndup(ev.id.ptr, ev.id.len);
    gl_decoder_free(dec);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every valid id of in->v[0..upto) is stored exactly once; returns the
 * number of stored events that are not input (exposures). */
static size_t assert_exactly_once(const char *store, const struct input *in, size_t upto,
                                  uint64_t *quarantined)
{
    struct gl_store *st;
    struct gl_error err;
    ck_assert_msg(gl_store_open(store, GL_STORE_RDONLY, 0, &st, &err) == GL_OK, "%s", err.msg);
    struct ids ids = {0};
    ck_assert_int_eq(gl_store_scan_events(st, collect_id, &ids, &err), GL_OK);
    struct gl_store_stats s;
    ck_assert_int_eq(gl_store_stats(st, &s, &err), GL_OK);
    *quarantined = s.quarantined;
    gl_store_close(st);
    qsort(ids.v, ids.n, sizeof *ids.v, cmp_str);
    for (size_t i = 1; i < ids.n; i++)
        ck_assert_msg(strcmp(ids.v[i - 1], ids.v[i]) != 0, "event %s stored twice", ids.v[i]);
    size_t expected = 0;
    for (size_t i = 0; i < upto; i++) {
        if (!in->v[i].id)
            continue;
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = in->v[j].id && strcmp(in->v[j].id, in->v[i].id) == 0;
        if (dup)
            continue;
        expected++;
        char *key = in->v[i].id;
        ck_assert_msg(bsearch(&key, ids.v, ids.n, sizeof *ids.v, cmp_str) != NULL,
                      "event %s was lost", key);
    }
    size_t extra = 0;
    for (size_t i = 0; i < ids.n; i++) {
        extra += strncmp(ids.v[i], "gl-exposed-", 11) == 0;
        free(ids.v[i]);
    }
    free(ids.v);
    ck_assert_uint_eq(ids.n, expected + extra);
    return extra;
}

static struct input samples(void)
{
    struct input in = {0};
    load_lines(&in, GL_SOURCE_DIR "/samples/agents.ndjson");
    load_lines(&in, GL_SOURCE_DIR "/samples/malformed.ndjson");
    return in;
}

static size_t count_invalid(const struct input *in, size_t upto)
{
    size_t n = 0;
    for (size_t i = 0; i < upto; i++)
        n += in->v[i].id == NULL;
    return n;
}

/* Every valid input event is in 'store' once, and every invalid one in its
 * quarantine. */
static void assert_all_once(const char *store, const struct input *in)
{
    uint64_t q;
    assert_exactly_once(store, in, in->n, &q);
    ck_assert_uint_eq(q, count_invalid(in, in->n));
}

/* A test's end: its input, store path and cluster go. */
static void finish(struct mock *m, struct input *in, char *store)
{
    free_lines(in);
    free(store);
    mock_stop(m);
}

START_TEST(test_kafka_every_event_once)
{
    struct mock m;
    mock_start(&m);
    struct input in = samples();
    produce(&m, &in, 0, in.n);
    char *store = gl_test_tmpdir("kafka-once");
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "100"), 120), 0);
    uint64_t q;
    size_t exposures = assert_exactly_once(store, &in, in.n, &q);
    ck_assert_uint_eq(q, count_invalid(&in, in.n));
    ck_assert_uint_eq(q, 20);
    ck_assert_uint_eq(exposures, 9);

    /* a second run on the same topic adds nothing */
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "100"), 120), 0);
    uint64_t q2;
    ck_assert_uint_eq(assert_exactly_once(store, &in, in.n, &q2), 9);
    ck_assert_uint_eq(q2, q);
    finish(&m, &in, store);
}
END_TEST

/* The brokers and a setting from a --kafka-config file, none on the command
 * line (a SASL password would sit there). */
START_TEST(test_kafka_config_file)
{
    struct mock m;
    mock_start(&m);
    struct input in = samples();
    produce(&m, &in, 0, in.n);
    char *store = gl_test_tmpdir("kafka-conf");
    char conf[4200], bin[4096];
    snprintf(conf, sizeof conf, "%s.conf", store);
    FILE *f = fopen(conf, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "# the cluster\n  bootstrap.servers = %s  \n\nsession.timeout.ms=6000\n", m.boot);
    fclose(f);
    ck_assert_int_eq(chmod(conf, 0600), 0);
    snprintf(bin, sizeof bin, "%s/collector/grantline-collector", GL_BUILD_DIR);
    char *argv[] = {bin, "--kafka-config", conf, "--topic", TOPIC, "--group", "grantline-conf",
                    "--store", store, "--batch-ms", "20", "-q", "--exit-at-end", NULL};
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, bin, NULL, NULL, argv, environ), 0);
    ck_assert_int_eq(wait_exit(pid, 120), 0);
    uint64_t q;
    ck_assert_uint_eq(assert_exactly_once(store, &in, in.n, &q), 9);
    ck_assert_uint_eq(q, 20);
    unlink(conf);
    finish(&m, &in, store);
}
END_TEST

START_TEST(test_kafka_restart_midstream)
{
    struct mock m;
    mock_start(&m);
    struct input in = samples();
    size_t half = in.n / 2;
    produce(&m, &in, 0, half);
    char *store = gl_test_tmpdir("kafka-restart");
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "50"), 120), 0);
    uint64_t q;
    assert_exactly_once(store, &in, half, &q);
    ck_assert_uint_eq(q, count_invalid(&in, half));
    /* the rest, plus the first 40 lines sent again (a producer retrying) */
    produce(&m, &in, half, in.n);
    produce(&m, &in, 0, 40);
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "50"), 120), 0);
    assert_exactly_once(store, &in, in.n, &q);
    ck_assert_uint_eq(q, count_invalid(&in, in.n) + count_invalid(&in, 40));
    finish(&m, &in, store);
}
END_TEST

/* The same topic on another cluster (a disaster-recovery switch, a mirror):
 * its partitions have their own offsets, so the store's positions from the
 * first cluster must not apply there (they would skip the start). */
START_TEST(test_kafka_second_cluster)
{
    struct mock a, b;
    mock_start(&a);
    mock_start(&b);
    struct input in = samples();
    size_t half = in.n / 2;
    produce(&a, &in, 0, half);
    char *store = gl_test_tmpdir("kafka-clusters");
    ck_assert_int_eq(wait_exit(collector_spawn(&a, store, true, "100"), 120), 0);
    uint64_t q;
    assert_exactly_once(store, &in, half, &q);
    produce(&b, &in, half, in.n);
    ck_assert_int_eq(wait_exit(collector_spawn(&b, store, true, "100"), 120), 0);
    assert_all_once(store, &in);
    free_lines(&in);
    free(store);
    mock_stop(&b);
    mock_stop(&a);
}
END_TEST

/* The cluster's id, as the collector keys its positions with it. */
static char *cluster_id(const struct mock *m)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", m->boot, errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    ck_assert(rk);
    char *cid = rd_kafka_clusterid(rk, 10000);
    ck_assert_ptr_nonnull(cid);
    char *out = strdup(cid);
    rd_kafka_mem_free(rk, cid);
    rd_kafka_destroy(rk);
    return out;
}

static uint64_t duplicates_in(const char *store)
{
    struct gl_store *st;
    struct gl_error err;
    ck_assert_msg(gl_store_open(store, GL_STORE_RDONLY, 0, &st, &err) == GL_OK, "%s", err.msg);
    struct gl_store_stats s;
    ck_assert_int_eq(gl_store_stats(st, &s, &err), GL_OK);
    gl_store_close(st);
    return s.duplicates;
}

/* Changes what the store holds for every partition with a position, as a
 * replaced log would show it: the print of the message collected last
 * (flipped), or with 'past_end' the position one further (the message
 * collected last then lies at the new log's end). Returns the partitions
 * changed. */
static int tamper(const struct mock *m, const char *store, bool past_end)
{
    char *cid = cluster_id(m);
    struct gl_store *st;
    struct gl_error err;
    ck_assert_msg(gl_store_open(store, 0, 0, &st, &err) == GL_OK, "%s", err.msg);
    struct gl_store_batch *b = gl_store_batch_new();
    int changed = 0;
    for (int part = 0; part < PARTITIONS; part++) {
        char key[512], pkey[530], akey[530];
        int64_t next = -1, print = -1;
        snprintf(key, sizeof key, "kafka/%s/%s/%d", cid, TOPIC, part);
        snprintf(pkey, sizeof pkey, "%s#last", key);
        snprintf(akey, sizeof akey, "%s#last-at", key);
        ck_assert_int_eq(gl_store_position(st, key, &next, &err), GL_OK);
        ck_assert_int_eq(gl_store_position(st, pkey, &print, &err), GL_OK);
        if (next <= 0)
            continue;
        ck_assert_int_ge(print, 0); /* stored with the position */
        if (past_end) {
            ck_assert_int_eq(gl_store_batch_position(b, key, next + 1), GL_OK);
            ck_assert_int_eq(gl_store_batch_position(b, akey, next), GL_OK);
        } else {
            ck_assert_int_eq(gl_store_batch_position(b, pkey, print ^ 1), GL_OK);
        }
        changed++;
    }
    struct gl_store_commit_result res;
    ck_assert_int_eq(gl_store_commit(st, b, &res, NULL, &err), GL_OK);
    gl_store_batch_free(b);
    gl_store_close(st);
    free(cid);
    return changed;
}

/* A partition's log replaced under the same name on the same cluster (the
 * topic deleted and created again, an unclean leader election): the mock
 * cluster cannot delete a topic, so the store's print of the last message
 * collected is changed instead, which is what a new log at that offset
 * shows the collector. Each partition must then be read from its start
 * (all repeats: duplicates); with the prints intact, a restart reads
 * nothing again. */
START_TEST(test_kafka_log_replaced)
{
    struct mock m;
    mock_start(&m);
    struct input in = samples();
    size_t half = in.n / 2;
    produce(&m, &in, 0, half);
    char *store = gl_test_tmpdir("kafka-replaced");
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "100"), 120), 0);
    uint64_t q;
    assert_exactly_once(store, &in, half, &q);
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "100"), 120), 0);
    uint64_t d0 = duplicates_in(store);

    /* the print changed: a log replaced at that offset */
    ck_assert_int_gt(tamper(&m, store, false), 0);
    produce(&m, &in, half, in.n);
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "100"), 120), 0);
    assert_all_once(store, &in);
    uint64_t d1 = duplicates_in(store);
    ck_assert_msg(d1 - d0 >= half - count_invalid(&in, half),
                  "first half not read again: %llu duplicates added",
                  (unsigned long long)(d1 - d0));
    /* prints intact again: nothing read twice */
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "100"), 120), 0);
    ck_assert_uint_eq(duplicates_in(store), d1);

    /* a log that ends exactly where the message collected last should be
     * (the new log one message shorter): no message to compare, the end of
     * the log tells; each partition is read from its start again */
    ck_assert_int_gt(tamper(&m, store, true), 0);
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "100"), 120), 0);
    assert_exactly_once(store, &in, in.n, &q);
    uint64_t d2 = duplicates_in(store);
    ck_assert_msg(d2 - d1 >= in.n - count_invalid(&in, in.n),
                  "log end not noticed: %llu duplicates added", (unsigned long long)(d2 - d1));
    finish(&m, &in, store);
}
END_TEST

static uint64_t stored_events(const char *store)
{
    struct gl_store *st;
    struct gl_error err;
    if (gl_store_open(store, GL_STORE_RDONLY, 0, &st, &err) != GL_OK)
        return 0;
    struct gl_store_stats s;
    uint64_t n = gl_store_stats(st, &s, &err) == GL_OK ? s.events : 0;
    gl_store_close(st);
    return n;
}

/* Kills a collector with SIGKILL once its store holds 'n' events (or after
 * 15 s); returns how many it held then. */
static uint64_t kill_when_stored(pid_t pid, const char *store, uint64_t n)
{
    for (int i = 0; i < 300 && stored_events(store) < n; i++)
        gl_test_sleep_ms(50);
    uint64_t held = stored_events(store);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return held;
}

START_TEST(test_kafka_sigkill_loses_nothing)
{
    struct mock m;
    mock_start(&m);
    struct input in = samples();
    produce(&m, &in, 0, in.n);
    char *store = gl_test_tmpdir("kafka-kill");
    uint64_t before = kill_when_stored(collector_spawn(&m, store, false, "7"), store, 60);
    ck_assert_msg(before > 0, "collector stored nothing before the kill");
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "7"), 120), 0);
    assert_all_once(store, &in);
    finish(&m, &in, store);
}
END_TEST

START_TEST(test_kafka_sigterm_finishes_batch)
{
    struct mock m;
    mock_start(&m);
    struct input in = samples();
    produce(&m, &in, 0, in.n);
    char *store = gl_test_tmpdir("kafka-term");
    pid_t pid = collector_spawn(&m, store, false, "1000");
    for (int i = 0; i < 300 && stored_events(store) < 400; i++)
        gl_test_sleep_ms(50);
    kill(pid, SIGTERM);
    ck_assert_int_eq(wait_exit(pid, 60), 0); /* a clean stop, not a crash */
    uint64_t before = stored_events(store);
    ck_assert_uint_gt(before, 0);
    /* Messages not yet polled at SIGTERM are still in Kafka: a restart picks
     * them up from the store's positions, and nothing is stored twice. */
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "1000"), 120), 0);
    uint64_t q;
    assert_exactly_once(store, &in, in.n, &q);
    ck_assert_uint_eq(q, 20);
    finish(&m, &in, store);
}
END_TEST


/* The group's committed offsets summed over the partitions (a partition
 * without one, such as an empty one, counts 0); -1 if Kafka did not say. */
static int64_t committed_total(const struct mock *m, const char *group)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", m->boot, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", group, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    ck_assert_msg(rk, "rd_kafka_new: %s", errstr);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(PARTITIONS);
    for (int i = 0; i < PARTITIONS; i++)
        rd_kafka_topic_partition_list_add(l, TOPIC, i);
    int64_t total = -1;
    if (rd_kafka_committed(rk, l, 10000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        total = 0;
        for (int i = 0; i < l->cnt; i++)
            total += l->elems[i].offset > 0 ? l->elems[i].offset : 0;
    }
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return total;
}

/* A topic that goes quiet: the last batch is acknowledged to Kafka while
 * the collector waits for more, not only when the next batch arrives (a
 * group's lag would never clear on a quiet partition). */
START_TEST(test_kafka_quiet_topic_commits_offsets)
{
    struct mock m;
    mock_start(&m);
    struct input in = samples();
    produce(&m, &in, 0, in.n);
    char *store = gl_test_tmpdir("kafka-quiet");
    pid_t pid = collector_spawn(&m, store, false, "100000");
    int64_t got = -1;
    for (int i = 0; i < 300 && got != (int64_t)in.n; i++) {
        gl_test_sleep_ms(100);
        got = committed_total(&m, "grantline-it");
    }
    kill(pid, SIGTERM);
    ck_assert_int_eq(wait_exit(pid, 60), 0);
    ck_assert_msg(got == (int64_t)in.n, "committed %lld of %zu while idle", (long long)got,
                  in.n);
    uint64_t q;
    assert_exactly_once(store, &in, in.n, &q);
    finish(&m, &in, store);
}
END_TEST

/* Input that pauses is committed at once when the writer is free, not
 * --batch-ms (here ten minutes) after the batch began: the store has every
 * event, and Kafka its offsets, while the collector still runs. */
START_TEST(test_kafka_pause_commits_at_once)
{
    struct mock m;
    mock_start(&m);
    struct input in = samples();
    produce(&m, &in, 0, in.n);
    char *store = gl_test_tmpdir("kafka-pause");
    const char *extra[] = {"--batch", "100000", "-q", NULL};
    pid_t pid = collector_spawn_with(&m, store, "600000", extra, NULL);
    int64_t got = -1;
    for (int i = 0; i < 300 && got != (int64_t)in.n; i++) {
        gl_test_sleep_ms(100);
        got = committed_total(&m, "grantline-it");
    }
    ck_assert_msg(got == (int64_t)in.n, "committed %lld of %zu", (long long)got, in.n);
    uint64_t q;
    ck_assert_uint_eq(assert_exactly_once(store, &in, in.n, &q), 9);
    ck_assert_uint_eq(q, count_invalid(&in, in.n));
    kill(pid, SIGTERM);
    ck_assert_int_eq(wait_exit(pid, 60), 0);
    finish(&m, &in, store);
}
END_TEST

/* A collector killed before Kafka saw its offsets, then started while the
 * brokers are unreachable: once they answer, the store's positions (named
 * by the cluster's id) still win, so nothing is read twice, not even a
 * refused message (a quarantine entry without its cluster is no repeat). */
START_TEST(test_kafka_start_while_brokers_down)
{
    struct mock m;
    mock_start(&m);
    struct input in = samples();
    size_t half = in.n / 2;
    produce(&m, &in, 0, half);
    char *store = gl_test_tmpdir("kafka-down");
    kill_when_stored(collector_spawn(&m, store, false, "50"), store, 100);
    produce(&m, &in, half, in.n);
    ck_assert_int_eq(rd_kafka_mock_broker_set_down(m.mc, -1), 0);
    pid_t pid = collector_spawn(&m, store, true, "50");
    gl_test_sleep_ms(12000); /* past the collector's 10 s wait for the cluster's id */
    ck_assert_int_eq(rd_kafka_mock_broker_set_up(m.mc, -1), 0);
    ck_assert_int_eq(wait_exit(pid, 120), 0);
    assert_all_once(store, &in);
    finish(&m, &in, store);
}
END_TEST

/* The sorted ids a store holds. */
static struct ids store_ids(const char *store)
{
    struct gl_store *st;
    struct gl_error err;
    ck_assert_msg(gl_store_open(store, GL_STORE_RDONLY, 0, &st, &err) == GL_OK, "%s", err.msg);
    struct ids ids = {0};
    ck_assert_int_eq(gl_store_scan_events(st, collect_id, &ids, &err), GL_OK);
    gl_store_close(st);
    qsort(ids.v, ids.n, sizeof *ids.v, cmp_str);
    return ids;
}

static bool has_id(const struct ids *ids, const char *id)
{
    return bsearch(&id, ids->v, ids->n, sizeof *ids->v, cmp_str) != NULL;
}

static void free_ids(struct ids *ids)
{
    for (size_t i = 0; i < ids->n; i++)
        free(ids->v[i]);
    free(ids->v);
}

/* A partition that goes from collector A to collector B (another store,
 * the same group) and back: A resumes where B's store committed, not at
 * its own older position, so what B stored meanwhile lands in one store
 * only (before, all of it landed in both). */
START_TEST(test_kafka_partition_returns)
{
    struct mock m;
    mock_start(&m);
    struct input in = samples();
    size_t third = in.n / 3;
    char *a = gl_test_tmpdir("kafka-return-a"), *b = gl_test_tmpdir("kafka-return-b");
    produce(&m, &in, 0, third);
    ck_assert_int_eq(wait_exit(collector_spawn(&m, a, true, "50"), 120), 0);
    produce(&m, &in, third, 2 * third);
    ck_assert_int_eq(wait_exit(collector_spawn(&m, b, true, "50"), 120), 0);
    produce(&m, &in, 2 * third, in.n);
    ck_assert_int_eq(wait_exit(collector_spawn(&m, a, true, "50"), 120), 0);

    struct ids ia = store_ids(a), ib = store_ids(b);
    for (size_t i = 0; i < ia.n; i++)
        ck_assert_msg(!has_id(&ib, ia.v[i]), "event %s is in both stores", ia.v[i]);
    for (size_t i = 0; i < in.n; i++) {
        if (!in.v[i].id)
            continue;
        bool in_b = i >= third && i < 2 * third;
        /* an id sent in several thirds may be in either store */
        ck_assert_msg(has_id(&ia, in.v[i].id) || has_id(&ib, in.v[i].id), "event %s was lost",
                      in.v[i].id);
        if (in_b)
            ck_assert_msg(has_id(&ib, in.v[i].id), "event %s of the second third is not in B",
                          in.v[i].id);
    }
    ck_assert_uint_gt(ib.n, 0);
    free_ids(&ia);
    free_ids(&ib);
    free_lines(&in);
    free(a);
    free(b);
    mock_stop(&m);
}
END_TEST

/* A store put back from an older copy: Kafka's committed offsets, which
 * this store itself committed, are past its positions. It reads the gap
 * again instead of skipping to them (the events it lost with the copy
 * would be lost for good). */
START_TEST(test_kafka_store_put_back)
{
    struct mock m;
    mock_start(&m);
    struct input in = samples();
    size_t half = in.n / 2;
    char *store = gl_test_tmpdir("kafka-putback");
    produce(&m, &in, 0, half);
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "50"), 120), 0);
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "cp -a '%s' '%s.copy'", store, store);
    ck_assert_int_eq(system(cmd), 0);
    produce(&m, &in, half, in.n);
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "50"), 120), 0);
    ck_assert_int_eq(committed_total(&m, "grantline-it"), (int64_t)in.n);
    snprintf(cmd, sizeof cmd, "rm -rf '%s' && mv '%s.copy' '%s'", store, store, store);
    ck_assert_int_eq(system(cmd), 0);
    uint64_t q;
    assert_exactly_once(store, &in, half, &q);
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "50"), 120), 0);
    assert_all_once(store, &in);
    finish(&m, &in, store);
}
END_TEST

/* SIGTERM while the brokers are down, with offsets Kafka has not heard of:
 * the collector stores what it read and stops within seconds (librdkafka
 * waits for the coordinator about 45 s otherwise), and a later run, brokers
 * back, loses nothing and stores nothing twice. */
START_TEST(test_kafka_sigterm_while_brokers_down)
{
    struct mock m;
    mock_start(&m);
    struct input in = samples();
    size_t half = in.n / 2;
    produce(&m, &in, 0, half);
    char *store = gl_test_tmpdir("kafka-term-down");
    pid_t pid = collector_spawn(&m, store, false, "50");
    for (int i = 0; i < 300 && stored_events(store) < 100; i++)
        gl_test_sleep_ms(50);
    produce(&m, &in, half, in.n);
    uint64_t before = stored_events(store);
    for (int i = 0; i < 100 && stored_events(store) <= before; i++)
        gl_test_sleep_ms(50);
    ck_assert_int_eq(rd_kafka_mock_broker_set_down(m.mc, -1), 0);
    gl_test_sleep_ms(500);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    kill(pid, SIGTERM);
    ck_assert_int_eq(wait_exit(pid, 60), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_msg(t1.tv_sec - t0.tv_sec <= 15, "took %ld s to stop", (long)(t1.tv_sec - t0.tv_sec));
    ck_assert_int_eq(rd_kafka_mock_broker_set_up(m.mc, -1), 0);
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "50"), 120), 0);
    assert_all_once(store, &in);
    finish(&m, &in, store);
}
END_TEST

/* msgpack and JSON messages on one topic: the collector detects each. */
static void pack_str(msgpack_packer *pk, const char *s)
{
    msgpack_pack_str(pk, strlen(s));
    msgpack_pack_str_body(pk, s, strlen(s));
}

struct reasons {
    char all[4096];
};

static int collect_reason(const struct gl_quarantine_rec *q, void *arg)
{
    struct reasons *r = arg;
    size_t at = strlen(r->all);
    snprintf(r->all + at, sizeof r->all - at, "|%s|", q->reason);
    return 0;
}

START_TEST(test_kafka_msgpack_messages)
{
    struct mock m;
    mock_start(&m);
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", m.boot, errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    ck_assert(rk);
    for (int i = 0; i < 20; i++) {
        msgpack_sbuffer sb;
        msgpack_sbuffer_init(&sb);
        msgpack_packer pk;
        msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
        char id[32], task[32];
        snprintf(id, sizeof id, "mp-%03d", i);
        snprintf(task, sizeof task, "task-mp-%d", i % 3);
        msgpack_pack_map(&pk, 7);
        pack_str(&pk, "id");
        pack_str(&pk, id);
        pack_str(&pk, "ts");
        msgpack_pack_int64(&pk, 1767225600000LL + i * 1000); /* epoch ms */
        pack_str(&pk, "type");
        pack_str(&pk, "action.performed");
        pack_str(&pk, "workload");
        pack_str(&pk, "agent:msgpack-producer");
        pack_str(&pk, "task");
        pack_str(&pk, task);
        pack_str(&pk, "permission");
        msgpack_pack_map(&pk, 2);
        pack_str(&pk, "action");
        pack_str(&pk, "s3:GetObject");
        pack_str(&pk, "resource");
        pack_str(&pk, "arn:aws:s3:::bucket/key");
        pack_str(&pk, "decision");
        pack_str(&pk, i == 19 ? "maybe" : "allow"); /* the last one is refused */
        rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_VALUE(sb.data, sb.size),
                          RD_KAFKA_V_KEY("agent:msgpack-producer", 22), RD_KAFKA_V_END);
        msgpack_sbuffer_destroy(&sb);
    }
    /* one msgpack message with invalid UTF-8 in a string */
    const unsigned char bad[] = {0x81, 0xa2, 'i', 'd', 0xa2, 0xc3, 0x28};
    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                      RD_KAFKA_V_VALUE((void *)bad, sizeof bad), RD_KAFKA_V_END);
    /* a tombstone (no value at all) and an empty value, told apart */
    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_VALUE(NULL, 0),
                      RD_KAFKA_V_KEY("k", 1), RD_KAFKA_V_END);
    rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                      RD_KAFKA_V_VALUE("", 0), RD_KAFKA_V_KEY("k", 1), RD_KAFKA_V_END);
    ck_assert_int_eq(rd_kafka_flush(rk, 30000), 0);
    rd_kafka_destroy(rk);

    char *store = gl_test_tmpdir("kafka-msgpack");
    ck_assert_int_eq(wait_exit(collector_spawn(&m, store, true, "100"), 120), 0);
    struct gl_store *st;
    struct gl_error err;
    ck_assert(gl_store_open(store, GL_STORE_RDONLY, 0, &st, &err) == GL_OK);
    struct gl_store_stats s;
    ck_assert_int_eq(gl_store_stats(st, &s, &err), GL_OK);
    ck_assert_uint_eq(s.events, 19);
    ck_assert_uint_eq(s.quarantined, 4);
    struct reasons r = {0};
    ck_assert_int_eq(gl_store_scan_quarantine(st, collect_reason, &r, &err), GL_OK);
    ck_assert_msg(strstr(r.all, "tombstone: a message without a value") != NULL, "%s", r.all);
    ck_assert_msg(strstr(r.all, "|empty message|") != NULL, "%s", r.all);
    ck_assert_uint_eq(s.per_type[GL_EV_ACTION_PERFORMED], 19);
    ck_assert_uint_eq(s.first_ts, 1767225600000LL * 1000);
    gl_store_close(st);
    free(store);
    mock_stop(&m);
}
END_TEST

/* "fetch nudges: N" from a collector's -v log, -1 if absent. */
static long nudges_logged(const char *log)
{
    size_t len;
    char *all = gl_test_slurp(log, &len);
    const char *at = strstr(all, "fetch nudges: ");
    long n = at ? strtol(at + 14, NULL, 10) : -1;
    free(all);
    return n;
}

static pid_t collector_spawn_logged(const struct mock *m, const char *store, const char *log)
{
    const char *extra[] = {"-X", "queued.min.messages=2000", "-v", "--exit-at-end", NULL};
    return collector_spawn_with(m, store, "20", extra, log);
}

/* A prefetch queue far smaller than the topic: librdkafka 2.0.2 stops
 * fetching each time the queue is full and, left alone, looks again up to
 * 1 s later; the collector wakes it as the queue drains, whether the
 * message count or the byte limit filled it. Every event is still stored
 * once, and a run with nothing to read sends no request. */
START_TEST(test_kafka_prefetch_nudged)
{
    struct mock m;
    mock_start(&m);
    enum { N = 12000 };
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", m.boot, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "linger.ms", "20", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    ck_assert(rk);
    for (int i = 0; i < N; i++) {
        char ev[400];
        int len = snprintf(ev, sizeof ev,
                           "{\"id\":\"nudge-%05d\",\"ts\":%lld,\"type\":\"action.performed\","
                           "\"workload\":\"agent:nudge-%d\",\"task\":\"task-n-%d\","
                           "\"permission\":{\"action\":\"s3:GetObject\",\"resource\":"
                           "\"arn:aws:s3:::bucket/k%d\"},\"decision\":\"allow\"}",
                           i, 1767225600000LL + i, i % 7, i % 50, i);
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(TOPIC), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_VALUE(ev, (size_t)len), RD_KAFKA_V_END);
        ck_assert_msg(e == 0, "produce: %s", rd_kafka_err2str(e));
    }
    ck_assert_int_eq(rd_kafka_flush(rk, 30000), 0);
    rd_kafka_destroy(rk);

    char *store = gl_test_tmpdir("kafka-nudge");
    char log[4200];
    snprintf(log, sizeof log, "%s.log", store);
    ck_assert_int_eq(wait_exit(collector_spawn_logged(&m, store, log), 120), 0);
    long sent = nudges_logged(log);
    ck_assert_msg(sent > 0, "fetch nudges: %ld", sent);
    struct gl_store *st;
    struct gl_error err;
    ck_assert(gl_store_open(store, GL_STORE_RDONLY, 0, &st, &err) == GL_OK);
    struct gl_store_stats s;
    ck_assert_int_eq(gl_store_stats(st, &s, &err), GL_OK);
    ck_assert_uint_eq(s.events, N);
    ck_assert_uint_eq(s.quarantined, 0);
    gl_store_close(st);

    ck_assert_int_eq(wait_exit(collector_spawn_logged(&m, store, log), 120), 0);
    ck_assert_int_eq(nudges_logged(log), 0);

    /* a queue that fills by bytes first (64 KiB: ~230 of these events) */
    char *store2 = gl_test_tmpdir("kafka-nudge-bytes");
    const char *extra[] = {"-X",      "queued.max.messages.kbytes=64", "--group",
                           "grantline-it-bytes", "-v", "--exit-at-end", NULL};
    ck_assert_int_eq(wait_exit(collector_spawn_with(&m, store2, "20", extra, log), 120), 0);
    sent = nudges_logged(log);
    ck_assert_msg(sent > 0, "fetch nudges: %ld", sent);
    ck_assert(gl_store_open(store2, GL_STORE_RDONLY, 0, &st, &err) == GL_OK);
    ck_assert_int_eq(gl_store_stats(st, &s, &err), GL_OK);
    ck_assert_uint_eq(s.events, N);
    gl_store_close(st);
    unlink(log);
    free(store2);
    free(store);
    mock_stop(&m);
}
END_TEST

static Suite *kafka_suite(void)
{
    Suite *s = suite_create("kafka_ingest");
    TCase *tc = tcase_create("mock_cluster");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_kafka_every_event_once);
    tcase_add_test(tc, test_kafka_config_file);
    tcase_add_test(tc, test_kafka_restart_midstream);
    tcase_add_test(tc, test_kafka_second_cluster);
    tcase_add_test(tc, test_kafka_log_replaced);
    tcase_add_test(tc, test_kafka_sigkill_loses_nothing);
    tcase_add_test(tc, test_kafka_sigterm_finishes_batch);
    tcase_add_test(tc, test_kafka_quiet_topic_commits_offsets);
    tcase_add_test(tc, test_kafka_start_while_brokers_down);
    tcase_add_test(tc, test_kafka_msgpack_messages);
    tcase_add_test(tc, test_kafka_partition_returns);
    tcase_add_test(tc, test_kafka_store_put_back);
    tcase_add_test(tc, test_kafka_sigterm_while_brokers_down);
    tcase_add_test(tc, test_kafka_prefetch_nudged);
    tcase_add_test(tc, test_kafka_pause_commits_at_once);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return gl_test_run(kafka_suite());
}
