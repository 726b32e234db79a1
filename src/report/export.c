/*
 * export.c: a site's objects for other tools: GeoJSON (RFC 7946), a
 * GeoPackage in the site's CRS, or one IARPA SMART site model per object
 * (its site feature, and an observation per usable scene with its phase).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "../catalog/store.h"

/* One SMART site model: the object's site feature and an observation per
 * usable scene. */
/* SMART's names for sensors (its schema admits these four); NULL for
 * others, which keep their own name in misc_info. */
static const char *smart_sensor(const char *s)
{
    if (!strcmp(s, "Sentinel-2"))
        return "Sentinel-2";
    if (!strcmp(s, "Landsat-8"))
        return "Landsat 8";
    if (!strcmp(s, "PlanetScope") || !strcmp(s, "SkySat"))
        return "Planet";
    if (!strncasecmp(s, "WorldView", 9))
        return "WorldView";
    return NULL;
}

static int write_smart(sw_ctx *ctx, const sw_site *site, const sw__scene_row *sc, int nsc,
                       const sw__site_object *o, const sw_export_opts *opt, const char *path)
{
    /* the site's outline is one polygon (the object's, or its parts' hull);
     * the observations carry the object as found */
    char *geom = sw__wkt_to_geojson(o->wkt, site->crs_epsg, 0);
    char *outline = geom ? sw__wkt_to_geojson(o->wkt, site->crs_epsg, 1) : NULL;
    if (!geom || !outline) {
        free(geom);
        return sw__err(ctx, SW_EFORMAT, "object %lld: cannot write its outline in WGS84", (long long)o->id);
    }
    sw__buf b = {0};
    sw__json j;
    sw__json_init(&j, &b);
    char site_id[160];
    snprintf(site_id, sizeof site_id, "%s_%04lld", opt->region_id, (long long)o->id);
    /* The 100 km MGRS square of its centre (the site's CRS is a UTM zone). */
    char mgrs[16] = "";
    double cx, cy, lon, lat;
    if (sw__wkt_centroid(o->wkt, &cx, &cy) == 0) {
        lon = cx;
        lat = cy;
        if (sw__to_lonlat(site->crs_epsg, &lon, &lat, 1) == 0 &&
            sw__mgrs(site->crs_epsg % 100, lat, cx, cy >= 0 ? cy : cy + 10000000.0, 0, mgrs, sizeof mgrs) != 0)
            mgrs[0] = '\0';
    }
    /* An object withdrawn (no longer found) is rejected, not construction;
     * one gone is active only while it was seen. */
    int withdrawn = !strcmp(o->status, "withdrawn"), gone = !strcmp(o->status, "gone");
    const char *status = withdrawn ? "system_rejected" : o->confirmed_at[0] ? "system_confirmed" : "system_proposed";
    sw__json_collection(&j);
    sw__json_key(&j, "features");
    sw__json_arr(&j);
    sw__json_feature(&j);
    const char *kv[][2] = {{"type", "site"},         {"region_id", opt->region_id}, {"site_id", site_id},
                           {"version", "2.0.1"},     {"mgrs", mgrs},                {"model_content", "proposed"},
                           {"originator", opt->originator}, {"status", status}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        sw__json_key(&j, kv[i][0]);
        sw__json_str(&j, kv[i][1]);
    }
    sw__json_key(&j, "start_date");
    sw__json_str(&j, o->first_seen[0] ? o->first_seen : NULL);
    sw__json_key(&j, "end_date");
    sw__json_str(&j, o->last_seen[0] ? o->last_seen : NULL);
    sw__json_key(&j, "score");
    sw__json_num(&j, withdrawn ? 0.0 : o->confirmed_at[0] ? 1.0 : 0.5);
    /* what SMART has no field for */
    sw__json_key(&j, "misc_info");
    sw__json_obj(&j);
    sw__json_key(&j, "sitewatch_site");
    sw__json_str(&j, site->name);
    sw__json_key(&j, "object_id");
    sw__json_int(&j, o->id);
    sw__json_key(&j, "object_status");
    sw__json_str(&j, o->status);
    sw__json_key(&j, "confirmed");
    sw__json_str(&j, o->confirmed_at[0] ? o->confirmed_at : NULL);
    sw__json_key(&j, "area_m2");
    sw__json_num(&j, o->area_m2);
    sw__json_end(&j, '}');
    sw__json_end(&j, '}');
    sw__json_key(&j, "geometry");
    sw__json_raw(&j, outline);
    sw__json_end(&j, '}');
    for (int i = 0; i < nsc; i++) {
        if (sc[i].cover * (1 - sc[i].cloud) < 0.5)
            continue;
        const char *date = sc[i].date;
        const char *phase = withdrawn || strcmp(date, o->first_seen) < 0 ||
                                    (gone && o->last_seen[0] && strcmp(date, o->last_seen) > 0)
                                ? "No Activity"
                            : (!o->confirmed_at[0] || strcmp(date, o->confirmed_at) < 0) ? "Active Construction"
                                                                                         : "Post Construction";
        sw__json_feature(&j);
        sw__json_key(&j, "type");
        sw__json_str(&j, "observation");
        sw__json_key(&j, "observation_date");
        sw__json_str(&j, date);
        sw__json_key(&j, "source");
        sw__json_str(&j, "sitewatch");
        sw__json_key(&j, "sensor_name");
        sw__json_str(&j, smart_sensor(sc[i].sensor));
        sw__json_key(&j, "current_phase");
        sw__json_str(&j, phase);
        sw__json_key(&j, "is_occluded");
        sw__json_str(&j, "False");
        sw__json_key(&j, "is_site_boundary");
        sw__json_str(&j, "True");
        sw__json_key(&j, "score");
        sw__json_num(&j, 1.0);
        sw__json_key(&j, "misc_info");
        sw__json_obj(&j);
        sw__json_key(&j, "sensor");
        sw__json_str(&j, sc[i].sensor[0] ? sc[i].sensor : NULL);
        sw__json_key(&j, "usable_fraction");
        sw__json_num(&j, sc[i].cover * (1 - sc[i].cloud));
        sw__json_end(&j, '}');
        sw__json_end(&j, '}');
        sw__json_key(&j, "geometry");
        sw__json_raw(&j, geom);
        sw__json_end(&j, '}');
    }
    sw__json_end(&j, ']');
    sw__json_end(&j, '}');
    sw__buf_putc(&b, '\n');
    int rc = b.failed ? sw__err(ctx, SW_ENOMEM, "out of memory") : sw__file_write_atomic(ctx, path, b.data, b.len);
    sw__buf_free(&b);
    free(geom);
    free(outline);
    return rc;
}

int sw_site_export(sw_ctx *ctx, sw_catalog *cat, const char *site_name, const char *format, const char *out,
                   int64_t *nout)
{
    return sw_site_export_with(ctx, cat, site_name, format, out, NULL, nout);
}

/* 1 when id is a SMART region id: two capital letters, _, R, S or T and
 * three digits (or C and 000-799). */
static int smart_region(const char *id)
{
    if (strlen(id) != 7 || !isupper((unsigned char)id[0]) || !isupper((unsigned char)id[1]) || id[2] != '_')
        return 0;
    for (int i = 4; i < 7; i++)
        if (!isdigit((unsigned char)id[i]))
            return 0;
    return strchr("RST", id[3]) || (id[3] == 'C' && id[4] <= '7');
}

int sw_site_export_with(sw_ctx *ctx, sw_catalog *cat, const char *site_name, const char *format, const char *out,
                        const sw_export_opts *opts, int64_t *nout)
{
    sw_export_opts o = {"XX_R000", "sitewatch"};
    if (opts && opts->region_id)
        o.region_id = opts->region_id;
    if (opts && opts->originator)
        o.originator = opts->originator;
    if (!smart_region(o.region_id))
        return sw__err(ctx, SW_EARG, "SMART region id '%s': two capital letters, _, then R, S or T and three "
                                     "digits (KR_R001)", o.region_id);
    if (!*o.originator)
        return sw__err(ctx, SW_EARG, "SMART originator: empty");
    int gpkg = !strcmp(format, "gpkg"), smart = !strcmp(format, "smart");
    if (!gpkg && !smart && strcmp(format, "geojson"))
        return sw__err(ctx, SW_EARG, "export format '%s': smart, geojson or gpkg", format);
    sw_site site = {0};
    int rc = sw_site_get(ctx, cat, site_name, &site);
    if (rc)
        return rc;
    sw__site_object *obj = NULL;
    int64_t n = 0;
    rc = sw__objects_load(ctx, cat, site.id, &obj, &n);
    if (rc == 0 && smart) {
        /* the site's scenes, once for all its objects */
        sw__scene_row *sc = NULL;
        int nsc = 0;
        if ((rc = sw__store_scenes(ctx, cat, site.id, &sc, &nsc)) == 0)
            rc = sw__mkdir_p(ctx, out);
        for (int64_t i = 0; i < n && rc == 0; i++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s_%04lld.geojson", out, o.region_id, (long long)obj[i].id);
            rc = write_smart(ctx, &site, sc, nsc, &obj[i], &o, path);
        }
        sw__scene_rows_free(sc, nsc);
    } else if (rc == 0) {
        char *tmpdir = NULL, *tmp = sw__tmp_beside(ctx, out, &tmpdir);
        if (!tmp) {
            rc = ctx->code;
        } else {
            /* (the driver is chosen: the name's extension tells GDAL nothing) */
            rc = sw__objects_write(ctx, tmp, gpkg, site.crs_epsg, obj, n);
            if (rc == 0 && rename(tmp, out) != 0)
                rc = sw__err(ctx, SW_EIO, "%s: cannot rename into place: %s", out, strerror(errno));
            sw__tmpdir_remove(tmpdir);
            free(tmpdir);
            free(tmp);
        }
    }
    if (rc == 0 && nout)
        *nout = n;
    sw__objects_free(obj, n);
    sw_site_clear(&site);
    return rc;
}
