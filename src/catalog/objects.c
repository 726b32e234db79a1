/*
 * objects.c: an analysis persisted (the cloud screen's verdicts, the run,
 * change objects with their observations, alerts) in one transaction,
 * and the site's objects read back.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"

static int record_scenes(sw_ctx *ctx, sw_catalog *cat, const sw__analysis *a)
{
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st,
                             "UPDATE scenes SET cloud_fraction = ?2, cloud_mask = ?3, "
                             "shift_x = coalesce(?4, shift_x), shift_y = coalesce(?5, shift_y) WHERE id = ?1",
                             "cannot record the cloud screen");
    for (int i = 0; i < a->nscenes && rc == 0; i++) {
        const sw__scene_row *s = &a->scenes[i];
        sw__sql_reset(st);
        sw__sql_clear(st);
        sw__sql_bind_int64(st, 1, s->id);
        sw__sql_bind_double(st, 2, s->cloud);
        if (s->cloud > 0 && s->chip) {
            char mask[4200];
            snprintf(mask, sizeof mask, "%.*s.clouds.tif", (int)(strlen(s->chip) - 4), s->chip);
            sw__sql_bind_text(st, 3, mask);
        } else {
            sw__sql_bind_null(st, 3);
        }
        if (s->id == a->baseline) {
            sw__sql_bind_double(st, 4, 0.0); /* the baseline itself */
            sw__sql_bind_double(st, 5, 0.0);
        } else if (!isnan(s->sx)) {
            sw__sql_bind_double(st, 4, s->sx);
            sw__sql_bind_double(st, 5, s->sy);
        } else {
            sw__sql_bind_null(st, 4);
            sw__sql_bind_null(st, 5);
        }
        rc = sw__sql_run(st);
    }
    sw__sql_finalize(st);
    return rc;
}

static int record_run(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, const char *params, const char *now)
{
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st, "INSERT INTO runs(site_id, started_at, command, parameters) "
                                            "VALUES(?1, ?2, 'analyze', ?3)", "cannot record the run");
    if (rc)
        return rc;
    sw__sql_bind_int64(st, 1, site_id);
    sw__sql_bind_text(st, 2, now);
    sw__sql_bind_text(st, 3, params);
    rc = sw__sql_run(st);
    sw__sql_finalize(st);
    return rc;
}

/* The analysis saw every scene the site holds now: scenes are only ever
 * added, so the same count is the same set. Another scene recorded since
 * it read them (a worker ingesting beside it) makes it stale. */
static int still_current(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, int nscenes)
{
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st, "SELECT count(*) FROM scenes WHERE site_id = ?1", "cannot read scenes");
    if (rc)
        return rc;
    sw__sql_bind_int64(st, 1, site_id);
    int r = sw__sql_step(st);
    if (r == 1 && sw__sql_int64(st, 0) != nscenes)
        r = sw__err(ctx, SW__ESTALE, "%s: scenes arrived during the analysis", cat->path);
    sw__sql_finalize(st);
    return r < 0 ? r : 0;
}

/* The job this analysis completes (a worker's), done in the same
 * transaction, and only while its lease is still this worker's. */
static int complete_job(sw_ctx *ctx, sw_catalog *cat, int nfresh, const char *now)
{
    if (cat->job <= 0)
        return 0;
    char result[600];
    snprintf(result, sizeof result, "%s%s%d alert%s", cat->job_result, cat->job_result[0] ? ", " : "", nfresh,
             nfresh == 1 ? "" : "s");
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st,
                             "UPDATE jobs SET state = 'done', finished_at = ?3, result = ?4, error = NULL, "
                             "lease_until = NULL WHERE id = ?1 AND token = ?2 AND state = 'running'",
                             "cannot complete the job");
    if (rc)
        return rc;
    sw__sql_bind_int64(st, 1, cat->job);
    sw__sql_bind_int64(st, 2, cat->job_token);
    sw__sql_bind_text(st, 3, now);
    sw__sql_bind_text(st, 4, result);
    rc = sw__sql_run(st);
    if (rc == 0 && st->changes == 0)
        rc = sw__err(ctx, SW_ECONFLICT, "%s: job %lld: its lease ran out and another worker took it", cat->path,
                     (long long)cat->job);
    sw__sql_finalize(st);
    return rc;
}

enum { DEL, UPD, INS, OBS, HASALERT, ALERT, NSTMT };
static const char *const sql_lite[NSTMT] = {
    "DELETE FROM observations WHERE object_id IN (SELECT id FROM objects WHERE site_id = ?1)",
    "UPDATE objects SET status = ?2, first_seen = ?3, last_seen = ?4, confirmed = ?5, "
    "confirmed_at = ?6, geometry_wkt = ?7, area_m2 = ?8 WHERE id = ?1",
    "INSERT INTO objects(site_id, status, first_seen, last_seen, confirmed, confirmed_at, "
    "geometry_wkt, area_m2) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING id",
    "INSERT INTO observations(object_id, scene_id, area_m2, score) VALUES(?1, ?2, ?3, ?4)",
    "SELECT count(*) FROM alerts WHERE object_id = ?1",
    "INSERT INTO alerts(site_id, object_id, created_at, kind, message) VALUES(?1, ?2, ?3, 'new', ?4) RETURNING id",
};
static const char *const sql_pg[NSTMT] = {
    "DELETE FROM observations WHERE object_id IN (SELECT id FROM objects WHERE site_id = ?1)",
    "UPDATE objects SET status = ?2, first_seen = ?3, last_seen = ?4, confirmed = ?5, "
    "confirmed_at = ?6, geom = ST_GeomFromText(?7, ?9), area_m2 = ?8 WHERE id = ?1",
    "INSERT INTO objects(site_id, status, first_seen, last_seen, confirmed, confirmed_at, "
    "geom, area_m2) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ST_GeomFromText(?7, ?9), ?8) RETURNING id",
    "INSERT INTO observations(object_id, scene_id, area_m2, score) VALUES(?1, ?2, ?3, ?4)",
    "SELECT count(*) FROM alerts WHERE object_id = ?1",
    "INSERT INTO alerts(site_id, object_id, created_at, kind, message) VALUES(?1, ?2, ?3, 'new', ?4) RETURNING id",
};

/* One track: its object updated or inserted, its observations, and its
 * alert when it is newly confirmed. */
static int record_track(sw_ctx *ctx, sw__stmt **q, const sw_site *site, const sw__analysis *a, sw__track_row *t,
                        const char *now, sw_alert **fresh, int *nfresh)
{
    sw__stmt *w = t->id ? q[UPD] : q[INS];
    sw__sql_reset(w);
    sw__sql_bind_int64(w, 1, t->id ? t->id : site->id);
    sw__sql_bind_text(w, 2, t->status);
    sw__sql_bind_text(w, 3, t->first);
    sw__sql_bind_text(w, 4, t->last);
    sw__sql_bind_int64(w, 5, t->confirmed[0] != 0);
    sw__sql_bind_text(w, 6, t->confirmed[0] ? t->confirmed : NULL);
    sw__sql_bind_text(w, 7, t->wkt);
    sw__sql_bind_double(w, 8, t->area);
    sw__sql_bind_int64(w, 9, site->crs_epsg);
    int r = sw__sql_step(w);
    if (r < 0)
        return r;
    if (!t->id)
        t->id = sw__sql_int64(w, 0);
    if ((r = sw__sql_run(w)) < 0)
        return r;
    for (int o = 0; o < t->nobs; o++) {
        sw__sql_reset(q[OBS]);
        sw__sql_bind_int64(q[OBS], 1, t->id);
        sw__sql_bind_int64(q[OBS], 2, t->obs[o].scene);
        sw__sql_bind_double(q[OBS], 3, t->obs[o].area);
        sw__sql_bind_double(q[OBS], 4, t->obs[o].score);
        if ((r = sw__sql_run(q[OBS])) < 0)
            return r;
    }
    if (!t->confirmed[0] || t->dismissed)
        return 0;
    sw__sql_reset(q[HASALERT]);
    sw__sql_bind_int64(q[HASALERT], 1, t->id);
    r = sw__sql_step(q[HASALERT]);
    if (r < 0)
        return r;
    if (r != 1 || sw__sql_int64(q[HASALERT], 0) != 0)
        return 0;
    char msg[256] = "";
    if (a->alert_text)
        a->alert_text(a->match_user, t, msg, sizeof msg);
    sw__sql_reset(q[ALERT]);
    sw__sql_bind_int64(q[ALERT], 1, site->id);
    sw__sql_bind_int64(q[ALERT], 2, t->id);
    sw__sql_bind_text(q[ALERT], 3, now);
    sw__sql_bind_text(q[ALERT], 4, msg);
    if ((r = sw__sql_step(q[ALERT])) != 1)
        return r < 0 ? r : sw__err(ctx, SW_EINTERNAL, "an alert was recorded without an id");
    int64_t alert_id = sw__sql_int64(q[ALERT], 0);
    if ((r = sw__sql_run(q[ALERT])) < 0)
        return r;
    sw_alert *na = realloc(*fresh, (size_t)(*nfresh + 1) * sizeof *na);
    if (!na)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    *fresh = na;
    sw_alert *al = &na[(*nfresh)++];
    memset(al, 0, sizeof *al);
    al->id = alert_id;
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
static int drop_lost(sw_ctx *ctx, sw_catalog *cat, sw__stmt *hasalert, const sw__site_object *old, int64_t nold,
                     const uint8_t *taken)
{
    int rc = 0;
    for (int64_t o = 0; o < nold && rc == 0; o++) {
        if (taken[o] || old[o].dismissed)
            continue;
        sw__sql_reset(hasalert);
        sw__sql_bind_int64(hasalert, 1, old[o].id);
        int r = sw__sql_step(hasalert);
        if (r < 0)
            return r;
        int alerted = r == 1 && sw__sql_int64(hasalert, 0) > 0;
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
    sw__stmt *q[NSTMT] = {0};
    double t0 = sw__now();
    int rc = sw__db_begin(ctx, cat);
    if (rc)
        return rc;
    if ((rc = sw__db_lock_site(ctx, cat, site->id)) == 0 && (rc = still_current(ctx, cat, site->id, a->nscenes)) == 0 &&
        (rc = record_scenes(ctx, cat, a)) == 0 && (rc = record_run(ctx, cat, site->id, a->params, now)) == 0)
        rc = sw__objects_load(ctx, cat, site->id, &old, &nold);
    /* Which stored object each track continues, read inside the
     * transaction so no other analysis changes them meanwhile. */
    if (rc == 0 && a->match && (rc = a->match(a->match_user, old, nold, a->tracks, a->ntracks)) != 0)
        rc = sw__err(ctx, rc, "%s: cannot match the objects found to those stored (%s)", cat->path, sw_strerror(rc));
    taken = calloc((size_t)nold + 1, 1);
    if (rc == 0 && !taken)
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
    for (int k = 0; k < NSTMT && rc == 0; k++)
        rc = sw__sql_prepare(ctx, cat, &q[k], sw__sql_pg(cat) ? sql_pg[k] : sql_lite[k], "cannot update the analysis");
    if (rc == 0) {
        sw__sql_bind_int64(q[DEL], 1, site->id);
        rc = sw__sql_run(q[DEL]);
    }
    for (int t = 0; t < a->ntracks && rc == 0; t++) {
        sw__track_row *tr = &a->tracks[t];
        for (int64_t o = 0; tr->id && o < nold; o++)
            if (old[o].id == tr->id) {
                taken[o] = 1;
                tr->dismissed = old[o].dismissed;
            }
        rc = record_track(ctx, q, site, a, tr, now, fresh, nfresh);
    }
    if (rc == 0)
        rc = drop_lost(ctx, cat, q[HASALERT], old, nold, taken);
    /* An open alert whose object more scenes no longer confirm (scenes
     * arrived out of order) is withdrawn. */
    if (rc == 0)
        rc = sw__db_exec_id(ctx, cat, "UPDATE alerts SET state = 'withdrawn' WHERE state = 'open' AND object_id IN "
                                      "(SELECT id FROM objects WHERE site_id = ?1 AND confirmed = 0)",
                            site->id, "cannot withdraw alerts");
    if (rc == 0)
        rc = complete_job(ctx, cat, *nfresh, now);
    for (int k = 0; k < NSTMT; k++)
        sw__sql_finalize(q[k]);
    free(taken);
    sw__objects_free(old, nold);
    rc = sw__db_end(ctx, cat, rc);
    if (cat->job > 0)
        cat->commit_s += sw__now() - t0;
    if (rc) {
        free(*fresh);
        *fresh = NULL;
        *nfresh = 0;
    }
    return rc;
}

int sw__objects_load(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, sw__site_object **out, int64_t *nout)
{
    sw__stmt *st;
    sw__site_object *obj = NULL;
    int64_t n = 0, cap = 0;
    int rc, r = 0;
    if ((rc = sw__sql_prepare(ctx, cat, &st,
                              sw__sql_pg(cat)
                                  ? "SELECT id, status, coalesce(first_seen, ''), coalesce(last_seen, ''), "
                                    "coalesce(confirmed_at, ''), coalesce(area_m2, 0), dismissed, ST_AsText(geom) "
                                    "FROM objects WHERE site_id = ?1 ORDER BY id"
                                  : "SELECT id, status, coalesce(first_seen, ''), coalesce(last_seen, ''), "
                                    "coalesce(confirmed_at, ''), coalesce(area_m2, 0), dismissed, geometry_wkt "
                                    "FROM objects WHERE site_id = ?1 ORDER BY id",
                              "cannot read objects")) == 0) {
        sw__sql_bind_int64(st, 1, site_id);
        while ((r = sw__sql_step(st)) == 1) {
            if (n == cap) {
                int64_t nc = cap ? 2 * cap : 32;
                sw__site_object *no = realloc(obj, (size_t)nc * sizeof *no);
                if (!no) {
                    rc = sw__err(ctx, SW_ENOMEM, "out of memory");
                    break;
                }
                obj = no;
                cap = nc;
            }
            sw__site_object *o = &obj[n++];
            memset(o, 0, sizeof *o);
            o->id = sw__sql_int64(st, 0);
            snprintf(o->status, sizeof o->status, "%s", sw__sql_text(st, 1));
            snprintf(o->first_seen, sizeof o->first_seen, "%s", sw__sql_text(st, 2));
            snprintf(o->last_seen, sizeof o->last_seen, "%s", sw__sql_text(st, 3));
            snprintf(o->confirmed_at, sizeof o->confirmed_at, "%s", sw__sql_text(st, 4));
            o->area_m2 = sw__sql_double(st, 5);
            o->dismissed = (int)sw__sql_int64(st, 6);
            if (!(o->wkt = strdup(sw__sql_text(st, 7)))) {
                rc = sw__err(ctx, SW_ENOMEM, "out of memory");
                break;
            }
        }
        if (rc == 0 && r < 0)
            rc = r;
        sw__sql_finalize(st);
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
    for (int64_t i = 0; obj && i < n; i++)
        free((char *)obj[i].wkt);
    free(obj);
}
