/*
 * sitewatch/pair.h: two dates of one place on one grid.
 *
 * A pair handle holds BEFORE and AFTER (a raster, a folder of single-band
 * files such as a Sentinel-2 band set, or "@list.txt") with AFTER put on
 * BEFORE's grid, their usability masks, clouds found by the optional
 * screen, and AFTER's estimated sub-pixel shift. sw_detect_window
 * (sitewatch/detect.h) finds change on it, in memory.
 */
#ifndef SITEWATCH_PAIR_H
#define SITEWATCH_PAIR_H

#include "sitewatch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sw_pair sw_pair;

/* Options of a pair. Fill with sw_pair_opts_init() first (it sets size). */
typedef struct sw_pair_opts {
    size_t size;             /* sizeof(sw_pair_opts), set by sw_pair_opts_init */
    const char *bands;       /* "1,2,4" or "B02,B03,B04,B08"; NULL: all (no alpha) */
    const char *resampling;  /* warping of AFTER: "bilinear" (NULL), "near", "cubic" */
    const char *mask_before; /* usability masks: usable where non-zero (UDM2's band 1); */
    const char *mask_after;  /*   NULL: none */
    int mask_band;           /* the masks' band; 0: 1 */
    int mask_cloudy;         /* non-zero: the masks mark clouds (usable where zero) */
    int cloud_screen;        /* non-zero: screen each date against the other for clouds */
    int coregister;          /* -1 (default): estimate AFTER's shift; a detection applies it
                                when reliable and at least 0.1 px, unless its method is
                                trained to tolerate misregistration; 1: applied for every
                                method; 0: not estimated */
    double gsd;              /* without georeferencing: metres per pixel; 0: unknown */
    int threads;             /* for the co-registration's tie points; 0: all cores */
} sw_pair_opts;

void sw_pair_opts_init(sw_pair_opts *opts);

/* Opens before and after (paths, see above) onto one grid. On success
 * *pair is new (close with sw_pair_close); on failure it is NULL and ctx
 * holds a one-line message naming the file and the problem. */
int sw_pair_open(sw_ctx *ctx, const char *before, const char *after, const sw_pair_opts *opts,
                 sw_pair **pair);
/* Closes; sw_pair_close(NULL) does nothing. */
void sw_pair_close(sw_pair *pair);

/* The grid: size in pixels, bands per date, georeferencing (GDAL's
 * geotransform; the CRS as WKT, borrowed, NULL without). */
int64_t sw_pair_width(const sw_pair *pair);
int64_t sw_pair_height(const sw_pair *pair);
int sw_pair_bands(const sw_pair *pair);
int sw_pair_georeferenced(const sw_pair *pair);
void sw_pair_geotransform(const sw_pair *pair, double gt[6]);
const char *sw_pair_crs_wkt(const sw_pair *pair);
/* AFTER's estimated shift at the grid's centre, in pixels: AFTER(x + dx,
 * y + dy) ~ BEFORE(x, y). Returns 1 when the estimate is reliable, 0 when
 * not (or not made). */
int sw_pair_shift(const sw_pair *pair, double *dx, double *dy);

/* 1 when path is a folder of single-band files the library stacks into one
 * image (a Sentinel-2 band set: files named ..._B01 .. _B12, _B8A), so a
 * program passes the folder as one scene rather than its files. */
int sw_path_is_band_set(const char *path);

/* 1 when path is a folder the library reads as one scene: a band set, a
 * Sentinel-2 .SAFE product, a Landsat Collection 2 product folder, or a
 * PlanetScope scene's delivery folder (one analytic GeoTIFF). */
int sw_path_is_product(const char *path);

/* A window of a pair's grid, in pixels. */
typedef struct sw_window {
    int64_t x, y, width, height;
} sw_window;

#ifdef __cplusplus
}
#endif
#endif
