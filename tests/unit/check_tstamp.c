/* Unit tests for lib/tstamp.c: RFC 3339 parsing and formatting, durations.
 * Expected microsecond values were computed independently with Python's
 * datetime (timezone-aware, proleptic Gregorian) and are hard-coded here. */
#include "grantline/error.h"
#include "grantline/tstamp.h"

#include "check_helpers.h"

#include <check.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* 2024-05-01T12:00:00Z */
#define T0 INT64_C(1714564800000000)

/* --- gl_tstamp_parse: valid forms --- */

struct valid_case {
    const char *in;
    int64_t us;
};

static const struct valid_case valid_cases[] = {
    /* zone designators and separators */
    {"2024-05-01T12:00:00Z", T0},
    {"2024-05-01T12:00:00z", T0},
    {"2024-05-01t12:00:00Z", T0},
    {"2024-05-01t12:00:00z", T0},
    {"2024-05-01 12:00:00Z", T0},
    {"2024-05-01T12:00:00+00:00", T0},
    {"2024-05-01T12:00:00-00:00", T0},
    {"2024-05-01T14:00:00+02:00", T0},
    {"2024-05-01T06:30:00-05:30", T0},
    {"2024-05-02T02:00:00+14:00", T0},
    {"2024-05-01T00:00:00-12:00", T0},
    {"2024-05-01 13:00:00+01:00", T0},
    {"2024-01-01T00:30:00+01:00", INT64_C(1704065400000000)}, /* crosses a year */
    {"1999-12-31T23:59:59.999999-23:59", INT64_C(946771139999999)},
    {"0001-01-01T23:59:59+23:59", INT64_C(-62135596741000000)},
    /* fraction digits 0..9, truncated below a microsecond */
    {"2024-05-01T12:00:00.0Z", T0},
    {"2024-05-01T12:00:00.1Z", T0 + 100000},
    {"2024-05-01T12:00:00.12Z", T0 + 120000},
    {"2024-05-01T12:00:00.123Z", T0 + 123000},
    {"2024-05-01T12:00:00.1234Z", T0 + 123400},
    {"2024-05-01T12:00:00.12345Z", T0 + 123450},
    {"2024-05-01T12:00:00.123456Z", T0 + 123456},
    {"2024-05-01T12:00:00.1234567Z", T0 + 123456},
    {"2024-05-01T12:00:00.12345678Z", T0 + 123456},
    {"2024-05-01T12:00:00.123456789Z", T0 + 123456},
    {"2024-05-01T12:00:00.999999999Z", T0 + 999999},
    {"2024-05-01T12:00:00.000000999Z", T0},
    {"2024-05-01T12:00:00.000001Z", T0 + 1},
    {"2024-05-01T12:00:00.000000000Z", T0},
    {"2024-05-01T12:00:00.5+02:00", INT64_C(1714557600500000)},
    {"2024-05-01T12:00:00.1+02:00", INT64_C(1714557600100000)},
    {"2024-05-01T12:00:00.12-05:30", INT64_C(1714584600120000)},
    {"2024-06-30T08:15:00.12345678+05:45", INT64_C(1719714600123456)},
    /* leap second: read as hh:mm:59.999999 */
    {"2016-12-31T23:59:60Z", INT64_C(1483228799999999)},
    {"2016-12-31T23:59:60.5Z", INT64_C(1483228799999999)},
    {"2017-01-01T08:59:60+09:00", INT64_C(1483228799999999)},
    /* leap years */
    {"2024-02-29T00:00:00Z", INT64_C(1709164800000000)},
    {"2024-02-29T23:59:59.1234+14:00", INT64_C(1709200799123400)},
    {"2000-02-29T12:34:56.789Z", INT64_C(951827696789000)},
    {"2000-02-29T00:00:00.12345-12:00", INT64_C(951825600123450)},
    /* range ends and dates before 1970 */
    {"0001-01-01T00:00:00Z", INT64_C(-62135596800000000)},
    {"9999-12-31T23:59:59.999999Z", INT64_C(253402300799999999)},
    {"9999-12-31T23:59:59.999Z", INT64_C(253402300799999000)},
    {"1970-01-01T00:00:00Z", 0},
    {"1970-01-01T00:00:00.000001Z", 1},
    {"1969-12-31T23:59:59.999999Z", -1},
    {"1969-12-31T23:59:59.9999999Z", -1},
    {"1969-12-31T23:59:59.5Z", -500000},
    {"1969-07-20T20:17:40Z", INT64_C(-14182940000000)},
    {"1900-01-01T00:00:00Z", INT64_C(-2208988800000000)},
    {"2024-12-31T23:59:59.123456-00:00", INT64_C(1735689599123456)},
};

START_TEST(test_tstamp_parse_valid)
{
    const struct valid_case *c = &valid_cases[_i];
    int64_t us = INT64_C(0x5a5a5a5a5a5a5a5a);
    const char *why = NULL;
    int rc = gl_tstamp_parse(c->in, strlen(c->in), &us, &why);
    ck_assert_msg(rc == GL_OK, "case %d '%s': rc=%d, why=%s", _i, c->in, rc, why ? why : "(null)");
    ck_assert_msg(us == c->us, "case %d '%s': got %" PRId64 ", expected %" PRId64, _i, c->in, us,
                  c->us);
}
END_TEST

/* --- gl_tstamp_parse: invalid forms --- */

struct invalid_case {
    const char *in;
    int len; /* -1: strlen(in) */
};

static const struct invalid_case invalid_cases[] = {
    {"2024-05-01T12:00:00", -1},            /* no zone */
    {"2024-05-01T12:00:00.123456", -1},     /* no zone, with fraction */
    {"2024-05-01T12:00:00.123456789", -1},  /* no zone, long fraction */
    {"2024-05-01T12:00:00UTC", -1},         /* zone name, not designator */
    {"2024-13-01T12:00:00Z", -1},           /* month 13 */
    {"2024-00-10T12:00:00Z", -1},           /* month 0 */
    {"2024-05-32T12:00:00Z", -1},           /* day 32 */
    {"2024-01-32T12:00:00Z", -1},           /* day 32 in a 31-day month */
    {"2024-05-00T12:00:00Z", -1},           /* day 0 */
    {"2023-02-29T12:00:00Z", -1},           /* not a leap year */
    {"1900-02-29T00:00:00Z", -1},           /* century, not a leap year */
    {"2100-02-29T00:00:00Z", -1},           /* century, not a leap year */
    {"2024-02-30T12:00:00Z", -1},           /* Feb 30 */
    {"2024-04-31T12:00:00Z", -1},           /* Apr 31 */
    {"2024-06-31T00:00:00Z", -1},           /* Jun 31 */
    {"2024-05-01T24:00:00Z", -1},           /* hour 24 */
    {"2024-05-01T12:60:00Z", -1},           /* minute 60 */
    {"2024-05-01T12:00:61Z", -1},           /* second 61 */
    {"2024-05-01T12:00:00.1234567890Z", -1}, /* 10 fraction digits */
    {"2024-05-01T12:00:00.Z", -1},          /* empty fraction */
    {"2024-05-01T12:00:00.+01:00", -1},     /* empty fraction, offset */
    {"2024-05-01T12:00Z", -1},              /* missing seconds */
    {"2024-05-01T12:00+01:00", -1},         /* missing seconds, offset */
    {"2024-05-01T12:00:00Zx", -1},          /* trailing garbage */
    {"2024-05-01T12:00:00Z ", -1},          /* trailing space */
    {"2024-05-01T12:00:00Z\n", -1},         /* trailing newline */
    {"2024-05-01T12:00:00+01:00Z", -1},     /* two zones */
    {"2024-05-01T12:00:00.5Zx", -1},        /* trailing garbage after fraction */
    {"2024-05-01T12:00:00+24:00", -1},      /* offset hour 24 */
    {"2024-05-01T12:00:00-24:00", -1},      /* offset hour 24 */
    {"2024-05-01T12:00:00+02:60", -1},      /* offset minute 60 */
    {"2024-05-01T12:00:00+0200", -1},       /* offset without colon */
    {"2024-05-01T12:00:00+02", -1},         /* offset without minutes */
    {"2024-05-01T12:00:00+2:00", -1},       /* offset hour one digit */
    {"2024-05-01T12:00:00+", -1},           /* sign only */
    {"2024-05-01", -1},                     /* too short: date only */
    {"2024-05-01T", -1},                    /* too short */
    {"", -1},                               /* empty */
    {"Z", -1},                              /* too short */
    {"2024-5-1T12:00:00Z", -1},             /* one-digit month and day */
    {"24-05-01T12:00:00Z", -1},             /* two-digit year */
    {"2024/05/01T12:00:00Z", -1},           /* wrong date separator */
    {"2024-05-01X12:00:00Z", -1},           /* wrong date/time separator */
    {"2024-05-01_12:00:00Z", -1},           /* wrong date/time separator */
    {"2024-05-01T12.00.00Z", -1},           /* wrong time separator */
    {"2024-05-0aT12:00:00Z", -1},           /* letter in the day */
    {"+024-05-01T12:00:00Z", -1},           /* sign in the year */
    {" 2024-05-01T12:00:00Z", -1},          /* leading space */
    {"1714564800000", -1},                  /* epoch digits as a string */
    {"2024-05-01T12:00:00Z\0", 21},         /* NUL inside the given length */
    {"2024-05-01T12:00:00Z", 19},           /* length cuts the zone off */
    {"2024-05-01T12:00:00+01:00", 24},      /* length cuts the offset short */
};

START_TEST(test_tstamp_parse_invalid)
{
    const struct invalid_case *c = &invalid_cases[_i];
    size_t len = c->len < 0 ? strlen(c->in) : (size_t)c->len;
    int64_t us = 0;
    const char *why = NULL;
    int rc = gl_tstamp_parse(c->in, len, &us, &why);
    ck_assert_msg(rc == GL_ERR_INVALID, "case %d '%.*s' (len %zu): rc=%d (us=%" PRId64 "), want %d",
                  _i, (int)len, c->in, len, rc, us, GL_ERR_INVALID);
    ck_assert_msg(why != NULL && why[0] != '\0', "case %d '%.*s': no reason given", _i, (int)len,
                  c->in);
}
END_TEST

/* The parser reads exactly 'len' bytes: no NUL terminator needed, bytes past
 * len ignored. */
START_TEST(test_tstamp_parse_respects_len)
{
    const char buf[] = "2024-05-01T12:00:00.123456789Zgarbage";
    char exact[30];
    memcpy(exact, buf, 30); /* not NUL-terminated */
    int64_t us = 0;
    const char *why = NULL;
    ck_assert_int_eq(gl_tstamp_parse(exact, 30, &us, &why), GL_OK);
    ck_assert_int_eq(us, T0 + 123456);
    ck_assert_int_eq(gl_tstamp_parse(buf, 20, &us, &why), GL_ERR_INVALID); /* "...00.", no zone */
    ck_assert_int_eq(gl_tstamp_parse(buf, strlen(buf), &us, &why), GL_ERR_INVALID);

    const char zbuf[] = "2024-05-01T12:00:00Z+01:00";
    us = 0;
    ck_assert_int_eq(gl_tstamp_parse(zbuf, 20, &us, NULL), GL_OK);
    ck_assert_int_eq(us, T0);
}
END_TEST

/* A date and a time without a zone: the reason names the zone, the part a
 * user left out, not the length. */
START_TEST(test_tstamp_parse_names_missing_zone)
{
    int64_t us = 0;
    const char *why = NULL;
    ck_assert_int_eq(gl_tstamp_parse("2026-03-05T10:00:00", 19, &us, &why), GL_ERR_INVALID);
    ck_assert_ptr_nonnull(strstr(why, "time zone"));
}
END_TEST

START_TEST(test_tstamp_parse_null_why)
{
    int64_t us = 0;
    ck_assert_int_eq(gl_tstamp_parse("2024-13-01T12:00:00Z", 20, &us, NULL), GL_ERR_INVALID);
    ck_assert_int_eq(gl_tstamp_parse("short", 5, &us, NULL), GL_ERR_INVALID);
    ck_assert_int_eq(gl_tstamp_parse("2024-05-01T12:00:00Z", 20, &us, NULL), GL_OK);
    ck_assert_int_eq(us, T0);
}
END_TEST

/* --- gl_tstamp_format --- */

struct format_case {
    int64_t us;
    const char *out;
};

static const struct format_case format_cases[] = {
    {0, "1970-01-01T00:00:00Z"},
    {1, "1970-01-01T00:00:00.000001Z"},
    {-1, "1969-12-31T23:59:59.999999Z"},
    {-500000, "1969-12-31T23:59:59.500000Z"},
    {-1000000, "1969-12-31T23:59:59Z"},
    {INT64_C(-86400000000), "1969-12-31T00:00:00Z"},
    {INT64_C(-86400000001), "1969-12-30T23:59:59.999999Z"},
    {T0, "2024-05-01T12:00:00Z"},
    {T0 + 123456, "2024-05-01T12:00:00.123456Z"},
    {T0 + 100000, "2024-05-01T12:00:00.100000Z"},
    {T0 + 1, "2024-05-01T12:00:00.000001Z"},
    {INT64_C(1709164800000000), "2024-02-29T00:00:00Z"},
    {INT64_C(951827696789000), "2000-02-29T12:34:56.789000Z"},
    {INT64_C(1483228799999999), "2016-12-31T23:59:59.999999Z"},
    {INT64_C(-14182940000000), "1969-07-20T20:17:40Z"},
    {INT64_C(-2208988800000000), "1900-01-01T00:00:00Z"},
    {INT64_C(-62135596800000000), "0001-01-01T00:00:00Z"},
    {INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z"},
    {INT64_C(253402300799999000), "9999-12-31T23:59:59.999000Z"},
};

START_TEST(test_tstamp_format_exact)
{
    const struct format_case *c = &format_cases[_i];
    char out[32];
    memset(out, 'X', sizeof out);
    char *r = gl_tstamp_format(c->us, out);
    ck_assert_ptr_eq(r, out);
    ck_assert_msg(memchr(out, '\0', sizeof out) != NULL, "case %d: output not terminated", _i);
    ck_assert_msg(strcmp(out, c->out) == 0, "case %d (%" PRId64 "): got '%s', expected '%s'", _i,
                  c->us, out, c->out);
}
END_TEST

/* Format then parse gives the same value; whole seconds print without a
 * fraction, others with exactly 6 digits. */
static void check_roundtrip(int64_t us)
{
    char out[32];
    gl_tstamp_format(us, out);
    size_t n = strlen(out);
    const char *dot = strchr(out, '.');
    if (us % 1000000 == 0) {
        ck_assert_msg(dot == NULL, "%" PRId64 ": fraction not omitted: '%s'", us, out);
        ck_assert_msg(n == 20, "%" PRId64 ": '%s' has length %zu", us, out, n);
    } else {
        ck_assert_msg(dot != NULL && n == 27 && dot - out == 19,
                      "%" PRId64 ": expected a 6-digit fraction: '%s'", us, out);
    }
    ck_assert_msg(out[n - 1] == 'Z', "%" PRId64 ": '%s' does not end with Z", us, out);
    int64_t back = 0;
    const char *why = NULL;
    int rc = gl_tstamp_parse(out, n, &back, &why);
    ck_assert_msg(rc == GL_OK, "%" PRId64 ": '%s' does not parse back: %s", us, out,
                  why ? why : "?");
    ck_assert_msg(back == us, "%" PRId64 ": '%s' parses back as %" PRId64, us, out, back);
}

START_TEST(test_tstamp_format_roundtrip)
{
    static const int64_t fixed[] = {
        0,
        1,
        -1,
        999999,
        -999999,
        1000000,
        -1000000,
        -1000001,
        T0,
        T0 + 123456,
        INT64_C(-62135596800000000),
        INT64_C(-62135596799999999),
        INT64_C(253402300799999999),
        INT64_C(253402300799000000),
        INT64_C(951782400000000),  /* 2000-02-29 */
        INT64_C(951868799999999),  /* 2000-02-29T23:59:59.999999 */
        INT64_C(-2208988800000001),
        INT64_C(-14182940000000),
        INT64_C(4107542400000000), /* 2100-03-01 */
    };
    for (int i = 0; i < N_ELEMS(fixed); i++)
        check_roundtrip(fixed[i]);

    /* deterministic sweep over years 0001..9999, both whole and fractional */
    const int64_t lo = INT64_C(-62135596800000000), hi = INT64_C(253402300799999999);
    uint64_t x = UINT64_C(0x9e3779b97f4a7c15);
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int64_t v = lo + (int64_t)(x % (uint64_t)(hi - lo + 1));
        check_roundtrip(v);
        check_roundtrip(v - v % 1000000); /* whole seconds (toward zero) */
    }
}
END_TEST

/* --- gl_duration_parse --- */

static const struct {
    const char *in;
    int64_t us;
} duration_valid[] = {
    {"30d", INT64_C(2592000000000)},
    {"24h", INT64_C(86400000000)},
    {"5m", INT64_C(300000000)},
    {"90s", INT64_C(90000000)},
    {"1500ms", INT64_C(1500000)},
    {"2w", INT64_C(1209600000000)},
    {"0", 0},
    {"90", INT64_C(90000000)},
    {"1d", INT64_C(86400000000)},
    {"0s", 0},
};

START_TEST(test_duration_parse_valid)
{
    int64_t us = -12345;
    int rc = gl_duration_parse(duration_valid[_i].in, &us);
    ck_assert_msg(rc == GL_OK, "'%s': rc=%d", duration_valid[_i].in, rc);
    ck_assert_msg(us == duration_valid[_i].us, "'%s': got %" PRId64 ", expected %" PRId64,
                  duration_valid[_i].in, us, duration_valid[_i].us);
}
END_TEST

static const char *const duration_invalid[] = {
    "abc", "-5m", "5x", "", "m", "5mm", "5 m", "5M", "-1", "1e30d", "inf", "nan",
};

START_TEST(test_duration_parse_invalid)
{
    int64_t us = -12345;
    int rc = gl_duration_parse(duration_invalid[_i], &us);
    ck_assert_msg(rc == GL_ERR_INVALID, "'%s': rc=%d (us=%" PRId64 "), want GL_ERR_INVALID",
                  duration_invalid[_i], rc, us);
}
END_TEST

static Suite *tstamp_suite(void)
{
    Suite *s = suite_create("tstamp");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_tstamp_parse_valid, 0, N_ELEMS(valid_cases));
    tcase_add_loop_test(tc, test_tstamp_parse_invalid, 0, N_ELEMS(invalid_cases));
    tcase_add_test(tc, test_tstamp_parse_respects_len);
    tcase_add_test(tc, test_tstamp_parse_null_why);
    tcase_add_test(tc, test_tstamp_parse_names_missing_zone);
    suite_add_tcase(s, tc);

    tc = tcase_create("format");
    tcase_add_loop_test(tc, test_tstamp_format_exact, 0, N_ELEMS(format_cases));
    tcase_add_test(tc, test_tstamp_format_roundtrip);
    suite_add_tcase(s, tc);

    tc = tcase_create("duration");
    tcase_add_loop_test(tc, test_duration_parse_valid, 0, N_ELEMS(duration_valid));
    tcase_add_loop_test(tc, test_duration_parse_invalid, 0, N_ELEMS(duration_invalid));
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return gl_test_run(tstamp_suite());
}
