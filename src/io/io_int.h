/* io_int.h: privates of src/io/, shared by its files only. */
#ifndef SW_IO_INT_H
#define SW_IO_INT_H

#include <gdal.h>
#include <cpl_error.h>

#include "io.h"

/* Captures the first GDAL failure message while pushed (thread-local). */
typedef struct sw__gdal_err {
    int had;
    char msg[600];
} sw__gdal_err;

void sw__gdal_push(sw__gdal_err *e);
void sw__gdal_pop(void);
/* The captured message, or fallback when GDAL said nothing. */
const char *sw__gdal_msg(const sw__gdal_err *e, const char *fallback);

/* Opens a raster read-only; a missing file, a file GDAL cannot read and one
 * without bands each get their one-line error ("ROLE file not found" when
 * role is given). Returns NULL on failure. */
GDALDatasetH sw__open_raster(sw_ctx *ctx, const char *path, const char *role);

/* Fills g from an open dataset. */
int sw__grid_from_dataset(sw_ctx *ctx, GDALDatasetH ds, const char *name, sw__grid *g);
void sw__grid_clear(sw__grid *g);
int sw__grid_copy(sw__grid *dst, const sw__grid *src);

/* Which bands are red, green, blue and NIR: from band descriptions or
 * colour interpretation, else from the count (PlanetScope 4 and 8 bands,
 * RGB, Sentinel-2). */
struct sw__bandmap;
void sw__band_roles(GDALDatasetH ds, int nb, struct sw__bandmap *bm);

#endif
