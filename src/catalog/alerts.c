/*
 * alerts.c: the catalog's alerts (listed, acknowledged, dismissed), and the
 * rows a report reads beside the objects: the latest run, alert states,
 * observations.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"

int sw_alert_list(sw_ctx *ctx, sw_catalog *cat, const char *site, const char *since,
                  int (*fn)(const sw_alert_row *a, void *user), void *user)
{
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st,
                             sw__sql_pg(cat)
                                 ? "SELECT a.id, a.object_id, s.name, a.created_at, a.state, a.message, "
                                   "coalesce(o.status, ''), coalesce(o.first_seen, ''), coalesce(o.last_seen, ''), "
                                   "coalesce(o.confirmed_at, ''), coalesce(o.area_m2, 0), ST_AsText(o.geom), s.crs_epsg "
                                   "FROM alerts a JOIN sites s ON s.id = a.site_id LEFT JOIN objects o ON o.id = a.object_id "
                                   "WHERE (?1::text IS NULL OR s.name = ?1) AND (?2::text IS NULL OR a.created_at >= ?2) "
                                   "ORDER BY a.created_at DESC, a.id DESC"
                                 : "SELECT a.id, a.object_id, s.name, a.created_at, a.state, a.message, "
                                   "coalesce(o.status, ''), coalesce(o.first_seen, ''), coalesce(o.last_seen, ''), "
                                   "coalesce(o.confirmed_at, ''), coalesce(o.area_m2, 0), o.geometry_wkt, s.crs_epsg "
                                   "FROM alerts a JOIN sites s ON s.id = a.site_id LEFT JOIN objects o ON o.id = a.object_id "
                                   "WHERE (?1 IS NULL OR s.name = ?1) AND (?2 IS NULL OR a.created_at >= ?2) "
                                   "ORDER BY a.created_at DESC, a.id DESC",
                             "cannot read alerts");
    if (rc)
        return rc;
    sw__sql_bind_text(st, 1, site);
    sw__sql_bind_text(st, 2, since);
    int s2;
    while ((s2 = sw__sql_step(st)) == 1) {
        sw_alert_row a = {0};
        a.id = sw__sql_int64(st, 0);
        a.object_id = sw__sql_int64(st, 1);
        snprintf(a.site, sizeof a.site, "%s", sw__sql_text(st, 2));
        snprintf(a.created, sizeof a.created, "%s", sw__sql_text(st, 3));
        snprintf(a.state, sizeof a.state, "%s", sw__sql_text(st, 4));
        a.raised = sw__sql_is_null(st, 5) ? NULL : sw__sql_text(st, 5);
        snprintf(a.status, sizeof a.status, "%s", sw__sql_text(st, 6));
        snprintf(a.first_seen, sizeof a.first_seen, "%s", sw__sql_text(st, 7));
        snprintf(a.last_seen, sizeof a.last_seen, "%s", sw__sql_text(st, 8));
        snprintf(a.confirmed, sizeof a.confirmed, "%s", sw__sql_text(st, 9));
        a.area_m2 = sw__sql_double(st, 10);
        const char *wkt = sw__sql_is_null(st, 11) ? NULL : sw__sql_text(st, 11);
        a.lon = a.lat = NAN;
        double cx, cy;
        int epsg = (int)sw__sql_int64(st, 12);
        if (wkt && sw__wkt_centroid(wkt, &cx, &cy) == 0) {
            a.lon = cx;
            a.lat = cy;
            if (sw__to_lonlat(epsg, &a.lon, &a.lat, 1) != 0)
                a.lon = a.lat = NAN;
            else if (sw__mgrs(epsg % 100, a.lat, cx, cy >= 0 ? cy : cy + 10000000.0, 5, a.mgrs, sizeof a.mgrs) != 0)
                a.mgrs[0] = '\0';
        }
        /* The text from what is known of the object now. */
        char msg[512];
        if (!wkt)
            snprintf(msg, sizeof msg, "%s", a.raised ? a.raised : "");
        else if (a.confirmed[0])
            snprintf(msg, sizeof msg, "%s object of %.0f m2, first seen %s, confirmed %s, last seen %s, at %.5f, %.5f%s%s",
                     a.status, a.area_m2, a.first_seen, a.confirmed, a.last_seen, a.lat, a.lon, a.mgrs[0] ? ", MGRS " : "",
                     a.mgrs);
        else
            snprintf(msg, sizeof msg, "%s object of %.0f m2, first seen %s, no longer confirmed, last seen %s, at "
                                      "%.5f, %.5f%s%s",
                     a.status, a.area_m2, a.first_seen, a.last_seen, a.lat, a.lon, a.mgrs[0] ? ", MGRS " : "", a.mgrs);
        a.message = msg;
        if (fn(&a, user))
            break;
    }
    rc = s2 < 0 ? s2 : 0;
    sw__sql_finalize(st);
    if (rc == 0 && site) {
        sw_site tmp = {0};
        rc = sw_site_get(ctx, cat, site, &tmp);
        sw_site_clear(&tmp);
    }
    return rc;
}

int sw_alert_set(sw_ctx *ctx, sw_catalog *cat, int64_t id, const char *state)
{
    if (strcmp(state, "acknowledged") && strcmp(state, "dismissed"))
        return sw__err(ctx, SW_EARG, "alert state '%s': acknowledged or dismissed", state);
    int rc = sw__db_begin(ctx, cat);
    sw__stmt *st = NULL;
    if (rc == 0 && (rc = sw__sql_prepare(ctx, cat, &st, "UPDATE alerts SET state = ?2 WHERE id = ?1",
                                         "cannot update the alert")) == 0) {
        sw__sql_bind_int64(st, 1, id);
        sw__sql_bind_text(st, 2, state);
        rc = sw__sql_run(st);
        if (rc == 0 && st->changes == 0)
            rc = sw__err(ctx, SW_ENOTFOUND, "%s: no alert %lld", cat->path, (long long)id);
        sw__sql_finalize(st);
    }
    if (rc == 0 && !strcmp(state, "dismissed"))
        rc = sw__db_exec_id(ctx, cat,
                            "UPDATE objects SET dismissed = 1 WHERE id = (SELECT object_id FROM alerts WHERE id = ?1)",
                            id, "cannot dismiss the object");
    return sw__db_end(ctx, cat, rc);
}

/* ---- what a report shows ---- */

int sw__store_last_run(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, char at[32], char *params, size_t n)
{
    sw__stmt *st;
    at[0] = '\0';
    params[0] = '\0';
    int rc = sw__sql_prepare(ctx, cat, &st,
                             "SELECT started_at, coalesce(parameters, '') FROM runs WHERE site_id = ?1 "
                             "AND command = 'analyze' ORDER BY id DESC LIMIT 1",
                             "cannot read runs");
    if (rc)
        return rc;
    sw__sql_bind_int64(st, 1, site_id);
    int r = sw__sql_step(st);
    if (r == 1) {
        snprintf(at, 32, "%s", sw__sql_text(st, 0));
        snprintf(params, n, "%s", sw__sql_text(st, 1));
    }
    sw__sql_finalize(st);
    return r < 0 ? r : 0;
}

int sw__store_alert_states(sw_ctx *ctx, sw_catalog *cat, int64_t site_id,
                           void (*fn)(void *user, int64_t alert, int64_t object, const char *state), void *user)
{
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st,
                             "SELECT id, object_id, state FROM alerts WHERE site_id = ?1 ORDER BY id",
                             "cannot read alerts");
    if (rc)
        return rc;
    sw__sql_bind_int64(st, 1, site_id);
    int r;
    while ((r = sw__sql_step(st)) == 1)
        fn(user, sw__sql_int64(st, 0), sw__sql_int64(st, 1), sw__sql_text(st, 2));
    sw__sql_finalize(st);
    return r < 0 ? r : 0;
}

int sw__store_observations(sw_ctx *ctx, sw_catalog *cat, int64_t site_id,
                           void (*fn)(void *user, int64_t object, const char *date, double area_m2), void *user)
{
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st,
                             "SELECT b.object_id, s.acquired, b.area_m2 FROM observations b "
                             "JOIN scenes s ON s.id = b.scene_id WHERE s.site_id = ?1 ORDER BY b.object_id, s.acquired",
                             "cannot read observations");
    if (rc)
        return rc;
    sw__sql_bind_int64(st, 1, site_id);
    int r;
    while ((r = sw__sql_step(st)) == 1)
        fn(user, sw__sql_int64(st, 0), sw__sql_text(st, 1), sw__sql_double(st, 2));
    sw__sql_finalize(st);
    return r < 0 ? r : 0;
}
