/*
 * quicklook.c: quicklook.png, BEFORE | AFTER | AFTER with the outlines of
 * the change objects, from the grid of cells the score pass filled (at
 * most 1024 a side) and the cells the label pass marked.
 */
#include <stdlib.h>
#include <string.h>

#include "sinks.h"

static uint8_t stretch(float v, double lo, double hi)
{
    double f = (v - lo) / (hi - lo) * 255.0;
    return (uint8_t)(f < 0 ? 0 : f > 255 ? 255 : f + 0.5);
}

int sw__quicklook_write(sw__run *r, const char *path)
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
    int rc = sw__png_write(r->ctx, path, iw, ph, img);
    free(img);
    free(vals);
    return rc;
}
