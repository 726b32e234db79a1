/*
 * aoi.c: reading a site's area of interest (GeoJSON or any vector OGR
 * reads): its first feature, a polygon, or a point with a buffer in metres,
 * put in the local UTM zone (where buffers and areas are in metres) and
 * back in WGS84 longitude/latitude for the catalog.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <gdal.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "io_int.h"

/* Adds 360 to every negative longitude under g. */
static void shift_east(OGRGeometryH g)
{
    int sub = OGR_G_GetGeometryCount(g);
    for (int i = 0; i < sub; i++)
        shift_east(OGR_G_GetGeometryRef(g, i));
    for (int i = 0, n = OGR_G_GetPointCount(g); sub == 0 && i < n; i++)
        if (OGR_G_GetX(g, i) < 0)
            OGR_G_SetPoint_2D(g, i, OGR_G_GetX(g, i) + 360.0, OGR_G_GetY(g, i));
}

/* An AOI that crosses the antimeridian, written as longitudes either side
 * of it (a ring from 179.9 to -179.9, or RFC 7946's two parts split at 180),
 * spans more than half the globe as it stands: it is put on longitudes past
 * 180 (and its parts joined), so it is the small area it means. Returns the
 * geometry to use (g, or a new one that replaced it). */
static OGRGeometryH unwrap_antimeridian(OGRGeometryH g)
{
    OGREnvelope env;
    OGR_G_GetEnvelope(g, &env);
    if (env.MaxX - env.MinX <= 180.0 || env.MinX < -180.0 || env.MaxX > 180.0)
        return g;
    shift_east(g);
    if (wkbFlatten(OGR_G_GetGeometryType(g)) == wkbMultiPolygon) {
        OGRGeometryH u = OGR_G_UnionCascaded(g);
        if (u) {
            OGR_G_DestroyGeometry(g);
            return u;
        }
    }
    return g;
}

void sw__aoi_clear(sw__aoi *a)
{
    CPLFree(a->wkt);
    memset(a, 0, sizeof *a);
}

int sw__aoi_read(sw_ctx *ctx, const char *path, double buffer_m, sw__aoi *out)
{
    memset(out, 0, sizeof *out);
    sw__gdal_err e;
    sw__gdal_push(&e);
    VSIStatBufL st;
    if (VSIStatL(path, &st) != 0) {
        sw__gdal_pop();
        return sw__err(ctx, SW_EIO, "%s: AOI file not found", path);
    }
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    sw__gdal_pop();
    if (!ds)
        return sw__err(ctx, SW_EFORMAT, "%s: not a GeoJSON (or other vector) file: %s", path,
                       sw__gdal_msg(&e, "unrecognized format"));
    int rc = 0;
    OGRLayerH layer = GDALDatasetGetLayerCount(ds) > 0 ? GDALDatasetGetLayer(ds, 0) : NULL;
    OGRFeatureH f = layer ? OGR_L_GetNextFeature(layer) : NULL;
    OGRGeometryH g = f ? OGR_F_GetGeometryRef(f) : NULL;
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL), utm = NULL;
    OSRSetWellKnownGeogCS(wgs, "WGS84");
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRGeometryH work = NULL;
    if (!g) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: has no feature with a geometry", path);
        goto done;
    }
    OGRwkbGeometryType t = wkbFlatten(OGR_G_GetGeometryType(g));
    if (t != wkbPolygon && t != wkbMultiPolygon && t != wkbPoint) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: the AOI must be a polygon or a point, not a %s", path,
                     OGRGeometryTypeToName(t));
        goto done;
    }
    if (t == wkbPoint && !(buffer_m > 0.0)) {
        rc = sw__err(ctx, SW_EARG, "%s: the AOI is a point: give --buffer in metres", path);
        goto done;
    }
    if (!OGR_G_IsValid(g) || OGR_G_IsEmpty(g)) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: the AOI geometry is empty or invalid", path);
        goto done;
    }
    work = OGR_G_Clone(g);
    OGRSpatialReferenceH src = OGR_L_GetSpatialRef(layer);
    sw__gdal_push(&e);
    if (src && !OSRIsSame(src, wgs)) {
        OGRSpatialReferenceH s2 = OSRClone(src);
        OSRSetAxisMappingStrategy(s2, OAMS_TRADITIONAL_GIS_ORDER);
        OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(s2, wgs);
        if (!ct || OGR_G_Transform(work, ct) != OGRERR_NONE)
            rc = sw__err(ctx, SW_EFORMAT, "%s: cannot bring the AOI to WGS84: %s", path,
                         sw__gdal_msg(&e, "no transformation"));
        if (ct)
            OCTDestroyCoordinateTransformation(ct);
        OSRDestroySpatialReference(s2);
    }
    sw__gdal_pop();
    if (rc)
        goto done;
    work = unwrap_antimeridian(work);
    /* The local UTM zone of the centroid. */
    OGRGeometryH c = OGR_G_CreateGeometry(wkbPoint);
    OGR_G_Centroid(work, c);
    double lon = OGR_G_GetX(c, 0), lat = OGR_G_GetY(c, 0);
    OGR_G_DestroyGeometry(c);
    if (lon > 180.0)
        lon -= 360.0; /* an AOI unwrapped past the antimeridian */
    if (!(lon >= -180 && lon <= 180 && lat >= -84 && lat <= 84)) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: the AOI's centre (%g, %g) is not a longitude/latitude in UTM's range",
                     path, lon, lat);
        goto done;
    }
    int zone = (int)floor((lon + 180.0) / 6.0) + 1;
    if (zone > 60)
        zone = 60;
    out->epsg = (lat >= 0 ? 32600 : 32700) + zone;
    out->lon = lon;
    out->lat = lat;
    utm = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(utm, out->epsg);
    OSRSetAxisMappingStrategy(utm, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH to = OCTNewCoordinateTransformation(wgs, utm);
    OGRCoordinateTransformationH back = OCTNewCoordinateTransformation(utm, wgs);
    if (!to || !back || OGR_G_Transform(work, to) != OGRERR_NONE) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: cannot project the AOI to UTM zone %d", path, zone);
    } else {
        if (buffer_m > 0.0) {
            OGRGeometryH b = OGR_G_Buffer(work, buffer_m, 16);
            OGR_G_DestroyGeometry(work);
            work = b;
        }
        out->area_m2 = work ? OGR_G_Area(work) : 0.0;
        if (!(out->area_m2 > 0.0))
            rc = sw__err(ctx, SW_EFORMAT, "%s: the AOI has no area", path);
        else if (OGR_G_Transform(work, back) != OGRERR_NONE || OGR_G_ExportToWkt(work, &out->wkt) != OGRERR_NONE)
            rc = sw__err(ctx, SW_EFORMAT, "%s: cannot write the AOI back in WGS84", path);
    }
    if (to)
        OCTDestroyCoordinateTransformation(to);
    if (back)
        OCTDestroyCoordinateTransformation(back);
done:
    if (work)
        OGR_G_DestroyGeometry(work);
    if (f)
        OGR_F_Destroy(f);
    if (utm)
        OSRDestroySpatialReference(utm);
    OSRDestroySpatialReference(wgs);
    GDALClose(ds);
    if (rc)
        sw__aoi_clear(out);
    return rc;
}

/* Points between EPSG:epsg and WGS84 longitude/latitude, in place. */
static int lonlat_transform(int epsg, int to_lonlat, double *x, double *y, int n)
{
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL), other = OSRNewSpatialReference(NULL);
    OSRSetWellKnownGeogCS(wgs, "WGS84");
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(other, OAMS_TRADITIONAL_GIS_ORDER);
    int rc = -1;
    if (OSRImportFromEPSG(other, epsg) == OGRERR_NONE) {
        OGRCoordinateTransformationH t =
            to_lonlat ? OCTNewCoordinateTransformation(other, wgs) : OCTNewCoordinateTransformation(wgs, other);
        if (t && OCTTransform(t, n, x, y, NULL))
            rc = 0;
        if (t)
            OCTDestroyCoordinateTransformation(t);
    }
    OSRDestroySpatialReference(wgs);
    OSRDestroySpatialReference(other);
    return rc;
}

int sw__to_lonlat(int epsg, double *x, double *y, int n)
{
    return lonlat_transform(epsg, 1, x, y, n);
}

int sw__from_lonlat(int epsg, double *x, double *y, int n)
{
    return lonlat_transform(epsg, 0, x, y, n);
}

char *sw__epsg_wkt(int epsg)
{
    OGRSpatialReferenceH s = OSRNewSpatialReference(NULL);
    char *wkt = NULL, *out = NULL;
    if (OSRImportFromEPSG(s, epsg) == OGRERR_NONE && OSRExportToWkt(s, &wkt) == OGRERR_NONE && wkt)
        out = strdup(wkt);
    CPLFree(wkt);
    OSRDestroySpatialReference(s);
    return out;
}
