/*
 * texture.c: change of structure, blind to brightness.
 *
 * Each date's bands are standardized (the scene's mean and deviation), and
 * around every pixel a 5x5 window of both dates is compared by SSIM's
 * structure term per band,
 *
 *     s = (cov(A, B) + C) / (sd(A) sd(B) + C),
 *
 * the local correlation of the two dates' patterns, regularized by C so
 * that flat ground with noise reads as unchanged. The score is the mean
 * over bands of 1 - s, in [0, 2]. A gain and offset between the dates,
 * uniform or varying smoothly over the scene (haze, sun, a calibration),
 * leaves s at 1: what scores is a new edge, roof, or cleared pattern. On
 * real sets it finds little alone (docs/accuracy.md: a new flat roof on
 * smoothed ground changes little of the structure); it is a score to
 * combine with a radiometric one where the dates' radiometry differs.
 *
 * C is twice the no-change variance of the standardized differences (at
 * least 0.01: texture under a tenth of the scene's spread is flat). The
 * threshold is Otsu's (or Kittler-Illingworth's) on the scores of rows
 * spread over the scene, never below 0.4 (flat noisy ground scores about
 * 0.2 with this C).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "method.h"

enum { R = 2, NBINS = 1024, FIT_ROWS = 256 };
static const double FLOOR = 0.4, SCORE_MAX = 2.0;

typedef struct texture {
    sw__model m;       /* standardization and no-change spread */
    double c;          /* the regularization C */
    double threshold;
    const char *rule;
} texture;

static int texture_open(sw_ctx *ctx, const sw__method_env *env, void **state)
{
    (void)env;
    texture *t = calloc(1, sizeof *t);
    *state = t;
    return t ? 0 : sw__err(ctx, SW_ENOMEM, "out of memory");
}

static void texture_free(void *state)
{
    texture *t = state;
    if (!t)
        return;
    sw__model_clear(&t->m);
    free(t);
}

void sw__texture_score(const sw__model *m, double c, const sw__strip *in, float *restrict score)
{
    const int nb = in->nb;
    const int64_t W = in->width;
    double ga[64], oa[64], gb[64], ob[64];
    for (int b = 0; b < nb; b++) {
        ga[b] = m->isd[0][b];
        oa[b] = -m->mean[0][b] * ga[b];
        gb[b] = m->isd[1][b];
        ob[b] = -m->mean[1][b] * gb[b];
    }
    for (int k = 0; k < in->rows_out; k++) {
        int yc = in->top + k;
        int y0 = yc - R > 0 ? yc - R : 0, y1 = yc + R < in->rows_in - 1 ? yc + R : in->rows_in - 1;
        for (int64_t x = 0; x < W; x++) {
            size_t o = (size_t)k * (size_t)W + (size_t)x;
            if (!in->valid[(size_t)yc * (size_t)W + (size_t)x]) {
                score[o] = NAN;
                continue;
            }
            double sa[64] = {0}, sb[64] = {0}, saa[64] = {0}, sbb[64] = {0}, sab[64] = {0};
            int n = 0;
            int64_t x0 = x - R > 0 ? x - R : 0, x1 = x + R < W - 1 ? x + R : W - 1;
            for (int yy = y0; yy <= y1; yy++)
                for (int64_t xx = x0; xx <= x1; xx++) {
                    size_t s = (size_t)yy * (size_t)W + (size_t)xx;
                    if (!in->valid[s])
                        continue;
                    n++;
                    for (int b = 0; b < nb; b++) {
                        double a = in->x[s * nb + b] * ga[b] + oa[b], v = in->y[s * nb + b] * gb[b] + ob[b];
                        sa[b] += a;
                        sb[b] += v;
                        saa[b] += a * a;
                        sbb[b] += v * v;
                        sab[b] += a * v;
                    }
                }
            if (n < 9) { /* too little around it to see a pattern */
                score[o] = NAN;
                continue;
            }
            double acc = 0.0;
            for (int b = 0; b < nb; b++) {
                double ma = sa[b] / n, mb = sb[b] / n;
                double va = fmax(0.0, saa[b] / n - ma * ma), vb = fmax(0.0, sbb[b] / n - mb * mb);
                double cov = sab[b] / n - ma * mb;
                acc += 1.0 - (cov + c) / (sqrt(va * vb) + c);
            }
            score[o] = (float)(acc / nb);
        }
    }
}

static int texture_strip(const void *state, sw_ctx *ctx, const sw__strip *in, void *scratch, float *restrict score)
{
    (void)ctx;
    (void)scratch;
    const texture *t = state;
    sw__texture_score(&t->m, t->c, in, score);
    return 0;
}

/* A histogram over [0, 2] of the scores of rows spread over the scene. */
typedef struct fit_hist {
    const texture *t;
    float *s;
    int64_t *hist, seen;
} fit_hist;

static int add_row(void *user, sw_ctx *ctx, const sw__strip *in)
{
    (void)ctx;
    fit_hist *f = user;
    sw__texture_score(&f->t->m, f->t->c, in, f->s);
    for (int64_t x = 0; x < in->width; x++)
        if (!isnan(f->s[x])) {
            int b = (int)(f->s[x] / SCORE_MAX * NBINS);
            f->hist[b < 0 ? 0 : b >= NBINS ? NBINS - 1 : b]++;
            f->seen++;
        }
    return 0;
}

/* The threshold: Otsu's (or Kittler-Illingworth's) split of the scores of
 * rows spread over the scene, never below the floor. */
static int fit_threshold(texture *t, sw_ctx *ctx, const sw__method_env *env)
{
    fit_hist f = {.t = t, .s = malloc(sizeof(float) * (size_t)env->width), .hist = calloc(NBINS, sizeof(int64_t))};
    int rc = !f.s || !f.hist ? sw__err(ctx, SW_ENOMEM, "out of memory")
                             : sw__method_spread_rows(ctx, env, FIT_ROWS, R, add_row, &f);
    if (rc == 0 && f.seen == 0)
        rc = sw__err(ctx, SW_ENODATA, "%s: no pixel has enough valid neighbours to compare patterns", env->before);
    if (rc == 0) {
        int ki = env->opts->threshold == SW_THRESHOLD_KI;
        double th = ki ? sw__kittler(f.hist, NBINS, 0.0, SCORE_MAX) : sw__otsu(f.hist, NBINS, 0.0, SCORE_MAX);
        t->rule = ki ? "kittler-illingworth on sampled rows" : "otsu on sampled rows";
        if (th < FLOOR) {
            th = FLOOR;
            t->rule = ki ? "kittler-illingworth on sampled rows, raised to the minimum change"
                         : "otsu on sampled rows, raised to the minimum change";
        }
        t->threshold = th;
    }
    free(f.s);
    free(f.hist);
    return rc;
}

static int texture_fit(void *state, sw_ctx *ctx, const sw__method_env *env, const float *x, const float *y,
                       int64_t n)
{
    texture *t = state;
    if (env->nb > 64)
        return sw__err(ctx, SW_EARG, "%s: texture compares at most 64 bands", env->before);
    int rc = sw__cva_fit(ctx, &t->m, x, y, n, env->nb);
    if (rc == 0)
        rc = sw__noise_fit(ctx, &t->m, SW__NOISE_STANDARDIZED, x, y, n);
    if (rc)
        return rc;
    t->c = fmax(0.01, 2.0 * t->m.noise_spread * t->m.noise_spread);
    return fit_threshold(t, ctx, env);
}

static int texture_threshold(const void *state, double *th, const char **rule)
{
    const texture *t = state;
    *th = t->threshold;
    *rule = t->rule;
    return 1;
}

static void texture_describe(const void *state, sw__json *j)
{
    const texture *t = state;
    sw__classic_describe(&t->m, j);
    sw__json_key(j, "structure_c");
    sw__json_num(j, t->c);
    sw__json_key(j, "window");
    sw__json_int(j, 2 * R + 1);
}

const sw__method sw__method_texture = {
    .name = "texture",
    .help = "change of local structure (5x5 correlation of the dates), blind to brightness; weak alone",
    .context = R,
    .open = texture_open,
    .fit = texture_fit,
    .strip = texture_strip,
    .threshold = texture_threshold,
    .describe = texture_describe,
    .free = texture_free,
};
