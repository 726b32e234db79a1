/*
 * cloud_screen.c: --cloud-screen for one pair. Each date is screened
 * against the other for clouds and their shadows (src/screen/clouds.c's
 * rules) on the pair read once, averaged down to at most 512 pixels a side;
 * a date with any gets a mask, kept in GDAL's memory file system on the
 * pair's grid, and set on the pair. A date with a mask of the user's is
 * left to it.
 */
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../screen/screen.h"
#include "engine.h"

int sw__screen_pair(sw_ctx *ctx, sw__pair *p, const int own_mask[2], double gsd, double frac[2], char *masks[2])
{
    const sw__pair_info *info = sw__pair_get_info(p);
    const int64_t W = info->grid.width, H = info->grid.height;
    enum { CHUNK = 32 };
    double f = fmax(1.0, fmax((double)W, (double)H) / 512.0);
    int w = (int)ceil((double)W / f), h = (int)ceil((double)H / f), nb = info->nbands;
    size_t n = (size_t)w * h;
    if (nb > SW__MAXB)
        return sw__err(ctx, SW_EARG, "--cloud-screen takes at most %d bands (select with --bands)", SW__MAXB);
    float *img[2] = {calloc(n * nb, sizeof(float)), calloc(n * nb, sizeof(float))};
    int32_t *cnt = calloc(n, sizeof *cnt), *all = calloc(n, sizeof *all);
    uint8_t *valid = malloc(n), *out = malloc(n), *v = malloc((size_t)W * CHUNK), *row = malloc((size_t)W);
    float *bx = malloc(sizeof(float) * (size_t)W * CHUNK * nb), *by = malloc(sizeof(float) * (size_t)W * CHUNK * nb);
    sw__reader *rd = sw__reader_open(ctx, p);
    int rc = 0;
    if (!img[0] || !img[1] || !cnt || !all || !valid || !out || !v || !row || !bx || !by || !rd) {
        rc = rd ? sw__err(ctx, SW_ENOMEM, "out of memory for the cloud screen") : ctx->code;
        goto done;
    }
    for (int64_t y0 = 0; y0 < H && rc == 0; y0 += CHUNK) {
        int rows = (int)(H - y0 < CHUNK ? H - y0 : CHUNK);
        if ((rc = sw__reader_read(rd, ctx, y0, rows, bx, by, v)) != 0)
            break;
        for (int k = 0; k < rows; k++) {
            size_t cy = (size_t)((double)(y0 + k) / f);
            for (int64_t x = 0; x < W; x++) {
                size_t c = cy * (size_t)w + (size_t)((double)x / f), i = (size_t)k * (size_t)W + (size_t)x;
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
    sw__bandmap_guess((const char *const *)info->band_names, nb, &bm);
    const sw__grid *g = &info->grid;
    double pixel_m = f * (g->georef ? 0.5 * (g->pixel_w_m + g->pixel_h_m) : gsd > 0 ? gsd : 1.0);
    static const char *const names[2] = {"before", "after"};
    static atomic_long seq;
    for (int d = 0; d < 2 && rc == 0; d++) {
        frac[d] = NAN;
        if (own_mask[d])
            continue;
        int64_t nc = 0, ns = 0, nv = 0;
        if (sw__cloud_screen(img[d], valid, img[1 - d], valid, NULL, NULL, w, h, nb, &bm, pixel_m, out, &nc, &ns) != 0) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory for the cloud screen");
            break;
        }
        for (size_t c = 0; c < n; c++)
            nv += valid[c];
        frac[d] = nv ? (double)(nc + ns) / (double)nv : 0.0;
        if (nc + ns == 0)
            continue;
        /* The mask on the pair's grid, by nearest neighbour, in rows. */
        char name[96];
        snprintf(name, sizeof name, "/vsimem/sitewatch-clouds-%ld-%s.tif", (long)atomic_fetch_add(&seq, 1), names[d]);
        masks[d] = strdup(name);
        sw__rwriter *mw = masks[d] ? sw__rwriter_create(ctx, masks[d], g, 1, SW__U8, NAN, SW__W_PACKBITS) : NULL;
        if (!mw) {
            rc = masks[d] ? ctx->code : sw__err(ctx, SW_ENOMEM, "out of memory");
            break;
        }
        for (int64_t y = 0; y < H && rc == 0; y++) {
            size_t cy = (size_t)((double)y / f);
            for (int64_t x = 0; x < W; x++)
                row[x] = out[cy * (size_t)w + (size_t)((double)x / f)];
            rc = sw__rwriter_write(mw, ctx, y, 1, row);
        }
        if (rc) {
            sw__rwriter_abort(mw);
            break;
        }
        if ((rc = sw__rwriter_close(mw, ctx)) == 0)
            rc = sw__pair_set_mask(ctx, p, d, masks[d], 1, 1);
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

