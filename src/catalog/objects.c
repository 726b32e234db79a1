/*
 * objects.c: the catalog's change objects, their observations and alerts
 * as an analysis leaves them, and the comparisons kept between analyses.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog_int.h"

/* ---- comparisons ---- */

int sw__store_pair_get(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, const char *key,
                       int (*fn)(void *user, const char *wkt, double area_m2, double score), void *user,
                       int *found)
{
    sqlite3_stmt *st;
    *found = 0;
    int rc = sw__run_sql(ctx, cat, &st, "SELECT id FROM comparisons WHERE site_id = ?1 AND key = ?2");
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, site_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
    int64_t id = 0;
    if (sqlite3_step(st) == SQLITE_ROW) {
        *found = 1;
        id = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (!*found)
        return 0;
    if ((rc = sw__run_sql(ctx, cat, &st, "SELECT geometry_wkt, area_m2, score FROM comparison_objects "
                                         "WHERE comparison_id = ?1 ORDER BY rowid")) != 0)
        return rc;
    sqlite3_bind_int64(st, 1, id);
    int s;
    while (rc == 0 && (s = sqlite3_step(st)) == SQLITE_ROW)
        rc = fn(user, (const char *)sqlite3_column_text(st, 0), sqlite3_column_double(st, 1),
                sqlite3_column_double(st, 2));
    if (rc == 0 && s != SQLITE_DONE)
        rc = sw__db_err(ctx, cat, "cannot read a kept comparison");
    sqlite3_finalize(st);
    return rc;
}

int sw__store_pair_put(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, const char *key, const sw__pair_object *o,
                       int64_t n)
{
    sqlite3_stmt *st = NULL;
    int rc = sw__db_exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
    if (rc == 0 && (rc = sw__run_sql(ctx, cat, &st, "INSERT OR REPLACE INTO comparisons(site_id, key, created_at) "
                                                    "VALUES(?1, ?2, ?3)")) == 0) {
        sqlite3_bind_int64(st, 1, site_id);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 3, (int64_t)time(NULL));
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sw__db_err(ctx, cat, "cannot keep a comparison");
        sqlite3_finalize(st);
    }
    int64_t id = sqlite3_last_insert_rowid(cat->db);
    if (rc == 0 && (rc = sw__run_sql(ctx, cat, &st, "INSERT INTO comparison_objects(comparison_id, geometry_wkt, "
                                                    "area_m2, score) VALUES(?1, ?2, ?3, ?4)")) == 0) {
        for (int64_t i = 0; i < n && rc == 0; i++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, id);
            sqlite3_bind_text(st, 2, o[i].wkt, -1, SQLITE_STATIC);
            sqlite3_bind_double(st, 3, o[i].area_m2);
            sqlite3_bind_double(st, 4, o[i].score);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = sw__db_err(ctx, cat, "cannot keep a comparison");
        }
        sqlite3_finalize(st);
    }
    return sw__db_end(ctx, cat, rc);
}

int sw__store_pair_prune(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, char (*keys)[25], int n)
{
    sqlite3_stmt *st = NULL, *del = NULL;
    int rc = sw__db_exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
    if (rc == 0)
        rc = sw__run_sql(ctx, cat, &st, "SELECT id, key FROM comparisons WHERE site_id = ?1 AND created_at < ?2");
    if (rc == 0)
        rc = sw__run_sql(ctx, cat, &del, "DELETE FROM comparisons WHERE id = ?1");
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, site_id);
        sqlite3_bind_int64(st, 2, (int64_t)time(NULL) - 60);
        while (rc == 0 && sqlite3_step(st) == SQLITE_ROW) {
            const char *k = (const char *)sqlite3_column_text(st, 1);
            int keep = 0;
            for (int u = 0; u < n && !keep; u++)
                keep = strcmp(k, keys[u]) == 0;
            if (keep)
                continue;
            sqlite3_reset(del);
            sqlite3_bind_int64(del, 1, sqlite3_column_int64(st, 0));
            if (sqlite3_step(del) != SQLITE_DONE)
                rc = sw__db_err(ctx, cat, "cannot drop a kept comparison");
        }
    }
    sqlite3_finalize(st);
    sqlite3_finalize(del);
    return sw__db_end(ctx, cat, rc);
}

/* ---- an analysis persisted ---- */

static int record_scenes(sw_ctx *ctx, sw_catalog *cat, const sw__analysis *a)
{
    sqlite3_stmt *st;
    int rc = sw__run_sql(ctx, cat, &st, "UPDATE scenes SET cloud_fraction = ?2, cloud_mask = ?3, "
                                        "shift_x = coalesce(?4, shift_x), shift_y = coalesce(?5, shift_y) "
                                        "WHERE id = ?1");
    for (int i = 0; i < a->nscenes && rc == 0; i++) {
        const sw__scene_row *s = &a->scenes[i];
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        sqlite3_bind_int64(st, 1, s->id);
        sqlite3_bind_double(st, 2, s->cloud);
        if (s->cloud > 0 && s->chip) {
            char mask[4200];
            snprintf(mask, sizeof mask, "%.*s.clouds.tif", (int)(strlen(s->chip) - 4), s->chip);
            sqlite3_bind_text(st, 3, mask, -1, SQLITE_TRANSIENT);
        }
        if (s->id == a->baseline) {
            sqlite3_bind_double(st, 4, 0.0); /* the baseline itself */
            sqlite3_bind_double(st, 5, 0.0);
        } else if (!isnan(s->sx)) {
            sqlite3_bind_double(st, 4, s->sx);
            sqlite3_bind_double(st, 5, s->sy);
        }
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sw__db_err(ctx, cat, "cannot record the cloud screen");
    }
    if (st)
        sqlite3_finalize(st);
    return rc;
}

static int record_run(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, const char *params, const char *now)
{
    sqlite3_stmt *st;
    int rc = sw__run_sql(ctx, cat, &st, "INSERT INTO runs(site_id, started_at, command, parameters) "
                                        "VALUES(?1, ?2, 'analyze', ?3)");
    if (rc)
        return rc;
    sqlite3_bind_int64(st, 1, site_id);
    sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, params, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = sw__db_err(ctx, cat, "cannot record the run");
    sqlite3_finalize(st);
    return rc;
}

enum { DEL, UPD, INS, OBS, HASALERT, ALERT, NSTMT };
static const char *const sql_of[NSTMT] = {
    "DELETE FROM observations WHERE object_id IN (SELECT id FROM objects WHERE site_id = ?1)",
    "UPDATE objects SET status = ?2, first_seen = ?3, last_seen = ?4, confirmed = ?5, "
    "confirmed_at = ?6, geometry_wkt = ?7, area_m2 = ?8 WHERE id = ?1",
    "INSERT INTO objects(site_id, status, first_seen, last_seen, confirmed, confirmed_at, "
    "geometry_wkt, area_m2) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    "INSERT INTO observations(object_id, scene_id, area_m2, score) VALUES(?1, ?2, ?3, ?4)",
    "SELECT count(*) FROM alerts WHERE object_id = ?1",
    "INSERT INTO alerts(site_id, object_id, created_at, kind, message) VALUES(?1, ?2, ?3, 'new', ?4)",
};

/* One track: its object updated or inserted, its observations, and its
 * alert when it is newly confirmed. */
static int record_track(sw_ctx *ctx, sw_catalog *cat, sqlite3_stmt **q, const sw_site *site, const sw__analysis *a,
                        sw__track_row *t, const char *now, sw_alert **fresh, int *nfresh)
{
    sqlite3_stmt *w = t->id ? q[UPD] : q[INS];
    sqlite3_reset(w);
    sqlite3_bind_int64(w, 1, t->id ? t->id : site->id);
    sqlite3_bind_text(w, 2, t->status, -1, SQLITE_STATIC);
    sqlite3_bind_text(w, 3, t->first, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(w, 4, t->last, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(w, 5, t->confirmed[0] != 0);
    if (t->confirmed[0])
        sqlite3_bind_text(w, 6, t->confirmed, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(w, 6);
    sqlite3_bind_text(w, 7, t->wkt, -1, SQLITE_TRANSIENT);
    sqlite3_bind_double(w, 8, t->area);
    if (sqlite3_step(w) != SQLITE_DONE)
        return sw__db_err(ctx, cat, "cannot record an object");
    if (!t->id)
        t->id = sqlite3_last_insert_rowid(cat->db);
    for (int o = 0; o < t->nobs; o++) {
        sqlite3_reset(q[OBS]);
        sqlite3_bind_int64(q[OBS], 1, t->id);
        sqlite3_bind_int64(q[OBS], 2, t->obs[o].scene);
        sqlite3_bind_double(q[OBS], 3, t->obs[o].area);
        sqlite3_bind_double(q[OBS], 4, t->obs[o].score);
        if (sqlite3_step(q[OBS]) != SQLITE_DONE)
            return sw__db_err(ctx, cat, "cannot record an observation");
    }
    if (!t->confirmed[0] || t->dismissed)
        return 0;
    sqlite3_reset(q[HASALERT]);
    sqlite3_bind_int64(q[HASALERT], 1, t->id);
    if (sqlite3_step(q[HASALERT]) != SQLITE_ROW || sqlite3_column_int(q[HASALERT], 0) != 0)
        return 0;
    char msg[256] = "";
    if (a->alert_text)
        a->alert_text(a->match_user, t, msg, sizeof msg);
    sqlite3_reset(q[ALERT]);
    sqlite3_bind_int64(q[ALERT], 1, site->id);
    sqlite3_bind_int64(q[ALERT], 2, t->id);
    sqlite3_bind_text(q[ALERT], 3, now, -1, SQLITE_STATIC);
    sqlite3_bind_text(q[ALERT], 4, msg, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(q[ALERT]) != SQLITE_DONE)
        return sw__db_err(ctx, cat, "cannot record an alert");
    sw_alert *na = realloc(*fresh, (size_t)(*nfresh + 1) * sizeof *na);
    if (!na)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    *fresh = na;
    sw_alert *al = &na[(*nfresh)++];
    memset(al, 0, sizeof *al);
    al->id = sqlite3_last_insert_rowid(cat->db);
    al->object_id = t->id;
    snprintf(al->date, 11, "%s", t->confirmed);
    snprintf(al->first_seen, 11, "%s", t->first);
    al->area_m2 = t->area;
    al->site = site->name;
    return 0;
}

/* Objects no longer found go, unless the analyst dismissed them or an
 * alert was raised for them: those stay, withdrawn, with their alerts (an
 * alert once raised is never erased). */
static int drop_lost(sw_ctx *ctx, sw_catalog *cat, sqlite3_stmt *hasalert, const sw__site_object *old, int64_t nold,
                     const uint8_t *taken)
{
    int rc = 0;
    for (int64_t o = 0; o < nold && rc == 0; o++) {
        if (taken[o] || old[o].dismissed)
            continue;
        sqlite3_reset(hasalert);
        sqlite3_bind_int64(hasalert, 1, old[o].id);
        int alerted = sqlite3_step(hasalert) == SQLITE_ROW && sqlite3_column_int(hasalert, 0) > 0;
        rc = alerted ? sw__db_exec_id(ctx, cat,
                                      "UPDATE objects SET status = 'withdrawn', confirmed = 0, confirmed_at = NULL "
                                      "WHERE id = ?1",
                                      old[o].id, "cannot withdraw an object")
                     : sw__db_exec_id(ctx, cat, "DELETE FROM objects WHERE id = ?1", old[o].id, "cannot drop an object");
    }
    return rc;
}

int sw__store_analysis(sw_ctx *ctx, sw_catalog *cat, const sw_site *site, const sw__analysis *a,
                       sw_alert **fresh, int *nfresh)
{
    char now[32];
    sw__db_now(now);
    *fresh = NULL;
    *nfresh = 0;
    sw__site_object *old = NULL;
    int64_t nold = 0;
    uint8_t *taken = NULL;
    sqlite3_stmt *q[NSTMT] = {0};
    int rc = sw__db_exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
    if (rc)
        return rc;
    if ((rc = record_scenes(ctx, cat, a)) == 0 && (rc = record_run(ctx, cat, site->id, a->params, now)) == 0)
        rc = sw__objects_load(ctx, cat, site->id, &old, &nold);
    /* Which stored object each track continues, read inside the
     * transaction so no other analysis changes them meanwhile. */
    if (rc == 0 && a->match && (rc = a->match(a->match_user, old, nold, a->tracks, a->ntracks)) != 0)
        rc = sw__err(ctx, rc, "%s: cannot match the objects found to those stored (%s)", cat->path, sw_strerror(rc));
    taken = calloc((size_t)nold + 1, 1);
    if (rc == 0 && !taken)
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
    for (int k = 0; k < NSTMT && rc == 0; k++)
        rc = sw__run_sql(ctx, cat, &q[k], sql_of[k]);
    if (rc == 0) {
        sqlite3_bind_int64(q[DEL], 1, site->id);
        if (sqlite3_step(q[DEL]) != SQLITE_DONE)
            rc = sw__db_err(ctx, cat, "cannot update the analysis");
    }
    for (int t = 0; t < a->ntracks && rc == 0; t++) {
        sw__track_row *tr = &a->tracks[t];
        for (int64_t o = 0; tr->id && o < nold; o++)
            if (old[o].id == tr->id) {
                taken[o] = 1;
                tr->dismissed = old[o].dismissed;
            }
        rc = record_track(ctx, cat, q, site, a, tr, now, fresh, nfresh);
    }
    if (rc == 0)
        rc = drop_lost(ctx, cat, q[HASALERT], old, nold, taken);
    /* An open alert whose object more scenes no longer confirm (scenes
     * arrived out of order) is withdrawn. */
    if (rc == 0)
        rc = sw__db_exec_id(ctx, cat, "UPDATE alerts SET state = 'withdrawn' WHERE state = 'open' AND object_id IN "
                                      "(SELECT id FROM objects WHERE site_id = ?1 AND confirmed = 0)",
                            site->id, "cannot withdraw alerts");
    for (int k = 0; k < NSTMT; k++)
        sqlite3_finalize(q[k]);
    free(taken);
    sw__objects_free(old, nold);
    rc = sw__db_end(ctx, cat, rc);
    if (rc) {
        free(*fresh);
        *fresh = NULL;
        *nfresh = 0;
    }
    return rc;
}

/* ---- objects ---- */

int sw__objects_load(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, sw__site_object **out, int64_t *nout)
{
    sqlite3_stmt *st;
    sw__site_object *obj = NULL;
    int64_t n = 0, cap = 0;
    int rc;
    if ((rc = sw__run_sql(ctx, cat, &st,
                      "SELECT id, status, coalesce(first_seen, ''), coalesce(last_seen, ''), coalesce(confirmed_at, ''), "
                      "coalesce(area_m2, 0), dismissed, geometry_wkt FROM objects WHERE site_id = ?1 ORDER BY id")) == 0) {
        sqlite3_bind_int64(st, 1, site_id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? 2 * cap : 32;
                sw__site_object *no = realloc(obj, (size_t)cap * sizeof *no);
                if (!no) {
                    rc = sw__err(ctx, SW_ENOMEM, "out of memory");
                    break;
                }
                obj = no;
            }
            sw__site_object *o = &obj[n++];
            memset(o, 0, sizeof *o);
            o->id = sqlite3_column_int64(st, 0);
            snprintf(o->status, sizeof o->status, "%s", (const char *)sqlite3_column_text(st, 1));
            snprintf(o->first_seen, sizeof o->first_seen, "%s", (const char *)sqlite3_column_text(st, 2));
            snprintf(o->last_seen, sizeof o->last_seen, "%s", (const char *)sqlite3_column_text(st, 3));
            snprintf(o->confirmed_at, sizeof o->confirmed_at, "%s", (const char *)sqlite3_column_text(st, 4));
            o->area_m2 = sqlite3_column_double(st, 5);
            o->dismissed = sqlite3_column_int(st, 6);
            const unsigned char *w = sqlite3_column_text(st, 7);
            o->wkt = strdup(w ? (const char *)w : "");
        }
        sqlite3_finalize(st);
    }
    if (rc) {
        sw__objects_free(obj, n);
        obj = NULL;
        n = 0;
    }
    *out = obj;
    *nout = n;
    return rc;
}

void sw__objects_free(sw__site_object *obj, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        free((char *)obj[i].wkt);
    free(obj);
}
