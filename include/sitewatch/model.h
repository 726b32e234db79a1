/*
 * sitewatch/model.h: learned change detectors in sitewatch's model file
 * format (.swm, docs/model-format.md) and the engine that runs them.
 *
 * A model is a Siamese U-Net ("siam-diff-unet"): a shared encoder, absolute
 * differences of the two dates' features as skips, a decoder, a sigmoid.
 * The engine runs it in float32 on OpenBLAS GEMM; batch-norm is folded into
 * the convolutions by the exporter.
 */
#ifndef SITEWATCH_MODEL_H
#define SITEWATCH_MODEL_H

#include "sitewatch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sw_model sw_model;

/* Loads and checks a model file: magic, version, CRC32, every layer's shape
 * and extent. Returns new (free with sw_model_free) or NULL with a one-line
 * message in ctx; never reads past the file's end. */
sw_model *sw_model_load(sw_ctx *ctx, const char *path);
void sw_model_free(sw_model *m);

/* A model by name ("buildings", "change": a shipped one, looked for in the
 * source tree's models/, then the install's share/sitewatch/models) or by
 * path (anything with '/' or '.', returned as is). The path found is
 * written to buf; NULL with a message in ctx when no such model ships. */
const char *sw_model_find(sw_ctx *ctx, const char *name, char *buf, size_t n);

/* The file's JSON header (borrowed, valid while m lives). */
const char *sw_model_header(const sw_model *m);
int sw_model_bands(const sw_model *m);
double sw_model_gsd(const sw_model *m);      /* metres per pixel it was trained at */
double sw_model_threshold(const sw_model *m); /* its operating probability (0.5 unless the file sets one) */
/* Its operating probability with test-time augmentation (the mean over mirror
 * images is smoother, so its best threshold differs); the threshold above
 * unless the file sets one. */
double sw_model_tta_threshold(const sw_model *m);
const char *sw_model_band_name(const sw_model *m, int i); /* band i's name in the header, or NULL */
const char *sw_model_name(const sw_model *m);    /* the header's name, or NULL */
const char *sw_model_heldout(const sw_model *m); /* "set F1, ..." of its held-out scores, or NULL */

/* The shipped models' names (the .swm files in the model directories,
 * sorted, the first directory winning); free with sw_model_list_free. */
int sw_model_list(sw_ctx *ctx, char ***names, int *n);
void sw_model_list_free(char **names, int n);
int sw_model_halo(const sw_model *m);        /* context pixels a tile needs on each side */
int sw_model_multiple(const sw_model *m);    /* tile sides must be multiples of this */
int64_t sw_model_parameters(const sw_model *m);

/* Runs the network on one tile. a, b: the two dates, standardized,
 * band-sequential (bands x h x w); h, w multiples of sw_model_multiple.
 * prob receives h x w change probabilities. Thread-safe for one model. */
int sw_model_run(sw_ctx *ctx, const sw_model *m, const float *a, const float *b, int h, int w,
                 float *prob);

#ifdef __cplusplus
}
#endif
#endif
