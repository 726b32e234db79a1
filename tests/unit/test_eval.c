/* test_eval.c: scores from a confusion matrix, and eval on tiny rasters
 * written to GDAL's /vsimem/. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gdal.h>

#include "sitewatch/eval.h"

static void test_scores(void **state)
{
    (void)state;
    sw_confusion c = {.tp = 10, .fp = 5, .fn = 5, .tn = 80};
    sw_scores s;
    sw_scores_compute(&c, &s);
    assert_true(fabs(s.precision - 2.0 / 3.0) < 1e-12);
    assert_true(fabs(s.recall - 2.0 / 3.0) < 1e-12);
    assert_true(fabs(s.f1 - 2.0 / 3.0) < 1e-12);
    assert_true(fabs(s.iou - 0.5) < 1e-12);
    assert_true(fabs(s.overall_accuracy - 0.9) < 1e-12);
    /* pe = (15*15 + 85*85) / 100^2 = 0.745; kappa = 0.155 / 0.255 */
    assert_true(fabs(s.kappa - 0.155 / 0.255) < 1e-12);
    sw_confusion empty = {.tn = 50};
    sw_scores_compute(&empty, &s);
    assert_true(s.f1 == 1.0 && s.precision == 0.0);
}

static void write_u8(const char *path, const uint8_t *v, int w, int h, int nodata)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path, w, h, 1, GDT_Byte, NULL);
    if (nodata >= 0)
        GDALSetRasterNoDataValue(GDALGetRasterBand(ds, 1), nodata);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, w, h, (void *)v, w, h,
                                  GDT_Byte, 0, 0), CE_None);
    GDALClose(ds);
}

static void test_eval_encodings(void **state)
{
    (void)state;
    /* pred: 0 no change, 1 change, 255 nodata (as mask.tif) */
    const uint8_t pred[8] = {1, 1, 0, 0, 1, 255, 0, 1};
    const uint8_t t12[8] = {2, 1, 2, 1, 2, 2, 1, 0};   /* 1/2 with one 0 = unlabelled */
    write_u8("/vsimem/p.tif", pred, 4, 2, 255);
    write_u8("/vsimem/t12.tif", t12, 4, 2, -1);
    sw_ctx *c = sw_ctx_new();
    sw_confusion cm;
    sw_truth_encoding used;
    assert_int_equal(sw_eval_pair(c, "/vsimem/p.tif", "/vsimem/t12.tif", NULL, &cm, &used), 0);
    assert_int_equal(used, SW_TRUTH_1_2);
    /* pixel: 0 TP, 1 FP, 2 FN, 3 TN, 4 TP, 5 nodata, 6 TN, 7 unlabelled */
    assert_int_equal(cm.tp, 2);
    assert_int_equal(cm.fp, 1);
    assert_int_equal(cm.fn, 1);
    assert_int_equal(cm.tn, 2);
    assert_int_equal(cm.ignored, 2);

    const uint8_t t255[8] = {255, 0, 255, 0, 200, 0, 0, 9};
    write_u8("/vsimem/t255.tif", t255, 4, 2, -1);
    sw_eval_opts o;
    sw_eval_opts_init(&o);
    o.ignore_value = 9;
    assert_int_equal(sw_eval_pair(c, "/vsimem/p.tif", "/vsimem/t255.tif", &o, &cm, &used), 0);
    assert_int_equal(used, SW_TRUTH_GT127);
    assert_int_equal(cm.tp, 2);
    assert_int_equal(cm.fn, 1);
    assert_int_equal(cm.ignored, 2);

    /* Size mismatch is an error naming both files. */
    write_u8("/vsimem/small.tif", pred, 2, 2, -1);
    assert_int_equal(sw_eval_pair(c, "/vsimem/p.tif", "/vsimem/small.tif", NULL, &cm, NULL), SW_EMISMATCH);
    assert_non_null(strstr(sw_ctx_errmsg(c), "/vsimem/small.tif"));
    assert_int_equal(sw_eval_pair(c, "/vsimem/nope.tif", "/vsimem/p.tif", NULL, &cm, NULL), SW_EIO);
    sw_ctx_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores),
        cmocka_unit_test(test_eval_encodings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
