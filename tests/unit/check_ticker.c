/* Unit tests for lib/ticker.c: no call while off, calls again and again
 * while on, off returns only once a running call has ended, and freeing
 * stops a ticker that is on. */
#include "check_helpers.h"

#include "grantline/ticker.h"

#include <stdatomic.h>
#include <time.h>

struct counter {
    atomic_int calls;
    atomic_int inside; /* 1 while a call runs */
    long call_ms;      /* how long a call takes */
};

static void count(void *arg)
{
    struct counter *c = arg;
    atomic_store(&c->inside, 1);
    gl_test_sleep_ms(c->call_ms);
    atomic_fetch_add(&c->calls, 1);
    atomic_store(&c->inside, 0);
}

START_TEST(test_on_off)
{
    struct counter c = {.call_ms = 0};
    struct gl_ticker *t;
    struct gl_error err;
    ck_assert_int_eq(gl_ticker_new(count, &c, 1, "gl-test", &t, &err), GL_OK);
    gl_test_sleep_ms(20);
    ck_assert_int_eq(atomic_load(&c.calls), 0); /* made off */
    gl_ticker_on(t);
    for (int i = 0; i < 500 && atomic_load(&c.calls) < 3; i++)
        gl_test_sleep_ms(10);
    ck_assert_int_ge(atomic_load(&c.calls), 3);
    gl_ticker_off(t);
    int after = atomic_load(&c.calls);
    gl_test_sleep_ms(30);
    ck_assert_int_eq(atomic_load(&c.calls), after);
    gl_ticker_on(t); /* on again */
    for (int i = 0; i < 500 && atomic_load(&c.calls) < after + 2; i++)
        gl_test_sleep_ms(10);
    ck_assert_int_ge(atomic_load(&c.calls), after + 2);
    gl_ticker_free(t); /* while on */
    gl_ticker_free(NULL);
}
END_TEST

START_TEST(test_off_waits_for_the_call)
{
    struct counter c = {.call_ms = 40};
    struct gl_ticker *t;
    struct gl_error err;
    ck_assert_int_eq(gl_ticker_new(count, &c, 1000, "gl-test", &t, &err), GL_OK);
    gl_ticker_on(t);
    for (int i = 0; i < 500 && !atomic_load(&c.inside); i++)
        gl_test_sleep_ms(1);
    ck_assert_int_eq(atomic_load(&c.inside), 1);
    gl_ticker_off(t);
    ck_assert_int_eq(atomic_load(&c.inside), 0);
    ck_assert_int_eq(atomic_load(&c.calls), 1);
    gl_ticker_free(t);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ticker");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_on_off);
    tcase_add_test(tc, test_off_waits_for_the_call);
    suite_add_tcase(s, tc);
    return gl_test_run(s);
}
