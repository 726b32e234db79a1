/*
 * sites.c: the catalog's sites table: read, list, insert, delete, method.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"

void sw_site_clear(sw_site *s)
{
    free(s->aoi_wkt);
    memset(s, 0, sizeof *s);
}

/* The columns a sw_site is read from; the AOI as WKT either way. */
static const char *site_columns(const sw_catalog *cat)
{
    return sw__sql_pg(cat)
               ? "s.id, s.name, ST_AsText(s.aoi), s.crs_epsg, s.resolution_m, s.buffer_m, s.area_m2, s.lon, s.lat, "
                 "s.created_at, (SELECT count(*) FROM scenes c WHERE c.site_id = s.id)"
               : "s.id, s.name, s.aoi_wkt, s.crs_epsg, s.resolution_m, s.buffer_m, s.area_m2, s.lon, s.lat, "
                 "s.created_at, (SELECT count(*) FROM scenes c WHERE c.site_id = s.id)";
}

static int site_from_row(sw_ctx *ctx, sw__stmt *st, sw_site *s)
{
    memset(s, 0, sizeof *s);
    s->id = sw__sql_int64(st, 0);
    snprintf(s->name, sizeof s->name, "%s", sw__sql_text(st, 1));
    s->aoi_wkt = strdup(sw__sql_text(st, 2));
    s->crs_epsg = (int)sw__sql_int64(st, 3);
    s->resolution_m = sw__sql_double(st, 4);
    s->buffer_m = sw__sql_double(st, 5);
    s->area_m2 = sw__sql_double(st, 6);
    s->lon = sw__sql_double(st, 7);
    s->lat = sw__sql_double(st, 8);
    snprintf(s->created, sizeof s->created, "%s", sw__sql_text(st, 9));
    s->scenes = sw__sql_int64(st, 10);
    return s->aoi_wkt ? 0 : sw__err(ctx, SW_ENOMEM, "out of memory");
}

int sw_site_get(sw_ctx *ctx, sw_catalog *cat, const char *name, sw_site *site)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM sites s WHERE s.name = ?1", site_columns(cat));
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st, sql, "cannot read sites");
    if (rc)
        return rc;
    sw__sql_bind_text(st, 1, name);
    int r = sw__sql_step(st);
    if (r == 1)
        rc = site_from_row(ctx, st, site);
    else if (r == 0)
        rc = sw__err(ctx, SW_ENOTFOUND, "%s: no site named '%s'", cat->path, name);
    else
        rc = r;
    sw__sql_finalize(st);
    return rc;
}

int sw_site_list(sw_ctx *ctx, sw_catalog *cat, int (*fn)(const sw_site *s, void *user), void *user)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM sites s ORDER BY s.name", site_columns(cat));
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st, sql, "cannot read sites");
    if (rc)
        return rc;
    int r;
    while ((r = sw__sql_step(st)) == 1) {
        sw_site s;
        if ((rc = site_from_row(ctx, st, &s)) != 0)
            break;
        int stop = fn(&s, user);
        sw_site_clear(&s);
        if (stop)
            break;
    }
    sw__sql_finalize(st);
    return rc ? rc : r < 0 ? r : 0;
}

int sw__store_site_insert(sw_ctx *ctx, sw_catalog *cat, const sw_site *s)
{
    sw__stmt *st = NULL;
    int rc = sw__db_begin(ctx, cat);
    if (rc == 0)
        rc = sw__sql_prepare(ctx, cat, &st,
                             sw__sql_pg(cat)
                                 ? "INSERT INTO sites(name, aoi, crs_epsg, resolution_m, buffer_m, area_m2, lon, lat, "
                                   "created_at) VALUES(?1, ST_GeomFromText(?2, 4326), ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
                                   "ON CONFLICT(name) DO NOTHING"
                                 : "INSERT INTO sites(name, aoi_wkt, crs_epsg, resolution_m, buffer_m, area_m2, lon, lat, "
                                   "created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT(name) DO NOTHING",
                             "cannot add the site");
    if (rc == 0) {
        sw__sql_bind_text(st, 1, s->name);
        sw__sql_bind_text(st, 2, s->aoi_wkt);
        sw__sql_bind_int64(st, 3, s->crs_epsg);
        sw__sql_bind_double(st, 4, s->resolution_m);
        sw__sql_bind_double(st, 5, s->buffer_m);
        sw__sql_bind_double(st, 6, s->area_m2);
        sw__sql_bind_double(st, 7, s->lon);
        sw__sql_bind_double(st, 8, s->lat);
        sw__sql_bind_text(st, 9, s->created);
        rc = sw__sql_run(st);
        if (rc == 0 && st->changes == 0)
            rc = sw__err(ctx, SW_ECONFLICT, "%s: a site named '%s' already exists", cat->path, s->name);
    }
    sw__sql_finalize(st);
    return sw__db_end(ctx, cat, rc);
}

int sw__store_site_method(sw_ctx *ctx, sw_catalog *cat, const char *name, char *buf, size_t n)
{
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st, "SELECT method FROM sites WHERE name = ?1", "cannot read sites");
    if (rc)
        return rc;
    sw__sql_bind_text(st, 1, name);
    int r = sw__sql_step(st);
    if (r == 1)
        snprintf(buf, n, "%s", sw__sql_text(st, 0));
    else if (r == 0)
        rc = sw__err(ctx, SW_ENOTFOUND, "%s: no site named '%s'", cat->path, name);
    else
        rc = r;
    sw__sql_finalize(st);
    return rc;
}

int sw__store_site_set_method(sw_ctx *ctx, sw_catalog *cat, const char *name, const char *method)
{
    sw__stmt *st = NULL;
    int rc = sw__db_begin(ctx, cat);
    if (rc == 0)
        rc = sw__sql_prepare(ctx, cat, &st, "UPDATE sites SET method = ?2 WHERE name = ?1", "cannot change the site");
    if (rc == 0) {
        sw__sql_bind_text(st, 1, name);
        sw__sql_bind_text(st, 2, method);
        rc = sw__sql_run(st);
        if (rc == 0 && st->changes == 0)
            rc = sw__err(ctx, SW_ENOTFOUND, "%s: no site named '%s'", cat->path, name);
    }
    sw__sql_finalize(st);
    return sw__db_end(ctx, cat, rc);
}

int sw__store_site_delete(sw_ctx *ctx, sw_catalog *cat, const char *name, int force)
{
    sw_site s = {0};
    int rc = sw__db_begin(ctx, cat);
    if (rc)
        return rc;
    rc = sw_site_get(ctx, cat, name, &s);
    if (rc == 0)
        rc = sw__db_lock_site(ctx, cat, s.id);
    if (rc == 0 && s.scenes > 0 && !force)
        rc = sw__err(ctx, SW_ECONFLICT, "site '%s' has %lld scenes: give --force to remove it and all it holds "
                                        "(your source files are not touched)", name, (long long)s.scenes);
    if (rc == 0)
        rc = sw__db_exec_id(ctx, cat, "DELETE FROM sites WHERE id = ?1", s.id, "cannot remove the site");
    sw_site_clear(&s);
    return sw__db_end(ctx, cat, rc);
}

int sw__store_sites_meeting(sw_ctx *ctx, sw_catalog *cat, const char *wkt_ll,
                            int (*fn)(void *user, const char *site), void *user)
{
    int pg = sw__sql_pg(cat);
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st,
                             pg ? "SELECT name, '' FROM sites WHERE ST_Intersects(aoi, ST_GeomFromText(?1, 4326)) "
                                  "ORDER BY name"
                                : "SELECT name, aoi_wkt FROM sites ORDER BY name",
                             "cannot find the sites a scene meets");
    if (rc)
        return rc;
    sw__sql_bind_text(st, 1, wkt_ll);
    int r = 0;
    while (rc == 0 && (r = sw__sql_step(st)) == 1) {
        int meets = pg ? 1 : sw__wkt_intersects(sw__sql_text(st, 1), wkt_ll);
        if (meets < 0)
            rc = sw__err(ctx, SW_EFORMAT, "%s: site '%s': its AOI or the footprint cannot be read", cat->path,
                         sw__sql_text(st, 0));
        else if (meets)
            rc = fn(user, sw__sql_text(st, 0));
    }
    if (rc == 0 && r < 0)
        rc = r;
    sw__sql_finalize(st);
    return rc;
}
