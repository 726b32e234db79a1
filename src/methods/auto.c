/*
 * auto.c: --method auto, the one rule that picks a method for a pair.
 *
 *   SAR (bands named VV, VH, HH, HV) or a gray pair (one band, or bands
 *   that are copies of each other, as in gray BMPs)  -> logratio
 *   three bands at 1 m or finer (or of unknown size without --gsd) and a
 *   model for three bands                             -> learned
 *   anything else (multispectral, coarser RGB)        -> irmad
 *
 * docs/accuracy.md has the scores behind each branch.
 */
#include <stdlib.h>
#include <strings.h>

#include "method.h"

/* A few central rows tell whether the bands are copies of each other. */
static int bands_are_copies(sw_ctx *ctx, const sw__method_env *env, int *gray)
{
    const int64_t W = env->width;
    const int nb = env->nb;
    int rows = env->height < 16 ? (int)env->height : 16;
    float *bx = malloc(sizeof(float) * (size_t)W * rows * nb);
    float *by = malloc(sizeof(float) * (size_t)W * rows * nb);
    uint8_t *v = malloc((size_t)W * rows);
    sw__reader *rd = sw__reader_open(ctx, env->pair);
    int rc = (!bx || !by || !v) ? sw__err(ctx, SW_ENOMEM, "out of memory") : !rd ? ctx->code : 0;
    if (!rc)
        rc = sw__reader_read(rd, ctx, (env->height - rows) / 2, rows, bx, by, v);
    *gray = !rc;
    for (size_t i = 0; !rc && *gray && i < (size_t)W * rows; i++)
        for (int b = 1; b < nb; b++)
            if (bx[i * nb + b] != bx[i * nb] || by[i * nb + b] != by[i * nb])
                *gray = 0;
    sw__reader_close(rd);
    free(bx);
    free(by);
    free(v);
    return rc;
}

int sw__method_auto(sw_ctx *ctx, const sw__method_env *env, const sw__method **m, void **state,
                    const char **reason)
{
    *state = NULL;
    for (int b = 0; b < env->nb; b++) {
        const char *n = env->band_names[b];
        if (!strcasecmp(n, "VV") || !strcasecmp(n, "VH") || !strcasecmp(n, "HH") || !strcasecmp(n, "HV")) {
            *m = sw__method_find("logratio");
            *reason = "auto: SAR polarization bands";
            return 0;
        }
    }
    int gray = env->nb == 1, rc;
    if (!gray && (rc = bands_are_copies(ctx, env, &gray)) != 0)
        return rc;
    if (gray) {
        *m = sw__method_find("logratio");
        *reason = "auto: one gray band per date (SAR amplitude or panchromatic)";
        return 0;
    }
    double gsd = env->georef ? env->gsd : env->opts->gsd;
    const sw__method *learned = sw__method_find("learned");
    if (env->nb == 3 && gsd <= 1.0 && learned) {
        sw_ctx *quiet = sw_ctx_new();
        if (!quiet)
            return sw__err(ctx, SW_ENOMEM, "out of memory");
        rc = learned->open(quiet, env, state); /* no usable model: fall back */
        sw_ctx_free(quiet);
        if (rc == 0) {
            *m = learned;
            *reason = gsd > 0 ? "auto: three bands at 1 m or finer, and a model for them"
                              : "auto: three bands of unknown pixel size (taken as the model's), and a model for them";
            return 0;
        }
    }
    *m = sw__method_find("irmad");
    *reason = "auto: multispectral or coarser imagery";
    return 0;
}
