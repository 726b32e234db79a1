/*
 * gdal_common.c: GDAL set-up, error capture, grids and pixel areas.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "io_int.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void io_init_once(void)
{
    GDALAllRegister();
    /* Never let GDAL print: sitewatch reports errors itself. */
    CPLSetErrorHandler(CPLQuietErrorHandler);
}

void sw__io_init(int64_t cache_bytes)
{
    static atomic_int cache_set;
    pthread_once(&init_once, io_init_once);
    /* Process-wide: the first size asked for stays, so that two runs in one
     * process do not resize the cache under each other. */
    if (cache_bytes > 0 && atomic_exchange(&cache_set, 1) == 0)
        GDALSetCacheMax64(cache_bytes);
}

static void CPL_STDCALL capture_handler(CPLErr cls, CPLErrorNum no, const char *msg)
{
    (void)no;
    sw__gdal_err *e = CPLGetErrorHandlerUserData();
    if (e && cls >= CE_Failure && !e->had && msg) {
        e->had = 1;
        snprintf(e->msg, sizeof e->msg, "%s", msg);
    }
}

void sw__gdal_push(sw__gdal_err *e)
{
    sw__io_init(0);
    e->had = 0;
    e->msg[0] = '\0';
    CPLPushErrorHandlerEx(capture_handler, e);
}

void sw__gdal_pop(void)
{
    CPLPopErrorHandler();
}

const char *sw__gdal_msg(const sw__gdal_err *e, const char *fallback)
{
    return e->had ? e->msg : fallback;
}

const char *sw__gdal_version(void)
{
    return GDALVersionInfo("RELEASE_NAME");
}

void sw__io_delete(const char *path)
{
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALDriverH drv = GDALIdentifyDriver(path, NULL);
    if (!drv || GDALDeleteDataset(drv, path) != CE_None)
        VSIUnlink(path);
    sw__gdal_pop();
}

void sw__grid_clear(sw__grid *g)
{
    free(g->wkt);
    memset(g, 0, sizeof *g);
}

int sw__grid_copy(sw__grid *dst, const sw__grid *src)
{
    *dst = *src;
    dst->wkt = NULL;
    if (src->wkt && !(dst->wkt = strdup(src->wkt)))
        return -1;
    return 0;
}

/* WGS84 radii of curvature at latitude phi (radians). */
static void ellipsoid_radii(double phi, double *meridional, double *normal)
{
    const double a = 6378137.0, f = 1.0 / 298.257223563, e2 = f * (2.0 - f);
    double s = sin(phi), w = 1.0 - e2 * s * s;
    *normal = a / sqrt(w);
    *meridional = a * (1.0 - e2) / (w * sqrt(w));
}

double sw__grid_pixel_area(const sw__grid *g, double y)
{
    if (!g->georef)
        return 1.0;
    if (!g->geographic)
        return g->pixel_w_m * g->pixel_h_m;
    double lat = g->gt[3] + (y + 0.5) * g->gt[5];
    double phi = lat * M_PI / 180.0, m, n;
    ellipsoid_radii(phi, &m, &n);
    double dx = fabs(g->gt[1]) * M_PI / 180.0 * n * cos(phi);
    double dy = fabs(g->gt[5]) * M_PI / 180.0 * m;
    return dx * dy;
}

int sw__grid_from_dataset(sw_ctx *ctx, GDALDatasetH ds, const char *name, sw__grid *g)
{
    memset(g, 0, sizeof *g);
    g->width = GDALGetRasterXSize(ds);
    g->height = GDALGetRasterYSize(ds);
    g->gt[0] = 0; g->gt[1] = 1; g->gt[2] = 0;
    g->gt[3] = 0; g->gt[4] = 0; g->gt[5] = 1;
    g->pixel_w_m = g->pixel_h_m = 1.0;
    double gt[6];
    const char *wkt = GDALGetProjectionRef(ds);
    if (GDALGetGeoTransform(ds, gt) != CE_None || !wkt || !*wkt)
        return 0;
    if (gt[2] != 0.0 || gt[4] != 0.0)
        return sw__err(ctx, SW_EFORMAT, "%s: rotated or sheared geotransforms are not supported", name);
    for (int i = 0; i < 6; i++)
        if (!isfinite(gt[i]))
            return sw__err(ctx, SW_EFORMAT, "%s: its geotransform holds a value that is not a number", name);

    OGRSpatialReferenceH srs = OSRNewSpatialReference(wkt);
    if (!srs)
        return sw__err(ctx, SW_EFORMAT, "%s: unreadable coordinate reference system", name);
    memcpy(g->gt, gt, sizeof gt);
    g->georef = 1;
    g->wkt = strdup(wkt);
    g->geographic = OSRIsGeographic(srs);
    if (g->geographic) {
        double lat = gt[3] + 0.5 * (double)g->height * gt[5], m, n;
        double phi = lat * M_PI / 180.0;
        ellipsoid_radii(phi, &m, &n);
        g->pixel_w_m = fabs(gt[1]) * M_PI / 180.0 * n * cos(phi);
        g->pixel_h_m = fabs(gt[5]) * M_PI / 180.0 * m;
    } else {
        double u = OSRGetLinearUnits(srs, NULL);
        g->pixel_w_m = fabs(gt[1]) * u;
        g->pixel_h_m = fabs(gt[5]) * u;
    }
    OSRDestroySpatialReference(srs);
    if (!g->wkt)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    /* a tenth of a millimetre: finer is no sensor's, and areas underflow */
    if (!(g->pixel_w_m >= 1e-4 && g->pixel_h_m >= 1e-4 && isfinite(g->pixel_w_m * g->pixel_h_m))) {
        int rc = sw__err(ctx, SW_EFORMAT, "%s: its geotransform gives pixels of %g x %g m, no sensor's size", name,
                         g->pixel_w_m, g->pixel_h_m);
        sw__grid_clear(g);
        return rc;
    }
    return 0;
}

void sw_config_set(const char *key, const char *value)
{
    sw__io_init(0);
    CPLSetConfigOption(key, value);
}
