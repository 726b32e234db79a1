/*
 * test_kernels.c: every scoring kernel held against a plain reference
 * written from its definition (double precision, no tricks), on random
 * strips with invalid pixels: IR-MAD's chi-square, the difference
 * magnitude (raw and in noise units, with and without a normalization),
 * the log-ratio, the box pre-filter, PCA-k-means' blocks, texture's
 * structure term, and the morphology of the mask. (CVA's and the
 * labeller's references live in test_methods.c and test_ccl.c.)
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "methods/kernels.h"
#include "methods/method.h"

enum { WID = 37, ROWS = 9, NB = 3, NPIX = WID * ROWS };

static double uniform(double lo, double hi)
{
    return lo + (hi - lo) * (rand() / ((double)RAND_MAX + 1.0));
}

static float x[NPIX * NB], y[NPIX * NB], s[NPIX];
static uint8_t v[NPIX];

/* A random strip: amplitudes 10-2000, a tenth of the pixels invalid. */
static void make_strip(unsigned seed)
{
    srand(seed);
    for (int i = 0; i < NPIX; i++) {
        for (int b = 0; b < NB; b++) {
            x[i * NB + b] = (float)uniform(10, 2000);
            y[i * NB + b] = (float)uniform(10, 2000);
        }
        v[i] = rand() % 10 != 0;
    }
}

static double *vec(int n, double lo, double hi)
{
    double *p = malloc(sizeof(double) * (size_t)n);
    for (int i = 0; i < n; i++)
        p[i] = uniform(lo, hi);
    return p;
}

/* Relative closeness; NaN only where the reference is NaN. */
static void assert_close(double got, double want)
{
    if (isnan(want)) {
        assert_true(isnan(got));
        return;
    }
    assert_false(isnan(got));
    if (fabs(got - want) > 1e-4 * (1.0 + fabs(want)))
        fail_msg("got %.9g, want %.9g", got, want);
}

static void test_irmad(void **state)
{
    (void)state;
    make_strip(1);
    sw__model m = {.nb = NB, .k = 2};
    m.A = malloc(sizeof(float) * 2 * NB);
    m.B = malloc(sizeof(float) * 2 * NB);
    m.c = malloc(sizeof(float) * 2);
    for (int i = 0; i < 2 * NB; i++) {
        m.A[i] = (float)uniform(-0.01, 0.01);
        m.B[i] = (float)uniform(-0.01, 0.01);
    }
    m.c[0] = 0.3f;
    m.c[1] = -0.2f;
    sw__irmad_score(&m, x, y, v, NPIX, s);
    for (int i = 0; i < NPIX; i++) {
        double want = 0;
        for (int k = 0; k < 2; k++) {
            double t = -m.c[k];
            for (int b = 0; b < NB; b++)
                t += (double)m.A[k * NB + b] * x[i * NB + b] - (double)m.B[k * NB + b] * y[i * NB + b];
            want += t * t;
        }
        assert_close(s[i], v[i] ? want : NAN);
    }
    sw__model_clear(&m);
}

static void test_diff_magnitude(void **state)
{
    (void)state;
    make_strip(2);
    for (int normalized = 0; normalized < 2; normalized++)
        for (int units = 0; units < 2; units++) {
            sw__model m = {.nb = NB};
            m.isd[0] = vec(NB, 0.001, 0.01);
            if (normalized) {
                m.norm_a = vec(NB, 0.8, 1.3);
                m.norm_c = vec(NB, -50, 50);
                m.norm_rsd = vec(NB, 5, 40);
            }
            sw__diff_magnitude(&m, x, y, v, NPIX, units, s);
            for (int i = 0; i < NPIX; i++) {
                double want = 0;
                for (int b = 0; b < NB; b++) {
                    double a = normalized ? m.norm_a[b] : 1, c = normalized ? m.norm_c[b] : 0;
                    double scale = !units ? 1 : normalized ? 1.0 / m.norm_rsd[b] : m.isd[0][b];
                    double d = ((y[i * NB + b] - c) / a - x[i * NB + b]) * scale;
                    want += d * d;
                }
                assert_close(s[i], v[i] ? sqrt(want) : NAN);
            }
            sw__model_clear(&m);
        }
}

static void test_logratio(void **state)
{
    (void)state;
    make_strip(3);
    sw__model m = {.nb = NB};
    m.lr_level = vec(NB, -0.2, 0.2);
    sw__logratio_score(&m, x, y, v, NPIX, s);
    for (int i = 0; i < NPIX; i++) {
        double want = 0;
        for (int b = 0; b < NB; b++) {
            double l = log(y[i * NB + b] + 1.0) - log(x[i * NB + b] + 1.0) - m.lr_level[b];
            want += l * l;
        }
        assert_close(s[i], v[i] ? sqrt(want / NB) : NAN);
    }
    sw__model_clear(&m);
}

static void test_box_filter(void **state)
{
    (void)state;
    make_strip(4);
    static float out[NPIX * NB];
    static uint8_t ov[NPIX];
    const int r = 1, top = 2, rows_out = 5;
    sw__box_filter(x, v, WID, ROWS, NB, r, top, rows_out, out, ov);
    for (int k = 0; k < rows_out; k++)
        for (int c = 0; c < WID; c++) {
            int yc = top + k, o = k * WID + c;
            assert_int_equal(ov[o], v[yc * WID + c]);
            for (int b = 0; b < NB; b++) {
                double sum = 0;
                int n = 0;
                for (int yy = yc - r; yy <= yc + r; yy++)
                    for (int xx = c - r; xx <= c + r; xx++)
                        if (yy >= 0 && yy < ROWS && xx >= 0 && xx < WID && v[yy * WID + xx]) {
                            sum += x[(yy * WID + xx) * NB + b];
                            n++;
                        }
                assert_close(out[o * NB + b], n ? sum / n : 0.0);
            }
        }
}

static void test_pcakm(void **state)
{
    (void)state;
    make_strip(5);
    enum { K = SW__PCAKM_H * SW__PCAKM_H, S = 3, RB = SW__PCAKM_H / 2 };
    static float d[NPIX];
    for (int i = 0; i < NPIX; i++)
        d[i] = (float)uniform(0, 5);
    sw__model m = {.nb = NB, .pk_s = S, .pk_change = 1};
    m.pk_vec = vec(S * K, -0.3, 0.3);
    m.pk_mean = vec(K, 0, 2);
    m.pk_cent = vec(2 * S, -1, 1);
    const int top = 2, rows_out = 5;
    sw__pcakm_score(&m, d, v, WID, ROWS, top, rows_out, s);
    for (int k = 0; k < rows_out; k++)
        for (int c = 0; c < WID; c++) {
            int yc = top + k;
            double want = NAN;
            if (v[yc * WID + c]) {
                /* the block around the pixel, invalid or outside neighbours
                 * replaced by the centre */
                double blk[K], dc = 0, dn = 0;
                int j = 0;
                for (int yy = yc - RB; yy <= yc + RB; yy++)
                    for (int xx = c - RB; xx <= c + RB; xx++)
                        blk[j++] = yy >= 0 && yy < ROWS && xx >= 0 && xx < WID && v[yy * WID + xx]
                                       ? d[yy * WID + xx]
                                       : d[yc * WID + c];
                for (int a = 0; a < S; a++) {
                    double p = 0;
                    for (int q = 0; q < K; q++)
                        p += m.pk_vec[a * K + q] * (blk[q] - m.pk_mean[q]);
                    dc += (p - m.pk_cent[1 * S + a]) * (p - m.pk_cent[1 * S + a]);
                    dn += (p - m.pk_cent[0 * S + a]) * (p - m.pk_cent[0 * S + a]);
                }
                want = dn - dc;
            }
            assert_close(s[k * WID + c], want);
        }
    sw__model_clear(&m);
}

static void test_texture(void **state)
{
    (void)state;
    make_strip(6);
    sw__model m = {.nb = NB};
    for (int d = 0; d < 2; d++) {
        m.mean[d] = vec(NB, 500, 1500);
        m.isd[d] = vec(NB, 0.001, 0.005);
    }
    const double c = 3.0; /* of the order of the local variances, so it matters */
    const int top = 2, rows_out = 5, R = 2;
    sw__strip in = {x, y, v, WID, ROWS, NB, top, rows_out};
    sw__texture_score(&m, c, &in, s);
    for (int k = 0; k < rows_out; k++)
        for (int col = 0; col < WID; col++) {
            int yc = top + k;
            double want = NAN;
            if (v[yc * WID + col]) {
                double acc = 0;
                int n = 0;
                for (int b = 0; b < NB; b++) {
                    /* mean, variances and covariance of the valid window pixels */
                    double za[25], zb[25], ma = 0, mb = 0;
                    n = 0;
                    for (int yy = yc - R; yy <= yc + R; yy++)
                        for (int xx = col - R; xx <= col + R; xx++)
                            if (yy >= 0 && yy < ROWS && xx >= 0 && xx < WID && v[yy * WID + xx]) {
                                int i = yy * WID + xx;
                                za[n] = (x[i * NB + b] - m.mean[0][b]) * m.isd[0][b];
                                zb[n] = (y[i * NB + b] - m.mean[1][b]) * m.isd[1][b];
                                ma += za[n];
                                mb += zb[n];
                                n++;
                            }
                    ma /= n;
                    mb /= n;
                    double va = 0, vb = 0, cov = 0;
                    for (int i = 0; i < n; i++) {
                        va += (za[i] - ma) * (za[i] - ma);
                        vb += (zb[i] - mb) * (zb[i] - mb);
                        cov += (za[i] - ma) * (zb[i] - mb);
                    }
                    acc += 1.0 - (cov / n + c) / (sqrt(va / n * vb / n) + c);
                }
                want = n >= 9 ? acc / NB : NAN;
            }
            double got = s[k * WID + col];
            if (isnan(want))
                assert_true(isnan(got));
            else if (fabs(got - want) > 1e-5)
                fail_msg("texture at (%d, %d): got %.6f, want %.6f", col, yc, got, want);
        }
    sw__model_clear(&m);
}

/* Opening and closing against erosion and dilation written out on the
 * whole mask (outside and nodata count as background; nodata stays). */
static void ref_morph(const uint8_t *in, uint8_t *out, int w, int h, int r, int dilate)
{
    for (int yy = 0; yy < h; yy++)
        for (int xx = 0; xx < w; xx++) {
            int any = 0, all = 1;
            for (int dy = -r; dy <= r; dy++)
                for (int dx = -r; dx <= r; dx++) {
                    int py = yy + dy, px = xx + dx;
                    int p = py >= 0 && py < h && px >= 0 && px < w && in[py * w + px] == 1;
                    any |= p;
                    all &= p;
                }
            out[yy * w + xx] = dilate ? any : all;
        }
}

static void test_morph(void **state)
{
    (void)state;
    enum { MW = 41, MH = 23 };
    static uint8_t mask[MW * MH], a[MW * MH], b[MW * MH], want[MW * MH], got[MW * MH], work[2 * MW * MH];
    srand(7);
    for (int i = 0; i < MW * MH; i++)
        mask[i] = rand() % 13 == 0 ? 255 : rand() % 3 == 0;
    const sw_morph kinds[] = {SW_MORPH_OPEN, SW_MORPH_CLOSE, SW_MORPH_OPEN_CLOSE};
    for (int kk = 0; kk < 3; kk++)
        for (int r = 1; r <= 2; r++) {
            memcpy(a, mask, sizeof a);
            sw_morph k = kinds[kk];
            if (k == SW_MORPH_OPEN || k == SW_MORPH_OPEN_CLOSE) {
                ref_morph(a, b, MW, MH, r, 0);
                ref_morph(b, a, MW, MH, r, 1);
            }
            if (k == SW_MORPH_CLOSE || k == SW_MORPH_OPEN_CLOSE) {
                ref_morph(a, b, MW, MH, r, 1);
                ref_morph(b, a, MW, MH, r, 0);
            }
            for (int i = 0; i < MW * MH; i++)
                want[i] = mask[i] == 255 ? 255 : a[i];
            /* the whole mask as one strip, and as its middle rows with context */
            memcpy(a, mask, sizeof a);
            sw__morph(k, r, a, MW, MH, 0, MH, got, work);
            assert_memory_equal(got, want, sizeof want);
            int halo = sw__morph_halo(k, r), top = 8, rows = 6;
            int y0 = top - halo, y1 = top + rows + halo;
            memcpy(a, mask + y0 * MW, (size_t)(y1 - y0) * MW);
            sw__morph(k, r, a, MW, y1 - y0, halo, rows, got, work);
            assert_memory_equal(got, want + top * MW, (size_t)rows * MW);
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_irmad),    cmocka_unit_test(test_diff_magnitude), cmocka_unit_test(test_logratio),
        cmocka_unit_test(test_box_filter), cmocka_unit_test(test_pcakm),       cmocka_unit_test(test_texture),
        cmocka_unit_test(test_morph),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
