/*
 * sinks.h: where a detect run's results go when they go to files
 * (sw_detect_run): score.tif and mask.tif (written by the passes through
 * the temporaries files.c names), changes.gpkg and changes.geojson,
 * quicklook.png and summary.json. Every output carries a temporary name
 * until all are complete.
 */
#ifndef SW_SINKS_H
#define SW_SINKS_H

#include "../engine/engine.h"

/* geotiff.c: the run's rows in GeoTIFFs under its temporary names. */
extern const sw__rows sw__rows_geotiff;
/* Waits for score.tif's copy into a Cloud Optimized GeoTIFF, which closing
 * the scores started, and puts it in place; 0 or the error it met. */
int sw__rows_geotiff_finish(sw__run *r);

/* quicklook.png from the run's quicklook grid, at path. */
int sw__quicklook_write(sw__run *r, const char *path);
/* text.c: s in a 5 x 7 bitmap font at scale (pixels per font dot), its top
 * left at (x, y) of a w x h RGB picture, clipped; and its width. */
void sw__text_draw(uint8_t *rgb, int64_t w, int64_t h, int64_t x, int64_t y, int scale, const char *s,
                   const uint8_t color[3]);
int sw__text_width(const char *s, int scale);
/* The SHA-256 of the run's inputs, hashed on a thread of their own from
 * when the pair is open (free with sw__hashes_free, which waits for it). */
typedef struct sw__hashes sw__hashes;
int sw__hashes_start(sw__run *r, sw__hashes **h);
void sw__hashes_free(sw__hashes *h);
/* summary.json of the run at path, once the hashes are done. */
int sw__summary_write(sw__run *r, const sw_detect_result *res, sw__hashes *h, const char *path);

#endif
