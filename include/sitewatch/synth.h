/*
 * sitewatch/synth.h: a realistic synthetic image pair with a known truth.
 *
 * Textured ground, roads, buildings with shadows; on date 2 a gain and
 * offset, a sub-pixel shift, noise, and new buildings of several sizes.
 * Written in strips, so any size fits in bounded memory.
 */
#ifndef SITEWATCH_SYNTH_H
#define SITEWATCH_SYNTH_H

#include "sitewatch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sw_synth_opts {
    int64_t width, height;  /* pixels; default 1024 x 1024 */
    int bands;              /* 3 (RGB) or 4 (B,G,R,NIR, default) */
    double gsd;             /* metres per pixel; default 0.5 */
    double shift_x, shift_y;/* date-2 shift in pixels; default 0.3, -0.2 */
    uint32_t seed;          /* default 1 */
    int compress;           /* non-zero: DEFLATE-compressed tiles (default 1) */
} sw_synth_opts;

void sw_synth_opts_init(sw_synth_opts *opts);

/* Writes before.tif, after.tif (uint16, UTM 52N, near Hamhung) and truth.tif (uint8,
 * 0 no change / 1 new building) into outdir. new_objects (may be NULL)
 * receives the number of buildings added on date 2. */
int sw_synth_pair(sw_ctx *ctx, const char *outdir, const sw_synth_opts *opts,
                  int64_t *new_objects, sw_progress_fn progress, void *user);

/* A watched site over a year, for `sitewatch demo`: writes into dir
 * aoi.geojson (the site), scenes/ (ten PlanetScope-named 4-band GeoTIFFs of
 * a plant that grows, one of them cloudy, one misregistered, one cut short)
 * and truth.geojson (each new building: footprint, first_date, area_m2; and
 * each scene's date and condition). */
int sw_synth_site(sw_ctx *ctx, const char *dir, uint32_t seed, sw_progress_fn progress, void *user);

#ifdef __cplusplus
}
#endif
#endif
