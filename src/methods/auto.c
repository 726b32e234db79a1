/*
 * auto.c: --method auto, the one rule that picks a method for a pair.
 *
 *   SAR (bands named VV, VH, HH, HV) or a gray pair (one band, or bands
 *   that are copies of each other, as in gray BMPs)  -> logratio
 *   the pixel size known (georeferencing or --gsd), and a shipped model
 *   takes the bands within 2.5x of its pixel size (RGB, or the RGB of
 *   4- and 8-band PlanetScope, at 0.2-1.25 m and 1.2-7.5 m)  -> learned
 *   other RGB (or of unknown pixel size: warns)      -> irmad
 *   other multispectral (Sentinel-2, Landsat)         -> cva, thresholded by
 *     Kittler-Illingworth (unless -t names a rule): chosen leave-one-city-out
 *     on OSCD's 8 cities among 10 variants (7 of 8 folds), Taizhou agreeing
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
                    const char **reason, sw_threshold_kind *threshold)
{
    *state = NULL;
    *threshold = SW_THRESHOLD_OTSU;
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
    /* A shipped model for these bands near this pixel size (learned.c
     * chooses it); never on a guessed pixel size. */
    const sw__method *learned = sw__method_find("learned");
    int size_known = env->georef || env->opts->gsd > 0.0;
    if (learned && size_known) {
        sw_ctx *quiet = sw_ctx_new();
        if (!quiet)
            return sw__err(ctx, SW_ENOMEM, "out of memory");
        rc = learned->open(quiet, env, state); /* no model fits: fall back */
        sw_ctx_free(quiet);
        if (rc == 0) {
            *m = learned;
            *reason = "auto: a shipped model for these bands at this pixel size";
            return 0;
        }
    }
    if (!size_known && env->nb == 3)
        sw__warn(ctx, "%s: no georeferencing and no --gsd: the pixel size is unknown, so no learned model was "
                      "used (give --gsd to let auto pick one)", env->before);
    if (env->nb == 3) {
        *m = sw__method_find("irmad");
        *reason = size_known ? "auto: RGB at a pixel size no shipped model covers"
                             : "auto: RGB of unknown pixel size (no --gsd), no model assumed";
    } else {
        *m = sw__method_find("cva");
        *reason = "auto: multispectral imagery no shipped model takes";
        *threshold = SW_THRESHOLD_KI;
    }
    return 0;
}
