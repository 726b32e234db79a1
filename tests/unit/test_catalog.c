/* test_catalog.c: sites in the catalog: creation and migration, AOIs
 * (polygon, buffered point, across the antimeridian), names, refusals that
 * change nothing. With a PostgreSQL server's socket folder as argv[1] (the
 * `pg` label), the tests that do not open SQLite files themselves run on a
 * fresh database of that server. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "sitewatch/catalog.h"

static char dir[64];
static const char *pg; /* a test PostgreSQL server's socket folder, or NULL */

/* The catalog called name: a file in dir, or a fresh PostgreSQL database. */
static void catalog_name(const char *name, char *out, size_t n)
{
    if (!pg) {
        snprintf(out, n, "%s/%s.db", dir, name);
        return;
    }
    char cmd[512];
    snprintf(cmd, sizeof cmd, "psql -h '%s' -U postgres -q -c 'DROP DATABASE IF EXISTS %s' -c 'CREATE DATABASE %s' "
             "postgres >/dev/null", pg, name, name);
    assert_int_equal(system(cmd), 0);
    snprintf(out, n, "postgresql:///%s?host=%s&user=postgres", name, pg);
}

static void spit(const char *name, const char *text, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sw-test-cat-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_sites(void **state)
{
    (void)state;
    char db[128], poly[128], pt[128], bad[128];
    snprintf(db, sizeof db, "%s/cat.db", dir);
    /* a 0.01 x 0.01 degree square at 40 N: about 853 m x 1112 m */
    spit("poly.geojson",
         "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":\"Feature\",\"properties\":{},\"geometry\":"
         "{\"type\":\"Polygon\",\"coordinates\":[[[127.50,40.00],[127.51,40.00],[127.51,40.01],[127.50,40.01],"
         "[127.50,40.00]]]}}]}", poly, sizeof poly);
    spit("pt.geojson", "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Point\",\"coordinates\":[-70.5,-33.4]}}",
         pt, sizeof pt);
    spit("bad.geojson", "{\"type\":", bad, sizeof bad);
    sw_ctx *c = sw_ctx_new();
    assert_null(sw_catalog_open(c, db, 0)); /* no catalog yet, and none made */
    assert_int_equal(access(db, F_OK), -1);
    sw_catalog *cat = sw_catalog_open(c, db, 1);
    assert_non_null(cat);
    assert_int_equal(sw_catalog_schema(cat), SW_CATALOG_SCHEMA);

    sw_site s = {0};
    assert_int_equal(sw_site_add(c, cat, "plant-1", poly, 0, 3.0, &s), 0);
    assert_int_equal(s.crs_epsg, 32652);
    double want = 0.01 * 111320.0 * cos(40.005 * M_PI / 180.0) * 0.01 * 111035.0;
    if (fabs(s.area_m2 - want) > 0.01 * want)
        fail_msg("area %g m2, want about %g", s.area_m2, want);
    sw_site_clear(&s);
    /* a point in the southern hemisphere, buffered by 1 km */
    assert_int_equal(sw_site_add(c, cat, "santiago", pt, 1000, 0, &s), 0);
    assert_int_equal(s.crs_epsg, 32719);
    assert_true(fabs(s.area_m2 - M_PI * 1e6) < 0.01 * M_PI * 1e6);
    sw_site_clear(&s);
    /* refusals */
    assert_int_equal(sw_site_add(c, cat, "plant-1", poly, 0, 0, NULL), SW_ECONFLICT);
    assert_non_null(strstr(sw_ctx_errmsg(c), "already exists"));
    assert_int_equal(sw_site_add(c, cat, "x", pt, 0, 0, NULL), SW_EARG);
    assert_non_null(strstr(sw_ctx_errmsg(c), "give --buffer"));
    assert_int_equal(sw_site_add(c, cat, "y", bad, 0, 0, NULL), SW_EFORMAT);
    assert_int_equal(sw_site_add(c, cat, "no/slash", poly, 0, 0, NULL), SW_EARG);
    assert_int_equal(sw_site_get(c, cat, "nope", &s), SW_ENOTFOUND);
    /* a site with a scene is kept unless forced; its scenes go with it */
    sw_catalog_close(cat);
    sqlite3 *raw;
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    assert_int_equal(sqlite3_exec(raw, "INSERT INTO scenes(site_id, source_path, sha256, acquired, ingested_at) "
                                       "SELECT id, '/data/a.tif', 'ab', '2024-03-01', 'now' FROM sites WHERE name = 'santiago'",
                                  NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(raw);
    cat = sw_catalog_open(c, db, 0);
    assert_non_null(cat);
    assert_int_equal(sw_site_remove(c, cat, "santiago", 0), SW_ECONFLICT);
    assert_int_equal(sw_site_get(c, cat, "santiago", &s), 0);
    assert_int_equal(s.scenes, 1);
    sw_site_clear(&s);
    assert_int_equal(sw_site_remove(c, cat, "santiago", 1), 0);
    assert_int_equal(sw_site_get(c, cat, "santiago", &s), SW_ENOTFOUND);
    sw_catalog_close(cat);
    assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(raw, "SELECT count(*) FROM scenes", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 0); /* cascaded */
    sqlite3_finalize(st);
    sqlite3_prepare_v2(raw, "PRAGMA integrity_check", -1, &st, NULL);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
    sqlite3_finalize(st);
    sqlite3_close(raw);
    sw_ctx_free(c);
}

static void test_foreign_files_refused_untouched(void **state)
{
    (void)state;
    char txt[128], other[128];
    spit("notes.db", "these are my notes, not a database\n", txt, sizeof txt);
    sw_ctx *c = sw_ctx_new();
    assert_null(sw_catalog_open(c, txt, 1));
    assert_non_null(strstr(sw_ctx_errmsg(c), "not a usable sitewatch catalog"));
    FILE *f = fopen(txt, "r");
    char buf[64] = {0};
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "these are my notes, not a database\n");
    /* someone else's SQLite database */
    snprintf(other, sizeof other, "%s/other.db", dir);
    sqlite3 *raw;
    sqlite3_open(other, &raw);
    sqlite3_exec(raw, "CREATE TABLE birds(name TEXT)", NULL, NULL, NULL);
    sqlite3_close(raw);
    assert_null(sw_catalog_open(c, other, 1));
    assert_non_null(strstr(sw_ctx_errmsg(c), "not a sitewatch catalog"));
    sqlite3_open(other, &raw);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(raw, "SELECT count(*) FROM sqlite_master", -1, &st, NULL);
    sqlite3_step(st);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    sqlite3_finalize(st);
    sqlite3_close(raw);
    sw_ctx_free(c);
}

/* An AOI across the antimeridian, as a ring from 179.9 to -179.9 and as
 * RFC 7946's two parts, is the small area it means, in the UTM zone at 180
 * (it became a site at longitude 0, in zone 31, before). */
static void test_antimeridian_aoi(void **state)
{
    (void)state;
    char ring[160], parts[160], db[320];
    spit("am-ring.geojson", "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Polygon\","
                            "\"coordinates\":[[[179.9,-16.9],[-179.9,-16.9],[-179.9,-16.7],[179.9,-16.7],[179.9,-16.9]]]}}",
         ring, sizeof ring);
    spit("am-parts.geojson",
         "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":["
         "[[[179.9,-16.9],[180,-16.9],[180,-16.7],[179.9,-16.7],[179.9,-16.9]]],"
         "[[[-180,-16.9],[-179.9,-16.9],[-179.9,-16.7],[-180,-16.7],[-180,-16.9]]]]}}",
         parts, sizeof parts);
    catalog_name("am", db, sizeof db);
    sw_ctx *c = sw_ctx_new();
    sw_catalog *cat = sw_catalog_open(c, db, 1);
    assert_non_null(cat);
    const char *aoi[2] = {ring, parts}, *names[2] = {"fiji-ring", "fiji-parts"};
    /* 0.2 x 0.2 degrees at 16.8 S: 22.2 km by 21.3 km */
    double want = 0.2 * 111.32 * 0.2 * 111.32 * cos(16.8 * M_PI / 180.0) * 1e6;
    for (int k = 0; k < 2; k++) {
        sw_site s;
        assert_int_equal(sw_site_add(c, cat, names[k], aoi[k], 0, 0, &s), 0);
        assert_int_equal(s.crs_epsg, 32760);
        assert_true(fabs(fabs(s.lon) - 180.0) < 0.01);
        assert_true(fabs(s.area_m2 - want) < 0.01 * want);
        sw_site_clear(&s);
    }
    sw_catalog_close(cat);
    sw_ctx_free(c);
}

/* A catalog whose rows mean nothing is an error naming it, never a crash:
 * a NULL format (strcmp on NULL before) and a negative schema version (an
 * index out of the migrations before). */
static void test_damaged_catalogs_refused(void **state)
{
    (void)state;
    const char *damage[] = {"UPDATE meta SET value = NULL WHERE key = 'format'", "PRAGMA user_version = -5",
                            "PRAGMA user_version = 0"};
    for (int k = 0; k < 3; k++) {
        char db[160];
        snprintf(db, sizeof db, "%s/damaged%d.db", dir, k);
        sw_ctx *c = sw_ctx_new();
        sw_catalog *cat = sw_catalog_open(c, db, 1);
        assert_non_null(cat);
        sw_catalog_close(cat);
        sqlite3 *raw;
        assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
        if (k == 0) /* meta.value is NOT NULL: make a table that allows it */
            assert_int_equal(sqlite3_exec(raw, "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = "
                                               "'CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT)' WHERE name = 'meta'",
                                          NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(raw);
        assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
        assert_int_equal(sqlite3_exec(raw, damage[k], NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(raw);
        assert_null(sw_catalog_open(c, db, 0));
        assert_int_equal(sw_ctx_errcode(c), SW_EFORMAT);
        assert_non_null(strstr(sw_ctx_errmsg(c), db));
        sw_ctx_free(c);
    }
}

/* What any catalog does with sites: add (area, zone), refuse a taken name
 * and a bad AOI, set the method, remove. */
static void test_sites_any(void **state)
{
    (void)state;
    char db[320], poly[128], bad[128];
    catalog_name("sites", db, sizeof db);
    spit("poly2.geojson",
         "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":"
         "[[[127.50,40.00],[127.51,40.00],[127.51,40.01],[127.50,40.01],[127.50,40.00]]]}}", poly, sizeof poly);
    spit("bad2.geojson", "{\"type\":", bad, sizeof bad);
    sw_ctx *c = sw_ctx_new();
    sw_catalog *cat = sw_catalog_open(c, db, 1);
    assert_non_null(cat);
    assert_int_equal(sw_catalog_schema(cat), SW_CATALOG_SCHEMA);
    sw_site s = {0};
    assert_int_equal(sw_site_add(c, cat, "plant-1", poly, 0, 3.0, &s), 0);
    assert_int_equal(s.crs_epsg, 32652);
    double want = 0.01 * 111320.0 * cos(40.005 * M_PI / 180.0) * 0.01 * 111035.0;
    assert_true(fabs(s.area_m2 - want) < 0.01 * want);
    sw_site_clear(&s);
    assert_int_equal(sw_site_add(c, cat, "plant-1", poly, 0, 0, NULL), SW_ECONFLICT);
    assert_int_equal(sw_site_add(c, cat, "plant-2", bad, 0, 0, NULL), SW_EFORMAT);
    assert_int_equal(sw_site_get(c, cat, "plant-2", &s), SW_ENOTFOUND);
    /* the AOI comes back as it went in */
    assert_int_equal(sw_site_get(c, cat, "plant-1", &s), 0);
    assert_non_null(strstr(s.aoi_wkt, "POLYGON"));
    assert_true(fabs(s.lon - 127.505) < 1e-6 && fabs(s.lat - 40.005) < 1e-6);
    sw_site_clear(&s);
    char m[32];
    assert_int_equal(sw_site_set_method(c, cat, "plant-1", "irmad"), 0);
    assert_int_equal(sw_site_method(c, cat, "plant-1", m, sizeof m), 0);
    assert_string_equal(m, "irmad");
    assert_int_equal(sw_site_set_method(c, cat, "nowhere", "irmad"), SW_ENOTFOUND);
    assert_int_equal(sw_site_remove(c, cat, "plant-1", 0), 0);
    assert_int_equal(sw_site_get(c, cat, "plant-1", &s), SW_ENOTFOUND);
    sw_catalog_close(cat);
    /* reopened: the schema is there, nothing migrated twice */
    cat = sw_catalog_open(c, db, 0);
    assert_non_null(cat);
    assert_int_equal(sw_catalog_schema(cat), SW_CATALOG_SCHEMA);
    sw_catalog_close(cat);
    sw_ctx_free(c);
}

int main(int argc, char **argv)
{
    if (argc > 1) {
        pg = argv[1];
        char up[300];
        snprintf(up, sizeof up, "%s/up", pg);
        if (access(up, F_OK) != 0) {
            printf("skipped: no test PostgreSQL server at %s\n", pg);
            return 77;
        }
        const struct CMUnitTest on_pg[] = {
            cmocka_unit_test(test_sites_any),
            cmocka_unit_test(test_antimeridian_aoi),
        };
        return cmocka_run_group_tests(on_pg, setup, teardown);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sites),
        cmocka_unit_test(test_sites_any),
        cmocka_unit_test(test_foreign_files_refused_untouched),
        cmocka_unit_test(test_damaged_catalogs_refused),
        cmocka_unit_test(test_antimeridian_aoi),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
