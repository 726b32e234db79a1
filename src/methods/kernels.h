/*
 * kernels.h: the numerical kernels the change methods are made of. Each is
 * fitted on a sample of pixels valid on both dates, then scores pixels with
 * a tight loop that reads pixel-interleaved floats and writes NaN where a
 * pixel is invalid. sw__model is the parameter block these kernels share
 * (standardization, normalization, IR-MAD's transform, ...); a method's
 * plug-in (method.h) decides which of them it fits and runs. A plain
 * reference version of each kernel lives in the unit tests.
 */
#ifndef SW_KERNELS_H
#define SW_KERNELS_H

#include "../sw_int.h"

typedef struct sw__model {
    int nb;
    /* cva: per date and band, mean and 1/sd (0 for a constant band) */
    double *mean[2], *isd[2];
    /* irmad: k variates scaled by 1/sigma: score = sum_i (A_i.x - B_i.y - c_i)^2 */
    int k, iterations;
    double *rho;       /* canonical correlations, k, descending */
    float *A, *B, *c;  /* k x nb, k x nb, k */
    double *a_raw, *b_raw; /* unscaled, for the summary */
    double *sigma;     /* standard deviation of each MAD variate */
    /* relative radiometric normalization of AFTER: y' = (y - norm_c) / norm_a
     * per band (NULL: none), and the invariant pixels it was fitted on */
    double *norm_a, *norm_c;
    double *norm_rsd;      /* per band: spread of BEFORE - y' over the invariant pixels */
    int64_t norm_pixels;
    /* logratio: per band, the signed log-ratio of unchanged ground (a gain
     * between the dates), subtracted before the magnitude (NULL: none) */
    double *lr_level;
    /* cva, diff, logratio: the no-change spread of each band's signed
     * difference (log-ratio), root mean square over bands (0: unknown) */
    double noise_spread;
    /* pcakm: principal directions of h x h blocks of the CVA magnitude, and
     * the two k-means centroids in their space (pk_change: which is change) */
    int pk_s, pk_change;
    double *pk_vec, *pk_mean, *pk_cent;
} sw__model;

enum { SW__PCAKM_H = 5 };
/* The h x h block of the difference image d (rows_in x width) around
 * (x, y), invalid or outside neighbours replaced by the centre. */
void sw__pcakm_block(const float *d, const uint8_t *valid, int64_t width, int rows, int y, int64_t x,
                     float *out);
/* PCA of n blocks (n x h^2), k-means with k = 2 in the leading components. */
int sw__pcakm_fit(sw_ctx *ctx, sw__model *m, const float *blocks, int64_t n);
/* The difference image PCA-k-means works on: AFTER normalized onto BEFORE
 * (when the model holds a normalization) minus BEFORE, each band in units of
 * BEFORE's spread; without a normalization, the CVA magnitude. */
void sw__pcakm_difference(const sw__model *m, const float *restrict x, const float *restrict y,
                          const uint8_t *restrict valid, int64_t n, float *restrict d);
/* Scores rows [top, top + rows_out) of the difference image d: squared
 * distance to the no-change centroid minus that to the change centroid. */
void sw__pcakm_score(const sw__model *m, const float *d, const uint8_t *valid, int64_t width, int rows_in,
                     int top, int rows_out, float *score);

void sw__model_clear(sw__model *m);

/* x, y: n pixels x nb bands, valid on both dates. */
int sw__cva_fit(sw_ctx *ctx, sw__model *m, const float *x, const float *y, int64_t n, int nb);
void sw__cva_score(const sw__model *m, const float *restrict x, const float *restrict y,
                   const uint8_t *restrict valid, int64_t n, float *restrict score);


int sw__irmad_fit(sw_ctx *ctx, sw__model *m, const float *x, const float *y, int64_t n, int nb,
                  int max_iter);
void sw__irmad_score(const sw__model *m, const float *restrict x, const float *restrict y,
                     const uint8_t *restrict valid, int64_t n, float *restrict score);

/* Mean of each band over the valid pixels of a (2r+1)^2 window. in and
 * valid hold rows_in full-width rows (pixel-interleaved, nb <= 64 bands);
 * rows [top, top + rows_out) are filtered into out and out_valid (a pixel
 * stays valid when its centre is). */
void sw__box_filter(const float *restrict in, const uint8_t *restrict valid, int64_t width, int rows_in,
                    int nb, int r, int top, int rows_out, float *restrict out, uint8_t *restrict out_valid);
/* |normalized AFTER - BEFORE| over the bands: in the bands' units, or with
 * noise_units in units of each band's spread over the invariant pixels. */
void sw__diff_magnitude(const sw__model *m, const float *restrict x, const float *restrict y,
                        const uint8_t *restrict valid, int64_t n, int noise_units, float *restrict score);
/* Plain difference magnitude of raw values (AFTER normalized when m holds
 * a normalization); NaN where invalid. */
void sw__diff_score(const sw__model *m, const float *restrict x, const float *restrict y,
                    const uint8_t *restrict valid, int64_t n, float *restrict score);
/* Relative radiometric normalization: fits IR-MAD on the sample, takes the
 * pixels whose no-change probability exceeds 0.9 as invariant, and fits
 * AFTER onto BEFORE per band by orthogonal regression on them. Fills
 * m->norm_a, m->norm_c. */
int sw__normalize_fit(sw_ctx *ctx, sw__model *m, const float *x, const float *y, int64_t n, int nb);
/* What unchanged ground looks like to a method, from the shortest half of
 * each band's signed difference over the sample (sw__shorth: robust to
 * change on up to half the scene, and to its skew): m->noise_spread, and
 * for logratio each band's no-change level in m->lr_level (a gain between
 * the dates). The differences: cva, of the standardized bands; diff, of
 * the raw values, AFTER normalized where m holds a normalization; logratio,
 * log(B + 1) - log(A + 1). m holds the standardization (sw__cva_fit). */
typedef enum sw__noise_kind {
    SW__NOISE_STANDARDIZED, /* cva: differences of the standardized bands */
    SW__NOISE_RAW,          /* diff: of the raw values (AFTER normalized when m holds it) */
    SW__NOISE_LOGRATIO      /* logratio: of log(B + 1) - log(A + 1); also fills lr_level */
} sw__noise_kind;
int sw__noise_fit(sw_ctx *ctx, sw__model *m, sw__noise_kind kind, const float *x, const float *y, int64_t n);
/* SAR log-ratio: sqrt(mean_b (log(B+1) - log(A+1) - level_b)^2), level_b
 * from m->lr_level (0 without); NaN where invalid. */
void sw__logratio_score(const sw__model *m, const float *restrict x, const float *restrict y,
                        const uint8_t *restrict valid, int64_t n, float *restrict score);

/* The learned detector on one strip: x, y, valid hold rows_in full-width
 * rows (pixel-interleaved, nb bands), of which rows [top, top + rows_out)
 * are scored into score (rows_out x width); the others are context. m
 * holds the scene's standardization (sw__cva_fit); scale is the input's
 * pixel size over the model's. */
struct sw_model;
/* The rows [*ya, *yb) a strip [y0, y0 + rows) must be read with: its
 * context, started on the model's pooling grid so that results do not
 * depend on how the scene is cut into strips. */
void sw__learned_window(const struct sw_model *net, double scale, int64_t y0, int rows, int64_t height,
                        int64_t *ya, int64_t *yb);
/* sel: model band b is input band sel[b] of m->nb (NULL: the same bands).
 * tta: non-zero averages the network over each tile's four mirror images. */
int sw__learned_score(sw_ctx *ctx, const sw__model *m, const struct sw_model *net, const int *sel, double scale,
                      int tta, const float *x, const float *y, const uint8_t *valid, int64_t width, int rows_in,
                      int top, int rows_out, float *score);

#endif
