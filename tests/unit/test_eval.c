/* test_eval.c: scores from a confusion matrix, eval of change maps and of
 * score maps (curves checked against brute force) on tiny rasters written
 * to GDAL's /vsimem/. */
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

static void write_f32(const char *path, const float *v, int w, int h)
{
    GDALAllRegister();
    GDALDatasetH ds = GDALCreate(GDALGetDriverByName("GTiff"), path, w, h, 1, GDT_Float32, NULL);
    GDALSetRasterNoDataValue(GDALGetRasterBand(ds, 1), -9999);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Write, 0, 0, w, h, (void *)v, w, h,
                                  GDT_Float32, 0, 0), CE_None);
    GDALClose(ds);
}

/* The curves by brute force over pixels (s, t) with t in {0, 1}: AUC by
 * counting pairs, AP and best F1 by every distinct threshold. */
static void brute(const float *s, const uint8_t *t, int n, double *auc, double *ap, double *f1, float *thr)
{
    double P = 0, N = 0, good = 0;
    for (int i = 0; i < n; i++)
        *(t[i] ? &P : &N) += 1;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            if (t[i] && !t[j])
                good += s[i] > s[j] ? 1.0 : s[i] == s[j] ? 0.5 : 0.0;
    *auc = good / (P * N);
    *ap = 0;
    *f1 = -1;
    double prev_tp = 0;
    /* thresholds from the highest score down */
    float last = INFINITY;
    for (;;) {
        float v = -INFINITY;
        for (int i = 0; i < n; i++)
            if (s[i] < last && s[i] > v)
                v = s[i];
        if (v == -INFINITY)
            break;
        double tp = 0, fp = 0;
        for (int i = 0; i < n; i++)
            if (s[i] >= v)
                *(t[i] ? &tp : &fp) += 1;
        *ap += (tp - prev_tp) / P * (tp / (tp + fp));
        prev_tp = tp;
        double f = 2 * tp / (2 * tp + fp + (P - tp));
        if (f > *f1) {
            *f1 = f;
            *thr = v;
        }
        last = v;
    }
}

static void test_score_curves(void **state)
{
    (void)state;
    enum { W = 20, H = 10, N = W * H };
    float s1[N], s2[N], all_s[2 * N];
    uint8_t t1[N], t2[N], all_t[2 * N];
    int n = 0;
    srand(7);
    for (int i = 0; i < N; i++) {
        /* integer scores 0..99 (distinct on the log scale, ties among
         * equal values), change more likely at higher scores; map 2 on a
         * larger scale (x 10); some nodata */
        int v = rand() % 100;
        t1[i] = (uint8_t)((rand() % 100) < v ? 255 : 0);
        s1[i] = i % 37 == 5 ? -9999.0f : (float)v;
        int v2 = rand() % 100;
        t2[i] = (uint8_t)((rand() % 100) < v2 / 2 ? 255 : 0);
        s2[i] = i % 41 == 3 ? NAN : 10.0f * (float)v2;
    }
    for (int i = 0; i < N; i++) {
        if (s1[i] != -9999.0f) {
            all_s[n] = s1[i];
            all_t[n++] = t1[i] != 0;
        }
    }
    int n1 = n;
    for (int i = 0; i < N; i++)
        if (!isnan(s2[i])) {
            all_s[n] = s2[i];
            all_t[n++] = t2[i] != 0;
        }
    write_f32("/vsimem/s1.tif", s1, W, H);
    write_f32("/vsimem/s2.tif", s2, W, H);
    write_u8("/vsimem/t1.tif", t1, W, H, -1);
    write_u8("/vsimem/t2.tif", t2, W, H, -1);
    sw_ctx *c = sw_ctx_new();
    sw_score_hist h;
    sw_score_summary sm;
    double auc, ap, f1;
    float thr;

    /* one map */
    assert_int_equal(sw_score_hist_init(c, &h), 0);
    assert_int_equal(sw_eval_score_range(c, "/vsimem/s1.tif", &h), 0);
    assert_int_equal(sw_eval_score_pair(c, "/vsimem/s1.tif", "/vsimem/t1.tif", NULL, &h, NULL), 0);
    sw_score_summarize(&h, &sm);
    brute(all_s, all_t, n1, &auc, &ap, &f1, &thr);
    assert_int_equal(sm.change + sm.nochange, n1);
    assert_int_equal(h.ignored, N - n1); /* the nodata pixels */
    assert_true(fabs(sm.roc_auc - auc) < 1e-9);
    assert_true(fabs(sm.average_precision - ap) < 1e-9);
    sw_scores sc;
    sw_scores_compute(&sm.best, &sc);
    assert_true(fabs(sc.f1 - f1) < 1e-9);
    assert_true(fabs(sm.best_threshold - thr) < 1e-3 * (1 + thr)); /* a bin's lower edge */
    assert_true(auc > 0.6 && auc < 0.95); /* the case is neither trivial nor hopeless */
    sw_score_hist_free(&h);

    /* two maps pooled on one scale */
    assert_int_equal(sw_score_hist_init(c, &h), 0);
    assert_int_equal(sw_eval_score_range(c, "/vsimem/s1.tif", &h), 0);
    assert_int_equal(sw_eval_score_range(c, "/vsimem/s2.tif", &h), 0);
    assert_int_equal(sw_eval_score_pair(c, "/vsimem/s1.tif", "/vsimem/t1.tif", NULL, &h, NULL), 0);
    assert_int_equal(sw_eval_score_pair(c, "/vsimem/s2.tif", "/vsimem/t2.tif", NULL, &h, NULL), 0);
    sw_score_summarize(&h, &sm);
    brute(all_s, all_t, n, &auc, &ap, &f1, &thr);
    assert_true(fabs(sm.roc_auc - auc) < 1e-9);
    assert_true(fabs(sm.average_precision - ap) < 1e-9);
    sw_scores_compute(&sm.best, &sc);
    assert_true(fabs(sc.f1 - f1) < 1e-9);
    sw_score_hist_free(&h);

    /* separable: AUC 1, F1 1 at the first changed score; reversed: AUC 0 */
    float sep[N];
    for (int i = 0; i < N; i++)
        sep[i] = t1[i] ? 50.0f + (float)(i % 7) : (float)(i % 9);
    write_f32("/vsimem/sep.tif", sep, W, H);
    assert_int_equal(sw_score_hist_init(c, &h), 0);
    assert_int_equal(sw_eval_score_range(c, "/vsimem/sep.tif", &h), 0);
    assert_int_equal(sw_eval_score_pair(c, "/vsimem/sep.tif", "/vsimem/t1.tif", NULL, &h, NULL), 0);
    sw_score_summarize(&h, &sm);
    sw_scores_compute(&sm.best, &sc);
    assert_true(sm.roc_auc == 1.0 && sc.f1 == 1.0 && sm.average_precision == 1.0);
    assert_true(sm.best_threshold > 8.0 && sm.best_threshold <= 50.0);
    sw_score_hist_free(&h);
    for (int i = 0; i < N; i++)
        sep[i] = -sep[i];
    write_f32("/vsimem/sep.tif", sep, W, H);
    assert_int_equal(sw_score_hist_init(c, &h), 0);
    assert_int_equal(sw_eval_score_range(c, "/vsimem/sep.tif", &h), 0);
    assert_int_equal(sw_eval_score_pair(c, "/vsimem/sep.tif", "/vsimem/t1.tif", NULL, &h, NULL), 0);
    sw_score_summarize(&h, &sm);
    assert_true(sm.roc_auc == 0.0);
    sw_score_hist_free(&h);

    /* a truth without change: the best is to flag nothing (F1 1 by
     * convention), at a threshold above every score; AUC undefined */
    const uint8_t zeros[N] = {0};
    write_u8("/vsimem/t0.tif", zeros, W, H, -1);
    assert_int_equal(sw_score_hist_init(c, &h), 0);
    assert_int_equal(sw_eval_score_range(c, "/vsimem/s1.tif", &h), 0);
    assert_int_equal(sw_eval_score_pair(c, "/vsimem/s1.tif", "/vsimem/t0.tif", NULL, &h, NULL), 0);
    sw_score_summarize(&h, &sm);
    sw_scores_compute(&sm.best, &sc);
    assert_true(isnan(sm.roc_auc) && isnan(sm.average_precision));
    assert_true(isinf(sm.best_threshold) && sm.best.fp == 0 && sc.f1 == 1.0);
    sw_score_hist_free(&h);

    /* a score map and a truth of other sizes: an error naming both */
    write_f32("/vsimem/s_small.tif", s1, W / 2, H);
    assert_int_equal(sw_score_hist_init(c, &h), 0);
    assert_int_equal(sw_eval_score_pair(c, "/vsimem/s_small.tif", "/vsimem/t1.tif", NULL, &h, NULL), SW_EMISMATCH);
    assert_non_null(strstr(sw_ctx_errmsg(c), "/vsimem/s_small.tif"));
    sw_score_hist_free(&h);
    sw_ctx_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scores),
        cmocka_unit_test(test_eval_encodings),
        cmocka_unit_test(test_score_curves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
