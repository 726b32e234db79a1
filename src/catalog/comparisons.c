/*
 * comparisons.c: the comparisons kept between analyses: each pair's change
 * objects under a key of what made them, so that a new scene costs one new
 * comparison, not all of them again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog_int.h"

int sw__store_pair_get(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, const char *key,
                       int (*fn)(void *user, const char *wkt, double area_m2, double score), void *user,
                       int *found)
{
    sw__stmt *st;
    *found = 0;
    int rc = sw__sql_prepare(ctx, cat, &st, "SELECT id FROM comparisons WHERE site_id = ?1 AND key = ?2",
                             "cannot read a kept comparison");
    if (rc)
        return rc;
    sw__sql_bind_int64(st, 1, site_id);
    sw__sql_bind_text(st, 2, key);
    int64_t id = 0;
    int r = sw__sql_step(st);
    if (r == 1) {
        *found = 1;
        id = sw__sql_int64(st, 0);
    }
    sw__sql_finalize(st);
    if (r <= 0)
        return r;
    if ((rc = sw__sql_prepare(ctx, cat, &st,
                              sw__sql_pg(cat) ? "SELECT ST_AsText(geom), area_m2, score FROM comparison_objects "
                                                "WHERE comparison_id = ?1 ORDER BY id"
                                              : "SELECT geometry_wkt, area_m2, score FROM comparison_objects "
                                                "WHERE comparison_id = ?1 ORDER BY rowid",
                              "cannot read a kept comparison")) != 0)
        return rc;
    sw__sql_bind_int64(st, 1, id);
    while (rc == 0 && (r = sw__sql_step(st)) == 1)
        rc = fn(user, sw__sql_text(st, 0), sw__sql_double(st, 1), sw__sql_double(st, 2));
    if (rc == 0 && r < 0)
        rc = r;
    sw__sql_finalize(st);
    return rc;
}

int sw__store_pair_put(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, const char *key, const sw__pair_object *o,
                       int64_t n)
{
    sw__stmt *st = NULL;
    int64_t id = 0;
    int rc = sw__db_begin(ctx, cat);
    /* One comparison per key: one made meanwhile is replaced. */
    if (rc == 0 && (rc = sw__sql_prepare(ctx, cat, &st, "DELETE FROM comparisons WHERE site_id = ?1 AND key = ?2",
                                         "cannot keep a comparison")) == 0) {
        sw__sql_bind_int64(st, 1, site_id);
        sw__sql_bind_text(st, 2, key);
        rc = sw__sql_run(st);
        sw__sql_finalize(st);
    }
    if (rc == 0 && (rc = sw__sql_prepare(ctx, cat, &st, "INSERT INTO comparisons(site_id, key, created_at) "
                                                        "VALUES(?1, ?2, ?3) RETURNING id",
                                         "cannot keep a comparison")) == 0) {
        sw__sql_bind_int64(st, 1, site_id);
        sw__sql_bind_text(st, 2, key);
        sw__sql_bind_int64(st, 3, (int64_t)time(NULL));
        int r = sw__sql_step(st);
        if (r == 1)
            id = sw__sql_int64(st, 0);
        rc = r < 0 ? r : sw__sql_run(st);
        sw__sql_finalize(st);
    }
    if (rc == 0 &&
        (rc = sw__sql_prepare(ctx, cat, &st,
                              sw__sql_pg(cat) ? "INSERT INTO comparison_objects(comparison_id, geom, area_m2, score) "
                                                "VALUES(?1, ST_GeomFromText(?2, (SELECT crs_epsg FROM sites "
                                                "WHERE id = ?5)), ?3, ?4)"
                                              : "INSERT INTO comparison_objects(comparison_id, geometry_wkt, area_m2, "
                                                "score) VALUES(?1, ?2, ?3, ?4)",
                              "cannot keep a comparison")) == 0) {
        for (int64_t i = 0; i < n && rc == 0; i++) {
            sw__sql_reset(st);
            sw__sql_bind_int64(st, 1, id);
            sw__sql_bind_text(st, 2, o[i].wkt);
            sw__sql_bind_double(st, 3, o[i].area_m2);
            sw__sql_bind_double(st, 4, o[i].score);
            sw__sql_bind_int64(st, 5, site_id);
            rc = sw__sql_run(st);
        }
        sw__sql_finalize(st);
    }
    return sw__db_end(ctx, cat, rc);
}

int sw__store_pair_prune(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, char (*keys)[25], int n)
{
    sw__stmt *st = NULL, *del = NULL;
    int rc = sw__db_begin(ctx, cat);
    if (rc == 0)
        rc = sw__sql_prepare(ctx, cat, &st, "SELECT id, key FROM comparisons WHERE site_id = ?1 AND created_at < ?2",
                             "cannot read kept comparisons");
    if (rc == 0)
        rc = sw__sql_prepare(ctx, cat, &del, "DELETE FROM comparisons WHERE id = ?1", "cannot drop a kept comparison");
    if (rc == 0) {
        sw__sql_bind_int64(st, 1, site_id);
        sw__sql_bind_int64(st, 2, (int64_t)time(NULL) - 60);
        int r = 0;
        while (rc == 0 && (r = sw__sql_step(st)) == 1) {
            const char *k = sw__sql_text(st, 1);
            int keep = 0;
            for (int u = 0; u < n && !keep; u++)
                keep = strcmp(k, keys[u]) == 0;
            if (keep)
                continue;
            sw__sql_reset(del);
            sw__sql_bind_int64(del, 1, sw__sql_int64(st, 0));
            rc = sw__sql_run(del);
        }
        if (rc == 0 && r < 0)
            rc = r;
    }
    sw__sql_finalize(st);
    sw__sql_finalize(del);
    return sw__db_end(ctx, cat, rc);
}
