/* align.h: the shift of AFTER against BEFORE over a whole pair (align.c). */
#ifndef SW_ALIGN_H
#define SW_ALIGN_H

#include "../io/io.h"
#include "coreg.h"

typedef struct sw__align {
    sw__coreg cr;          /* the central patch's estimate */
    int done;              /* an estimate was made */
    int reliable;          /* its peak is strong enough to trust */
    int affine;            /* the tie points' affine field replaces one shift */
    int worth;             /* reliable, and large enough (>= 0.1 px, or a field) to apply */
    double ax[3], ay[3];   /* the field: dx = ax[0] + ax[1] x + ax[2] y, likewise dy */
    double dx, dy;         /* the field at the scene's centre */
    sw__tiepoint tp[9];
    int ntp, tp_used;
    double tp_rms;
    int64_t win[4];        /* the central patch: x, y, w, h */
    const char *note;      /* why it is not worth applying, or how it is applied (static) */
    double seconds;        /* the estimate's wall time */
} sw__align;

/* Estimates AFTER's shift on pair p: phase correlation and a Gauss-Newton
 * fit on a central patch; on scenes of at least 768 x 768, a 3 x 3 grid of
 * tie points whose agreeing ones fit an affine field, kept when it explains
 * them far better than one shift and departs from it by more than 0.2 px
 * somewhere; the tie points on up to `threads` threads, each its own
 * reader. Reads the pair as it is (no shift set). Returns 0 (a failed
 * estimate is not an error: a->note says why) or an I/O error. */
int sw__align_estimate(sw_ctx *ctx, const sw__pair *p, int threads, sw__align *a);

#endif
