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

/* A tie point: the shift measured on a patch centred at (x, y). */
typedef struct sw__tiepoint {
    double x, y, dx, dy, peak;
    int reliable; /* in: the estimate succeeded with a strong peak; out: and agreed */
} sw__tiepoint;

/* Fits dx = ax[0] + ax[1] x + ax[2] y (and dy) by least squares to the
 * reliable tie points, after dropping those further than max_dev pixels
 * from the median shift. Returns the number of points used (at least 4),
 * or -1; *rms receives the fit's residual and *rms_shift that of one mean
 * shift through the same points. */
int sw__coreg_fit_affine(sw__tiepoint *tp, int n, double max_dev, double ax[3], double ay[3], double *rms,
                         double *rms_shift);

#endif
