/*
 * sitewatch/eval.h: scoring a change map against a reference.
 *
 * A prediction is any single-band raster: a pixel is "change" when it is
 * valid (its mask band says so, as for mask.tif's nodata 255) and non-zero.
 * The truth's encoding is given or detected: 0/255, 0/1, 1/2 (no change /
 * change), or "> 127". An ignore value excludes pixels from every count.
 */
#ifndef SITEWATCH_EVAL_H
#define SITEWATCH_EVAL_H

#include "sitewatch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sw_truth_encoding {
    SW_TRUTH_AUTO = 0, /* 1/2 when 2 is the largest value, 0/1 when max <= 1, else > 127 */
    SW_TRUTH_0_255,
    SW_TRUTH_0_1,
    SW_TRUTH_1_2,
    SW_TRUTH_GT127
} sw_truth_encoding;

typedef struct sw_eval_opts {
    sw_truth_encoding truth;
    int ignore_value;          /* a truth value to ignore; -1: none */
} sw_eval_opts;

/* A confusion matrix of the change class. */
typedef struct sw_confusion {
    int64_t tp, fp, fn, tn;
    int64_t ignored;           /* pixels left out (nodata, ignore value) */
} sw_confusion;

typedef struct sw_scores {
    double precision, recall, f1, iou, overall_accuracy, kappa;
} sw_scores;

void sw_eval_opts_init(sw_eval_opts *opts);

/* Parses "0,255", "0,1", "1,2", "gt127" or "auto"; returns 0 or SW_EARG. */
int sw_truth_encoding_parse(const char *s, sw_truth_encoding *out);
const char *sw_truth_encoding_name(sw_truth_encoding e);

/* Scores pred against truth, both paths of single-band rasters of the same
 * size, read in strips. *used (may be NULL) receives the truth encoding
 * used. Returns 0 or a negative code with the message in ctx. */
int sw_eval_pair(sw_ctx *ctx, const char *pred, const char *truth,
                 const sw_eval_opts *opts, sw_confusion *out,
                 sw_truth_encoding *used);

/* Adds b into a (pooling). */
void sw_confusion_add(sw_confusion *a, const sw_confusion *b);

/* Precision, recall, F1, IoU of the change class, overall accuracy and
 * Cohen's kappa. A ratio with a zero denominator is 0 (F1 of an empty
 * prediction against an empty truth is defined as 1). */
void sw_scores_compute(const sw_confusion *c, sw_scores *out);

#ifdef __cplusplus
}
#endif
#endif
