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

/* The scene an item is: the item itself (ref: the Item file, or
 * COLLECTION.json#ID), which ingest reads as a delivery (bands by name, its
 * mask, its date); or, when it holds a single plain raster, that file, so
 * the same scene reached another way is one job. NULL with the error in
 * ctx. */
static char *item_scene(sw_ctx *ctx, const char *file, const cJSON *item, const char *ref)
{
    sw__delivery d;
    if (sw__delivery_from_stac(ctx, file, item, &d) != 0)
        return NULL;
    char *out = strdup(d.nfiles == 1 && !d.nnames && !d.mask ? d.files[0] : ref);
    sw__delivery_clear(&d);
    if (!out)
        sw__err(ctx, SW_ENOMEM, "out of memory");
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
    int index = 0;
    for (item = one ? root : features ? features->child : NULL; item && rc == 0; item = one ? NULL : item->next, index++) {
        const cJSON *idj = cJSON_GetObjectItemCaseSensitive(item, "id");
        char name[160];
        snprintf(name, sizeof name, "%s", cJSON_IsString(idj) ? idj->valuestring : "");
        if (!name[0])
            snprintf(name, sizeof name, "#%d", index + 1);
        char *geo = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(item, "geometry"));
        char *footprint = sw__geojson_to_wkt(geo), *scene = NULL;
        free(geo);
        char *ref = malloc(strlen(path) + strlen(name) + 2);
        if (!ref)
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        else if (one)
            snprintf(ref, strlen(path) + 1, "%s", path);
        else
            sprintf(ref, "%s#%s", path, name);
        if (rc == 0 && !footprint)
            rc = sw__err(ctx, SW_EFORMAT, "%s: item %s: no geometry to tell where it lies", path, name);
        else if (rc == 0 && !(scene = item_scene(ctx, path, item, ref)))
            rc = ctx->code;
        free(ref);
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
