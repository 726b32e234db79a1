/*
 * test_oom.c: out of memory is an ordinary error, proved as SQLite proves
 * it. This program is linked with --wrap for malloc, calloc, realloc,
 * strdup and strndup, so every allocation sitewatch's own code makes (not
 * GDAL's or SQLite's, which are theirs to prove) passes through a counter
 * that can fail the N-th. Each public call below is run for N = 1, 2, ...
 * until it succeeds: every failure must be a clean error (a code and a
 * message, no crash), leave no leak (the ASan build checks at exit) and
 * leave the catalog as it was or as the call made it whole, never between.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "sitewatch/sitewatch.h"

/* ---- the failing allocator ---- */
void *__real_malloc(size_t n);
void *__real_calloc(size_t a, size_t b);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t a, size_t b);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

static long countdown; /* fail when it reaches 0; < 0: never */
static int failed;     /* an allocation was failed since arming */

static int fail_now(void)
{
    if (countdown < 0)
        return 0;
    if (countdown-- == 0) {
        failed = 1;
        return 1;
    }
    return 0;
}

void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t a, size_t b) { return fail_now() ? NULL : __real_calloc(a, b); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }
char *__wrap_strdup(const char *s) { return fail_now() ? NULL : __real_strdup(s); }
char *__wrap_strndup(const char *s, size_t n) { return fail_now() ? NULL : __real_strndup(s, n); }

/* Fails the n-th allocation from now (1: the next); 0: none. */
static void arm(long n)
{
    failed = 0;
    countdown = n > 0 ? n - 1 : -1;
}

static char dir[256];

static int setup(void **state)
{
    (void)state;
    countdown = -1;
    snprintf(dir, sizeof dir, "/tmp/sw-oom-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char path[400];
    snprintf(path, sizeof path, "%s/aoi.geojson", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fputs("{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{},\"geometry\":"
          "{\"type\":\"Polygon\",\"coordinates\":[[[127.5265,39.9270],[127.5290,39.9270],[127.5290,39.9290],"
          "[127.5265,39.9290],[127.5265,39.9270]]]}}]}",
          f);
    fclose(f);
    sw_synth_opts o;
    sw_synth_opts_init(&o);
    o.width = o.height = 96;
    o.gsd = 3.0;
    snprintf(path, sizeof path, "%s/syn", dir);
    sw_ctx *c = sw_ctx_new();
    int rc = sw_synth_pair(c, path, &o, NULL, NULL, NULL);
    sw_ctx_free(c);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A context made before arming (its own allocation is not the point). */
static sw_ctx *ctx_new(void)
{
    long keep = countdown;
    countdown = -1;
    sw_ctx *c = sw_ctx_new();
    countdown = keep;
    return c;
}

static int count_site(const sw_site *s, void *user)
{
    (void)s;
    (*(int *)user)++;
    return 0;
}

static int sites_in(const char *db)
{
    sw_ctx *c = sw_ctx_new();
    sw_catalog *cat = sw_catalog_open(c, db, 0);
    int n = -1;
    if (cat) {
        n = 0;
        if (sw_site_list(c, cat, count_site, &n) != 0)
            n = -1;
        sw_catalog_close(cat);
    }
    sw_ctx_free(c);
    return n;
}

/* Opening a catalog, adding a site and listing: each failure an error,
 * the catalog holding one site or two, never a half one. */
static void catalog_calls(void **state)
{
    (void)state;
    char db[400], aoi[400];
    snprintf(db, sizeof db, "%s/cat.db", dir);
    snprintf(aoi, sizeof aoi, "%s/aoi.geojson", dir);
    sw_ctx *c = sw_ctx_new();
    sw_catalog *cat = sw_catalog_open(c, db, 1);
    assert_non_null(cat);
    assert_int_equal(sw_site_add(c, cat, "a", aoi, 0, 0, NULL), 0);
    sw_catalog_close(cat);
    sw_ctx_free(c);
    long n;
    int done = 0;
    for (n = 1; n < 20000 && !done; n++) {
        sw_ctx *ctx = ctx_new();
        arm(n);
        cat = sw_catalog_open(ctx, db, 0);
        int rc = cat ? 0 : sw_ctx_errcode(ctx), k = 0;
        if (rc == 0)
            rc = sw_site_add(ctx, cat, "b", aoi, 25.0, 0, NULL);
        if (rc == 0)
            rc = sw_site_list(ctx, cat, count_site, &k);
        int hit = failed;
        arm(0);
        sw_catalog_close(cat);
        if (rc == 0) {
            done = 1;
            assert_int_equal(k, 2);
        } else {
            assert_true(hit);                       /* it failed because an allocation did */
            assert_true(rc < 0);
            assert_true(sw_ctx_errmsg(ctx)[0] != 0); /* and said so */
            int s = sites_in(db);
            assert_true(s == 1 || s == 2); /* as it was, or the add whole */
            if (s == 2) {                  /* made whole before the failure: undo for the next N */
                sw_ctx *u = sw_ctx_new();
                sw_catalog *uc = sw_catalog_open(u, db, 0);
                assert_non_null(uc);
                assert_int_equal(sw_site_remove(u, uc, "b", 1), 0);
                sw_catalog_close(uc);
                sw_ctx_free(u);
            }
        }
        sw_ctx_free(ctx);
    }
    assert_true(done);
    print_message("catalog: open, add, list succeed from allocation %ld on; every earlier failure clean\n", n - 1);
}

/* A pair opened and change detected on it in memory. */
static void detect_calls(void **state)
{
    (void)state;
    char a[400], b[400];
    snprintf(a, sizeof a, "%s/syn/before.tif", dir);
    snprintf(b, sizeof b, "%s/syn/after.tif", dir);
    long n;
    int done = 0;
    for (n = 1; n < 50000 && !done; n++) {
        sw_ctx *ctx = ctx_new();
        sw_pair *pair = NULL;
        sw_objects *objs = NULL;
        sw_detect_opts o;
        sw_detect_opts_init(&o);
        o.method = "irmad";
        o.threads = 1;
        arm(n);
        int rc = sw_pair_open(ctx, a, b, NULL, &pair);
        if (rc == 0)
            rc = sw_detect_window(ctx, pair, NULL, &o, &objs);
        int hit = failed;
        arm(0);
        if (rc == 0) {
            done = 1;
            assert_true(sw_objects_count(objs) >= 0);
        } else {
            assert_true(hit);
            assert_true(sw_ctx_errmsg(ctx)[0] != 0);
        }
        sw_objects_free(objs);
        sw_pair_close(pair);
        sw_ctx_free(ctx);
    }
    assert_true(done);
    print_message("detect: pair open and detect_window succeed from allocation %ld on\n", n - 1);
}

/* A scene ingested into a site: the catalog has it whole or not at all,
 * and no chip is left without its record. */
static int count_scene(const sw_scene *s, void *user)
{
    (void)s;
    (*(int *)user)++;
    return 0;
}

static void ingest_calls(void **state)
{
    (void)state;
    char db[400], aoi[400], scene[400];
    snprintf(db, sizeof db, "%s/ingest.db", dir);
    snprintf(aoi, sizeof aoi, "%s/aoi.geojson", dir);
    snprintf(scene, sizeof scene, "%s/syn/after.tif", dir);
    sw_ctx *c = sw_ctx_new();
    sw_catalog *cat = sw_catalog_open(c, db, 1);
    assert_non_null(cat);
    assert_int_equal(sw_site_add(c, cat, "s", aoi, 0, 0, NULL), 0);
    sw_catalog_close(cat);
    sw_ctx_free(c);
    sw_ingest_opts io;
    sw_ingest_opts_init(&io);
    io.date = "2024-05-01";
    long n;
    int done = 0;
    for (n = 1; n < 50000 && !done; n++) {
        sw_ctx *ctx = ctx_new();
        sw_ingest_result res;
        arm(n);
        cat = sw_catalog_open(ctx, db, 0);
        int rc = cat ? sw_ingest_scene(ctx, cat, "s", scene, &io, &res) : sw_ctx_errcode(ctx);
        int hit = failed;
        arm(0);
        sw_catalog_close(cat);
        sw_ctx *v = sw_ctx_new();
        sw_catalog *vc = sw_catalog_open(v, db, 0);
        assert_non_null(vc);
        int k = 0;
        assert_int_equal(sw_scene_list(v, vc, "s", count_scene, &k), 0);
        sw_catalog_close(vc);
        sw_ctx_free(v);
        if (rc == 0) {
            done = 1;
            assert_int_equal(k, 1);
        } else {
            assert_true(hit);
            assert_true(sw_ctx_errmsg(ctx)[0] != 0);
            assert_int_equal(k, 0); /* no record without its chip, none half made */
        }
        sw_ctx_free(ctx);
    }
    assert_true(done);
    /* no chip left behind by the failed tries: the one recorded only */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "test $(find '%s/ingest.db.chips' -type f | wc -l) -eq 1", dir);
    assert_int_equal(system(cmd), 0);
    print_message("ingest: succeeds from allocation %ld on; every earlier failure left the catalog and chips "
                  "untouched\n",
                  n - 1);
}

/* The site analysed (a second scene against the first), then its report:
 * a failed analysis leaves the catalog's objects as they were; a failed
 * report leaves no file. */
static int count_alert(const sw_alert_row *a, void *user)
{
    (void)a;
    (*(int *)user)++;
    return 0;
}

static void analyze_report_calls(void **state)
{
    (void)state;
    char db[400], scene[400], out[400];
    snprintf(db, sizeof db, "%s/ingest.db", dir);
    snprintf(scene, sizeof scene, "%s/syn/before.tif", dir);
    snprintf(out, sizeof out, "%s/report.html", dir);
    sw_ctx *c = sw_ctx_new();
    sw_catalog *cat = sw_catalog_open(c, db, 0);
    assert_non_null(cat);
    sw_ingest_opts io;
    sw_ingest_opts_init(&io);
    io.date = "2024-03-01";
    sw_ingest_result res;
    assert_int_equal(sw_ingest_scene(c, cat, "s", scene, &io, &res), 0);
    assert_int_equal(sw_site_set_method(c, cat, "s", "irmad"), 0);
    sw_catalog_close(cat);
    sw_ctx_free(c);
    long n;
    int done = 0;
    int64_t nobj = -1;
    for (n = 1; n < 50000 && !done; n++) {
        sw_ctx *ctx = ctx_new();
        sw_analyze_opts ao;
        sw_analyze_opts_init(&ao);
        ao.confirm = 1;
        arm(n);
        cat = sw_catalog_open(ctx, db, 0);
        int rc = cat ? sw_site_analyze(ctx, cat, "s", &ao, NULL, NULL, &nobj) : sw_ctx_errcode(ctx);
        int hit = failed;
        arm(0);
        sw_catalog_close(cat);
        sw_ctx *v = sw_ctx_new();
        sw_catalog *vc = sw_catalog_open(v, db, 0);
        assert_non_null(vc);
        int k = 0;
        assert_int_equal(sw_alert_list(v, vc, "s", NULL, count_alert, &k), 0);
        sw_catalog_close(vc);
        sw_ctx_free(v);
        if (rc == 0) {
            done = 1;
        } else {
            assert_true(hit);
            assert_true(sw_ctx_errmsg(ctx)[0] != 0);
            assert_int_equal(k, 0); /* nothing of a failed analysis stays */
        }
        sw_ctx_free(ctx);
    }
    assert_true(done);
    print_message("analysis: succeeds from allocation %ld on (%lld objects)\n", n - 1, (long long)nobj);
    done = 0;
    for (n = 1; n < 200000 && !done; n++) {
        sw_ctx *ctx = ctx_new();
        arm(n);
        cat = sw_catalog_open(ctx, db, 0);
        int64_t listed = 0;
        int rc = cat ? sw_site_report(ctx, cat, "s", out, &listed) : sw_ctx_errcode(ctx);
        int hit = failed;
        arm(0);
        sw_catalog_close(cat);
        if (rc == 0) {
            done = 1;
            assert_int_equal(access(out, F_OK), 0);
        } else {
            assert_true(hit);
            assert_true(sw_ctx_errmsg(ctx)[0] != 0);
            assert_int_not_equal(access(out, F_OK), 0); /* no half report */
        }
        sw_ctx_free(ctx);
    }
    assert_true(done);
    print_message("report: written from allocation %ld on; no file from any failed try\n", n - 1);
}

int main(void)
{
    countdown = -1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(catalog_calls),
        cmocka_unit_test(detect_calls),
        cmocka_unit_test(ingest_calls),
        cmocka_unit_test(analyze_report_calls),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
