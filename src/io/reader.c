/*
 * reader.c: strips of both dates of a pair, on its grid (or the window
 * set on it): one reader per worker thread, each with its own GDAL handles.
 * A date's validity ANDs every band's mask (nodata, per-dataset masks,
 * alpha), the usability mask set on the pair and NaN; a co-registered
 * AFTER is resampled bilinearly along the pair's shift field.
 */
#include <math.h>
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
    int64_t held0, held1; /* block rows [held0, held1] of the grid read since
                             the handles' blocks were last dropped */
};

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
    const char *paths[2] = {p->s[0].path, p->after_path};
    for (int d = 0; d < 2; d++) {
        sw__gdal_err e;
        sw__gdal_push(&e);
        r->ds[d] = GDALOpenEx(paths[d], GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
        sw__gdal_pop();
        if (!r->ds[d]) {
            sw__err(ctx, SW_EIO, "%s: cannot open: %s", p->s[d].pub.given,
                    sw__gdal_msg(&e, "unknown error"));
            sw__reader_close(r);
            return NULL;
        }
        if (p->mask_path[d]) {
            sw__gdal_push(&e);
            r->mask[d] = GDALOpenEx(p->mask_path[d], GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
            sw__gdal_pop();
            if (!r->mask[d]) {
                sw__err(ctx, SW_EIO, "%s: cannot open: %s", p->mask_path[d], sw__gdal_msg(&e, "unknown error"));
                sw__reader_close(r);
                return NULL;
            }
        }
    }
    return r;
}

void sw__reader_close(sw__reader *r)
{
    if (!r)
        return;
    for (int d = 0; d < 2; d++) {
        if (r->ds[d])
            GDALClose(r->ds[d]);
        if (r->mask[d])
            GDALClose(r->mask[d]);
    }
    free(r->mbuf);
    free(r->ubuf);
    free(r->sbuf);
    free(r->svalid);
    free(r);
}

/* ANDs the validity of band b's mask (nodata, per-dataset mask, alpha)
 * into valid. Bands without a mask cost nothing. */
static int and_mask(sw__reader *r, sw_ctx *ctx, int d, int b, int64_t x0, int64_t y0, int64_t w, int nrows,
                    uint8_t *valid, int *dataset_done)
{
    GDALRasterBandH band = GDALGetRasterBand(r->ds[d], b);
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
 * grid's pixels) into buf (pixel-interleaved) and ANDs its validity into
 * valid. */
static int read_date(sw__reader *r, sw_ctx *ctx, int d, int64_t x0, int64_t y0, int64_t w, int nrows, float *buf,
                     uint8_t *valid)
{
    const sw__pair *p = r->p;
    int nb = p->info.nbands;
    size_t npix = (size_t)w * (size_t)nrows;
    sw__gdal_err e;
    sw__gdal_push(&e);
    CPLErr err = GDALDatasetRasterIO(r->ds[d], GF_Read, (int)x0, (int)y0, (int)w, nrows, buf, (int)w, nrows,
                                     GDT_Float32, nb, p->s[d].sel, (int)sizeof(float) * nb,
                                     (int)sizeof(float) * nb * (int)w, (int)sizeof(float));
    sw__gdal_pop();
    if (err != CE_None)
        return sw__err(ctx, SW_EIO, "%s: read failed at rows %lld-%lld: %s", p->s[d].pub.given,
                       (long long)y0, (long long)(y0 + nrows - 1), sw__gdal_msg(&e, "unknown error"));
    int dataset_done = 0;
    for (int b = 0; b < nb; b++) {
        int rc = and_mask(r, ctx, d, p->s[d].sel[b], x0, y0, w, nrows, valid, &dataset_done);
        if (rc)
            return rc;
    }
    if (r->mask[d]) {
        if (npix > r->ucap) {
            uint16_t *m = realloc(r->ubuf, npix * sizeof *m);
            if (!m)
                return sw__err(ctx, SW_ENOMEM, "out of memory");
            r->ubuf = m;
            r->ucap = npix;
        }
        sw__gdal_push(&e);
        err = GDALRasterIO(GDALGetRasterBand(r->mask[d], p->mask_band[d]), GF_Read, (int)x0, (int)y0, (int)w, nrows,
                           r->ubuf, (int)w, nrows, GDT_UInt16, 0, 0);
        sw__gdal_pop();
        if (err != CE_None)
            return sw__err(ctx, SW_EIO, "%s: read failed: %s", p->mask_path[d], sw__gdal_msg(&e, "unknown error"));
        int rule = p->mask_rule[d];
        for (size_t i = 0; i < npix; i++)
            if (!sw__mask_usable(rule, r->ubuf[i]))
                valid[i] = 0;
    }
    if (GDALGetRasterDataType(GDALGetRasterBand(r->ds[d], p->s[d].sel[0])) >= GDT_Float32)
        for (size_t i = 0; i < npix; i++)
            for (int b = 0; b < nb; b++)
                if (isnan(buf[i * (size_t)nb + (size_t)b]))
                    valid[i] = 0;
    return 0;
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
    int rc = read_date(r, ctx, 1, da, ca, sw, (int)sh, r->sbuf, r->svalid);
    if (rc)
        return rc;
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
            float tx = (float)(sx - fx), ty = (float)(sy - fy);
            float w00 = (1 - tx) * (1 - ty), w10 = tx * (1 - ty), w01 = (1 - tx) * ty, w11 = tx * ty;
            size_t s0 = (size_t)iy * (size_t)sw + (size_t)ix, s1 = s0 + (size_t)sw;
            if (!(r->svalid[s0] && r->svalid[s0 + 1] && r->svalid[s1] && r->svalid[s1 + 1]))
                valid[o] = 0;
            const float *a = r->sbuf + s0 * nb, *b = r->sbuf + s1 * nb;
            for (int c = 0; c < nb; c++)
                after[o * nb + c] = w00 * a[c] + w10 * a[nb + c] + w01 * b[c] + w11 * b[nb + c];
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
    int64_t bh = r->p->info.block_h > 0 ? r->p->info.block_h : 1;
    int64_t b0 = (r->p->wy + y0) / bh, b1 = (r->p->wy + y0 + nrows) / bh;
    if (b1 < r->held0 || b0 > r->held1) {
        if (r->held0 <= r->held1) {
            sw__gdal_err e;
            sw__gdal_push(&e);
            for (int d = 0; d < 2; d++) {
                GDALFlushCache(r->ds[d]);
                if (r->mask[d])
                    GDALFlushCache(r->mask[d]);
            }
            sw__gdal_pop();
        }
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
    int rc = read_date(r, ctx, 0, p->wx + x0, p->wy + y0, w, nrows, before, valid);
    if (rc)
        return rc;
    if (p->shifted)
        return read_shifted(r, ctx, x0, w, y0, nrows, after, valid);
    return read_date(r, ctx, 1, p->wx + x0, p->wy + y0, w, nrows, after, valid);
}

int sw__reader_read(sw__reader *r, sw_ctx *ctx, int64_t y0, int nrows, float *before, float *after, uint8_t *valid)
{
    return sw__reader_read_cols(r, ctx, 0, r->p->info.grid.width, y0, nrows, before, after, valid);
}

