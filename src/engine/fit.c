/*
 * fit.c: the method fitted on the sample, and the threshold chosen.
 *
 * The threshold is, in order: a fixed value (-t VALUE); a chi-square
 * quantile (-t chi2, for methods whose scores are chi-square distributed);
 * a rule of the method's own (the model's operating probability, k-means'
 * boundary, ...); else Otsu's or Kittler-Illingworth's split of the
 * sample's score histogram, with the heavy tail folded into the top bin,
 * never below the method's floor: the smallest score that can mean change,
 * so that a pair without change is not split in two.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static int choose_threshold(sw__run *r)
{
    const sw_detect_opts *o = r->o;
    if (o->threshold == SW_THRESHOLD_FIXED) {
        r->threshold = o->threshold_value;
        r->threshold_rule = "fixed";
        return 0;
    }
    if (o->threshold == SW_THRESHOLD_CHI2) {
        if (!r->m->chi2 || !r->m->chi2_dof)
            return sw__err(r->ctx, SW_EARG, "--threshold chi2 needs --method irmad");
        if (!(o->threshold_value > 0.0 && o->threshold_value < 1.0))
            return sw__err(r->ctx, SW_EARG, "--threshold chi2 probability must be in (0, 1), got %g",
                           o->threshold_value);
        r->threshold = sw__chi2_quantile(1.0 - o->threshold_value, (double)r->m->chi2_dof(r->ms));
        r->threshold_rule = "chi2";
        return 0;
    }
    if (r->m->threshold && r->m->threshold(r->ms, &r->threshold, &r->threshold_rule))
        return 0;
    if (!r->m->pixels)
        return sw__err(r->ctx, SW_EINTERNAL, "method %s has neither a pixel kernel nor a threshold rule", r->m->name);
    /* Otsu on the sample's scores, with the heavy tail clipped into the
     * top bin so that a few extreme pixels do not flatten the histogram. */
    enum { NBINS = 1024 };
    float *s = malloc((size_t)r->ns * sizeof *s), *copy = malloc((size_t)r->ns * sizeof *copy);
    uint8_t *ones = malloc((size_t)r->ns);
    int64_t *hist = calloc(NBINS, sizeof *hist);
    if (!s || !copy || !ones || !hist) {
        free(s);
        free(copy);
        free(ones);
        free(hist);
        return sw__err(r->ctx, SW_ENOMEM, "out of memory");
    }
    memset(ones, 1, (size_t)r->ns);
    r->m->pixels(r->ms, r->sx, r->sy, ones, r->ns, s);
    double lo = 0.0;
    memcpy(copy, s, (size_t)r->ns * sizeof *copy);
    double hi = sw__quantile(copy, r->ns, 0.995);
    if (!(hi > lo))
        hi = lo + 1.0;
    for (int64_t i = 0; i < r->ns; i++) {
        double f = (s[i] - lo) / (hi - lo) * NBINS;
        int b = f < 0 ? 0 : f >= NBINS ? NBINS - 1 : (int)f;
        hist[b]++;
    }
    int ki = r->threshold_kind == SW_THRESHOLD_KI;
    r->threshold = ki ? sw__kittler(hist, NBINS, lo, hi) : sw__otsu(hist, NBINS, lo, hi);
    r->otsu_clip = hi;
    r->threshold_rule = ki ? "kittler-illingworth" : "otsu";
    /* Otsu splits any histogram, even one of pure noise: a pair without
     * change (or related by a gain and offset only) would get a sixth to
     * half of its pixels flagged. A change must exceed what noise alone
     * rarely reaches. */
    r->threshold_floor = r->m->floor ? r->m->floor(r->ms) : 0.0;
    if (r->threshold < r->threshold_floor) {
        r->threshold = r->threshold_floor;
        r->threshold_rule = ki ? "kittler-illingworth, raised to the minimum change"
                               : "otsu, raised to the minimum change";
    }
    free(s);
    free(copy);
    free(ones);
    free(hist);
    return 0;
}

int sw__fit(sw__run *r)
{
    int rc = r->m->fit(r->ms, r->ctx, &r->env, r->sx, r->sy, r->ns);
    return rc ? rc : choose_threshold(r);
}
