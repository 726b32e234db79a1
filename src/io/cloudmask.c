/*
 * cloudmask.c: reading a site's chips for the cloud screen (src/screen)
 * and writing the masks it finds. The chips of a site share one grid; they
 * are read averaged down to at most 512 pixels a side (clouds are large,
 * and memory stays bounded however big the site), and each mask is written
 * on that coarse grid with its georeferencing, so `detect` puts it on its
 * own grid by nearest neighbour.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <gdal.h>

#include "../screen/screen.h"
#include "io_int.h"

enum { SIDE = 512, NEAREST = 10 };

typedef struct chip_img {
    float *px;
    uint8_t *valid;
    int nb;
    sw__bandmap bm;
} chip_img;

/* Band roles: each band named by its colour interpretation when that is
 * red, green or blue, else by its description; then sw__bandmap_guess. */
void sw__band_roles(GDALDatasetH ds, int nb, sw__bandmap *bm)
{
    const char *names[SW__MAXB] = {0};
    for (int b = 0; b < nb && b < SW__MAXB; b++) {
        GDALRasterBandH h = GDALGetRasterBand(ds, b + 1);
        GDALColorInterp ci = GDALGetRasterColorInterpretation(h);
        const char *d = GDALGetDescription(h);
        names[b] = ci == GCI_RedBand ? "red" : ci == GCI_GreenBand ? "green" : ci == GCI_BlueBand ? "blue" : d;
    }
    sw__bandmap_guess(names, nb < SW__MAXB ? nb : SW__MAXB, bm);
}

/* Reads a chip averaged down to w x h (its validity by nearest neighbour);
 * *full_w x *full_h receive its size. Returns 1 (nothing read) when it has
 * more bands than the screen takes. */
static int read_chip(sw_ctx *ctx, const char *path, int w, int h, chip_img *c, int *full_w, int *full_h)
{
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    sw__gdal_pop();
    if (!ds)
        return sw__err(ctx, SW_EIO, "%s: cannot open the site chip: %s", path, sw__gdal_msg(&e, "unknown error"));
    int nb = GDALGetRasterCount(ds), rc = 0;
    *full_w = GDALGetRasterXSize(ds);
    *full_h = GDALGetRasterYSize(ds);
    c->nb = nb;
    sw__band_roles(ds, nb, &c->bm);
    c->px = malloc((size_t)w * h * (size_t)nb * sizeof(float));
    c->valid = malloc((size_t)w * h);
    if (!c->px || !c->valid || nb > SW__MAXB) {
        GDALClose(ds);
        return nb > SW__MAXB ? 1 : sw__err(ctx, SW_ENOMEM, "out of memory screening clouds");
    }
    GDALRasterIOExtraArg ex;
    INIT_RASTERIO_EXTRA_ARG(ex);
    ex.eResampleAlg = GRIORA_Average;
    sw__gdal_push(&e);
    CPLErr err = GDALDatasetRasterIOEx(ds, GF_Read, 0, 0, *full_w, *full_h, c->px, w, h, GDT_Float32, nb, NULL,
                                       (GSpacing)nb * 4, (GSpacing)nb * 4 * w, 4, &ex);
    ex.eResampleAlg = GRIORA_NearestNeighbour;
    if (err == CE_None)
        err = GDALRasterIOEx(GDALGetMaskBand(GDALGetRasterBand(ds, 1)), GF_Read, 0, 0, *full_w, *full_h, c->valid, w,
                             h, GDT_Byte, 0, 0, &ex);
    sw__gdal_pop();
    if (err != CE_None)
        rc = sw__err(ctx, SW_EIO, "%s: cannot read the site chip: %s", path, sw__gdal_msg(&e, "unknown error"));
    GDALClose(ds);
    return rc;
}

static int write_mask(sw_ctx *ctx, const char *path, const uint8_t *m, int w, int h, const double gt[6],
                      const char *wkt)
{
    char *tmpdir = NULL, *tmp = sw__tmp_beside(ctx, path, &tmpdir);
    if (!tmp)
        return ctx->code;
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALDriverH drv = GDALGetDriverByName("GTiff");
    char *opts[] = {"COMPRESS=DEFLATE", NULL};
    GDALDatasetH ds = drv ? GDALCreate(drv, tmp, w, h, 1, GDT_Byte, opts) : NULL;
    CPLErr err = CE_Failure;
    if (ds) {
        GDALSetGeoTransform(ds, (double *)gt);
        GDALSetProjection(ds, wkt);
        GDALRasterBandH b = GDALGetRasterBand(ds, 1);
        GDALSetDescription(b, "cloud or cloud shadow");
        err = GDALRasterIO(b, GF_Write, 0, 0, w, h, (void *)m, w, h, GDT_Byte, 0, 0);
        GDALClose(ds);
    }
    sw__gdal_pop();
    int rc = 0;
    if (err != CE_None || rename(tmp, path) != 0)
        rc = sw__err(ctx, SW_EIO, "%s: cannot write the cloud mask: %s", path, sw__gdal_msg(&e, "unknown error"));
    sw__tmpdir_remove(tmpdir);
    free(tmpdir);
    free(tmp);
    return rc;
}

/* Reads a mask on the chips' grid at the screen's w x h (nearest). */
static int read_udm(const char *path, int w, int h, uint8_t *out)
{
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    CPLErr err = CE_Failure;
    if (ds) {
        GDALRasterBandH b = GDALGetRasterBand(ds, 1);
        err = GDALRasterIO(b, GF_Read, 0, 0, GDALGetRasterXSize(ds), GDALGetRasterYSize(ds), out, w, h, GDT_Byte, 0,
                           0);
        GDALClose(ds);
    }
    sw__gdal_pop();
    return err == CE_None ? 0 : -1;
}

int sw__chips_screen(sw_ctx *ctx, char *const *chips, char (*dates)[11], char *const *udm, int n,
                     char *const *masks, double *fraction)
{
    for (int i = 0; i < n; i++) {
        fraction[i] = 0.0;
        sw__io_delete(masks[i]);
    }
    int any_udm = 0;
    for (int i = 0; udm && i < n; i++)
        any_udm |= udm[i] != NULL;
    if (n < 2 && !any_udm)
        return 0;
    sw__io_init(256 << 20);
    /* The grid, from the first chip; the screen's grid at most SIDE a side
     * and 256 MB for all the chips' pixels. */
    double gt[6];
    char *wkt = NULL;
    int W, H;
    int rc = sw__chip_grid(ctx, chips[0], gt, &W, &H, &wkt);
    if (rc)
        return rc;
    double f = fmax(1.0, fmax(W, H) / (double)SIDE);
    double cap = sqrt((256.0 * 1024 * 1024) / ((double)n * 4 * sizeof(float) * W * H));
    if (cap < 1.0)
        f = fmax(f, 1.0 / cap);
    int w = (int)ceil(W / f), h = (int)ceil(H / f);
    double sgt[6] = {gt[0], gt[1] * W / w, gt[2], gt[3], gt[4], gt[5] * H / h};
    double pixel_m = fabs(sgt[1]);
    chip_img *img = calloc((size_t)n, sizeof *img);
    float *ref = NULL;
    uint8_t *ref_valid = NULL, *out = NULL;
    const float **pimg = calloc((size_t)n, sizeof *pimg);
    const uint8_t **pval = calloc((size_t)n, sizeof *pval);
    if (!img || !pimg || !pval) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory screening clouds");
        goto done;
    }
    for (int i = 0; i < n && rc == 0; i++) {
        int fw = 0, fh = 0;
        rc = read_chip(ctx, chips[i], w, h, &img[i], &fw, &fh);
        if (rc == 1) { /* too many bands to screen */
            free(img[i].px);
            img[i].px = NULL;
            rc = 0;
        } else if (rc == 0 && (fw != W || fh != H)) {
            rc = sw__err(ctx, SW_EMISMATCH, "%s: the site chip is %dx%d, the site's grid %dx%d", chips[i], fw, fh, W, H);
        }
    }
    size_t npix = (size_t)w * h;
    ref = malloc(npix * SW__MAXB * sizeof *ref);
    ref_valid = malloc(npix);
    out = malloc(npix);
    uint8_t *um = malloc(npix);
    int64_t *nvalid = calloc((size_t)n, sizeof *nvalid), *nudm = calloc((size_t)n, sizeof *nudm);
    uint8_t **udm_px = calloc((size_t)n, sizeof *udm_px);
    if (rc == 0 && (!ref || !ref_valid || !out || !um || !nvalid || !nudm || !udm_px))
        rc = sw__err(ctx, SW_ENOMEM, "out of memory screening clouds");
    /* Each chip's own mask: out of the medians, into its verdict. */
    for (int i = 0; i < n && rc == 0; i++) {
        for (size_t p = 0; img[i].valid && p < npix; p++)
            nvalid[i] += img[i].valid[p] != 0;
        if (!udm || !udm[i] || !img[i].valid)
            continue;
        if (read_udm(udm[i], w, h, um) != 0) {
            rc = sw__err(ctx, SW_EIO, "%s: cannot read the scene's mask", udm[i]);
            break;
        }
        udm_px[i] = malloc(npix);
        if (!udm_px[i]) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory screening clouds");
            break;
        }
        for (size_t p = 0; p < npix; p++) {
            udm_px[i][p] = um[p] && img[i].valid[p];
            nudm[i] += udm_px[i][p];
            if (um[p])
                img[i].valid[p] = 0;
        }
    }
    for (int i = 0; i < n && rc == 0; i++) {
        if (!img[i].px)
            continue;
        /* The reference: the median of the nearest scenes in time (chips
         * come in date order) with the same bands. */
        int m = 0;
        for (int d = 1; m < NEAREST && (i - d >= 0 || i + d < n); d++) {
            int js[2] = {i - d, i + d};
            for (int t = 0; t < 2 && m < NEAREST; t++) {
                int j = js[t];
                if (j >= 0 && j < n && img[j].px && img[j].nb == img[i].nb) {
                    pimg[m] = img[j].px;
                    pval[m] = img[j].valid;
                    m++;
                }
            }
        }
        if (m == 0 && !udm_px[i])
            continue;
        if (m == 0) { /* nothing to compare with: the scene's own mask alone */
            fraction[i] = nvalid[i] ? (double)nudm[i] / (double)nvalid[i] : 0.0;
            if (nudm[i])
                rc = write_mask(ctx, masks[i], udm_px[i], w, h, sgt, wkt);
            continue;
        }
        if (sw__median_composite(pimg, pval, m, -1, (int64_t)npix, img[i].nb, ref, ref_valid) != 0) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory screening clouds");
            break;
        }
        /* The next scene of another day, to tell clouds (gone by then)
         * from new white roofs (still there). */
        int later = -1;
        for (int j = i + 1; j < n && later < 0; j++)
            if (img[j].px && img[j].nb == img[i].nb && strcmp(dates[j], dates[i]) != 0)
                later = j;
        int64_t nc = 0, ns = 0, nv = 0;
        if (sw__cloud_screen(img[i].px, img[i].valid, ref, ref_valid, later >= 0 ? img[later].px : NULL,
                             later >= 0 ? img[later].valid : NULL, w, h, img[i].nb, &img[i].bm, pixel_m, out, &nc,
                             &ns) != 0) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory screening clouds");
            break;
        }
        nv = nvalid[i];
        if (udm_px[i])
            for (size_t p = 0; p < npix; p++)
                out[p] |= udm_px[i][p];
        if (nc + ns + nudm[i] > 0) {
            fraction[i] = nv ? (double)(nc + ns + nudm[i]) / (double)nv : 0.0;
            rc = write_mask(ctx, masks[i], out, w, h, sgt, wkt);
        }
    }
    for (int i = 0; udm_px && i < n; i++)
        free(udm_px[i]);
    free(udm_px);
    free(um);
    free(nvalid);
    free(nudm);
done:
    for (int i = 0; img && i < n; i++) {
        free(img[i].px);
        free(img[i].valid);
    }
    free(img);
    free(pimg);
    free(pval);
    free(ref);
    free(ref_valid);
    free(out);
    CPLFree(wkt);
    return rc;
}

/* 1 where a raster's first band has no data at map point (x, y) or lies
 * outside it; with nonzero, also where its value is not 0. */
static void probe(const char *path, int nonzero, const double *x, const double *y, int n, uint8_t *out)
{
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    sw__gdal_pop();
    if (!ds)
        return;
    double gt[6];
    GDALGetGeoTransform(ds, gt);
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
    GDALRasterBandH b = GDALGetRasterBand(ds, 1), m = GDALGetMaskBand(b);
    for (int i = 0; i < n; i++) {
        int c = (int)floor((x[i] - gt[0]) / gt[1]), r = (int)floor((y[i] - gt[3]) / gt[5]);
        if (c < 0 || r < 0 || c >= w || r >= h) {
            out[i] |= !nonzero; /* outside a mask is clear; outside a chip is unseen */
            continue;
        }
        uint8_t v = 0, ok = 0;
        sw__gdal_push(&e);
        if (GDALRasterIO(m, GF_Read, c, r, 1, 1, &ok, 1, 1, GDT_Byte, 0, 0) == CE_None && !ok)
            out[i] = 1;
        else if (nonzero && GDALRasterIO(b, GF_Read, c, r, 1, 1, &v, 1, 1, GDT_Byte, 0, 0) == CE_None && v)
            out[i] = 1;
        sw__gdal_pop();
    }
    GDALClose(ds);
}

void sw__points_unseen(const char *chip, const char *mask, const double *x, const double *y, int n, uint8_t *out)
{
    if (n <= 0)
        return;
    probe(chip, 0, x, y, n, out);
    if (mask)
        probe(mask, 1, x, y, n, out);
}
