/*
 * discover.c: scene discovery: a new scene, or a STAC ItemCollection of
 * them, turned into one job per site whose area of interest the scene's
 * footprint meets.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../catalog/store.h"

typedef struct meet {
    sw_ctx *ctx;
    sw_catalog *cat;
    const char *scene;
    const sw_ingest_opts *opts;
    int max_attempts, met, *queued;
    sw_discover_fn fn;
    void *user;
} meet;

static int queue_for(void *user, const char *site)
{
    meet *m = user;
    int64_t id = 0;
    int added = 0;
    int rc = sw_job_enqueue(m->ctx, m->cat, site, m->scene, m->opts, m->max_attempts, &id, &added);
    if (rc)
        return rc;
    m->met++;
    if (added && m->queued)
        (*m->queued)++;
    if (m->fn)
        m->fn(m->scene, site, id, added, m->user);
    return 0;
}

/* Queues scene for the sites footprint (lon/lat WKT) meets. */
static int queue_meeting(sw_ctx *ctx, sw_catalog *cat, const char *scene, const char *footprint,
                         const sw_ingest_opts *opts, int max_attempts, sw_discover_fn fn, void *user, int *queued)
{
    meet m = {ctx, cat, scene, opts, max_attempts, 0, queued, fn, user};
    int rc = sw__store_sites_meeting(ctx, cat, footprint, queue_for, &m);
    if (rc == 0 && !m.met && fn)
        fn(scene, NULL, 0, 0, user);
    return rc;
}

int sw_job_enqueue_meeting(sw_ctx *ctx, sw_catalog *cat, const char *scene, const sw_ingest_opts *opts,
                           int max_attempts, sw_discover_fn fn, void *user, int *queued)
{
    sw__scene_src src = {0};
    char *footprint = NULL;
    int rc = sw__scene_open(ctx, scene, &src);
    if (rc == 0)
        rc = sw__raster_footprint(ctx, src.files[0], &footprint);
    sw__scene_close(&src);
    if (rc == 0)
        rc = queue_meeting(ctx, cat, scene, footprint, opts, max_attempts, fn, user, queued);
    free(footprint);
    return rc;
}

/* The scene an item names, as a path sitewatch can open (malloc'd). */
static char *item_scene(const cJSON *item, const char *dir)
{
    const cJSON *assets = cJSON_GetObjectItemCaseSensitive(item, "assets"), *a, *pick = NULL;
    pick = cJSON_GetObjectItemCaseSensitive(assets, "analytic");
    cJSON_ArrayForEach(a, assets)
    {
        const cJSON *roles = cJSON_GetObjectItemCaseSensitive(a, "roles"), *r;
        cJSON_ArrayForEach(r, roles) if (!pick && cJSON_IsString(r) && !strcmp(r->valuestring, "data")) pick = a;
    }
    cJSON_ArrayForEach(a, assets)
    {
        const cJSON *type = cJSON_GetObjectItemCaseSensitive(a, "type");
        if (!pick && cJSON_IsString(type) && strstr(type->valuestring, "image/tiff"))
            pick = a;
    }
    const cJSON *href = cJSON_GetObjectItemCaseSensitive(pick, "href");
    if (!cJSON_IsString(href) || !*href->valuestring)
        return NULL;
    const char *h = href->valuestring;
    size_t n = strlen(h) + strlen(dir) + 16;
    char *out = malloc(n);
    if (!out)
        return NULL;
    if (!strncmp(h, "file://", 7))
        snprintf(out, n, "%s", h + 7);
    else if (!strncmp(h, "http://", 7) || !strncmp(h, "https://", 8))
        snprintf(out, n, "/vsicurl/%s", h);
    else if (h[0] == '/')
        snprintf(out, n, "%s", h);
    else
        snprintf(out, n, "%s/%s", dir, h);
    return out;
}

int sw_job_enqueue_stac(sw_ctx *ctx, sw_catalog *cat, const char *path, const sw_ingest_opts *opts,
                        int max_attempts, sw_discover_fn fn, void *user, int *queued)
{
    size_t len = 0;
    char *text = NULL;
    int rc = sw__read_file(ctx, path, 64 << 20, &text, &len);
    if (rc)
        return rc;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root)
        return sw__err(ctx, SW_EFORMAT, "%s: not JSON (a STAC ItemCollection or Item)", path);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(root, "type");
    const cJSON *features = cJSON_GetObjectItemCaseSensitive(root, "features"), *item;
    int one = cJSON_IsString(type) && !strcmp(type->valuestring, "Feature");
    if (!one && !cJSON_IsArray(features)) {
        cJSON_Delete(root);
        return sw__err(ctx, SW_EFORMAT, "%s: not a STAC ItemCollection or Item (no features)", path);
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int index = 0;
    for (item = one ? root : features ? features->child : NULL; item && rc == 0; item = one ? NULL : item->next, index++) {
        const cJSON *idj = cJSON_GetObjectItemCaseSensitive(item, "id");
        char name[160];
        snprintf(name, sizeof name, "%s", cJSON_IsString(idj) ? idj->valuestring : "");
        if (!name[0])
            snprintf(name, sizeof name, "#%d", index + 1);
        char *geo = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(item, "geometry"));
        char *footprint = sw__geojson_to_wkt(geo);
        char *scene = item_scene(item, dir);
        free(geo);
        if (!footprint)
            rc = sw__err(ctx, SW_EFORMAT, "%s: item %s: no geometry to tell where it lies", path, name);
        else if (!scene)
            rc = sw__err(ctx, SW_EFORMAT, "%s: item %s: no asset to ingest (analytic, a data role, or a GeoTIFF)",
                         path, name);
        if (rc == 0) {
            sw_ingest_opts o;
            if (opts)
                o = *opts;
            else
                sw_ingest_opts_init(&o);
            /* its date: the item's, unless one was given */
            const cJSON *props = cJSON_GetObjectItemCaseSensitive(item, "properties");
            const cJSON *dt = cJSON_GetObjectItemCaseSensitive(props, "datetime");
            char date[11] = "";
            if (!o.date && cJSON_IsString(dt) && strlen(dt->valuestring) >= 10) {
                snprintf(date, sizeof date, "%.10s", dt->valuestring);
                o.date = date;
            }
            rc = queue_meeting(ctx, cat, scene, footprint, &o, max_attempts, fn, user, queued);
        }
        free(footprint);
        free(scene);
    }
    cJSON_Delete(root);
    return rc;
}
