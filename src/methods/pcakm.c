/*
 * pcakm.c: PCA and k-means change detection (Celik 2009), over strips.
 *
 * The difference image D is AFTER, normalized onto BEFORE on IR-MAD's
 * invariant pixels (ratio.c), minus BEFORE, each band in units of its
 * spread over those pixels (its no-change noise), as a magnitude; without a
 * normalization (--normalize off) the CVA magnitude of the per-date
 * standardized bands. Each pixel is
 * described by the h x h block of D around it (h = 5), projected onto the
 * principal components of such blocks that explain 90 % of their variance;
 * k-means (k = 2) on a sample of these vectors separates change from no
 * change, the cluster whose blocks hold the larger differences being
 * change. A pixel's score is how much nearer it is to the change centroid
 * than to the other (squared distances): positive means change, so the
 * natural threshold is 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <lapacke.h>

#include "kernels.h"
#include "method.h"

enum { H = SW__PCAKM_H, R = SW__PCAKM_H / 2, K = H * H };

void sw__pcakm_difference(const sw__model *m, const float *restrict x, const float *restrict y,
                          const uint8_t *restrict valid, int64_t n, float *restrict d)
{
    if (!m->norm_a) {
        sw__cva_score(m, x, y, valid, n, d);
        return;
    }
    sw__diff_magnitude(m, x, y, valid, n, 1, d);
}

void sw__pcakm_block(const float *d, const uint8_t *valid, int64_t width, int rows, int y, int64_t x,
                     float *out)
{
    float c = d[(size_t)y * width + x];
    int k = 0;
    for (int dy = -R; dy <= R; dy++)
        for (int dx = -R; dx <= R; dx++) {
            int yy = y + dy;
            int64_t xx = x + dx;
            float v = c;
            if (yy >= 0 && yy < rows && xx >= 0 && xx < width && valid[(size_t)yy * width + xx])
                v = d[(size_t)yy * width + xx];
            out[k++] = v;
        }
}

int sw__pcakm_fit(sw_ctx *ctx, sw__model *m, const float *blocks, int64_t n)
{
    if (n < 100)
        return sw__err(ctx, SW_ENODATA, "PCA-k-means: too few blocks (%lld)", (long long)n);
    double mean[K] = {0}, cov[K * K] = {0}, ev[K];
    for (int64_t i = 0; i < n; i++)
        for (int a = 0; a < K; a++)
            mean[a] += blocks[i * K + a];
    for (int a = 0; a < K; a++)
        mean[a] /= (double)n;
    for (int64_t i = 0; i < n; i++)
        for (int a = 0; a < K; a++) {
            double da = blocks[i * K + a] - mean[a];
            for (int b = a; b < K; b++)
                cov[a * K + b] += da * (blocks[i * K + b] - mean[b]);
        }
    for (int a = 0; a < K; a++)
        for (int b = a; b < K; b++)
            cov[b * K + a] = cov[a * K + b] /= (double)(n - 1);
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', K, cov, K, ev) != 0)
        return sw__err(ctx, SW_ENUMERIC, "PCA-k-means: eigen-decomposition failed");
    double total = 0, acc = 0;
    for (int a = 0; a < K; a++)
        total += ev[a] > 0 ? ev[a] : 0;
    int s = 0;
    while (s < K && (s == 0 || acc < 0.9 * total)) {
        acc += ev[K - 1 - s] > 0 ? ev[K - 1 - s] : 0;
        s++;
    }
    m->pk_s = s;
    m->pk_mean = malloc(K * sizeof(double));
    m->pk_vec = malloc((size_t)s * K * sizeof(double));
    m->pk_cent = calloc(2 * (size_t)s, sizeof(double));
    double *f = malloc((size_t)n * (size_t)s * sizeof(double));
    if (!m->pk_mean || !m->pk_vec || !m->pk_cent || !f) {
        free(f);
        return sw__err(ctx, SW_ENOMEM, "out of memory in PCA-k-means");
    }
    memcpy(m->pk_mean, mean, sizeof mean);
    for (int j = 0; j < s; j++)
        for (int a = 0; a < K; a++)
            m->pk_vec[j * K + a] = cov[a * K + (K - 1 - j)]; /* eigenvectors are columns, ascending */
    /* Features of the sample, and each block's mean difference. */
    int64_t lo = 0, hi = 0;
    double *bmean = malloc((size_t)n * sizeof *bmean);
    if (!bmean) {
        free(f);
        return sw__err(ctx, SW_ENOMEM, "out of memory in PCA-k-means");
    }
    for (int64_t i = 0; i < n; i++) {
        double sm = 0;
        for (int a = 0; a < K; a++)
            sm += blocks[i * K + a];
        bmean[i] = sm / K;
        if (bmean[i] < bmean[lo])
            lo = i;
        if (bmean[i] > bmean[hi])
            hi = i;
        for (int j = 0; j < s; j++) {
            double v = 0;
            for (int a = 0; a < K; a++)
                v += m->pk_vec[j * K + a] * (blocks[i * K + a] - mean[a]);
            f[i * s + j] = v;
        }
    }
    /* k-means, started from the blocks of least and most difference. */
    double *c = m->pk_cent;
    for (int j = 0; j < s; j++) {
        c[j] = f[lo * s + j];
        c[s + j] = f[hi * s + j];
    }
    for (int it = 0; it < 100; it++) {
        double sum[2 * K] = {0}, dsum[2] = {0};
        int64_t cnt[2] = {0, 0};
        for (int64_t i = 0; i < n; i++) {
            double d0 = 0, d1 = 0;
            for (int j = 0; j < s; j++) {
                double a = f[i * s + j] - c[j], b = f[i * s + j] - c[s + j];
                d0 += a * a;
                d1 += b * b;
            }
            int k = d1 < d0;
            cnt[k]++;
            dsum[k] += bmean[i];
            for (int j = 0; j < s; j++)
                sum[k * K + j] += f[i * s + j];
        }
        double move = 0;
        for (int k = 0; k < 2; k++)
            for (int j = 0; j < s && cnt[k]; j++) {
                double nv = sum[k * K + j] / (double)cnt[k];
                move += fabs(nv - c[k * s + j]);
                c[k * s + j] = nv;
            }
        m->pk_change = (cnt[1] ? dsum[1] / (double)cnt[1] : 0) >= (cnt[0] ? dsum[0] / (double)cnt[0] : 0);
        if (move < 1e-9)
            break;
    }
    free(f);
    free(bmean);
    return 0;
}

void sw__pcakm_score(const sw__model *m, const float *d, const uint8_t *valid, int64_t width, int rows_in,
                     int top, int rows_out, float *score)
{
    const int s = m->pk_s, ch = m->pk_change, nc = !ch;
    float blk[K];
    for (int k = 0; k < rows_out; k++) {
        int y = top + k;
        for (int64_t x = 0; x < width; x++) {
            float *o = score + (size_t)k * width + x;
            if (!valid[(size_t)y * width + x]) {
                *o = NAN;
                continue;
            }
            sw__pcakm_block(d, valid, width, rows_in, y, x, blk);
            double dc = 0, dn = 0;
            for (int j = 0; j < s; j++) {
                double v = 0;
                for (int a = 0; a < K; a++)
                    v += m->pk_vec[j * K + a] * (blk[a] - m->pk_mean[a]);
                double a1 = v - m->pk_cent[ch * s + j], a2 = v - m->pk_cent[nc * s + j];
                dc += a1 * a1;
                dn += a2 * a2;
            }
            *o = (float)(dn - dc);
        }
    }
}

/* ---- the plug-in ---- */

/* PCA-k-means learns from blocks of the difference image: rows spread
 * over the scene are read with their block's context, the difference is
 * computed on them, and blocks are taken every few columns. */
typedef struct blocks {
    const sw__model *m;
    int64_t colstep, n;
    float *d, *out;
} blocks;

static int take_blocks(void *user, sw_ctx *ctx, const sw__strip *in)
{
    (void)ctx;
    blocks *b = user;
    sw__pcakm_difference(b->m, in->x, in->y, in->valid, in->width * in->rows_in, b->d);
    for (int64_t x = b->colstep / 2; x < in->width; x += b->colstep)
        if (in->valid[(size_t)in->top * in->width + x])
            sw__pcakm_block(b->d, in->valid, in->width, in->rows_in, in->top, x, b->out + b->n++ * K);
    return 0;
}

static int blocks_fit(sw__model *m, sw_ctx *ctx, const sw__method_env *env)
{
    enum { MAXROWS = 256, MAXBLOCKS = 100000 };
    const int64_t W = env->width;
    int64_t nrows = env->height < MAXROWS ? env->height : MAXROWS;
    blocks b = {.m = m, .colstep = (W * nrows + MAXBLOCKS - 1) / MAXBLOCKS};
    if (b.colstep < 1)
        b.colstep = 1;
    b.d = malloc(sizeof(float) * (size_t)W * (2 * R + 1));
    b.out = malloc(sizeof(float) * (size_t)(nrows * ((W + b.colstep - 1) / b.colstep) + 1) * K);
    int rc = !b.d || !b.out ? sw__err(ctx, SW_ENOMEM, "out of memory")
                            : sw__method_spread_rows(ctx, env, MAXROWS, R, take_blocks, &b);
    if (rc == 0)
        rc = sw__pcakm_fit(ctx, m, b.out, b.n);
    free(b.d);
    free(b.out);
    return rc;
}

static int pcakm_fit_sample(void *state, sw_ctx *ctx, const sw__method_env *env, const float *x, const float *y,
                            int64_t n)
{
    int rc = sw__cva_fit(ctx, state, x, y, n, env->nb);
    if (rc == 0 && env->opts->normalize)
        rc = sw__normalize_fit(ctx, state, x, y, n, env->nb);
    return rc ? rc : blocks_fit(state, ctx, env);
}

static size_t pcakm_scratch(const void *state, int64_t width, int rows_in)
{
    (void)state;
    return (size_t)width * (size_t)rows_in * sizeof(float);
}

/* The difference image over every row read, then blocks of it. */
static int pcakm_strip(const void *state, sw_ctx *ctx, const sw__strip *in, void *scratch, float *restrict score)
{
    (void)ctx;
    float *d = scratch;
    sw__pcakm_difference(state, in->x, in->y, in->valid, in->width * in->rows_in, d);
    sw__pcakm_score(state, d, in->valid, in->width, in->rows_in, in->top, in->rows_out, score);
    return 0;
}

/* Positive scores are nearer the change centroid. */
static int pcakm_threshold(const void *state, double *t, const char **rule)
{
    (void)state;
    *t = 0.0;
    *rule = "k-means";
    return 1;
}

const sw__method sw__method_pcakm = {
    .name = "pcakm",
    .help = "PCA of 5x5 blocks of the normalized difference, and k-means (Celik 2009)",
    .context = R,
    .open = sw__classic_open,
    .fit = pcakm_fit_sample,
    .scratch_bytes = pcakm_scratch,
    .strip = pcakm_strip,
    .threshold = pcakm_threshold,
    .describe = sw__classic_describe,
    .free = sw__classic_free,
};
