/*
 * test_model.c: the C engine against PyTorch on the shipped model, and
 * model files that must be refused.
 *
 * models/reference/ref*.bin hold standardized input tiles and the
 * probabilities the exporter's PyTorch twin of the folded network computed
 * for them in float64 (train/train.py, write_reference).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zlib.h>

#include "methods/kernels.h"
#include "sitewatch/model.h"

static unsigned char *slurp(const char *path, long *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)*size);
    if (fread(b, 1, (size_t)*size, f) != (size_t)*size) {
        free(b);
        b = NULL;
    }
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, long n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
}

/* Each shipped model (file, prefix of its reference tiles) run by the C
 * engine on PyTorch's reference tiles. */
static void test_matches_pytorch(void **state)
{
    (void)state;
    static const char *const models[][2] = {{SW_TEST_MODEL, "ref"}, {SW_TEST_MODEL_3M, "buildings-3m-ref"}};
    sw_ctx *c = sw_ctx_new();
    for (int k = 0; k < 2; k++) {
        sw_model *m = sw_model_load(c, models[k][0]);
        if (!m)
            fail_msg("%s", sw_ctx_errmsg(c));
        for (int t = 0; t < 2; t++) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s%d.bin", SW_TEST_MODEL_REF, models[k][1], t);
            long size;
            unsigned char *b = slurp(path, &size);
            assert_non_null(b);
            uint32_t h, w;
            assert_memory_equal(b, "SWRT", 4);
            memcpy(&h, b + 4, 4);
            memcpy(&w, b + 8, 4);
            size_t n = (size_t)h * w, nb = (size_t)sw_model_bands(m);
            assert_int_equal((size_t)size, 12 + 4 * (2 * nb * n + n));
            const float *a = (const float *)(b + 12), *bb = a + nb * n, *want = bb + nb * n;
            float *got = malloc(n * sizeof *got);
            assert_int_equal(sw_model_run(c, m, a, bb, (int)h, (int)w, got), 0);
            double maxd = 0;
            for (size_t i = 0; i < n; i++)
                maxd = fmax(maxd, fabs((double)got[i] - want[i]));
            if (maxd >= 1e-4)
                fail_msg("%s tile %d (%ux%u): max |C - PyTorch| = %g", models[k][0], t, w, h, maxd);
            printf("%s tile %d (%ux%u): max |C - PyTorch| = %.3g\n", models[k][1], t, w, h, maxd);
            free(got);
            free(b);
        }
        sw_model_free(m);
    }
    sw_ctx_free(c);
}

/* A W x H pair of 3 bands: smooth ground, and blocks of change whose
 * strength grows from left to right, so that any model leaves some pixels
 * undecided. */
static void make_pair(int W, int H, float **x, float **y, uint8_t **v)
{
    const int nb = 3;
    *x = malloc(sizeof(float) * W * H * nb);
    *y = malloc(sizeof(float) * W * H * nb);
    *v = malloc((size_t)W * H);
    memset(*v, 1, (size_t)W * H);
    srand(5);
    for (int i = 0; i < W * H; i++)
        for (int b = 0; b < nb; b++) {
            int px = i % W, py = i / W;
            float base = (float)(sin(px * 0.05 + b) * cos(py * 0.07) + 0.2 * rand() / RAND_MAX);
            (*x)[i * nb + b] = base;
            (*y)[i * nb + b] = base + ((px / 40 + py / 40) % 5 == 0 ? 2.0f * px / W : 0.0f);
        }
}

/* Standardization that leaves the inputs as they are. */
static void identity_std(sw__model *st, int nb)
{
    memset(st, 0, sizeof *st);
    st->nb = nb;
    for (int d = 0; d < 2; d++) {
        st->mean[d] = calloc((size_t)nb, sizeof(double));
        st->isd[d] = malloc((size_t)nb * sizeof(double));
        for (int b = 0; b < nb; b++)
            st->isd[d][b] = 1.0;
    }
}

static void test_tiles_do_not_seam(void **state)
{
    (void)state;
    sw_ctx *c = sw_ctx_new();
    sw_model *m = sw_model_load(c, SW_TEST_MODEL);
    assert_non_null(m);
    const int W = 520, H = 200, nb = 3; /* more than two 256-column tiles wide */
    float *x, *y;
    uint8_t *v;
    make_pair(W, H, &x, &y, &v);
    sw__model st;
    identity_std(&st, nb);
    /* Whole image in one strip versus strips of 20 rows with context, with
     * and without test-time augmentation (each tile mirrored whole). */
    float *whole = malloc(sizeof(float) * W * H), *strips = malloc(sizeof(float) * W * H);
    for (int tta = 0; tta < 2; tta++) {
        assert_int_equal(sw__learned_score(c, &st, m, NULL, 1.0, tta, x, y, v, W, H, 0, H, whole), 0);
        for (int y0 = 0; y0 < H; y0 += 20) {
            int rows = H - y0 < 20 ? H - y0 : 20;
            int64_t ya, yb;
            sw__learned_window(m, 1.0, y0, rows, H, &ya, &yb);
            assert_int_equal(sw__learned_score(c, &st, m, NULL, 1.0, tta, x + (size_t)ya * W * nb,
                                               y + (size_t)ya * W * nb, v + (size_t)ya * W, W, (int)(yb - ya),
                                               (int)(y0 - ya), rows, strips + (size_t)y0 * W),
                             0);
        }
        double maxd = 0;
        int mid = 0;
        for (int i = 0; i < W * H; i++) {
            maxd = fmax(maxd, fabs(whole[i] - strips[i]));
            mid += whole[i] > 0.001 && whole[i] < 0.999;
        }
        printf("tta %d: strips of 20 rows vs one strip: max difference %.3g (%d pixels with 0.001 < p < 0.999)\n",
               tta, maxd, mid);
        assert_true(mid > 100); /* the comparison covers undecided pixels, not only saturated ones */
        if (maxd > 1e-5)
            fail_msg("tiling changes probabilities by %g (tta %d)", maxd, tta);
    }
    sw__model_clear(&st);
    free(x);
    free(y);
    free(v);
    free(whole);
    free(strips);
    sw_model_free(m);
    sw_ctx_free(c);
}

/* Pixel (i, j) of orientation o (0 as is, 1 left-right, 2 both, 3
 * top-bottom) of a W x H image: the index of the original pixel. */
static int mirrored(int o, int i, int j, int W, int H)
{
    int si = o == 1 || o == 2 ? W - 1 - i : i, sj = o >= 2 ? H - 1 - j : j;
    return sj * W + si;
}

/* Test-time augmentation against its plain reference: the model run on the
 * four mirror images of the whole scene, each result mirrored back, and
 * averaged. On sides that are multiples of the model's (no padding) the two
 * must agree; and the mean must differ from the single run. */
static void test_tta_is_the_mean_of_mirror_images(void **state)
{
    (void)state;
    sw_ctx *c = sw_ctx_new();
    sw_model *m = sw_model_load(c, SW_TEST_MODEL);
    assert_non_null(m);
    const int mult = sw_model_multiple(m), W = 24 * mult, H = 16 * mult, nb = 3;
    float *x, *y;
    uint8_t *v;
    make_pair(W, H, &x, &y, &v);
    sw__model st;
    identity_std(&st, nb);
    float *mx = malloc(sizeof(float) * W * H * nb), *my = malloc(sizeof(float) * W * H * nb);
    float *p = malloc(sizeof(float) * W * H), *plain = malloc(sizeof(float) * W * H);
    float *tta = malloc(sizeof(float) * W * H);
    double *ref = calloc((size_t)W * H, sizeof(double));
    for (int o = 0; o < 4; o++) {
        for (int j = 0; j < H; j++)
            for (int i = 0; i < W; i++)
                for (int b = 0; b < nb; b++) {
                    mx[(j * W + i) * nb + b] = x[mirrored(o, i, j, W, H) * nb + b];
                    my[(j * W + i) * nb + b] = y[mirrored(o, i, j, W, H) * nb + b];
                }
        assert_int_equal(sw__learned_score(c, &st, m, NULL, 1.0, 0, mx, my, v, W, H, 0, H, p), 0);
        for (int j = 0; j < H; j++)
            for (int i = 0; i < W; i++)
                ref[mirrored(o, i, j, W, H)] += 0.25 * p[j * W + i];
        if (o == 0)
            memcpy(plain, p, sizeof(float) * W * H);
    }
    assert_int_equal(sw__learned_score(c, &st, m, NULL, 1.0, 1, x, y, v, W, H, 0, H, tta), 0);
    double maxd = 0, moved = 0;
    for (int i = 0; i < W * H; i++) {
        maxd = fmax(maxd, fabs(tta[i] - ref[i]));
        moved = fmax(moved, fabs(tta[i] - plain[i]));
    }
    printf("tta vs the mean of four mirrored runs: max difference %.3g; vs one run: %.3g\n", maxd, moved);
    if (maxd > 1e-5)
        fail_msg("test-time augmentation differs from its reference by %g", maxd);
    assert_true(moved > 1e-3);
    sw__model_clear(&st);
    free(x);
    free(y);
    free(v);
    free(mx);
    free(my);
    free(p);
    free(plain);
    free(tta);
    free(ref);
    sw_model_free(m);
    sw_ctx_free(c);
}

static void expect_refused(const unsigned char *b, long n, const char *needle)
{
    const char *path = "/tmp/sw-test-bad.swm";
    spit(path, b, n);
    sw_ctx *c = sw_ctx_new();
    sw_model *m = sw_model_load(c, path);
    if (m)
        fail_msg("a bad model file was accepted (%s)", needle);
    if (!strstr(sw_ctx_errmsg(c), needle))
        fail_msg("message '%s' lacks '%s'", sw_ctx_errmsg(c), needle);
    sw_ctx_free(c);
    remove(path);
}

static void test_bad_files_refused(void **state)
{
    (void)state;
    long n;
    unsigned char *b = slurp(SW_TEST_MODEL, &n);
    assert_non_null(b);
    expect_refused(b, n / 2, "checksum mismatch");       /* truncated */
    expect_refused(b, 10, "bad magic");                   /* far too short */
    unsigned char *c = malloc((size_t)n);
    memcpy(c, b, (size_t)n);
    c[n / 2] ^= 0x40;                                     /* one flipped bit */
    expect_refused(c, n, "checksum mismatch");
    memcpy(c, b, (size_t)n);
    c[0] = 'X';
    expect_refused(c, n, "bad magic");
    /* A header that lies about a layer's shape, with a valid checksum. */
    memcpy(c, b, (size_t)n);
    char *p = strstr((char *)c + 16, "\"cin\": 3");
    assert_non_null(p);
    p[7] = '4';
    uint32_t crc = (uint32_t)crc32(0L, c, (uInt)(n - 4));
    memcpy(c + n - 4, &crc, 4);
    expect_refused(c, n, "layer 0 should be enc0.0");
    /* Header values out of range, each with a valid checksum: the first
     * occurrence of `from` (the header's, before the provenance's) becomes
     * `to`, of the same length. */
    static const char *const bad[][3] = {
        {"\"threshold\": 0.2", "\"threshold\": 2.0", "threshold must be a probability"},
        {"\"bands\": 3", "\"bands\": 0", "bad depth, bands"},
        {"\"gsd_m\": 0.5", "\"gsd_m\": 0.0", "bad depth, bands, halo, gsd"},
        {"\"depth\": 4", "\"depth\": 9", "bad depth"},
        {"\"dtype\": \"f16\"", "\"dtype\": \"i16\"", "weights must be f16 or f32"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        memcpy(c, b, (size_t)n);
        char *q = strstr((char *)c + 16, bad[k][0]);
        assert_non_null(q);
        memcpy(q, bad[k][1], strlen(bad[k][1]));
        crc = (uint32_t)crc32(0L, c, (uInt)(n - 4));
        memcpy(c + n - 4, &crc, 4);
        expect_refused(c, n, bad[k][2]);
    }
    /* A version from the future. */
    memcpy(c, b, (size_t)n);
    c[8] = 9;
    crc = (uint32_t)crc32(0L, c, (uInt)(n - 4));
    memcpy(c + n - 4, &crc, 4);
    expect_refused(c, n, "version 9");
    free(c);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_matches_pytorch),
        cmocka_unit_test(test_tiles_do_not_seam),
        cmocka_unit_test(test_tta_is_the_mean_of_mirror_images),
        cmocka_unit_test(test_bad_files_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
