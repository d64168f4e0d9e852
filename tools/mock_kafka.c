/* grantline-mock-kafka: librdkafka's mock cluster (the real Kafka protocol on
 * loopback) as a stand-alone process, for the demo, tests and benchmarks.
 * Prints the bootstrap servers on stdout, then serves until SIGINT/SIGTERM. */
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: grantline-mock-kafka [--brokers N] [--topic T[,T...]] [--partitions P]\n"
                 "Starts librdkafka's mock Kafka cluster on 127.0.0.1, creates the topics,\n"
                 "prints the bootstrap servers (one line on stdout) and serves until SIGINT\n"
                 "or SIGTERM. For demos and tests only: the mock keeps data in memory and\n"
                 "drops the oldest data of a partition beyond about 5 MiB.\n"
                 "\nExample:\n"
                 "  boot=$(grantline-mock-kafka --topic nhi-events --partitions 4 & ...)\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"brokers", required_argument, 0, 'b'},
        {"topic", required_argument, 0, 't'},
        {"partitions", required_argument, 0, 'p'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, 'V'},
        {0, 0, 0, 0},
    };
    int brokers = 1, partitions = 4;
    const char *topics = "nhi-events";
    int c;
    while ((c = getopt_long(argc, argv, "b:t:p:hV", opts, NULL)) != -1) {
        switch (c) {
        case 'b':
            brokers = atoi(optarg);
            break;
        case 't':
            topics = optarg;
            break;
        case 'p':
            partitions = atoi(optarg);
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("grantline-mock-kafka %s (librdkafka %s)\n", GL_VERSION, rd_kafka_version_str());
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (brokers < 1 || partitions < 1) {
        usage(stderr);
        return 2;
    }
    char errstr[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "log_level", "3", errstr, sizeof errstr);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof errstr);
    if (!rk) {
        fprintf(stderr, "grantline-mock-kafka: %s\n", errstr);
        return 3;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
    if (!mc) {
        fprintf(stderr, "grantline-mock-kafka: cannot create the mock cluster\n");
        rd_kafka_destroy(rk);
        return 3;
    }
    char list[1024];
    snprintf(list, sizeof list, "%s", topics);
    for (char *save = NULL, *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(mc, t, partitions, 1);
        if (err) {
            fprintf(stderr, "grantline-mock-kafka: topic %s: %s\n", t, rd_kafka_err2str(err));
            rd_kafka_mock_cluster_destroy(mc);
            rd_kafka_destroy(rk);
            return 3;
        }
    }
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    while (!stop)
        pause();
    /* The cluster must go before the handle that owns it (librdkafka 2.0 asserts). */
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
