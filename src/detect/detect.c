/*
 * detect.c: the `detect` pipeline, as passes of the tile engine.
 *
 *   open      both dates on BEFORE's grid (src/io/pair.c)
 *   sample    a regular grid of pixels is read (every step-th column of
 *             every step-th row, rows drawn from every m-th block row of
 *             the file so that a tiled image is not decoded whole); it fits
 *             the method (CVA's standardization, IR-MAD's transform) and
 *             sets the threshold
 *   score     full-width strips in parallel: read, score, threshold; the
 *             ordered sink writes score.tif and a raw mask and runs pass 1
 *             of the streaming connected-component labelling
 *   label     strips of the raw mask again: pass 2 gives every pixel its
 *             object id (small objects dropped); mask.tif and an id raster
 *   vectorize polygons of the id raster, with per-object attributes
 *   report    quicklook.png, summary.json; temporary names renamed last
 *
 * Everything that sums over pixels happens in the sample (fixed by the
 * grid, not by threads) or in the ordered sink, so the outputs are the
 * same for any thread count and strip height.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "../coreg/coreg.h"
#include "../screen/screen.h"
#include "../io/io.h"
#include "detect_int.h"

enum { NSTAGE = 9, SAMPLE_ROWS_PER_JOB = 8, QL_MAX = 1024, COREG_PATCH = 512 };
static const char *const stage_names[NSTAGE] = {"open", "coregister", "sample", "fit", "score",
                                                "label", "vectorize", "quicklook", "hash"};
enum { T_OPEN, T_COREG, T_SAMPLE, T_FIT, T_SCORE, T_LABEL, T_VECTOR, T_QUICKLOOK, T_HASH };

/* Sub-pixel area: an object's pixels binned by (score / its max)^(1/power). */
enum { SUBPIX_BINS = 32 };
enum { OUT_SCORE, OUT_MASK, OUT_GEOJSON, OUT_GPKG, OUT_QUICKLOOK, OUT_SUMMARY, OUT_RAW, OUT_IDS, NOUT };
static const char *const out_names[NOUT] = {"score.tif", "mask.tif", "changes.geojson",
                                            "changes.gpkg", "quicklook.png", "summary.json",
                                            "raw-mask.tif", "ids.tif"};

typedef struct run {
    sw_ctx *ctx;
    const sw_detect_opts *o;
    sw_method method;      /* the method run (opts' or the one auto chose) */
    const char *method_reason;
    sw__pair *pair;
    const sw__pair_info *info;
    int64_t W, H;
    int nb, threads, strip;
    int64_t nstrips;
    /* the sample: rows srows[0..nsrows), columns xoff + i*step */
    int64_t step, xoff, scols, nsrows, block_stride;
    int64_t *srows;
    int64_t *sjob, nsjobs, sjob_max; /* job i: rows srows[sjob[i] .. sjob[i+1]) */
    /* the quicklook grid: pixels (q/2 + i*q, q/2 + j*q), qw x qh */
    int64_t q, qw, qh;
    float *sx, *sy;        /* valid samples, nb floats each */
    int64_t ns;
    float *ql[2];          /* display bands on the grid, 3 per cell */
    uint8_t *qvalid, *qmask;
    sw__model model;
    sw_model *net;         /* learned: the network */
    char *net_path;
    double net_scale;      /* input pixel size over the model's */
    int halo_rows;         /* context rows read above and below a strip */
    double threshold, otsu_clip, threshold_floor;
    const char *threshold_rule;
    /* co-registration */
    sw__coreg cr;
    int cr_done, cr_reliable, cr_applied, cr_affine;
    double cr_ax[3], cr_ay[3], cr_dx, cr_dy; /* the shift field applied, and at the centre */
    sw__tiepoint tp[9];
    int ntp, tp_used;
    double tp_rms;
    int64_t cr_win[4];
    const char *cr_note;
    int64_t min_pixels;
    double min_area;
    /* outputs */
    char *tmp[NOUT], *final[NOUT];
    sw__rwriter *w_score, *w_raw, *w_mask, *w_ids;
    sw__ccl *ccl;
    sw__ccl *holes;        /* --fill-holes: components of everything not change */
    int64_t *filled;       /* per object id: hole pixels filled into it */
    int64_t valid_pixels, nobj_all, nobj;
    sw__vobject *vobj;
    uint32_t (*hist)[SUBPIX_BINS]; /* per object id: scores over its peak, for sub-pixel area */
    int screened;          /* --cloud-screen ran */
    double cloud_frac[2];  /* its verdict per date: share of the valid pixels masked */
    char *cloud_path[2];   /* the masks it wrote (temporary) */
    float *objmax;         /* per object id: its highest score */
    int score_power;       /* the score grows as the changed share to this power; 0: no estimate */
    double t[NSTAGE];
} run;

typedef struct worker {
    run *r;
    sw__reader *rd;
    sw__band *band;        /* label pass: the raw mask */
    sw__band *sband;       /* label pass: the score */
    float *bx, *by, *score;
    uint8_t *valid, *mask;
    uint16_t *u16;
    uint32_t *ids;
    float *ox, *oy;        /* sample pass: valid samples of this job */
    float *fx, *fy;        /* pre-filtered strip (methods with a neighbourhood) */
    uint8_t *fvalid;
    uint8_t *emask, *mwork;/* the mask with the morphology's context rows, scratch */
    float *dimg;           /* pcakm: the difference image of the rows read */
    float *score_out;      /* the strip's rows within score */
    float *hscore;         /* --fill-holes, one row: nodata flags for the hole labeller */
    uint8_t *hbg;          /* one row: not change */
    uint32_t *hids;        /* one row: 1 where a hole is filled */
    int64_t on, valid_count;
    int64_t y0;
    int nrows;
} worker;

void sw_detect_opts_init(sw_detect_opts *o)
{
    memset(o, 0, sizeof *o);
    o->method = SW_METHOD_CVA;
    o->threshold = SW_THRESHOLD_OTSU;
    o->threshold_value = 0.01;
    o->min_area = -1.0;
    o->coregister = -1;
    o->normalize = 1;
    o->morph = SW_MORPH_NONE;
    o->morph_radius = 1;
}

int sw_method_parse(const char *name, sw_method *out)
{
    if (strcmp(name, "cva") == 0)
        *out = SW_METHOD_CVA;
    else if (strcmp(name, "irmad") == 0)
        *out = SW_METHOD_IRMAD;
    else if (strcmp(name, "learned") == 0)
        *out = SW_METHOD_LEARNED;
    else if (strcmp(name, "diff") == 0)
        *out = SW_METHOD_DIFF;
    else if (strcmp(name, "logratio") == 0)
        *out = SW_METHOD_LOGRATIO;
    else if (strcmp(name, "auto") == 0)
        *out = SW_METHOD_AUTO;
    else if (strcmp(name, "pcakm") == 0)
        *out = SW_METHOD_PCAKM;
    else
        return SW_EARG;
    return 0;
}

const char *sw_method_name(sw_method m)
{
    switch (m) {
    case SW_METHOD_IRMAD: return "irmad";
    case SW_METHOD_LEARNED: return "learned";
    case SW_METHOD_DIFF: return "diff";
    case SW_METHOD_LOGRATIO: return "logratio";
    case SW_METHOD_AUTO: return "auto";
    case SW_METHOD_PCAKM: return "pcakm";
    default: return "cva";
    }
}

/* The neighbourhood a method's pre-filter needs, in rows and columns. */
static int prefilter_radius(sw_method m)
{
    return m == SW_METHOD_LOGRATIO ? 1 : 0;
}

/* Rows of context around a pixel that its score needs (beyond the
 * pre-filter's): PCA-k-means reads a block of the difference image. */
static int score_context(sw_method m)
{
    return m == SW_METHOD_PCAKM ? SW__PCAKM_H / 2 : 0;
}

static void score_pixels(sw_method method, const sw__model *m, const float *x, const float *y,
                         const uint8_t *valid, int64_t n, float *score)
{
    switch (method) {
    case SW_METHOD_IRMAD: sw__irmad_score(m, x, y, valid, n, score); break;
    case SW_METHOD_DIFF: sw__diff_score(m, x, y, valid, n, score); break;
    case SW_METHOD_LOGRATIO: sw__logratio_score(m, x, y, valid, n, score); break;
    default: sw__cva_score(m, x, y, valid, n, score); break;
    }
}

static void worker_free(worker *w)
{
    if (!w)
        return;
    sw__reader_close(w->rd);
    sw__band_close(w->band);
    sw__band_close(w->sband);
    free(w->bx);
    free(w->by);
    free(w->score);
    free(w->valid);
    free(w->mask);
    free(w->u16);
    free(w->ids);
    free(w->ox);
    free(w->oy);
    free(w->fx);
    free(w->fy);
    free(w->fvalid);
    free(w->emask);
    free(w->mwork);
    free(w->dimg);
    free(w->hscore);
    free(w->hbg);
    free(w->hids);
    free(w);
}

static void stop_worker(void *state)
{
    worker_free(state);
}

/* A worker with a pair reader and strip buffers for `rows` rows. */
static worker *worker_new(run *r, sw_ctx *wctx, int rows, int with_reader)
{
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->r = r;
    size_t npix = (size_t)r->W * (size_t)rows;
    if (with_reader) {
        w->rd = sw__reader_open(wctx, r->pair);
        w->bx = malloc(npix * (size_t)r->nb * sizeof(float));
        w->by = malloc(npix * (size_t)r->nb * sizeof(float));
    }
    w->score = malloc(npix * sizeof(float));
    w->valid = malloc(npix);
    w->mask = malloc(npix);
    if (r->holes) {
        w->hscore = malloc((size_t)r->W * sizeof(float));
        w->hbg = malloc((size_t)r->W);
        w->hids = malloc((size_t)r->W * sizeof(uint32_t));
    }
    if ((with_reader && (!w->rd || !w->bx || !w->by)) || !w->score || !w->valid || !w->mask ||
        (r->holes && (!w->hscore || !w->hbg || !w->hids))) {
        if (!wctx->code)
            sw__err(wctx, SW_ENOMEM, "out of memory for a %d-row strip", rows);
        worker_free(w);
        return NULL;
    }
    return w;
}

/* ---- pass 1: the sample ---- */

static void *sample_start(void *user, sw_ctx *wctx)
{
    run *r = user;
    int pr = prefilter_radius(r->method);
    worker *w = worker_new(r, wctx, 1 + 2 * pr, 1);
    if (w && pr) {
        w->fx = malloc((size_t)r->W * (size_t)r->nb * sizeof(float));
        w->fy = malloc((size_t)r->W * (size_t)r->nb * sizeof(float));
        w->fvalid = malloc((size_t)r->W);
        if (!w->fx || !w->fy || !w->fvalid) {
            sw__err(wctx, SW_ENOMEM, "out of memory for the sample");
            worker_free(w);
            return NULL;
        }
    }
    if (!w)
        return NULL;
    size_t cap = (size_t)r->sjob_max * (size_t)r->scols * (size_t)r->nb;
    w->ox = malloc(cap * sizeof(float));
    w->oy = malloc(cap * sizeof(float));
    if (!w->ox || !w->oy) {
        sw__err(wctx, SW_ENOMEM, "out of memory for the sample");
        worker_free(w);
        return NULL;
    }
    return w;
}

static int sample_generate(void *state, int64_t job, sw_ctx *wctx)
{
    worker *w = state;
    run *r = w->r;
    const int nb = r->nb;
    w->on = 0;
    const int pr = prefilter_radius(r->method);
    for (int64_t j = r->sjob[job]; j < r->sjob[job + 1]; j++) {
        /* With a pre-filter, the rows around the sample row too, so the
         * sample holds filtered values as the score pass will see them. */
        int64_t y = r->srows[j], ya = y - pr > 0 ? y - pr : 0, yb = y + pr + 1 < r->H ? y + pr + 1 : r->H;
        int rc = sw__reader_read(w->rd, wctx, ya, (int)(yb - ya), w->bx, w->by, w->valid);
        if (rc)
            return rc;
        const float *bx = w->bx + (size_t)(y - ya) * (size_t)r->W * nb, *by = w->by + (size_t)(y - ya) * (size_t)r->W * nb;
        const uint8_t *valid = w->valid + (size_t)(y - ya) * (size_t)r->W;
        if (pr) {
            sw__box_filter(w->bx, w->valid, r->W, (int)(yb - ya), nb, pr, (int)(y - ya), 1, w->fx, w->fvalid);
            sw__box_filter(w->by, w->valid, r->W, (int)(yb - ya), nb, pr, (int)(y - ya), 1, w->fy, w->fvalid);
            bx = w->fx;
            by = w->fy;
            valid = w->fvalid;
        }
        for (int64_t i = 0; i < r->scols; i++) {
            int64_t x = r->xoff + i * r->step;
            if (valid[x]) {
                memcpy(w->ox + w->on * nb, bx + x * nb, (size_t)nb * sizeof(float));
                memcpy(w->oy + w->on * nb, by + x * nb, (size_t)nb * sizeof(float));
                w->on++;
            }
        }
    }
    return 0;
}

static int sample_sink(void *state, int64_t job, sw_ctx *wctx)
{
    (void)job;
    (void)wctx;
    worker *w = state;
    run *r = w->r;
    memcpy(r->sx + r->ns * r->nb, w->ox, (size_t)w->on * (size_t)r->nb * sizeof(float));
    memcpy(r->sy + r->ns * r->nb, w->oy, (size_t)w->on * (size_t)r->nb * sizeof(float));
    r->ns += w->on;
    return 0;
}

/* ---- pass 2: score ---- */

static void *score_start(void *user, sw_ctx *wctx)
{
    run *r = user;
    worker *w = worker_new(r, wctx, r->strip + 2 * r->halo_rows, 1);
    size_t ext = (size_t)r->W * (size_t)(r->strip + 2 * r->halo_rows);
    if (w) {
        w->emask = malloc(ext);
        w->mwork = malloc(2 * ext);
        if (r->method == SW_METHOD_PCAKM)
            w->dimg = malloc(ext * sizeof(float));
        if (!w->emask || !w->mwork || (r->method == SW_METHOD_PCAKM && !w->dimg)) {
            sw__err(wctx, SW_ENOMEM, "out of memory for a %d-row strip", r->strip);
            worker_free(w);
            return NULL;
        }
    }
    if (w && prefilter_radius(r->method)) {
        size_t npix = ext;
        w->fx = malloc(npix * (size_t)r->nb * sizeof(float));
        w->fy = malloc(npix * (size_t)r->nb * sizeof(float));
        w->fvalid = malloc(npix);
        if (!w->fx || !w->fy || !w->fvalid) {
            sw__err(wctx, SW_ENOMEM, "out of memory for a %d-row strip", r->strip);
            worker_free(w);
            return NULL;
        }
    }
    return w;
}

static int score_generate(void *state, int64_t job, sw_ctx *wctx)
{
    worker *w = state;
    run *r = w->r;
    w->y0 = job * r->strip;
    w->nrows = (int)(r->H - w->y0 < r->strip ? r->H - w->y0 : r->strip);
    /* Rows scored: the strip plus what the morphology needs around it. */
    const int mh = sw__morph_halo(r->o->morph, r->o->morph_radius);
    int64_t e0 = w->y0 - mh > 0 ? w->y0 - mh : 0;
    int64_t e1 = w->y0 + w->nrows + mh < r->H ? w->y0 + w->nrows + mh : r->H;
    int erows = (int)(e1 - e0);
    /* Rows read: those plus the method's context (the learned model's, on
     * its pooling grid; the pre-filter's). */
    const int pr = prefilter_radius(r->method), cr = pr + score_context(r->method);
    int64_t ya = e0 - cr > 0 ? e0 - cr : 0, yb = e1 + cr < r->H ? e1 + cr : r->H;
    if (r->net)
        sw__learned_window(r->net, r->net_scale, e0, erows, r->H, &ya, &yb);
    int etop = (int)(e0 - ya);
    int rc = sw__reader_read(w->rd, wctx, ya, (int)(yb - ya), w->bx, w->by, w->valid);
    if (rc)
        return rc;
    int64_t en = r->W * erows, eoff = (int64_t)etop * r->W;
    if (pr) {
        sw__box_filter(w->bx, w->valid, r->W, (int)(yb - ya), r->nb, pr, etop, erows, w->fx, w->fvalid);
        sw__box_filter(w->by, w->valid, r->W, (int)(yb - ya), r->nb, pr, etop, erows, w->fy, w->fvalid);
        score_pixels(r->method, &r->model, w->fx, w->fy, w->fvalid, en, w->score);
    } else if (r->net) {
        rc = sw__learned_score(wctx, &r->model, r->net, r->net_scale, w->bx, w->by, w->valid, r->W,
                               (int)(yb - ya), etop, erows, w->score);
    } else if (r->method == SW_METHOD_PCAKM) {
        /* The difference image over every row read, then blocks of it. */
        sw__pcakm_difference(&r->model, w->bx, w->by, w->valid, r->W * (yb - ya), w->dimg);
        sw__pcakm_score(&r->model, w->dimg, w->valid, r->W, (int)(yb - ya), etop, erows, w->score);
    } else {
        score_pixels(r->method, &r->model, w->bx + eoff * r->nb, w->by + eoff * r->nb, w->valid + eoff, en,
                     w->score);
    }
    if (rc)
        return rc;
    const float t = (float)r->threshold;
    const uint8_t *evalid = w->valid + eoff;
    for (int64_t i = 0; i < en; i++)
        w->emask[i] = evalid[i] ? (uint8_t)(w->score[i] > t) : 255;
    /* The strip's own rows from here on. */
    int stop = (int)(w->y0 - e0);
    int64_t n = r->W * w->nrows, nvalid = 0, off = (int64_t)(w->y0 - ya) * r->W;
    const float *bx = w->bx + off * r->nb, *by = w->by + off * r->nb;
    const uint8_t *valid = w->valid + off;
    sw__morph(r->o->morph, r->o->morph_radius, w->emask, r->W, erows, stop, w->nrows, w->mask, w->mwork);
    w->score_out = w->score + (int64_t)stop * r->W;
    for (int64_t i = 0; i < n; i++)
        nvalid += valid[i];
    w->valid_count = nvalid;
    /* The quicklook's cells in this strip (rows of the grid are disjoint
     * between strips, so no ordering is needed). */
    const int *disp = r->info->display;
    for (int k = 0; k < w->nrows; k++) {
        int64_t y = w->y0 + k;
        if (y % r->q != r->q / 2 || y / r->q >= r->qh)
            continue;
        for (int64_t i = 0; i < r->qw; i++) {
            int64_t px = (int64_t)k * r->W + r->q / 2 + i * r->q, cell = (y / r->q) * r->qw + i;
            for (int c = 0; c < 3; c++) {
                r->ql[0][cell * 3 + c] = bx[px * r->nb + disp[c]];
                r->ql[1][cell * 3 + c] = by[px * r->nb + disp[c]];
            }
            r->qvalid[cell] = valid[px];
        }
    }
    return 0;
}

/* --fill-holes: the labeller of holes sees everything that is not change,
 * nodata marked by a score of 1 (a component holding any is no hole). In
 * pass 2 (ids != NULL) it writes 1 where a pixel lies in a hole to fill. */
static int hole_row(run *r, const uint8_t *m, uint8_t *bg, float *nodata, uint32_t *ids)
{
    for (int64_t x = 0; x < r->W; x++) {
        bg[x] = m[x] != 1;
        if (!ids)
            nodata[x] = m[x] == 255 ? 1.0f : 0.0f;
    }
    return ids ? sw__ccl_row2(r->holes, bg, ids) : sw__ccl_row(r->holes, bg, nodata, NULL);
}

/* Which components of not-change are holes to fill: small enough, all
 * valid, and not touching the scene's edge (where they may be open). */
static void choose_holes(run *r, int64_t ncomp, int64_t max_pixels)
{
    sw__object *o = sw__ccl_objects(r->holes);
    for (int64_t i = 0; i < ncomp; i++)
        o[i].id = o[i].npix <= max_pixels && o[i].score_max <= 0.0f && o[i].xmin > 0 && o[i].ymin > 0 &&
                  o[i].xmax < r->W - 1 && o[i].ymax < r->H - 1;
}

static int score_sink(void *state, int64_t job, sw_ctx *wctx)
{
    (void)job;
    worker *w = state;
    run *r = w->r;
    int rc = sw__rwriter_write(r->w_score, wctx, w->y0, w->nrows, w->score_out);
    if (!rc)
        rc = sw__rwriter_write(r->w_raw, wctx, w->y0, w->nrows, w->mask);
    if (rc)
        return rc;
    for (int k = 0; k < w->nrows; k++) {
        uint8_t *m = w->mask + (int64_t)k * r->W;
        /* The labeller sees 1 for change, 0 for anything else. */
        for (int64_t x = 0; x < r->W; x++)
            w->valid[x] = m[x] == 1;
        if (sw__ccl_row(r->ccl, w->valid, w->score_out + (int64_t)k * r->W, NULL) != 0)
            return sw__err(wctx, SW_ENOMEM, "out of memory labelling change objects");
        if (r->holes && hole_row(r, m, w->valid, w->hscore, NULL) != 0)
            return sw__err(wctx, SW_ENOMEM, "out of memory finding holes");
    }
    r->valid_pixels += w->valid_count;
    return 0;
}

/* ---- pass 3: label ---- */

static void *label_start(void *user, sw_ctx *wctx)
{
    run *r = user;
    worker *w = worker_new(r, wctx, r->strip, 0);
    if (!w)
        return NULL;
    size_t npix = (size_t)r->W * (size_t)r->strip;
    w->u16 = malloc(npix * sizeof(uint16_t));
    w->ids = malloc(npix * sizeof(uint32_t));
    w->band = sw__band_open(wctx, r->tmp[OUT_RAW]);
    w->sband = w->band && r->score_power ? sw__band_open(wctx, r->tmp[OUT_SCORE]) : NULL;
    if (!w->u16 || !w->ids || !w->band || (r->score_power && !w->sband)) {
        if (!wctx->code)
            sw__err(wctx, SW_ENOMEM, "out of memory");
        worker_free(w);
        return NULL;
    }
    return w;
}

static int label_generate(void *state, int64_t job, sw_ctx *wctx)
{
    worker *w = state;
    run *r = w->r;
    w->y0 = job * r->strip;
    w->nrows = (int)(r->H - w->y0 < r->strip ? r->H - w->y0 : r->strip);
    int rc = sw__band_read(w->band, wctx, w->y0, w->nrows, w->u16, w->valid);
    if (rc == 0 && w->sband)
        rc = sw__band_read_f32(w->sband, wctx, w->y0, w->nrows, w->score, NULL);
    if (rc)
        return rc;
    int64_t n = r->W * w->nrows;
    for (int64_t i = 0; i < n; i++)
        w->mask[i] = (uint8_t)w->u16[i];
    return 0;
}

static int label_sink(void *state, int64_t job, sw_ctx *wctx)
{
    (void)job;
    worker *w = state;
    run *r = w->r;
    for (int k = 0; k < w->nrows; k++) {
        uint8_t *m = w->mask + (int64_t)k * r->W, *fg = w->valid;
        uint32_t *ids = w->ids + (int64_t)k * r->W;
        for (int64_t x = 0; x < r->W; x++)
            fg[x] = m[x] == 1;
        if (sw__ccl_row2(r->ccl, fg, ids) != 0)
            return sw__err(wctx, SW_EINTERNAL, "labelling passes disagree");
        if (r->holes) {
            /* A hole's pixel joins the object on its left: a hole never
             * touches the scene's edge, so its run starts beside its object. */
            uint32_t *hole = w->hids;
            if (hole_row(r, m, w->hbg, NULL, hole) != 0)
                return sw__err(wctx, SW_EINTERNAL, "labelling passes disagree");
            for (int64_t x = 1; x < r->W; x++) {
                hole[x] = hole[x] && ids[x - 1];
                if (hole[x]) {
                    ids[x] = ids[x - 1];
                    m[x] = 1;
                    r->filled[ids[x]]++;
                }
            }
        }
        int64_t y = w->y0 + k, gy = y / r->q;
        for (int64_t x = 0; x < r->W; x++) {
            if (m[x] == 1 && !ids[x])
                m[x] = 0; /* part of a dropped small object */
            if (ids[x] && gy < r->qh && x / r->q < r->qw)
                r->qmask[gy * r->qw + x / r->q] = 1;
            if (ids[x] && r->hist) {
                float s = w->score[(int64_t)k * r->W + x], peak = r->objmax[ids[x]];
                double f = r->holes && w->hids[x] ? 1.0 /* a filled hole counts whole */
                           : peak > 0 && s > 0 ? s / peak : 0.0;
                if (r->score_power == 2)
                    f = sqrt(f);
                int b = (int)(f * SUBPIX_BINS);
                r->hist[ids[x]][b < 0 ? 0 : b >= SUBPIX_BINS ? SUBPIX_BINS - 1 : b]++;
            }
        }
    }
    int rc = sw__rwriter_write(r->w_mask, wctx, w->y0, w->nrows, w->mask);
    if (!rc)
        rc = sw__rwriter_write(r->w_ids, wctx, w->y0, w->nrows, w->ids);
    return rc;
}

/* The pixels an object covers, each edge pixel by its share: the plateau
 * of its (normalized) scores is the upper quartile, and a pixel at a
 * fraction f of it counts f. */
static double subpixel_area(const uint32_t *hist, int64_t npix)
{
    int64_t seen = 0, q = (npix * 3 + 3) / 4;
    int b = 0;
    for (; b < SUBPIX_BINS - 1; b++) {
        seen += hist[b];
        if (seen >= q)
            break;
    }
    double plateau = (b + 0.5) / SUBPIX_BINS, sum = 0;
    for (int i = 0; i < SUBPIX_BINS; i++) {
        double f = (i + 0.5) / SUBPIX_BINS / plateau;
        sum += hist[i] * (f < 1 ? f : 1);
    }
    return sum;
}

/* ---- the cloud screen (--cloud-screen) ---- */

static char *join_path(const char *dir, const char *name, const char *prefix);

/* Screens each date against the other for clouds and their shadows (the
 * pair read once, averaged down to at most 512 pixels a side); a date
 * with any gets a mask written on the grid and set on the pair. A date
 * with a mask of the user's is left to it. */
static int screen_pair(run *r, const char *outdir, const char *prefix)
{
    enum { CHUNK = 32 };
    double f = fmax(1.0, fmax((double)r->W, (double)r->H) / 512.0);
    int w = (int)ceil((double)r->W / f), h = (int)ceil((double)r->H / f), nb = r->nb;
    size_t n = (size_t)w * h;
    if (nb > SW__MAXB)
        return sw__err(r->ctx, SW_EARG, "--cloud-screen takes at most %d bands (select with --bands)", SW__MAXB);
    float *img[2] = {calloc(n * nb, sizeof(float)), calloc(n * nb, sizeof(float))};
    int32_t *cnt = calloc(n, sizeof *cnt), *all = calloc(n, sizeof *all);
    uint8_t *valid = malloc(n), *out = malloc(n), *v = malloc((size_t)r->W * CHUNK), *row = malloc((size_t)r->W);
    float *bx = malloc(sizeof(float) * (size_t)r->W * CHUNK * nb), *by = malloc(sizeof(float) * (size_t)r->W * CHUNK * nb);
    sw__reader *rd = sw__reader_open(r->ctx, r->pair);
    int rc = 0;
    if (!img[0] || !img[1] || !cnt || !all || !valid || !out || !v || !row || !bx || !by || !rd) {
        rc = rd ? sw__err(r->ctx, SW_ENOMEM, "out of memory for the cloud screen") : r->ctx->code;
        goto done;
    }
    for (int64_t y0 = 0; y0 < r->H && rc == 0; y0 += CHUNK) {
        int rows = (int)(r->H - y0 < CHUNK ? r->H - y0 : CHUNK);
        if ((rc = sw__reader_read(rd, r->ctx, y0, rows, bx, by, v)) != 0)
            break;
        for (int k = 0; k < rows; k++) {
            size_t cy = (size_t)((double)(y0 + k) / f);
            for (int64_t x = 0; x < r->W; x++) {
                size_t c = cy * (size_t)w + (size_t)((double)x / f), i = (size_t)k * (size_t)r->W + (size_t)x;
                all[c]++;
                if (!v[i])
                    continue;
                cnt[c]++;
                for (int b = 0; b < nb; b++) {
                    img[0][c * nb + b] += bx[i * nb + b];
                    img[1][c * nb + b] += by[i * nb + b];
                }
            }
        }
    }
    if (rc)
        goto done;
    for (size_t c = 0; c < n; c++) {
        valid[c] = cnt[c] * 2 > all[c];
        for (int b = 0; b < nb; b++) {
            img[0][c * nb + b] /= cnt[c] ? cnt[c] : 1;
            img[1][c * nb + b] /= cnt[c] ? cnt[c] : 1;
        }
    }
    sw__bandmap bm;
    sw__bandmap_guess((const char *const *)r->info->band_names, nb, &bm);
    const sw__grid *g = &r->info->grid;
    double pixel_m = f * (g->georef ? 0.5 * (g->pixel_w_m + g->pixel_h_m) : r->o->gsd > 0 ? r->o->gsd : 1.0);
    const char *user[2] = {r->o->mask_before, r->o->mask_after};
    static const char *const names[2] = {"clouds_before.tif", "clouds_after.tif"};
    r->screened = 1;
    for (int d = 0; d < 2 && rc == 0; d++) {
        r->cloud_frac[d] = NAN;
        if (user[d])
            continue;
        int64_t nc = 0, ns = 0, nv = 0;
        if (sw__cloud_screen(img[d], valid, img[1 - d], valid, NULL, NULL, w, h, nb, &bm, pixel_m, out, &nc, &ns) != 0) {
            rc = sw__err(r->ctx, SW_ENOMEM, "out of memory for the cloud screen");
            break;
        }
        for (size_t c = 0; c < n; c++)
            nv += valid[c];
        r->cloud_frac[d] = nv ? (double)(nc + ns) / (double)nv : 0.0;
        if (nc + ns == 0)
            continue;
        /* The mask on the pair's grid, by nearest neighbour, in rows. */
        r->cloud_path[d] = join_path(outdir, names[d], prefix);
        sw__rwriter *mw = r->cloud_path[d] ? sw__rwriter_create(r->ctx, r->cloud_path[d], g, 1, SW__U8, NAN,
                                                                 SW__W_PACKBITS)
                                           : NULL;
        if (!mw) {
            rc = r->cloud_path[d] ? r->ctx->code : sw__err(r->ctx, SW_ENOMEM, "out of memory");
            break;
        }
        for (int64_t y = 0; y < r->H && rc == 0; y++) {
            size_t cy = (size_t)((double)y / f);
            for (int64_t x = 0; x < r->W; x++)
                row[x] = out[cy * (size_t)w + (size_t)((double)x / f)];
            rc = sw__rwriter_write(mw, r->ctx, y, 1, row);
        }
        if (rc) {
            sw__rwriter_abort(mw);
            break;
        }
        if ((rc = sw__rwriter_close(mw, r->ctx)) == 0)
            rc = sw__pair_set_mask(r->ctx, r->pair, d, r->cloud_path[d], 1, 1);
    }
done:
    sw__reader_close(rd);
    free(img[0]);
    free(img[1]);
    free(cnt);
    free(all);
    free(valid);
    free(out);
    free(v);
    free(row);
    free(bx);
    free(by);
    return rc;
}

/* ---- co-registration ---- */

/* Reads the central patch of both dates (the mean of their bands), in
 * chunks of rows so that a wide scene costs no more memory than the patch,
 * estimates AFTER's shift, and applies it when it is reliable. */
/* Reads np S x S patches at (x0[k], y0), side by side in one band of rows,
 * of both dates as the mean of their bands, in chunks of rows so a wide
 * scene costs no more than the patches. */
static int read_patches(run *r, sw__reader *rd, int np, const int64_t *x0, int64_t y0, int64_t S, float **pa,
                        float **pb, uint8_t **pv, float *bx, float *by, uint8_t *v, int chunk)
{
    for (int64_t y = 0; y < S; y += chunk) {
        int n = (int)(S - y < chunk ? S - y : chunk);
        int rc = sw__reader_read(rd, r->ctx, y0 + y, n, bx, by, v);
        if (rc)
            return rc;
        for (int p = 0; p < np; p++)
            for (int k = 0; k < n; k++)
                for (int64_t x = 0; x < S; x++) {
                    size_t src = (size_t)k * (size_t)r->W + (size_t)(x0[p] + x);
                    size_t dst = (size_t)(y + k) * (size_t)S + (size_t)x;
                    float sa = 0, sb = 0;
                    for (int b = 0; b < r->nb; b++) {
                        sa += bx[src * r->nb + b];
                        sb += by[src * r->nb + b];
                    }
                    pa[p][dst] = sa / r->nb;
                    pb[p][dst] = sb / r->nb;
                    pv[p][dst] = v[src];
                }
    }
    return 0;
}

static int read_patch(run *r, sw__reader *rd, int64_t x0, int64_t y0, int64_t S, float *pa, float *pb,
                      uint8_t *pv, float *bx, float *by, uint8_t *v, int chunk)
{
    return read_patches(r, rd, 1, &x0, y0, S, &pa, &pb, &pv, bx, by, v, chunk);
}

/* The global shift from a central patch; then, on scenes large enough,
 * a 3 x 3 grid of tie points whose agreeing ones fit an affine shift field,
 * used when it explains them far better than one shift and departs from
 * the global shift by more than 0.2 px somewhere in the scene. Applied
 * when reliable. */
static int coregister(run *r)
{
    int64_t S = COREG_PATCH;
    if (S > r->W)
        S = r->W;
    if (S > r->H)
        S = r->H;
    S &= ~(int64_t)1;
    if (S < 64) {
        r->cr_note = "image too small";
        return 0;
    }
    int64_t x0 = (r->W - S) / 2, y0 = (r->H - S) / 2;
    r->cr_win[0] = x0;
    r->cr_win[1] = y0;
    r->cr_win[2] = S;
    r->cr_win[3] = S;
    enum { CHUNK = 32, TP = 256, GRID = 3 };
    float *pa = malloc(sizeof(float) * (size_t)(S * S)), *pb = malloc(sizeof(float) * (size_t)(S * S));
    uint8_t *pv = malloc((size_t)(S * S));
    float *bx = malloc(sizeof(float) * (size_t)r->W * CHUNK * (size_t)r->nb);
    float *by = malloc(sizeof(float) * (size_t)r->W * CHUNK * (size_t)r->nb);
    uint8_t *v = malloc((size_t)r->W * CHUNK);
    sw__reader *rd = sw__reader_open(r->ctx, r->pair);
    int rc = 0;
    if (!pa || !pb || !pv || !bx || !by || !v || !rd) {
        rc = rd ? sw__err(r->ctx, SW_ENOMEM, "out of memory for co-registration") : r->ctx->code;
        goto done;
    }
    if ((rc = read_patch(r, rd, x0, y0, S, pa, pb, pv, bx, by, v, CHUNK)) != 0)
        goto done;
    if (sw__coreg_estimate(pa, pb, pv, (int)S, (int)S, &r->cr) != 0) {
        r->cr_note = "no estimate: the patch is mostly invalid or the fit did not converge";
        goto done;
    }
    r->cr_done = 1;
    r->cr_reliable = r->cr.peak >= 10.0 && fabs(r->cr.dx) < S / 4.0 && fabs(r->cr.dy) < S / 4.0;
    r->cr_ax[0] = r->cr.dx;
    r->cr_ay[0] = r->cr.dy;
    /* Tie points over the scene. */
    if (r->cr_reliable && r->W >= GRID * TP && r->H >= GRID * TP) {
        /* One row of tie points from one pass over its rows (the central
         * patch's buffers hold the three patches: 3 TP^2 <= S^2). */
        float *qa[GRID], *qb[GRID];
        uint8_t *qv[GRID];
        for (int i = 0; i < GRID; i++) {
            qa[i] = pa + (size_t)i * TP * TP;
            qb[i] = pb + (size_t)i * TP * TP;
            qv[i] = pv + (size_t)i * TP * TP;
        }
        for (int j = 0; j < GRID && rc == 0; j++) {
            int64_t px[GRID], py = (int64_t)((j + 0.5) * (double)r->H / GRID) - TP / 2;
            for (int i = 0; i < GRID; i++)
                px[i] = (int64_t)((i + 0.5) * (double)r->W / GRID) - TP / 2;
            if ((rc = read_patches(r, rd, GRID, px, py, TP, qa, qb, qv, bx, by, v, CHUNK)) != 0)
                break;
            for (int i = 0; i < GRID; i++) {
                sw__tiepoint *t = &r->tp[r->ntp++];
                t->x = (double)px[i] + TP / 2.0;
                t->y = (double)py + TP / 2.0;
                sw__coreg c;
                t->reliable = sw__coreg_estimate(qa[i], qb[i], qv[i], TP, TP, &c) == 0 && c.peak >= 10.0;
                t->dx = c.dx;
                t->dy = c.dy;
                t->peak = c.peak;
            }
        }
        if (rc)
            goto done;
        double ax[3], ay[3], rms, rms0;
        r->tp_used = sw__coreg_fit_affine(r->tp, r->ntp, 1.0, ax, ay, &rms, &rms0);
        r->tp_rms = rms;
        if (r->tp_used >= 5 && rms < 0.3 && rms < 0.5 * rms0) {
            /* A real distortion: the field explains the tie points far
             * better than one shift. Use it where it matters: more than
             * 0.2 px from the global shift at some corner of the scene. */
            double dev = 0;
            for (int c = 0; c < 4; c++) {
                double x = (c & 1) ? (double)r->W : 0.0, y = (c & 2) ? (double)r->H : 0.0;
                dev = fmax(dev, fabs(ax[0] + ax[1] * x + ax[2] * y - r->cr.dx));
                dev = fmax(dev, fabs(ay[0] + ay[1] * x + ay[2] * y - r->cr.dy));
            }
            if (dev > 0.2) {
                memcpy(r->cr_ax, ax, sizeof ax);
                memcpy(r->cr_ay, ay, sizeof ay);
                r->cr_affine = 1;
            }
        }
    }
    /* The shift reported: the field's at the scene's centre. */
    double cx = 0.5 * (double)r->W, cy = 0.5 * (double)r->H;
    r->cr_dx = r->cr_ax[0] + r->cr_ax[1] * cx + r->cr_ax[2] * cy;
    r->cr_dy = r->cr_ay[0] + r->cr_ay[1] * cx + r->cr_ay[2] * cy;
    if (!r->cr_reliable) {
        r->cr_note = "refused: the correlation peak is too weak to trust";
    } else if (!r->cr_affine && fmax(fabs(r->cr.dx), fabs(r->cr.dy)) < 0.1) {
        r->cr_note = "not applied: under 0.1 pixel";
    } else if (r->o->coregister < 0 && r->method == SW_METHOD_LEARNED) {
        r->cr_note = "not applied: the learned model is trained to tolerate misregistration (--coreg on applies it)";
    } else {
        sw__pair_set_affine(r->pair, r->cr_ax, r->cr_ay);
        r->cr_applied = 1;
        r->cr_note = r->cr_affine ? "applied: an affine field from the tie points" : "applied: one shift";
    }
done:
    sw__reader_close(rd);
    free(pa);
    free(pb);
    free(pv);
    free(bx);
    free(by);
    free(v);
    return rc;
}

/* ---- the threshold ---- */

/* The smallest score that can mean change, in each method's units. */
static double min_change(const run *r)
{
    /* CVA, diff: the magnitude that unchanged ground exceeds with
     * probability 0.1, were its differences Gaussian with the bands'
     * no-change spread */
    double noise = r->model.noise_spread * sqrt(sw__chi2_quantile(0.9, (double)r->nb));
    switch (r->method) {
    case SW_METHOD_CVA:
        return fmax(0.25, noise);
    case SW_METHOD_DIFF: {
        /* and a quarter of the scene's spread */
        double v = 0.0;
        for (int b = 0; b < r->nb; b++) {
            double sd = r->model.isd[0][b] > 0 ? 1.0 / r->model.isd[0][b] : 0.0;
            v += sd * sd;
        }
        return fmax(0.25 * sqrt(v / r->nb), noise);
    }
    case SW_METHOD_IRMAD:
        /* P(no change) under 0.1, as the normalization calls a pixel
         * invariant above 0.9: the MAD variates have unit spread */
        return sw__chi2_quantile(0.9, (double)r->model.k);
    case SW_METHOD_LOGRATIO:
        /* 2.5 no-change spreads: the speckle of two dates without change
         * is not split in two (3 erased faint change on gray optical pairs) */
        return fmax(0.05, 2.5 * r->model.noise_spread);
    default:
        return 0.0;
    }
}

static int choose_threshold(run *r)
{
    const sw_detect_opts *o = r->o;
    if (o->threshold == SW_THRESHOLD_FIXED) {
        r->threshold = o->threshold_value;
        r->threshold_rule = "fixed";
        return 0;
    }
    if (r->method == SW_METHOD_PCAKM && o->threshold != SW_THRESHOLD_FIXED) {
        if (o->threshold == SW_THRESHOLD_CHI2)
            return sw__err(r->ctx, SW_EARG, "--threshold chi2 needs --method irmad");
        r->threshold = 0.0;
        r->threshold_rule = "k-means";
        return 0;
    }
    if (r->net) {
        if (o->threshold == SW_THRESHOLD_CHI2)
            return sw__err(r->ctx, SW_EARG, "--threshold chi2 needs --method irmad");
        r->threshold = sw_model_threshold(r->net);
        r->threshold_rule = "the model's operating probability";
        return 0;
    }
    if (o->threshold == SW_THRESHOLD_CHI2) {
        if (r->model.method != SW_METHOD_IRMAD)
            return sw__err(r->ctx, SW_EARG, "--threshold chi2 needs --method irmad");
        if (!(o->threshold_value > 0.0 && o->threshold_value < 1.0))
            return sw__err(r->ctx, SW_EARG, "--threshold chi2 probability must be in (0, 1), got %g",
                           o->threshold_value);
        r->threshold = sw__chi2_quantile(1.0 - o->threshold_value, (double)r->model.k);
        r->threshold_rule = "chi2";
        return 0;
    }
    /* Otsu on the sample's scores, with the heavy tail clipped into the
     * top bin so that a few extreme pixels do not flatten the histogram. */
    float *s = malloc((size_t)r->ns * sizeof *s);
    uint8_t *ones = malloc((size_t)r->ns);
    enum { NBINS = 1024 };
    int64_t *hist = calloc(NBINS, sizeof *hist);
    if (!s || !ones || !hist) {
        free(s);
        free(ones);
        free(hist);
        return sw__err(r->ctx, SW_ENOMEM, "out of memory");
    }
    memset(ones, 1, (size_t)r->ns);
    score_pixels(r->method, &r->model, r->sx, r->sy, ones, r->ns, s);
    double lo = 0.0;
    float *copy = malloc((size_t)r->ns * sizeof *copy);
    double hi = NAN;
    if (copy) {
        memcpy(copy, s, (size_t)r->ns * sizeof *copy);
        hi = sw__quantile(copy, r->ns, 0.995);
        free(copy);
    }
    if (!(hi > lo))
        hi = lo + 1.0;
    for (int64_t i = 0; i < r->ns; i++) {
        double f = (s[i] - lo) / (hi - lo) * NBINS;
        int b = f < 0 ? 0 : f >= NBINS ? NBINS - 1 : (int)f;
        hist[b]++;
    }
    int ki = o->threshold == SW_THRESHOLD_KI;
    r->threshold = ki ? sw__kittler(hist, NBINS, lo, hi) : sw__otsu(hist, NBINS, lo, hi);
    r->otsu_clip = hi;
    r->threshold_rule = ki ? "kittler-illingworth" : "otsu";
    /* Otsu splits any histogram, even one of pure noise: a pair without
     * change (or related by a gain and offset only) would get a sixth to
     * half of its pixels flagged. A change must exceed what noise alone
     * rarely reaches (min_change). */
    r->threshold_floor = min_change(r);
    if (r->threshold < r->threshold_floor) {
        r->threshold = r->threshold_floor;
        r->threshold_rule = ki ? "kittler-illingworth, raised to the minimum change"
                               : "otsu, raised to the minimum change";
    }
    free(s);
    free(ones);
    free(hist);
    return 0;
}

/* ---- quicklook ---- */

static uint8_t stretch(float v, double lo, double hi)
{
    double f = (v - lo) / (hi - lo) * 255.0;
    return (uint8_t)(f < 0 ? 0 : f > 255 ? 255 : f + 0.5);
}

static int write_quicklook(run *r)
{
    int64_t pw = r->qw, ph = r->qh, gap = 4;
    int64_t iw = 3 * pw + 2 * gap;
    uint8_t *img = malloc((size_t)iw * (size_t)ph * 3);
    uint8_t *pm = r->qmask;
    float *vals = malloc((size_t)pw * (size_t)ph * 3 * sizeof(float));
    if (!img || !vals) {
        free(img);
        free(vals);
        return sw__err(r->ctx, SW_ENOMEM, "out of memory for the quicklook");
    }
    memset(img, 255, (size_t)iw * (size_t)ph * 3);
    /* A 2-98 % stretch per date, shared by its three bands so colours keep
     * their balance; float cells hold 3 values each. */
    double lo[2], hi[2];
    for (int d = 0; d < 2; d++) {
        int64_t n = 0;
        for (int64_t i = 0; i < pw * ph; i++)
            if (r->qvalid[i])
                for (int c = 0; c < 3; c++)
                    vals[n++] = r->ql[d][i * 3 + c];
        lo[d] = n ? sw__quantile(vals, n, 0.02) : 0.0;
        hi[d] = n ? sw__quantile(vals, n, 0.98) : 1.0;
        if (!(hi[d] > lo[d]))
            hi[d] = lo[d] + 1.0;
    }
    for (int64_t py = 0; py < ph; py++)
        for (int64_t px = 0; px < pw; px++) {
            int64_t cell = py * pw + px;
            for (int p = 0; p < 3; p++) {
                uint8_t *o = img + (py * iw + p * (pw + gap) + px) * 3;
                int d = p == 0 ? 0 : 1;
                for (int c = 0; c < 3; c++)
                    o[c] = r->qvalid[cell] ? stretch(r->ql[d][cell * 3 + c], lo[d], hi[d]) : 0;
            }
            if (pm[py * pw + px]) {
                int edge = px == 0 || py == 0 || px == pw - 1 || py == ph - 1 ||
                           !pm[py * pw + px - 1] || !pm[py * pw + px + 1] ||
                           !pm[(py - 1) * pw + px] || !pm[(py + 1) * pw + px];
                if (edge) {
                    uint8_t *o = img + (py * iw + 2 * (pw + gap) + px) * 3;
                    o[0] = 255;
                    o[1] = 0;
                    o[2] = 0;
                }
            }
        }
    int rc = sw__png_write(r->ctx, r->tmp[OUT_QUICKLOOK], iw, ph, img);
    free(img);
    free(vals);
    return rc;
}

/* ---- summary.json ---- */

static void json_side(sw__json *j, const sw__side *s, char (*hex)[65])
{
    sw__json_obj(j);
    sw__json_key(j, "path");
    sw__json_str(j, s->given);
    sw__json_key(j, "width");
    sw__json_int(j, s->width);
    sw__json_key(j, "height");
    sw__json_int(j, s->height);
    sw__json_key(j, "bands");
    sw__json_int(j, s->nbands_total);
    sw__json_key(j, "files");
    sw__json_arr(j);
    for (int i = 0; i < s->nfiles; i++) {
        struct stat st;
        sw__json_obj(j);
        sw__json_key(j, "path");
        sw__json_str(j, s->files[i]);
        sw__json_key(j, "bytes");
        sw__json_int(j, stat(s->files[i], &st) == 0 ? (int64_t)st.st_size : -1);
        sw__json_key(j, "sha256");
        sw__json_str(j, hex[i]);
        sw__json_end(j, '}');
    }
    sw__json_end(j, ']');
    sw__json_end(j, '}');
}

static int write_summary(run *r, sw_detect_result *res)
{
    const sw__pair_info *in = r->info;
    char(*hex[2])[65] = {NULL, NULL};
    double t0 = sw__now();
    const sw__side *sides[2] = {&in->before, &in->after};
    for (int d = 0; d < 2; d++) {
        hex[d] = calloc((size_t)sides[d]->nfiles, sizeof(*hex[d]));
        if (!hex[d]) {
            free(hex[0]);
            return sw__err(r->ctx, SW_ENOMEM, "out of memory");
        }
        for (int i = 0; i < sides[d]->nfiles; i++)
            if (sw__sha256_file(r->ctx, sides[d]->files[i], hex[d][i]) != 0) {
                free(hex[0]);
                free(hex[1]);
                return r->ctx->code;
            }
    }
    r->t[T_HASH] = sw__now() - t0;
    sw__buf b = {0};
    sw__json j;
    sw__json_init(&j, &b);
    sw__json_obj(&j);
    sw__json_key(&j, "tool");
    sw__json_str(&j, "sitewatch detect");
    sw__json_key(&j, "version");
    sw__json_str(&j, SW_VERSION_STRING);
    sw__json_key(&j, "libraries");
    sw__json_str(&j, sw_version());
    time_t now = time(NULL);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    sw__json_key(&j, "created");
    sw__json_str(&j, ts);
    sw__json_key(&j, "command");
    sw__json_str(&j, r->o->command_line);
    sw__json_key(&j, "inputs");
    sw__json_obj(&j);
    sw__json_key(&j, "before");
    json_side(&j, &in->before, hex[0]);
    sw__json_key(&j, "after");
    json_side(&j, &in->after, hex[1]);
    sw__json_end(&j, '}');

    sw__json_key(&j, "grid");
    sw__json_obj(&j);
    sw__json_key(&j, "width");
    sw__json_int(&j, r->W);
    sw__json_key(&j, "height");
    sw__json_int(&j, r->H);
    sw__json_key(&j, "georeferenced");
    sw__json_bool(&j, in->grid.georef);
    sw__json_key(&j, "geotransform");
    sw__json_arr(&j);
    for (int i = 0; i < 6; i++)
        sw__json_num(&j, in->grid.gt[i]);
    sw__json_end(&j, ']');
    sw__json_key(&j, "crs_wkt");
    sw__json_str(&j, in->grid.wkt);
    sw__json_key(&j, "pixel_size_m");
    sw__json_arr(&j);
    sw__json_num(&j, in->grid.georef ? in->grid.pixel_w_m : NAN);
    sw__json_num(&j, in->grid.georef ? in->grid.pixel_h_m : NAN);
    sw__json_end(&j, ']');
    sw__json_key(&j, "after_warped");
    sw__json_bool(&j, in->warped);
    sw__json_key(&j, "overlap_window");
    sw__json_arr(&j);
    sw__json_int(&j, in->ov_x0);
    sw__json_int(&j, in->ov_y0);
    sw__json_int(&j, in->ov_x1 - in->ov_x0);
    sw__json_int(&j, in->ov_y1 - in->ov_y0);
    sw__json_end(&j, ']');
    sw__json_key(&j, "bands");
    sw__json_arr(&j);
    for (int i = 0; i < r->nb; i++)
        sw__json_str(&j, in->band_names[i]);
    sw__json_end(&j, ']');
    sw__json_end(&j, '}');

    sw__json_key(&j, "coregistration");
    sw__json_obj(&j);
    sw__json_key(&j, "dx");
    sw__json_num(&j, r->cr_applied ? r->cr_dx : 0.0);
    sw__json_key(&j, "dy");
    sw__json_num(&j, r->cr_applied ? r->cr_dy : 0.0);
    sw__json_key(&j, "model");
    sw__json_str(&j, r->cr_affine ? "affine" : "shift");
    if (r->cr_affine) {
        sw__json_key(&j, "affine");
        sw__json_arr(&j);
        for (int k = 0; k < 3; k++)
            sw__json_num(&j, r->cr_ax[k]);
        for (int k = 0; k < 3; k++)
            sw__json_num(&j, r->cr_ay[k]);
        sw__json_end(&j, ']');
    }
    sw__json_key(&j, "tie_points");
    sw__json_arr(&j);
    for (int k = 0; k < r->ntp; k++) {
        sw__json_obj(&j);
        sw__json_key(&j, "x");
        sw__json_num(&j, r->tp[k].x);
        sw__json_key(&j, "y");
        sw__json_num(&j, r->tp[k].y);
        sw__json_key(&j, "dx");
        sw__json_num(&j, r->tp[k].dx);
        sw__json_key(&j, "dy");
        sw__json_num(&j, r->tp[k].dy);
        sw__json_key(&j, "peak");
        sw__json_num(&j, r->tp[k].peak);
        sw__json_key(&j, "used");
        sw__json_bool(&j, r->tp[k].reliable);
        sw__json_end(&j, '}');
    }
    sw__json_end(&j, ']');
    sw__json_key(&j, "tie_point_residual_rms");
    sw__json_num(&j, r->tp_used >= 4 ? r->tp_rms : NAN);
    sw__json_key(&j, "estimated_dx");
    sw__json_num(&j, r->cr_done ? r->cr.dx : NAN);
    sw__json_key(&j, "estimated_dy");
    sw__json_num(&j, r->cr_done ? r->cr.dy : NAN);
    sw__json_key(&j, "peak_strength");
    sw__json_num(&j, r->cr_done ? r->cr.peak : NAN);
    sw__json_key(&j, "residual_rms");
    sw__json_num(&j, r->cr_done ? r->cr.rms : NAN);
    sw__json_key(&j, "reliable");
    sw__json_bool(&j, r->cr_reliable);
    sw__json_key(&j, "applied");
    sw__json_bool(&j, r->cr_applied);
    sw__json_key(&j, "status");
    sw__json_str(&j, r->cr_note);
    sw__json_key(&j, "patch");
    sw__json_arr(&j);
    for (int i = 0; i < 4; i++)
        sw__json_int(&j, r->cr_win[i]);
    sw__json_end(&j, ']');
    sw__json_end(&j, '}');

    const sw_detect_opts *o = r->o;
    sw__json_key(&j, "parameters");
    sw__json_obj(&j);
    sw__json_key(&j, "method");
    sw__json_str(&j, sw_method_name(r->method));
    sw__json_key(&j, "method_requested");
    sw__json_str(&j, sw_method_name(o->method));
    sw__json_key(&j, "method_reason");
    sw__json_str(&j, r->method_reason);
    sw__json_key(&j, "threshold");
    sw__json_str(&j, r->threshold_rule);
    sw__json_key(&j, "threshold_value");
    if (o->threshold == SW_THRESHOLD_OTSU || o->threshold == SW_THRESHOLD_KI)
        sw__json_str(&j, NULL);
    else
        sw__json_num(&j, o->threshold_value);
    sw__json_key(&j, "min_area");
    sw__json_num(&j, r->min_area);
    sw__json_key(&j, "min_area_unit");
    sw__json_str(&j, in->grid.georef ? "m2" : "pixels");
    sw__json_key(&j, "bands");
    sw__json_str(&j, o->bands);
    sw__json_key(&j, "mask_before");
    sw__json_str(&j, o->mask_before);
    sw__json_key(&j, "mask_after");
    sw__json_str(&j, o->mask_after);
    sw__json_key(&j, "mask_marks");
    sw__json_str(&j, o->mask_cloudy ? "cloud (usable where zero)" : "usable (where non-zero)");
    sw__json_key(&j, "cloud_screen");
    if (r->screened) {
        sw__json_obj(&j);
        sw__json_key(&j, "before");
        sw__json_num(&j, r->cloud_frac[0]);
        sw__json_key(&j, "after");
        sw__json_num(&j, r->cloud_frac[1]);
        sw__json_end(&j, '}');
    } else {
        sw__json_str(&j, NULL);
    }
    sw__json_key(&j, "sliver_width_px");
    sw__json_num(&j, o->sliver_width);
    sw__json_key(&j, "fill_holes_m2");
    sw__json_num(&j, o->fill_holes);
    sw__json_key(&j, "morphology");
    sw__json_str(&j, sw_morph_name(o->morph));
    sw__json_key(&j, "morphology_radius");
    sw__json_int(&j, o->morph_radius);
    sw__json_key(&j, "resampling");
    sw__json_str(&j, o->resampling ? o->resampling : "bilinear");
    sw__json_key(&j, "threads");
    sw__json_int(&j, r->threads);
    sw__json_key(&j, "tile_rows");
    sw__json_int(&j, r->strip);
    sw__json_key(&j, "max_memory");
    sw__json_int(&j, o->max_memory > 0 ? o->max_memory : (int64_t)1 << 30);
    sw__json_key(&j, "sample_step");
    sw__json_int(&j, r->step);
    sw__json_key(&j, "sample_block_row_stride");
    sw__json_int(&j, r->block_stride);
    sw__json_key(&j, "sample_pixels");
    sw__json_int(&j, r->ns);
    sw__json_end(&j, '}');

    sw__json_key(&j, "model");
    sw__json_obj(&j);
    if (r->model.norm_a) {
        sw__json_key(&j, "normalization");
        sw__json_obj(&j);
        sw__json_key(&j, "invariant_pixels");
        sw__json_int(&j, r->model.norm_pixels);
        sw__json_key(&j, "gain");
        sw__json_arr(&j);
        for (int k = 0; k < r->nb; k++)
            sw__json_num(&j, r->model.norm_a[k]);
        sw__json_end(&j, ']');
        sw__json_key(&j, "offset");
        sw__json_arr(&j);
        for (int k = 0; k < r->nb; k++)
            sw__json_num(&j, r->model.norm_c[k]);
        sw__json_end(&j, ']');
        sw__json_end(&j, '}');
    }
    if (r->model.lr_level) {
        sw__json_key(&j, "logratio_level");
        sw__json_arr(&j);
        for (int k = 0; k < r->nb; k++)
            sw__json_num(&j, r->model.lr_level[k]);
        sw__json_end(&j, ']');
    }
    if (r->net) {
        sw__json_key(&j, "file");
        sw__json_str(&j, r->net_path);
        sw__json_key(&j, "parameters");
        sw__json_int(&j, sw_model_parameters(r->net));
        sw__json_key(&j, "model_gsd_m");
        sw__json_num(&j, sw_model_gsd(r->net));
        sw__json_key(&j, "input_to_model_scale");
        sw__json_num(&j, r->net_scale);
        sw__json_key(&j, "context_rows");
        sw__json_int(&j, r->halo_rows);
    } else if (r->model.method == SW_METHOD_IRMAD) {
        sw__json_key(&j, "iterations");
        sw__json_int(&j, r->model.iterations);
        sw__json_key(&j, "variates");
        sw__json_int(&j, r->model.k);
        sw__json_key(&j, "canonical_correlations");
        sw__json_arr(&j);
        for (int i = 0; i < r->model.k; i++)
            sw__json_num(&j, r->model.rho[i]);
        sw__json_end(&j, ']');
    } else {
        for (int d = 0; d < 2; d++) {
            sw__json_key(&j, d ? "after_mean" : "before_mean");
            sw__json_arr(&j);
            for (int k = 0; k < r->nb; k++)
                sw__json_num(&j, r->model.mean[d][k]);
            sw__json_end(&j, ']');
            sw__json_key(&j, d ? "after_sd" : "before_sd");
            sw__json_arr(&j);
            for (int k = 0; k < r->nb; k++)
                sw__json_num(&j, r->model.isd[d][k] > 0 ? 1.0 / r->model.isd[d][k] : 0.0);
            sw__json_end(&j, ']');
        }
    }
    sw__json_end(&j, '}');

    sw__json_key(&j, "thresholds");
    sw__json_obj(&j);
    sw__json_key(&j, "rule");
    sw__json_str(&j, r->threshold_rule);
    sw__json_key(&j, "score");
    sw__json_num(&j, r->threshold);
    if (o->threshold == SW_THRESHOLD_OTSU || o->threshold == SW_THRESHOLD_KI) {
        sw__json_key(&j, "histogram_clip");
        sw__json_num(&j, r->otsu_clip);
        sw__json_key(&j, "minimum_change");
        sw__json_num(&j, r->threshold_floor);
    }
    if (r->model.method == SW_METHOD_IRMAD) {
        sw__json_key(&j, "chi2_dof");
        sw__json_int(&j, r->model.k);
        sw__json_key(&j, "no_change_probability");
        sw__json_num(&j, 1.0 - sw__chi2_cdf(r->threshold, (double)r->model.k));
    }
    sw__json_key(&j, "min_object_pixels");
    sw__json_int(&j, r->min_pixels);
    sw__json_end(&j, '}');

    sw__json_key(&j, "counts");
    sw__json_obj(&j);
    sw__json_key(&j, "pixels");
    sw__json_int(&j, r->W * r->H);
    sw__json_key(&j, "valid_pixels");
    sw__json_int(&j, res->valid_pixels);
    sw__json_key(&j, "changed_pixels");
    sw__json_int(&j, res->changed_pixels);
    sw__json_key(&j, "changed_fraction");
    sw__json_num(&j, res->valid_pixels ? (double)res->changed_pixels / (double)res->valid_pixels : 0.0);
    sw__json_key(&j, "objects_before_min_area");
    sw__json_int(&j, r->nobj_all);
    sw__json_key(&j, "objects");
    sw__json_int(&j, res->objects);
    sw__json_key(&j, "changed_area");
    sw__json_num(&j, res->changed_area_m2);
    sw__json_end(&j, '}');

    sw__json_key(&j, "timings_s");
    sw__json_obj(&j);
    double total = 0.0;
    for (int i = 0; i < NSTAGE; i++) {
        sw__json_key(&j, stage_names[i]);
        sw__json_num(&j, r->t[i]);
        total += r->t[i];
    }
    sw__json_key(&j, "total");
    sw__json_num(&j, total);
    sw__json_end(&j, '}');

    sw__json_key(&j, "outputs");
    sw__json_arr(&j);
    for (int i = 0; i < OUT_RAW; i++)
        if (i != OUT_QUICKLOOK || !r->o->no_quicklook)
            sw__json_str(&j, out_names[i]);
    sw__json_end(&j, ']');
    sw__json_end(&j, '}');
    sw__buf_putc(&b, '\n');
    free(hex[0]);
    free(hex[1]);
    int rc = b.failed ? sw__err(r->ctx, SW_ENOMEM, "out of memory writing the summary")
                      : sw__file_write_atomic(r->ctx, r->tmp[OUT_SUMMARY], b.data, b.len);
    sw__buf_free(&b);
    return rc;
}

/* The sample: a grid of about `target` pixels. When BEFORE is stored in
 * blocks taller than the grid's row step, every block row would be decoded
 * just for a few rows; rows are then drawn from every m-th block row only
 * (m at most 4, and at least 8 block rows sampled), more densely, so the
 * count stays the same and the pass decodes 1/m of the file. */
static int plan_sample(run *r, int64_t target)
{
    int64_t step = (int64_t)ceil(sqrt((double)r->W * (double)r->H / (double)target));
    if (step < 1)
        step = 1;
    int64_t bh = r->info->block_h > 0 ? r->info->block_h : 1;
    int64_t nbr = (r->H + bh - 1) / bh, m = 1;
    if (bh > step) {
        m = bh / step < nbr / 8 ? bh / step : nbr / 8;
        m = m < 1 ? 1 : m > 4 ? 4 : m;
    }
    int64_t sy = step / m > 0 ? step / m : 1;
    r->step = step;
    r->block_stride = m;
    r->xoff = step / 2;
    r->scols = (r->W - r->xoff + step - 1) / step;
    r->srows = malloc(((size_t)r->H / (size_t)sy + 2) * sizeof *r->srows);
    if (!r->srows)
        return sw__err(r->ctx, SW_ENOMEM, "out of memory");
    r->nsrows = 0;
    for (int64_t y = sy / 2; y < r->H; y += sy)
        if (m == 1 || (y / bh) % m == m / 2)
            r->srows[r->nsrows++] = y;
    /* One job per block row (at most SAMPLE_ROWS_PER_JOB rows when blocks
     * are lines), so that no two workers decode the same blocks. */
    r->sjob = malloc(((size_t)r->nsrows + 2) * sizeof *r->sjob);
    if (!r->sjob)
        return sw__err(r->ctx, SW_ENOMEM, "out of memory");
    r->nsjobs = 0;
    r->sjob_max = 0;
    for (int64_t j = 0; j < r->nsrows; j++) {
        int64_t first = r->nsjobs ? r->sjob[r->nsjobs - 1] : -1;
        int same = first >= 0 && (bh > 1 ? r->srows[first] / bh == r->srows[j] / bh
                                         : j - first < SAMPLE_ROWS_PER_JOB);
        if (!same)
            r->sjob[r->nsjobs++] = j;
    }
    r->sjob[r->nsjobs] = r->nsrows;
    for (int64_t i = 0; i < r->nsjobs; i++)
        if (r->sjob[i + 1] - r->sjob[i] > r->sjob_max)
            r->sjob_max = r->sjob[i + 1] - r->sjob[i];
    return 0;
}

/* Loads the learned model and works out the scale between the input's
 * pixels and the model's. */
static int open_model(run *r, const char *before)
{
    const sw_detect_opts *o = r->o;
    const char *path = o->model_path;
    if (!path)
        path = getenv("SITEWATCH_MODEL");
    if (!path)
        path = "buildings";
    char shipped[4096];
    if (!(path = sw_model_find(r->ctx, path, shipped, sizeof shipped)))
        return r->ctx->code;
    r->net_path = strdup(path);
    r->net = sw_model_load(r->ctx, path);
    if (!r->net)
        return r->ctx->code;
    if (sw_model_bands(r->net) != r->nb)
        return sw__err(r->ctx, SW_EMISMATCH, "%s: %d bands analysed but the model %s takes %d (select them with --bands)",
                       before, r->nb, path, sw_model_bands(r->net));
    double gsd = r->info->grid.georef ? 0.5 * (r->info->grid.pixel_w_m + r->info->grid.pixel_h_m)
                                      : (o->gsd > 0.0 ? o->gsd : sw_model_gsd(r->net));
    r->net_scale = gsd / sw_model_gsd(r->net);
    if (r->net_scale < 0.1 || r->net_scale > 10.0)
        return sw__err(r->ctx, SW_EARG, "%s: %.3g m pixels are too far from the model's %.3g m (scale %.3g)",
                       before, gsd, sw_model_gsd(r->net), r->net_scale);
    r->halo_rows = (int)ceil(sw_model_halo(r->net) / r->net_scale) + sw_model_multiple(r->net);
    return 0;
}

/* PCA-k-means learns from blocks of the difference image: rows spread
 * over the scene are read with their block's context, the CVA magnitude is
 * computed on them, and blocks are taken every few columns. */
static int fit_pcakm(run *r)
{
    enum { MAXROWS = 256, MAXBLOCKS = 100000, RB = SW__PCAKM_H / 2, KB = SW__PCAKM_H * SW__PCAKM_H };
    int64_t nrows = r->H < MAXROWS ? r->H : MAXROWS;
    int64_t colstep = (r->W * nrows + MAXBLOCKS - 1) / MAXBLOCKS;
    if (colstep < 1)
        colstep = 1;
    int rows = 2 * RB + 1;
    float *bx = malloc(sizeof(float) * (size_t)r->W * rows * r->nb), *by = malloc(sizeof(float) * (size_t)r->W * rows * r->nb);
    float *d = malloc(sizeof(float) * (size_t)r->W * rows);
    uint8_t *v = malloc((size_t)r->W * rows);
    float *blocks = malloc(sizeof(float) * (size_t)(nrows * ((r->W + colstep - 1) / colstep) + 1) * KB);
    sw__reader *rd = sw__reader_open(r->ctx, r->pair);
    int rc = (!bx || !by || !d || !v || !blocks) ? sw__err(r->ctx, SW_ENOMEM, "out of memory") : !rd ? r->ctx->code : 0;
    int64_t n = 0;
    for (int64_t j = 0; j < nrows && rc == 0; j++) {
        int64_t y = (2 * j + 1) * r->H / (2 * nrows);
        int64_t ya = y - RB > 0 ? y - RB : 0, yb = y + RB + 1 < r->H ? y + RB + 1 : r->H;
        if ((rc = sw__reader_read(rd, r->ctx, ya, (int)(yb - ya), bx, by, v)) != 0)
            break;
        sw__pcakm_difference(&r->model, bx, by, v, r->W * (yb - ya), d);
        for (int64_t x = colstep / 2; x < r->W; x += colstep)
            if (v[(size_t)(y - ya) * r->W + x])
                sw__pcakm_block(d, v, r->W, (int)(yb - ya), (int)(y - ya), x, blocks + n++ * KB);
    }
    if (rc == 0)
        rc = sw__pcakm_fit(r->ctx, &r->model, blocks, n);
    sw__reader_close(rd);
    free(bx);
    free(by);
    free(d);
    free(v);
    free(blocks);
    return rc;
}

/* --method auto: the method that suits the bands and sensor.
 *   SAR (bands named VV, VH, HH, HV) or a gray pair (one band, or bands
 *   that are copies of each other, as in gray BMPs)  -> logratio
 *   three bands at 1 m or finer (or of unknown size without --gsd) and a
 *   model for three bands                             -> learned
 *   anything else (multispectral, coarser RGB)        -> irmad */
static int choose_method(run *r)
{
    for (int b = 0; b < r->nb; b++) {
        const char *n = r->info->band_names[b];
        if (!strcasecmp(n, "VV") || !strcasecmp(n, "VH") || !strcasecmp(n, "HH") || !strcasecmp(n, "HV")) {
            r->method = SW_METHOD_LOGRATIO;
            r->method_reason = "auto: SAR polarization bands";
            return 0;
        }
    }
    int gray = r->nb == 1;
    if (!gray) {
        /* A few central rows tell whether the bands are copies. */
        int rows = r->H < 16 ? (int)r->H : 16;
        float *bx = malloc(sizeof(float) * (size_t)r->W * rows * r->nb);
        float *by = malloc(sizeof(float) * (size_t)r->W * rows * r->nb);
        uint8_t *v = malloc((size_t)r->W * rows);
        sw__reader *rd = sw__reader_open(r->ctx, r->pair);
        int rc = (!bx || !by || !v) ? sw__err(r->ctx, SW_ENOMEM, "out of memory") : !rd ? r->ctx->code : 0;
        if (!rc)
            rc = sw__reader_read(rd, r->ctx, (r->H - rows) / 2, rows, bx, by, v);
        gray = !rc;
        for (size_t i = 0; !rc && gray && i < (size_t)r->W * rows; i++)
            for (int b = 1; b < r->nb; b++)
                if (bx[i * r->nb + b] != bx[i * r->nb] || by[i * r->nb + b] != by[i * r->nb])
                    gray = 0;
        sw__reader_close(rd);
        free(bx);
        free(by);
        free(v);
        if (rc)
            return rc;
    }
    if (gray) {
        r->method = SW_METHOD_LOGRATIO;
        r->method_reason = "auto: one gray band per date (SAR amplitude or panchromatic)";
        return 0;
    }
    const sw__grid *g = &r->info->grid;
    double gsd = g->georef ? 0.5 * (g->pixel_w_m + g->pixel_h_m) : r->o->gsd;
    if (r->nb == 3 && gsd <= 1.0) {
        r->method = SW_METHOD_LEARNED;
        if (open_model(r, "BEFORE") == 0) {
            r->method_reason = gsd > 0 ? "auto: three bands at 1 m or finer, and a model for them"
                                       : "auto: three bands of unknown pixel size (taken as the model's), and a model for them";
            return 0;
        }
        sw_ctx_clear(r->ctx); /* no usable model: fall back */
        sw_model_free(r->net);
        r->net = NULL;
    }
    r->method = SW_METHOD_IRMAD;
    r->method_reason = "auto: multispectral or coarser imagery";
    return 0;
}

/* ---- the run ---- */

static char *join_path(const char *dir, const char *name, const char *prefix)
{
    size_t n = strlen(dir) + strlen(name) + strlen(prefix) + 40;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s", dir, prefix, name);
    return p;
}

static void cleanup(run *r, int failed)
{
    sw__rwriter_abort(r->w_score);
    sw__rwriter_abort(r->w_raw);
    sw__rwriter_abort(r->w_mask);
    sw__rwriter_abort(r->w_ids);
    for (int i = 0; i < NOUT; i++) {
        if (r->tmp[i] && (failed || i >= OUT_RAW)) {
            if (i == OUT_SUMMARY || i == OUT_QUICKLOOK)
                unlink(r->tmp[i]);
            else
                sw__io_delete(r->tmp[i]);
            unlink(r->tmp[i]);
        }
        free(r->tmp[i]);
        free(r->final[i]);
    }
    sw__ccl_free(r->ccl);
    sw__ccl_free(r->holes);
    free(r->filled);
    sw__model_clear(&r->model);
    sw_model_free(r->net);
    free(r->net_path);
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
    sw__pair_close(r->pair);
    for (int d = 0; d < 2; d++) {
        if (r->cloud_path[d])
            sw__io_delete(r->cloud_path[d]);
        free(r->cloud_path[d]);
    }
}

static int run_pool(run *r, int64_t njobs, void *(*start)(void *, sw_ctx *),
                    int (*gen)(void *, int64_t, sw_ctx *), int (*sink)(void *, int64_t, sw_ctx *),
                    double from, double to, const char *msg)
{
    sw__pool_job job = {
        .njobs = njobs, .threads = r->threads, .user = r, .start = start, .generate = gen,
        .sink = sink, .stop = stop_worker, .progress = r->o->progress,
        .progress_user = r->o->progress_user, .progress_from = from, .progress_to = to,
        .progress_msg = msg};
    return sw__pool_run(r->ctx, &job);
}

int sw_detect_run(sw_ctx *ctx, const char *before, const char *after, const char *outdir,
                  const sw_detect_opts *opts, sw_detect_result *result)
{
    sw_detect_opts defaults;
    if (!opts) {
        sw_detect_opts_init(&defaults);
        opts = &defaults;
    }
    sw_detect_result res = {0};
    run R = {0}, *r = &R;
    r->ctx = ctx;
    r->o = opts;
    r->method = opts->method;
    r->method_reason = "asked for";
    int rc = 0;
    double t0 = sw__now(), tstart = t0;
    int64_t budget = opts->max_memory > 0 ? opts->max_memory : (int64_t)1 << 30;
    if (budget < ((int64_t)64 << 20))
        return sw__err(ctx, SW_EARG, "--max-memory must be at least 64M");
    if (opts->threshold == SW_THRESHOLD_CHI2 && r->method != SW_METHOD_IRMAD && r->method != SW_METHOD_AUTO)
        return sw__err(ctx, SW_EARG, "--threshold chi2 needs --method irmad");
    sw__io_init(budget / 4);
    r->threads = opts->threads > 0 ? opts->threads : sw__ncores();

    /* open */
    r->pair = sw__pair_open(ctx, before, after, opts->bands, opts->resampling);
    if (!r->pair)
        return ctx->code;
    r->info = sw__pair_get_info(r->pair);
    const char *masks[2] = {opts->mask_before, opts->mask_after};
    for (int d = 0; d < 2; d++)
        if (masks[d] && (rc = sw__pair_set_mask(ctx, r->pair, d, masks[d], opts->mask_band > 0 ? opts->mask_band : 1,
                                                opts->mask_cloudy)) != 0)
            goto out;
    r->W = r->info->grid.width;
    r->H = r->info->grid.height;
    r->nb = r->info->nbands;
    if (r->nb > 64) {
        rc = sw__err(ctx, SW_EARG, "%s: %d bands; at most 64 can be analysed (select with --bands)",
                     before, r->nb);
        goto out;
    }
    if (r->method == SW_METHOD_AUTO && (rc = choose_method(r)) != 0)
        goto out;
    if (r->method == SW_METHOD_LEARNED && !r->net && (rc = open_model(r, before)) != 0)
        goto out;
    if (!r->net)
        r->halo_rows = prefilter_radius(r->method) + score_context(r->method);
    r->halo_rows += sw__morph_halo(opts->morph, opts->morph_radius);
    if ((rc = sw__mkdir_p(ctx, outdir)) != 0)
        goto out;
    char prefix[64];
    snprintf(prefix, sizeof prefix, ".sw-tmp-%ld-", (long)getpid());
    for (int i = 0; i < NOUT; i++) {
        r->tmp[i] = join_path(outdir, out_names[i], prefix);
        r->final[i] = join_path(outdir, out_names[i], "");
        if (!r->tmp[i] || !r->final[i]) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
            goto out;
        }
    }
    if (opts->cloud_screen && (rc = screen_pair(r, outdir, prefix)) != 0)
        goto out;
    /* Strip height from the memory budget: half of it for the strips in
     * flight, a quarter for GDAL's block cache, the rest for the sample.
     * A worker's row holds both dates, the rows a co-registered AFTER is
     * resampled from, the pre-filtered dates, the score, the masks and
     * the morphology's scratch; its strip also carries the context rows. */
    int64_t per_row = r->W * (int64_t)(3 * r->nb * 4 + (prefilter_radius(r->method) ? 2 * r->nb * 4 : 0) +
                                       4 + 4 + 1 + 1 + 1 + 1 + 2);
    int64_t rows = budget / 2 / r->threads / (per_row > 0 ? per_row : 1) - 2 * r->halo_rows;
    rows = rows < 1 ? 1 : rows > 256 ? 256 : rows;
    /* Strips made of whole block rows of the input decode each block once. */
    int64_t bh = r->info->block_h;
    if (bh > 1 && rows >= bh)
        rows = rows / bh * bh;
    r->strip = opts->tile_rows > 0 ? opts->tile_rows : (int)rows;
    r->nstrips = (r->H + r->strip - 1) / r->strip;
    r->t[T_OPEN] = sw__now() - t0;

    t0 = sw__now();
    r->cr_note = "off";
    if (opts->coregister && (rc = coregister(r)) != 0)
        goto out;
    r->t[T_COREG] = sw__now() - t0;

    /* sample */
    t0 = sw__now();
    int64_t target = opts->sample_pixels > 0 ? opts->sample_pixels : 1000000;
    int64_t cap_by_mem = budget / 8 / (int64_t)(2 * r->nb * 4 + 32);
    if (target > cap_by_mem)
        target = cap_by_mem;
    if ((rc = plan_sample(r, target)) != 0)
        goto out;
    r->q = ((r->W > r->H ? r->W : r->H) + QL_MAX - 1) / QL_MAX;
    r->qw = (r->W - r->q / 2 + r->q - 1) / r->q;
    r->qh = (r->H - r->q / 2 + r->q - 1) / r->q;
    size_t scap = (size_t)r->nsrows * (size_t)r->scols, qcells = (size_t)r->qw * (size_t)r->qh;
    r->sx = malloc(scap * (size_t)r->nb * sizeof(float));
    r->sy = malloc(scap * (size_t)r->nb * sizeof(float));
    r->ql[0] = malloc(qcells * 3 * sizeof(float));
    r->ql[1] = malloc(qcells * 3 * sizeof(float));
    r->qvalid = calloc(qcells, 1);
    r->qmask = calloc(qcells, 1);
    if (!r->sx || !r->sy || !r->ql[0] || !r->ql[1] || !r->qvalid || !r->qmask) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory for the sample");
        goto out;
    }
    rc = run_pool(r, r->nsjobs, sample_start,
                  sample_generate, sample_sink, 0.0, 0.1, "sampling");
    if (rc)
        goto out;
    if (r->ns < 16) {
        rc = sw__err(ctx, SW_ENODATA, "%s and %s: %s", before, after,
                     r->ns == 0 ? "no pixel is valid on both dates (all nodata, masked, or outside the overlap)"
                                : "too few pixels are valid on both dates");
        goto out;
    }
    r->t[T_SAMPLE] = sw__now() - t0;

    /* fit */
    t0 = sw__now();
    if (r->method == SW_METHOD_IRMAD) {
        rc = sw__irmad_fit(ctx, &r->model, r->sx, r->sy, r->ns, r->nb,
                           opts->irmad_iterations > 0 ? opts->irmad_iterations : 30);
    } else {
        /* Every other method starts from the per-date standardization. */
        rc = sw__cva_fit(ctx, &r->model, r->sx, r->sy, r->ns, r->nb);
        if (rc == 0 && (r->method == SW_METHOD_DIFF || r->method == SW_METHOD_PCAKM) && opts->normalize)
            rc = sw__normalize_fit(ctx, &r->model, r->sx, r->sy, r->ns, r->nb);
        /* (the log-ratio's level is its normalization, so --normalize off
         * keeps the old score and floor) */
        if (rc == 0 && (r->method == SW_METHOD_CVA || r->method == SW_METHOD_DIFF ||
                        (r->method == SW_METHOD_LOGRATIO && opts->normalize)))
            rc = sw__noise_fit(ctx, &r->model, r->method, r->sx, r->sy, r->ns);
        if (rc == 0 && r->method == SW_METHOD_PCAKM)
            rc = fit_pcakm(r);
    }
    if (rc || (rc = choose_threshold(r)) != 0)
        goto out;
    r->t[T_FIT] = sw__now() - t0;

    /* score */
    t0 = sw__now();
    r->w_score = sw__rwriter_create(ctx, r->tmp[OUT_SCORE], &r->info->grid, 1, SW__F32, NAN,
                                     SW__W_ZSTD | SW__W_OVERVIEWS);
    r->w_raw = r->w_score ? sw__rwriter_create(ctx, r->tmp[OUT_RAW], &r->info->grid, 1, SW__U8, NAN, SW__W_PACKBITS) : NULL;
    r->ccl = sw__ccl_new(r->W);
    if (opts->fill_holes > 0.0)
        r->holes = sw__ccl_new(r->W);
    if (!r->w_score || !r->w_raw || !r->ccl || (opts->fill_holes > 0.0 && !r->holes)) {
        rc = ctx->code ? ctx->code : sw__err(ctx, SW_ENOMEM, "out of memory");
        goto out;
    }
    /* The workers are the parallelism: one BLAS thread each. */
    int blas_threads = openblas_get_num_threads();
    if (r->net && r->threads > 1)
        openblas_set_num_threads(1);
    rc = run_pool(r, r->nstrips, score_start, score_generate, score_sink, 0.1, 0.6, "scoring");
    openblas_set_num_threads(blas_threads);
    if (rc)
        goto out;
    rc = sw__rwriter_close(r->w_raw, ctx);
    r->w_raw = NULL;
    if (!rc) {
        const char *desc[1] = {sw_method_name(r->method)};
        sw__rwriter_describe(r->w_score, desc);
        rc = sw__rwriter_close(r->w_score, ctx);
    }
    r->w_score = NULL;
    if (rc)
        goto out;
    if (r->valid_pixels == 0) {
        rc = sw__err(ctx, SW_ENODATA, "%s and %s: no pixel is valid on both dates", before, after);
        goto out;
    }
    r->t[T_SCORE] = sw__now() - t0;

    /* label */
    t0 = sw__now();
    r->nobj_all = sw__ccl_finish(r->ccl);
    if (r->nobj_all < 0) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory labelling change objects");
        goto out;
    }
    double pix_area = sw__grid_pixel_area(&r->info->grid, 0.5 * (double)r->H);
    r->min_area = opts->min_area >= 0.0 ? opts->min_area : 10.0 * pix_area;
    r->min_pixels = (int64_t)ceil(r->min_area / pix_area - 1e-9);
    if (r->min_pixels < 1)
        r->min_pixels = 1;
    r->nobj = sw__ccl_keep_shaped(r->ccl, r->min_pixels, opts->sliver_width);
    sw__ccl_rewind(r->ccl);
    if (r->holes) {
        int64_t ncomp = sw__ccl_finish(r->holes);
        r->filled = calloc((size_t)r->nobj + 1, sizeof *r->filled);
        if (ncomp < 0 || !r->filled) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory finding holes");
            goto out;
        }
        double max_holes = floor(opts->fill_holes / pix_area + 1e-9);
        choose_holes(r, ncomp, max_holes < 9e18 ? (int64_t)max_holes : INT64_MAX); /* "inf": any size */
        sw__ccl_rewind(r->holes);
    }
    r->w_mask = sw__rwriter_create(ctx, r->tmp[OUT_MASK], &r->info->grid, 1, SW__U8, 255, SW__W_DEFLATE);
    r->w_ids = r->w_mask ? sw__rwriter_create(ctx, r->tmp[OUT_IDS], &r->info->grid, 1, SW__U32, NAN, SW__W_PACKBITS) : NULL;
    if (!r->w_mask || !r->w_ids) {
        rc = ctx->code;
        goto out;
    }
    /* Scores that grow with the share of a pixel that changed (linearly,
     * or as its square for the chi-square of IR-MAD) let an object's edge
     * pixels count by that share. */
    r->score_power = r->method == SW_METHOD_IRMAD ? 2
                     : r->method == SW_METHOD_CVA || r->method == SW_METHOD_DIFF || r->method == SW_METHOD_LOGRATIO ? 1
                     : 0;
    if (r->score_power) {
        r->hist = calloc((size_t)r->nobj + 1, sizeof *r->hist);
        r->objmax = calloc((size_t)r->nobj + 1, sizeof *r->objmax);
        if (!r->hist || !r->objmax) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
            goto out;
        }
        const sw__object *ob = sw__ccl_objects(r->ccl);
        for (int64_t i = 0; i < r->nobj_all; i++)
            if (ob[i].id)
                r->objmax[ob[i].id] = (float)ob[i].score_max;
    }
    rc = run_pool(r, r->nstrips, label_start, label_generate, label_sink, 0.6, 0.85, "labelling");
    if (rc)
        goto out;
    rc = sw__rwriter_close(r->w_mask, ctx);
    r->w_mask = NULL;
    if (!rc)
        rc = sw__rwriter_close(r->w_ids, ctx);
    r->w_ids = NULL;
    if (rc)
        goto out;
    r->t[T_LABEL] = sw__now() - t0;

    /* vectorize */
    t0 = sw__now();
    r->vobj = calloc((size_t)r->nobj + 1, sizeof *r->vobj);
    if (!r->vobj) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        goto out;
    }
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
        v->lon = v->lat = NAN;
        sw__pair_lonlat(r->pair, v->cx, v->cy, &v->lon, &v->lat);
        res.changed_pixels += v->npix;
        res.changed_area_m2 += v->area_m2;
    }
    rc = sw__vectors_write(ctx, r->tmp[OUT_IDS], &r->info->grid, r->vobj, r->nobj,
                           r->tmp[OUT_GPKG], r->tmp[OUT_GEOJSON]);
    if (rc)
        goto out;
    r->t[T_VECTOR] = sw__now() - t0;

    t0 = sw__now();
    if (!opts->no_quicklook && (rc = write_quicklook(r)) != 0)
        goto out;
    r->t[T_QUICKLOOK] = sw__now() - t0;

    res.width = r->W;
    res.height = r->H;
    res.georeferenced = r->info->grid.georef;
    res.valid_pixels = r->valid_pixels;
    res.objects = r->nobj;
    res.threshold = r->threshold;
    res.shift_applied = r->cr_applied;
    res.shift_dx = r->cr_applied ? r->cr_dx : 0.0;
    res.shift_dy = r->cr_applied ? r->cr_dy : 0.0;
    if ((rc = write_summary(r, &res)) != 0)
        goto out;
    /* Everything is whole: rename, summary last. An older run's summary
     * goes first, so that while the files change places no summary claims
     * a set that is not whole. */
    unlink(r->final[OUT_SUMMARY]);
    for (int i = 0; i < OUT_RAW && rc == 0; i++)
        if ((i != OUT_QUICKLOOK || !opts->no_quicklook) && rename(r->tmp[i], r->final[i]) != 0)
            rc = sw__err(ctx, SW_EIO, "%s: cannot rename into place: %s", r->final[i], strerror(errno));
    res.seconds = sw__now() - tstart;
    if (result)
        *result = res;
out:
    if (opts->progress && rc == 0)
        opts->progress(1.0, "done", opts->progress_user);
    cleanup(r, rc != 0);
    return rc;
}
