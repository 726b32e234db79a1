/*
 * vector.c: change objects as polygons. GDALPolygonize traces the object-id
 * raster (8-connected, the same connectivity as the labelling, so each
 * object is one feature); the features go to a GeoPackage in the native CRS
 * and to RFC 7946 GeoJSON in WGS84, one per object with its attributes.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_string.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <gdal_vrt.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "io_int.h"

static const struct {
    const char *name;
    OGRFieldType type;
} fields[] = {
    {"id", OFTInteger64},       {"area_m2", OFTReal},      {"pixels", OFTInteger64},
    {"score_mean", OFTReal},    {"score_max", OFTReal},    {"centroid_lon", OFTReal},
    {"centroid_lat", OFTReal},  {"centroid_x", OFTReal},   {"centroid_y", OFTReal},
    {"area_subpixel_m2", OFTReal},
};
enum { NFIELDS = sizeof fields / sizeof fields[0] };

static OGRLayerH make_layer(GDALDatasetH ds, OGRSpatialReferenceH srs, char **opts)
{
    OGRLayerH l = GDALDatasetCreateLayer(ds, "changes", srs, wkbMultiPolygon, opts);
    for (int i = 0; l && i < NFIELDS; i++) {
        OGRFieldDefnH f = OGR_Fld_Create(fields[i].name, fields[i].type);
        if (OGR_L_CreateField(l, f, TRUE) != OGRERR_NONE)
            l = NULL;
        OGR_Fld_Destroy(f);
    }
    return l;
}

/* The attributes of one object; its centroid in the layer's CRS (the
 * grid's; pixels without georeferencing) and in WGS84. */
static void set_fields(OGRFeatureH f, const sw__vobject *o, const double gt[6])
{
    OGR_F_SetFieldInteger64(f, 0, o->id);
    OGR_F_SetFieldDouble(f, 1, o->area_m2);
    OGR_F_SetFieldInteger64(f, 2, o->npix);
    OGR_F_SetFieldDouble(f, 3, o->score_mean);
    OGR_F_SetFieldDouble(f, 4, o->score_max);
    if (!isnan(o->lon)) {
        OGR_F_SetFieldDouble(f, 5, o->lon);
        OGR_F_SetFieldDouble(f, 6, o->lat);
    } else {
        OGR_F_SetFieldNull(f, 5);
        OGR_F_SetFieldNull(f, 6);
    }
    OGR_F_SetFieldDouble(f, 7, gt[0] + o->cx * gt[1] + o->cy * gt[2]);
    OGR_F_SetFieldDouble(f, 8, gt[3] + o->cx * gt[4] + o->cy * gt[5]);
    OGR_F_SetFieldDouble(f, 9, o->area_subpixel_m2);
}

/* The grid's CRS in x, y order (NULL without georeferencing). */
static OGRSpatialReferenceH grid_srs(const sw__grid *g)
{
    OGRSpatialReferenceH srs = g->wkt ? OSRNewSpatialReference(g->wkt) : NULL;
    if (srs)
        OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    return srs;
}

/* Frees geoms[0..nobj] and the array (NULL: nothing). */
static void geoms_free(OGRGeometryH *geoms, int64_t nobj)
{
    for (int64_t i = 0; geoms && i <= nobj; i++)
        if (geoms[i])
            OGR_G_DestroyGeometry(geoms[i]);
    free(geoms);
}

/* ---- tracing only where the objects are ---- */

typedef struct win {
    int64_t x0, y0, x1, y1; /* inclusive */
} win;

enum { WIN_CELL = 64 };

static int64_t root_of(int64_t *parent, int64_t i)
{
    while (parent[i] != i)
        i = parent[i] = parent[parent[i]];
    return i;
}

/* Windows over the objects' bounding boxes that share no pixel: boxes that
 * share a cell of WIN_CELL pixels are merged, then the merged boxes again,
 * until none do. A window then holds whole objects and no part of any
 * other, so tracing it alone gives those objects' outlines as tracing the
 * whole raster would. Sparse change is traced over a fraction of the
 * pixels; change everywhere ends as one window, the whole raster. Returns
 * the count (-1: out of memory); *out is malloc'd. */
static int64_t windows(const sw__vobject *objs, int64_t nobj, int64_t W, int64_t H, win **out)
{
    int64_t cw = (W + WIN_CELL - 1) / WIN_CELL, ch = (H + WIN_CELL - 1) / WIN_CELL, n = 0;
    win *b = malloc(((size_t)nobj + 1) * sizeof *b);
    int64_t *owner = malloc((size_t)(cw * ch) * sizeof *owner);
    int64_t *parent = malloc(((size_t)nobj + 1) * sizeof *parent);
    if (!b || !owner || !parent) {
        free(b);
        free(owner);
        free(parent);
        return -1;
    }
    for (int64_t i = 0; i < nobj; i++)
        if (objs[i].xmax >= objs[i].xmin && objs[i].ymax >= objs[i].ymin)
            b[n++] = (win){objs[i].xmin, objs[i].ymin, objs[i].xmax, objs[i].ymax};
    for (;;) {
        for (int64_t c = 0; c < cw * ch; c++)
            owner[c] = -1;
        for (int64_t i = 0; i < n; i++) {
            parent[i] = i;
            for (int64_t cy = b[i].y0 / WIN_CELL; cy <= b[i].y1 / WIN_CELL; cy++)
                for (int64_t cx = b[i].x0 / WIN_CELL; cx <= b[i].x1 / WIN_CELL; cx++) {
                    int64_t *o = &owner[cy * cw + cx];
                    if (*o < 0) {
                        *o = i;
                        continue;
                    }
                    int64_t ri = root_of(parent, i), ro = root_of(parent, *o);
                    if (ri != ro) /* the smaller index is the root */
                        parent[ri > ro ? ri : ro] = ri < ro ? ri : ro;
                }
        }
        /* A set's root is its first member: the merged boxes are gathered
         * in place, in order. */
        int64_t m = 0;
        for (int64_t i = 0; i < n; i++)
            parent[i] = root_of(parent, i);
        for (int64_t i = 0; i < n; i++) {
            int64_t r = parent[i];
            if (r == i) {
                parent[i] = -1 - m; /* a root now names its merged box */
                b[m++] = b[i];
                continue;
            }
            win *t = &b[-1 - parent[r]];
            if (b[i].x0 < t->x0) t->x0 = b[i].x0;
            if (b[i].y0 < t->y0) t->y0 = b[i].y0;
            if (b[i].x1 > t->x1) t->x1 = b[i].x1;
            if (b[i].y1 > t->y1) t->y1 = b[i].y1;
        }
        if (m == n)
            break;
        n = m;
    }
    free(owner);
    free(parent);
    *out = b;
    return n;
}

enum { WIN_READ_MAX = 1 << 22 }; /* pixels: larger windows are traced through a VRT of the file */

/* A window of the object ids as a dataset of its own, in pixel
 * coordinates of the whole raster (exact integers): a view of the ids in
 * memory (ids, W wide), or of the file's band (band), read in one go into
 * *buf (free it after the dataset) or, a large window, through a VRT. */
static GDALDatasetH window_ds(GDALRasterBandH band, const uint32_t *ids, int64_t W, const win *w, uint32_t **buf)
{
    int ww = (int)(w->x1 - w->x0 + 1), wh = (int)(w->y1 - w->y0 + 1);
    GDALDatasetH ds = NULL;
    win whole = {0, 0, ww - 1, wh - 1};
    *buf = NULL;
    if (!ids && (int64_t)ww * wh <= WIN_READ_MAX) {
        if (!(*buf = malloc((size_t)ww * (size_t)wh * sizeof **buf)))
            return NULL;
        if (GDALRasterIO(band, GF_Read, (int)w->x0, (int)w->y0, ww, wh, *buf, ww, wh, GDT_UInt32, 0, 0) != CE_None)
            return NULL;
        ids = *buf;
        W = ww;
        w = &whole;
    }
    if (ids) {
        ds = GDALCreate(GDALGetDriverByName("MEM"), "", ww, wh, 0, GDT_UInt32, NULL);
        char ptr[64], line[64];
        snprintf(ptr, sizeof ptr, "DATAPOINTER=%p", (void *)(ids + w->y0 * W + w->x0));
        snprintf(line, sizeof line, "LINEOFFSET=%lld", (long long)(W * (int64_t)sizeof *ids));
        char *opts[] = {ptr, "PIXELOFFSET=4", line, NULL};
        if (ds && GDALAddBand(ds, GDT_UInt32, opts) != CE_None) {
            GDALClose(ds);
            ds = NULL;
        }
    } else {
        ds = VRTCreate(ww, wh);
        if (ds && (VRTAddBand(ds, GDT_UInt32, NULL) != CE_None ||
                   VRTAddSimpleSource(GDALGetRasterBand(ds, 1), band, (int)w->x0, (int)w->y0, ww, wh, 0, 0, ww, wh,
                                      "near", VRT_NODATA_UNSET) != CE_None)) {
            GDALClose(ds);
            ds = NULL;
        }
    }
    return ds;
}

/* Pixel coordinates to the grid's, as GDALPolygonize computes them. */
static void to_grid(OGRGeometryH geom, const double gt[6])
{
    int n = OGR_G_GetGeometryCount(geom);
    for (int i = 0; i < n; i++)
        to_grid(OGR_G_GetGeometryRef(geom, i), gt);
    int np = n ? 0 : OGR_G_GetPointCount(geom);
    for (int i = 0; i < np; i++) {
        double x = OGR_G_GetX(geom, i), y = OGR_G_GetY(geom, i);
        OGR_G_SetPoint_2D(geom, i, gt[0] + x * gt[1] + y * gt[2], gt[3] + x * gt[4] + y * gt[5]);
    }
}

/* Traces the objects objs[0..nobj) into geoms[id] (one multipolygon per
 * id, 1..nobj), window by window (windows()), from the file's band or the
 * ids in memory, through a layer of the memory dataset mem. GDAL's errors
 * are pushed by the caller. */
static int trace(sw_ctx *ctx, GDALRasterBandH band, const uint32_t *ids, const sw__grid *g, const sw__vobject *objs,
                 int64_t nobj, GDALDatasetH mem, OGRSpatialReferenceH srs, OGRGeometryH *geoms, const char *what)
{
    OGRLayerH lmem = GDALDatasetCreateLayer(mem, "poly", srs, wkbPolygon, NULL);
    if (!lmem)
        return sw__err(ctx, SW_ENOMEM, "out of memory tracing %s", what);
    OGRFieldDefnH fid = OGR_Fld_Create("id", OFTInteger);
    OGR_L_CreateField(lmem, fid, TRUE);
    OGR_Fld_Destroy(fid);
    win *wins = NULL;
    int64_t nw = windows(objs, nobj, g->width, g->height, &wins);
    if (nw < 0)
        return sw__err(ctx, SW_ENOMEM, "out of memory tracing %s", what);
    char *popts[] = {"8CONNECTED=8", NULL};
    int rc = 0;
    for (int64_t i = 0; i < nw && rc == 0; i++) {
        uint32_t *buf;
        GDALDatasetH ds = window_ds(band, ids, g->width, &wins[i], &buf);
        GDALRasterBandH wb = ds ? GDALGetRasterBand(ds, 1) : NULL;
        double gt[6] = {(double)wins[i].x0, 1.0, 0.0, (double)wins[i].y0, 0.0, 1.0};
        if (!ds)
            rc = sw__err(ctx, SW_EIO, "%s: cannot read a window: %s", what, CPLGetLastErrorMsg());
        else if (GDALSetGeoTransform(ds, gt) != CE_None || GDALPolygonize(wb, wb, lmem, 0, popts, NULL, NULL) != CE_None)
            rc = sw__err(ctx, SW_EIO, "%s: polygonizing failed", what);
        if (ds)
            GDALClose(ds);
        free(buf);
    }
    free(wins);
    if (rc)
        return rc;
    /* Gather the polygons of each object (several when parts touch only at
     * a corner in GDAL's tracing). */
    OGR_L_ResetReading(lmem);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(lmem))) {
        int64_t id = OGR_F_GetFieldAsInteger64(f, 0);
        OGRGeometryH poly = OGR_F_GetGeometryRef(f);
        if (id >= 1 && id <= nobj && poly) {
            to_grid(poly, g->gt);
            if (!geoms[id])
                geoms[id] = OGR_G_CreateGeometry(wkbMultiPolygon);
            OGR_G_AddGeometry(geoms[id], poly);
        }
        OGR_F_Destroy(f);
    }
    return 0;
}

int sw__polygons_wkt(sw_ctx *ctx, const uint32_t *ids, const sw__grid *g, const sw__vobject *objs, int64_t nobj,
                     char **wkt)
{
    int rc = 0;
    sw__gdal_err e;
    sw__gdal_push(&e);
    OGRSpatialReferenceH srs = grid_srs(g);
    GDALDatasetH mem = GDALCreate(GDALGetDriverByName("Memory"), "", 0, 0, 0, GDT_Unknown, NULL);
    OGRGeometryH *geoms = calloc((size_t)nobj + 1, sizeof *geoms);
    if (!mem || !geoms) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory tracing change objects: %s", sw__gdal_msg(&e, "no memory"));
        goto done;
    }
    if ((rc = trace(ctx, NULL, ids, g, objs, nobj, mem, srs, geoms, "change objects")) != 0)
        goto done;
    for (int64_t i = 1; i <= nobj && rc == 0; i++) {
        char *w = NULL;
        if (geoms[i] && OGR_G_ExportToWkt(geoms[i], &w) == OGRERR_NONE) {
            wkt[i - 1] = strdup(w);
            if (!wkt[i - 1])
                rc = sw__err(ctx, SW_ENOMEM, "out of memory tracing change objects");
        }
        CPLFree(w);
    }
done:
    geoms_free(geoms, nobj);
    if (mem)
        GDALClose(mem);
    if (srs)
        OSRDestroySpatialReference(srs);
    sw__gdal_pop();
    return rc;
}

int sw__vectors_write(sw_ctx *ctx, const char *ids_path, const sw__grid *g,
                      const sw__vobject *objs, int64_t nobj, const char *gpkg_path,
                      const char *geojson_path)
{
    int rc = 0;
    sw__gdal_err e;
    sw__gdal_push(&e);
    OGRSpatialReferenceH srs = grid_srs(g);
    GDALDatasetH ids = GDALOpen(ids_path, GA_ReadOnly);
    GDALDatasetH mem = GDALCreate(GDALGetDriverByName("Memory"), "", 0, 0, 0, GDT_Unknown, NULL);
    GDALDatasetH gpkg = GDALCreate(GDALGetDriverByName("GPKG"), gpkg_path, 0, 0, 0, GDT_Unknown, NULL);
    char **jopts = NULL;
    if (g->georef)
        jopts = CSLSetNameValue(jopts, "RFC7946", "YES");
    GDALDatasetH json = GDALCreate(GDALGetDriverByName("GeoJSON"), geojson_path, 0, 0, 0,
                                   GDT_Unknown, NULL);
    OGRGeometryH *geoms = calloc((size_t)nobj + 1, sizeof *geoms);
    OGRLayerH lg = NULL, lj = NULL;
    if (!ids || !mem || !gpkg || !json || !geoms) {
        rc = sw__err(ctx, SW_EIO, "%s: cannot create vectors: %s", gpkg && json ? ids_path : gpkg_path,
                     sw__gdal_msg(&e, "out of memory"));
        goto done;
    }
    if ((rc = trace(ctx, GDALGetRasterBand(ids, 1), NULL, g, objs, nobj, mem, srs, geoms, ids_path)) != 0)
        goto done;
    lg = make_layer(gpkg, srs, NULL);
    lj = make_layer(json, srs, jopts);
    if (!lg || !lj) {
        rc = sw__err(ctx, SW_EIO, "%s: cannot create layer: %s", gpkg_path, sw__gdal_msg(&e, "unknown error"));
        goto done;
    }
    if (OGR_L_StartTransaction(lg) != OGRERR_NONE) {
        rc = sw__err(ctx, SW_EIO, "%s: cannot start a transaction: %s", gpkg_path, sw__gdal_msg(&e, "unknown error"));
        goto done;
    }
    for (int64_t i = 0; i < nobj && rc == 0; i++) {
        const sw__vobject *o = &objs[i];
        if (!geoms[o->id])
            continue;
        OGRLayerH layers[2] = {lg, lj};
        for (int k = 0; k < 2 && rc == 0; k++) {
            OGRFeatureH nf = OGR_F_Create(OGR_L_GetLayerDefn(layers[k]));
            set_fields(nf, o, g->gt);
            OGR_F_SetGeometry(nf, geoms[o->id]);
            if (OGR_L_CreateFeature(layers[k], nf) != OGRERR_NONE)
                rc = sw__err(ctx, SW_EIO, "%s: cannot write feature: %s", k ? geojson_path : gpkg_path,
                             sw__gdal_msg(&e, "unknown error"));
            OGR_F_Destroy(nf);
        }
    }
    if (OGR_L_CommitTransaction(lg) != OGRERR_NONE && rc == 0)
        rc = sw__err(ctx, SW_EIO, "%s: cannot commit: %s", gpkg_path, sw__gdal_msg(&e, "unknown error"));
done:
    geoms_free(geoms, nobj);
    if (json)
        GDALClose(json);
    if (gpkg)
        GDALClose(gpkg);
    if (mem)
        GDALClose(mem);
    if (ids)
        GDALClose(ids);
    if (srs)
        OSRDestroySpatialReference(srs);
    CSLDestroy(jopts);
    if (rc == 0 && e.had)
        rc = sw__err(ctx, SW_EIO, "%s: %s", gpkg_path, e.msg);
    sw__gdal_pop();
    return rc;
}

int sw__vectors_read(sw_ctx *ctx, const char *path, int (*fn)(void *user, const char *wkt, double area_m2, double score),
                     void *user)
{
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR | GDAL_OF_READONLY, NULL, NULL, NULL);
    sw__gdal_pop();
    if (!ds)
        return sw__err(ctx, SW_EIO, "%s: cannot open: %s", path, sw__gdal_msg(&e, "unknown error"));
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    int rc = 0;
    OGRFeatureH f;
    OGR_L_ResetReading(l);
    int ia = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), "area_subpixel_m2");
    if (ia < 0)
        ia = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), "area_m2");
    int is = OGR_FD_GetFieldIndex(OGR_L_GetLayerDefn(l), "score_mean");
    while (rc == 0 && (f = OGR_L_GetNextFeature(l))) {
        OGRGeometryH g = OGR_F_GetGeometryRef(f);
        char *wkt = NULL;
        if (g && OGR_G_ExportToWkt(g, &wkt) == OGRERR_NONE)
            rc = fn(user, wkt, ia >= 0 ? OGR_F_GetFieldAsDouble(f, ia) : 0.0,
                    is >= 0 ? OGR_F_GetFieldAsDouble(f, is) : 0.0);
        CPLFree(wkt);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return rc;
}

/* A geometry from WKT (NULL when it cannot be read); destroy with
 * OGR_G_DestroyGeometry. Called with GDAL's errors pushed. */
static OGRGeometryH from_wkt(const char *wkt)
{
    char *p = (char *)wkt;
    OGRGeometryH g = NULL;
    if (!wkt || OGR_G_CreateFromWkt(&p, NULL, &g) != OGRERR_NONE) {
        if (g)
            OGR_G_DestroyGeometry(g);
        return NULL;
    }
    return g;
}

static void destroy(OGRGeometryH g)
{
    if (g)
        OGR_G_DestroyGeometry(g);
}

double sw__wkt_overlap(const char *a, const char *b)
{
    double out = 0.0;
    sw__gdal_err e;
    sw__gdal_push(&e);
    OGRGeometryH ga = from_wkt(a), gb = ga ? from_wkt(b) : NULL;
    if (ga && gb && OGR_G_Intersects(ga, gb)) {
        OGRGeometryH i = OGR_G_Intersection(ga, gb);
        double aa = OGR_G_Area(ga), ab = OGR_G_Area(gb), m = aa < ab ? aa : ab;
        if (i && m > 0)
            out = OGR_G_Area(i) / m;
        destroy(i);
    }
    destroy(ga);
    destroy(gb);
    sw__gdal_pop();
    return out;
}

char *sw__wkt_to_geojson(const char *wkt, int epsg, int one_polygon)
{
    char *p = (char *)wkt, *out = NULL;
    OGRGeometryH g = NULL;
    sw__gdal_err e;
    sw__gdal_push(&e);
    OGRSpatialReferenceH src = OSRNewSpatialReference(NULL), dst = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(src, epsg);
    OSRSetWellKnownGeogCS(dst, "WGS84");
    OSRSetAxisMappingStrategy(src, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(dst, OAMS_TRADITIONAL_GIS_ORDER);
    OGRCoordinateTransformationH ct = OCTNewCoordinateTransformation(src, dst);
    if (ct && OGR_G_CreateFromWkt(&p, src, &g) == OGRERR_NONE && one_polygon &&
        wkbFlatten(OGR_G_GetGeometryType(g)) != wkbPolygon) {
        /* one part stays itself; several are bounded by their hull */
        OGRGeometryH one = OGR_G_GetGeometryCount(g) == 1 ? OGR_G_Clone(OGR_G_GetGeometryRef(g, 0))
                                                          : OGR_G_ConvexHull(g);
        OGR_G_DestroyGeometry(g);
        g = one;
    }
    if (ct && g && OGR_G_Transform(g, ct) == OGRERR_NONE) {
        char **opts = CSLSetNameValue(NULL, "COORDINATE_PRECISION", "7");
        char *j = OGR_G_ExportToJsonEx(g, opts);
        CSLDestroy(opts);
        if (j) {
            out = strdup(j);
            CPLFree(j);
        }
    }
    if (g)
        OGR_G_DestroyGeometry(g);
    if (ct)
        OCTDestroyCoordinateTransformation(ct);
    OSRDestroySpatialReference(src);
    OSRDestroySpatialReference(dst);
    sw__gdal_pop();
    return out;
}

int sw__objects_write(sw_ctx *ctx, const char *path, int gpkg, int epsg, const sw__site_object *obj, int64_t n)
{
    int rc = 0;
    sw__gdal_err e;
    sw__gdal_push(&e);
    OGRSpatialReferenceH srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(srs, epsg);
    OSRSetAxisMappingStrategy(srs, OAMS_TRADITIONAL_GIS_ORDER);
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName(gpkg ? "GPKG" : "GeoJSON"), path, 0, 0, 0, GDT_Unknown, NULL);
    char **lopts = gpkg ? NULL : CSLSetNameValue(NULL, "RFC7946", "YES");
    OGRLayerH l = ds ? GDALDatasetCreateLayer(ds, "objects", srs, wkbMultiPolygon, lopts) : NULL;
    CSLDestroy(lopts);
    /* dates as dates; the centre in the site's CRS (x, y), in degrees and
     * as an MGRS reference to 1 m */
    static const struct {
        const char *name;
        OGRFieldType t;
    } f[] = {{"id", OFTInteger64},  {"status", OFTString},     {"first_seen", OFTDate},   {"last_seen", OFTDate},
             {"confirmed_at", OFTDate}, {"area_m2", OFTReal},  {"dismissed", OFTInteger}, {"centroid_x", OFTReal},
             {"centroid_y", OFTReal},   {"centroid_lon", OFTReal}, {"centroid_lat", OFTReal}, {"mgrs", OFTString}};
    for (size_t i = 0; l && i < sizeof f / sizeof f[0]; i++) {
        OGRFieldDefnH d = OGR_Fld_Create(f[i].name, f[i].t);
        if (OGR_L_CreateField(l, d, TRUE) != OGRERR_NONE)
            l = NULL;
        OGR_Fld_Destroy(d);
    }
    if (!l) {
        rc = sw__err(ctx, SW_EIO, "%s: cannot create: %s", path, sw__gdal_msg(&e, "unknown error"));
    } else {
        if (gpkg && OGR_L_StartTransaction(l) != OGRERR_NONE)
            rc = sw__err(ctx, SW_EIO, "%s: cannot start a transaction", path);
        for (int64_t i = 0; i < n && rc == 0; i++) {
            OGRFeatureH ft = OGR_F_Create(OGR_L_GetLayerDefn(l));
            OGR_F_SetFieldInteger64(ft, 0, obj[i].id);
            OGR_F_SetFieldString(ft, 1, obj[i].status);
            const char *dates[3] = {obj[i].first_seen, obj[i].last_seen, obj[i].confirmed_at};
            for (int k = 0; k < 3; k++) {
                int y, m, d;
                if (dates[k][0] && sscanf(dates[k], "%4d-%2d-%2d", &y, &m, &d) == 3)
                    OGR_F_SetFieldDateTime(ft, 2 + k, y, m, d, 0, 0, 0, 0);
                else
                    OGR_F_SetFieldNull(ft, 2 + k);
            }
            OGR_F_SetFieldDouble(ft, 5, obj[i].area_m2);
            OGR_F_SetFieldInteger(ft, 6, obj[i].dismissed);
            char *p = (char *)obj[i].wkt;
            OGRGeometryH g = NULL;
            if (p && OGR_G_CreateFromWkt(&p, srs, &g) == OGRERR_NONE) {
                OGRGeometryH c = OGR_G_CreateGeometry(wkbPoint);
                if (c && OGR_G_Centroid(g, c) == OGRERR_NONE) {
                    double x = OGR_G_GetX(c, 0), y = OGR_G_GetY(c, 0), lon = x, lat = y;
                    char mgrs[24];
                    OGR_F_SetFieldDouble(ft, 7, x);
                    OGR_F_SetFieldDouble(ft, 8, y);
                    if (sw__to_lonlat(epsg, &lon, &lat, 1) == 0) {
                        OGR_F_SetFieldDouble(ft, 9, lon);
                        OGR_F_SetFieldDouble(ft, 10, lat);
                        if (sw__mgrs(epsg % 100, lat, x, y >= 0 ? y : y + 10000000.0, 5, mgrs, sizeof mgrs) == 0)
                            OGR_F_SetFieldString(ft, 11, mgrs);
                    }
                }
                if (c)
                    OGR_G_DestroyGeometry(c);
                OGR_F_SetGeometryDirectly(ft, OGR_G_ForceToMultiPolygon(g));
            }
            if (OGR_L_CreateFeature(l, ft) != OGRERR_NONE)
                rc = sw__err(ctx, SW_EIO, "%s: cannot write a feature: %s", path, sw__gdal_msg(&e, "unknown error"));
            OGR_F_Destroy(ft);
        }
        if (gpkg && rc == 0 && OGR_L_CommitTransaction(l) != OGRERR_NONE)
            rc = sw__err(ctx, SW_EIO, "%s: cannot commit", path);
    }
    if (ds)
        GDALClose(ds);
    OSRDestroySpatialReference(srs);
    sw__gdal_pop();
    return rc;
}

int sw__wkt_centroid(const char *wkt, double *x, double *y)
{
    int rc = -1;
    sw__gdal_err e;
    sw__gdal_push(&e);
    OGRGeometryH g = from_wkt(wkt), c = g ? OGR_G_CreateGeometry(wkbPoint) : NULL;
    if (c && OGR_G_Centroid(g, c) == OGRERR_NONE) {
        *x = OGR_G_GetX(c, 0);
        *y = OGR_G_GetY(c, 0);
        rc = 0;
    }
    destroy(c);
    destroy(g);
    sw__gdal_pop();
    return rc;
}

char *sw__wkt_union(const char *a, const char *b)
{
    char *out = NULL, *w = NULL;
    sw__gdal_err e;
    sw__gdal_push(&e);
    OGRGeometryH ga = from_wkt(a), gb = ga ? from_wkt(b) : NULL, u = gb ? OGR_G_Union(ga, gb) : NULL;
    if (u && OGR_G_ExportToWkt(u, &w) == OGRERR_NONE && w)
        out = strdup(w);
    CPLFree(w);
    destroy(u);
    destroy(ga);
    destroy(gb);
    sw__gdal_pop();
    return out;
}

int sw__wkt_envelope(const char *wkt, double box[4])
{
    box[0] = box[1] = INFINITY;
    box[2] = box[3] = -INFINITY;
    sw__gdal_err e;
    sw__gdal_push(&e);
    OGRGeometryH g = from_wkt(wkt);
    int rc = -1;
    if (g && !OGR_G_IsEmpty(g)) {
        OGREnvelope env;
        OGR_G_GetEnvelope(g, &env);
        box[0] = env.MinX;
        box[1] = env.MinY;
        box[2] = env.MaxX;
        box[3] = env.MaxY;
        rc = 0;
    }
    destroy(g);
    sw__gdal_pop();
    return rc;
}

/* Appends the rings (point lists) under g, depth first. */
static int add_rings(OGRGeometryH g, sw__rings *r)
{
    int sub = OGR_G_GetGeometryCount(g);
    if (sub > 0) {
        for (int i = 0; i < sub; i++)
            if (add_rings(OGR_G_GetGeometryRef(g, i), r) != 0)
                return -1;
        return 0;
    }
    int n = OGR_G_GetPointCount(g);
    if (n <= 0)
        return 0;
    double *xy = realloc(r->xy, sizeof(double) * 2 * (size_t)(r->npts + n));
    int *st = realloc(r->start, sizeof(int) * (size_t)(r->nrings + 2));
    if (xy)
        r->xy = xy;
    if (st)
        r->start = st;
    if (!xy || !st)
        return -1;
    r->start[r->nrings++] = r->npts;
    for (int i = 0; i < n; i++) {
        r->xy[2 * (r->npts + i)] = OGR_G_GetX(g, i);
        r->xy[2 * (r->npts + i) + 1] = OGR_G_GetY(g, i);
    }
    r->npts += n;
    r->start[r->nrings] = r->npts;
    return 0;
}

int sw__wkt_rings(const char *wkt, sw__rings *r)
{
    memset(r, 0, sizeof *r);
    sw__gdal_err e;
    sw__gdal_push(&e);
    OGRGeometryH g = from_wkt(wkt);
    int rc = g && add_rings(g, r) == 0 && r->nrings > 0 ? 0 : -1;
    destroy(g);
    sw__gdal_pop();
    if (rc)
        sw__rings_free(r);
    return rc;
}

void sw__rings_free(sw__rings *r)
{
    free(r->xy);
    free(r->start);
    memset(r, 0, sizeof *r);
}
