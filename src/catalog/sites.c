/*
 * sites.c: the catalog's sites table: read, list, insert, delete.
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

static const char *const site_columns =
    "s.id, s.name, s.aoi_wkt, s.crs_epsg, s.resolution_m, s.buffer_m, s.area_m2, s.lon, s.lat, s.created_at, "
    "(SELECT count(*) FROM scenes c WHERE c.site_id = s.id)";

static void site_from_row(sqlite3_stmt *st, sw_site *s)
{
    memset(s, 0, sizeof *s);
    s->id = sqlite3_column_int64(st, 0);
    snprintf(s->name, sizeof s->name, "%s", (const char *)sqlite3_column_text(st, 1));
    s->aoi_wkt = strdup((const char *)sqlite3_column_text(st, 2));
    s->crs_epsg = sqlite3_column_int(st, 3);
    s->resolution_m = sqlite3_column_double(st, 4);
    s->buffer_m = sqlite3_column_double(st, 5);
    s->area_m2 = sqlite3_column_double(st, 6);
    s->lon = sqlite3_column_double(st, 7);
    s->lat = sqlite3_column_double(st, 8);
    snprintf(s->created, sizeof s->created, "%s", (const char *)sqlite3_column_text(st, 9));
    s->scenes = sqlite3_column_int64(st, 10);
}

int sw_site_get(sw_ctx *ctx, sw_catalog *cat, const char *name, sw_site *site)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM sites s WHERE s.name = ?1", site_columns);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sw__db_err(ctx, cat, "cannot read sites");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_ROW)
        site_from_row(st, site);
    else if (rc == SQLITE_DONE)
        out = sw__err(ctx, SW_ENOTFOUND, "%s: no site named '%s'", cat->path, name);
    else
        out = sw__db_err(ctx, cat, "cannot read sites");
    sqlite3_finalize(st);
    return out;
}

int sw_site_list(sw_ctx *ctx, sw_catalog *cat, int (*fn)(const sw_site *s, void *user), void *user)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM sites s ORDER BY s.name", site_columns);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sw__db_err(ctx, cat, "cannot read sites");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sw_site s;
        site_from_row(st, &s);
        int stop = fn(&s, user);
        sw_site_clear(&s);
        if (stop)
            break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sw__db_err(ctx, cat, "cannot read sites");
    sqlite3_finalize(st);
    return out;
}

int sw__store_site_insert(sw_ctx *ctx, sw_catalog *cat, const sw_site *s)
{
    sqlite3_stmt *st = NULL;
    int rc = sw__db_exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
    if (rc == 0 &&
        sqlite3_prepare_v2(cat->db,
                           "INSERT INTO sites(name, aoi_wkt, crs_epsg, resolution_m, buffer_m, area_m2, lon, lat, created_at) "
                           "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                           -1, &st, NULL) != SQLITE_OK)
        rc = sw__db_err(ctx, cat, "cannot add the site");
    if (rc == 0) {
        sqlite3_bind_text(st, 1, s->name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, s->aoi_wkt, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 3, s->crs_epsg);
        sqlite3_bind_double(st, 4, s->resolution_m);
        sqlite3_bind_double(st, 5, s->buffer_m);
        sqlite3_bind_double(st, 6, s->area_m2);
        sqlite3_bind_double(st, 7, s->lon);
        sqlite3_bind_double(st, 8, s->lat);
        sqlite3_bind_text(st, 9, s->created, -1, SQLITE_TRANSIENT);
        int r = sqlite3_step(st);
        if (r == SQLITE_CONSTRAINT)
            rc = sw__err(ctx, SW_ECONFLICT, "%s: a site named '%s' already exists", cat->path, s->name);
        else if (r != SQLITE_DONE)
            rc = sw__db_err(ctx, cat, "cannot add the site");
    }
    sqlite3_finalize(st);
    return sw__db_end(ctx, cat, rc);
}

int sw__store_site_method(sw_ctx *ctx, sw_catalog *cat, const char *name, char *buf, size_t n)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cat->db, "SELECT method FROM sites WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
        return sw__db_err(ctx, cat, "cannot read sites");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int r = sqlite3_step(st), rc = 0;
    if (r == SQLITE_ROW)
        snprintf(buf, n, "%s", (const char *)sqlite3_column_text(st, 0));
    else if (r == SQLITE_DONE)
        rc = sw__err(ctx, SW_ENOTFOUND, "%s: no site named '%s'", cat->path, name);
    else
        rc = sw__db_err(ctx, cat, "cannot read sites");
    sqlite3_finalize(st);
    return rc;
}

int sw__store_site_set_method(sw_ctx *ctx, sw_catalog *cat, const char *name, const char *method)
{
    sqlite3_stmt *st = NULL;
    int rc = sw__db_exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
    if (rc == 0 && sqlite3_prepare_v2(cat->db, "UPDATE sites SET method = ?2 WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
        rc = sw__db_err(ctx, cat, "cannot change the site");
    if (rc == 0) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, method, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sw__db_err(ctx, cat, "cannot change the site");
        else if (sqlite3_changes(cat->db) == 0)
            rc = sw__err(ctx, SW_ENOTFOUND, "%s: no site named '%s'", cat->path, name);
    }
    sqlite3_finalize(st);
    return sw__db_end(ctx, cat, rc);
}

int sw__store_site_delete(sw_ctx *ctx, sw_catalog *cat, const char *name, int force)
{
    sw_site s = {0};
    int rc = sw__db_exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
    if (rc)
        return rc;
    rc = sw_site_get(ctx, cat, name, &s);
    if (rc == 0 && s.scenes > 0 && !force)
        rc = sw__err(ctx, SW_ECONFLICT, "site '%s' has %lld scenes: give --force to remove it and all it holds "
                                        "(your source files are not touched)", name, (long long)s.scenes);
    if (rc == 0)
        rc = sw__db_exec_id(ctx, cat, "DELETE FROM sites WHERE id = ?1", s.id, "cannot remove the site");
    sw_site_clear(&s);
    return sw__db_end(ctx, cat, rc);
}
