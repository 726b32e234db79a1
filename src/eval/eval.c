/*
 * eval.c: confusion matrix and scores of a change map against a reference,
 * read in strips so any size fits in memory.
 */
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
    int seen0 = 0, seen1 = 0, seen2 = 0, other = 0;
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
            seen0 |= v == 0;
            seen1 |= v == 1;
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

int sw_eval_pair(sw_ctx *ctx, const char *pred, const char *truth, const sw_eval_opts *opts,
                 sw_confusion *out, sw_truth_encoding *used)
{
    sw_eval_opts def;
    if (!opts) {
        sw_eval_opts_init(&def);
        opts = &def;
    }
    memset(out, 0, sizeof *out);
    sw__band *p = sw__band_open(ctx, pred);
    if (!p)
        return ctx->code;
    sw__band *t = sw__band_open(ctx, truth);
    if (!t) {
        sw__band_close(p);
        return ctx->code;
    }
    int64_t pw, ph, tw, th;
    sw__band_size(p, &pw, &ph);
    sw__band_size(t, &tw, &th);
    int rc = 0;
    uint16_t *pv = NULL, *tv = NULL;
    uint8_t *pm = NULL, *tm = NULL;
    if (pw != tw || ph != th) {
        rc = sw__err(ctx, SW_EMISMATCH, "%s is %lldx%lld but %s is %lldx%lld", pred, (long long)pw,
                     (long long)ph, truth, (long long)tw, (long long)th);
        goto done;
    }
    size_t n = (size_t)pw * ROWS;
    pv = malloc(n * sizeof *pv);
    tv = malloc(n * sizeof *tv);
    pm = malloc(n);
    tm = malloc(n);
    if (!pv || !tv || !pm || !tm) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        goto done;
    }
    sw_truth_encoding enc = opts->truth;
    if (enc == SW_TRUTH_AUTO && (rc = detect_encoding(ctx, t, tw, th, tv, tm, opts->ignore_value, &enc)))
        goto done;
    if (used)
        *used = enc;
    for (int64_t y0 = 0; y0 < ph; y0 += ROWS) {
        int rows = (int)(ph - y0 < ROWS ? ph - y0 : ROWS);
        if ((rc = sw__band_read(p, ctx, y0, rows, pv, pm)) || (rc = sw__band_read(t, ctx, y0, rows, tv, tm)))
            goto done;
        for (int64_t i = 0; i < pw * rows; i++) {
            int tc = tm[i] && (int)tv[i] != opts->ignore_value ? truth_class(enc, tv[i]) : -1;
            if (tc < 0 || !pm[i]) {
                out->ignored++;
                continue;
            }
            int pc = pv[i] != 0;
            if (pc && tc)
                out->tp++;
            else if (pc)
                out->fp++;
            else if (tc)
                out->fn++;
            else
                out->tn++;
        }
    }
done:
    free(pv);
    free(tv);
    free(pm);
    free(tm);
    sw__band_close(p);
    sw__band_close(t);
    return rc;
}
