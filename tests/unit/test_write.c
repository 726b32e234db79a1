/*
 * test_write.c: the raster writer (src/io/write.c). A float file with
 * overviews is written uncompressed and copied into a Cloud Optimized
 * GeoTIFF on a thread of its own: between close_begin and finish the file
 * reads back whole and uncompressed at its path; after finish the COG is in
 * its place with the same pixels, compressed, with its overviews, and
 * nothing is left beside it; an abort after close_begin leaves nothing.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gdal.h>

#include "io/io.h"

enum { W = 700, H = 530 };

static char dir[64];

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    snprintf(dir, sizeof dir, "/tmp/sw-test-write-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static float value(int x, int y)
{
    return (float)sin(0.013 * x * y) * 100.0f + (float)(x % 7);
}

/* A W x H float file with overviews at path, written in strips of 64 rows
 * and left open. */
static sw__rwriter *written(sw_ctx *c, const char *path)
{
    sw__grid g = {.width = W, .height = H, .gt = {0, 1, 0, 0, 0, 1}};
    sw__rwriter *w = sw__rwriter_create(c, path, &g, 1, SW__F32, NAN, SW__W_ZSTD | SW__W_OVERVIEWS);
    assert_non_null(w);
    float *rows = malloc((size_t)W * 64 * sizeof *rows);
    assert_non_null(rows);
    for (int y0 = 0; y0 < H; y0 += 64) {
        int n = H - y0 < 64 ? H - y0 : 64;
        for (int k = 0; k < n; k++)
            for (int x = 0; x < W; x++)
                rows[(size_t)k * W + (size_t)x] = value(x, y0 + k);
        assert_int_equal(sw__rwriter_write(w, c, y0, n, rows), 0);
    }
    free(rows);
    return w;
}

/* The file DIR/name written and closed with close_begin; its path and
 * the path of its COG copy in the making. */
static sw__rwriter *begun(sw_ctx *c, const char *name, char path[128], char cog[140])
{
    snprintf(path, 128, "%s/%s", dir, name);
    snprintf(cog, 140, "%s.cog", path);
    sw__rwriter *w = written(c, path);
    assert_int_equal(sw__rwriter_close_begin(w, c), 0);
    return w;
}

/* The file's pixels equal value() everywhere; its compression (NULL for
 * none) and overview count. */
static void check_pixels(const char *path, const char **compression, int *overviews)
{
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    assert_non_null(ds);
    assert_int_equal(GDALGetRasterXSize(ds), W);
    assert_int_equal(GDALGetRasterYSize(ds), H);
    float *px = malloc((size_t)W * H * sizeof *px);
    assert_non_null(px);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, W, H, px, W, H, GDT_Float32, 0, 0),
                     CE_None);
    int bad = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            bad += px[(size_t)y * W + (size_t)x] != value(x, y);
    assert_int_equal(bad, 0);
    free(px);
    const char *comp = GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE");
    *compression = comp ? strdup(comp) : NULL;
    *overviews = GDALGetOverviewCount(GDALGetRasterBand(ds, 1));
    GDALClose(ds);
}

static void test_cog_copied_beside_the_caller(void **state)
{
    (void)state;
    sw_ctx *c = sw_ctx_new();
    char path[128], cog[140];
    sw__rwriter *w = begun(c, "score.tif", path, cog);
    /* While the copy runs: the uncompressed file, whole, at its path. */
    const char *comp;
    int ovr;
    check_pixels(path, &comp, &ovr);
    assert_null(comp);
    assert_int_equal(ovr, 1);
    assert_int_equal(sw__rwriter_finish(w, c), 0);
    check_pixels(path, &comp, &ovr);
    assert_non_null(comp);
    assert_string_equal(comp, "ZSTD");
    free((void *)comp);
    assert_int_equal(ovr, 1);
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    const char *layout = GDALGetMetadataItem(ds, "LAYOUT", "IMAGE_STRUCTURE");
    assert_non_null(layout);
    assert_string_equal(layout, "COG");
    GDALClose(ds);
    assert_int_not_equal(access(cog, F_OK), 0);
    sw_ctx_free(c);
}

static void test_abort_after_begin_leaves_nothing(void **state)
{
    (void)state;
    sw_ctx *c = sw_ctx_new();
    char path[128], cog[140];
    sw__rwriter *w = begun(c, "aborted.tif", path, cog);
    sw__rwriter_abort(w);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_int_not_equal(access(cog, F_OK), 0);
    sw_ctx_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cog_copied_beside_the_caller),
        cmocka_unit_test(test_abort_after_begin_leaves_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
