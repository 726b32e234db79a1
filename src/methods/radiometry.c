/*
 * radiometry.c: the kernels of the plain detectors (diff, logratio), their
 * neighbourhood pre-filter, relative radiometric normalization and the
 * no-change spread.
 *
 *   diff      length of the difference vector of the raw values, for dates
 *             already on one radiometric scale
 *   logratio  for SAR amplitudes: |log((B + 1) / (A + 1)) - level| per
 *             band, the root mean square over bands; speckle is tamed first
 *             by a 3x3 mean of each date (the box pre-filter below), which
 *             is what makes the ratio usable on single-look imagery. The
 *             level is the log-ratio of unchanged ground: a calibration
 *             gain between SAR dates, or the sun and exposure between
 *             optical ones (a gray pair), which would otherwise read as
 *             change everywhere
 *
 * The box pre-filter averages each band over the valid pixels of a
 * (2r+1)^2 window; rows outside the strip are reflected at the image's
 * edges by the caller handing the context rows it has.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"

void sw__box_filter(const float *restrict in, const uint8_t *restrict valid, int64_t width, int rows_in,
                    int nb, int r, int top, int rows_out, float *restrict out, uint8_t *restrict out_valid)
{
    for (int k = 0; k < rows_out; k++) {
        int yc = top + k;
        for (int64_t x = 0; x < width; x++) {
            size_t o = (size_t)k * (size_t)width + (size_t)x;
            size_t c = (size_t)yc * (size_t)width + (size_t)x;
            out_valid[o] = valid[c];
            float acc[64] = {0};
            int n = 0;
            for (int dy = -r; dy <= r; dy++) {
                int yy = yc + dy;
                if (yy < 0 || yy >= rows_in)
                    continue;
                for (int dx = -r; dx <= r; dx++) {
                    int64_t xx = x + dx;
                    if (xx < 0 || xx >= width)
                        continue;
                    size_t s = (size_t)yy * (size_t)width + (size_t)xx;
                    if (!valid[s])
                        continue;
                    for (int b = 0; b < nb; b++)
                        acc[b] += in[s * nb + b];
                    n++;
                }
            }
            for (int b = 0; b < nb; b++)
                out[o * nb + b] = n ? acc[b] / (float)n : 0.0f;
        }
    }
}

void sw__diff_magnitude(const sw__model *m, const float *restrict x, const float *restrict y,
                        const uint8_t *restrict valid, int64_t n, int noise_units, float *restrict score)
{
    const int nb = m->nb;
    float ga[64], gc[64], s[64];
    for (int b = 0; b < nb && b < 64; b++) {
        ga[b] = m->norm_a ? (float)(1.0 / m->norm_a[b]) : 1.0f;
        gc[b] = m->norm_a ? (float)(m->norm_c[b] / m->norm_a[b]) : 0.0f;
        s[b] = !noise_units ? 1.0f
               : m->norm_rsd && m->norm_rsd[b] > 0 ? (float)(1.0 / m->norm_rsd[b]) : (float)m->isd[0][b];
    }
    for (int64_t i = 0; i < n; i++) {
        if (!valid[i]) {
            score[i] = NAN;
            continue;
        }
        float v = 0.0f;
        for (int b = 0; b < nb; b++) {
            float d = (y[i * nb + b] * ga[b] - gc[b] - x[i * nb + b]) * s[b];
            v += d * d;
        }
        score[i] = sqrtf(v);
    }
}

void sw__diff_score(const sw__model *m, const float *restrict x, const float *restrict y,
                    const uint8_t *restrict valid, int64_t n, float *restrict score)
{
    sw__diff_magnitude(m, x, y, valid, n, 0, score);
}

int sw__normalize_fit(sw_ctx *ctx, sw__model *m, const float *x, const float *y, int64_t n, int nb)
{
    sw__model im = {0};
    int rc = sw__irmad_fit(ctx, &im, x, y, n, nb, 30);
    if (rc) {
        sw__model_clear(&im);
        return rc;
    }
    float *chi = malloc((size_t)n * sizeof *chi);
    uint8_t *ones = malloc((size_t)n);
    m->norm_a = calloc((size_t)nb, sizeof(double));
    m->norm_c = calloc((size_t)nb, sizeof(double));
    m->norm_rsd = calloc((size_t)nb, sizeof(double));
    if (!chi || !ones || !m->norm_a || !m->norm_c || !m->norm_rsd) {
        free(chi);
        free(ones);
        sw__model_clear(&im);
        return sw__err(ctx, SW_ENOMEM, "out of memory normalizing");
    }
    memset(ones, 1, (size_t)n);
    sw__irmad_score(&im, x, y, ones, n, chi);
    double cut = sw__chi2_quantile(0.1, im.k); /* P(no change) > 0.9 */
    for (int b = 0; b < nb && rc == 0; b++) {
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        int64_t k = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!(chi[i] <= cut))
                continue;
            double a = x[i * nb + b], c = y[i * nb + b];
            sx += a;
            sy += c;
            k++;
        }
        if (k < 50) {
            rc = sw__err(ctx, SW_ENUMERIC, "normalization: only %lld invariant pixels", (long long)k);
            break;
        }
        double mx = sx / (double)k, my = sy / (double)k;
        for (int64_t i = 0; i < n; i++) {
            if (!(chi[i] <= cut))
                continue;
            double a = x[i * nb + b] - mx, c = y[i * nb + b] - my;
            sxx += a * a;
            syy += c * c;
            sxy += a * c;
        }
        /* Major axis of the invariant cloud: y = slope x + intercept. */
        double slope = sxy != 0.0 ? (syy - sxx + sqrt((syy - sxx) * (syy - sxx) + 4 * sxy * sxy)) / (2 * sxy)
                                  : (sxx > 0 ? sqrt(syy / sxx) : 1.0);
        if (!(slope > 1e-6) || !isfinite(slope))
            slope = 1.0;
        m->norm_a[b] = slope;
        m->norm_c[b] = my - slope * mx;
        double r2 = 0;
        for (int64_t i = 0; i < n; i++) {
            if (!(chi[i] <= cut))
                continue;
            double e = (y[i * nb + b] - m->norm_c[b]) / slope - x[i * nb + b];
            r2 += e * e;
        }
        m->norm_rsd[b] = sqrt(r2 / (double)k);
        m->norm_pixels = k;
    }
    free(chi);
    free(ones);
    sw__model_clear(&im);
    return rc;
}

static float log_ratio(float a, float c)
{
    /* amplitudes are non-negative; clamp stray negatives from resampling */
    return logf((c > 0.0f ? c : 0.0f) + 1.0f) - logf((a > 0.0f ? a : 0.0f) + 1.0f);
}

int sw__noise_fit(sw_ctx *ctx, sw__model *m, sw__noise_kind method, const float *x, const float *y, int64_t n)
{
    const int nb = m->nb;
    int64_t step = sw__shorth_step(n);
    float *d = malloc((size_t)(n / step + 1) * sizeof *d);
    if (method == SW__NOISE_LOGRATIO)
        m->lr_level = calloc((size_t)nb, sizeof(double));
    if (!d || (method == SW__NOISE_LOGRATIO && !m->lr_level)) {
        free(d);
        return sw__err(ctx, SW_ENOMEM, "out of memory fitting the no-change spread");
    }
    double var = 0.0;
    for (int b = 0; b < nb; b++) {
        /* the linear kinds: gy * y - gx * x - off */
        double gx = 1.0, gy = 1.0, off = 0.0;
        if (method == SW__NOISE_STANDARDIZED) {
            gx = m->isd[0][b];
            gy = m->isd[1][b];
            off = m->mean[1][b] * gy - m->mean[0][b] * gx;
        } else if (m->norm_a) {
            gy = 1.0 / m->norm_a[b];
            off = m->norm_c[b] / m->norm_a[b];
        }
        int64_t k = 0;
        for (int64_t i = 0; i < n; i += step)
            d[k++] = method == SW__NOISE_LOGRATIO ? log_ratio(x[i * nb + b], y[i * nb + b])
                                                  : (float)(y[i * nb + b] * gy - x[i * nb + b] * gx - off);
        double sd, level = sw__shorth(d, k, &sd);
        if (m->lr_level)
            m->lr_level[b] = level;
        var += sd * sd;
    }
    m->noise_spread = sqrt(var / nb);
    free(d);
    return 0;
}

void sw__logratio_score(const sw__model *m, const float *restrict x, const float *restrict y,
                        const uint8_t *restrict valid, int64_t n, float *restrict score)
{
    const int nb = m->nb;
    float level[64] = {0};
    for (int b = 0; b < nb && b < 64 && m->lr_level; b++)
        level[b] = (float)m->lr_level[b];
    for (int64_t i = 0; i < n; i++) {
        if (!valid[i]) {
            score[i] = NAN;
            continue;
        }
        float s = 0.0f;
        for (int b = 0; b < nb; b++) {
            float l = log_ratio(x[i * nb + b], y[i * nb + b]) - level[b];
            s += l * l;
        }
        score[i] = sqrtf(s / (float)nb);
    }
}
