/*
 * irmad.c: iteratively reweighted multivariate alteration detection
 * (Nielsen 2007). The MAD variates are differences of canonical variates
 * of the two dates; each iteration weights every pixel by its chi-square
 * probability of no change and refits, so the fit comes to rest on the
 * unchanged pixels.
 *
 * Regularization: each date's covariance is whitened through its
 * eigen-decomposition, keeping only directions with variance above 1e-9 of
 * the largest, so duplicate or constant bands drop out instead of making
 * the problem singular; the canonical correlations are then the singular
 * values of the whitened cross-covariance. The score is
 * chi2 = sum_i MAD_i^2 / sigma_i^2 with k = number of variates kept.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lapacke.h>

#include "kernels.h"
#include "method.h"

enum { CHUNK = 4096, ITER_PIXELS = 100000 };

/* Weighted mean and covariance of the stacked vectors z = (x, y), 2nb wide. */
static int weighted_cov(const float *x, const float *y, const double *w, int64_t n, int nb,
                        double *mean, double *cov)
{
    const int p = 2 * nb;
    double *z = malloc((size_t)CHUNK * (size_t)p * sizeof *z);
    if (!z)
        return -1;
    double sw = 0.0;
    memset(mean, 0, (size_t)p * sizeof *mean);
    for (int64_t i = 0; i < n; i++) {
        sw += w[i];
        for (int b = 0; b < nb; b++) {
            mean[b] += w[i] * x[i * nb + b];
            mean[nb + b] += w[i] * y[i * nb + b];
        }
    }
    if (!(sw > 0.0)) {
        free(z);
        return -1;
    }
    for (int j = 0; j < p; j++)
        mean[j] /= sw;
    memset(cov, 0, (size_t)p * (size_t)p * sizeof *cov);
    for (int64_t i0 = 0; i0 < n; i0 += CHUNK) {
        int64_t m = n - i0 < CHUNK ? n - i0 : CHUNK;
        for (int64_t i = 0; i < m; i++) {
            double s = sqrt(w[i0 + i]);
            for (int b = 0; b < nb; b++) {
                z[i * p + b] = s * (x[(i0 + i) * nb + b] - mean[b]);
                z[i * p + nb + b] = s * (y[(i0 + i) * nb + b] - mean[nb + b]);
            }
        }
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, p, (int)m, 1.0, z, p, 1.0, cov, p);
    }
    for (int r = 0; r < p; r++)
        for (int c = r; c < p; c++) {
            cov[r * p + c] /= sw;
            cov[c * p + r] = cov[r * p + c];
        }
    free(z);
    return 0;
}

/* Whitening of the nb x nb block s: W (nb x r) with W' S W = I. Returns r. */
static int whiten(const double *s, int nb, int ld, double *W)
{
    double *a = malloc((size_t)nb * nb * sizeof *a), *ev = malloc((size_t)nb * sizeof *ev);
    if (!a || !ev) {
        free(a);
        free(ev);
        return -1;
    }
    for (int r = 0; r < nb; r++)
        for (int c = 0; c < nb; c++)
            a[r * nb + c] = s[r * ld + c];
    int r = -1;
    if (LAPACKE_dsyev(LAPACK_ROW_MAJOR, 'V', 'U', nb, a, nb, ev) == 0) {
        double top = ev[nb - 1];
        r = 0;
        for (int j = nb - 1; j >= 0; j--) {  /* largest first */
            if (!(top > 0.0) || ev[j] <= 1e-9 * top)
                break;
            double f = 1.0 / sqrt(ev[j]);
            for (int i = 0; i < nb; i++)
                W[i * nb + r] = a[i * nb + j] * f;
            r++;
        }
    }
    free(a);
    free(ev);
    return r;
}

int sw__irmad_fit(sw_ctx *ctx, sw__model *m, const float *x_all, const float *y_all, int64_t n_all,
                  int nb, int max_iter)
{
    /* The iterations estimate a few dozen moments: a regular subset of at
     * most ITER_PIXELS of the sample is plenty, and makes each one cheap.
     * The calibration below uses the whole sample. */
    int64_t stride = (n_all + ITER_PIXELS - 1) / ITER_PIXELS, n = (n_all + stride - 1) / stride;
    float *xs = NULL, *ys = NULL;
    const float *x = x_all, *y = y_all;
    if (stride > 1) {
        xs = malloc((size_t)n * (size_t)nb * sizeof *xs);
        ys = malloc((size_t)n * (size_t)nb * sizeof *ys);
        if (!xs || !ys) {
            free(xs);
            free(ys);
            return sw__err(ctx, SW_ENOMEM, "out of memory in IR-MAD");
        }
        for (int64_t i = 0; i < n; i++) {
            memcpy(xs + i * nb, x_all + i * stride * nb, (size_t)nb * sizeof *xs);
            memcpy(ys + i * nb, y_all + i * stride * nb, (size_t)nb * sizeof *ys);
        }
        x = xs;
        y = ys;
    }
    if (n < 2 * (int64_t)nb + 2) {
        free(xs);
        free(ys);
        return sw__err(ctx, SW_ENODATA, "too few valid pixels (%lld) for IR-MAD on %d bands",
                       (long long)n, nb);
    }
    const int p = 2 * nb;
    m->nb = nb;
    double *w = malloc((size_t)n * sizeof *w);
    double *mean = malloc((size_t)p * sizeof *mean), *cov = malloc((size_t)p * p * sizeof *cov);
    double *Wx = calloc((size_t)nb * nb, sizeof *Wx), *Wy = calloc((size_t)nb * nb, sizeof *Wy);
    double *K = malloc((size_t)nb * nb * sizeof *K), *U = malloc((size_t)nb * nb * sizeof *U);
    double *Vt = malloc((size_t)nb * nb * sizeof *Vt), *sv = malloc((size_t)nb * sizeof *sv);
    double *superb = malloc((size_t)nb * sizeof *superb), *prev = calloc((size_t)nb, sizeof *prev);
    m->a_raw = calloc((size_t)nb * nb, sizeof(double));
    m->b_raw = calloc((size_t)nb * nb, sizeof(double));
    m->rho = calloc((size_t)nb, sizeof(double));
    m->sigma = calloc((size_t)nb, sizeof(double));
    double *mu = calloc((size_t)p, sizeof *mu), *centre = calloc((size_t)nb, sizeof *centre);
    int rc = 0;
    if (!w || !mean || !cov || !Wx || !Wy || !K || !U || !Vt || !sv || !superb || !prev ||
        !m->a_raw || !m->b_raw || !m->rho || !m->sigma || !mu) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory in IR-MAD");
        goto done;
    }
    for (int64_t i = 0; i < n; i++)
        w[i] = 1.0;
    int k = 0, it;
    for (it = 0; it < max_iter; it++) {
        if (weighted_cov(x, y, w, n, nb, mean, cov) != 0) {
            rc = sw__err(ctx, SW_ENUMERIC, "IR-MAD: every pixel got zero weight");
            goto done;
        }
        int rx = whiten(cov, nb, p, Wx), ry = whiten(cov + (size_t)nb * p + nb, nb, p, Wy);
        if (rx < 1 || ry < 1) {
            rc = sw__err(ctx, SW_ENUMERIC, "IR-MAD: a date has no band with variance");
            goto done;
        }
        /* K = Wx' Sxy Wy (rx x ry) */
        for (int i = 0; i < rx; i++)
            for (int j = 0; j < ry; j++) {
                double s = 0.0;
                for (int a = 0; a < nb; a++)
                    for (int b = 0; b < nb; b++)
                        s += Wx[a * nb + i] * cov[a * p + nb + b] * Wy[b * nb + j];
                K[i * ry + j] = s;
            }
        if (LAPACKE_dgesvd(LAPACK_ROW_MAJOR, 'S', 'S', rx, ry, K, ry, sv, U, rx < ry ? rx : ry, Vt,
                           ry, superb) != 0) {
            rc = sw__err(ctx, SW_ENUMERIC, "IR-MAD: SVD did not converge");
            goto done;
        }
        k = rx < ry ? rx : ry;
        /* a_i = Wx U_i, b_i = Wy V_i: unit variance, correlation rho_i. */
        for (int i = 0; i < k; i++) {
            for (int a = 0; a < nb; a++) {
                double sa = 0.0, sb = 0.0;
                for (int j = 0; j < rx; j++)
                    sa += Wx[a * nb + j] * U[j * k + i];
                for (int j = 0; j < ry; j++)
                    sb += Wy[a * nb + j] * Vt[i * ry + j];
                m->a_raw[i * nb + a] = sa;
                m->b_raw[i * nb + a] = sb;
            }
            double r = sv[i] > 1.0 ? 1.0 : sv[i];
            m->rho[i] = r;
            double var = 2.0 * (1.0 - r);
            m->sigma[i] = sqrt(var > 1e-12 ? var : 1e-12);
        }
        memcpy(mu, mean, (size_t)p * sizeof *mu);
        double delta = 0.0;
        for (int i = 0; i < k; i++) {
            double d = fabs(m->rho[i] - prev[i]);
            if (d > delta)
                delta = d;
            prev[i] = m->rho[i];
        }
        /* New weights: probability of no change. */
        for (int64_t q = 0; q < n; q++) {
            double chi = 0.0;
            for (int i = 0; i < k; i++) {
                double v = 0.0;
                for (int b = 0; b < nb; b++)
                    v += m->a_raw[i * nb + b] * (x[q * nb + b] - mu[b]) -
                         m->b_raw[i * nb + b] * (y[q * nb + b] - mu[nb + b]);
                v /= m->sigma[i];
                chi += v * v;
            }
            w[q] = sw__chi2_sf_int(chi, k);
        }
        if (it > 0 && delta < 1e-6) {
            it++;
            break;
        }
    }
    m->k = k;
    m->iterations = it;
    /* Calibration: the reweighting shrinks the weighted variance of the
     * unchanged pixels iteration after iteration (their tails get small
     * weights), so 2(1 - rho) understates it and chi2 drifts high. Each
     * variate is centred on its median and scaled by 1.4826 times its median
     * absolute deviation, which estimates the no-change spread without
     * weights while ignoring up to half the pixels as change. */
    {
        float *v = malloc((size_t)n_all * sizeof *v);
        if (!v || !centre) {
            free(v);
            rc = sw__err(ctx, SW_ENOMEM, "out of memory in IR-MAD");
            goto done;
        }
        for (int i = 0; i < k; i++) {
            for (int64_t q = 0; q < n_all; q++) {
                double t = 0.0;
                for (int b = 0; b < nb; b++)
                    t += m->a_raw[i * nb + b] * (x_all[q * nb + b] - mu[b]) -
                         m->b_raw[i * nb + b] * (y_all[q * nb + b] - mu[nb + b]);
                v[q] = (float)t;
            }
            double med = sw__quantile(v, n_all, 0.5);
            for (int64_t q = 0; q < n_all; q++)
                v[q] = fabsf(v[q] - (float)med);
            double scale = 1.4826 * sw__quantile(v, n_all, 0.5);
            m->sigma[i] = scale > 1e-12 ? scale : m->sigma[i];
            centre[i] = med;
        }
        free(v);
    }
    m->A = malloc((size_t)k * nb * sizeof(float));
    m->B = malloc((size_t)k * nb * sizeof(float));
    m->c = malloc((size_t)k * sizeof(float));
    if (!m->A || !m->B || !m->c) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory in IR-MAD");
        goto done;
    }
    for (int i = 0; i < k; i++) {
        double c = centre[i] / m->sigma[i];
        for (int b = 0; b < nb; b++) {
            double a = m->a_raw[i * nb + b] / m->sigma[i], bb = m->b_raw[i * nb + b] / m->sigma[i];
            m->A[i * nb + b] = (float)a;
            m->B[i * nb + b] = (float)bb;
            c += a * mu[b] - bb * mu[nb + b];
        }
        m->c[i] = (float)c;
    }
done:
    free(w);
    free(mean);
    free(cov);
    free(Wx);
    free(Wy);
    free(K);
    free(U);
    free(Vt);
    free(sv);
    free(superb);
    free(prev);
    free(mu);
    free(centre);
    free(xs);
    free(ys);
    return rc;
}

void sw__irmad_score(const sw__model *m, const float *restrict x, const float *restrict y,
                     const uint8_t *restrict valid, int64_t n, float *restrict score)
{
    const int nb = m->nb, k = m->k;
    const float *A = m->A, *B = m->B, *c = m->c;
    for (int64_t i = 0; i < n; i++) {
        if (!valid[i]) {
            score[i] = NAN;
            continue;
        }
        const float *px = x + i * nb, *py = y + i * nb;
        float s = 0.0f;
        for (int v = 0; v < k; v++) {
            float t = -c[v];
            for (int b = 0; b < nb; b++)
                t += A[v * nb + b] * px[b] - B[v * nb + b] * py[b];
            s += t * t;
        }
        score[i] = s;
    }
}

/* ---- the plug-in ---- */

static int irmad_fit_sample(void *state, sw_ctx *ctx, const sw__method_env *env, const float *x, const float *y,
                            int64_t n)
{
    int it = env->opts->irmad_iterations > 0 ? env->opts->irmad_iterations : 30;
    return sw__irmad_fit(ctx, state, x, y, n, env->nb, it);
}

/* P(no change) under 0.1, as the normalization calls a pixel invariant
 * above 0.9: the MAD variates have unit spread. */
static double irmad_floor(const void *state)
{
    return sw__chi2_quantile(0.9, (double)((const sw__model *)state)->k);
}

static int irmad_dof(const void *state)
{
    return ((const sw__model *)state)->k;
}

static void irmad_pixels(const void *state, const float *restrict x, const float *restrict y,
                       const uint8_t *restrict valid, int64_t n, float *restrict score)
{
    sw__irmad_score(state, x, y, valid, n, score);
}

const sw__method sw__method_irmad = {
    .name = "irmad",
    .help = "iteratively reweighted MAD, a chi-square score (multispectral)",
    .score_power = 2,
    .chi2 = 1,
    .open = sw__classic_open,
    .fit = irmad_fit_sample,
    .pixels = irmad_pixels,
    .floor = irmad_floor,
    .chi2_dof = irmad_dof,
    .describe = sw__classic_describe,
    .free = sw__classic_free,
};
