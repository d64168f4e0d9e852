/* Unit tests for lib/log.c: lines from many threads never mix (librdkafka
 * logs from its own threads), JSON lines stay valid when a message is cut,
 * and text lines end with one newline. */
#include "grantline/log.h"

#include "check_helpers.h"

#include <check.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { THREADS = 4, LINES = 400 };

static void *logger(void *arg)
{
    char big[600];
    memset(big, 'a' + (int)(long)arg, sizeof big - 1);
    big[sizeof big - 1] = '\0';
    for (int i = 0; i < LINES; i++)
        gl_log(GL_LOG_WARN, "kafka", "thread %ld line %d \"quoted\" %s", (long)arg, i, big);
    return NULL;
}

/* Runs fn with stderr sent to a file; returns the file's text (malloc'd). */
static char *capture(void (*fn)(void))
{
    char *dir = gl_test_tmpdir("log");
    char path[4200];
    snprintf(path, sizeof path, "%s/stderr", dir);
    int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    ck_assert_int_ge(fd, 0);
    int saved = dup(STDERR_FILENO);
    dup2(fd, STDERR_FILENO);
    fn();
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    char *text = calloc(1, 8 << 20);
    size_t n = fread(text, 1, (8 << 20) - 1, f);
    text[n] = '\0';
    fclose(f);
    free(dir);
    return text;
}

static void many_threads(void)
{
    pthread_t t[THREADS];
    for (long i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, logger, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
}

START_TEST(test_json_lines_never_mix)
{
    gl_log_setup(GL_LOG_INFO, 1);
    char *text = capture(many_threads);
    int lines = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        lines++;
        ck_assert_msg(strncmp(line, "{\"time\":\"", 9) == 0, "line starts: %.60s", line);
        size_t n = strlen(line);
        ck_assert_msg(n > 2 && strcmp(line + n - 2, "\"}") == 0, "line ends: %s", line + n - 20);
        /* one thread's letters only: no piece of another line inside */
        char *a = strstr(line, "\\\"quoted\\\" ");
        ck_assert_ptr_nonnull(a);
        a += strlen("\\\"quoted\\\" ");
        for (char *p = a; *p != '"'; p++)
            ck_assert_int_eq(*p, *a);
    }
    ck_assert_int_eq(lines, THREADS * LINES);
    free(text);
}
END_TEST

static void long_message(void)
{
    char *big = malloc(10000);
    memset(big, '"', 9999); /* every byte needs an escape */
    big[9999] = '\0';
    gl_log(GL_LOG_ERROR, "store", "%s", big);
    free(big);
}

START_TEST(test_cut_json_line_stays_valid)
{
    gl_log_setup(GL_LOG_INFO, 1);
    char *text = capture(long_message);
    size_t n = strlen(text);
    ck_assert_uint_gt(n, 100);
    ck_assert_int_eq(text[n - 1], '\n');
    ck_assert_ptr_null(memchr(text, '\n', n - 1)); /* one line */
    ck_assert_int_eq(strncmp(text + n - 3, "\"}", 2), 0);
    /* no escape cut in half: the msg ends with whole \" pairs */
    ck_assert_int_eq(text[n - 4], '"');
    ck_assert_int_eq(text[n - 5], '\\');
    free(text);
}
END_TEST

START_TEST(test_cut_text_line_is_one_line)
{
    gl_log_setup(GL_LOG_INFO, 0);
    char *text = capture(long_message);
    size_t n = strlen(text);
    ck_assert_int_eq(text[n - 1], '\n');
    ck_assert_ptr_null(memchr(text, '\n', n - 1));
    free(text);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("log");
    TCase *tc = tcase_create("lines");
    tcase_add_test(tc, test_json_lines_never_mix);
    tcase_add_test(tc, test_cut_json_line_stays_valid);
    tcase_add_test(tc, test_cut_text_line_is_one_line);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
