/* test_coreg.c: the shift estimator on fields with known sub-pixel shifts,
 * under a gain and offset between the dates, and its refusals. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

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
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
