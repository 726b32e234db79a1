/*
 * classic.c: what the methods built on the classic kernels share: their
 * state (sw__model, kernels.h), how it is made and freed, how it is
 * described in summary.json, and the Gaussian noise floor of a magnitude.
 */
#include <math.h>
#include <stdlib.h>

#include "kernels.h"
#include "method.h"

int sw__classic_open(sw_ctx *ctx, const sw__method_env *env, void **state)
{
    (void)env;
    sw__model *m = calloc(1, sizeof *m);
    if (!m)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    *state = m;
    return 0;
}

void sw__classic_free(void *state)
{
    if (!state)
        return;
    sw__model_clear(state);
    free(state);
}

static void num_array(sw__json *j, const char *key, const double *v, int n)
{
    sw__json_key(j, key);
    sw__json_arr(j);
    for (int k = 0; k < n; k++)
        sw__json_num(j, v[k]);
    sw__json_end(j, ']');
}

void sw__classic_describe(const void *state, sw__json *j)
{
    const sw__model *m = state;
    if (m->norm_a) {
        sw__json_key(j, "normalization");
        sw__json_obj(j);
        sw__json_key(j, "invariant_pixels");
        sw__json_int(j, m->norm_pixels);
        num_array(j, "gain", m->norm_a, m->nb);
        num_array(j, "offset", m->norm_c, m->nb);
        sw__json_end(j, '}');
    }
    if (m->lr_level)
        num_array(j, "logratio_level", m->lr_level, m->nb);
    if (m->rho) {
        sw__json_key(j, "iterations");
        sw__json_int(j, m->iterations);
        sw__json_key(j, "variates");
        sw__json_int(j, m->k);
        num_array(j, "canonical_correlations", m->rho, m->k);
        return;
    }
    for (int d = 0; d < 2 && m->mean[d]; d++) {
        num_array(j, d ? "after_mean" : "before_mean", m->mean[d], m->nb);
        sw__json_key(j, d ? "after_sd" : "before_sd");
        sw__json_arr(j);
        for (int k = 0; k < m->nb; k++)
            sw__json_num(j, m->isd[d][k] > 0 ? 1.0 / m->isd[d][k] : 0.0);
        sw__json_end(j, ']');
    }
}

double sw__classic_noise_floor(const void *state)
{
    const sw__model *m = state;
    return m->noise_spread * sqrt(sw__chi2_quantile(0.9, (double)m->nb));
}

int sw__method_spread_rows(sw_ctx *ctx, const sw__method_env *env, int64_t max_rows, int r,
                           int (*fn)(void *user, sw_ctx *ctx, const sw__strip *in), void *user)
{
    const int64_t W = env->width, H = env->height;
    const int nb = env->nb;
    int64_t nrows = H < max_rows ? H : max_rows;
    size_t cells = (size_t)W * (size_t)(2 * r + 1);
    float *bx = malloc(sizeof(float) * cells * (size_t)nb), *by = malloc(sizeof(float) * cells * (size_t)nb);
    uint8_t *v = malloc(cells);
    sw__reader *rd = bx && by && v ? sw__reader_open(ctx, env->pair) : NULL;
    int rc = (!bx || !by || !v) ? sw__err(ctx, SW_ENOMEM, "out of memory") : !rd ? ctx->code : 0;
    for (int64_t j = 0; j < nrows && rc == 0; j++) {
        int64_t y = (2 * j + 1) * H / (2 * nrows), ya, yb;
        sw__method_rows(r, y, 1, H, &ya, &yb);
        if ((rc = sw__reader_read(rd, ctx, ya, (int)(yb - ya), bx, by, v)) != 0)
            break;
        sw__strip in = {bx, by, v, W, (int)(yb - ya), nb, (int)(y - ya), 1};
        rc = fn(user, ctx, &in);
    }
    sw__reader_close(rd);
    free(bx);
    free(by);
    free(v);
    return rc;
}

void sw__method_rows(int r, int64_t y0, int rows, int64_t height, int64_t *ya, int64_t *yb)
{
    *ya = y0 - r > 0 ? y0 - r : 0;
    *yb = y0 + rows + r < height ? y0 + rows + r : height;
}
