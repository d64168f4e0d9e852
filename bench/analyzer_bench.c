/* Analyzer benchmark (issue 3), one process, same events on both sides:
 *   timeline: one workload's events from the LMDB workload index, decoded
 *     (what 'timeline' reads), p50/p99 over 100 random workloads, against
 *     SQLite (table with an index on workload, ts) returning the same rows;
 *   the full timeline build (grants, coverage) for the same workloads;
 *   a bare scan of every stored event, decoded with msgpack-c and nothing
 *     else: the baseline for 'findings' (timed by bench/analyzer.sh around
 *     the real command); the same scan with the analyzer's record reader.
 * Usage: analyzer_bench STORE SQLITE_DB [N_WORKLOADS] */
#include "rules.h"

#include "grantline/tstamp.h"

#include <msgpack.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct scan {
    struct gl_decoder *dec;
    msgpack_zone zone;
    uint64_t n, bytes;
};

/* what the analyzer does with a record: read its fields in place */
static int on_ev(uint64_t seq, const void *rec, size_t len, void *arg)
{
    (void)seq;
    struct scan *s = arg;
    struct gl_event ev;
    struct gl_error err;
    if (gl_decoder_view_stored(s->dec, rec, len, &ev, &err))
        return -1;
    s->n++;
    s->bytes += ev.workload.len;
    return 0;
}

/* the baseline: decode each record with msgpack-c, nothing else */
static int on_raw(uint64_t seq, const void *rec, size_t len, void *arg)
{
    (void)seq;
    struct scan *s = arg;
    msgpack_zone_clear(&s->zone);
    msgpack_object o;
    size_t off = 0;
    if (msgpack_unpack(rec, len, &off, &s->zone, &o) != MSGPACK_UNPACK_SUCCESS)
        return -1;
    s->n++;
    s->bytes += o.via.map.size;
    return 0;
}

struct keys {
    char **v;
    size_t n, cap;
};

static int on_key(const char *k, size_t len, uint64_t count, void *arg)
{
    (void)count;
    struct keys *ks = arg;
    if (ks->n == ks->cap) {
        ks->cap = ks->cap ? ks->cap * 2 : 1024;
        ks->v = realloc(ks->v, ks->cap * sizeof *ks->v);
    }
    ks->v[ks->n++] = strndup(k, len);
    return 0;
}

static void report(const char *what, double *ms, int n, double *p50, double *p99)
{
    qsort(ms, (size_t)n, sizeof *ms, cmp_d);
    *p50 = ms[n / 2];
    *p99 = ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1];
    printf("%-44s p50 %8.3f ms   p99 %8.3f ms\n", what, *p50, *p99);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: analyzer_bench STORE SQLITE_DB [N]\n");
        return 2;
    }
    int n = argc > 3 ? atoi(argv[3]) : 100;
    setenv("GRANTLINE_SCHEMAS", GL_SCHEMAS, 0);
    struct gl_store *st;
    struct gl_error err = {0};
    if (gl_store_open(argv[1], GL_STORE_RDONLY, 0, &st, &err)) {
        fprintf(stderr, "%s\n", err.msg);
        return 3;
    }
    sqlite3 *db;
    if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
        return 3;
    }
    struct keys ks = {0};
    gl_store_scan_keys(st, GL_IDX_WORKLOAD, on_key, &ks, &err);
    srand(7);
    char **pick = malloc((size_t)n * sizeof *pick);
    for (int i = 0; i < n; i++)
        pick[i] = ks.v[rand() % ks.n];

    struct scan sc = {.dec = gl_decoder_new()};
    uint64_t rows_lmdb = 0, rows_sql = 0;
    sqlite3_stmt *q;
    sqlite3_prepare_v2(db, "SELECT id, ts, type, json FROM events WHERE workload = ?1 ORDER BY ts",
                       -1, &q, NULL);
    struct model m;
    model_init(&m, &st, 1, 0, false, &err);
    struct gl_arena *ar = gl_arena_new();
    struct wl w = {0};
    /* One warm-up round (page cache and SQLite's cache), then three rounds in
     * which each method runs over all the picked workloads in its own loop:
     * every query finds the store's pages in memory but not in the CPU
     * caches, the same for both sides. Samples of all rounds pooled. */
    const int rounds = 3;
    double *a = malloc((size_t)n * rounds * sizeof *a), *b = malloc((size_t)n * rounds * sizeof *b),
           *c = malloc((size_t)n * rounds * sizeof *c);
    for (int r = 0; r <= rounds; r++) {
        double *pa = r ? a + (r - 1) * n : NULL, *pb = r ? b + (r - 1) * n : NULL,
               *pc = r ? c + (r - 1) * n : NULL;
        for (int i = 0; i < n; i++) {
            double t0 = now_ms();
            uint64_t before = sc.n;
            gl_store_scan_index(st, GL_IDX_WORKLOAD, pick[i], strlen(pick[i]), INT64_MIN,
                                INT64_MAX, on_ev, &sc, &err);
            if (pa)
                pa[i] = now_ms() - t0;
            rows_lmdb += sc.n - before;
        }
        for (int i = 0; i < n; i++) {
            double t0 = now_ms();
            sqlite3_bind_text(q, 1, pick[i], -1, SQLITE_STATIC);
            size_t bytes = 0;
            while (sqlite3_step(q) == SQLITE_ROW) {
                bytes += (size_t)sqlite3_column_bytes(q, 3);
                rows_sql++;
            }
            sqlite3_reset(q);
            if (pb)
                pb[i] = now_ms() - t0;
            (void)bytes;
        }
        for (int i = 0; i < n; i++) {
            double t0 = now_ms();
            gl_arena_reset(ar);
            model_reset_cache(&m);
            timeline_build(&m, pick[i], ar, &w, &err);
            if (pc)
                pc[i] = now_ms() - t0;
        }
    }
    n *= rounds;
    double l50, l99, s50, s99, t50, t99;
    printf("timeline query, %d random workloads (%.1f events each), %d rounds, store in memory:\n",
           n / rounds, (double)rows_lmdb / (rounds + 1) / (n / rounds), rounds);
    report("  grantline: workload index + msgpack decode", a, n, &l50, &l99);
    report("  SQLite: index (workload, ts), same rows", b, n, &s50, &s99);
    report("  grantline: full timeline build (grants, cover)", c, n, &t50, &t99);
    printf("  ratio SQLite / grantline query:    p50 %.2fx, p99 %.2fx (target: >= 3x at p50, >= 1x "
           "at p99)\n",
           s50 / l50, s99 / l99);
    printf("  ratio SQLite / grantline timeline: p50 %.2fx, p99 %.2fx\n", s50 / t50, s99 / t99);
    (void)rows_sql;

    /* best of three: the first pass also faults the store's pages in */
    double scan_ms = 1e30, view_ms = 1e30;
    uint64_t scanned = 0;
    for (int r = 0; r < 3; r++) {
        struct scan all = {.dec = sc.dec};
        msgpack_zone_init(&all.zone, 8192);
        double t0 = now_ms();
        gl_store_scan_events(st, on_raw, &all, &err);
        double ms = now_ms() - t0;
        scan_ms = ms < scan_ms ? ms : scan_ms;
        scanned = all.n;
        msgpack_zone_destroy(&all.zone);
        all.n = 0;
        t0 = now_ms();
        gl_store_scan_events(st, on_ev, &all, &err);
        ms = now_ms() - t0;
        view_ms = ms < view_ms ? ms : view_ms;
    }
    printf("bare scan: %llu events decoded with msgpack-c (msgpack_unpack) in %.0f ms\n",
           (unsigned long long)scanned, scan_ms);
    printf("  (the analyzer's in-place record reader over the same events: %.0f ms)\n", view_ms);
    printf("BARE_SCAN_MS %.0f\n", scan_ms);
    printf("VIEW_SCAN_MS %.0f\n", view_ms);
    timeline_free(&w);
    gl_arena_free(ar);
    model_free(&m);
    sqlite3_finalize(q);
    sqlite3_close(db);
    gl_store_close(st);
    return 0;
}
