/*
 * coreg.c: the global shift between two dates, to a fraction of a pixel.
 *
 * Phase correlation (FFTW) on a Hann-windowed patch gives the integer
 * shift and the peak's strength; Gauss-Newton on the patch then refines the
 * shift jointly with a gain and offset between the dates (so the light of
 * the day does not bias it), sampling the second date with bicubic
 * interpolation. The result is (dx, dy) such that B(x + dx, y + dy) is
 * A(x, y).
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <fftw3.h>

#include "coreg.h"

/* FFTW's planner is not thread-safe (executing a plan is): the tie points
 * are estimated on several threads, so plans are made and destroyed under
 * this lock. */
static pthread_mutex_t planner = PTHREAD_MUTEX_INITIALIZER;

/* Keys' cubic convolution kernel (a = -0.5). */
static double cubic(double t)
{
    t = fabs(t);
    if (t < 1.0)
        return (1.5 * t - 2.5) * t * t + 1.0;
    if (t < 2.0)
        return ((-0.5 * t + 2.5) * t - 4.0) * t + 2.0;
    return 0.0;
}

static double cubic_d(double t)
{
    double a = fabs(t), sg = t < 0 ? -1.0 : 1.0;
    if (a < 1.0)
        return sg * (4.5 * a - 5.0) * a;
    if (a < 2.0)
        return sg * ((-1.5 * a + 5.0) * a - 4.0);
    return 0.0;
}

/* Solves the n x n system M z = r (Gaussian elimination, partial pivoting). */
static int solve(double *M, double *r, int n)
{
    for (int c = 0; c < n; c++) {
        int p = c;
        for (int i = c + 1; i < n; i++)
            if (fabs(M[i * n + c]) > fabs(M[p * n + c]))
                p = i;
        if (fabs(M[p * n + c]) < 1e-300)
            return -1;
        if (p != c) {
            for (int k = 0; k < n; k++) {
                double t = M[c * n + k];
                M[c * n + k] = M[p * n + k];
                M[p * n + k] = t;
            }
            double t = r[c];
            r[c] = r[p];
            r[p] = t;
        }
        for (int i = c + 1; i < n; i++) {
            double f = M[i * n + c] / M[c * n + c];
            for (int k = c; k < n; k++)
                M[i * n + k] -= f * M[c * n + k];
            r[i] -= f * r[c];
        }
    }
    for (int c = n - 1; c >= 0; c--) {
        for (int k = c + 1; k < n; k++)
            r[c] -= M[c * n + k] * r[k];
        r[c] /= M[c * n + c];
    }
    return 0;
}

int sw__coreg_estimate(const float *a, const float *b, const uint8_t *valid, int w, int h,
                       sw__coreg *out)
{
    memset(out, 0, sizeof *out);
    if (w < 32 || h < 32)
        return -1;
    size_t n = (size_t)w * h;
    /* Fill invalid pixels with each image's mean, then centre and window. */
    double ma = 0, mb = 0;
    int64_t nv = 0;
    for (size_t i = 0; i < n; i++)
        if (valid[i]) {
            ma += a[i];
            mb += b[i];
            nv++;
        }
    if (nv < (int64_t)n / 4)
        return -1;
    ma /= (double)nv;
    mb /= (double)nv;
    int fw = w / 2 + 1;
    double *ra = fftw_alloc_real(n), *rb = fftw_alloc_real(n);
    fftw_complex *fa = fftw_alloc_complex((size_t)h * fw), *fb = fftw_alloc_complex((size_t)h * fw);
    if (!ra || !rb || !fa || !fb) {
        fftw_free(ra);
        fftw_free(rb);
        fftw_free(fa);
        fftw_free(fb);
        return -1;
    }
    for (int y = 0; y < h; y++) {
        double wy = 0.5 - 0.5 * cos(2 * M_PI * (y + 0.5) / h);
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            double win = wy * (0.5 - 0.5 * cos(2 * M_PI * (x + 0.5) / w));
            ra[i] = valid[i] ? (a[i] - ma) * win : 0.0;
            rb[i] = valid[i] ? (b[i] - mb) * win : 0.0;
        }
    }
    pthread_mutex_lock(&planner);
    fftw_plan pa = fftw_plan_dft_r2c_2d(h, w, ra, fa, FFTW_ESTIMATE);
    fftw_plan pb = fftw_plan_dft_r2c_2d(h, w, rb, fb, FFTW_ESTIMATE);
    fftw_plan pi = fftw_plan_dft_c2r_2d(h, w, fa, ra, FFTW_ESTIMATE);
    pthread_mutex_unlock(&planner);
    fftw_execute(pa);
    fftw_execute(pb);
    /* Normalized cross-power spectrum of B against A: its inverse peaks at
     * the shift of B relative to A. */
    for (size_t i = 0; i < (size_t)h * fw; i++) {
        double re = fb[i][0] * fa[i][0] + fb[i][1] * fa[i][1];
        double im = fb[i][1] * fa[i][0] - fb[i][0] * fa[i][1];
        double mag = sqrt(re * re + im * im);
        fa[i][0] = mag > 1e-30 ? re / mag : 0.0;
        fa[i][1] = mag > 1e-30 ? im / mag : 0.0;
    }
    fftw_execute(pi);
    size_t best = 0;
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < n; i++) {
        if (ra[i] > ra[best])
            best = i;
        sum += ra[i];
        sum2 += ra[i] * ra[i];
    }
    double mean = sum / (double)n, sd = sqrt(fmax(0.0, sum2 / (double)n - mean * mean));
    int px = (int)(best % (size_t)w), py = (int)(best / (size_t)w);
    if (px > w / 2)
        px -= w;
    if (py > h / 2)
        py -= h;
    out->peak = sd > 0 ? (ra[best] - mean) / sd : 0.0;
    pthread_mutex_lock(&planner);
    fftw_destroy_plan(pa);
    fftw_destroy_plan(pb);
    fftw_destroy_plan(pi);
    pthread_mutex_unlock(&planner);
    fftw_free(ra);
    fftw_free(rb);
    fftw_free(fa);
    fftw_free(fb);

    /* Gauss-Newton on r(x) = g * B(x + d) + c - A(x) over (dx, dy, g, c). */
    double dx = px, dy = py, g = 1.0, c = ma - mb;
    int border = 4 + (int)ceil(fmax(fabs(dx), fabs(dy))) + 4;
    /* Every other pixel and row on large patches: 40,000 pixels fix four
     * parameters many times over. */
    int step = (int64_t)(w - 2 * border) * (h - 2 * border) > 160000 ? 2 : 1;
    double rms = 0;
    int iter;
    for (iter = 0; iter < 30; iter++) {
        double M[16] = {0}, r[4] = {0}, ss = 0;
        int64_t cnt = 0;
        /* The shift is the same for every pixel: so are the cubic weights. */
        int ix = (int)floor(dx), iy = (int)floor(dy);
        double fx = dx - ix, fy = dy - iy, kx[4], ky[4], dkx[4], dky[4];
        for (int k = 0; k < 4; k++) {
            kx[k] = cubic(k - 1 - fx);
            ky[k] = cubic(k - 1 - fy);
            dkx[k] = -cubic_d(k - 1 - fx);
            dky[k] = -cubic_d(k - 1 - fy);
        }
        for (int y = border; y < h - border; y += step) {
            int y0 = y + iy;
            if (y0 < 2 || y0 + 3 >= h)
                continue;
            for (int x = border; x < w - border; x += step) {
                size_t i = (size_t)y * w + x;
                int x0 = x + ix;
                if (!valid[i] || x0 < 2 || x0 + 3 >= w)
                    continue;
                double v = 0, gx = 0, gy = 0;
                for (int j = 0; j < 4; j++) {
                    const float *row = b + (size_t)(y0 + j - 1) * w + (x0 - 1);
                    double rr = kx[0] * row[0] + kx[1] * row[1] + kx[2] * row[2] + kx[3] * row[3];
                    double rd = dkx[0] * row[0] + dkx[1] * row[1] + dkx[2] * row[2] + dkx[3] * row[3];
                    v += ky[j] * rr;
                    gx += ky[j] * rd;
                    gy += dky[j] * rr;
                }
                double res = g * v + c - a[i];
                double J[4] = {g * gx, g * gy, v, 1.0};
                for (int p = 0; p < 4; p++) {
                    r[p] -= J[p] * res;
                    for (int q = 0; q <= p; q++)
                        M[p * 4 + q] += J[p] * J[q];
                }
                ss += res * res;
                cnt++;
            }
        }
        for (int p = 0; p < 4; p++)
            for (int q = p + 1; q < 4; q++)
                M[p * 4 + q] = M[q * 4 + p];
        if (cnt < 100 || solve(M, r, 4))
            return -1;
        dx += r[0];
        dy += r[1];
        g += r[2];
        c += r[3];
        rms = sqrt(ss / (double)cnt);
        if (fabs(r[0]) < 1e-4 && fabs(r[1]) < 1e-4)
            break;
        /* The integer peak can be a pixel or two off when a fractional
         * shift spreads it; further than 3 means another peak is chasing. */
        if (fabs(dx - px) > 3 || fabs(dy - py) > 3)
            return -1;
    }
    out->dx = dx;
    out->dy = dy;
    out->gain = g;
    out->offset = c;
    out->rms = rms;
    out->iterations = iter + 1;
    return 0;
}

int sw__coreg_fit_affine(sw__tiepoint *tp, int n, double max_dev, double ax[3], double ay[3], double *rms,
                         double *rms_shift)
{
    /* Consistency: a point far from the median shift of the reliable ones
     * is a mismatch (a change, a cloud), not a distortion. */
    double mx[64], my[64];
    int k = 0;
    for (int i = 0; i < n && k < 64; i++)
        if (tp[i].reliable) {
            mx[k] = tp[i].dx;
            my[k++] = tp[i].dy;
        }
    if (k < 4)
        return -1;
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && mx[j - 1] > mx[j]; j--) {
            double t = mx[j];
            mx[j] = mx[j - 1];
            mx[j - 1] = t;
        }
    for (int i = 1; i < k; i++)
        for (int j = i; j > 0 && my[j - 1] > my[j]; j--) {
            double t = my[j];
            my[j] = my[j - 1];
            my[j - 1] = t;
        }
    double medx = mx[k / 2], medy = my[k / 2];
    int used = 0;
    double M[9] = {0}, rx[3] = {0}, ry[3] = {0};
    for (int i = 0; i < n; i++) {
        if (tp[i].reliable && (fabs(tp[i].dx - medx) > max_dev || fabs(tp[i].dy - medy) > max_dev))
            tp[i].reliable = 0;
        if (!tp[i].reliable)
            continue;
        double J[3] = {1.0, tp[i].x, tp[i].y};
        for (int a = 0; a < 3; a++) {
            rx[a] += J[a] * tp[i].dx;
            ry[a] += J[a] * tp[i].dy;
            for (int b = 0; b < 3; b++)
                M[a * 3 + b] += J[a] * J[b];
        }
        used++;
    }
    if (used < 4)
        return -1;
    double M2[9];
    memcpy(M2, M, sizeof M);
    if (solve(M, rx, 3) || solve(M2, ry, 3))
        return -1;
    /* Residuals of the affine field and of one mean shift, to tell a real
     * distortion from the scatter of the estimates. */
    double ss = 0, s0 = 0, mdx = 0, mdy = 0;
    for (int i = 0; i < n; i++)
        if (tp[i].reliable) {
            mdx += tp[i].dx / used;
            mdy += tp[i].dy / used;
        }
    for (int i = 0; i < n; i++)
        if (tp[i].reliable) {
            double ex = rx[0] + rx[1] * tp[i].x + rx[2] * tp[i].y - tp[i].dx;
            double ey = ry[0] + ry[1] * tp[i].x + ry[2] * tp[i].y - tp[i].dy;
            ss += ex * ex + ey * ey;
            s0 += (tp[i].dx - mdx) * (tp[i].dx - mdx) + (tp[i].dy - mdy) * (tp[i].dy - mdy);
        }
    memcpy(ax, rx, sizeof rx);
    memcpy(ay, ry, sizeof ry);
    *rms = sqrt(ss / used);
    *rms_shift = sqrt(s0 / used);
    return used;
}
