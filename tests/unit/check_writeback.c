/* Unit tests for lib/writeback.c: requests are made only between begin and
 * end, the file's data is unchanged by them, and the thread stops when
 * freed, also while a file is being written. */
#include "check_helpers.h"

#include "grantline/writeback.h"

#include <fcntl.h>
#include <time.h>
#include <unistd.h>

START_TEST(test_requests_between_begin_and_end)
{
    char *dir = gl_test_tmpdir("writeback");
    char path[4200];
    snprintf(path, sizeof path, "%s/data", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    struct gl_writeback *wb;
    struct gl_error err;
    ck_assert_int_eq(gl_writeback_new(&wb, &err), GL_OK);
    gl_test_sleep_ms(20);
    ck_assert_uint_eq(gl_writeback_requests(wb), 0); /* idle until begin */

    static char block[1 << 16];
    gl_writeback_begin(wb, fd);
    for (int i = 0; i < 256; i++) { /* 16 MiB, dirty in the page cache */
        memset(block, 'a' + i % 26, sizeof block);
        ck_assert_int_eq(write(fd, block, sizeof block), (ssize_t)sizeof block);
    }
    for (int i = 0; i < 500 && gl_writeback_requests(wb) < 2; i++)
        gl_test_sleep_ms(10);
    ck_assert_uint_ge(gl_writeback_requests(wb), 2); /* kicked again and again */
    gl_writeback_end(wb); /* returns with no request running */
    uint64_t after = gl_writeback_requests(wb);
    gl_test_sleep_ms(50);
    ck_assert_uint_eq(gl_writeback_requests(wb), after);
    ck_assert_int_eq(fdatasync(fd), 0);

    /* the data is what was written */
    ck_assert_int_eq(pread(fd, block, sizeof block, 255 * (off_t)sizeof block),
                     (ssize_t)sizeof block);
    ck_assert_int_eq(block[0], 'a' + 255 % 26);
    ck_assert_int_eq(block[sizeof block - 1], 'a' + 255 % 26);

    gl_writeback_begin(wb, fd); /* freed while active: the thread still ends */
    gl_writeback_free(wb);
    close(fd);
    unlink(path);
    rmdir(dir);
    free(dir);
}
END_TEST

START_TEST(test_bad_fd_is_harmless)
{
    struct gl_writeback *wb;
    struct gl_error err;
    ck_assert_int_eq(gl_writeback_new(&wb, &err), GL_OK);
    gl_writeback_begin(wb, 1 << 20); /* no such file: sync_file_range fails, nothing else */
    for (int i = 0; i < 300 && gl_writeback_requests(wb) < 2; i++)
        gl_test_sleep_ms(10);
    ck_assert_uint_ge(gl_writeback_requests(wb), 2);
    gl_writeback_end(wb);
    gl_writeback_free(wb);
    gl_writeback_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("writeback");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_requests_between_begin_and_end);
    tcase_add_test(tc, test_bad_fd_is_harmless);
    suite_add_tcase(s, tc);
    return gl_test_run(s);
}
