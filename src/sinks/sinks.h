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

/* quicklook.png from the run's quicklook grid, at path. */
int sw__quicklook_write(sw__run *r, const char *path);
/* summary.json of the run at path (the inputs are hashed here). */
int sw__summary_write(sw__run *r, const sw_detect_result *res, const char *path);

#endif
