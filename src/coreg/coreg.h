/* coreg.h: estimating the shift between two dates (coreg.c). */
#ifndef SW_COREG_H
#define SW_COREG_H

#include "../sw_int.h"

typedef struct sw__coreg {
    double dx, dy;       /* B(x + dx, y + dy) ~ A(x, y), pixels */
    double peak;         /* phase-correlation peak, in standard deviations of the surface */
    double gain, offset; /* B's radiometry onto A's over the patch */
    double rms;          /* residual after the fit, A's units */
    int iterations;
} sw__coreg;

/* a, b: one band of each date on the same w x h patch; valid: 1 where both
 * are. Returns 0, or -1 when the patch is too small or mostly invalid, or
 * the refinement does not converge near the correlation peak. */
int sw__coreg_estimate(const float *a, const float *b, const uint8_t *valid, int w, int h,
                       sw__coreg *out);

#endif
