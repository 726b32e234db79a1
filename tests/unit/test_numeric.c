/* test_numeric.c: the chi-square distribution, Otsu and quantiles, as data. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sw_int.h"

/* Reference values computed with mpmath (30 digits): the regularized lower
 * incomplete gamma P(k/2, x/2). */
static const struct { double x, k, cdf; } cdf_cases[] = {
    {1.0, 1, 0.6826894921370859}, {3.841458820694124, 1, 0.95}, {13.27670403692, 4, 0.98999999956951},
    {2.0, 2, 0.6321205588285577}, {0.5, 3, 0.08110858834532447}, {30.0, 10, 0.9991433587892247},
    {100.0, 26, 0.9999999998716507}, {15.0, 26, 0.04266586753927492},
};

static void test_chi2_cdf(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cdf_cases / sizeof cdf_cases[0]; i++) {
        double got = sw__chi2_cdf(cdf_cases[i].x, cdf_cases[i].k);
        if (fabs(got - cdf_cases[i].cdf) > 2e-8)
            fail_msg("chi2_cdf(%g, %g) = %.12g, want %.12g", cdf_cases[i].x, cdf_cases[i].k, got,
                     cdf_cases[i].cdf);
    }
    assert_true(sw__chi2_cdf(0.0, 3) == 0.0);
}

static void test_chi2_sf_int(void **state)
{
    (void)state;
    for (int k = 1; k <= 30; k++)
        for (double x = 0.01; x < 80.0; x *= 1.37) {
            double want = 1.0 - sw__chi2_cdf(x, k), got = sw__chi2_sf_int(x, k);
            if (fabs(got - want) > 1e-12 + 1e-9 * want)
                fail_msg("chi2_sf_int(%g, %d) = %.15g, want %.15g", x, k, got, want);
        }
    assert_true(sw__chi2_sf_int(0.0, 5) == 1.0);
}

static void test_chi2_quantile(void **state)
{
    (void)state;
    assert_true(fabs(sw__chi2_quantile(0.99, 4) - 13.276704) < 1e-5);
    assert_true(fabs(sw__chi2_quantile(0.95, 1) - 3.841459) < 1e-5);
    assert_true(fabs(sw__chi2_quantile(0.999, 13) - 34.528179) < 1e-5);
    for (double p = 0.05; p < 1.0; p += 0.1)
        assert_true(fabs(sw__chi2_cdf(sw__chi2_quantile(p, 7), 7) - p) < 1e-9);
}

static void test_otsu_bimodal(void **state)
{
    (void)state;
    /* Two peaks at bins 20 and 80 of 100 over [0, 10]: the split lies between. */
    int64_t h[100] = {0};
    for (int i = 0; i < 100; i++) {
        h[i] = (int64_t)(1000.0 * exp(-0.5 * (i - 20) * (i - 20) / 16.0) +
                         300.0 * exp(-0.5 * (i - 80) * (i - 80) / 16.0));
    }
    double t = sw__otsu(h, 100, 0.0, 10.0);
    assert_true(t > 4.0 && t < 6.5);
    /* Moving the upper peak moves the threshold up. */
    int64_t g[100] = {0};
    for (int i = 0; i < 100; i++)
        g[i] = (int64_t)(1000.0 * exp(-0.5 * (i - 20) * (i - 20) / 16.0) +
                         300.0 * exp(-0.5 * (i - 95) * (i - 95) / 4.0));
    assert_true(sw__otsu(g, 100, 0.0, 10.0) > t);
}

static void test_kittler(void **state)
{
    (void)state;
    /* A big narrow class at 20 and a small wide one at 70: the minimum-
     * error split sits between them, nearer the narrow class than the
     * midpoint, and moves down when the wide class widens. */
    int64_t h[100];
    for (int i = 0; i < 100; i++)
        h[i] = (int64_t)(10000.0 * exp(-0.5 * (i - 20) * (i - 20) / 9.0) +
                         500.0 * exp(-0.5 * (i - 70) * (i - 70) / 100.0));
    double t = sw__kittler(h, 100, 0.0, 100.0);
    if (!(t > 26.0 && t < 45.0))
        fail_msg("KI threshold %g", t);
    int64_t g[1] = {5};
    assert_true(sw__kittler(g, 1, 0.0, 1.0) == 1.0); /* no split possible: Otsu's answer */
}

static void test_quantile(void **state)
{
    (void)state;
    float v[101];
    for (int i = 0; i <= 100; i++)
        v[i] = (float)((i * 37) % 101); /* a permutation of 0..100 */
    assert_true(sw__quantile(v, 101, 0.5) == 50.0f);
    assert_true(sw__quantile(v, 101, 0.0) == 0.0f);
    assert_true(sw__quantile(v, 101, 1.0) == 100.0f);
    assert_true(sw__quantile(v, 101, 0.98) == 98.0f);
}

static void test_shorth(void **state)
{
    (void)state;
    /* Standard Gaussian values (Box-Muller, a fixed LCG) shifted to 2, then
     * a share s of them replaced by "change" far away: the level stays at 2;
     * the spread is 1 without change and grows as the change takes the
     * place of unchanged values in the shortest half, which then holds the
     * central 0.5 / (1 - s) of the Gaussian: 2 Phi^-1(0.5 + 0.25 / (1 - s))
     * / 1.349 (the floors built on it are harder where much changed). The
     * midpoint converges slowly (as n^-1/3): within a tenth of the spread. */
    enum { N = 100000 };
    float *v = malloc(N * sizeof *v);
    const double share[3] = {0.0, 0.1, 0.4}, expect[3] = {1.000, 1.134, 2.050};
    for (int c = 0; c < 3; c++) {
        uint32_t st = 7;
        for (int i = 0; i < N; i += 2) {
            double u[2];
            for (int k = 0; k < 2; k++) {
                st = st * 1664525u + 1013904223u;
                u[k] = ((st >> 8) + 0.5) / 16777216.0;
            }
            double r = sqrt(-2.0 * log(u[0]));
            v[i] = (float)(2.0 + r * cos(6.283185307179586 * u[1]));
            v[i + 1] = (float)(2.0 + r * sin(6.283185307179586 * u[1]));
        }
        for (int i = 0; i < (int)(share[c] * N); i++)
            v[i] = 50.0f + (float)(i % 7);
        double sd, level = sw__shorth(v, N, &sd);
        assert_true(fabs(level - 2.0) < 0.1);
        assert_true(fabs(sd - expect[c]) < 0.03);
    }
    double sd;
    assert_true(sw__shorth(v, 1, &sd) == v[0] && sd == 0.0);
    free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chi2_cdf),
        cmocka_unit_test(test_chi2_sf_int),
        cmocka_unit_test(test_chi2_quantile),
        cmocka_unit_test(test_otsu_bimodal),
        cmocka_unit_test(test_kittler),
        cmocka_unit_test(test_quantile),
        cmocka_unit_test(test_shorth),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
