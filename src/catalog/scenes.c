/*
 * scenes.c: the catalog's scenes: those of a site in date order, one by
 * its hash, a new one recorded, and the per-date timeline.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"

static char *dup_text(sw__stmt *st, int col)
{
    return sw__sql_is_null(st, col) ? NULL : strdup(sw__sql_text(st, col));
}

static double real_or_nan(sw__stmt *st, int col)
{
    return sw__sql_is_null(st, col) ? NAN : sw__sql_double(st, col);
}

void sw__scene_rows_free(sw__scene_row *rows, int n)
{
    for (int i = 0; rows && i < n; i++) {
        free(rows[i].source);
        free(rows[i].chip);
        free(rows[i].udm);
    }
    free(rows);
}

int sw__store_scenes(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, sw__scene_row **out, int *nout)
{
    *out = NULL;
    *nout = 0;
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st,
                             "SELECT id, acquired, coalesce(sensor, ''), sha256, source_path, chip_path, "
                             "usable_fraction, cloud_fraction, mask_path, shift_x, shift_y FROM scenes "
                             "WHERE site_id = ?1 ORDER BY acquired, id",
                             "cannot read scenes");
    if (rc)
        return rc;
    sw__sql_bind_int64(st, 1, site_id);
    sw__scene_row *rows = NULL;
    int n = 0, cap = 0, s;
    while ((s = sw__sql_step(st)) == 1) {
        if (n == cap) {
            int nc = cap ? 2 * cap : 16;
            sw__scene_row *nr = realloc(rows, (size_t)nc * sizeof *nr);
            if (!nr) {
                rc = sw__err(ctx, SW_ENOMEM, "out of memory");
                break;
            }
            rows = nr;
            cap = nc;
        }
        sw__scene_row *r = &rows[n++];
        memset(r, 0, sizeof *r);
        r->id = sw__sql_int64(st, 0);
        snprintf(r->date, sizeof r->date, "%s", sw__sql_text(st, 1));
        snprintf(r->sensor, sizeof r->sensor, "%s", sw__sql_text(st, 2));
        snprintf(r->sha256, sizeof r->sha256, "%s", sw__sql_text(st, 3));
        r->source = dup_text(st, 4);
        r->chip = dup_text(st, 5);
        r->cover = sw__sql_double(st, 6);
        r->cloud = sw__sql_double(st, 7);
        r->udm = dup_text(st, 8);
        r->sx = real_or_nan(st, 9);
        r->sy = real_or_nan(st, 10);
        if (!r->source || !r->chip || (!sw__sql_is_null(st, 8) && !r->udm)) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
            break;
        }
    }
    if (rc == 0 && s < 0)
        rc = s;
    sw__sql_finalize(st);
    if (rc) {
        sw__scene_rows_free(rows, n);
        return rc;
    }
    *out = rows;
    *nout = n;
    return 0;
}

int sw__store_scene_find(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, const char *sha256, int64_t *id,
                         char date[11])
{
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st, "SELECT id, acquired FROM scenes WHERE site_id = ?1 AND sha256 = ?2",
                             "cannot read scenes");
    if (rc)
        return rc;
    sw__sql_bind_int64(st, 1, site_id);
    sw__sql_bind_text(st, 2, sha256);
    int found = sw__sql_step(st);
    if (found == 1) {
        *id = sw__sql_int64(st, 0);
        snprintf(date, 11, "%s", sw__sql_text(st, 1));
    }
    sw__sql_finalize(st);
    return found;
}

int sw__store_scene_insert(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, double site_resolution_m,
                           const sw__scene_row *s, const char *mask_source, int64_t *id, int *dup)
{
    char now[32];
    sw__db_now(now);
    *dup = 0;
    sw__stmt *st;
    int rc = sw__db_begin(ctx, cat);
    if (rc)
        return rc;
    if (site_resolution_m > 0 &&
        (rc = sw__sql_prepare(ctx, cat, &st, "UPDATE sites SET resolution_m = ?1 WHERE id = ?2 AND resolution_m <= 0",
                              "cannot record the site's resolution")) == 0) {
        sw__sql_bind_double(st, 1, site_resolution_m);
        sw__sql_bind_int64(st, 2, site_id);
        rc = sw__sql_run(st);
        sw__sql_finalize(st);
    }
    if (rc == 0 && (rc = sw__sql_prepare(ctx, cat, &st,
                                         "INSERT INTO scenes(site_id, source_path, sha256, acquired, sensor, chip_path, "
                                         "usable_fraction, ingested_at, mask_path, mask_source) "
                                         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10) "
                                         "ON CONFLICT(site_id, sha256) DO NOTHING RETURNING id",
                                         "cannot record the scene")) == 0) {
        sw__sql_bind_int64(st, 1, site_id);
        sw__sql_bind_text(st, 2, s->source);
        sw__sql_bind_text(st, 3, s->sha256);
        sw__sql_bind_text(st, 4, s->date);
        sw__sql_bind_text(st, 5, s->sensor[0] ? s->sensor : NULL);
        sw__sql_bind_text(st, 6, s->chip);
        sw__sql_bind_double(st, 7, s->cover);
        sw__sql_bind_text(st, 8, now);
        sw__sql_bind_text(st, 9, s->udm);
        sw__sql_bind_text(st, 10, s->udm ? mask_source : NULL);
        int r = sw__sql_step(st);
        if (r == 1)
            *id = sw__sql_int64(st, 0);
        else if (r == 0)
            *dup = 1; /* another ingest of the same scene won the race: its chip is this one */
        else
            rc = r;
        if (r == 1 && (r = sw__sql_run(st)) < 0)
            rc = r;
        sw__sql_finalize(st);
    }
    if (rc == 0 && *dup) {
        char date[11];
        if (sw__store_scene_find(ctx, cat, site_id, s->sha256, id, date) < 0)
            rc = ctx->code;
    }
    return sw__db_end(ctx, cat, rc);
}

int sw_scene_list(sw_ctx *ctx, sw_catalog *cat, const char *site_name, int (*fn)(const sw_scene *s, void *user),
                  void *user)
{
    sw_site site = {0};
    int rc = sw_site_get(ctx, cat, site_name, &site);
    sw_site_clear(&site);
    if (rc)
        return rc;
    sw__stmt *st;
    rc = sw__sql_prepare(ctx, cat, &st,
                         "SELECT c.id, c.acquired, c.sensor, c.usable_fraction, c.source_path, c.chip_path, "
                         "c.cloud_fraction FROM scenes c JOIN sites s ON s.id = c.site_id WHERE s.name = ?1 "
                         "ORDER BY c.acquired, c.id",
                         "cannot read scenes");
    if (rc)
        return rc;
    sw__sql_bind_text(st, 1, site_name);
    int s2;
    while ((s2 = sw__sql_step(st)) == 1) {
        sw_scene sc = {0};
        sc.id = sw__sql_int64(st, 0);
        snprintf(sc.acquired, sizeof sc.acquired, "%s", sw__sql_text(st, 1));
        snprintf(sc.sensor, sizeof sc.sensor, "%s", sw__sql_text(st, 2));
        sc.usable_fraction = sw__sql_double(st, 3);
        sc.source = sw__sql_text(st, 4);
        sc.chip = sw__sql_text(st, 5);
        sc.cloud_fraction = sw__sql_double(st, 6);
        if (fn(&sc, user))
            break;
    }
    sw__sql_finalize(st);
    return s2 < 0 ? s2 : 0;
}

int sw_site_timeline(sw_ctx *ctx, sw_catalog *cat, const char *site_name,
                     int (*fn)(const sw_timeline_row *row, void *user), void *user)
{
    sw_site site = {0};
    int rc = sw_site_get(ctx, cat, site_name, &site);
    if (rc)
        return rc;
    sw__stmt *st;
    rc = sw__sql_prepare(ctx, cat, &st,
                         "SELECT c.acquired, c.sensor, c.usable_fraction * (1 - c.cloud_fraction),"
                         " (SELECT coalesce(sum(b.area_m2), 0) FROM observations b WHERE b.scene_id = c.id),"
                         " (SELECT count(*) FROM objects o WHERE o.site_id = c.site_id AND o.first_seen = c.acquired),"
                         " (SELECT count(*) FROM objects o WHERE o.site_id = c.site_id AND o.confirmed_at = c.acquired),"
                         " (SELECT coalesce(sum(b.area_m2), 0) FROM observations b JOIN objects o ON o.id = b.object_id"
                         "   WHERE b.scene_id = c.id AND o.confirmed_at IS NOT NULL AND o.confirmed_at <= c.acquired),"
                         " c.cloud_fraction"
                         " FROM scenes c WHERE c.site_id = ?1 ORDER BY c.acquired, c.id",
                         "cannot read the timeline");
    if (rc == 0) {
        sw__sql_bind_int64(st, 1, site.id);
        int s2;
        while ((s2 = sw__sql_step(st)) == 1) {
            sw_timeline_row r = {0};
            snprintf(r.date, sizeof r.date, "%s", sw__sql_text(st, 0));
            snprintf(r.sensor, sizeof r.sensor, "%s", sw__sql_text(st, 1));
            r.usable_fraction = sw__sql_double(st, 2);
            r.changed_area_m2 = sw__sql_double(st, 3);
            r.new_objects = sw__sql_int64(st, 4);
            r.confirmed_objects = sw__sql_int64(st, 5);
            r.cumulative_new_m2 = sw__sql_double(st, 6);
            r.cloud_fraction = sw__sql_double(st, 7);
            if (fn(&r, user))
                break;
        }
        rc = s2 < 0 ? s2 : 0;
        sw__sql_finalize(st);
    }
    sw_site_clear(&site);
    return rc;
}
