/*
 * test_vector.c: change objects traced window by window (src/io/vector.c)
 * give the outlines that GDALPolygonize gives over the whole raster, to the
 * bit: random blobs, a ring with an island inside it, parts that touch
 * only at a corner, objects that cross the windows' cells, georeferenced
 * coordinates that are no integers; in memory (sw__polygons_wkt) and from a
 * file (sw__vectors_write), small windows read in one go and a window of
 * the whole raster traced through a VRT.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cpl_conv.h>
#include <gdal.h>
#include <gdal_alg.h>
#include <ogr_api.h>

#include "flood.h"
#include "io/io.h"

static const double GT[6] = {500000.25, 0.3, 0.0, 4100000.75, 0.0, -0.3};

/* 8-connected components of m (w x h) as ids 1..n in order of first pixel
 * (int32_t and uint32_t may alias each other). */
static int64_t label(const uint8_t *m, int w, int h, uint32_t *ids)
{
    return flood(m, w, h, (int32_t *)ids);
}

/* Each object's bounding box, as the engine gives them. */
static sw__vobject *objects(const uint32_t *ids, int w, int h, int64_t n)
{
    sw__vobject *o = calloc((size_t)n + 1, sizeof *o);
    for (int64_t i = 0; i < n; i++) {
        o[i].id = i + 1;
        o[i].xmin = o[i].ymin = INT64_MAX;
        o[i].xmax = o[i].ymax = -1;
    }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            uint32_t id = ids[(size_t)y * w + x];
            if (!id)
                continue;
            sw__vobject *v = &o[id - 1];
            v->npix++;
            v->xmin = x < v->xmin ? x : v->xmin;
            v->ymin = y < v->ymin ? y : v->ymin;
            v->xmax = x > v->xmax ? x : v->xmax;
            v->ymax = y > v->ymax ? y : v->ymax;
        }
    return o;
}

/* The reference: GDALPolygonize over the whole raster, each id's polygons
 * gathered in a multipolygon, as WKT (wkt[id - 1]). */
static char **reference(const uint32_t *ids, int w, int h, int64_t n)
{
    GDALDatasetH ras = GDALCreate(GDALGetDriverByName("MEM"), "", w, h, 1, GDT_UInt32, NULL);
    GDALSetGeoTransform(ras, (double *)GT);
    GDALRasterBandH b = GDALGetRasterBand(ras, 1);
    assert_int_equal(GDALRasterIO(b, GF_Write, 0, 0, w, h, (void *)ids, w, h, GDT_UInt32, 0, 0), CE_None);
    GDALDatasetH mem = GDALCreate(GDALGetDriverByName("Memory"), "", 0, 0, 0, GDT_Unknown, NULL);
    OGRLayerH l = GDALDatasetCreateLayer(mem, "poly", NULL, wkbPolygon, NULL);
    OGRFieldDefnH f = OGR_Fld_Create("id", OFTInteger);
    OGR_L_CreateField(l, f, TRUE);
    OGR_Fld_Destroy(f);
    char *popts[] = {"8CONNECTED=8", NULL};
    assert_int_equal(GDALPolygonize(b, b, l, 0, popts, NULL, NULL), CE_None);
    OGRGeometryH *g = calloc((size_t)n + 1, sizeof *g);
    OGRFeatureH ft;
    OGR_L_ResetReading(l);
    while ((ft = OGR_L_GetNextFeature(l))) {
        int64_t id = OGR_F_GetFieldAsInteger64(ft, 0);
        if (!g[id])
            g[id] = OGR_G_CreateGeometry(wkbMultiPolygon);
        OGR_G_AddGeometry(g[id], OGR_F_GetGeometryRef(ft));
        OGR_F_Destroy(ft);
    }
    char **wkt = calloc((size_t)n + 1, sizeof *wkt);
    for (int64_t i = 1; i <= n; i++) {
        assert_non_null(g[i]);
        char *s = NULL;
        OGR_G_ExportToWkt(g[i], &s);
        wkt[i - 1] = strdup(s);
        CPLFree(s);
        OGR_G_DestroyGeometry(g[i]);
    }
    free(g);
    GDALClose(mem);
    GDALClose(ras);
    return wkt;
}

static void free_wkt(char **wkt, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        free(wkt[i]);
    free(wkt);
}

/* Random blobs (a few hundred, some of them corner-touching diagonals) plus
 * a ring round an island and an object as long as the raster. */
static uint8_t *scene(int w, int h, unsigned seed)
{
    uint8_t *m = calloc((size_t)w * (size_t)h, 1);
    srand(seed);
    for (int k = 0; k < w * h / 400; k++) {
        int x0 = rand() % w, y0 = rand() % h, bw = 1 + rand() % 12, bh = 1 + rand() % 12;
        for (int y = y0; y < y0 + bh && y < h; y++)
            for (int x = x0; x < x0 + bw && x < w; x++)
                m[(size_t)y * w + x] = (rand() % 5) != 0;
    }
    for (int i = 0; i < 20 && i < h && i < w; i++) /* a diagonal: pixels that touch at corners */
        m[(size_t)(h - 1 - i) * w + i] = 1;
    int cx = w / 2, cy = h / 2;
    for (int y = cy - 20; y <= cy + 20; y++) /* a ring of width 3, cleared inside, an island in it */
        for (int x = cx - 20; x <= cx + 20; x++) {
            int d = abs(x - cx) > abs(y - cy) ? abs(x - cx) : abs(y - cy);
            m[(size_t)y * w + x] = d >= 18 || d <= 4;
        }
    for (int x = 0; x < w; x++) /* across every cell of the top row */
        m[(size_t)2 * w + x] = 1;
    return m;
}

static sw__grid grid(int w, int h)
{
    sw__grid g = {.width = w, .height = h, .pixel_w_m = 0.3, .pixel_h_m = 0.3};
    memcpy(g.gt, GT, sizeof g.gt);
    return g;
}

static void test_in_memory_equals_whole_raster(void **state)
{
    (void)state;
    enum { w = 403, h = 297 };
    uint8_t *m = scene(w, h, 7);
    uint32_t *ids = malloc(sizeof *ids * w * h);
    int64_t n = label(m, w, h, ids);
    assert_true(n > 100);
    sw__vobject *o = objects(ids, w, h, n);
    char **ref = reference(ids, w, h, n);
    char **got = calloc((size_t)n + 1, sizeof *got);
    sw__grid g = grid(w, h);
    sw_ctx *c = sw_ctx_new();
    assert_int_equal(sw__polygons_wkt(c, ids, &g, o, n, got), 0);
    int holed = 0;
    for (int64_t i = 0; i < n; i++) {
        assert_non_null(got[i]);
        assert_string_equal(got[i], ref[i]);
        holed += strstr(ref[i], "),(") != NULL;
    }
    assert_true(holed > 0); /* the ring's outline has an inner ring */
    sw_ctx_free(c);
    free_wkt(ref, n);
    free_wkt(got, n);
    free(o);
    free(ids);
    free(m);
}

/* Reads the GeoPackage's geometries back as WKT, by the id field. */
static char **read_gpkg(const char *path, int64_t n)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    assert_int_equal(OGR_L_GetFeatureCount(l, TRUE), n);
    char **wkt = calloc((size_t)n + 1, sizeof *wkt);
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l))) {
        int64_t id = OGR_F_GetFieldAsInteger64(f, OGR_F_GetFieldIndex(f, "id"));
        char *s = NULL;
        OGR_G_ExportToWkt(OGR_F_GetGeometryRef(f), &s);
        wkt[id - 1] = strdup(s);
        CPLFree(s);
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return wkt;
}

/* From a file: sw__vectors_write over a tiled object-id GeoTIFF. With
 * whole = 1 a ring the size of the raster joins every object into one
 * window larger than a read in one go. */
static void from_file(int w, int h, int whole)
{
    uint8_t *m = scene(w, h, 11);
    if (whole)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                if (x == 0 || y == 0 || x == w - 1 || y == h - 1)
                    m[(size_t)y * w + x] = 1;
    uint32_t *ids = malloc(sizeof *ids * (size_t)w * (size_t)h);
    int64_t n = label(m, w, h, ids);
    sw__vobject *o = objects(ids, w, h, n);
    char dir[] = "/tmp/sw-test-vector-XXXXXX", tif[64], gpkg[64], json[64];
    assert_non_null(mkdtemp(dir));
    snprintf(tif, sizeof tif, "%s/ids.tif", dir);
    snprintf(gpkg, sizeof gpkg, "%s/c.gpkg", dir);
    snprintf(json, sizeof json, "%s/c.geojson", dir);
    char *co[] = {"TILED=YES", "BLOCKXSIZE=64", "BLOCKYSIZE=64", "COMPRESS=PACKBITS", "SPARSE_OK=TRUE", NULL};
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), tif, w, h, 1, GDT_UInt32, co);
    GDALSetGeoTransform(ds, (double *)GT);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, w, h, ids, w, h, GDT_UInt32, 0, 0),
                     CE_None);
    GDALClose(ds);
    sw__grid g = grid(w, h);
    sw_ctx *c = sw_ctx_new();
    assert_int_equal(sw__vectors_write(c, tif, &g, o, n, gpkg, json), 0);
    char **ref = reference(ids, w, h, n), **got = read_gpkg(gpkg, n);
    for (int64_t i = 0; i < n; i++) {
        assert_non_null(got[i]);
        assert_string_equal(got[i], ref[i]);
    }
    sw_ctx_free(c);
    free_wkt(ref, n);
    free_wkt(got, n);
    unlink(tif);
    unlink(gpkg);
    unlink(json);
    rmdir(dir);
    free(o);
    free(ids);
    free(m);
}

static void test_file_windows_equal_whole_raster(void **state)
{
    (void)state;
    from_file(517, 389, 0);
}

static void test_file_one_large_window_through_vrt(void **state)
{
    (void)state;
    from_file(2100, 2050, 1); /* 4.3 M pixels: over the 4 M read in one go */
}

int main(void)
{
    GDALAllRegister();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_in_memory_equals_whole_raster),
        cmocka_unit_test(test_file_windows_equal_whole_raster),
        cmocka_unit_test(test_file_one_large_window_through_vrt),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
