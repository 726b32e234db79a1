/*
 * footprint.c: where a scene lies on Earth, and whether it meets an area:
 * a raster's footprint as a WGS84 lon/lat polygon (its edges densified, so
 * a UTM scene's curved outline is followed), a GeoJSON geometry (a STAC
 * item's) as WKT, and the intersection test of two lon/lat geometries.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "io_int.h"

enum { EDGE_POINTS = 16 };

int sw__raster_footprint(sw_ctx *ctx, const char *path, char **wkt)
{
    *wkt = NULL;
    GDALDatasetH ds = sw__open_raster(ctx, path, NULL);
    if (!ds)
        return ctx->code;
    double gt[6];
    const char *crs = GDALGetProjectionRef(ds);
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds), rc = 0;
    if (GDALGetGeoTransform(ds, gt) != CE_None || !crs || !*crs) {
        GDALClose(ds);
        return sw__err(ctx, SW_EFORMAT, "%s: not georeferenced: where it lies is unknown", path);
    }
    sw__gdal_err e;
    sw__gdal_push(&e);
    OGRSpatialReferenceH src = OSRNewSpatialReference(crs), dst = OSRNewSpatialReference(NULL);
    OSRSetWellKnownGeogCS(dst, "WGS84");
    OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(src, dst);
    double x[4 * EDGE_POINTS + 1], y[4 * EDGE_POINTS + 1];
    int n = 0;
    /* around the edge: top, right, bottom, left */
    for (int side = 0; side < 4; side++)
        for (int k = 0; k < EDGE_POINTS; k++) {
            double t = (double)k / EDGE_POINTS, px, py;
            px = side == 0 ? t * w : side == 1 ? w : side == 2 ? (1 - t) * w : 0;
            py = side == 0 ? 0 : side == 1 ? t * h : side == 2 ? h : (1 - t) * h;
            x[n] = gt[0] + px * gt[1] + py * gt[2];
            y[n] = gt[3] + px * gt[4] + py * gt[5];
            n++;
        }
    x[n] = x[0];
    y[n] = y[0];
    n++;
    if (!ct || !OCTTransform(ct, n, x, y, NULL)) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: its corners cannot be put in longitude/latitude (%s)", path,
                     sw__gdal_msg(&e, "no transformation"));
    } else {
        size_t cap = (size_t)n * 52 + 32;
        char *s = malloc(cap);
        if (!s) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        } else {
            size_t len = (size_t)snprintf(s, cap, "POLYGON ((");
            for (int i = 0; i < n; i++)
                len += (size_t)snprintf(s + len, cap - len, "%s%.9f %.9f", i ? ", " : "", x[i], y[i]);
            snprintf(s + len, cap - len, "))");
            *wkt = s;
        }
    }
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(src);
    OSRDestroySpatialReference(dst);
    sw__gdal_pop();
    GDALClose(ds);
    return rc;
}

char *sw__geojson_to_wkt(const char *geojson)
{
    sw__gdal_err e;
    sw__gdal_push(&e);
    OGRGeometryH g = geojson ? OGR_G_CreateGeometryFromJson(geojson) : NULL;
    char *wkt = NULL, *out = NULL;
    if (g && OGR_G_ExportToWkt(g, &wkt) == OGRERR_NONE)
        out = strdup(wkt);
    CPLFree(wkt);
    if (g)
        OGR_G_DestroyGeometry(g);
    sw__gdal_pop();
    return out;
}

int sw__wkt_intersects(const char *a, const char *b)
{
    sw__gdal_err e;
    sw__gdal_push(&e);
    char *pa = (char *)a, *pb = (char *)b;
    OGRGeometryH ga = NULL, gb = NULL;
    int out = -1;
    if (a && b && OGR_G_CreateFromWkt(&pa, NULL, &ga) == OGRERR_NONE &&
        OGR_G_CreateFromWkt(&pb, NULL, &gb) == OGRERR_NONE)
        out = OGR_G_Intersects(ga, gb) ? 1 : 0;
    if (ga)
        OGR_G_DestroyGeometry(ga);
    if (gb)
        OGR_G_DestroyGeometry(gb);
    sw__gdal_pop();
    return out;
}
