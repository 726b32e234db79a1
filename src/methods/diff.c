/*
 * diff.c: the length of the difference vector of the raw values, AFTER
 * first normalized onto BEFORE's radiometry on IR-MAD's invariant pixels
 * (--normalize off: as they are). For dates already on one scale. The
 * kernels live in radiometry.c.
 */
#include <math.h>

#include "kernels.h"
#include "method.h"

static int diff_fit(void *state, sw_ctx *ctx, const sw__method_env *env, const float *x, const float *y, int64_t n)
{
    int rc = sw__cva_fit(ctx, state, x, y, n, env->nb);
    if (rc == 0 && env->opts->normalize)
        rc = sw__normalize_fit(ctx, state, x, y, n, env->nb);
    return rc ? rc : sw__noise_fit(ctx, state, SW__NOISE_RAW, x, y, n);
}

/* The noise floor, and at least a quarter of the scene's spread. */
static double diff_floor(const void *state)
{
    const sw__model *m = state;
    double v = 0.0;
    for (int b = 0; b < m->nb; b++) {
        double sd = m->isd[0][b] > 0 ? 1.0 / m->isd[0][b] : 0.0;
        v += sd * sd;
    }
    return fmax(0.25 * sqrt(v / m->nb), sw__classic_noise_floor(state));
}

static void diff_pixels(const void *state, const float *restrict x, const float *restrict y,
                       const uint8_t *restrict valid, int64_t n, float *restrict score)
{
    sw__diff_score(state, x, y, valid, n, score);
}

const sw__method sw__method_diff = {
    .name = "diff",
    .help = "length of the raw difference vector, AFTER normalized onto BEFORE",
    .score_power = 1,
    .open = sw__classic_open,
    .fit = diff_fit,
    .pixels = diff_pixels,
    .floor = diff_floor,
    .describe = sw__classic_describe,
    .free = sw__classic_free,
};
