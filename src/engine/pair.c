/*
 * pair.c: the public pair handle (sitewatch/pair.h): both dates on one grid
 * (src/io/pair.c), their usability masks, the optional cloud screen, and
 * AFTER's estimated shift (src/coreg/align.c). Which detection applies the
 * shift is decided per run (run.c).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

void sw_pair_opts_init(sw_pair_opts *o)
{
    memset(o, 0, sizeof *o);
    o->size = sizeof *o;
    o->coregister = -1;
}

int sw_pair_open(sw_ctx *ctx, const char *before, const char *after, const sw_pair_opts *opts, sw_pair **out)
{
    if (!out)
        return sw__err(ctx, SW_EARG, "sw_pair_open: pair is NULL");
    *out = NULL;
    if (!before || !after)
        return sw__err(ctx, SW_EARG, "sw_pair_open: BEFORE and AFTER are needed");
    sw_pair *p = calloc(1, sizeof *p);
    if (!p)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    sw_pair_opts_init(&p->opts);
    if (opts) {
        size_t n = opts->size && opts->size < sizeof p->opts ? opts->size : sizeof p->opts;
        memcpy(&p->opts, opts, n);
        p->opts.size = sizeof p->opts;
    }
    const sw_pair_opts *o = &p->opts;
    if (o->threads < 0) {
        free(p);
        return sw__err(ctx, SW_EARG, "sw_pair_open: threads must not be negative");
    }
    p->cloud_frac[0] = p->cloud_frac[1] = NAN;
    p->before = strdup(before);
    p->after = strdup(after);
    int rc = !p->before || !p->after ? sw__err(ctx, SW_ENOMEM, "out of memory") : 0;
    if (rc == 0 && !(p->io = sw__pair_open(ctx, before, after, o->bands, o->resampling)))
        rc = ctx->code;
    /* Each date's mask: the one given, else its delivery's own (a
     * Sentinel-2 scene classification, Landsat's QA_PIXEL, a UDM2). */
    const char *masks[2] = {o->mask_before, o->mask_after};
    for (int d = 0; d < 2 && rc == 0; d++) {
        const sw__side *side = d ? &sw__pair_get_info(p->io)->after : &sw__pair_get_info(p->io)->before;
        if (masks[d])
            rc = sw__pair_set_mask(ctx, p->io, d, masks[d], o->mask_band > 0 ? o->mask_band : 1,
                                   o->mask_cloudy ? SW__MASK_CLOUDY : SW__MASK_CLEAR);
        else if (side->mask)
            rc = sw__pair_set_mask(ctx, p->io, d, side->mask, 1, side->mask_rule);
    }
    if (rc == 0 && sw__pair_get_info(p->io)->nbands > 64)
        rc = sw__err(ctx, SW_EARG, "%s: %d bands; at most 64 can be analysed (select with --bands)", before,
                     sw__pair_get_info(p->io)->nbands);
    if (rc == 0 && o->cloud_screen) {
        const int own[2] = {o->mask_before != NULL, o->mask_after != NULL};
        p->screened = 1;
        rc = sw__screen_pair(ctx, p->io, own, o->gsd, p->cloud_frac, p->cloud_mask);
    }
    if (rc == 0 && o->coregister != 0)
        rc = sw__align_estimate(ctx, p->io, o->threads > 0 ? o->threads : sw__ncores(), &p->align);
    if (rc) {
        sw_pair_close(p);
        return rc;
    }
    *out = p;
    return 0;
}

void sw_pair_close(sw_pair *p)
{
    if (!p)
        return;
    sw__pair_close(p->io);
    for (int d = 0; d < 2; d++) {
        if (p->cloud_mask[d])
            sw__io_delete(p->cloud_mask[d]);
        free(p->cloud_mask[d]);
    }
    free(p->before);
    free(p->after);
    free(p);
}

int sw__pair_window(sw_ctx *ctx, sw_pair *p, const sw_window *w)
{
    if (w)
        return sw__pair_set_window(ctx, p->io, w->x, w->y, w->width, w->height);
    /* the whole grid: the window's origin back at 0 */
    int64_t W, H;
    sw__pair_full_size(p->io, &W, &H);
    return sw__pair_set_window(ctx, p->io, 0, 0, W, H);
}

int64_t sw_pair_width(const sw_pair *p)
{
    int64_t w = 0, h = 0;
    if (p)
        sw__pair_full_size(p->io, &w, &h);
    return w;
}

int64_t sw_pair_height(const sw_pair *p)
{
    int64_t w = 0, h = 0;
    if (p)
        sw__pair_full_size(p->io, &w, &h);
    return h;
}

int sw_pair_bands(const sw_pair *p)
{
    return p ? sw__pair_get_info(p->io)->nbands : 0;
}

int sw_pair_georeferenced(const sw_pair *p)
{
    return p ? sw__pair_get_info(p->io)->grid.georef : 0;
}

void sw_pair_geotransform(const sw_pair *p, double gt[6])
{
    sw__pair_full_gt(p->io, gt);
}

const char *sw_pair_crs_wkt(const sw_pair *p)
{
    return p ? sw__pair_get_info(p->io)->grid.wkt : NULL;
}

int sw_pair_shift(const sw_pair *p, double *dx, double *dy)
{
    if (dx)
        *dx = p && p->align.done ? p->align.dx : NAN;
    if (dy)
        *dy = p && p->align.done ? p->align.dy : NAN;
    return p && p->align.reliable;
}
