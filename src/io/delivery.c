/*
 * delivery.c: a product as its provider delivers it, read as one scene.
 *
 *   a Sentinel-2 .SAFE product (L1C or L2A), or its MTD_MSIL*.xml
 *   a Landsat Collection 2 band set (a folder, or its _MTL file)
 *   a PlanetScope scene (its analytic GeoTIFF, or the folder holding it)
 *   a STAC Item (a local JSON file; COLLECTION.json#ID names one item of an
 *   ItemCollection), read by stac.c
 *
 * Each gives its band files in band order with their common names
 * (bandnames.c), the acquisition date and sensor from its metadata, and its
 * own usability mask with the rule that reads it: Sentinel-2 L2A's scene
 * classification, L1C's cloud classification, Landsat's QA_PIXEL bits,
 * PlanetScope's UDM2. Anything else is not a delivery, and is read as a
 * raster or a folder of band files as before.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cjson/cJSON.h>
#include <cpl_minixml.h>
#include <cpl_vsi.h>

#include "delivery_int.h"
#include "pair_int.h"

int sw__mask_usable(int rule, unsigned v)
{
    switch (rule) {
    case SW__MASK_CLOUDY:
        return v == 0;
    case SW__MASK_S2_SCL:
        /* 0 no data, 1 saturated or defective, 3 cloud shadow, 8 and 9
         * cloud (medium, high probability), 10 thin cirrus, 11 snow: not
         * ground as it usually is. 2 (dark area), 4 to 7 are. */
        return v == 2 || (v >= 4 && v <= 7);
    case SW__MASK_LANDSAT_QA:
        /* bits 0 fill, 1 dilated cloud, 2 cirrus, 3 cloud, 4 cloud shadow,
         * 5 snow */
        return (v & 0x3fu) == 0;
    default:
        return v != 0;
    }
}

const char *sw__mask_rule_name(int rule)
{
    static const char *const names[] = {"usable where non-zero", "cloudy where non-zero",
                                        "Sentinel-2 scene classification", "Landsat QA_PIXEL"};
    return rule >= 0 && rule <= SW__MASK_LANDSAT_QA ? names[rule] : "?";
}

void sw__delivery_clear(sw__delivery *d)
{
    if (!d)
        return;
    sw__free_strv(d->files, d->nfiles);
    sw__free_strv(d->names, d->nnames);
    free(d->mask);
    memset(d, 0, sizeof *d);
}

/* ---- small helpers ---- */

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

static const char *base_of(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static char *join(const char *dir, const char *name)
{
    size_t n = strlen(dir) + strlen(name) + 2;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", dir, name);
    return out;
}

char *sw__dlv_dir_of(const char *path)
{
    const char *s = strrchr(path, '/');
    if (!s)
        return strdup(".");
    size_t n = s == path ? 1 : (size_t)(s - path);
    char *out = malloc(n + 1);
    if (out) {
        memcpy(out, path, n);
        out[n] = '\0';
    }
    return out;
}

static int ends_with(const char *s, const char *tail)
{
    size_t a = strlen(s), b = strlen(tail);
    return a >= b && !strcasecmp(s + a - b, tail);
}

/* Adds a band (file and name, both copied) to d. */
int sw__dlv_add_band(sw_ctx *ctx, sw__delivery *d, const char *file, const char *name)
{
    char **f = realloc(d->files, (size_t)(d->nfiles + 1) * sizeof *f);
    if (f)
        d->files = f;
    char **n = realloc(d->names, (size_t)(d->nnames + 1) * sizeof *n);
    if (n)
        d->names = n;
    if (!f || !n)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    d->files[d->nfiles] = strdup(file);
    d->names[d->nnames] = strdup(name);
    if (d->files[d->nfiles])
        d->nfiles++;
    if (d->names[d->nnames])
        d->nnames++;
    return d->nfiles == d->nnames ? 0 : sw__err(ctx, SW_ENOMEM, "out of memory");
}

int sw__dlv_set_mask(sw_ctx *ctx, sw__delivery *d, const char *path, int rule)
{
    free(d->mask);
    d->mask = strdup(path);
    d->mask_rule = rule;
    return d->mask ? 0 : sw__err(ctx, SW_ENOMEM, "out of memory");
}

/* Bands in sw__band_rank order (insertion sort: a dozen at most). */
void sw__dlv_sort_bands(sw__delivery *d)
{
    for (int i = 1; i < d->nfiles; i++)
        for (int j = i; j > 0 && sw__band_rank(sw__band_common(d->names[j])) <
                                     sw__band_rank(sw__band_common(d->names[j - 1]));
             j--) {
            char *t = d->files[j];
            d->files[j] = d->files[j - 1];
            d->files[j - 1] = t;
            t = d->names[j];
            d->names[j] = d->names[j - 1];
            d->names[j - 1] = t;
        }
}

/* Copies YYYY-MM-DD from an ISO date-time, or from YYYYMMDD. */
int sw__dlv_take_date(const char *s, char date[11])
{
    if (!s)
        return 0;
    if (strlen(s) >= 10 && isdigit((unsigned char)s[0]) && s[4] == '-' && s[7] == '-') {
        snprintf(date, 11, "%.10s", s);
        return 1;
    }
    for (int i = 0; i < 8; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    snprintf(date, 11, "%.4s-%.2s-%.2s", s, s + 4, s + 6);
    return 1;
}

/* ---- Sentinel-2 .SAFE ---- */

/* The pixel size a band file's name or folder gives (…_B02_10m.jp2,
 * R20m/), or 0 (L1C: one file per band, at its own size). */
static int s2_res_of(const char *path)
{
    const char *b = base_of(path);
    const char *u = strrchr(b, '_');
    if (u && isdigit((unsigned char)u[1]))
        return atoi(u + 1);
    return 0;
}

typedef struct s2_walk {
    sw_ctx *ctx;
    char *band[13];
    int band_res[13];
    char *scl, *classi;
    int scl_res, ngranules;
} s2_walk;

/* Collects the band files under dir (a granule's IMG_DATA or QI_DATA,
 * recursing into R10m, R20m, R60m): each band at its finest pixel size. */
static int s2_collect(s2_walk *w, const char *dir, int depth)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return 0;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(dh))) {
        if (e->d_name[0] == '.')
            continue;
        char *full = join(dir, e->d_name);
        if (!full) {
            rc = sw__err(w->ctx, SW_ENOMEM, "out of memory");
            break;
        }
        if (depth < 2 && is_dir(full)) {
            rc = s2_collect(w, full, depth + 1);
        } else if (ends_with(e->d_name, ".jp2") || ends_with(e->d_name, ".tif")) {
            int k = sw__s2_band_of(e->d_name), res = s2_res_of(e->d_name);
            if (k >= 0 && (!w->band[k] || (res && res < w->band_res[k]))) {
                free(w->band[k]);
                w->band[k] = full;
                w->band_res[k] = res;
                full = NULL;
            } else if (strstr(e->d_name, "_SCL_") && (!w->scl || (res && res < w->scl_res))) {
                free(w->scl);
                w->scl = full;
                w->scl_res = res;
                full = NULL;
            } else if (!strncmp(e->d_name, "MSK_CLASSI", 10)) {
                free(w->classi);
                w->classi = full;
                full = NULL;
            }
        }
        free(full);
    }
    closedir(dh);
    return rc;
}

static int read_safe(sw_ctx *ctx, const char *root, const char *mtd, sw__delivery *d)
{
    CPLXMLNode *x = CPLParseXMLFile(mtd);
    if (!x)
        return sw__err(ctx, SW_EFORMAT, "%s: not a Sentinel-2 product's metadata (not XML)", mtd);
    CPLStripXMLNamespace(x, NULL, TRUE);
    const CPLXMLNode *info = NULL;
    for (const CPLXMLNode *n = x; n && !info; n = n->psNext)
        if (n->eType == CXT_Element)
            info = CPLGetXMLNode((CPLXMLNode *)n, "General_Info.Product_Info");
    const char *start = info ? CPLGetXMLValue((CPLXMLNode *)info, "PRODUCT_START_TIME", NULL) : NULL;
    const char *craft = info ? CPLGetXMLValue((CPLXMLNode *)info, "Datatake.SPACECRAFT_NAME", NULL) : NULL;
    int ok = sw__dlv_take_date(start, d->date);
    CPLDestroyXMLNode(x);
    if (!ok)
        return sw__err(ctx, SW_EFORMAT, "%s: no PRODUCT_START_TIME (is this a Sentinel-2 L1C or L2A product?)", mtd);
    snprintf(d->sensor, sizeof d->sensor, "Sentinel-2");
    (void)craft;
    /* The bands: GRANULE/<one granule>/IMG_DATA, each at its finest size. */
    char *gdir = join(root, "GRANULE");
    DIR *dh = gdir ? opendir(gdir) : NULL;
    if (!dh) {
        free(gdir);
        return sw__err(ctx, SW_EFORMAT, "%s: no GRANULE folder (an incomplete download?)", root);
    }
    s2_walk w = {.ctx = ctx};
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(dh))) {
        if (e->d_name[0] == '.')
            continue;
        char *g = join(gdir, e->d_name);
        char *img = g ? join(g, "IMG_DATA") : NULL, *qi = g ? join(g, "QI_DATA") : NULL;
        if (!g || !img || !qi)
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        else if (is_dir(img)) {
            w.ngranules++;
            rc = s2_collect(&w, img, 0);
            if (rc == 0)
                rc = s2_collect(&w, qi, 1);
        }
        free(g);
        free(img);
        free(qi);
    }
    closedir(dh);
    free(gdir);
    if (rc == 0 && w.ngranules > 1)
        rc = sw__err(ctx, SW_EFORMAT, "%s: holds %d granules; sitewatch reads single-tile products (2016 and later)",
                     root, w.ngranules);
    for (int k = 0; k < 13 && rc == 0; k++)
        if (w.band[k])
            rc = sw__dlv_add_band(ctx, d, w.band[k], sw__band_common(sw__s2_order[k]));
    if (rc == 0 && d->nfiles < 2)
        rc = sw__err(ctx, SW_EFORMAT, "%s: no band files under GRANULE/*/IMG_DATA (an incomplete download?)", root);
    /* Its mask: L2A's scene classification; L1C's cloud classification
     * (band 1, opaque clouds), from processing baseline 04.00 on. */
    if (rc == 0 && w.scl)
        rc = sw__dlv_set_mask(ctx, d, w.scl, SW__MASK_S2_SCL);
    else if (rc == 0 && w.classi)
        rc = sw__dlv_set_mask(ctx, d, w.classi, SW__MASK_CLOUDY);
    for (int k = 0; k < 13; k++)
        free(w.band[k]);
    free(w.scl);
    free(w.classi);
    d->kind = "Sentinel-2 product";
    return rc;
}

/* The product's metadata file when path is a .SAFE (or holds one). */
static char *safe_mtd(const char *path)
{
    static const char *const names[] = {"MTD_MSIL2A.xml", "MTD_MSIL1C.xml"};
    for (int i = 0; i < 2; i++) {
        char *p = join(path, names[i]);
        if (p && is_file(p))
            return p;
        free(p);
    }
    return NULL;
}

/* ---- Landsat Collection 2 ---- */

/* The product id a Collection 2 file name starts with
 * (LC08_L2SP_123032_20230512_20230519_02_T1), its length, or 0. */
static size_t landsat_id(const char *name)
{
    /* LXSS_LLLL_PPPRRR_YYYYMMDD_yyyymmdd_CC_TX */
    static const char *const shape = "L@##_L@@@_######_########_########_##_@@";
    size_t n = strlen(shape);
    if (strlen(name) < n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i], s = shape[i];
        if (s == '#' ? !isdigit((unsigned char)c) : s == '@' ? !isalnum((unsigned char)c) : c != s)
            return 0;
    }
    return name[n] == '_' ? n : 0;
}

/* Band names by sensor: OLI (Landsat 8, 9) and TM/ETM+ (4, 5, 7) number
 * their bands differently. Thermal and panchromatic bands are left out. */
static const char *landsat_band(const char *id, int k)
{
    static const char *const oli[] = {NULL, "coastal", "blue", "green", "red", "nir08", "swir16", "swir22"};
    static const char *const tm[] = {NULL, "blue", "green", "red", "nir08", "swir16", NULL, "swir22"};
    if (k < 1 || k > 7)
        return NULL;
    return id[1] == 'C' || id[1] == 'O' ? oli[k] : tm[k];
}

static int read_landsat(sw_ctx *ctx, const char *dir, const char *id, size_t idlen, sw__delivery *d)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return sw__err(ctx, SW_EIO, "%s: cannot read folder", dir);
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(dh))) {
        if (strncmp(e->d_name, id, idlen) || !(ends_with(e->d_name, ".TIF") || ends_with(e->d_name, ".tif")))
            continue;
        const char *rest = e->d_name + idlen; /* _SR_B4.TIF, _B4.TIF, _QA_PIXEL.TIF */
        char *full = join(dir, e->d_name);
        if (!full) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
            break;
        }
        int k = 0;
        if (!strncasecmp(rest, "_SR_B", 5))
            k = atoi(rest + 5);
        else if (!strncasecmp(rest, "_B", 2) && isdigit((unsigned char)rest[2]))
            k = atoi(rest + 2);
        /* Level 2 surface reflectance wins over Level 1 numbers when a
         * folder holds both. */
        const char *name = landsat_band(id, k);
        int have = -1;
        for (int i = 0; name && i < d->nnames; i++)
            if (!strcmp(d->names[i], name))
                have = i;
        if (name && have < 0) {
            rc = sw__dlv_add_band(ctx, d, full, name);
        } else if (name && !strncasecmp(rest, "_SR_B", 5)) {
            free(d->files[have]);
            d->files[have] = full;
            full = NULL;
        } else if (!strncasecmp(rest, "_QA_PIXEL", 9)) {
            rc = sw__dlv_set_mask(ctx, d, full, SW__MASK_LANDSAT_QA);
        }
        free(full);
    }
    closedir(dh);
    if (rc == 0 && d->nfiles < 2)
        rc = sw__err(ctx, SW_EFORMAT, "%s: Landsat product %.*s has no reflective band files", dir, (int)idlen, id);
    if (rc == 0) {
        sw__dlv_sort_bands(d);
        sw__dlv_take_date(id + 17, d->date);
        snprintf(d->sensor, sizeof d->sensor, "Landsat-%d", atoi(id + 2));
        d->kind = "Landsat Collection 2 product";
    }
    return rc;
}

/* A Landsat product's id when path is its folder or its _MTL file. */
static int landsat_find(const char *path, char *dir, size_t ndir, char id[64], size_t *idlen)
{
    if (is_dir(path)) {
        DIR *dh = opendir(path);
        struct dirent *e;
        int found = 0;
        while (dh && !found && (e = readdir(dh))) {
            size_t n = landsat_id(e->d_name);
            if (n && strstr(e->d_name + n, "_MTL.")) {
                snprintf(id, 64, "%.*s", (int)n, e->d_name);
                *idlen = n;
                found = 1;
            }
        }
        if (dh)
            closedir(dh);
        if (found)
            snprintf(dir, ndir, "%s", path);
        return found;
    }
    const char *b = base_of(path);
    size_t n = landsat_id(b);
    if (!n || !strstr(b + n, "_MTL."))
        return 0;
    snprintf(id, 64, "%.*s", (int)n, b);
    *idlen = n;
    char *dd = sw__dlv_dir_of(path);
    if (!dd)
        return 0;
    snprintf(dir, ndir, "%s", dd);
    free(dd);
    return 1;
}

/* ---- PlanetScope ---- */

static int is_planet_analytic(const char *name)
{
    return (strstr(name, "_AnalyticMS") || strstr(name, "_BGRN")) && !strstr(name, "_DN_udm") &&
           (ends_with(name, ".tif") || ends_with(name, ".tiff"));
}

static int read_planet(sw_ctx *ctx, const char *file, sw__delivery *d)
{
    GDALDatasetH ds = sw__open_raster(ctx, file, "scene");
    if (!ds)
        return ctx->code;
    int nb = GDALGetRasterCount(ds), named = 0;
    for (int b = 0; b < nb; b++)
        named += sw__band_common(GDALGetDescription(GDALGetRasterBand(ds, b + 1))) != NULL;
    GDALClose(ds);
    /* Its bands, unless it names them: 4-band B, G, R, NIR; 8-band
     * (SuperDove) coastal blue, blue, green I, green, yellow, red, red
     * edge, NIR. */
    static const char *const four[] = {"blue", "green", "red", "nir"};
    static const char *const eight[] = {"coastal", "blue", "green_i", "green", "yellow", "red", "rededge1", "nir"};
    const char *const *names = named ? NULL : nb == 4 ? four : nb == 8 ? eight : NULL;
    d->files = malloc(sizeof *d->files);
    if (!d->files || !(d->files[0] = strdup(file)))
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    d->nfiles = 1;
    if (names) {
        d->names = calloc((size_t)nb + 1, sizeof *d->names);
        if (!d->names)
            return sw__err(ctx, SW_ENOMEM, "out of memory");
        for (int b = 0; b < nb; b++)
            if ((d->names[b] = strdup(names[b])))
                d->nnames++;
        if (d->nnames != nb)
            return sw__err(ctx, SW_ENOMEM, "out of memory");
    }
    char udm[4096];
    int rc = sw__udm_sidecar(file, udm, sizeof udm) ? sw__dlv_set_mask(ctx, d, udm, SW__MASK_CLEAR) : 0;
    char sensor[32];
    sw__scene_metadata(file, d->date, sensor);
    snprintf(d->sensor, sizeof d->sensor, "PlanetScope");
    d->kind = "PlanetScope scene";
    return rc;
}

/* The one analytic GeoTIFF of a PlanetScope delivery folder (besides it
 * only its masks and metadata), or NULL. */
static char *planet_in(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh)
        return NULL;
    struct dirent *e;
    char *found = NULL;
    int n = 0, other = 0;
    while ((e = readdir(dh))) {
        if (e->d_name[0] == '.')
            continue;
        if (is_planet_analytic(e->d_name)) {
            if (n++ == 0)
                found = join(dir, e->d_name);
        } else if ((ends_with(e->d_name, ".tif") || ends_with(e->d_name, ".tiff") || ends_with(e->d_name, ".jp2")) &&
                   !strstr(e->d_name, "_udm")) {
            other++; /* another raster: a folder of scenes, not one delivery */
        }
    }
    closedir(dh);
    if (n != 1 || other) {
        free(found);
        return NULL;
    }
    return found;
}

/* ---- which it is ---- */

int sw_path_is_product(const char *path)
{
    if (!is_dir(path))
        return 0;
    if (sw_path_is_band_set(path))
        return 1;
    char *mtd = safe_mtd(path), dir[4096], id[64];
    size_t idlen = 0;
    if (mtd) {
        free(mtd);
        return 1;
    }
    if (landsat_find(path, dir, sizeof dir, id, &idlen))
        return 1;
    char *f = planet_in(path);
    free(f);
    return f != NULL;
}

int sw__delivery_open(sw_ctx *ctx, const char *given, sw__delivery *d)
{
    memset(d, 0, sizeof *d);
    if (!given || given[0] == '@')
        return 0;
    int rc = 0;
    char *mtd = NULL;
    /* A STAC Item, or one item of a collection (FILE.json#ID). */
    const char *hash = strrchr(given, '#');
    if (hash && hash > given) {
        char file[4096];
        snprintf(file, sizeof file, "%.*s", (int)(hash - given), given);
        if (ends_with(file, ".json") && is_file(file) && !is_file(given)) {
            rc = sw__stac_read(ctx, file, hash + 1, d);
            goto done;
        }
    }
    if ((ends_with(given, ".json") || ends_with(given, ".geojson")) && is_file(given) &&
        !ends_with(given, "_metadata.json") && !strstr(base_of(given), "_MTL.")) {
        rc = sw__stac_read(ctx, given, NULL, d);
        goto done;
    }
    /* A Sentinel-2 product: the .SAFE folder or its metadata file. */
    if (is_dir(given) && (mtd = safe_mtd(given))) {
        rc = read_safe(ctx, given, mtd, d);
        goto done;
    }
    if (!strncmp(base_of(given), "MTD_MSIL", 8) && is_file(given)) {
        char *root = sw__dlv_dir_of(given);
        rc = root ? read_safe(ctx, root, given, d) : sw__err(ctx, SW_ENOMEM, "out of memory");
        free(root);
        goto done;
    }
    /* Landsat Collection 2. */
    char dir[4096], id[64];
    size_t idlen = 0;
    if (landsat_find(given, dir, sizeof dir, id, &idlen)) {
        rc = read_landsat(ctx, dir, id, idlen, d);
        goto done;
    }
    /* PlanetScope: the analytic file, or the one in a delivery folder. */
    if (is_file(given) && is_planet_analytic(base_of(given))) {
        rc = read_planet(ctx, given, d);
        goto done;
    }
    if (is_dir(given)) {
        char *f = planet_in(given);
        if (f)
            rc = read_planet(ctx, f, d);
        free(f);
    }
done:
    free(mtd);
    if (rc)
        sw__delivery_clear(d);
    return rc;
}
