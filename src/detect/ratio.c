/*
 * ratio.c: the plain detectors and their neighbourhood pre-filter.
 *
 *   diff      length of the difference vector of the raw values, for dates
 *             already on one radiometric scale
 *   logratio  for SAR amplitudes: |log((B + 1) / (A + 1))| per band, the
 *             root mean square over bands; speckle is tamed first by a 3x3
 *             mean of each date (the box pre-filter below), which is what
 *             makes the ratio usable on single-look imagery
 *
 * The box pre-filter averages each band over the valid pixels of a
 * (2r+1)^2 window; rows outside the strip are reflected at the image's
 * edges by the caller handing the context rows it has.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect_int.h"

void sw__box_filter(const float *restrict in, const uint8_t *restrict valid, int64_t width, int rows_in,
                    int nb, int r, int top, int rows_out, float *restrict out, uint8_t *restrict out_valid)
{
    for (int k = 0; k < rows_out; k++) {
        int yc = top + k;
        for (int64_t x = 0; x < width; x++) {
            size_t o = (size_t)k * (size_t)width + (size_t)x;
            size_t c = (size_t)yc * (size_t)width + (size_t)x;
            out_valid[o] = valid[c];
            float acc[64] = {0};
            int n = 0;
            for (int dy = -r; dy <= r; dy++) {
                int yy = yc + dy;
                if (yy < 0 || yy >= rows_in)
                    continue;
                for (int dx = -r; dx <= r; dx++) {
                    int64_t xx = x + dx;
                    if (xx < 0 || xx >= width)
                        continue;
                    size_t s = (size_t)yy * (size_t)width + (size_t)xx;
                    if (!valid[s])
                        continue;
                    for (int b = 0; b < nb; b++)
                        acc[b] += in[s * nb + b];
                    n++;
                }
            }
            for (int b = 0; b < nb; b++)
                out[o * nb + b] = n ? acc[b] / (float)n : 0.0f;
        }
    }
}

void sw__diff_score(int nb, const float *restrict x, const float *restrict y, const uint8_t *restrict valid,
                    int64_t n, float *restrict score)
{
    for (int64_t i = 0; i < n; i++) {
        if (!valid[i]) {
            score[i] = NAN;
            continue;
        }
        float s = 0.0f;
        for (int b = 0; b < nb; b++) {
            float d = y[i * nb + b] - x[i * nb + b];
            s += d * d;
        }
        score[i] = sqrtf(s);
    }
}

void sw__logratio_score(int nb, const float *restrict x, const float *restrict y,
                        const uint8_t *restrict valid, int64_t n, float *restrict score)
{
    for (int64_t i = 0; i < n; i++) {
        if (!valid[i]) {
            score[i] = NAN;
            continue;
        }
        float s = 0.0f;
        for (int b = 0; b < nb; b++) {
            float a = x[i * nb + b], c = y[i * nb + b];
            /* amplitudes are non-negative; clamp stray negatives from resampling */
            float l = logf((c > 0.0f ? c : 0.0f) + 1.0f) - logf((a > 0.0f ? a : 0.0f) + 1.0f);
            s += l * l;
        }
        score[i] = sqrtf(s / (float)nb);
    }
}
