/*
 * write.c: raster outputs (tiled, compressed GeoTIFF written in strips by
 * the ordered sink), PNG quicklooks, and the single-band reader that eval
 * uses.
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>

#include "io_int.h"

/* One level of the streaming overview pyramid: the sums and counts of the
 * pending output row, fed two input rows at a time. */
typedef struct level {
    GDALRasterBandH band;
    int64_t width, height, y; /* size, next row to write */
    double *sum;
    int *count;
    int pending;              /* input rows summed so far (0 or 1) */
    float *row;
} level;

struct sw__rwriter {
    GDALDatasetH ds;
    char *path;
    int nbands;
    GDALDataType type;
    int64_t width, height;
    int nlevels;
    level lv[24];
    char **cog;        /* the COG driver's options when the file is rewritten as
                          a COG on close (its overviews made it no COG); else NULL */
    /* the copy into a COG, on a thread of its own between
     * sw__rwriter_close_begin and sw__rwriter_finish */
    char *cog_path;    /* path.cog, NULL until the copy starts */
    pthread_t cog_thread;
    int cog_threaded, cog_ok;
    sw__gdal_err cog_err;
};

static GDALDataType gdal_type(sw__type t)
{
    switch (t) {
    case SW__U8: return GDT_Byte;
    case SW__U16: return GDT_UInt16;
    case SW__U32: return GDT_UInt32;
    default: return GDT_Float32;
    }
}

static void free_levels(sw__rwriter *w)
{
    for (int i = 0; i < w->nlevels; i++) {
        free(w->lv[i].sum);
        free(w->lv[i].count);
        free(w->lv[i].row);
    }
    w->nlevels = 0;
}

/* Creates empty overview levels (factors 2, 4, ... down to 256 pixels)
 * that the rows then fill as they arrive. */
static int make_levels(sw__rwriter *w, sw_ctx *ctx)
{
    int factors[24], n = 0;
    int64_t size = w->width > w->height ? w->width : w->height;
    for (int64_t f = 2; n < 24 && size / f >= 256; f *= 2)
        factors[n++] = (int)f;
    if (n == 0)
        return 0;
    sw__gdal_err e;
    sw__gdal_push(&e);
    CPLErr err = GDALBuildOverviews(w->ds, "NONE", n, factors, 0, NULL, NULL, NULL);
    sw__gdal_pop();
    GDALRasterBandH band = GDALGetRasterBand(w->ds, 1);
    if (err != CE_None || GDALGetOverviewCount(band) != n)
        return sw__err(ctx, SW_EIO, "%s: cannot create overviews: %s", w->path, sw__gdal_msg(&e, "unknown error"));
    for (int i = 0; i < n; i++) {
        level *l = &w->lv[i];
        l->band = GDALGetOverview(band, i);
        l->width = GDALGetRasterBandXSize(l->band);
        l->height = GDALGetRasterBandYSize(l->band);
        l->sum = calloc((size_t)l->width, sizeof *l->sum);
        l->count = calloc((size_t)l->width, sizeof *l->count);
        l->row = malloc((size_t)l->width * sizeof *l->row);
        w->nlevels = i + 1;
        if (!l->sum || !l->count || !l->row)
            return sw__err(ctx, SW_ENOMEM, "out of memory for overviews");
    }
    return 0;
}

/* Adds one row of the level above (width w_in) into level i; every second
 * row (or the last), writes the level's row and feeds it further down. */
static int level_add(sw__rwriter *w, sw_ctx *ctx, int i, const float *in, int64_t w_in, int last)
{
    if (i >= w->nlevels)
        return 0;
    level *l = &w->lv[i];
    for (int64_t x = 0; x < w_in; x++) {
        float v = in[x];
        if (v == v) { /* not NaN */
            l->sum[x / 2] += v;
            l->count[x / 2]++;
        }
    }
    l->pending++;
    if (l->pending < 2 && !last)
        return 0;
    for (int64_t x = 0; x < l->width; x++) {
        l->row[x] = l->count[x] ? (float)(l->sum[x] / l->count[x]) : NAN;
        l->sum[x] = 0.0;
        l->count[x] = 0;
    }
    l->pending = 0;
    if (l->y >= l->height)
        return 0;
    sw__gdal_err e;
    sw__gdal_push(&e);
    CPLErr err = GDALRasterIO(l->band, GF_Write, 0, (int)l->y, (int)l->width, 1, l->row, (int)l->width, 1,
                              GDT_Float32, 0, 0);
    sw__gdal_pop();
    if (err != CE_None)
        return sw__err(ctx, SW_EIO, "%s: overview write failed: %s", w->path, sw__gdal_msg(&e, "unknown error"));
    l->y++;
    return level_add(w, ctx, i + 1, l->row, l->width, l->y == l->height);
}

sw__rwriter *sw__rwriter_create(sw_ctx *ctx, const char *path, const sw__grid *g, int nbands,
                                sw__type type, double nodata, int flags)
{
    return sw__rwriter_create_ex(ctx, path, g, nbands, type, nodata, flags, NULL);
}

sw__rwriter *sw__rwriter_create_ex(sw_ctx *ctx, const char *path, const sw__grid *g, int nbands, sw__type type,
                                   double nodata, int flags, const char *const *extra)
{
    sw__io_init(0);
    sw__rwriter *w = calloc(1, sizeof *w);
    if (!w) {
        sw__err(ctx, SW_ENOMEM, "out of memory");
        return NULL;
    }
    w->path = strdup(path);
    w->nbands = nbands;
    w->type = gdal_type(type);
    w->width = g->width;
    w->height = g->height;
    char **opts = NULL;
    opts = CSLSetNameValue(opts, "TILED", "YES");
    opts = CSLSetNameValue(opts, "BLOCKXSIZE", "256");
    opts = CSLSetNameValue(opts, "BLOCKYSIZE", "256");
    opts = CSLSetNameValue(opts, "BIGTIFF", "IF_SAFER");
    if (nbands > 1)
        opts = CSLSetNameValue(opts, "INTERLEAVE", "PIXEL");
    const char *predictor = type == SW__F32 ? "3" : "2";
    switch (flags & SW__W_CODEC) {
    case SW__W_DEFLATE:
        opts = CSLSetNameValue(opts, "COMPRESS", "DEFLATE");
        opts = CSLSetNameValue(opts, "ZLEVEL", "1");
        opts = CSLSetNameValue(opts, "PREDICTOR", predictor);
        break;
    case SW__W_ZSTD:
        opts = CSLSetNameValue(opts, "COMPRESS", "ZSTD");
        opts = CSLSetNameValue(opts, "ZSTD_LEVEL", "1");
        opts = CSLSetNameValue(opts, "PREDICTOR", predictor);
        /* Blocks are compressed on GDAL's threads while the sink goes on. */
        opts = CSLSetNameValue(opts, "NUM_THREADS", "ALL_CPUS");
        break;
    case SW__W_PACKBITS:
        opts = CSLSetNameValue(opts, "COMPRESS", "PACKBITS");
        break;
    default:
        break;
    }
    /* The user's creation options (-co KEY=VALUE) come last and win. */
    int cog = (flags & SW__W_OVERVIEWS) && nbands == 1 && type == SW__F32 &&
              (g->width > g->height ? g->width : g->height) >= 512;
    for (int i = 0; extra && extra[i]; i++) {
        const char *eq = strchr(extra[i], '=');
        if (!eq || eq == extra[i]) {
            CSLDestroy(opts);
            free(w->path);
            free(w);
            sw__err(ctx, SW_EARG, "creation option '%s': KEY=VALUE", extra[i]);
            return NULL;
        }
        char key[128];
        snprintf(key, sizeof key, "%.*s", (int)(eq - extra[i] < 127 ? eq - extra[i] : 127), extra[i]);
        opts = CSLSetNameValue(opts, key, eq + 1);
    }
    /* Overviews streamed in as the rows arrive lie before the full
     * resolution in the file, which a Cloud Optimized GeoTIFF forbids: such
     * a file is written uncompressed and copied into a COG (its overviews
     * kept, compressed as asked) when it closes. */
    if (cog) {
        static const char *const keep[] = {"COMPRESS", "PREDICTOR", "NUM_THREADS", "BIGTIFF", "LEVEL", NULL};
        for (int i = 0; keep[i]; i++)
            if (CSLFetchNameValue(opts, keep[i]))
                w->cog = CSLSetNameValue(w->cog, keep[i], CSLFetchNameValue(opts, keep[i]));
        const char *lv = CSLFetchNameValue(opts, "ZSTD_LEVEL") ? CSLFetchNameValue(opts, "ZSTD_LEVEL")
                                                               : CSLFetchNameValue(opts, "ZLEVEL");
        if (lv && !CSLFetchNameValue(w->cog, "LEVEL"))
            w->cog = CSLSetNameValue(w->cog, "LEVEL", lv);
        const char *pred = CSLFetchNameValue(w->cog, "PREDICTOR");
        if (pred)
            w->cog = CSLSetNameValue(w->cog, "PREDICTOR", !strcmp(pred, "3") ? "FLOATING_POINT"
                                                          : !strcmp(pred, "2") ? "STANDARD"
                                                          : !strcmp(pred, "1") ? "NO" : pred);
        w->cog = CSLSetNameValue(w->cog, "BLOCKSIZE", CSLFetchNameValue(opts, "BLOCKXSIZE"));
        w->cog = CSLSetNameValue(w->cog, "OVERVIEWS", "FORCE_USE_EXISTING");
        if (!CSLFetchNameValue(w->cog, "NUM_THREADS"))
            w->cog = CSLSetNameValue(w->cog, "NUM_THREADS", "ALL_CPUS");
        opts = CSLSetNameValue(opts, "COMPRESS", "NONE");
        opts = CSLSetNameValue(opts, "PREDICTOR", NULL);
        opts = CSLSetNameValue(opts, "ZSTD_LEVEL", NULL);
        opts = CSLSetNameValue(opts, "ZLEVEL", NULL);
    }
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    w->ds = GDALCreate(drv, path, (int)g->width, (int)g->height, nbands, w->type, opts);
    if (w->ds) {
        GDALSetGeoTransform(w->ds, (double *)g->gt);
        if (g->wkt)
            GDALSetProjection(w->ds, g->wkt);
        if (!isnan(nodata) || type == SW__F32)
            for (int b = 1; b <= nbands; b++)
                GDALSetRasterNoDataValue(GDALGetRasterBand(w->ds, b), nodata);
    }
    sw__gdal_pop();
    CSLDestroy(opts);
    if (!w->ds) {
        sw__err(ctx, SW_EIO, "%s: cannot create: %s", path, sw__gdal_msg(&e, "unknown error"));
        CSLDestroy(w->cog);
        free(w->path);
        free(w);
        return NULL;
    }
    if ((flags & SW__W_OVERVIEWS) && nbands == 1 && type == SW__F32 && make_levels(w, ctx) != 0) {
        sw__rwriter_abort(w);
        return NULL;
    }
    return w;
}

void sw__rwriter_describe(sw__rwriter *w, const char *const *names)
{
    for (int b = 0; b < w->nbands; b++)
        GDALSetDescription(GDALGetRasterBand(w->ds, b + 1), names[b]);
}

int sw__rwriter_write(sw__rwriter *w, sw_ctx *ctx, int64_t y0, int nrows, const void *buf)
{
    int sz = GDALGetDataTypeSizeBytes(w->type);
    sw__gdal_err e;
    sw__gdal_push(&e);
    CPLErr err = GDALDatasetRasterIO(w->ds, GF_Write, 0, (int)y0, (int)w->width, nrows, (void *)buf,
                                     (int)w->width, nrows, w->type, w->nbands, NULL, sz * w->nbands,
                                     sz * w->nbands * (int)w->width, sz);
    sw__gdal_pop();
    if (err != CE_None)
        return sw__err(ctx, SW_EIO, "%s: write failed: %s", w->path, sw__gdal_msg(&e, "unknown error"));
    for (int r = 0; r < nrows && w->nlevels; r++) {
        const float *row = (const float *)buf + (size_t)r * (size_t)w->width;
        int rc = level_add(w, ctx, 0, row, w->width, y0 + r == w->height - 1);
        if (rc)
            return rc;
    }
    return 0;
}

/* Copies the closed file into a COG (GDAL's COG driver: the main image's
 * IFD first, the overviews' data before the full resolution's) under a
 * temporary name beside it; sw__rwriter_finish renames it over the file. */
static void *cog_copy(void *arg)
{
    sw__rwriter *w = arg;
    sw__gdal_push(&w->cog_err);
    GDALDatasetH src = GDALOpen(w->path, GA_ReadOnly);
    GDALDatasetH dst = src ? GDALCreateCopy(GDALGetDriverByName("COG"), w->cog_path, src, FALSE, w->cog, NULL, NULL)
                           : NULL;
    w->cog_ok = dst != NULL;
    if (dst)
        GDALClose(dst);
    if (src)
        GDALClose(src);
    sw__gdal_pop();
    w->cog_ok = w->cog_ok && !w->cog_err.had;
    return NULL;
}

static void rwriter_free(sw__rwriter *w)
{
    free_levels(w);
    CSLDestroy(w->cog);
    free(w->cog_path);
    free(w->path);
    free(w);
}

/* Waits for the copy into a COG, if one was started; its result. */
static int cog_join(sw__rwriter *w)
{
    if (w->cog_threaded) {
        pthread_join(w->cog_thread, NULL);
        w->cog_threaded = 0;
    }
    return w->cog_ok;
}

int sw__rwriter_close_begin(sw__rwriter *w, sw_ctx *ctx)
{
    int rc = 0;
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALFlushCache(w->ds);
    if (e.had)
        rc = sw__err(ctx, SW_EIO, "%s: write failed: %s", w->path, e.msg);
    GDALClose(w->ds);
    w->ds = NULL;
    if (rc == 0 && e.had)
        rc = sw__err(ctx, SW_EIO, "%s: write failed: %s", w->path, e.msg);
    sw__gdal_pop();
    if (rc || !w->cog)
        return rc;
    size_t n = strlen(w->path) + 8;
    if (!(w->cog_path = malloc(n)))
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    snprintf(w->cog_path, n, "%s.cog", w->path);
    if (pthread_create(&w->cog_thread, NULL, cog_copy, w) == 0)
        w->cog_threaded = 1;
    else
        cog_copy(w); /* no thread to be had: here and now */
    return 0;
}

int sw__rwriter_finish(sw__rwriter *w, sw_ctx *ctx)
{
    int rc = 0;
    if (w->cog_path && (!cog_join(w) || rename(w->cog_path, w->path) != 0)) {
        VSIUnlink(w->cog_path);
        rc = sw__err(ctx, SW_EIO, "%s: cannot write it as a Cloud Optimized GeoTIFF: %s", w->path,
                     sw__gdal_msg(&w->cog_err, "unknown error"));
    }
    rwriter_free(w);
    return rc;
}

int sw__rwriter_close(sw__rwriter *w, sw_ctx *ctx)
{
    int rc = sw__rwriter_close_begin(w, ctx);
    if (rc) {
        cog_join(w);
        rwriter_free(w);
        return rc;
    }
    return sw__rwriter_finish(w, ctx);
}

void sw__rwriter_abort(sw__rwriter *w)
{
    if (!w)
        return;
    sw__gdal_err e;
    sw__gdal_push(&e);
    if (w->ds)
        GDALClose(w->ds);
    sw__gdal_pop();
    if (w->cog_path) {
        cog_join(w);
        VSIUnlink(w->cog_path);
    }
    sw__io_delete(w->path);
    rwriter_free(w);
}

int sw__png_write(sw_ctx *ctx, const char *path, int64_t w, int64_t h, const uint8_t *rgb)
{
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALDriverH mem = GDALGetDriverByName("MEM"), png = GDALGetDriverByName("PNG");
    GDALDatasetH ds = GDALCreate(mem, "", (int)w, (int)h, 3, GDT_Byte, NULL);
    GDALDatasetH out = NULL;
    if (ds && GDALDatasetRasterIO(ds, GF_Write, 0, 0, (int)w, (int)h, (void *)rgb, (int)w, (int)h,
                                  GDT_Byte, 3, NULL, 3, 3 * (int)w, 1) == CE_None)
    {
        char *opts[] = {"ZLEVEL=1", NULL};
        out = GDALCreateCopy(png, path, ds, FALSE, opts, NULL, NULL);
    }
    if (out)
        GDALClose(out);
    if (ds)
        GDALClose(ds);
    sw__gdal_pop();
    if (!out)
        return sw__err(ctx, SW_EIO, "%s: cannot write PNG: %s", path, sw__gdal_msg(&e, "unknown error"));
    /* The PNG driver leaves a .aux.xml beside the file; it has nothing we need. */
    char aux[4200];
    snprintf(aux, sizeof aux, "%s.aux.xml", path);
    VSIUnlink(aux);
    return 0;
}

/* ---- single-band reader ---- */
struct sw__band {
    GDALDatasetH ds;
    GDALRasterBandH band;
    char *path;
};

sw__band *sw__band_open(sw_ctx *ctx, const char *path)
{
    GDALDatasetH ds = sw__open_raster(ctx, path, NULL);
    if (!ds)
        return NULL;
    sw__band *b = calloc(1, sizeof *b);
    b->ds = ds;
    b->band = GDALGetRasterBand(ds, 1);
    b->path = strdup(path);
    return b;
}

void sw__band_close(sw__band *b)
{
    if (!b)
        return;
    GDALClose(b->ds);
    free(b->path);
    free(b);
}

void sw__band_size(const sw__band *b, int64_t *w, int64_t *h)
{
    *w = GDALGetRasterXSize(b->ds);
    *h = GDALGetRasterYSize(b->ds);
}

/* Rows of the band as type, and their validity (mask band) when valid is
 * not NULL. */
static int band_read(sw__band *b, sw_ctx *ctx, int64_t y0, int nrows, void *vals, GDALDataType type,
                     uint8_t *valid)
{
    int w = GDALGetRasterXSize(b->ds);
    sw__gdal_err e;
    sw__gdal_push(&e);
    CPLErr err = GDALRasterIO(b->band, GF_Read, 0, (int)y0, w, nrows, vals, w, nrows, type, 0, 0);
    if (err == CE_None && valid) {
        if (GDALGetMaskFlags(b->band) & GMF_ALL_VALID)
            memset(valid, 1, (size_t)w * (size_t)nrows);
        else
            err = GDALRasterIO(GDALGetMaskBand(b->band), GF_Read, 0, (int)y0, w, nrows, valid, w, nrows,
                               GDT_Byte, 0, 0);
    }
    sw__gdal_pop();
    if (err != CE_None)
        return sw__err(ctx, SW_EIO, "%s: read failed: %s", b->path, sw__gdal_msg(&e, "unknown error"));
    return 0;
}

int sw__band_read_f32(sw__band *b, sw_ctx *ctx, int64_t y0, int nrows, float *vals, uint8_t *valid)
{
    return band_read(b, ctx, y0, nrows, vals, GDT_Float32, valid);
}

int sw__band_read(sw__band *b, sw_ctx *ctx, int64_t y0, int nrows, uint16_t *vals, uint8_t *valid)
{
    return band_read(b, ctx, y0, nrows, vals, GDT_UInt16, valid);
}
