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

/* ---- score maps: how well any one threshold could do ----
 *
 * A score map is a single-band raster whose larger values mean more change
 * (detect's score.tif, or another tool's); its nodata and NaN pixels are
 * left out. Scores are binned on a log scale, sign(s) log(1 + |s|), in
 * SW_SCORE_BINS bins between the smallest and largest score of all the maps
 * pooled (pass 1, sw_eval_score_range), then counted per bin for changed
 * and unchanged truth pixels (pass 2, sw_eval_score_pair). Pooled maps
 * share one scale, so the best threshold found is one for all of them:
 * what a method's score allows, whatever its threshold rule. */
enum { SW_SCORE_BINS = 65536 };

typedef struct sw_score_hist {
    double lo, hi;              /* the binned range, on the log scale */
    int64_t *change, *nochange; /* SW_SCORE_BINS counts each */
    int64_t ignored;            /* pixels left out (nodata, NaN, truth ignored) */
} sw_score_hist;

typedef struct sw_score_summary {
    int64_t change, nochange;   /* truth pixels counted */
    double roc_auc;             /* P(a changed pixel scores above an unchanged one), ties half */
    double average_precision;   /* precision averaged over the recall gained, bin by bin */
    double best_threshold;      /* change where score >= this gives ... (+inf: no change at all) */
    sw_confusion best;          /* ... the best F1: this confusion */
} sw_score_summary;

/* An empty histogram (range not yet set). Returns 0 or SW_ENOMEM. */
int sw_score_hist_init(sw_ctx *ctx, sw_score_hist *h);
void sw_score_hist_free(sw_score_hist *h);
/* Adds b's counts into a (pooling; both binned on one range). */
void sw_score_hist_add(sw_score_hist *a, const sw_score_hist *b);
/* Pass 1: widens h's range to the valid scores of pred. */
int sw_eval_score_range(sw_ctx *ctx, const char *pred, sw_score_hist *h);
/* Pass 2: counts pred's valid scores against truth (same size) into h.
 * Scores outside the range of pass 1 go to the end bins. */
int sw_eval_score_pair(sw_ctx *ctx, const char *pred, const char *truth, const sw_eval_opts *opts,
                       sw_score_hist *h, sw_truth_encoding *used);
/* ROC AUC, average precision and the threshold of best F1 from h. With no
 * changed or no unchanged pixel, AUC and AP are NaN. */
void sw_score_summarize(const sw_score_hist *h, sw_score_summary *out);

#ifdef __cplusplus
}
#endif
#endif
