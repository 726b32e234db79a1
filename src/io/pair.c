/*
 * pair.c: two dates on one grid.
 *
 * Each date is a raster, a folder of single-band files (a Sentinel-2 band
 * set: B01..B12 and B8A are recognised from the names and stacked in band
 * order onto the finest band's grid), or "@list.txt" naming such files.
 * Stacks and warps are GDAL VRTs kept in /vsimem/, so every worker thread
 * can open its own handles on them (GDAL datasets are not thread-safe).
 *
 * Grids: when both dates are georeferenced AFTER is warped onto BEFORE's
 * grid unless the grids are already identical, with an alpha band marking
 * where AFTER has no data; without georeferencing the sizes must match.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <ogr_srs_api.h>

#include "pair_int.h"

GDALDatasetH sw__open_raster(sw_ctx *ctx, const char *path, const char *role)
{
    sw__gdal_err e;
    sw__gdal_push(&e);
    VSIStatBufL st;
    GDALDatasetH ds = NULL;
    if (VSIStatL(path, &st) != 0) {
        struct stat sb;
        int why = stat(path, &sb) == 0 ? 0 : errno; /* why, for a local path */
        sw__gdal_pop();
        /* a missing file, but also a loop of links or a folder one may not enter */
        const char *what = why == ELOOP ? "a loop of symbolic links" : why == EACCES ? "permission denied"
                                                                     : "file not found";
        if (role && why != ELOOP && why != EACCES)
            sw__err(ctx, SW_EIO, "%s: %s file not found", path, role);
        else
            sw__err(ctx, SW_EIO, "%s: %s", path, what);
        return NULL;
    }
    ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    sw__gdal_pop();
    if (!ds) {
        if (strstr(e.msg, "not recognized") || !e.had)
            sw__err(ctx, SW_EFORMAT, "%s: not a raster format GDAL can read", path);
        else
            sw__err(ctx, SW_EFORMAT, "%s: cannot open: %s", path, e.msg);
        return NULL;
    }
    if (GDALGetRasterCount(ds) < 1 || GDALGetRasterXSize(ds) < 1 || GDALGetRasterYSize(ds) < 1) {
        GDALClose(ds);
        sw__err(ctx, SW_EFORMAT, "%s: has no raster bands", path);
        return NULL;
    }
    return ds;
}

/* Stacks single-band files into one VRT at s->vsimem. */
static int side_open(sw_ctx *ctx, side *s, const char *given, const char *role,
                     const char *resampling)
{
    sw__delivery d = {0};
    int rc = sw__side_source(ctx, s, given, resampling, &d);
    if (rc == 0) {
        /* a delivery's own mask, used when no other is given */
        s->pub.kind = d.kind;
        snprintf(s->pub.date, sizeof s->pub.date, "%s", d.date);
        s->pub.mask = d.mask;
        s->pub.mask_rule = d.mask_rule;
        d.mask = NULL;
    }
    sw__delivery_clear(&d);
    if (rc)
        return rc;
    s->ds = sw__open_raster(ctx, s->path, role);
    if (!s->ds)
        return ctx->code;
    s->nb = GDALGetRasterCount(s->ds);
    s->pub.nbands_total = s->nb;
    s->pub.width = GDALGetRasterXSize(s->ds);
    s->pub.height = GDALGetRasterYSize(s->ds);
    s->names = calloc((size_t)s->nb, sizeof *s->names);
    s->alpha = calloc((size_t)s->nb, sizeof *s->alpha);
    s->sel = calloc((size_t)s->nb, sizeof *s->sel);
    if (!s->names || !s->alpha || !s->sel)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    for (int b = 0; b < s->nb; b++) {
        GDALRasterBandH band = GDALGetRasterBand(s->ds, b + 1);
        char buf[64];
        const char *desc = GDALGetDescription(band);
        if ((!desc || !*desc) && s->pub.nfiles > 1 && sw__s2_band_of(s->pub.files[b]) >= 0)
            desc = sw__s2_order[sw__s2_band_of(s->pub.files[b])];
        if (!desc || !*desc) {
            snprintf(buf, sizeof buf, "%d", b + 1);
            desc = buf;
        }
        if (!(s->names[b] = strdup(desc)))
            return sw__err(ctx, SW_ENOMEM, "out of memory");
        s->alpha[b] = GDALGetRasterColorInterpretation(band) == GCI_AlphaBand;
    }
    return 0;
}

void sw__side_close(side *s)
{
    if (s->ds)
        GDALClose(s->ds);
    if (s->vsimem) {
        VSIUnlink(s->vsimem);
        free(s->vsimem);
    }
    free(s->path);
    free(s->pub.given);
    free(s->pub.mask);
    sw__free_strv(s->pub.files, s->pub.nfiles);
    sw__free_strv(s->names, s->nb);
    free(s->alpha);
    free(s->sel);
}

/* Selects bands by a list of 1-based indices or names; NULL: all but alpha. */
static int side_select(sw_ctx *ctx, side *s, const char *bands)
{
    s->nsel = 0;
    if (!bands) {
        for (int b = 0; b < s->nb; b++)
            if (!s->alpha[b])
                s->sel[s->nsel++] = b + 1;
        if (s->nsel == 0)
            return sw__err(ctx, SW_EFORMAT, "%s: has only an alpha band", s->pub.given);
        return 0;
    }
    char *copy = strdup(bands), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        char *end;
        long idx = strtol(tok, &end, 10);
        int found = -1;
        if (*tok && *end == '\0') {
            if (idx >= 1 && idx <= s->nb)
                found = (int)idx - 1;
        } else {
            for (int b = 0; b < s->nb && found < 0; b++)
                if (strcasecmp(s->names[b], tok) == 0)
                    found = b;
            /* "red" also names B04 and "Red"; "nir", a narrow nir08
             * when there is no broad one */
            for (int loose = 0; loose < 2 && found < 0; loose++)
                for (int b = 0; b < s->nb && found < 0; b++)
                    if (sw__band_same(tok, s->names[b], loose))
                        found = b;
            /* "B2" also names "B02". */
            if (found < 0 && (tok[0] == 'B' || tok[0] == 'b') && isdigit((unsigned char)tok[1]) &&
                tok[2] == '\0') {
                char padded[8] = {'B', '0', tok[1], 0};
                for (int b = 0; b < s->nb && found < 0; b++)
                    if (strcasecmp(s->names[b], padded) == 0)
                        found = b;
            }
        }
        if (found < 0)
            rc = sw__err(ctx, SW_EARG, "%s: no band \"%s\" (it has %d bands)", s->pub.given, tok, s->nb);
        else if (s->nsel < s->nb)
            s->sel[s->nsel++] = found + 1;
        else
            rc = sw__err(ctx, SW_EARG, "--bands names more bands than %s has", s->pub.given);
    }
    free(copy);
    if (rc == 0 && s->nsel == 0)
        rc = sw__err(ctx, SW_EARG, "--bands '%s' names no band", bands);
    return rc;
}

/* 1 when both dates have the same bands (count and names). */
static int same_names(const side *a, const side *b)
{
    if (a->nb != b->nb)
        return 0;
    for (int i = 0; i < a->nb; i++)
        if (strcasecmp(a->names[i], b->names[i]))
            return 0;
    return 1;
}

static int same_grid(const sw__grid *a, const sw__grid *b)
{
    if (a->width != b->width || a->height != b->height)
        return 0;
    for (int i = 0; i < 6; i++) {
        double tol = 1e-9 * (fabs(a->gt[i]) + fabs(a->gt[1]) + 1e-12);
        if (fabs(a->gt[i] - b->gt[i]) > tol)
            return 0;
    }
    OGRSpatialReferenceH sa = OSRNewSpatialReference(a->wkt), sb = OSRNewSpatialReference(b->wkt);
    int same = sa && sb && OSRIsSame(sa, sb);
    OSRDestroySpatialReference(sa);
    OSRDestroySpatialReference(sb);
    return same;
}

/* Warps src onto grid g as a VRT at dst (a /vsimem/ path): resampling
 * kernel, and an alpha band marking where src has data when asked. Returns
 * 0, or -1 with GDAL's message in e. */
static int warp_to_grid(GDALDatasetH src, const sw__grid *g, const char *dst, const char *resampling,
                        int alpha, sw__gdal_err *e)
{
    char te[4][64], ts[2][32];
    snprintf(te[0], 64, "%.17g", g->gt[0]);
    snprintf(te[1], 64, "%.17g", g->gt[3] + g->gt[5] * (double)g->height);
    snprintf(te[2], 64, "%.17g", g->gt[0] + g->gt[1] * (double)g->width);
    snprintf(te[3], 64, "%.17g", g->gt[3]);
    snprintf(ts[0], 32, "%lld", (long long)g->width);
    snprintf(ts[1], 32, "%lld", (long long)g->height);
    char *argv[] = {"-of", "VRT", "-t_srs", g->wkt, "-te", te[0], te[1], te[2], te[3], "-ts", ts[0], ts[1],
                    "-r", (char *)resampling, alpha ? "-dstalpha" : NULL, NULL};
    sw__gdal_push(e);
    GDALWarpAppOptions *o = GDALWarpAppOptionsNew(argv, NULL);
    GDALDatasetH w = o ? GDALWarp(dst, NULL, 1, &src, o, NULL) : NULL;
    GDALWarpAppOptionsFree(o);
    if (w)
        GDALClose(w);
    sw__gdal_pop();
    return w ? 0 : -1;
}

/* Warps AFTER onto BEFORE's grid, after checking the footprints overlap. */
static int warp_after(sw_ctx *ctx, sw__pair *p, const sw__grid *ga, const char *resampling)
{
    const sw__grid *g = &p->info.grid;
    OGRSpatialReferenceH sb = OSRNewSpatialReference(g->wkt), sa = OSRNewSpatialReference(ga->wkt);
    OSRSetAxisMappingStrategy(sb, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(sa, OAMS_TRADITIONAL_GIS_ORDER);
    sw__gdal_err e;
    sw__gdal_push(&e);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(sa, sb);
    double ax0 = ga->gt[0], ax1 = ga->gt[0] + ga->gt[1] * (double)ga->width;
    double ay1 = ga->gt[3], ay0 = ga->gt[3] + ga->gt[5] * (double)ga->height;
    double x0, y0, x1, y1;
    int ok = ct && OCTTransformBounds(ct, fmin(ax0, ax1), fmin(ay0, ay1), fmax(ax0, ax1),
                                      fmax(ay0, ay1), &x0, &y0, &x1, &y1, 21);
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(sa);
    OSRDestroySpatialReference(sb);
    sw__gdal_pop();
    if (!ok)
        return sw__err(ctx, SW_EMISMATCH, "%s: cannot transform its footprint to %s's CRS: %s",
                       p->s[1].pub.given, p->s[0].pub.given, sw__gdal_msg(&e, "no transformation"));
    /* The overlap in BEFORE's pixels. */
    double px0 = (x0 - g->gt[0]) / g->gt[1], px1 = (x1 - g->gt[0]) / g->gt[1];
    double py0 = (y1 - g->gt[3]) / g->gt[5], py1 = (y0 - g->gt[3]) / g->gt[5];
    if (px0 > px1) { double t = px0; px0 = px1; px1 = t; }
    if (py0 > py1) { double t = py0; py0 = py1; py1 = t; }
    px0 = fmax(px0, 0); py0 = fmax(py0, 0);
    px1 = fmin(px1, (double)g->width); py1 = fmin(py1, (double)g->height);
    if (px1 - px0 < 1.0 || py1 - py0 < 1.0)
        return sw__err(ctx, SW_ENOOVERLAP, "%s and %s: the footprints do not overlap",
                       p->s[0].pub.given, p->s[1].pub.given);
    p->info.ov_x0 = (int64_t)floor(px0);
    p->info.ov_y0 = (int64_t)floor(py0);
    p->info.ov_x1 = (int64_t)ceil(px1);
    p->info.ov_y1 = (int64_t)ceil(py1);

    p->warp_vsimem = sw__vsimem_name("warp");
    if (!p->warp_vsimem || warp_to_grid(p->s[1].ds, g, p->warp_vsimem, resampling, 1, &e) != 0)
        return sw__err(ctx, SW_EMISMATCH, "%s: cannot warp onto %s's grid: %s", p->s[1].pub.given,
                       p->s[0].pub.given, sw__gdal_msg(&e, "unknown error"));
    if (!(p->after_path = strdup(p->warp_vsimem)))
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    p->info.warped = 1;
    return 0;
}

/* Picks the quicklook's R, G, B from band names or colour interpretation. */
static void pick_display(sw__pair *p)
{
    side *s = &p->s[0];
    int n = s->nsel, *d = p->info.display;
    d[0] = d[1] = d[2] = -1;
    static const char *const rgb[3] = {"red", "green", "blue"};
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < n; i++)
            if (sw__band_same(rgb[c], s->names[s->sel[i] - 1], 0))
                d[c] = i;
    if (d[0] >= 0 && d[1] >= 0 && d[2] >= 0)
        return;
    GDALColorInterp want[3] = {GCI_RedBand, GCI_GreenBand, GCI_BlueBand};
    d[0] = d[1] = d[2] = -1;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < n; i++)
            if (GDALGetRasterColorInterpretation(GDALGetRasterBand(s->ds, s->sel[i])) == want[c])
                d[c] = i;
    if (d[0] >= 0 && d[1] >= 0 && d[2] >= 0)
        return;
    if (n >= 4) { /* PlanetScope and most 4-band sensors: B, G, R, NIR */
        d[0] = 2; d[1] = 1; d[2] = 0;
    } else if (n == 3) {
        d[0] = 0; d[1] = 1; d[2] = 2;
    } else {
        d[0] = d[1] = d[2] = 0;
    }
}

sw__pair *sw__pair_open(sw_ctx *ctx, const char *before, const char *after,
                        const char *bands, const char *resampling)
{
    sw__io_init(0);
    if (!resampling)
        resampling = "bilinear";
    sw__pair *p = calloc(1, sizeof *p);
    if (!p || !(p->shared[0] = sw__shared_date_new()) || !(p->shared[1] = sw__shared_date_new())) {
        if (p)
            sw__shared_date_free(p->shared[0]);
        free(p);
        sw__err(ctx, SW_ENOMEM, "out of memory");
        return NULL;
    }
    sw__grid ga = {0};
    if (side_open(ctx, &p->s[0], before, "BEFORE", resampling) != 0 ||
        side_open(ctx, &p->s[1], after, "AFTER", resampling) != 0)
        goto fail;
    /* Dates from different sensors (Sentinel-2 and Landsat, PlanetScope
     * and Sentinel-2) are compared on the bands they share by name. */
    char shared[256];
    if (!bands && !same_names(&p->s[0], &p->s[1]) &&
        sw__band_shared(p->s[0].names, p->s[0].nb, p->s[1].names, p->s[1].nb, shared, sizeof shared) > 0) {
        bands = shared;
        sw__warn(ctx, "%s and %s have different bands: compared on those both name (%s)", before, after, shared);
    }
    if (side_select(ctx, &p->s[0], bands) != 0 || side_select(ctx, &p->s[1], bands) != 0)
        goto fail;
    if (p->s[0].nsel != p->s[1].nsel) {
        sw__err(ctx, SW_EMISMATCH, "%s has %d bands but %s has %d: select matching bands with --bands",
                before, p->s[0].nsel, after, p->s[1].nsel);
        goto fail;
    }
    if (sw__grid_from_dataset(ctx, p->s[0].ds, before, &p->info.grid) != 0 ||
        sw__grid_from_dataset(ctx, p->s[1].ds, after, &ga) != 0)
        goto fail;
    sw__grid *g = &p->info.grid;
    p->info.ov_x0 = p->info.ov_y0 = 0;
    p->info.ov_x1 = g->width;
    p->info.ov_y1 = g->height;
    if (g->georef != ga.georef) {
        sw__err(ctx, SW_EMISMATCH, "%s is georeferenced but %s is not: both or neither must be",
                g->georef ? before : after, g->georef ? after : before);
        goto fail;
    }
    if (!g->georef || same_grid(g, &ga)) {
        if (ga.width != g->width || ga.height != g->height) {
            sw__err(ctx, SW_EMISMATCH, "%s is %lldx%lld but %s is %lldx%lld, and without georeferencing sizes must match",
                    before, (long long)g->width, (long long)g->height, after, (long long)ga.width,
                    (long long)ga.height);
            goto fail;
        }
        if (!(p->after_path = strdup(p->s[1].path))) {
            sw__err(ctx, SW_ENOMEM, "out of memory");
            goto fail;
        }
    } else if (warp_after(ctx, p, &ga, resampling) != 0) {
        goto fail;
    }
    sw__grid_clear(&ga);
    p->info.nbands = p->s[0].nsel;
    p->info.band_names = calloc((size_t)p->info.nbands, sizeof(char *));
    if (!p->info.band_names) {
        sw__err(ctx, SW_ENOMEM, "out of memory");
        goto fail;
    }
    for (int i = 0; i < p->info.nbands; i++)
        if (!(p->info.band_names[i] = strdup(p->s[0].names[p->s[0].sel[i] - 1]))) {
            sw__err(ctx, SW_ENOMEM, "out of memory");
            goto fail;
        }
    p->info.before = p->s[0].pub;
    p->info.after = p->s[1].pub;
    pick_display(p);
    {
        int bw = 0, bh = 0;
        GDALGetBlockSize(GDALGetRasterBand(p->s[0].ds, p->s[0].sel[0]), &bw, &bh);
        p->info.block_h = bh;
    }
    p->full_w = g->width;
    p->full_h = g->height;
    memcpy(p->full_gt, g->gt, sizeof p->full_gt);
    if (g->georef) {
        OGRSpatialReferenceH src = OSRNewSpatialReference(g->wkt), dst = OSRNewSpatialReference(NULL);
        OSRSetWellKnownGeogCS(dst, "WGS84");
        OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
        OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
        sw__gdal_err e;
        sw__gdal_push(&e);
        p->to_wgs84 = OCTNewCoordinateTransformation(src, dst);
        sw__gdal_pop();
        OSRDestroySpatialReference(src);
        OSRDestroySpatialReference(dst);
    }
    return p;
fail:
    sw__grid_clear(&ga);
    sw__pair_close(p);
    return NULL;
}

void sw__pair_close(sw__pair *p)
{
    if (!p)
        return;
    sw__side_close(&p->s[0]);
    sw__side_close(&p->s[1]);
    if (p->warp_vsimem) {
        VSIUnlink(p->warp_vsimem);
        free(p->warp_vsimem);
    }
    free(p->after_path);
    for (int d = 0; d < 2; d++) {
        if (p->mask_vsimem[d]) {
            VSIUnlink(p->mask_vsimem[d]);
            free(p->mask_vsimem[d]);
        }
        free(p->mask_path[d]);
    }
    sw__free_strv(p->info.band_names, p->info.nbands);
    sw__grid_clear(&p->info.grid);
    if (p->to_wgs84)
        OCTDestroyCoordinateTransformation(p->to_wgs84);
    sw__shared_date_free(p->shared[0]);
    sw__shared_date_free(p->shared[1]);
    free(p);
}

const sw__pair_info *sw__pair_get_info(const sw__pair *p)
{
    return &p->info;
}

int sw__pair_lonlat(sw__pair *p, double x, double y, double *lon, double *lat)
{
    if (!p->to_wgs84)
        return -1;
    const double *gt = p->info.grid.gt;
    double gx = gt[0] + x * gt[1] + y * gt[2], gy = gt[3] + x * gt[4] + y * gt[5];
    if (!OCTTransform(p->to_wgs84, 1, &gx, &gy, NULL))
        return -1;
    *lon = gx;
    *lat = gy;
    return 0;
}

/* ---- readers ---- */

int sw__pair_set_mask(sw_ctx *ctx, sw__pair *p, int date, const char *path, int band, int rule)
{
    const sw__grid *g = &p->info.grid;
    GDALDatasetH ds = sw__open_raster(ctx, path, "mask");
    if (!ds)
        return ctx->code;
    int rc = 0;
    sw__grid mg = {0};
    if (band < 1 || band > GDALGetRasterCount(ds)) {
        rc = sw__err(ctx, SW_EARG, "%s: no band %d (it has %d)", path, band, GDALGetRasterCount(ds));
    } else if ((rc = sw__grid_from_dataset(ctx, ds, path, &mg)) == 0) {
        if (mg.width == g->width && mg.height == g->height && (!mg.georef || !g->georef || same_grid(&mg, g))) {
            p->mask_path[date] = strdup(path);
        } else if (mg.georef && g->georef) {
            /* On the output grid, nearest neighbour (masks hold classes). */
            p->mask_vsimem[date] = sw__vsimem_name("mask");
            sw__gdal_err e;
            if (!p->mask_vsimem[date] || warp_to_grid(ds, g, p->mask_vsimem[date], "near", 0, &e) != 0)
                rc = sw__err(ctx, SW_EMISMATCH, "%s: cannot put the mask on the image's grid: %s", path,
                             sw__gdal_msg(&e, "unknown error"));
            else
                p->mask_path[date] = strdup(p->mask_vsimem[date]);
        } else {
            rc = sw__err(ctx, SW_EMISMATCH, "%s is %lldx%lld but the image is %lldx%lld, and without georeferencing they must match",
                         path, (long long)mg.width, (long long)mg.height, (long long)g->width, (long long)g->height);
        }
    }
    sw__grid_clear(&mg);
    GDALClose(ds);
    p->mask_band[date] = band;
    p->mask_rule[date] = rule;
    return rc;
}

int sw__pair_set_window(sw_ctx *ctx, sw__pair *p, int64_t x, int64_t y, int64_t w, int64_t h)
{
    if (x < 0 || y < 0 || w < 1 || h < 1 || x > p->full_w - w || y > p->full_h - h)
        return sw__err(ctx, SW_EARG, "window %lld,%lld %lldx%lld is not inside the %lldx%lld grid of %s", (long long)x,
                       (long long)y, (long long)w, (long long)h, (long long)p->full_w, (long long)p->full_h,
                       p->s[0].pub.given);
    sw__grid *g = &p->info.grid;
    const double *f = p->full_gt;
    p->wx = x;
    p->wy = y;
    g->width = w;
    g->height = h;
    memcpy(g->gt, f, sizeof p->full_gt);
    g->gt[0] = f[0] + (double)x * f[1] + (double)y * f[2];
    g->gt[3] = f[3] + (double)x * f[4] + (double)y * f[5];
    return 0;
}

void sw__pair_full_size(const sw__pair *p, int64_t *w, int64_t *h)
{
    *w = p->full_w;
    *h = p->full_h;
}

void sw__pair_full_gt(const sw__pair *p, double gt[6])
{
    memcpy(gt, p->full_gt, sizeof p->full_gt);
}

void sw__pair_set_shift(sw__pair *p, double dx, double dy)
{
    const double ax[3] = {dx, 0, 0}, ay[3] = {dy, 0, 0};
    sw__pair_set_affine(p, ax, ay);
}

void sw__pair_set_affine(sw__pair *p, const double ax[3], const double ay[3])
{
    memcpy(p->ax, ax, sizeof p->ax);
    memcpy(p->ay, ay, sizeof p->ay);
    p->shifted = 0;
    for (int i = 0; i < 3; i++)
        p->shifted |= ax[i] != 0.0 || ay[i] != 0.0;
}

