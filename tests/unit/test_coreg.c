/* test_coreg.c: the shift estimator on fields with known sub-pixel shifts,
 * under a gain and offset between the dates, and its refusals. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>

#include <cmocka.h>
#include <gdal.h>

#include "coreg/align.h"
#include "coreg/coreg.h"

/* A textured field with a broad spectrum, like imagery: 300 sinusoids of
 * random direction and frequency (up to 1 radian per pixel), amplitude
 * falling as 1/f. Defined everywhere, so it can be shifted exactly. */
enum { NWAVES = 300 };
static double wf[NWAVES], wa[NWAVES], wc[NWAVES], ws[NWAVES], wp[NWAVES];

static void make_waves(void)
{
    uint32_t st = 12345;
    for (int k = 0; k < NWAVES; k++) {
        double u[3];
        for (int j = 0; j < 3; j++) {
            st = st * 1664525u + 1013904223u;
            u[j] = (st >> 8) / 16777216.0;
        }
        wf[k] = 0.03 + 0.97 * u[0];
        wc[k] = cos(2 * M_PI * u[1]);
        ws[k] = sin(2 * M_PI * u[1]);
        wp[k] = 2 * M_PI * u[2];
        wa[k] = 1.0 / wf[k];
    }
}

static double field(double x, double y)
{
    double v = 0;
    for (int k = 0; k < NWAVES; k++)
        v += wa[k] * sin(wf[k] * (x * wc[k] + y * ws[k]) + wp[k]);
    return 10.0 * v;
}

static void check(double sx, double sy, double gain, double off)
{
    enum { W = 256, H = 192 };
    float *a = malloc(sizeof(float) * W * H), *b = malloc(sizeof(float) * W * H);
    uint8_t *v = malloc(W * H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            a[y * W + x] = (float)field(x, y);
            b[y * W + x] = (float)(gain * field(x - sx, y - sy) + off); /* B(x) = A(x - s) */
            v[y * W + x] = 1;
        }
    sw__coreg c;
    if (sw__coreg_estimate(a, b, v, W, H, &c) != 0)
        fail_msg("no estimate for shift (%g, %g), gain %g: peak %g", sx, sy, gain, c.peak);
    if (fabs(c.dx - sx) > 0.02 || fabs(c.dy - sy) > 0.02)
        fail_msg("shift (%g, %g) estimated as (%g, %g)", sx, sy, c.dx, c.dy);
    assert_true(fabs(c.gain - 1.0 / gain) < 0.01);
    assert_true(c.peak > 20);
    free(a);
    free(b);
    free(v);
}

static void test_known_shifts(void **state)
{
    (void)state;
    make_waves();
    check(0.0, 0.0, 1.0, 0.0);
    check(0.37, -0.61, 1.0, 0.0);
    check(-1.25, 0.8, 1.3, 40.0);
    check(3.6, -2.2, 0.8, -15.0);
}

/* Tie points on a 3 x 3 grid of a scene whose second date is distorted by
 * an affine shift field, one of them spoiled by "change": the fit finds
 * the field and drops the spoiled point. */
static void test_affine_field(void **state)
{
    (void)state;
    make_waves();
    enum { P = 128, W = 1200, H = 900 };
    const double ax[3] = {0.4, 6e-4, -3e-4}, ay[3] = {-0.7, 2e-4, 8e-4};
    float *a = malloc(sizeof(float) * P * P), *b = malloc(sizeof(float) * P * P);
    uint8_t *v = malloc(P * P);
    memset(v, 1, P * P);
    sw__tiepoint tp[9];
    for (int k = 0; k < 9; k++) {
        double cx = (k % 3 + 0.5) * W / 3.0, cy = (k / 3 + 0.5) * H / 3.0;
        for (int y = 0; y < P; y++)
            for (int x = 0; x < P; x++) {
                double gx = cx - P / 2 + x, gy = cy - P / 2 + y;
                double dx = ax[0] + ax[1] * gx + ax[2] * gy, dy = ay[0] + ay[1] * gx + ay[2] * gy;
                a[y * P + x] = (float)field(gx, gy);
                b[y * P + x] = (float)field(gx - dx, gy - dy); /* B(x + d) = A(x) */
            }
        if (k == 4) /* the centre patch changed: a different texture */
            for (int i = 0; i < P * P; i++)
                b[i] = (float)field(i % P + 5000.0, i / P + 7000.0);
        sw__coreg c;
        tp[k].x = cx;
        tp[k].y = cy;
        tp[k].reliable = sw__coreg_estimate(a, b, v, P, P, &c) == 0 && c.peak >= 10;
        tp[k].dx = c.dx;
        tp[k].dy = c.dy;
        tp[k].peak = c.peak;
    }
    double fx[3], fy[3], rms, rms0;
    int used = sw__coreg_fit_affine(tp, 9, 1.0, fx, fy, &rms, &rms0);
    assert_int_equal(used, 8);
    assert_false(tp[4].reliable); /* the changed patch takes no part */
    for (int c = 0; c < 4; c++) {
        double x = (c & 1) ? W : 0, y = (c & 2) ? H : 0;
        double ex = fx[0] + fx[1] * x + fx[2] * y - (ax[0] + ax[1] * x + ax[2] * y);
        double ey = fy[0] + fy[1] * x + fy[2] * y - (ay[0] + ay[1] * x + ay[2] * y);
        if (fabs(ex) > 0.1 || fabs(ey) > 0.1)
            fail_msg("corner %d: field off by (%g, %g)", c, ex, ey);
    }
    assert_true(rms < 0.5 * rms0);
    free(a);
    free(b);
    free(v);
}

/* A float32 GeoTIFF (tiled 256) of w x h: the field under the affine shift
 * field (ax, ay) when ax is not NULL, with nw waves (fewer than NWAVES,
 * for speed on a whole scene). */
static void write_field(const char *path, int w, int h, const double *ax, const double *ay, int nw)
{
    float *img = malloc(sizeof(float) * (size_t)w * (size_t)h);
    assert_non_null(img);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double dx = ax ? ax[0] + ax[1] * x + ax[2] * y : 0, dy = ay ? ay[0] + ay[1] * x + ay[2] * y : 0;
            double v = 0, gx = x - dx, gy = y - dy;
            for (int k = 0; k < nw; k++)
                v += wa[k] * sin(wf[k] * (gx * wc[k] + gy * ws[k]) + wp[k]);
            img[(size_t)y * w + x] = (float)(1000.0 + 10.0 * v);
        }
    char *opts[] = {"TILED=YES", NULL};
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path, w, h, 1, GDT_Float32, opts);
    assert_non_null(ds);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, w, h, img, w, h, GDT_Float32, 0, 0),
                     CE_None);
    GDALClose(ds);
    free(img);
}

/* The whole co-registration of a pair from files, its nine tie points
 * measured on the pool's workers: the same to the bit on 1 and 4 threads,
 * every point in its own slot (the affine field it fits is the one the
 * second date was made with). */
static void test_tie_points_on_threads(void **state)
{
    (void)state;
    make_waves();
    GDALAllRegister();
    enum { W = 1024, H = 800, NW = 40 };
    const double ax[3] = {0.4, 6e-4, -3e-4}, ay[3] = {-0.7, 2e-4, 8e-4};
    char dir[] = "/tmp/sw-test-coreg-XXXXXX", a[64], b[64];
    assert_non_null(mkdtemp(dir));
    snprintf(a, sizeof a, "%s/a.tif", dir);
    snprintf(b, sizeof b, "%s/b.tif", dir);
    write_field(a, W, H, NULL, NULL, NW);
    write_field(b, W, H, ax, ay, NW);
    sw__align al[2];
    const int threads[2] = {1, 4};
    for (int k = 0; k < 2; k++) {
        sw_ctx *ctx = sw_ctx_new();
        sw__pair *p = sw__pair_open(ctx, a, b, NULL, NULL);
        assert_non_null(p);
        assert_int_equal(sw__align_estimate(ctx, p, threads[k], &al[k]), 0);
        sw__pair_close(p);
        sw_ctx_free(ctx);
    }
    assert_int_equal(al[0].ntp, 9);
    assert_int_equal(al[1].ntp, 9);
    assert_memory_equal(al[0].tp, al[1].tp, sizeof al[0].tp);
    assert_true(al[0].affine && al[1].affine);
    for (int k = 0; k < 9; k++) {
        const sw__tiepoint *t = &al[1].tp[k];
        assert_true(t->reliable);
        assert_true(fabs(t->x - ((k % 3 + 0.5) * W / 3)) <= 1.0 && fabs(t->y - ((k / 3 + 0.5) * H / 3)) <= 1.0);
        double ex = ax[0] + ax[1] * t->x + ax[2] * t->y, ey = ay[0] + ay[1] * t->x + ay[2] * t->y;
        if (fabs(t->dx - ex) > 0.05 || fabs(t->dy - ey) > 0.05)
            fail_msg("tie point %d at (%g, %g): (%g, %g), the field (%g, %g)", k, t->x, t->y, t->dx, t->dy, ex, ey);
    }
    for (int c = 0; c < 4; c++) {
        double x = (c & 1) ? W : 0, y = (c & 2) ? H : 0;
        double ex = al[1].ax[0] + al[1].ax[1] * x + al[1].ax[2] * y - (ax[0] + ax[1] * x + ax[2] * y);
        double ey = al[1].ay[0] + al[1].ay[1] * x + al[1].ay[2] * y - (ay[0] + ay[1] * x + ay[2] * y);
        if (fabs(ex) > 0.1 || fabs(ey) > 0.1)
            fail_msg("corner %d: field off by (%g, %g)", c, ex, ey);
    }
    remove(a);
    remove(b);
    rmdir(dir);
}

/* AFTER resampled along a shift: bilinear, as computed here from the file's
 * pixels; the reader's path for one shift (weights worked out per column)
 * the same to the bit as its path for a general field (forced by a y term
 * too small to change any sum), strips read at different offsets alike. */
static void test_shifted_reader(void **state)
{
    (void)state;
    make_waves();
    GDALAllRegister();
    enum { W = 300, H = 200, NW = 40 };
    char dir[] = "/tmp/sw-test-shift-XXXXXX", a[64];
    assert_non_null(mkdtemp(dir));
    snprintf(a, sizeof a, "%s/a.tif", dir);
    write_field(a, W, H, NULL, NULL, NW);
    float *img = malloc(sizeof(float) * W * H), *bx = malloc(sizeof(float) * W * H), *by[2];
    uint8_t *v[2];
    GDALDatasetH ds = GDALOpen(a, GA_ReadOnly);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, W, H, img, W, H, GDT_Float32, 0, 0),
                     CE_None);
    GDALClose(ds);
    const double sx = 1.3125, sy = -0.40625;
    for (int k = 0; k < 2; k++) {
        sw_ctx *ctx = sw_ctx_new();
        sw__pair *p = sw__pair_open(ctx, a, a, NULL, NULL);
        assert_non_null(p);
        const double ax[3] = {sx, 0, k ? 1e-300 : 0}, ay[3] = {sy, 0, 0};
        sw__pair_set_affine(p, ax, ay);
        sw__reader *rd = sw__reader_open(ctx, p);
        assert_non_null(rd);
        by[k] = malloc(sizeof(float) * W * H);
        v[k] = malloc(W * H);
        /* strips of 7 rows, then the rest */
        for (int y = 0; y < H; y += 7) {
            int n = H - y < 7 ? H - y : 7;
            assert_int_equal(sw__reader_read(rd, ctx, y, n, bx + (size_t)y * W, by[k] + (size_t)y * W,
                                             v[k] + (size_t)y * W), 0);
        }
        sw__reader_close(rd);
        sw__pair_close(p);
        sw_ctx_free(ctx);
    }
    assert_memory_equal(by[0], by[1], sizeof(float) * W * H);
    assert_memory_equal(v[0], v[1], W * H);
    int nvalid = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double fx = x + sx, fy = y + sy;
            int ix = (int)floor(fx), iy = (int)floor(fy);
            int inside = ix >= 0 && ix + 1 < W && iy >= 0 && iy + 1 < H;
            assert_int_equal(v[0][y * W + x], inside);
            if (!inside)
                continue;
            nvalid++;
            double tx = fx - ix, ty = fy - iy;
            double e = (1 - tx) * (1 - ty) * img[iy * W + ix] + tx * (1 - ty) * img[iy * W + ix + 1] +
                       (1 - tx) * ty * img[(iy + 1) * W + ix] + tx * ty * img[(iy + 1) * W + ix + 1];
            if (fabs(by[0][y * W + x] - e) > 1e-3)
                fail_msg("(%d, %d): %g, bilinear %g", x, y, by[0][y * W + x], e);
        }
    assert_int_equal(nvalid, (W - 2) * (H - 1));
    for (int k = 0; k < 2; k++) {
        free(by[k]);
        free(v[k]);
    }
    free(img);
    free(bx);
    remove(a);
    rmdir(dir);
}

static void test_refusals(void **state)
{
    (void)state;
    enum { W = 128, H = 128 };
    float *a = calloc(W * H, sizeof(float)), *b = calloc(W * H, sizeof(float));
    uint8_t *v = calloc(W * H, 1);
    sw__coreg c;
    /* mostly invalid */
    assert_int_equal(sw__coreg_estimate(a, b, v, W, H, &c), -1);
    /* too small */
    assert_int_equal(sw__coreg_estimate(a, b, v, 16, 16, &c), -1);
    /* noise against unrelated noise: no strong peak */
    srand(3);
    for (int i = 0; i < W * H; i++) {
        a[i] = (float)rand() / RAND_MAX;
        b[i] = (float)rand() / RAND_MAX;
        v[i] = 1;
    }
    if (sw__coreg_estimate(a, b, v, W, H, &c) == 0)
        assert_true(c.peak < 10);
    free(a);
    free(b);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_shifts),
        cmocka_unit_test(test_affine_field),
        cmocka_unit_test(test_tie_points_on_threads),
        cmocka_unit_test(test_shifted_reader),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
