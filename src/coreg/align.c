/*
 * align.c: the shift of AFTER against BEFORE over a whole pair, from the
 * pair's readers: a central patch (the mean of the bands), then tie points
 * over the scene (align.h). The estimation on one patch is coreg.c's.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "align.h"

enum { COREG_PATCH = 512, CHUNK = 32, TP = 256, GRID = 3 };


typedef struct tp_job tp_job;

/* Reads S x S patches of both dates as the mean of their bands: its own
 * reader and buffers; the central patch's, and each tie-point worker's. */
typedef struct patcher {
    const tp_job *job; /* a tie-point worker's job; NULL for the central patch */
    sw__reader *rd;
    int nb;
    int64_t S;
    float *pa, *pb, *bx, *by;
    uint8_t *pv, *v;
} patcher;

static void patcher_free(patcher *w)
{
    if (!w)
        return;
    sw__reader_close(w->rd);
    free(w->pa);
    free(w->pb);
    free(w->pv);
    free(w->bx);
    free(w->by);
    free(w->v);
    free(w);
}

static patcher *patcher_new(sw_ctx *ctx, const sw__pair *p, int nb, int64_t S)
{
    patcher *w = calloc(1, sizeof *w);
    if (!w) {
        sw__err(ctx, SW_ENOMEM, "out of memory for co-registration");
        return NULL;
    }
    w->nb = nb;
    w->S = S;
    w->pa = malloc(sizeof(float) * (size_t)(S * S));
    w->pb = malloc(sizeof(float) * (size_t)(S * S));
    w->pv = malloc((size_t)(S * S));
    w->bx = malloc(sizeof(float) * (size_t)S * CHUNK * (size_t)nb);
    w->by = malloc(sizeof(float) * (size_t)S * CHUNK * (size_t)nb);
    w->v = malloc((size_t)S * CHUNK);
    if (!w->pa || !w->pb || !w->pv || !w->bx || !w->by || !w->v) {
        sw__err(ctx, SW_ENOMEM, "out of memory for co-registration");
        patcher_free(w);
        return NULL;
    }
    if (!(w->rd = sw__reader_open(ctx, p))) {
        patcher_free(w);
        return NULL;
    }
    return w;
}

/* Reads the patch at (x0, y0) into w->pa, w->pb, w->pv, in chunks of rows;
 * only the patch's columns, so a tiled image decodes only its tiles. */
static int patcher_read(patcher *w, sw_ctx *ctx, int64_t x0, int64_t y0)
{
    const int64_t S = w->S;
    const int nb = w->nb;
    for (int64_t y = 0; y < S; y += CHUNK) {
        int n = (int)(S - y < CHUNK ? S - y : CHUNK);
        int rc = sw__reader_read_cols(w->rd, ctx, x0, S, y0 + y, n, w->bx, w->by, w->v);
        if (rc)
            return rc;
        for (int k = 0; k < n; k++)
            for (int64_t x = 0; x < S; x++) {
                size_t src = (size_t)k * (size_t)S + (size_t)x;
                size_t dst = (size_t)(y + k) * (size_t)S + (size_t)x;
                float sa = 0, sb = 0;
                for (int b = 0; b < nb; b++) {
                    sa += w->bx[src * nb + b];
                    sb += w->by[src * nb + b];
                }
                w->pa[dst] = sa / nb;
                w->pb[dst] = sb / nb;
                w->pv[dst] = w->v[src];
            }
    }
    return 0;
}

/* The tie points: GRID x GRID patches of TP x TP, one job each, on workers
 * with their own patcher; each result lands in its own slot of r->tp, so
 * the order they finish in does not matter. */
struct tp_job {
    const sw__pair *p;
    int64_t W, H;
    int nb;
    sw__align *r;
};

static void tp_stop(void *state)
{
    patcher_free(state);
}

static void *tp_start(void *user, sw_ctx *wctx)
{
    const tp_job *job = user;
    patcher *w = patcher_new(wctx, job->p, job->nb, TP);
    if (w)
        w->job = job;
    return w;
}

static int tp_generate(void *state, int64_t i, sw_ctx *wctx)
{
    patcher *w = state;
    const tp_job *job = w->job;
    int64_t px = (int64_t)((i % GRID + 0.5) * (double)job->W / GRID) - TP / 2;
    int64_t py = (int64_t)((i / GRID + 0.5) * (double)job->H / GRID) - TP / 2;
    int rc = patcher_read(w, wctx, px, py);
    if (rc)
        return rc;
    sw__tiepoint *t = &job->r->tp[i];
    t->x = (double)px + TP / 2.0;
    t->y = (double)py + TP / 2.0;
    sw__coreg c;
    t->reliable = sw__coreg_estimate(w->pa, w->pb, w->pv, TP, TP, &c) == 0 && c.peak >= 10.0;
    t->dx = c.dx;
    t->dy = c.dy;
    t->peak = c.peak;
    return 0;
}

/* The global shift from a central patch; then, on scenes large enough,
 * a 3 x 3 grid of tie points whose agreeing ones fit an affine shift field,
 * used when it explains them far better than one shift and departs from
 * the global shift by more than 0.2 px somewhere in the scene. Applied
 * when reliable. */
int sw__align_estimate(sw_ctx *ctx, const sw__pair *p, int threads, sw__align *r)
{
    const sw__pair_info *info = sw__pair_get_info(p);
    const int64_t W = info->grid.width, H = info->grid.height;
    const int nb = info->nbands;
    memset(r, 0, sizeof *r);
    double t0 = sw__now();
    int64_t S = COREG_PATCH;
    if (S > W)
        S = W;
    if (S > H)
        S = H;
    S &= ~(int64_t)1;
    if (S < 64) {
        r->note = "image too small";
        return 0;
    }
    int64_t x0 = (W - S) / 2, y0 = (H - S) / 2;
    r->win[0] = x0;
    r->win[1] = y0;
    r->win[2] = S;
    r->win[3] = S;
    patcher *central = patcher_new(ctx, p, nb, S);
    int rc = central ? patcher_read(central, ctx, x0, y0) : ctx->code;
    if (rc)
        goto done;
    if (sw__coreg_estimate(central->pa, central->pb, central->pv, (int)S, (int)S, &r->cr) != 0) {
        r->note = "no estimate: the patch is mostly invalid or the fit did not converge";
        goto done;
    }
    r->done = 1;
    r->reliable = r->cr.peak >= 10.0 && fabs(r->cr.dx) < S / 4.0 && fabs(r->cr.dy) < S / 4.0;
    r->ax[0] = r->cr.dx;
    r->ay[0] = r->cr.dy;
    /* Tie points over the scene. */
    if (r->reliable && W >= GRID * TP && H >= GRID * TP) {
        tp_job job = {p, W, H, nb, r};
        sw__pool_job pj = {.njobs = GRID * GRID, .threads = threads < GRID * GRID ? threads : GRID * GRID,
                           .user = &job, .start = tp_start, .generate = tp_generate, .stop = tp_stop};
        if ((rc = sw__pool_run(ctx, &pj)) != 0)
            goto done;
        r->ntp = GRID * GRID;
        double ax[3], ay[3], rms, rms0;
        r->tp_used = sw__coreg_fit_affine(r->tp, r->ntp, 1.0, ax, ay, &rms, &rms0);
        r->tp_rms = rms;
        if (r->tp_used >= 5 && rms < 0.3 && rms < 0.5 * rms0) {
            /* A real distortion: the field explains the tie points far
             * better than one shift. Use it where it matters: more than
             * 0.2 px from the global shift at some corner of the scene. */
            double dev = 0;
            for (int c = 0; c < 4; c++) {
                double x = (c & 1) ? (double)W : 0.0, y = (c & 2) ? (double)H : 0.0;
                dev = fmax(dev, fabs(ax[0] + ax[1] * x + ax[2] * y - r->cr.dx));
                dev = fmax(dev, fabs(ay[0] + ay[1] * x + ay[2] * y - r->cr.dy));
            }
            if (dev > 0.2) {
                memcpy(r->ax, ax, sizeof ax);
                memcpy(r->ay, ay, sizeof ay);
                r->affine = 1;
            }
        }
    }
    /* The shift reported: the field's at the scene's centre. */
    double cx = 0.5 * (double)W, cy = 0.5 * (double)H;
    r->dx = r->ax[0] + r->ax[1] * cx + r->ax[2] * cy;
    r->dy = r->ay[0] + r->ay[1] * cx + r->ay[2] * cy;
    if (!r->reliable) {
        r->note = "refused: the correlation peak is too weak to trust";
    } else if (!r->affine && fmax(fabs(r->cr.dx), fabs(r->cr.dy)) < 0.1) {
        r->note = "not applied: under 0.1 pixel";
    } else {
        r->worth = 1;
        r->note = r->affine ? "applied: an affine field from the tie points" : "applied: one shift";
    }
done:
    r->seconds = sw__now() - t0;
    patcher_free(central);
    return rc;
}

