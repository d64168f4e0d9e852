/* Shared helpers for Check tests: temporary directories under the build
 * tree, reading test data files, sleeping and running a suite. Header-only
 * so each test stays one file. */
#ifndef GL_TEST_HELPERS_H
#define GL_TEST_HELPERS_H

#include <check.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Creates a fresh directory under the build tree; caller frees the path. */
static inline char *gl_test_tmpdir(const char *tag)
{
    char tmpl[4096];
    snprintf(tmpl, sizeof tmpl, "%s/test-tmp", GL_BUILD_DIR);
    mkdir(tmpl, 0700);
    snprintf(tmpl, sizeof tmpl, "%s/test-tmp/%s-XXXXXX", GL_BUILD_DIR, tag);
    char *d = mkdtemp(tmpl);
    ck_assert_msg(d != NULL, "mkdtemp failed");
    return strdup(d);
}

/* Reads a whole file; caller frees. Sets *len. */
static inline char *gl_test_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert(buf != NULL);
    ck_assert_int_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    if (len)
        *len = (size_t)n;
    return buf;
}

static inline void gl_test_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};
    nanosleep(&ts, NULL);
}

/* Runs every test of 's' (freed here); the exit status for main. */
static inline int gl_test_run(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
