/*
 * cva.c: change vector analysis on standardized bands.
 *
 * Each date's bands are standardized with that date's own mean and
 * standard deviation (over pixels valid on both dates), so a global gain
 * and offset between dates cancels; the score is the length of the
 * difference vector, sqrt(sum_b (z2_b - z1_b)^2).
 */
#include <math.h>
#include <stdlib.h>

#include "kernels.h"
#include "method.h"

void sw__model_clear(sw__model *m)
{
    for (int d = 0; d < 2; d++) {
        free(m->mean[d]);
        free(m->isd[d]);
    }
    free(m->rho);
    free(m->A);
    free(m->B);
    free(m->c);
    free(m->a_raw);
    free(m->b_raw);
    free(m->sigma);
    free(m->norm_a);
    free(m->norm_rsd);
    free(m->norm_c);
    free(m->lr_level);
    free(m->pk_vec);
    free(m->pk_mean);
    free(m->pk_cent);
    *m = (sw__model){0};
}

int sw__cva_fit(sw_ctx *ctx, sw__model *m, const float *x, const float *y, int64_t n, int nb)
{
    if (n < 2)
        return sw__err(ctx, SW_ENODATA, "too few valid pixels to standardize bands");
    m->nb = nb;
    const float *src[2] = {x, y};
    for (int d = 0; d < 2; d++) {
        m->mean[d] = calloc((size_t)nb, sizeof(double));
        m->isd[d] = calloc((size_t)nb, sizeof(double));
        if (!m->mean[d] || !m->isd[d])
            return sw__err(ctx, SW_ENOMEM, "out of memory");
        for (int b = 0; b < nb; b++) {
            /* Two passes: mean, then centred sum of squares. */
            double s = 0.0;
            for (int64_t i = 0; i < n; i++)
                s += src[d][i * nb + b];
            double mu = s / (double)n, ss = 0.0;
            for (int64_t i = 0; i < n; i++) {
                double v = src[d][i * nb + b] - mu;
                ss += v * v;
            }
            double sd = sqrt(ss / (double)(n - 1));
            m->mean[d][b] = mu;
            m->isd[d][b] = sd > 1e-12 * (fabs(mu) + 1.0) ? 1.0 / sd : 0.0;
        }
    }
    return 0;
}

void sw__cva_score(const sw__model *m, const float *restrict x, const float *restrict y,
                   const uint8_t *restrict valid, int64_t n, float *restrict score)
{
    const int nb = m->nb;
    float sx[64], sy[64], off[64];
    for (int b = 0; b < nb && b < 64; b++) {
        sx[b] = (float)m->isd[0][b];
        sy[b] = (float)m->isd[1][b];
        off[b] = (float)(m->mean[1][b] * m->isd[1][b] - m->mean[0][b] * m->isd[0][b]);
    }
    for (int64_t i = 0; i < n; i++) {
        if (!valid[i]) {
            score[i] = NAN;
            continue;
        }
        const float *px = x + i * nb, *py = y + i * nb;
        float s = 0.0f;
        for (int b = 0; b < nb; b++) {
            float d = py[b] * sy[b] - px[b] * sx[b] - off[b];
            s += d * d;
        }
        score[i] = sqrtf(s);
    }
}

/* ---- the plug-in ---- */

static int cva_fit(void *state, sw_ctx *ctx, const sw__method_env *env, const float *x, const float *y, int64_t n)
{
    int rc = sw__cva_fit(ctx, state, x, y, n, env->nb);
    return rc ? rc : sw__noise_fit(ctx, state, SW__NOISE_STANDARDIZED, x, y, n);
}

/* The magnitude unchanged ground exceeds with probability 0.1, were its
 * standardized differences Gaussian with the bands' no-change spread. */
static double cva_floor(const void *state)
{
    return fmax(0.25, sw__classic_noise_floor(state));
}

static void cva_pixels(const void *state, const float *restrict x, const float *restrict y,
                       const uint8_t *restrict valid, int64_t n, float *restrict score)
{
    sw__cva_score(state, x, y, valid, n, score);
}

const sw__method sw__method_cva = {
    .name = "cva",
    .help = "change-vector magnitude of the per-date standardized bands",
    .score_power = 1,
    .open = sw__classic_open,
    .fit = cva_fit,
    .pixels = cva_pixels,
    .floor = cva_floor,
    .describe = sw__classic_describe,
    .free = sw__classic_free,
};
