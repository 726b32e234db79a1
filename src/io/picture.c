/*
 * picture.c: pictures of a site's chips for reports: the grid of a chip,
 * a contrast stretch from its whole extent, and any window of it as an
 * 8-bit RGB PNG (in memory, for embedding).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <cpl_vsi.h>
#include <gdal.h>

#include "../screen/screen.h"
#include "io_int.h"

int sw__chip_grid(sw_ctx *ctx, const char *path, double gt[6], int *w, int *h, char **wkt)
{
    GDALDatasetH ds = sw__open_raster(ctx, path, "site chip");
    if (!ds)
        return ctx->code;
    GDALGetGeoTransform(ds, gt);
    *w = GDALGetRasterXSize(ds);
    *h = GDALGetRasterYSize(ds);
    if (wkt)
        *wkt = CPLStrdup(GDALGetProjectionRef(ds));
    GDALClose(ds);
    return 0;
}

static int cmp_f(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* Reads RGB of the window (x, y, w, h) averaged to (ow, oh); valid per pixel. */
static int read_rgb(sw_ctx *ctx, GDALDatasetH ds, const char *path, int x, int y, int w, int h, int ow, int oh,
                    float *rgb, uint8_t *valid)
{
    int nb = GDALGetRasterCount(ds);
    sw__bandmap bm;
    sw__band_roles(ds, nb, &bm);
    int bands[3];
    for (int k = 0; k < 3; k++)
        bands[k] = (bm.rgb[k] >= 0 ? bm.rgb[k] : (nb >= 3 ? k : 0)) + 1;
    GDALRasterIOExtraArg ex;
    INIT_RASTERIO_EXTRA_ARG(ex);
    ex.eResampleAlg = GRIORA_Average;
    sw__gdal_err e;
    sw__gdal_push(&e);
    CPLErr err = GDALDatasetRasterIOEx(ds, GF_Read, x, y, w, h, rgb, ow, oh, GDT_Float32, 3, bands, 12,
                                       (GSpacing)12 * ow, 4, &ex);
    ex.eResampleAlg = GRIORA_NearestNeighbour;
    if (err == CE_None)
        err = GDALRasterIOEx(GDALGetMaskBand(GDALGetRasterBand(ds, 1)), GF_Read, x, y, w, h, valid, ow, oh,
                             GDT_Byte, 0, 0, &ex);
    sw__gdal_pop();
    if (err != CE_None)
        return sw__err(ctx, SW_EIO, "%s: cannot read: %s", path, sw__gdal_msg(&e, "unknown error"));
    return 0;
}

int sw__chip_stretch(sw_ctx *ctx, const char *path, double lo[3], double hi[3])
{
    GDALDatasetH ds = sw__open_raster(ctx, path, "site chip");
    if (!ds)
        return ctx->code;
    int W = GDALGetRasterXSize(ds), H = GDALGetRasterYSize(ds);
    double f = fmax(1.0, fmax(W, H) / 256.0);
    int w = (int)ceil(W / f), h = (int)ceil(H / f);
    float *rgb = malloc((size_t)w * h * 3 * sizeof *rgb), *v = malloc((size_t)w * h * 3 * sizeof *v);
    uint8_t *valid = malloc((size_t)w * h);
    int rc = rgb && v && valid ? read_rgb(ctx, ds, path, 0, 0, W, H, w, h, rgb, valid)
                               : sw__err(ctx, SW_ENOMEM, "out of memory");
    /* One stretch for the three bands, so colours stay true. */
    size_t m = 0;
    for (size_t p = 0; rc == 0 && p < (size_t)w * h; p++)
        if (valid[p])
            for (int k = 0; k < 3; k++)
                v[m++] = rgb[p * 3 + k];
    if (rc == 0) {
        qsort(v, m, sizeof *v, cmp_f);
        double l = m ? v[(size_t)(0.01 * (double)(m - 1))] : 0.0, u = m ? v[(size_t)(0.995 * (double)(m - 1))] : 1.0;
        for (int k = 0; k < 3; k++) {
            lo[k] = l;
            hi[k] = u > l ? u : l + 1.0;
        }
    }
    free(rgb);
    free(v);
    free(valid);
    GDALClose(ds);
    return rc;
}

int sw__chip_png(sw_ctx *ctx, const char *path, int x, int y, int w, int h, int max_side, const double lo[3],
                 const double hi[3], char **b64, int *ow, int *oh)
{
    *b64 = NULL;
    GDALDatasetH ds = sw__open_raster(ctx, path, "site chip");
    if (!ds)
        return ctx->code;
    int W = GDALGetRasterXSize(ds), H = GDALGetRasterYSize(ds);
    if (x < 0 || y < 0 || w < 1 || h < 1 || x + w > W || y + h > H) {
        GDALClose(ds);
        return sw__err(ctx, SW_EARG, "%s: window %d,%d %dx%d outside the chip", path, x, y, w, h);
    }
    double f = fmax(1.0, fmax(w, h) / (double)max_side);
    *ow = (int)ceil(w / f);
    *oh = (int)ceil(h / f);
    size_t n = (size_t)*ow * *oh;
    float *rgb = malloc(n * 3 * sizeof *rgb);
    uint8_t *valid = malloc(n), *px = malloc(n * 3);
    int rc = rgb && valid && px ? read_rgb(ctx, ds, path, x, y, w, h, *ow, *oh, rgb, valid)
                                : sw__err(ctx, SW_ENOMEM, "out of memory");
    GDALClose(ds);
    if (rc == 0) {
        for (size_t p = 0; p < n; p++)
            for (int k = 0; k < 3; k++) {
                double t = valid[p] ? (rgb[p * 3 + k] - lo[k]) / (hi[k] - lo[k]) : 0.0;
                t = t < 0 ? 0 : t > 1 ? 1 : t;
                px[p * 3 + k] = (uint8_t)(255.0 * pow(t, 1 / 1.4) + 0.5); /* a little gamma for the eye */
            }
        char name[64];
        snprintf(name, sizeof name, "/vsimem/sitewatch/picture_%p.png", (void *)px);
        sw__gdal_err e;
        sw__gdal_push(&e);
        GDALDatasetH mem = GDALCreate(GDALGetDriverByName("MEM"), "", *ow, *oh, 3, GDT_Byte, NULL);
        GDALDatasetH png = NULL;
        if (mem && GDALDatasetRasterIO(mem, GF_Write, 0, 0, *ow, *oh, px, *ow, *oh, GDT_Byte, 3, NULL, 3,
                                       (GSpacing)3 * *ow, 1) == CE_None)
            png = GDALCreateCopy(GDALGetDriverByName("PNG"), name, mem, FALSE, NULL, NULL, NULL);
        if (png)
            GDALClose(png);
        if (mem)
            GDALClose(mem);
        sw__gdal_pop();
        vsi_l_offset len = 0;
        GByte *data = png ? VSIGetMemFileBuffer(name, &len, FALSE) : NULL;
        if (data) {
            *b64 = sw__base64(data, (size_t)len);
            if (!*b64)
                rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        } else {
            rc = sw__err(ctx, SW_EIO, "%s: cannot make a picture: %s", path, sw__gdal_msg(&e, "unknown error"));
        }
        VSIUnlink(name);
    }
    free(rgb);
    free(valid);
    free(px);
    return rc;
}
