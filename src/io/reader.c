/*
 * reader.c: strips of both dates of a pair, on its grid (or the window
 * set on it): one reader per worker thread, each with its own GDAL handles.
 * A date's validity ANDs every band's mask (nodata, per-dataset masks,
 * alpha), the usability mask set on the pair and NaN; a co-registered
 * AFTER is resampled bilinearly along the pair's shift field. Strips
 * that share block rows with their neighbours are read through one handle
 * per date that all readers share.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pair_int.h"

struct sw__reader {
    GDALDatasetH ds[2];
    GDALDatasetH mask[2];
    const sw__pair *p;
    uint8_t *mbuf;
    size_t mcap;
    uint16_t *ubuf; /* a usability mask's values */
    size_t ucap;
    float *sbuf;       /* shifted AFTER: the rows it is resampled from */
    uint8_t *svalid;
    size_t scap;
    int64_t *cix;      /* shifted AFTER by columns alone: each column's source */
    float *ctx;        /*   column (-1: outside) and bilinear weight */
    size_t ccap;
    int64_t held0, held1; /* block rows [held0, held1] of the grid read since
                             the handles' blocks were last dropped */
    int64_t bh[2];     /* each date's block height */
};

/* Opens date d's dataset and its usability mask (if any). */
static int open_date(sw_ctx *ctx, const sw__pair *p, int d, GDALDatasetH *ds, GDALDatasetH *mask,
                     const char *const *open_opts)
{
    const char *paths[2] = {p->s[0].path, p->after_path};
    sw__gdal_err e;
    sw__gdal_push(&e);
    *ds = GDALOpenEx(paths[d], GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, open_opts, NULL);
    sw__gdal_pop();
    if (!*ds)
        return sw__err(ctx, SW_EIO, "%s: cannot open: %s", p->s[d].pub.given, sw__gdal_msg(&e, "unknown error"));
    if (p->mask_path[d]) {
        sw__gdal_push(&e);
        *mask = GDALOpenEx(p->mask_path[d], GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
        sw__gdal_pop();
        if (!*mask)
            return sw__err(ctx, SW_EIO, "%s: cannot open: %s", p->mask_path[d], sw__gdal_msg(&e, "unknown error"));
    }
    return 0;
}

/* Drops the blocks a date's handles hold in GDAL's cache. */
static void drop_blocks(GDALDatasetH ds, GDALDatasetH mask)
{
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALFlushCache(ds);
    if (mask)
        GDALFlushCache(mask);
    sw__gdal_pop();
}

static void close_date(GDALDatasetH *ds, GDALDatasetH *mask)
{
    if (*ds)
        GDALClose(*ds);
    if (*mask)
        GDALClose(*mask);
    *ds = *mask = NULL;
}

sw__reader *sw__reader_open(sw_ctx *ctx, const sw__pair *p)
{
    sw__reader *r = calloc(1, sizeof *r);
    if (!r) {
        sw__err(ctx, SW_ENOMEM, "out of memory");
        return NULL;
    }
    r->p = p;
    r->held0 = 1;
    r->held1 = 0; /* none */
    for (int d = 0; d < 2; d++) {
        if (open_date(ctx, p, d, &r->ds[d], &r->mask[d], NULL) != 0) {
            sw__reader_close(r);
            return NULL;
        }
    }
    for (int d = 0; d < 2; d++) {
        int bw, bh;
        GDALGetBlockSize(GDALGetRasterBand(r->ds[d], 1), &bw, &bh);
        r->bh[d] = bh > 0 ? bh : 1;
    }
    return r;
}

void sw__reader_close(sw__reader *r)
{
    if (!r)
        return;
    for (int d = 0; d < 2; d++)
        close_date(&r->ds[d], &r->mask[d]);
    free(r->mbuf);
    free(r->ubuf);
    free(r->sbuf);
    free(r->svalid);
    free(r->cix);
    free(r->ctx);
    free(r);
}

/* ANDs the validity of band b's mask (nodata, per-dataset mask, alpha)
 * into valid. Bands without a mask cost nothing. */
static int and_mask(sw__reader *r, sw_ctx *ctx, int d, GDALDatasetH ds, int b, int64_t x0, int64_t y0, int64_t w,
                    int nrows, uint8_t *valid, int *dataset_done)
{
    GDALRasterBandH band = GDALGetRasterBand(ds, b);
    int flags = GDALGetMaskFlags(band);
    if (flags & GMF_ALL_VALID)
        return 0;
    if (flags & GMF_PER_DATASET) {
        if (*dataset_done)
            return 0;
        *dataset_done = 1;
    }
    size_t need = (size_t)w * (size_t)nrows;
    if (need > r->mcap) {
        uint8_t *m = realloc(r->mbuf, need);
        if (!m)
            return sw__err(ctx, SW_ENOMEM, "out of memory");
        r->mbuf = m;
        r->mcap = need;
    }
    sw__gdal_err e;
    sw__gdal_push(&e);
    CPLErr err = GDALRasterIO(GDALGetMaskBand(band), GF_Read, (int)x0, (int)y0, (int)w, nrows, r->mbuf,
                              (int)w, nrows, GDT_Byte, 0, 0);
    sw__gdal_pop();
    if (err != CE_None)
        return sw__err(ctx, SW_EIO, "%s: read failed: %s", r->p->s[d].pub.given,
                       sw__gdal_msg(&e, "unknown error"));
    for (size_t i = 0; i < need; i++)
        valid[i] &= r->mbuf[i] != 0;
    return 0;
}

/* Reads w columns from x0 of rows [y0, y0 + nrows) of date d (the whole
 * grid's pixels) through its handles ds and mask into buf (pixel-
 * interleaved) and ANDs its validity into valid. */
static int read_date(sw__reader *r, sw_ctx *ctx, int d, GDALDatasetH ds, GDALDatasetH mask, int64_t x0, int64_t y0,
                     int64_t w, int nrows, float *buf, uint8_t *valid)
{
    const sw__pair *p = r->p;
    int nb = p->info.nbands;
    size_t npix = (size_t)w * (size_t)nrows;
    sw__gdal_err e;
    sw__gdal_push(&e);
    CPLErr err = GDALDatasetRasterIO(ds, GF_Read, (int)x0, (int)y0, (int)w, nrows, buf, (int)w, nrows,
                                     GDT_Float32, nb, p->s[d].sel, (int)sizeof(float) * nb,
                                     (int)sizeof(float) * nb * (int)w, (int)sizeof(float));
    sw__gdal_pop();
    if (err != CE_None)
        return sw__err(ctx, SW_EIO, "%s: read failed at rows %lld-%lld: %s", p->s[d].pub.given,
                       (long long)y0, (long long)(y0 + nrows - 1), sw__gdal_msg(&e, "unknown error"));
    int dataset_done = 0;
    for (int b = 0; b < nb; b++) {
        int rc = and_mask(r, ctx, d, ds, p->s[d].sel[b], x0, y0, w, nrows, valid, &dataset_done);
        if (rc)
            return rc;
    }
    if (mask) {
        if (npix > r->ucap) {
            uint16_t *m = realloc(r->ubuf, npix * sizeof *m);
            if (!m)
                return sw__err(ctx, SW_ENOMEM, "out of memory");
            r->ubuf = m;
            r->ucap = npix;
        }
        sw__gdal_push(&e);
        err = GDALRasterIO(GDALGetRasterBand(mask, p->mask_band[d]), GF_Read, (int)x0, (int)y0, (int)w, nrows,
                           r->ubuf, (int)w, nrows, GDT_UInt16, 0, 0);
        sw__gdal_pop();
        if (err != CE_None)
            return sw__err(ctx, SW_EIO, "%s: read failed: %s", p->mask_path[d], sw__gdal_msg(&e, "unknown error"));
        int rule = p->mask_rule[d];
        for (size_t i = 0; i < npix; i++)
            if (!sw__mask_usable(rule, r->ubuf[i]))
                valid[i] = 0;
    }
    if (GDALGetRasterDataType(GDALGetRasterBand(ds, p->s[d].sel[0])) >= GDT_Float32)
        for (size_t i = 0; i < npix; i++)
            for (int b = 0; b < nb; b++)
                if (isnan(buf[i * (size_t)nb + (size_t)b]))
                    valid[i] = 0;
    return 0;
}

struct sw__shared_date {
    pthread_mutex_t mu;
    GDALDatasetH ds, mask; /* opened by the first read */
    int64_t held0, held1;  /* rows read since its blocks were last dropped */
};

sw__shared_date *sw__shared_date_new(void)
{
    sw__shared_date *s = calloc(1, sizeof *s);
    if (s && pthread_mutex_init(&s->mu, NULL) != 0) {
        free(s);
        return NULL;
    }
    if (s)
        s->held1 = -1; /* none held */
    return s;
}

void sw__shared_date_free(sw__shared_date *s)
{
    if (!s)
        return;
    close_date(&s->ds, &s->mask);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* Rows [y0, y0 + nrows) of the whole grid of date d, through its shared
 * handle: one read at a time, its blocks decoded on GDAL's threads (one
 * per core, so that the readers do not wait on one decoder), so a block row
 * that strips on both sides of it need is decoded once. The workers take
 * the strips in order, so reads come within a strip per core of each
 * other: when a read starts further than that (and one more) below the
 * first row held, or above it, the blocks held are dropped (all at once:
 * GDAL drops no single block). */
static int read_shared(sw__reader *r, sw_ctx *ctx, int d, int64_t x0, int64_t y0, int64_t w, int nrows, float *buf,
                       uint8_t *valid)
{
    sw__shared_date *s = r->p->shared[d];
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    if (!s->ds) {
        char threads[32];
        snprintf(threads, sizeof threads, "NUM_THREADS=%d", sw__ncores());
        const char *opts[] = {threads, NULL};
        if ((rc = open_date(ctx, r->p, d, &s->ds, &s->mask, opts)) != 0)
            close_date(&s->ds, &s->mask);
    }
    if (rc == 0) {
        int64_t keep = ((int64_t)sw__ncores() + 1) * (nrows > r->bh[d] ? nrows : r->bh[d]);
        int none = s->held1 < s->held0;
        if (!none && (y0 - s->held0 > keep || y0 + nrows < s->held0)) {
            drop_blocks(s->ds, s->mask);
            none = 1;
        }
        s->held0 = none || y0 < s->held0 ? y0 : s->held0;
        s->held1 = none || y0 + nrows > s->held1 ? y0 + nrows : s->held1;
        rc = read_date(r, ctx, d, s->ds, s->mask, x0, y0, w, nrows, buf, valid);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* Rows [y0, y0 + nrows) of date d (the whole grid's). A strip that ends
 * or starts inside a block row shares it with the next or last strip,
 * which another worker reads: such strips go through the shared handle. A
 * few rows (a sample's: its reader's own handle holds their block row) and
 * strips of whole block rows go through the reader's own. */
static int read_rows(sw__reader *r, sw_ctx *ctx, int d, int64_t x0, int64_t y0, int64_t w, int nrows, float *buf,
                     uint8_t *valid)
{
    int64_t bh = r->bh[d], y1 = y0 + nrows;
    int shares = bh > 1 && 4 * (int64_t)nrows >= bh && (y0 % bh != 0 || (y1 % bh != 0 && y1 < r->p->full_h));
    return shares ? read_shared(r, ctx, d, x0, y0, w, nrows, buf, valid)
                  : read_date(r, ctx, d, r->ds[d], r->mask[d], x0, y0, w, nrows, buf, valid);
}

/* One pixel of AFTER from the source rows in r->sbuf (sw wide): bilinear at
 * (ix + tx, iy + ty), invalid unless all four neighbours are valid. */
static inline void bilinear(const sw__reader *r, int nb, int64_t sw, int64_t ix, int64_t iy, float tx, float ty,
                            float *restrict out, uint8_t *restrict valid)
{
    float w00 = (1 - tx) * (1 - ty), w10 = tx * (1 - ty), w01 = (1 - tx) * ty, w11 = tx * ty;
    size_t s0 = (size_t)iy * (size_t)sw + (size_t)ix, s1 = s0 + (size_t)sw;
    if (!(r->svalid[s0] && r->svalid[s0 + 1] && r->svalid[s1] && r->svalid[s1 + 1]))
        *valid = 0;
    const float *a = r->sbuf + s0 * nb, *b = r->sbuf + s1 * nb;
    for (int c = 0; c < nb; c++)
        out[c] = w00 * a[c] + w10 * a[nb + c] + w01 * b[c] + w11 * b[nb + c];
}

/* AFTER resampled at (x + dx(x, y), y + dy(x, y)), bilinear; a pixel is
 * valid when all four neighbours are. The shift field is affine (in the
 * whole grid's pixels), so the source rows and columns a strip of the
 * window needs are bounded by its corners. */
static int read_shifted(sw__reader *r, sw_ctx *ctx, int64_t x0, int64_t w, int64_t y0, int nrows, float *after,
                        uint8_t *valid)
{
    const sw__pair *p = r->p;
    int nb = p->info.nbands;
    int64_t fw = p->full_w, fh = p->full_h, X0 = p->wx + x0, Y0 = p->wy + y0;
    const double *ax = p->ax, *ay = p->ay;
    double lo = INFINITY, hi = -INFINITY, lx = INFINITY, hx = -INFINITY;
    for (int c = 0; c < 4; c++) {
        double x = (double)X0 + ((c & 1) ? (double)(w - 1) : 0.0), y = (double)Y0 + ((c & 2) ? nrows - 1 : 0);
        double d = ay[0] + ay[1] * x + ay[2] * y, e = ax[0] + ax[1] * x + ax[2] * y;
        lo = fmin(lo, d);
        hi = fmax(hi, d);
        lx = fmin(lx, e);
        hx = fmax(hx, e);
    }
    /* Source rows [ya, yb) and columns [xa, xb) of the whole grid, read
     * where they lie inside it. */
    int64_t ya = Y0 + (int64_t)floor(lo), yb = Y0 + nrows - 1 + (int64_t)floor(hi) + 2;
    int64_t xa = X0 + (int64_t)floor(lx), xb = X0 + w - 1 + (int64_t)floor(hx) + 2;
    int64_t ca = ya < 0 ? 0 : ya, cb = yb > fh ? fh : yb;
    int64_t da = xa < 0 ? 0 : xa, db = xb > fw ? fw : xb;
    /* The source block is [ca, cb) x [da, db), inside the image: a pixel
     * whose four neighbours are not all in it is outside the image, and
     * invalid. */
    int64_t sw = db - da, sh = cb - ca;
    if (sw < 2 || sh < 2) {
        memset(valid, 0, (size_t)w * (size_t)nrows);
        memset(after, 0, (size_t)w * (size_t)nrows * (size_t)nb * sizeof(float));
        return 0;
    }
    size_t need = (size_t)sw * (size_t)sh;
    if (need > r->scap) {
        free(r->sbuf);
        free(r->svalid);
        r->sbuf = malloc(need * (size_t)nb * sizeof(float));
        r->svalid = malloc(need);
        r->scap = r->sbuf && r->svalid ? need : 0;
        if (!r->scap)
            return sw__err(ctx, SW_ENOMEM, "out of memory");
    }
    memset(r->svalid, 1, need);
    int rc = read_rows(r, ctx, 1, da, ca, sw, (int)sh, r->sbuf, r->svalid);
    if (rc)
        return rc;
    /* A field whose x offset does not vary with y nor its y offset with x
     * (one shift, or a scale along each axis): each column's source column
     * and weight are the same on every row, so are worked out once. The
     * same arithmetic as below, to the bit (the terms left out are zero). */
    if (ax[2] == 0.0 && ay[1] == 0.0) {
        if ((size_t)w > r->ccap) {
            free(r->cix);
            free(r->ctx);
            r->cix = malloc((size_t)w * sizeof *r->cix);
            r->ctx = malloc((size_t)w * sizeof *r->ctx);
            r->ccap = r->cix && r->ctx ? (size_t)w : 0;
            if (!r->ccap)
                return sw__err(ctx, SW_ENOMEM, "out of memory");
        }
        for (int64_t i = 0; i < w; i++) {
            double x = (double)(X0 + i);
            double sx = x + ax[0] + ax[1] * x + ax[2] * (double)Y0;
            double fx = floor(sx);
            int64_t ix = (int64_t)fx;
            r->cix[i] = ix < da || ix + 1 >= db ? -1 : ix - da;
            r->ctx[i] = (float)(sx - fx);
        }
        for (int k = 0; k < nrows; k++) {
            double y = (double)(Y0 + k);
            double sy = y + ay[0] + ay[1] * (double)X0 + ay[2] * y;
            double fy = floor(sy);
            int64_t iy = (int64_t)fy;
            size_t o0 = (size_t)k * (size_t)w;
            if (iy < ca || iy + 1 >= cb) {
                memset(valid + o0, 0, (size_t)w);
                memset(after + o0 * nb, 0, (size_t)w * (size_t)nb * sizeof(float));
                continue;
            }
            iy -= ca;
            float ty = (float)(sy - fy);
            for (int64_t i = 0; i < w; i++) {
                size_t o = o0 + (size_t)i;
                int64_t ix = r->cix[i];
                if (ix < 0) {
                    valid[o] = 0;
                    memset(after + o * nb, 0, (size_t)nb * sizeof(float));
                    continue;
                }
                bilinear(r, nb, sw, ix, iy, r->ctx[i], ty, after + o * nb, valid + o);
            }
        }
        return 0;
    }
    for (int k = 0; k < nrows; k++) {
        double y = (double)(Y0 + k);
        for (int64_t i = 0; i < w; i++) {
            size_t o = (size_t)k * (size_t)w + (size_t)i;
            double x = (double)(X0 + i);
            double sx = x + ax[0] + ax[1] * x + ax[2] * y;
            double sy = y + ay[0] + ay[1] * x + ay[2] * y;
            double fx = floor(sx), fy = floor(sy);
            int64_t ix = (int64_t)fx, iy = (int64_t)fy;
            if (ix < da || ix + 1 >= db || iy < ca || iy + 1 >= cb) {
                valid[o] = 0;
                memset(after + o * nb, 0, (size_t)nb * sizeof(float));
                continue;
            }
            ix -= da;
            iy -= ca;
            bilinear(r, nb, sw, ix, iy, (float)(sx - fx), (float)(sy - fy), after + o * nb, valid + o);
        }
    }
    return 0;
}

/* A worker's blocks in GDAL's cache serve its next read only when that
 * starts within the block rows read since they were last dropped (the
 * strip below the last one, the next row of a sample job); a read elsewhere
 * (the workers take turns over the strips) drops them first, so that the
 * cache holds what is in use and the next blocks reuse their memory instead
 * of fresh pages. Rows are counted on BEFORE's blocks, with a row to spare
 * below for a shifted AFTER. */
static void drop_blocks_unless_near(sw__reader *r, int64_t y0, int nrows)
{
    int64_t bh = r->bh[0];
    int64_t b0 = (r->p->wy + y0) / bh, b1 = (r->p->wy + y0 + nrows) / bh;
    if (b1 < r->held0 || b0 > r->held1) {
        for (int d = 0; r->held0 <= r->held1 && d < 2; d++)
            drop_blocks(r->ds[d], r->mask[d]);
        r->held0 = b0;
        r->held1 = b1;
    } else {
        r->held0 = b0 < r->held0 ? b0 : r->held0;
        r->held1 = b1 > r->held1 ? b1 : r->held1;
    }
}

int sw__reader_read_cols(sw__reader *r, sw_ctx *ctx, int64_t x0, int64_t w, int64_t y0, int nrows, float *before,
                         float *after, uint8_t *valid)
{
    const sw__pair *p = r->p;
    if (x0 < 0 || w < 1 || x0 + w > p->info.grid.width)
        return sw__err(ctx, SW_EINTERNAL, "columns %lld-%lld outside the grid", (long long)x0, (long long)(x0 + w));
    drop_blocks_unless_near(r, y0, nrows);
    memset(valid, 1, (size_t)w * (size_t)nrows);
    int rc = read_rows(r, ctx, 0, p->wx + x0, p->wy + y0, w, nrows, before, valid);
    if (rc)
        return rc;
    if (p->shifted)
        return read_shifted(r, ctx, x0, w, y0, nrows, after, valid);
    return read_rows(r, ctx, 1, p->wx + x0, p->wy + y0, w, nrows, after, valid);
}

int sw__reader_read(sw__reader *r, sw_ctx *ctx, int64_t y0, int nrows, float *before, float *after, uint8_t *valid)
{
    return sw__reader_read_cols(r, ctx, 0, r->p->info.grid.width, y0, nrows, before, after, valid);
}

