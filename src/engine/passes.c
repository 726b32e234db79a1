/*
 * passes.c: the passes of a run over its window, each a job of the worker
 * pool (src/tile/pool.c) with a start, generate and sink per worker:
 *
 *   sample  a regular grid of pixels (plan.c), pre-filtered when the
 *           method asks; the ordered sink appends them to the sample
 *   score   full-width strips in parallel: read with the context rows the
 *           method and the morphology need, score (the method's strip or
 *           pixel kernel), threshold, clean; the ordered sink keeps the
 *           score and raw mask (memory or files) and runs pass 1 of the
 *           streaming connected-component labelling
 *   label   the raw mask again: pass 2 gives every pixel its object id
 *           (small objects and slivers dropped, holes filled), and bins
 *           each object's scores for its sub-pixel area
 *
 * Everything that sums over pixels happens in the sample (fixed by the
 * grid, not by threads) or in the ordered sinks, so the results are the
 * same for any thread count and strip height.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../methods/kernels.h"
#include "engine.h"

typedef struct worker {
    sw__run *r;
    sw__reader *rd;
    void *rows;            /* label pass: the row store's reader */
    float *bx, *by, *score;
    uint8_t *valid, *mask;
    uint32_t *ids;
    float *ox, *oy;        /* sample pass: valid samples of this job */
    float *fx, *fy;        /* pre-filtered strip (methods with a neighbourhood) */
    uint8_t *fvalid;
    uint8_t *emask, *mwork;/* the mask with the morphology's context rows, scratch */
    void *scratch;         /* the method's, for its strips */
    float *score_out;      /* the strip's rows within score */
    float *hscore;         /* --fill-holes, one row: nodata flags for the hole labeller */
    uint8_t *hbg;          /* one row: not change */
    uint32_t *hids;        /* one row: 1 where a hole is filled */
    int64_t on, valid_count;
    int64_t y0;
    int nrows;
} worker;

static void worker_free(worker *w)
{
    if (!w)
        return;
    sw__reader_close(w->rd);
    if (w->rows)
        w->r->rows->reader_free(w->rows);
    free(w->bx);
    free(w->by);
    free(w->score);
    free(w->valid);
    free(w->mask);
    free(w->ids);
    free(w->ox);
    free(w->oy);
    free(w->fx);
    free(w->fy);
    free(w->fvalid);
    free(w->emask);
    free(w->mwork);
    free(w->scratch);
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
static worker *worker_new(sw__run *r, sw_ctx *wctx, int rows, int with_reader)
{
    worker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->r = r;
    size_t npix = (size_t)r->W * (size_t)rows;
    if (with_reader) {
        w->rd = sw__reader_open(wctx, r->pair->io);
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
    sw__run *r = user;
    int pr = r->m->prefilter;
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
    sw__run *r = w->r;
    const int nb = r->nb;
    w->on = 0;
    const int pr = r->m->prefilter;
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
    sw__run *r = w->r;
    memcpy(r->sx + r->ns * r->nb, w->ox, (size_t)w->on * (size_t)r->nb * sizeof(float));
    memcpy(r->sy + r->ns * r->nb, w->oy, (size_t)w->on * (size_t)r->nb * sizeof(float));
    r->ns += w->on;
    return 0;
}

/* ---- pass 2: score ---- */

static void *score_start(void *user, sw_ctx *wctx)
{
    sw__run *r = user;
    worker *w = worker_new(r, wctx, r->strip + 2 * r->halo_rows, 1);
    size_t ext = (size_t)r->W * (size_t)(r->strip + 2 * r->halo_rows);
    if (w) {
        w->emask = malloc(ext);
        w->mwork = malloc(2 * ext);
        size_t sb = r->m->scratch_bytes ? r->m->scratch_bytes(r->ms, r->W, r->strip + 2 * r->halo_rows) : 0;
        if (sb)
            w->scratch = malloc(sb);
        if (!w->emask || !w->mwork || (sb && !w->scratch)) {
            sw__err(wctx, SW_ENOMEM, "out of memory for a %d-row strip", r->strip);
            worker_free(w);
            return NULL;
        }
    }
    if (w && r->m->prefilter) {
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
    sw__run *r = w->r;
    w->y0 = job * r->strip;
    w->nrows = (int)(r->H - w->y0 < r->strip ? r->H - w->y0 : r->strip);
    /* Rows scored: the strip plus what the morphology needs around it. */
    const int mh = sw__morph_halo(r->o->morph, r->o->morph_radius);
    int64_t e0 = w->y0 - mh > 0 ? w->y0 - mh : 0;
    int64_t e1 = w->y0 + w->nrows + mh < r->H ? w->y0 + w->nrows + mh : r->H;
    int erows = (int)(e1 - e0);
    /* Rows read: those plus the method's context (the pre-filter's, its
     * own; a CNN's, on its pooling grid). */
    const int pr = r->m->prefilter;
    int64_t ya, yb;
    if (r->m->window)
        r->m->window(r->ms, e0, erows, r->H, &ya, &yb);
    else
        sw__method_rows(pr + r->m->context, e0, erows, r->H, &ya, &yb);
    int etop = (int)(e0 - ya);
    int rc = sw__reader_read(w->rd, wctx, ya, (int)(yb - ya), w->bx, w->by, w->valid);
    if (rc)
        return rc;
    int64_t en = r->W * erows, eoff = (int64_t)etop * r->W;
    if (r->m->strip) {
        sw__strip in = {w->bx, w->by, w->valid, r->W, (int)(yb - ya), r->nb, etop, erows};
        rc = r->m->strip(r->ms, wctx, &in, w->scratch, w->score);
    } else if (pr) {
        sw__box_filter(w->bx, w->valid, r->W, (int)(yb - ya), r->nb, pr, etop, erows, w->fx, w->fvalid);
        sw__box_filter(w->by, w->valid, r->W, (int)(yb - ya), r->nb, pr, etop, erows, w->fy, w->fvalid);
        r->m->pixels(r->ms, w->fx, w->fy, w->fvalid, en, w->score);
    } else {
        r->m->pixels(r->ms, w->bx + eoff * r->nb, w->by + eoff * r->nb, w->valid + eoff, en, w->score);
    }
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
    for (int k = 0; r->q && k < w->nrows; k++) {
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
static int hole_row(sw__run *r, const uint8_t *m, uint8_t *bg, float *nodata, uint32_t *ids)
{
    for (int64_t x = 0; x < r->W; x++) {
        bg[x] = m[x] != 1;
        if (!ids)
            nodata[x] = m[x] == 255 ? 1.0f : 0.0f;
    }
    return ids ? sw__ccl_row2(r->holes, bg, ids) : sw__ccl_row(r->holes, bg, nodata, NULL);
}

static int score_sink(void *state, int64_t job, sw_ctx *wctx)
{
    (void)job;
    worker *w = state;
    sw__run *r = w->r;
    int rc = r->rows->put_scores(r, wctx, w->y0, w->nrows, w->score_out, w->mask);
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
    sw__run *r = user;
    worker *w = worker_new(r, wctx, r->strip, 0);
    if (!w)
        return NULL;
    size_t npix = (size_t)r->W * (size_t)r->strip;
    w->ids = malloc(npix * sizeof(uint32_t));
    w->rows = r->rows->reader_new(r, wctx);
    if (!w->ids || !w->rows) {
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
    sw__run *r = w->r;
    w->y0 = job * r->strip;
    w->nrows = (int)(r->H - w->y0 < r->strip ? r->H - w->y0 : r->strip);
    return r->rows->read(w->rows, wctx, w->y0, w->nrows, w->mask, r->m->score_power ? w->score : NULL);
}

static int label_sink(void *state, int64_t job, sw_ctx *wctx)
{
    (void)job;
    worker *w = state;
    sw__run *r = w->r;
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
                    int64_t *hb = r->hbox[ids[x]], y = w->y0 + k;
                    hb[0] = x < hb[0] ? x : hb[0];
                    hb[1] = y < hb[1] ? y : hb[1];
                    hb[2] = x > hb[2] ? x : hb[2];
                    hb[3] = y > hb[3] ? y : hb[3];
                }
            }
        }
        int64_t y = w->y0 + k, gy = r->q ? y / r->q : 0;
        for (int64_t x = 0; x < r->W; x++) {
            if (m[x] == 1 && !ids[x])
                m[x] = 0; /* part of a dropped small object */
            if (ids[x] && r->q && gy < r->qh && x / r->q < r->qw)
                r->qmask[gy * r->qw + x / r->q] = 1;
            if (ids[x] && r->hist) {
                float s = w->score[(int64_t)k * r->W + x], peak = r->objmax[ids[x]];
                double f = r->holes && w->hids[x] ? 1.0 /* a filled hole counts whole */
                           : peak > 0 && s > 0 ? s / peak : 0.0;
                if (r->m->score_power == 2)
                    f = sqrt(f);
                int b = (int)(f * SW__SUBPIX_BINS);
                r->hist[ids[x]][b < 0 ? 0 : b >= SW__SUBPIX_BINS ? SW__SUBPIX_BINS - 1 : b]++;
            }
        }
    }
    return r->rows->put_labels(r, wctx, w->y0, w->nrows, w->mask, w->ids);
}

static int pool(sw__run *r, int64_t njobs, void *(*start)(void *, sw_ctx *), int (*gen)(void *, int64_t, sw_ctx *),
                int (*sink)(void *, int64_t, sw_ctx *), double from, double to, const char *msg)
{
    sw__pool_job job = {
        .njobs = njobs, .threads = r->threads, .user = r, .start = start, .generate = gen,
        .sink = sink, .stop = stop_worker, .progress = r->o->progress,
        .progress_user = r->o->progress_user, .progress_from = from, .progress_to = to,
        .progress_msg = msg};
    return sw__pool_run(r->ctx, &job);
}

int sw__pass_sample(sw__run *r)
{
    return pool(r, r->nsjobs, sample_start, sample_generate, sample_sink, 0.0, 0.1, "sampling");
}

int sw__pass_score(sw__run *r)
{
    return pool(r, r->nstrips, score_start, score_generate, score_sink, 0.1, 0.6, "scoring");
}

int sw__pass_label(sw__run *r)
{
    return pool(r, r->nstrips, label_start, label_generate, label_sink, 0.6, 0.85, "labelling");
}
