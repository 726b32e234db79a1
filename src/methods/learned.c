/*
 * learned.c: the learned detector as a scoring kernel over strips.
 *
 * A strip arrives with `halo` rows of context above and below. Each date is
 * standardized per band with the scene's mean and deviation (the sample's,
 * as the model was trained with per-image statistics), resampled to the
 * model's pixel size when the input's differs, and cut into tiles of
 * TILE core columns plus the halo on each side; each tile runs through the
 * network and only its core is kept, so neighbouring tiles do not seam.
 * Tile sides are padded by reflection up to the model's multiple.
 *
 * With test-time augmentation (--tta) each tile also runs mirrored left to
 * right, top to bottom and both, and the four probabilities, mirrored
 * back, are averaged. The tile is mirrored whole, padding included, so the
 * network pools the same pixels together in every orientation and a strip
 * still gives what the whole scene would.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kernels.h"
#include "method.h"

enum { TILE = 512 };

/* Reflect index i into [0, n). */
static int64_t reflect(int64_t i, int64_t n)
{
    if (n == 1)
        return 0;
    while (i < 0 || i >= n)
        i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

/* Bilinear sample of plane p (h x w, rows `stride` apart) at continuous
 * pixel coordinates, reflecting at the edges. */
static float bilinear(const float *p, int64_t h, int64_t w, int64_t stride, double y, double x)
{
    double fy = floor(y), fx = floor(x);
    int64_t y0 = (int64_t)fy, x0 = (int64_t)fx;
    double ty = y - fy, tx = x - fx;
    int64_t ya = reflect(y0, h), yb = reflect(y0 + 1, h), xa = reflect(x0, w), xb = reflect(x0 + 1, w);
    double v = (p[ya * stride + xa] * (1 - tx) + p[ya * stride + xb] * tx) * (1 - ty) +
               (p[yb * stride + xa] * (1 - tx) + p[yb * stride + xb] * tx) * ty;
    return (float)v;
}

void sw__learned_window(const sw_model *net, double scale, int64_t y0, int rows, int64_t height,
                        int64_t *ya, int64_t *yb)
{
    int64_t halo = (int64_t)ceil(sw_model_halo(net) / scale), mult = sw_model_multiple(net);
    int64_t a = y0 - halo;
    /* Start on the model's pooling grid (counted from the image's first row),
     * so every strip pools the same pixels together as any other would. */
    a = a <= 0 ? 0 : a / mult * mult;
    int64_t b = y0 + rows + halo;
    *ya = a;
    *yb = b < height ? b : height;
}

/* Mirrors `planes` planes of h x w in place: left to right, or top to bottom. */
static void mirror(float *p, int planes, int64_t h, int64_t w, int left_right)
{
    for (int b = 0; b < planes; b++, p += h * w) {
        if (left_right) {
            for (int64_t j = 0; j < h; j++)
                for (int64_t i = 0, k = w - 1; i < k; i++, k--) {
                    float t = p[j * w + i];
                    p[j * w + i] = p[j * w + k];
                    p[j * w + k] = t;
                }
        } else {
            for (int64_t j = 0, k = h - 1; j < k; j++, k--)
                for (int64_t i = 0; i < w; i++) {
                    float t = p[j * w + i];
                    p[j * w + i] = p[k * w + i];
                    p[k * w + i] = t;
                }
        }
    }
}

/* The network on one tile, or the mean of its four mirror images (tta):
 * orientations in the order as is, left-right, both, top-bottom, each
 * reached from the one before by one mirror of the inputs; each output is
 * mirrored back and added in that order, so the sum is the same on any
 * machine and thread count. ta and tb are left mirrored; tq is scratch. */
static int run_tile(sw_ctx *ctx, const sw_model *net, int tta, int nb, float *ta, float *tb, int64_t mh,
                    int64_t mw, float *tp, float *tq)
{
    if (!tta)
        return sw_model_run(ctx, net, ta, tb, (int)mh, (int)mw, tp);
    size_t n = (size_t)mh * (size_t)mw;
    for (int k = 0; k < 4; k++) {
        if (k > 0) { /* k = 1, 3: left-right; k = 2: top-bottom */
            mirror(ta, nb, mh, mw, k != 2);
            mirror(tb, nb, mh, mw, k != 2);
        }
        int rc = sw_model_run(ctx, net, ta, tb, (int)mh, (int)mw, k ? tq : tp);
        if (rc)
            return rc;
        if (k == 0)
            continue;
        if (k != 3) /* orientations 1 and 2 are mirrored left-right */
            mirror(tq, 1, mh, mw, 1);
        if (k >= 2) /* orientations 2 and 3 are mirrored top-bottom */
            mirror(tq, 1, mh, mw, 0);
        for (size_t i = 0; i < n; i++)
            tp[i] += tq[i];
    }
    for (size_t i = 0; i < n; i++)
        tp[i] *= 0.25f;
    return 0;
}

int sw__learned_score(sw_ctx *ctx, const sw__model *m, const sw_model *net, const int *sel, double scale, int tta,
                      const float *x, const float *y, const uint8_t *valid, int64_t width, int rows_in,
                      int top, int rows_out, float *score)
{
    const int nin = m->nb, nb = sw_model_bands(net), mult = sw_model_multiple(net);
    const int64_t halo_in = (int64_t)ceil(sw_model_halo(net) / scale);
    int rc = 0;
    /* The standardized strip, band-sequential, per date. */
    size_t plane = (size_t)width * (size_t)rows_in;
    float *za = malloc(plane * (size_t)nb * sizeof(float)), *zb = malloc(plane * (size_t)nb * sizeof(float));
    if (!za || !zb) {
        free(za);
        free(zb);
        return sw__err(ctx, SW_ENOMEM, "out of memory for the learned detector");
    }
    for (size_t i = 0; i < plane; i++)
        for (int b = 0; b < nb; b++) {
            int ok = valid[i], s = sel ? sel[b] : b;
            za[(size_t)b * plane + i] = ok ? (float)((x[i * nin + s] - m->mean[0][s]) * m->isd[0][s]) : 0.0f;
            zb[(size_t)b * plane + i] = ok ? (float)((y[i * nin + s] - m->mean[1][s]) * m->isd[1][s]) : 0.0f;
        }
    float *ta = NULL, *tb = NULL, *tp = NULL, *tq = NULL;
    size_t tcap = 0;
    for (int64_t x0 = 0; x0 < width && rc == 0; x0 += TILE) {
        int64_t x1 = x0 + TILE < width ? x0 + TILE : width;
        int64_t ca = x0 - halo_in > 0 ? x0 - halo_in : 0, cb = x1 + halo_in < width ? x1 + halo_in : width;
        int64_t cw = cb - ca, ch = rows_in;
        /* The tile on the model's grid, padded up to the multiple. */
        int64_t mw = (int64_t)ceil((double)cw * scale), mh = (int64_t)ceil((double)ch * scale);
        mw = (mw + mult - 1) / mult * mult;
        mh = (mh + mult - 1) / mult * mult;
        size_t need = (size_t)mw * (size_t)mh;
        if (need > tcap) {
            free(ta);
            free(tb);
            free(tp);
            free(tq);
            ta = malloc(need * (size_t)nb * sizeof(float));
            tb = malloc(need * (size_t)nb * sizeof(float));
            tp = malloc(need * sizeof(float));
            tq = tta ? malloc(need * sizeof(float)) : NULL;
            tcap = need;
            if (!ta || !tb || !tp || (tta && !tq)) {
                rc = sw__err(ctx, SW_ENOMEM, "out of memory for a model tile");
                break;
            }
        }
        for (int b = 0; b < nb; b++) {
            const float *pa = za + (size_t)b * plane, *pb = zb + (size_t)b * plane;
            for (int64_t j = 0; j < mh; j++)
                for (int64_t i = 0; i < mw; i++) {
                    size_t o = (size_t)b * need + (size_t)j * (size_t)mw + (size_t)i;
                    if (scale == 1.0) {
                        int64_t sy = reflect(j, ch), sx = ca + reflect(i, cw);
                        ta[o] = pa[sy * width + sx];
                        tb[o] = pb[sy * width + sx];
                    } else {
                        /* model pixel centre -> input pixel coordinates in the crop */
                        double sy = (j + 0.5) / scale - 0.5, sx = (i + 0.5) / scale - 0.5;
                        ta[o] = bilinear(pa + ca, ch, cw, width, sy, sx);
                        tb[o] = bilinear(pb + ca, ch, cw, width, sy, sx);
                    }
                }
        }
        rc = run_tile(ctx, net, tta, nb, ta, tb, mh, mw, tp, tq);
        if (rc)
            break;
        for (int r = 0; r < rows_out; r++) {
            int64_t sy = top + r;
            for (int64_t xx = x0; xx < x1; xx++) {
                size_t i = (size_t)sy * (size_t)width + (size_t)xx;
                float v;
                if (scale == 1.0)
                    v = tp[sy * mw + (xx - ca)];
                else
                    v = bilinear(tp, mh, mw, mw, (sy + 0.5) * scale - 0.5, (xx - ca + 0.5) * scale - 0.5);
                score[(size_t)r * (size_t)width + (size_t)xx] = valid[i] ? v : NAN;
            }
        }
    }
    free(ta);
    free(tb);
    free(tp);
    free(tq);
    free(za);
    free(zb);
    return rc;
}

/* ---- the plug-in ---- */

typedef struct learned {
    sw__model m;       /* the scene's per-band standardization */
    sw_model *net;
    char *path;
    double scale;      /* the input's pixel size over the model's */
    double gsd;        /* the input's pixel size: known, given, or assumed */
    int gsd_assumed;   /* no georeferencing and no --gsd */
    int tta;           /* average over each tile's four mirror images */
    int halo;          /* context rows a strip needs */
    int sel[64];       /* model band b is input band sel[b] */
    const char *chosen; /* why this model: named, or chosen by pixel size and bands */
} learned;

static void learned_free(void *state)
{
    learned *l = state;
    if (!l)
        return;
    sw__model_clear(&l->m);
    sw_model_free(l->net);
    free(l->path);
    free(l);
}

/* The shipped models chosen when none is named, one per kind of imagery
 * (train/README.md has their data and held-out scores): the one whose
 * pixel size is nearest the input's and whose bands the input has. */
static const char *const shipped[] = {"buildings", "buildings-3m"};

/* A model is used for inputs within this factor of its pixel size. */
#define GSD_RANGE 2.5

/* Names a band may carry for each colour a model reads: plain names (GDAL
 * descriptions of PlanetScope and most products) and Sentinel-2's. */
static int same_band(const char *model, const char *input)
{
    static const char *const alias[][2] = {{"red", "B04"}, {"green", "B03"}, {"blue", "B02"}, {"nir", "B08"}};
    if (!strcasecmp(model, input))
        return 1;
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if ((!strcasecmp(model, alias[i][0]) && !strcasecmp(input, alias[i][1])) ||
            (!strcasecmp(model, alias[i][1]) && !strcasecmp(input, alias[i][0])))
            return 1;
    return 0;
}

/* Which input band feeds each of the model's: by name; else, for an RGB
 * model, the input's red, green and blue as the quicklook finds them (names,
 * colour interpretation, or the B, G, R, NIR order of 4-band sensors); else,
 * when the counts agree, in order. 0 when the input cannot feed the model. */
static int map_bands(const sw_model *net, const sw__method_env *env, int *sel)
{
    int nb = sw_model_bands(net), found = 0;
    for (int b = 0; b < nb; b++) {
        sel[b] = -1;
        const char *mn = sw_model_band_name(net, b);
        for (int i = 0; mn && env->band_names && i < env->nb && sel[b] < 0; i++)
            if (same_band(mn, env->band_names[i]))
                sel[b] = i;
        found += sel[b] >= 0;
    }
    if (found == nb)
        return 1;
    static const char *const rgb[3] = {"red", "green", "blue"};
    int is_rgb = nb == 3;
    for (int b = 0; b < nb && is_rgb; b++)
        is_rgb = sw_model_band_name(net, b) && !strcasecmp(sw_model_band_name(net, b), rgb[b]);
    const int *d = env->display;
    if (is_rgb && env->nb >= 3 && d && d[0] >= 0 && d[1] >= 0 && d[2] >= 0 && d[0] < env->nb && d[1] < env->nb &&
        d[2] < env->nb && d[0] != d[1] && d[1] != d[2] && d[0] != d[2]) { /* three distinct bands, not gray */
        for (int b = 0; b < 3; b++)
            sel[b] = env->display[b];
        return 1;
    }
    if (nb == env->nb) {
        for (int b = 0; b < nb; b++)
            sel[b] = b;
        return 1;
    }
    return 0;
}

/* Loads a model file and checks the input can feed it. */
static int load_one(learned *l, sw_ctx *ctx, const sw__method_env *env, const char *name)
{
    char found[4096];
    const char *path = sw_model_find(ctx, name, found, sizeof found);
    if (!path)
        return ctx->code;
    free(l->path);
    sw_model_free(l->net);
    l->net = NULL;
    if (!(l->path = strdup(path)))
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    if (!(l->net = sw_model_load(ctx, path)))
        return ctx->code;
    if (!map_bands(l->net, env, l->sel))
        return sw__err(ctx, SW_EMISMATCH, "%s: %d bands analysed but the model %s takes %d (select them with --bands)",
                       env->before, env->nb, path, sw_model_bands(l->net));
    return 0;
}

/* The shipped model nearest the input's pixel size among those it can feed. */
static int choose(learned *l, sw_ctx *ctx, const sw__method_env *env)
{
    double best_d = log(GSD_RANGE) + 1e-9;
    learned cand = {.gsd = l->gsd};
    sw_ctx *quiet = sw_ctx_new();
    if (!quiet)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    /* Each candidate is loaded once; the nearest so far is kept in l. */
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        if (load_one(&cand, quiet, env, shipped[i]) != 0)
            continue;
        double d = fabs(log(l->gsd / sw_model_gsd(cand.net)));
        if (d < best_d) {
            best_d = d;
            sw_model_free(l->net);
            free(l->path);
            l->net = cand.net;
            l->path = cand.path;
            memcpy(l->sel, cand.sel, sizeof l->sel);
            cand.net = NULL;
            cand.path = NULL;
        }
    }
    sw_model_free(cand.net);
    free(cand.path);
    sw_ctx_free(quiet);
    if (!l->net)
        return sw__err(ctx, SW_EMISMATCH,
                       "%s: no shipped model for %d bands at %.3g m pixels (they are for RGB at 0.5 m and 3 m); "
                       "give one with --model",
                       env->before, env->nb, l->gsd);
    l->chosen = "the shipped model nearest the input's pixel size, for its bands";
    return 0;
}

/* Loads the model (--model, $SITEWATCH_MODEL, or the shipped one for the
 * input's pixel size and bands) and works out the scale between the input's
 * pixels and the model's. */
static int load(learned *l, sw_ctx *ctx, const sw__method_env *env)
{
    const sw_detect_opts *o = env->opts;
    const char *name = o->model_path;
    if (!name)
        name = getenv("SITEWATCH_MODEL");
    l->gsd_assumed = !env->georef && !(o->gsd > 0.0);
    l->tta = o->tta != 0;
    int rc;
    if (name) {
        l->chosen = "named";
        if ((rc = load_one(l, ctx, env, name)) != 0)
            return rc;
        /* a named model: imagery of unknown pixel size is taken at its own */
        l->gsd = env->georef ? env->gsd : o->gsd > 0.0 ? o->gsd : sw_model_gsd(l->net);
    } else if (l->gsd_assumed) {
        /* asked for by name (-m learned) on imagery of unknown pixel size:
         * the default model, at its own pixel size (auto does not do this) */
        l->chosen = "the default model (pixel size unknown)";
        if ((rc = load_one(l, ctx, env, shipped[0])) != 0)
            return rc;
        l->gsd = sw_model_gsd(l->net);
    } else {
        l->gsd = env->georef ? env->gsd : o->gsd;
        if ((rc = choose(l, ctx, env)) != 0)
            return rc;
    }
    l->scale = l->gsd / sw_model_gsd(l->net);
    if (l->scale < 0.1 || l->scale > 10.0)
        return sw__err(ctx, SW_EARG, "%s: %.3g m pixels are too far from the model's %.3g m (scale %.3g)",
                       env->before, l->gsd, sw_model_gsd(l->net), l->scale);
    l->halo = (int)ceil(sw_model_halo(l->net) / l->scale) + sw_model_multiple(l->net);
    if (l->gsd_assumed)
        sw__warn(ctx, "%s: no georeferencing and no --gsd: pixels taken as %.3g m (model %s); give --gsd",
                 env->before, l->gsd, l->path);
    return 0;
}

static int learned_open(sw_ctx *ctx, const sw__method_env *env, void **state)
{
    learned *l = calloc(1, sizeof *l);
    int rc = l ? load(l, ctx, env) : sw__err(ctx, SW_ENOMEM, "out of memory");
    if (rc) {
        learned_free(l);
        l = NULL;
    }
    *state = l;
    return rc;
}

static int learned_fit(void *state, sw_ctx *ctx, const sw__method_env *env, const float *x, const float *y,
                       int64_t n)
{
    return sw__cva_fit(ctx, &((learned *)state)->m, x, y, n, env->nb);
}

static int learned_strip(const void *state, sw_ctx *ctx, const sw__strip *in, void *scratch, float *restrict score)
{
    (void)scratch;
    const learned *l = state;
    return sw__learned_score(ctx, &l->m, l->net, l->sel, l->scale, l->tta, in->x, in->y, in->valid, in->width, in->rows_in,
                             in->top, in->rows_out, score);
}

static void learned_rows(const void *state, int64_t y0, int rows, int64_t height, int64_t *ya, int64_t *yb)
{
    const learned *l = state;
    sw__learned_window(l->net, l->scale, y0, rows, height, ya, yb);
}

static int learned_halo(const void *state)
{
    return ((const learned *)state)->halo;
}

static int learned_threshold(const void *state, double *t, const char **rule)
{
    const learned *l = state;
    *t = l->tta ? sw_model_tta_threshold(l->net) : sw_model_threshold(l->net);
    *rule = l->tta ? "the model's operating probability with test-time augmentation"
                   : "the model's operating probability";
    return 1;
}

static void learned_describe(const void *state, sw__json *j)
{
    const learned *l = state;
    sw__json_key(j, "file");
    sw__json_str(j, l->path);
    sw__json_key(j, "parameters");
    sw__json_int(j, sw_model_parameters(l->net));
    sw__json_key(j, "chosen");
    sw__json_str(j, l->chosen);
    sw__json_key(j, "model_gsd_m");
    sw__json_num(j, sw_model_gsd(l->net));
    sw__json_key(j, "input_gsd_m");
    sw__json_num(j, l->gsd);
    sw__json_key(j, "input_gsd_assumed");
    sw__json_bool(j, l->gsd_assumed);
    sw__json_key(j, "bands_used");
    sw__json_arr(j);
    for (int b = 0; b < sw_model_bands(l->net); b++)
        sw__json_int(j, l->sel[b] + 1);
    sw__json_end(j, ']');
    sw__json_key(j, "input_to_model_scale");
    sw__json_num(j, l->scale);
    sw__json_key(j, "context_rows");
    sw__json_int(j, l->halo);
    sw__json_key(j, "test_time_augmentation");
    sw__json_str(j, l->tta ? "mean of 4 mirror images (as is, left-right, both, top-bottom)" : "none");
}

const sw__method sw__method_learned = {
    .name = "learned",
    .help = "a Siamese CNN's change probability (--model; 3-band VHR by default)",
    .tolerates_shift = 1,
    .open = learned_open,
    .fit = learned_fit,
    .strip = learned_strip,
    .window = learned_rows,
    .halo = learned_halo,
    .threshold = learned_threshold,
    .describe = learned_describe,
    .free = learned_free,
};
