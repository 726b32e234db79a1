/*
 * run.c: one detection on a window of a pair, start to end, and the
 * in-memory entry point sw_detect_window.
 *
 *   method    resolved (auto's rule, methods/auto.c) and opened
 *   shift     the pair's estimate applied, or not, for this method
 *   plan      strips, the sample's grid (plan.c)
 *   sample    the sample pass (passes.c)
 *   fit       the method and the threshold (fit.c)
 *   score     the score pass: rows kept, labelling pass 1
 *   label     objects kept by area and shape, holes; the label pass
 *   objects   per object: area, sub-pixel area, scores, centroid
 *
 * The file sinks of sw_detect_run (src/sinks/) take the run from there.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "engine.h"

const char *const sw__stage_names[SW__NSTAGE] = {"open", "coregister", "sample", "fit", "score",
                                                 "label", "vectorize", "quicklook", "hash"};

void sw_detect_opts_init(sw_detect_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->threshold = SW_THRESHOLD_DEFAULT;
    o->threshold_value = 0.01;
    o->min_area = -1.0;
    o->coregister = -1;
    o->normalize = 1;
    o->morph = SW_MORPH_NONE;
    o->morph_radius = 1;
}

/* The caller's options over the defaults, as far as the caller's struct
 * reaches (an older header's is shorter). */
static void opts_copy(sw_detect_opts *dst, const sw_detect_opts *src)
{
    sw_detect_opts_init(dst);
    if (src) {
        size_t n = src->size && src->size < sizeof *dst ? src->size : sizeof *dst;
        memcpy(dst, src, n);
        dst->size = sizeof *dst;
    }
}

int sw__detect_opts_check(sw_ctx *ctx, const sw_detect_opts *o)
{
    if (o->threshold == SW_THRESHOLD_FIXED && !isfinite(o->threshold_value))
        return sw__err(ctx, SW_EARG, "threshold %g: a finite score is needed", o->threshold_value);
    if (o->threshold == SW_THRESHOLD_CHI2 && !(o->threshold_value > 0.0 && o->threshold_value < 1.0))
        return sw__err(ctx, SW_EARG, "--threshold chi2 probability must be in (0, 1), got %g", o->threshold_value);
    if (isnan(o->min_area) || isinf(o->min_area))
        return sw__err(ctx, SW_EARG, "min area %g: a finite area is needed", o->min_area);
    if (!(o->sliver_width >= 0.0 && o->sliver_width <= 100.0))
        return sw__err(ctx, SW_EARG, "sliver width %g: 0 to 100 pixels", o->sliver_width);
    if (!(o->fill_holes >= 0.0))
        return sw__err(ctx, SW_EARG, "fill holes %g: an area >= 0 (inf: any)", o->fill_holes);
    if (o->morph != SW_MORPH_NONE && (o->morph_radius < 1 || o->morph_radius > 16))
        return sw__err(ctx, SW_EARG, "morphology radius %d: 1 to 16", o->morph_radius);
    if (o->threads < 0 || o->tile_rows < 0 || o->sample_pixels < 0 || o->irmad_iterations < 0 || o->max_memory < 0 ||
        o->max_pixels < 0)
        return sw__err(ctx, SW_EARG, "threads, strip rows, sample size, iterations and memory must not be negative");
    if (!(o->gsd >= 0.0 && o->gsd <= 1e6))
        return sw__err(ctx, SW_EARG, "pixel size %g: metres from 0 to 1000000", o->gsd);
    return 0;
}

/* Process-wide settings, once: the workers are the parallelism, so BLAS
 * runs one thread in each. */
static void engine_once(void)
{
    openblas_set_num_threads(1);
}

/* The method the options name (auto resolved), opened on the pair. */
static int open_method(sw__run *r)
{
    const char *name = r->o->method ? r->o->method : "auto";
    r->method_reason = "asked for";
    sw_threshold_kind suits = SW_THRESHOLD_OTSU;
    int rc;
    if (strcmp(name, "auto") == 0) {
        if ((rc = sw__method_auto(r->ctx, &r->env, &r->m, &r->ms, &r->method_reason, &suits)) != 0)
            return rc;
    } else if (!(r->m = sw__method_find(name))) {
        return sw__err(r->ctx, SW_EARG, "unknown method '%s' (one of: %s)", name, sw__method_names());
    }
    r->threshold_kind = r->o->threshold == SW_THRESHOLD_DEFAULT ? suits : r->o->threshold;
    if (r->o->tta && strcmp(r->m->name, "learned") != 0)
        sw__warn(r->ctx, "%s: --tta applies to the learned method only; %s runs without it", r->pair->before,
                 r->m->name);
    /* (auto opened the method it chose when that told it whether it can) */
    return r->m->open && !r->ms ? r->m->open(r->ctx, &r->env, &r->ms) : 0;
}

/* The pair's shift, applied for this run or not. */
static void decide_shift(sw__run *r)
{
    const sw__align *a = &r->pair->align;
    int ask = r->pair->opts.coregister;
    r->shift_applied = 0;
    if (ask == 0)
        r->shift_note = "off";
    else if (!a->worth)
        r->shift_note = a->note ? a->note : "no estimate";
    else if (ask < 0 && r->m->tolerates_shift)
        r->shift_note = "not applied: the method is trained to tolerate misregistration (--coreg on applies it)";
    else {
        r->shift_applied = 1;
        r->shift_note = a->note;
    }
    static const double zero[3] = {0, 0, 0};
    sw__pair_set_affine(r->pair->io, r->shift_applied ? a->ax : zero, r->shift_applied ? a->ay : zero);
}

/* The pixels an object covers, each edge pixel by its share: the plateau
 * of its (normalized) scores is the upper quartile, and a pixel at a
 * fraction f of it counts f. */
static double subpixel_area(const uint32_t *hist, int64_t npix)
{
    int64_t seen = 0, q = (npix * 3 + 3) / 4;
    int b = 0;
    for (; b < SW__SUBPIX_BINS - 1; b++) {
        seen += hist[b];
        if (seen >= q)
            break;
    }
    double plateau = (b + 0.5) / SW__SUBPIX_BINS, sum = 0;
    for (int i = 0; i < SW__SUBPIX_BINS; i++) {
        double f = (i + 0.5) / SW__SUBPIX_BINS / plateau;
        sum += hist[i] * (f < 1 ? f : 1);
    }
    return sum;
}

/* Which components of not-change are holes to fill: small enough, all
 * valid, and not touching the scene's edge (where they may be open). */
static void choose_holes(sw__run *r, int64_t ncomp, int64_t max_pixels)
{
    sw__object *o = sw__ccl_objects(r->holes);
    for (int64_t i = 0; i < ncomp; i++)
        o[i].id = o[i].npix <= max_pixels && o[i].score_max <= 0.0f && o[i].xmin > 0 && o[i].ymin > 0 &&
                  o[i].xmax < r->W - 1 && o[i].ymax < r->H - 1;
}

static int sample(sw__run *r)
{
    int64_t target = r->o->sample_pixels > 0 ? r->o->sample_pixels : 1000000;
    int64_t cap_by_mem = r->budget / 8 / (int64_t)(2 * r->nb * 4 + 32);
    if (target > cap_by_mem)
        target = cap_by_mem;
    int rc = sw__plan_sample(r, target);
    if (rc)
        return rc;
    size_t scap = (size_t)r->nsrows * (size_t)r->scols;
    r->sx = malloc(scap * (size_t)r->nb * sizeof(float));
    r->sy = malloc(scap * (size_t)r->nb * sizeof(float));
    if (!r->sx || !r->sy)
        return sw__err(r->ctx, SW_ENOMEM, "out of memory for the sample");
    if ((rc = sw__pass_sample(r)) != 0)
        return rc;
    if (r->ns < 16)
        return sw__err(r->ctx, SW_ENODATA, "%s and %s: %s", r->pair->before, r->pair->after,
                       r->ns == 0 ? "no pixel is valid on both dates (all nodata, masked, or outside the overlap)"
                                  : "too few pixels are valid on both dates");
    return 0;
}

static int score(sw__run *r)
{
    sw_ctx *ctx = r->ctx;
    int rc = r->rows->open_scores(r);
    if (rc)
        return rc;
    r->ccl = sw__ccl_new(r->W);
    if (r->o->fill_holes > 0.0)
        r->holes = sw__ccl_new(r->W);
    if (!r->ccl || (r->o->fill_holes > 0.0 && !r->holes))
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    if ((rc = sw__pass_score(r)) != 0 || (rc = r->rows->close_scores(r)) != 0)
        return rc;
    if (r->valid_pixels == 0)
        return sw__err(ctx, SW_ENODATA, "%s and %s: no pixel is valid on both dates", r->pair->before,
                       r->pair->after);
    return 0;
}

static int label(sw__run *r)
{
    sw_ctx *ctx = r->ctx;
    const sw_detect_opts *o = r->o;
    r->nobj_all = sw__ccl_finish(r->ccl);
    if (r->nobj_all < 0)
        return sw__err(ctx, SW_ENOMEM, "out of memory labelling change objects");
    double pix_area = sw__grid_pixel_area(&r->info->grid, 0.5 * (double)r->H);
    r->min_area = o->min_area >= 0.0 ? o->min_area : 10.0 * pix_area;
    r->min_pixels = (int64_t)ceil(r->min_area / pix_area - 1e-9);
    if (r->min_pixels < 1)
        r->min_pixels = 1;
    r->nobj = sw__ccl_keep_shaped(r->ccl, r->min_pixels, o->sliver_width);
    sw__ccl_rewind(r->ccl);
    if (r->holes) {
        int64_t ncomp = sw__ccl_finish(r->holes);
        r->filled = calloc((size_t)r->nobj + 1, sizeof *r->filled);
        r->hbox = malloc(((size_t)r->nobj + 1) * sizeof *r->hbox);
        if (ncomp < 0 || !r->filled || !r->hbox)
            return sw__err(ctx, SW_ENOMEM, "out of memory finding holes");
        for (int64_t i = 0; i <= r->nobj; i++) {
            r->hbox[i][0] = r->hbox[i][1] = INT64_MAX;
            r->hbox[i][2] = r->hbox[i][3] = -1;
        }
        double max_holes = floor(o->fill_holes / pix_area + 1e-9);
        choose_holes(r, ncomp, max_holes < 9e18 ? (int64_t)max_holes : INT64_MAX); /* "inf": any size */
        sw__ccl_rewind(r->holes);
    }
    int rc = r->rows->open_labels(r);
    if (rc)
        return rc;
    /* Scores that grow with the share of a pixel that changed let an
     * object's edge pixels count by that share. */
    if (r->m->score_power) {
        r->hist = calloc((size_t)r->nobj + 1, sizeof *r->hist);
        r->objmax = calloc((size_t)r->nobj + 1, sizeof *r->objmax);
        if (!r->hist || !r->objmax)
            return sw__err(ctx, SW_ENOMEM, "out of memory");
        const sw__object *ob = sw__ccl_objects(r->ccl);
        for (int64_t i = 0; i < r->nobj_all; i++)
            if (ob[i].id)
                r->objmax[ob[i].id] = (float)ob[i].score_max;
    }
    if ((rc = sw__pass_label(r)) != 0)
        return rc;
    return r->rows->close_labels(r);
}

/* Each kept object's measures, in id order. */
static int measure(sw__run *r, sw_detect_result *res)
{
    r->vobj = calloc((size_t)r->nobj + 1, sizeof *r->vobj);
    if (!r->vobj)
        return sw__err(r->ctx, SW_ENOMEM, "out of memory");
    const sw__object *objs = sw__ccl_objects(r->ccl);
    int64_t k = 0;
    for (int64_t i = 0; i < r->nobj_all; i++) {
        const sw__object *ob = &objs[i];
        if (!ob->id)
            continue;
        sw__vobject *v = &r->vobj[k++];
        v->id = ob->id;
        v->npix = ob->npix + (r->filled ? r->filled[ob->id] : 0); /* with its filled holes */
        v->cx = ob->sum_x / (double)ob->npix + 0.5;
        v->cy = ob->sum_y / (double)ob->npix + 0.5;
        v->area_m2 = (double)v->npix * sw__grid_pixel_area(&r->info->grid, v->cy);
        v->score_mean = ob->score_sum / (double)ob->npix;
        v->score_max = ob->score_max;
        v->area_subpixel_m2 = r->hist ? subpixel_area(r->hist[v->id], v->npix) * v->area_m2 / (double)v->npix
                                      : v->area_m2;
        /* its box, with the holes filled into it (the vectors trace there) */
        const int64_t *hb = r->hbox ? r->hbox[ob->id] : NULL;
        v->xmin = hb && hb[0] < ob->xmin ? hb[0] : ob->xmin;
        v->ymin = hb && hb[1] < ob->ymin ? hb[1] : ob->ymin;
        v->xmax = hb && hb[2] > ob->xmax ? hb[2] : ob->xmax;
        v->ymax = hb && hb[3] > ob->ymax ? hb[3] : ob->ymax;
        v->lon = v->lat = NAN;
        sw__pair_lonlat(r->pair->io, v->cx, v->cy, &v->lon, &v->lat);
        res->changed_pixels += v->npix;
        res->changed_area_m2 += v->area_m2;
    }
    return 0;
}

int sw__run_detect(sw__run *r, sw_detect_result *res)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, engine_once);
    sw_ctx *ctx = r->ctx;
    const sw_detect_opts *o = r->o;
    double t0 = sw__now();
    memset(res, 0, sizeof *res);
    int rc = sw__detect_opts_check(ctx, o);
    if (rc)
        return rc;
    r->budget = o->max_memory > 0 ? o->max_memory : (int64_t)1 << 30;
    if (r->budget < ((int64_t)64 << 20))
        return sw__err(ctx, SW_EARG, "--max-memory must be at least 64M");
    if (o->threshold == SW_THRESHOLD_CHI2 && o->method && strcmp(o->method, "auto") != 0 &&
        sw__method_find(o->method) && !sw__method_find(o->method)->chi2)
        return sw__err(ctx, SW_EARG, "--threshold chi2 needs --method irmad");
    sw__io_init(r->budget / 4);
    r->threads = o->threads > 0 ? o->threads : sw__ncores();
    r->info = sw__pair_get_info(r->pair->io);
    r->W = r->info->grid.width;
    r->H = r->info->grid.height;
    r->nb = r->info->nbands;
    if (r->nb > 64)
        return sw__err(ctx, SW_EARG, "%s: %d bands; at most 64 can be analysed (select with --bands)",
                       r->pair->before, r->nb);
    /* Work in proportion to the pixels: bounded up front, not after minutes. */
    int64_t limit = o->max_pixels > 0 ? o->max_pixels : (int64_t)1 << 32;
    if (r->W > limit / r->H)
        return sw__err(ctx, SW_EARG, "%s: %lld x %lld = %.3g pixels, more than the limit of %.3g (--max-pixels, "
                                     "or a window of it)",
                       r->pair->before, (long long)r->W, (long long)r->H, (double)r->W * (double)r->H,
                       (double)limit);
    const sw__grid *g = &r->info->grid;
    r->env = (sw__method_env){.nb = r->nb, .band_names = (const char *const *)r->info->band_names,
                              .gsd = g->georef ? 0.5 * (g->pixel_w_m + g->pixel_h_m) : 0.0, .georef = g->georef,
                              .width = r->W, .height = r->H, .opts = o, .before = r->pair->before,
                              .pair = r->pair->io, .display = r->info->display};
    rc = open_method(r);
    if (rc)
        return rc;
    r->halo_rows = (r->m->halo ? r->m->halo(r->ms) : r->m->prefilter + r->m->context) +
                   sw__morph_halo(o->morph, o->morph_radius);
    decide_shift(r);
    if ((rc = sw__plan_strips(r)) != 0)
        return rc;
    r->t[SW__T_OPEN] += sw__now() - t0;

    t0 = sw__now();
    if (r->quicklook && (rc = sw__plan_quicklook(r)) != 0)
        return rc;
    if ((rc = sample(r)) != 0)
        return rc;
    r->t[SW__T_SAMPLE] = sw__now() - t0;

    t0 = sw__now();
    if ((rc = sw__fit(r)) != 0)
        return rc;
    r->t[SW__T_FIT] = sw__now() - t0;

    t0 = sw__now();
    if ((rc = score(r)) != 0)
        return rc;
    r->t[SW__T_SCORE] = sw__now() - t0;

    t0 = sw__now();
    if ((rc = label(r)) != 0)
        return rc;
    r->t[SW__T_LABEL] = sw__now() - t0;

    t0 = sw__now();
    if ((rc = measure(r, res)) != 0)
        return rc;
    r->t[SW__T_VECTOR] = sw__now() - t0;
    res->width = r->W;
    res->height = r->H;
    res->georeferenced = g->georef;
    res->valid_pixels = r->valid_pixels;
    res->objects = r->nobj;
    res->threshold = r->threshold;
    res->shift_applied = r->shift_applied;
    res->shift_dx = r->shift_applied ? r->pair->align.dx : 0.0;
    res->shift_dy = r->shift_applied ? r->pair->align.dy : 0.0;
    return 0;
}

void sw__run_free(sw__run *r)
{
    if (r->rows)
        r->rows->free(r);
    sw__ccl_free(r->ccl);
    sw__ccl_free(r->holes);
    free(r->filled);
    free(r->hbox);
    if (r->m && r->m->free)
        r->m->free(r->ms);
    free(r->sx);
    free(r->sy);
    free(r->ql[0]);
    free(r->ql[1]);
    free(r->qvalid);
    free(r->qmask);
    free(r->srows);
    free(r->sjob);
    free(r->vobj);
    free(r->hist);
    free(r->objmax);
}

/* ---- in memory ---- */

struct sw_objects {
    int64_t n;
    sw_object *items;
    char **wkt;
    sw_detect_result result;
    const char *method, *reason;
};

int64_t sw_objects_count(const sw_objects *objs)
{
    return objs ? objs->n : 0;
}

const sw_object *sw_objects_get(const sw_objects *objs, int64_t i)
{
    return objs && i >= 0 && i < objs->n ? &objs->items[i] : NULL;
}

const sw_detect_result *sw_objects_result(const sw_objects *objs)
{
    return objs ? &objs->result : NULL;
}

const char *sw_objects_method(const sw_objects *objs, const char **reason)
{
    if (reason)
        *reason = objs ? objs->reason : NULL;
    return objs ? objs->method : NULL;
}

void sw_objects_free(sw_objects *objs)
{
    if (!objs)
        return;
    for (int64_t i = 0; objs->wkt && i < objs->n; i++)
        free(objs->wkt[i]);
    free(objs->wkt);
    free(objs->items);
    free(objs);
}

/* The run's objects with their outlines, traced from the ids in memory. */
static int collect(sw__run *r, const sw_detect_result *res, sw_objects **out)
{
    sw_objects *s = calloc(1, sizeof *s);
    if (!s)
        return sw__err(r->ctx, SW_ENOMEM, "out of memory");
    s->n = r->nobj;
    s->result = *res;
    s->method = r->m->name;
    s->reason = r->method_reason;
    s->items = calloc((size_t)s->n + 1, sizeof *s->items);
    s->wkt = calloc((size_t)s->n + 1, sizeof *s->wkt);
    int rc = !s->items || !s->wkt ? sw__err(r->ctx, SW_ENOMEM, "out of memory")
                                  : sw__polygons_wkt(r->ctx, ((sw__mem_rows *)r->rows_state)->ids, &r->info->grid,
                                                     r->vobj, r->nobj, s->wkt);
    const double *gt = r->info->grid.gt;
    for (int64_t i = 0; rc == 0 && i < s->n; i++) {
        const sw__vobject *v = &r->vobj[i];
        sw_object *o = &s->items[i];
        o->id = v->id;
        o->pixels = v->npix;
        o->area_m2 = v->area_m2;
        o->area_subpixel_m2 = v->area_subpixel_m2;
        o->score_mean = v->score_mean;
        o->score_max = v->score_max;
        o->col = v->cx;
        o->row = v->cy;
        o->x = gt[0] + v->cx * gt[1] + v->cy * gt[2];
        o->y = gt[3] + v->cx * gt[4] + v->cy * gt[5];
        o->lon = v->lon;
        o->lat = v->lat;
        o->wkt = s->wkt[v->id - 1] ? s->wkt[v->id - 1] : "MULTIPOLYGON EMPTY";
    }
    if (rc) {
        sw_objects_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

int sw_detect_window(sw_ctx *ctx, sw_pair *pair, const sw_window *window, const sw_detect_opts *opts,
                     sw_objects **objects)
{
    if (!objects)
        return sw__err(ctx, SW_EARG, "sw_detect_window: objects is NULL");
    *objects = NULL;
    if (!pair)
        return sw__err(ctx, SW_EARG, "sw_detect_window: pair is NULL");
    sw_detect_opts o;
    opts_copy(&o, opts);
    int rc = sw__pair_window(ctx, pair, window);
    if (rc)
        return rc;
    sw__run R = {.ctx = ctx, .o = &o, .pair = pair, .rows = &sw__rows_memory};
    sw_detect_result res;
    rc = sw__run_detect(&R, &res);
    if (rc == 0)
        rc = collect(&R, &res, objects);
    if (rc == 0) {
        size_t n = (size_t)R.W * (size_t)R.H;
        const sw__mem_rows *m = R.rows_state;
        if (o.score_out)
            memcpy(o.score_out, m->score, n * sizeof(float));
        if (o.mask_out)
            memcpy(o.mask_out, m->mask, n);
    }
    if (o.progress && rc == 0)
        o.progress(1.0, "done", o.progress_user);
    sw__run_free(&R);
    sw__pair_window(ctx, pair, NULL);
    return rc;
}
