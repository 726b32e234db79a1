/*
 * method.h: a change detector as a plug-in of the engine.
 *
 * A method is a small table of functions (sw__method) over a state of its
 * own. The engine (src/engine/) is generic over it:
 *
 *   open      before any pixel is read: what the method needs to know of
 *             the pair (a network file, its context rows); may be NULL
 *   fit       on the sample (pixels valid on both dates, pre-filtered
 *             when the method asks for it)
 *   pixels    the per-pixel kernel: n pixels in, n scores out, NaN where
 *             invalid; also scores the sample for the threshold
 *   strip     for methods whose score needs a neighbourhood the engine
 *             does not provide (blocks, a CNN): rows_in rows in, rows
 *             [top, top + rows_out) scored; NULL: the engine applies the
 *             box pre-filter (prefilter > 0) and then pixels
 *   floor     the smallest score that can mean change: what unchanged
 *             ground rarely exceeds, so noise alone is not split in two
 *   threshold a rule of the method's own (the model's operating
 *             probability, k-means' boundary) that replaces Otsu/KI
 *   describe  its fitted parameters, into summary.json's "model"
 *
 * Adding a detector is one file that defines a `const sw__method` and one
 * line in registry.c; nothing else names methods.
 */
#ifndef SW_METHOD_H
#define SW_METHOD_H

#include "../io/io.h"

/* What a method may know of the pair it works on. */
typedef struct sw__method_env {
    int nb;                        /* bands per date */
    const char *const *band_names; /* nb names, from BEFORE */
    double gsd;                    /* metres per pixel; 0 when unknown */
    int georef;
    int64_t width, height;
    const sw_detect_opts *opts;
    const char *before;            /* for messages */
    const sw__pair *pair;          /* for methods that read rows while fitting */
    const int *display;            /* the input's red, green, blue bands (-1: unknown) */
} sw__method_env;

/* A strip of both dates: rows_in full-width rows, nb floats per pixel. */
typedef struct sw__strip {
    const float *x, *y;
    const uint8_t *valid;
    int64_t width;
    int rows_in, nb;
    int top, rows_out; /* the rows to score */
} sw__strip;

typedef struct sw__method {
    const char *name;
    const char *help;      /* one line for `detect --help` */
    int prefilter;         /* radius of the box mean scores are made on (the sample too) */
    int context;           /* rows of context a scored pixel needs beyond the pre-filter */
    int score_power;       /* scores grow as the changed share of a pixel to this power
                              (sub-pixel area); 0: they do not */
    int tolerates_shift;   /* trained to tolerate misregistration: co-registration is only
                              reported unless asked for */
    int chi2;              /* its scores are chi-square distributed: --threshold chi2 */
    int (*open)(sw_ctx *ctx, const sw__method_env *env, void **state);
    int (*fit)(void *state, sw_ctx *ctx, const sw__method_env *env, const float *x, const float *y,
               int64_t n);
    void (*pixels)(const void *state, const float *restrict x, const float *restrict y,
                   const uint8_t *restrict valid, int64_t n, float *restrict score);
    /* strip: scratch is scratch_bytes(state, width, rows_in) bytes of the worker's */
    size_t (*scratch_bytes)(const void *state, int64_t width, int rows_in);
    int (*strip)(const void *state, sw_ctx *ctx, const sw__strip *in, void *scratch, float *restrict score);
    /* The rows [*ya, *yb) a strip [y0, y0 + rows) is read with; NULL: the
     * pre-filter's and context's rows around it. */
    void (*window)(const void *state, int64_t y0, int rows, int64_t height, int64_t *ya, int64_t *yb);
    int (*halo)(const void *state); /* NULL: prefilter + context */
    double (*floor)(const void *state);
    /* Returns 1 and sets *t, *rule when the method has a rule of its own
     * (0: Otsu or Kittler-Illingworth on the sample's scores). */
    int (*threshold)(const void *state, double *t, const char **rule);
    int (*chi2_dof)(const void *state);
    void (*describe)(const void *state, sw__json *j);
    void (*free)(void *state);
} sw__method;

/* The registry (registry.c): NULL-terminated, in the order --help lists. */
extern const sw__method *const sw__methods[];
/* The method named name, or NULL. */
const sw__method *sw__method_find(const char *name);
/* "cva, irmad, ..." (static). */
const char *sw__method_names(void);

/* --method auto (auto.c): the method that suits the pair, one rule for every
 * caller. On success *m is chosen and *state holds what its open gave (the
 * learned model loaded), *reason says why, and *threshold is the threshold
 * rule that goes with the choice when the caller names none. */
int sw__method_auto(sw_ctx *ctx, const sw__method_env *env, const sw__method **m, void **state,
                    const char **reason, sw_threshold_kind *threshold);

/* For fits that need a neighbourhood: at most max_rows rows spread evenly
 * over the scene (row (2j + 1) H / 2n), each read with r rows of context
 * and handed to fn as a strip whose one scored row it is. Stops at fn's
 * first non-zero return and returns it. */
int sw__method_spread_rows(sw_ctx *ctx, const sw__method_env *env, int64_t max_rows, int r,
                           int (*fn)(void *user, sw_ctx *ctx, const sw__strip *in), void *user);
/* Rows [*ya, *yb) around a strip: r rows of context, clamped to the image. */
void sw__method_rows(int r, int64_t y0, int rows, int64_t height, int64_t *ya, int64_t *yb);

/* The methods built on the classic kernels share this state (kernels.h)
 * and these parts (classic.c). */
typedef struct sw__model sw__model;
int sw__classic_open(sw_ctx *ctx, const sw__method_env *env, void **state);
void sw__classic_free(void *state);
/* summary.json's "model" for sw__model: normalization, log-ratio level,
 * and IR-MAD's transform or the per-date standardization. */
void sw__classic_describe(const void *state, sw__json *j);
/* The Gaussian noise floor of a magnitude over nb bands: what unchanged
 * ground exceeds with probability 0.1. */
double sw__classic_noise_floor(const void *state);

/* texture's kernel: rows [top, top + rows_out) of in scored by the 5x5
 * structure term (texture.c); m holds the standardization, c the
 * regularization. */
void sw__texture_score(const sw__model *m, double c, const sw__strip *in, float *restrict score);

#endif
