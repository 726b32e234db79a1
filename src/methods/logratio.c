/*
 * logratio.c: for SAR amplitudes and gray pairs, the root mean square over
 * bands of |log((B + 1) / (A + 1)) - level| on 3x3 means of each date (the
 * box pre-filter tames speckle); the level, the log-ratio of unchanged
 * ground, removes a gain between the dates (--normalize off keeps it 0).
 * The kernels live in radiometry.c.
 */
#include <math.h>

#include "kernels.h"
#include "method.h"

static int logratio_fit(void *state, sw_ctx *ctx, const sw__method_env *env, const float *x, const float *y,
                        int64_t n)
{
    int rc = sw__cva_fit(ctx, state, x, y, n, env->nb);
    /* (the level is the log-ratio's normalization, so --normalize off
     * keeps the plain score and floor) */
    return rc || !env->opts->normalize ? rc : sw__noise_fit(ctx, state, SW__NOISE_LOGRATIO, x, y, n);
}

/* 2.5 no-change spreads: the speckle of two dates without change is not
 * split in two (3 erased faint change on gray optical pairs). */
static double logratio_floor(const void *state)
{
    return fmax(0.05, 2.5 * ((const sw__model *)state)->noise_spread);
}

static void logratio_pixels(const void *state, const float *restrict x, const float *restrict y,
                       const uint8_t *restrict valid, int64_t n, float *restrict score)
{
    sw__logratio_score(state, x, y, valid, n, score);
}

const sw__method sw__method_logratio = {
    .name = "logratio",
    .help = "SAR amplitudes and gray pairs: |log ratio| of 3x3 means, less the no-change level",
    .prefilter = 1,
    .score_power = 1,
    .open = sw__classic_open,
    .fit = logratio_fit,
    .pixels = logratio_pixels,
    .floor = logratio_floor,
    .describe = sw__classic_describe,
    .free = sw__classic_free,
};
