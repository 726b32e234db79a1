/*
 * stac.c: a STAC Item as one scene (src/io/delivery.c's fourth kind): its
 * single-band assets by common name (eo:bands or STAC 1.1 bands; an asset
 * listed twice, as GeoTIFF and JPEG 2000, counted once) or its one
 * multi-band data asset (PlanetScope's analytic); its mask asset (scl,
 * qa_pixel, udm2) with the rule to read it; its datetime and sensor
 * (constellation, platform). Relative hrefs lie beside the item's file;
 * http(s) and s3 hrefs go through GDAL's /vsicurl/ and /vsis3/.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "delivery_int.h"
#include "pair_int.h"


/* An asset's href as a path GDAL opens (malloc'd). */
static char *href_path(const char *h, const char *dir)
{
    size_t n = strlen(h) + strlen(dir) + 16;
    char *out = malloc(n);
    if (!out)
        return NULL;
    if (!strncmp(h, "file://", 7))
        snprintf(out, n, "%s", h + 7);
    else if (!strncmp(h, "http://", 7) || !strncmp(h, "https://", 8))
        snprintf(out, n, "/vsicurl/%s", h);
    else if (!strncmp(h, "s3://", 5))
        snprintf(out, n, "/vsis3/%s", h + 5);
    else if (h[0] == '/')
        snprintf(out, n, "%s", h);
    else
        snprintf(out, n, "%s/%s", dir, h);
    return out;
}

static int has_role(const cJSON *asset, const char *role)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(asset, "roles")) if (cJSON_IsString(r) &&
                                                                                 !strcmp(r->valuestring, role)) return 1;
    return 0;
}

/* The band list of an asset: STAC 1.1 "bands" or the eo extension's
 * "eo:bands". */
static const cJSON *asset_bands(const cJSON *asset)
{
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(asset, "bands");
    return cJSON_IsArray(b) ? b : cJSON_GetObjectItemCaseSensitive(asset, "eo:bands");
}

/* The common name of one band of an asset: its eo:common_name (STAC 1.1),
 * common_name, or name, or else the asset's key. rededge bands are told
 * apart by their Sentinel-2 name (B05 -> rededge1). */
static const char *band_common_of(const cJSON *band, const char *key)
{
    static const char *const fields[] = {"name", "eo:common_name", "common_name"};
    for (int i = 0; i < 3; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(band, fields[i]);
        const char *c = cJSON_IsString(v) ? sw__band_common(v->valuestring) : NULL;
        if (c)
            return c;
    }
    return sw__band_common(key);
}

static const char *stac_sensor(const cJSON *props, char out[32])
{
    const char *fields[] = {"constellation", "platform"};
    for (int i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(props, fields[i]);
        if (!cJSON_IsString(v))
            continue;
        const char *s = v->valuestring;
        if (!strncasecmp(s, "sentinel-2", 10) || !strncasecmp(s, "sentinel2", 9))
            snprintf(out, 32, "Sentinel-2");
        else if (!strncasecmp(s, "landsat-", 8) || !strncasecmp(s, "landsat_", 8))
            snprintf(out, 32, "Landsat-%d", atoi(s + 8));
        else if (!strcasecmp(s, "planetscope") || !strncasecmp(s, "PS2", 3) || !strncasecmp(s, "PSB", 3))
            snprintf(out, 32, "PlanetScope");
        else if (!strcasecmp(s, "landsat"))
            continue; /* the platform says which */
        else
            snprintf(out, 32, "%s", s);
        return out;
    }
    return out;
}

int sw__stac_read(sw_ctx *ctx, const char *file, const char *want_id, sw__delivery *d)
{
    size_t len = 0;
    char *text = NULL;
    int rc = sw__read_file(ctx, file, 64 << 20, &text, &len);
    if (rc)
        return rc;
    cJSON *root = cJSON_Parse(text);
    free(text);
    if (!root)
        return sw__err(ctx, SW_EFORMAT, "%s: not JSON (a STAC Item)", file);
    const cJSON *item = root;
    const cJSON *features = cJSON_GetObjectItemCaseSensitive(root, "features");
    if (cJSON_IsArray(features)) {
        const cJSON *f;
        item = NULL;
        cJSON_ArrayForEach(f, features)
        {
            const cJSON *id = cJSON_GetObjectItemCaseSensitive(f, "id");
            if (want_id ? cJSON_IsString(id) && !strcmp(id->valuestring, want_id) : cJSON_GetArraySize(features) == 1)
                item = f;
        }
        if (!item) {
            rc = want_id ? sw__err(ctx, SW_ENOTFOUND, "%s: no item '%s' in the collection", file, want_id)
                         : sw__err(ctx, SW_EARG, "%s: an ItemCollection of %d items: name one as %s#ID, or "
                                                 "enqueue --discover it",
                                   file, cJSON_GetArraySize(features), file);
            cJSON_Delete(root);
            return rc;
        }
    }
    rc = sw__delivery_from_stac(ctx, file, item, d);
    cJSON_Delete(root);
    return rc;
}

int sw__delivery_from_stac(sw_ctx *ctx, const char *file, const struct cJSON *item, sw__delivery *d)
{
    memset(d, 0, sizeof *d);
    const cJSON *type = cJSON_GetObjectItemCaseSensitive(item, "type");
    const cJSON *assets = cJSON_GetObjectItemCaseSensitive(item, "assets");
    if (!cJSON_IsString(type) || strcmp(type->valuestring, "Feature") || !cJSON_IsObject(assets))
        return sw__err(ctx, SW_EFORMAT, "%s: not a STAC Item (a Feature with assets)", file);
    int rc;
    char *dir = sw__dlv_dir_of(file);
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(item, "properties");
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(props, "datetime");
    if (!cJSON_IsString(dt))
        dt = cJSON_GetObjectItemCaseSensitive(props, "start_datetime");
    if (cJSON_IsString(dt))
        sw__dlv_take_date(dt->valuestring, d->date);
    stac_sensor(props, d->sensor);
    /* Single-band reflectance assets, one per common name (an asset may
     * come twice, as GeoTIFF and JPEG 2000: the first listed is kept);
     * else one multi-band data asset (PlanetScope's analytic). */
    const cJSON *a, *multi = NULL;
    rc = dir ? 0 : sw__err(ctx, SW_ENOMEM, "out of memory");
    cJSON_ArrayForEach(a, assets)
    {
        if (rc)
            break;
        const char *key = a->string ? a->string : "";
        const cJSON *href = cJSON_GetObjectItemCaseSensitive(a, "href");
        if (!cJSON_IsString(href) || has_role(a, "thumbnail") || has_role(a, "overview") || has_role(a, "visual") ||
            has_role(a, "metadata"))
            continue;
        char lower[64];
        snprintf(lower, sizeof lower, "%s", key);
        for (char *p = lower; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        int mask_rule = !strcmp(lower, "scl")             ? SW__MASK_S2_SCL
                        : !strcmp(lower, "qa_pixel")      ? SW__MASK_LANDSAT_QA
                        : strstr(lower, "udm2")           ? SW__MASK_CLEAR
                                                          : -1;
        const cJSON *bands = asset_bands(a), *mime = cJSON_GetObjectItemCaseSensitive(a, "type");
        int nb = cJSON_GetArraySize(bands);
        const char *c = mask_rule < 0 && nb <= 1 ? band_common_of(nb == 1 ? cJSON_GetArrayItem(bands, 0) : NULL, key)
                                                 : NULL;
        int data = has_role(a, "data") || has_role(a, "reflectance") || !strcmp(lower, "analytic") ||
                   (cJSON_IsString(mime) && strstr(mime->valuestring, "image/tiff"));
        char *path = mask_rule >= 0 || c ? href_path(href->valuestring, dir) : NULL;
        if ((mask_rule >= 0 || c) && !path) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        } else if (mask_rule >= 0) {
            if (!d->mask)
                rc = sw__dlv_set_mask(ctx, d, path, mask_rule);
        } else if (c) {
            int dup = 0;
            for (int i = 0; i < d->nnames; i++)
                dup |= !strcmp(d->names[i], c);
            if (!dup && (data || !cJSON_GetObjectItem(a, "roles")))
                rc = sw__dlv_add_band(ctx, d, path, c);
        } else if (!multi && data) {
            multi = a; /* one raster of several bands (PlanetScope's analytic) */
        }
        free(path);
    }
    if (rc == 0 && d->nfiles < 2 && multi) {
        /* one raster of several bands, named from its band list if any */
        sw__free_strv(d->files, d->nfiles);
        sw__free_strv(d->names, d->nnames);
        d->files = d->names = NULL;
        d->nfiles = d->nnames = 0;
        const cJSON *bands = asset_bands(multi), *b;
        int nb = cJSON_GetArraySize(bands), named = 0;
        d->files = malloc(sizeof *d->files);
        d->names = calloc((size_t)nb + 1, sizeof *d->names);
        if (!d->files || !d->names || !(d->files[0] = href_path(cJSON_GetObjectItem(multi, "href")->valuestring, dir)))
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        else
            d->nfiles = 1;
        cJSON_ArrayForEach(b, bands)
        {
            if (rc)
                break;
            const char *c = band_common_of(b, "");
            const cJSON *nm = cJSON_GetObjectItemCaseSensitive(b, "name");
            if (!(d->names[d->nnames++] = strdup(c ? c : cJSON_IsString(nm) ? nm->valuestring : "?")))
                rc = sw__err(ctx, SW_ENOMEM, "out of memory");
            named += c != NULL;
        }
        if (rc == 0 && !named) { /* names say nothing: keep the raster's own */
            sw__free_strv(d->names, d->nnames);
            d->names = NULL;
            d->nnames = 0;
        }
    } else if (rc == 0 && d->nfiles >= 2) {
        sw__dlv_sort_bands(d);
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
    if (rc == 0 && d->nfiles == 0)
        rc = sw__err(ctx, SW_EFORMAT, "%s: item %s: no asset to ingest (bands by common name, or a data asset: "
                                      "analytic, a data role, or a GeoTIFF)",
                     file, cJSON_IsString(id) ? id->valuestring : "?");
    d->kind = "STAC Item";
    free(dir);
    if (rc)
        sw__delivery_clear(d);
    return rc;
}
