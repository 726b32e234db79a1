/*
 * detect_int.h: the change methods' shared shape. Each method is fitted
 * on a sample of pixels valid on both dates (fit), then scores strips of
 * pixels with a tight kernel (score) that reads pixel-interleaved floats
 * and writes NaN where a pixel is invalid. A plain reference version of
 * each kernel lives in the unit tests.
 */
#ifndef SW_DETECT_INT_H
#define SW_DETECT_INT_H

#include "../sw_int.h"

typedef struct sw__model {
    sw_method method;
    int nb;
    /* cva: per date and band, mean and 1/sd (0 for a constant band) */
    double *mean[2], *isd[2];
    /* irmad: k variates scaled by 1/sigma: score = sum_i (A_i.x - B_i.y - c_i)^2 */
    int k, iterations;
    double *rho;       /* canonical correlations, k, descending */
    float *A, *B, *c;  /* k x nb, k x nb, k */
    double *a_raw, *b_raw; /* unscaled, for the summary */
    double *sigma;     /* standard deviation of each MAD variate */
} sw__model;

void sw__model_clear(sw__model *m);

/* x, y: n pixels x nb bands, valid on both dates. */
int sw__cva_fit(sw_ctx *ctx, sw__model *m, const float *x, const float *y, int64_t n, int nb);
void sw__cva_score(const sw__model *m, const float *restrict x, const float *restrict y,
                   const uint8_t *restrict valid, int64_t n, float *restrict score);

int sw__irmad_fit(sw_ctx *ctx, sw__model *m, const float *x, const float *y, int64_t n, int nb,
                  int max_iter);
void sw__irmad_score(const sw__model *m, const float *restrict x, const float *restrict y,
                     const uint8_t *restrict valid, int64_t n, float *restrict score);

#endif
