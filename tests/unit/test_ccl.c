/* test_ccl.c: the streaming labeller against a plain flood fill. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sw_int.h"

#include "flood.h"

static void check_random(unsigned seed, int w, int h, int density_pct, int64_t min_pixels)
{
    srand(seed);
    uint8_t *m = malloc((size_t)w * h);
    float *score = malloc(sizeof(float) * (size_t)w * h);
    for (int i = 0; i < w * h; i++) {
        m[i] = rand() % 100 < density_pct;
        score[i] = (float)(i % 7);
    }
    int32_t *ref = malloc(sizeof(int32_t) * (size_t)w * h);
    int64_t nref = flood(m, w, h, ref);
    int64_t *count = calloc((size_t)nref + 1, sizeof *count);
    for (int i = 0; i < w * h; i++)
        count[ref[i]]++;

    sw__ccl *c = sw__ccl_new(w);
    for (int y = 0; y < h; y++)
        assert_int_equal(sw__ccl_row(c, m + y * w, score + y * w, NULL), 0);
    assert_int_equal(sw__ccl_finish(c), nref);
    const sw__object *o = sw__ccl_objects(c);
    for (int64_t k = 0; k < nref; k++)
        assert_int_equal(o[k].npix, count[k + 1]);
    int64_t kept = sw__ccl_keep(c, min_pixels), want = 0;
    for (int64_t k = 1; k <= nref; k++)
        want += count[k] >= min_pixels;
    assert_int_equal(kept, want);

    /* Pass 2 maps every pixel to its component's final id. */
    sw__ccl_rewind(c);
    uint32_t *ids = malloc(sizeof(uint32_t) * (size_t)w);
    int64_t *final_of_ref = calloc((size_t)nref + 1, sizeof *final_of_ref);
    int64_t next = 0;
    for (int k = 1; k <= nref; k++)
        final_of_ref[k] = count[k] >= min_pixels ? ++next : 0;
    for (int y = 0; y < h; y++) {
        assert_int_equal(sw__ccl_row2(c, m + y * w, ids), 0);
        for (int x = 0; x < w; x++)
            assert_int_equal(ids[x], m[y * w + x] ? final_of_ref[ref[y * w + x]] : 0);
    }
    sw__ccl_free(c);
    free(m);
    free(score);
    free(ref);
    free(count);
    free(ids);
    free(final_of_ref);
}

static void test_random_masks(void **state)
{
    (void)state;
    check_random(1, 97, 61, 30, 1);
    check_random(2, 200, 150, 45, 5);   /* near percolation: long snakes */
    check_random(3, 64, 64, 60, 20);
    check_random(4, 1, 50, 50, 2);      /* one column */
    check_random(5, 50, 1, 50, 2);      /* one row */
}

static void test_u_shape_merges(void **state)
{
    (void)state;
    /* A U: two arms that meet only on the last row are one object. */
    const uint8_t m[4][5] = {{1, 0, 0, 0, 1}, {1, 0, 0, 0, 1}, {1, 0, 0, 0, 1}, {1, 1, 1, 1, 1}};
    sw__ccl *c = sw__ccl_new(5);
    for (int y = 0; y < 4; y++)
        sw__ccl_row(c, m[y], NULL, NULL);
    assert_int_equal(sw__ccl_finish(c), 1);
    const sw__object *o = sw__ccl_objects(c);
    assert_int_equal(o[0].npix, 11);
    assert_int_equal(o[0].xmin, 0);
    assert_int_equal(o[0].xmax, 4);
    assert_int_equal(o[0].ymax, 3);
    sw__ccl_free(c);
}


/* Slivers: one-pixel lines (straight and diagonal) go, a two-pixel-wide
 * line, a block and a short stub stay. */
static void test_slivers(void **state)
{
    (void)state;
    enum { W = 60, H = 40 };
    uint8_t m[W * H] = {0};
    for (int x = 2; x < 32; x++)
        m[2 * W + x] = 1; /* a 1 x 30 line */
    for (int i = 0; i < 20; i++)
        m[(6 + i) * W + 2 + i] = m[(6 + i) * W + 3 + i] = 1; /* a diagonal, 1 px across (4-connected) */
    for (int x = 30; x < 58; x++)
        m[30 * W + x] = m[31 * W + x] = 1; /* a 2 x 28 line */
    for (int y = 10; y < 16; y++)
        for (int x = 40; x < 46; x++)
            m[y * W + x] = 1; /* a 6 x 6 block */
    m[36 * W + 5] = m[36 * W + 6] = 1; /* a 1 x 2 stub: thin but short */
    sw__ccl *c = sw__ccl_new(W);
    for (int y = 0; y < H; y++)
        assert_int_equal(sw__ccl_row(c, m + y * W, NULL, NULL), 0);
    assert_int_equal(sw__ccl_finish(c), 5);
    const sw__object *o = sw__ccl_objects(c);
    double widths[5];
    for (int k = 0; k < 5; k++)
        widths[k] = sw__object_mean_width(&o[k]);
    /* objects in order of their first pixel: line, diagonal, block, 2-px line, stub */
    assert_true(fabs(widths[0] - 30 / hypot(30, 1)) < 1e-9);
    assert_true(widths[1] > 1.3 && widths[1] < 1.5);   /* 40 pixels over a 21 x 20 box */
    assert_true(fabs(widths[2] - 36 / hypot(6, 6)) < 1e-9);
    assert_true(fabs(widths[3] - 56 / hypot(28, 2)) < 1e-9);
    assert_int_equal(sw__ccl_keep_shaped(c, 1, 1.5), 3);
    assert_int_equal(o[0].id, 0);
    assert_int_equal(o[1].id, 0);
    assert_true(o[2].id > 0 && o[3].id > 0 && o[4].id > 0);
    /* Without the filter all stay. */
    assert_int_equal(sw__ccl_keep_shaped(c, 1, 0.0), 5);
    sw__ccl_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_masks),
        cmocka_unit_test(test_slivers),
        cmocka_unit_test(test_u_shape_merges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
