/*
 * eval.c: confusion matrix and scores of a change map against a reference,
 * and of a score map: the ROC and precision-recall curves binned, and the
 * one threshold that gives the best F1. Read in strips so any size fits in
 * memory.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../io/io.h"
#include "../sw_int.h"

enum { ROWS = 256 };

void sw_eval_opts_init(sw_eval_opts *o)
{
    o->truth = SW_TRUTH_AUTO;
    o->ignore_value = -1;
}

int sw_truth_encoding_parse(const char *s, sw_truth_encoding *out)
{
    static const struct { const char *name; sw_truth_encoding e; } t[] = {
        {"auto", SW_TRUTH_AUTO}, {"0,255", SW_TRUTH_0_255}, {"0/255", SW_TRUTH_0_255},
        {"0,1", SW_TRUTH_0_1},   {"0/1", SW_TRUTH_0_1},     {"1,2", SW_TRUTH_1_2},
        {"1/2", SW_TRUTH_1_2},   {"gt127", SW_TRUTH_GT127}, {">127", SW_TRUTH_GT127}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (strcmp(s, t[i].name) == 0) {
            *out = t[i].e;
            return 0;
        }
    return SW_EARG;
}

const char *sw_truth_encoding_name(sw_truth_encoding e)
{
    switch (e) {
    case SW_TRUTH_0_255: return "0,255";
    case SW_TRUTH_0_1: return "0,1";
    case SW_TRUTH_1_2: return "1,2";
    case SW_TRUTH_GT127: return "gt127";
    default: return "auto";
    }
}

void sw_confusion_add(sw_confusion *a, const sw_confusion *b)
{
    a->tp += b->tp;
    a->fp += b->fp;
    a->fn += b->fn;
    a->tn += b->tn;
    a->ignored += b->ignored;
}

static double ratio(double a, double b)
{
    return b > 0.0 ? a / b : 0.0;
}

void sw_scores_compute(const sw_confusion *c, sw_scores *s)
{
    double tp = (double)c->tp, fp = (double)c->fp, fn = (double)c->fn, tn = (double)c->tn;
    double n = tp + fp + fn + tn;
    s->precision = ratio(tp, tp + fp);
    s->recall = ratio(tp, tp + fn);
    s->f1 = (tp + fp + fn) > 0.0 ? 2.0 * tp / (2.0 * tp + fp + fn) : 1.0;
    s->iou = (tp + fp + fn) > 0.0 ? tp / (tp + fp + fn) : 1.0;
    s->overall_accuracy = ratio(tp + tn, n);
    double pe = n > 0.0 ? ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n) : 0.0;
    double po = s->overall_accuracy;
    s->kappa = pe < 1.0 ? (po - pe) / (1.0 - pe) : (po == 1.0 ? 1.0 : 0.0);
}

/* Truth value -> 1 change, 0 no change, -1 ignored. */
static int truth_class(sw_truth_encoding e, unsigned v)
{
    switch (e) {
    case SW_TRUTH_0_1: return v == 0 ? 0 : v == 1 ? 1 : -1;
    case SW_TRUTH_1_2: return v == 1 ? 0 : v == 2 ? 1 : -1;
    case SW_TRUTH_0_255:
    case SW_TRUTH_GT127:
    default: return v > 127;
    }
}

static int detect_encoding(sw_ctx *ctx, sw__band *t, int64_t w, int64_t h, uint16_t *vals,
                           uint8_t *valid, int ignore, sw_truth_encoding *out)
{
    int seen2 = 0, other = 0;
    unsigned maxv = 0;
    for (int64_t y0 = 0; y0 < h; y0 += ROWS) {
        int rows = (int)(h - y0 < ROWS ? h - y0 : ROWS);
        int rc = sw__band_read(t, ctx, y0, rows, vals, valid);
        if (rc)
            return rc;
        for (int64_t i = 0; i < w * rows; i++) {
            if (!valid[i] || (int)vals[i] == ignore)
                continue;
            unsigned v = vals[i];
            seen2 |= v == 2;
            other |= v > 2;
            if (v > maxv)
                maxv = v;
        }
    }
    if (!other && seen2) /* 1/2, with 0 as "no label" where it occurs */
        *out = SW_TRUTH_1_2;
    else if (maxv <= 1)
        *out = SW_TRUTH_0_1;
    else
        *out = SW_TRUTH_GT127;
    return 0;
}

/* A prediction and its truth opened together, sized alike, with row
 * buffers; the truth's encoding resolved. */
typedef struct pairio {
    sw__band *p, *t;
    int64_t w, h;
    uint16_t *pv, *tv;
    float *ps;
    uint8_t *pm, *tm;
    sw_truth_encoding enc;
} pairio;

static void pair_close(pairio *io)
{
    free(io->pv);
    free(io->tv);
    free(io->ps);
    free(io->pm);
    free(io->tm);
    sw__band_close(io->p);
    sw__band_close(io->t);
}

static int pair_open(sw_ctx *ctx, const char *pred, const char *truth, const sw_eval_opts *opts, int scores,
                     pairio *io)
{
    memset(io, 0, sizeof *io);
    sw__io_init(128 << 20); /* strips are read once: GDAL's cache need not grow with the map */
    if (!(io->p = sw__band_open(ctx, pred)) || !(io->t = sw__band_open(ctx, truth))) {
        pair_close(io);
        return ctx->code;
    }
    int64_t tw, th;
    sw__band_size(io->p, &io->w, &io->h);
    sw__band_size(io->t, &tw, &th);
    int rc = 0;
    if (io->w != tw || io->h != th) {
        rc = sw__err(ctx, SW_EMISMATCH, "%s is %lldx%lld but %s is %lldx%lld", pred, (long long)io->w,
                     (long long)io->h, truth, (long long)tw, (long long)th);
    } else {
        size_t n = (size_t)io->w * ROWS;
        io->pv = scores ? NULL : malloc(n * sizeof *io->pv);
        io->ps = scores ? malloc(n * sizeof *io->ps) : NULL;
        io->tv = malloc(n * sizeof *io->tv);
        io->pm = malloc(n);
        io->tm = malloc(n);
        if ((!io->pv && !io->ps) || !io->tv || !io->pm || !io->tm)
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
    }
    io->enc = opts->truth;
    if (rc == 0 && io->enc == SW_TRUTH_AUTO)
        rc = detect_encoding(ctx, io->t, tw, th, io->tv, io->tm, opts->ignore_value, &io->enc);
    if (rc)
        pair_close(io);
    return rc;
}

/* Rows [y0, y0 + rows) of both; the truth's class per pixel into cls
 * (-1: left out), the prediction into io->pv or io->ps with io->pm. */
static int pair_read(pairio *io, sw_ctx *ctx, const sw_eval_opts *opts, int64_t y0, int rows, int8_t *cls)
{
    int rc = io->ps ? sw__band_read_f32(io->p, ctx, y0, rows, io->ps, io->pm)
                    : sw__band_read(io->p, ctx, y0, rows, io->pv, io->pm);
    if (rc || (rc = sw__band_read(io->t, ctx, y0, rows, io->tv, io->tm)))
        return rc;
    for (int64_t i = 0; i < io->w * rows; i++) {
        int tc = io->tm[i] && (int)io->tv[i] != opts->ignore_value ? truth_class(io->enc, io->tv[i]) : -1;
        cls[i] = (int8_t)(io->pm[i] ? tc : -1);
    }
    return 0;
}

/* Every strip of a prediction against its truth: visit sees the strip's n
 * pixels, the prediction in io and each pixel's truth class in cls. */
typedef void (*pair_visit)(const pairio *io, const int8_t *cls, int64_t n, void *user);

static int pair_scan(sw_ctx *ctx, const char *pred, const char *truth, const sw_eval_opts *opts, int scores,
                     sw_truth_encoding *used, pair_visit visit, void *user)
{
    sw_eval_opts def;
    if (!opts) {
        sw_eval_opts_init(&def);
        opts = &def;
    }
    pairio io;
    int rc = pair_open(ctx, pred, truth, opts, scores, &io);
    if (rc)
        return rc;
    if (used)
        *used = io.enc;
    int8_t *cls = malloc((size_t)io.w * ROWS);
    if (!cls)
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
    for (int64_t y0 = 0; rc == 0 && y0 < io.h; y0 += ROWS) {
        int rows = (int)(io.h - y0 < ROWS ? io.h - y0 : ROWS);
        if ((rc = pair_read(&io, ctx, opts, y0, rows, cls)) == 0)
            visit(&io, cls, io.w * rows, user);
    }
    free(cls);
    pair_close(&io);
    return rc;
}

static void count_pixels(const pairio *io, const int8_t *cls, int64_t n, void *user)
{
    sw_confusion *out = user;
    for (int64_t i = 0; i < n; i++) {
        if (cls[i] < 0) {
            out->ignored++;
            continue;
        }
        int pc = io->pv[i] != 0;
        if (pc && cls[i])
            out->tp++;
        else if (pc)
            out->fp++;
        else if (cls[i])
            out->fn++;
        else
            out->tn++;
    }
}

int sw_eval_pair(sw_ctx *ctx, const char *pred, const char *truth, const sw_eval_opts *opts,
                 sw_confusion *out, sw_truth_encoding *used)
{
    memset(out, 0, sizeof *out);
    return pair_scan(ctx, pred, truth, opts, 0, used, count_pixels, out);
}

/* ---- score maps ---- */

static double log_scale(double s)
{
    return s < 0 ? -log1p(-s) : log1p(s);
}

static double linear_scale(double u)
{
    return u < 0 ? -expm1(-u) : expm1(u);
}

int sw_score_hist_init(sw_ctx *ctx, sw_score_hist *h)
{
    memset(h, 0, sizeof *h);
    h->lo = INFINITY;
    h->hi = -INFINITY;
    h->change = calloc(SW_SCORE_BINS, sizeof *h->change);
    h->nochange = calloc(SW_SCORE_BINS, sizeof *h->nochange);
    if (!h->change || !h->nochange) {
        sw_score_hist_free(h);
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    }
    return 0;
}

void sw_score_hist_add(sw_score_hist *a, const sw_score_hist *b)
{
    for (int k = 0; k < SW_SCORE_BINS; k++) {
        a->change[k] += b->change[k];
        a->nochange[k] += b->nochange[k];
    }
    a->ignored += b->ignored;
}

void sw_score_hist_free(sw_score_hist *h)
{
    free(h->change);
    free(h->nochange);
    h->change = h->nochange = NULL;
}

int sw_eval_score_range(sw_ctx *ctx, const char *pred, sw_score_hist *h)
{
    sw__io_init(128 << 20);
    sw__band *b = sw__band_open(ctx, pred);
    if (!b)
        return ctx->code;
    int64_t w, hh;
    sw__band_size(b, &w, &hh);
    float *v = malloc((size_t)w * ROWS * sizeof *v);
    uint8_t *m = malloc((size_t)w * ROWS);
    int rc = !v || !m ? sw__err(ctx, SW_ENOMEM, "out of memory") : 0;
    for (int64_t y0 = 0; rc == 0 && y0 < hh; y0 += ROWS) {
        int rows = (int)(hh - y0 < ROWS ? hh - y0 : ROWS);
        if ((rc = sw__band_read_f32(b, ctx, y0, rows, v, m)) != 0)
            break;
        for (int64_t i = 0; i < w * rows; i++)
            if (m[i] && isfinite(v[i])) {
                double u = log_scale(v[i]);
                h->lo = u < h->lo ? u : h->lo;
                h->hi = u > h->hi ? u : h->hi;
            }
    }
    free(v);
    free(m);
    sw__band_close(b);
    return rc;
}

/* A bin's width on the log scale; an empty or one-valued range bins
 * everything in bin 0 (width 0). */
static double bin_width(const sw_score_hist *h)
{
    return h->hi > h->lo ? (h->hi - h->lo) / SW_SCORE_BINS : 0.0;
}

static void bin_scores(const pairio *io, const int8_t *cls, int64_t n, void *user)
{
    sw_score_hist *h = user;
    double width = bin_width(h);
    for (int64_t i = 0; i < n; i++) {
        if (cls[i] < 0 || !isfinite(io->ps[i])) {
            h->ignored++;
            continue;
        }
        double k = width > 0 ? floor((log_scale(io->ps[i]) - h->lo) / width) : 0.0;
        int bin = k < 0 ? 0 : k >= SW_SCORE_BINS ? SW_SCORE_BINS - 1 : (int)k;
        (cls[i] ? h->change : h->nochange)[bin]++;
    }
}

int sw_eval_score_pair(sw_ctx *ctx, const char *pred, const char *truth, const sw_eval_opts *opts,
                       sw_score_hist *h, sw_truth_encoding *used)
{
    return pair_scan(ctx, pred, truth, opts, 1, used, bin_scores, h);
}

void sw_score_summarize(const sw_score_hist *h, sw_score_summary *out)
{
    memset(out, 0, sizeof *out);
    for (int k = 0; k < SW_SCORE_BINS; k++) {
        out->change += h->change[k];
        out->nochange += h->nochange[k];
    }
    /* Down from the top bin: change is every bin from k up. */
    double P = (double)out->change, N = (double)out->nochange, tp = 0, fp = 0, wrong = 0, ap = 0;
    /* The empty prediction first (a threshold above every score). */
    double best = P > 0 ? 0.0 : 1.0;
    int kbest = SW_SCORE_BINS;
    for (int k = SW_SCORE_BINS - 1; k >= 0; k--) {
        double c = (double)h->change[k], u = (double)h->nochange[k];
        if (c == 0 && u == 0)
            continue;
        wrong += c * (fp + 0.5 * u); /* pairs ranked wrong: unchanged above these changed, ties half */
        tp += c;
        fp += u;
        if (c > 0)
            ap += (c / P) * (tp / (tp + fp));
        double f1 = 2 * tp / (2 * tp + fp + (P - tp));
        if (f1 > best) {
            best = f1;
            kbest = k;
            out->best.tp = (int64_t)tp;
            out->best.fp = (int64_t)fp;
        }
    }
    out->roc_auc = P > 0 && N > 0 ? 1.0 - wrong / (P * N) : NAN;
    out->average_precision = P > 0 && N > 0 ? ap : NAN;
    out->best.fn = out->change - out->best.tp;
    out->best.tn = out->nochange - out->best.fp;
    out->best.ignored = h->ignored;
    out->best_threshold = kbest == SW_SCORE_BINS ? INFINITY
                          : isfinite(h->lo)     ? linear_scale(h->lo + kbest * bin_width(h))
                                                : NAN;
}
