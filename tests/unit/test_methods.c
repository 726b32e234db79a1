/* test_methods.c: CVA and IR-MAD kernels and fits on generated samples. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "methods/kernels.h"

static double randn(void)
{
    double u1 = (rand() + 1.0) / ((double)RAND_MAX + 2.0), u2 = rand() / ((double)RAND_MAX + 1.0);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

enum { N = 20000, NB = 4 };

/* Date 1: correlated bands; date 2: a per-band gain/offset of date 1 plus
 * noise; the first `changed` pixels get a large change in bands 0-1. */
static void make_pair(float *x, float *y, int changed, double noise)
{
    for (int i = 0; i < N; i++) {
        double base = 1000 + 300 * randn();
        for (int b = 0; b < NB; b++)
            x[i * NB + b] = (float)(base * (1.0 + 0.2 * b) + 50 * randn());
        for (int b = 0; b < NB; b++)
            y[i * NB + b] = (float)(1.1 * x[i * NB + b] + 40.0 * b - 20 + noise * randn());
        if (i < changed) {
            y[i * NB + 0] += 900.0f;
            y[i * NB + 1] -= 700.0f;
        }
    }
}

static void test_cva_ignores_gain_offset(void **state)
{
    (void)state;
    srand(11);
    float *x = malloc(sizeof(float) * N * NB), *y = malloc(sizeof(float) * N * NB);
    float *s = malloc(sizeof(float) * N);
    uint8_t *v = malloc(N);
    memset(v, 1, N);
    make_pair(x, y, 0, 0.0);
    sw__model m = {0};
    assert_int_equal(sw__cva_fit(NULL, &m, x, y, N, NB), 0);
    sw__cva_score(&m, x, y, v, N, s);
    for (int i = 0; i < N; i++)
        assert_true(s[i] < 2e-3f);
    /* A real change reads as change; an invalid pixel is NaN. */
    make_pair(x, y, 100, 10.0);
    sw__model_clear(&m);
    sw__cva_fit(NULL, &m, x, y, N, NB);
    v[5000] = 0;
    sw__cva_score(&m, x, y, v, N, s);
    assert_true(isnan(s[5000]));
    double in = 0, out = 0;
    for (int i = 0; i < 100; i++)
        in += s[i];
    for (int i = 100; i < 5000; i++)
        out += s[i];
    assert_true(in / 100 > 10.0 * out / 4900);
    /* Against the plain formula. */
    for (int i = 0; i < 50; i++) {
        double acc = 0;
        for (int b = 0; b < NB; b++) {
            double z1 = (x[i * NB + b] - m.mean[0][b]) * m.isd[0][b];
            double z2 = (y[i * NB + b] - m.mean[1][b]) * m.isd[1][b];
            acc += (z2 - z1) * (z2 - z1);
        }
        assert_true(fabs(sqrt(acc) - s[i]) < 1e-3 * (1 + sqrt(acc)));
    }
    sw__model_clear(&m);
    free(x);
    free(y);
    free(s);
    free(v);
}

static void test_irmad_separates_change(void **state)
{
    (void)state;
    srand(12);
    float *x = malloc(sizeof(float) * N * NB), *y = malloc(sizeof(float) * N * NB);
    float *s = malloc(sizeof(float) * N);
    uint8_t *v = malloc(N);
    memset(v, 1, N);
    make_pair(x, y, 1000, 30.0);
    sw__model m = {0};
    assert_int_equal(sw__irmad_fit(NULL, &m, x, y, N, NB, 30), 0);
    assert_int_equal(m.k, NB);
    assert_true(m.iterations >= 2);
    sw__irmad_score(&m, x, y, v, N, s);
    /* Unchanged pixels follow chi-square with k dof (mean k); the changed
     * ones are far out. */
    double mean_un = 0;
    int flagged_changed = 0, flagged_un = 0;
    double t = sw__chi2_quantile(0.99, m.k);
    for (int i = 1000; i < N; i++) {
        mean_un += s[i];
        flagged_un += s[i] > t;
    }
    mean_un /= (N - 1000);
    for (int i = 0; i < 1000; i++)
        flagged_changed += s[i] > t;
    if (!(mean_un > 0.7 * NB && mean_un < 1.3 * NB))
        fail_msg("mean chi2 of unchanged pixels %.3f, want about %d", mean_un, NB);
    assert_true(flagged_changed > 990);
    assert_true(flagged_un < 0.03 * (N - 1000));
    sw__model_clear(&m);
    free(x);
    free(y);
    free(s);
    free(v);
}

static void test_irmad_duplicate_and_constant_bands(void **state)
{
    (void)state;
    srand(13);
    float *x = malloc(sizeof(float) * N * NB), *y = malloc(sizeof(float) * N * NB);
    make_pair(x, y, 500, 30.0);
    /* Band 1 duplicates band 0; band 3 is constant on both dates. */
    for (int i = 0; i < N; i++) {
        x[i * NB + 1] = x[i * NB + 0];
        y[i * NB + 1] = y[i * NB + 0];
        x[i * NB + 3] = 7.0f;
        y[i * NB + 3] = 9.0f;
    }
    sw__model m = {0};
    assert_int_equal(sw__irmad_fit(NULL, &m, x, y, N, NB, 30), 0);
    assert_int_equal(m.k, 2);
    for (int i = 0; i < m.k; i++)
        assert_true(m.rho[i] >= 0.0 && m.rho[i] <= 1.0);
    sw__model_clear(&m);
    free(x);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cva_ignores_gain_offset),
        cmocka_unit_test(test_irmad_separates_change),
        cmocka_unit_test(test_irmad_duplicate_and_constant_bands),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
