/* The findings feed to a SIEM over the real Kafka protocol (librdkafka's
 * mock cluster in this process): findings arrive keyed by workload, a rerun
 * with --new-only publishes nothing, a finding that goes away is published
 * once more as resolved, and a sink that cannot deliver fails the run
 * without moving the state on. */
#include "../unit/check_helpers.h"

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/wait.h>

extern char **environ;

static int run(char *const argv[])
{
    pid_t pid;
    ck_assert_int_eq(posix_spawn(&pid, argv[0], NULL, NULL, argv, environ), 0);
    int status;
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool contains(const void *buf, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; n <= len && i <= len - n; i++)
        if (memcmp((const char *)buf + i, needle, n) == 0)
            return true;
    return false;
}

/* Reads the whole topic; counts messages and those containing 'needle'. */
static int consume(const char *boot, const char *topic, const char *needle, int *matching,
                   int *keyed)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", boot, errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "group.id", "check-sink", errstr, sizeof errstr);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof errstr);
    ck_assert(rk);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(2);
    rd_kafka_topic_partition_list_add(l, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_topic_partition_list_add(l, topic, 1)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    int n = 0, eofs = 0;
    *matching = 0;
    *keyed = 0;
    for (int i = 0; i < 300 && eofs < 2; i++) {
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eofs++;
        } else if (!m->err) {
            n++;
            *keyed += m->key_len > 0;
            if (needle && contains(m->payload, m->len, needle))
                (*matching)++;
        }
        rd_kafka_message_destroy(m);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    ck_assert_int_eq(eofs, 2);
    return n;
}

START_TEST(test_sink_new_only_and_resolved)
{
    char errstr[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "2", errstr, sizeof errstr);
    rd_kafka_t *owner = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(owner, 1);
    ck_assert_int_eq(rd_kafka_mock_topic_create(mc, "findings", 2, 1), 0);
    const char *boot = rd_kafka_mock_cluster_bootstraps(mc);

    char *dir = gl_test_tmpdir("sink");
    char store[4200], state[4200], url[512], fix[4200];
    snprintf(store, sizeof store, "%s/store", dir);
    snprintf(state, sizeof state, "%s/siem.state", dir);
    snprintf(fix, sizeof fix, "%s/fix.ndjson", dir);
    snprintf(url, sizeof url, "kafka://%s/findings", boot);
    char *collect[] = {GL_BUILD_DIR "/collector/grantline-collector", "-q", "--input",
                       GL_SOURCE_DIR "/samples/agents.ndjson", "--store", store, NULL};
    ck_assert_int_eq(run(collect), 0);
    char *feed[] = {GL_BUILD_DIR "/analyzer/grantline-analyzer", "findings", "--store", store,
                    "--format", "ocsf", "--new-only", "--state", state, "--sink", url, NULL};
    ck_assert_int_eq(run(feed), 0);
    int resolved, keyed;
    ck_assert_int_eq(consume(boot, "findings", "\"class_uid\":2004", &resolved, &keyed), 24);
    ck_assert_int_eq(resolved, 24); /* every message is an OCSF Detection Finding */
    ck_assert_int_eq(keyed, 24);    /* keyed by workload */

    /* nothing changed: nothing published */
    ck_assert_int_eq(run(feed), 0);
    ck_assert_int_eq(consume(boot, "findings", NULL, &resolved, &keyed), 24);

    /* the forgotten pilot key is finally revoked: its stale and unused
     * credential findings go away and are published once as resolved */
    FILE *f = fopen(fix, "w");
    fputs("{\"id\":\"fix-1\",\"ts\":\"2026-03-15T04:00:00Z\",\"type\":\"credential.revoked\","
          "\"workload\":\"agent:meeting-summarizer\",\"credential\":{\"id\":"
          "\"cred-meeting-summarizer-pilot\"}}\n",
          f);
    fclose(f);
    char *collect_fix[] = {GL_BUILD_DIR "/collector/grantline-collector", "-q", "--input", fix,
                           "--store", store, NULL};
    ck_assert_int_eq(run(collect_fix), 0);
    ck_assert_int_eq(run(feed), 0);
    ck_assert_int_eq(consume(boot, "findings", "\"status\":\"Resolved\"", &resolved, &keyed), 26);
    ck_assert_int_eq(resolved, 2);
    ck_assert_int_eq(run(feed), 0); /* and only once */
    ck_assert_int_eq(consume(boot, "findings", NULL, &resolved, &keyed), 26);

    /* an unreachable sink fails the run and leaves the state alone */
    size_t before_len, after_len;
    char *before = gl_test_slurp(state, &before_len);
    char *bad[] = {GL_BUILD_DIR "/analyzer/grantline-analyzer", "findings", "--store", store,
                   "--new-only", "--state", state, "--rule", "GL-005", "--sink",
                   "kafka://127.0.0.1:1/findings", "-X", "message.timeout.ms=1500", NULL};
    /* make something new for it to send: forget the state's GL-005 lines */
    FILE *w = fopen(state, "w");
    for (char *line = strtok(before, "\n"); line; line = strtok(NULL, "\n"))
        if (!strstr(line, "\"rule\":\"GL-005\""))
            fprintf(w, "%s\n", line);
    fclose(w);
    free(before);
    before = gl_test_slurp(state, &before_len);
    ck_assert_int_eq(run(bad), 3);
    char *after = gl_test_slurp(state, &after_len);
    ck_assert_uint_eq(before_len, after_len);
    ck_assert(memcmp(before, after, before_len) == 0);
    free(before);
    free(after);
    free(dir);
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(owner);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("kafka_sink");
    TCase *tc = tcase_create("mock_cluster");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_sink_new_only_and_resolved);
    suite_add_tcase(s, tc);
    return gl_test_run(s);
}
