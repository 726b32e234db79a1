/*
 * sitewatch/detect.h: change between two images of the same place.
 *
 * sw_detect_window() is the engine: change on a window of an open pair
 * (sitewatch/pair.h), returned in memory as objects (polygons with their
 * areas, scores and centroids) and, when asked, the window's score and mask.
 *
 * sw_detect_run() is the whole `sitewatch detect` job as one library call:
 * it opens BEFORE and AFTER (a raster, a folder of single-band files such as
 * a Sentinel-2 band set, or "@list.txt" naming such files), puts AFTER on
 * BEFORE's grid, scores change per pixel, thresholds it, turns the changed
 * pixels into objects and writes score.tif, mask.tif, changes.geojson,
 * changes.gpkg, summary.json and quicklook.png into an output folder.
 * Work is done in full-width strips in bounded memory, on several threads;
 * the result does not depend on the thread count or the strip height.
 */
#ifndef SITEWATCH_DETECT_H
#define SITEWATCH_DETECT_H

#include "sitewatch/core.h"
#include "sitewatch/pair.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sw_threshold_kind {
    SW_THRESHOLD_OTSU = 0, /* Otsu on the score histogram, tail clipped (learned: p > 0.5) */
    SW_THRESHOLD_CHI2,     /* IR-MAD only: no-change probability below a value */
    SW_THRESHOLD_FIXED,    /* a score value */
    SW_THRESHOLD_KI,       /* Kittler-Illingworth minimum error, tail clipped */
    SW_THRESHOLD_DEFAULT   /* the default: Otsu, but Kittler-Illingworth where auto runs
                              CVA on multispectral imagery (docs/accuracy.md) */
} sw_threshold_kind;

/* Morphological cleanup of the change mask before objects are formed, with
 * a square structuring element of side 2 * radius + 1. */
typedef enum sw_morph {
    SW_MORPH_NONE = 0,
    SW_MORPH_OPEN,       /* erode then dilate: removes specks and thin slivers */
    SW_MORPH_CLOSE,      /* dilate then erode: fills small gaps and holes */
    SW_MORPH_OPEN_CLOSE  /* both, opening first */
} sw_morph;

/* Parses "none", "open", "close", "open-close"; returns 0 or SW_EARG. */
int sw_morph_parse(const char *name, sw_morph *out);
const char *sw_morph_name(sw_morph m);

/* Options of a detection. Fill with sw_detect_opts_init() first: it sets
 * `size`, by which a library newer than the caller's header knows which
 * fields the caller has (the rest keep their defaults). */
typedef struct sw_detect_opts {
    size_t size;             /* sizeof(sw_detect_opts), set by sw_detect_opts_init */
    const char *method;      /* a method's name (sw_method_help lists them) or "auto";
                                NULL: "auto" */
    sw_threshold_kind threshold; /* SW_THRESHOLD_DEFAULT: the one that goes with the method */
    double threshold_value;  /* FIXED: the score; CHI2: the probability (0.01) */
    double min_area;         /* m², or pixels without georeferencing; < 0: 10 pixels */
    /* -- the pair (sw_detect_run; sw_detect_window's pair was opened with its own) -- */
    const char *bands;       /* "1,2,4" or "B02,B03,B04,B08"; NULL: all (no alpha) */
    const char *resampling;  /* warping of AFTER: "bilinear" (NULL), "near", "cubic" */
    int threads;             /* worker threads; 0: all cores it may run on (its CPU affinity) */
    int tile_rows;           /* strip height; 0: from max_memory */
    int64_t max_memory;      /* bytes; 0: 1 GiB */
    int irmad_iterations;    /* most IR-MAD iterations; 0: 30 */
    int64_t sample_pixels;   /* pixels sampled for statistics; 0: up to 1 million */
    int coregister;          /* -1 (default): estimate AFTER's shift and apply it when
                                reliable and at least 0.1 px, except for the learned
                                method (trained to tolerate misregistration), which
                                only reports it; 1: apply for every method; 0: off */
    const char *mask_before; /* usability masks: usable where non-zero (UDM2's band 1); */
    const char *mask_after;  /*   NULL: none */
    int mask_band;           /* the masks' band; 0: 1 */
    int mask_cloudy;         /* non-zero: the masks mark clouds (usable where zero) */
    int cloud_screen;        /* non-zero: screen each date against the other for clouds and
                                their shadows (off by default: one other date is a thin
                                reference); a date with a mask of its own keeps that */
    /* -- the detection -- */
    sw_morph morph;          /* cleanup before objects; default none */
    int morph_radius;        /* 1 (3x3) by default */
    double sliver_width;     /* drop objects thinner than this many pixels on average and
                                four times as long (edges left by misregistration); 0: keep */
    double fill_holes;       /* m^2: unchanged holes up to this area inside a change object
                                become part of it (not holes of nodata); 0: off */
    int normalize;           /* 1 (default): diff and pcakm normalize AFTER's radiometry
                                onto BEFORE's on IR-MAD's invariant pixels, logratio
                                removes a gain between the dates; 0: off */
    const char *model_path;  /* learned: the model file; NULL: $SITEWATCH_MODEL or the shipped one */
    double gsd;              /* learned, without georeferencing: metres per pixel; 0: the model's */
    const char *command_line;/* recorded in summary.json; may be NULL */
    int no_quicklook;        /* non-zero: no quicklook.png (a program reads the rest) */
    sw_progress_fn progress; /* may be NULL */
    void *progress_user;
    /* sw_detect_window: caller-owned buffers of the window's size (width x
     * height, row by row) that receive its score (NaN where invalid) and
     * mask (0 no change, 1 change in a kept object, 255 nodata); NULL: not
     * wanted */
    float *score_out;
    uint8_t *mask_out;
    int64_t max_pixels;      /* a window of more pixels is refused up front, with the
                                reason; 0: 2^32 (65536 x 65536) */
    const char *const *creation_options; /* sw_detect_run: GeoTIFF creation options for
                                score.tif and mask.tif (KEY=VALUE, NULL-terminated, as
                                GDAL's -co); they override sitewatch's own */
    int tta;                 /* learned: non-zero averages the network's probability over
                                the image and its three mirror images (four times the
                                time); 0 (default): off */
} sw_detect_opts;

/* What a run found, for the caller to print. */
typedef struct sw_detect_result {
    int64_t width, height;      /* the output grid (BEFORE's) */
    int64_t valid_pixels;       /* valid on both dates */
    int64_t changed_pixels;     /* in kept objects */
    int64_t objects;            /* objects written */
    double threshold;           /* score threshold used */
    double changed_area_m2;     /* or pixels without georeferencing */
    int georeferenced;
    int shift_applied;          /* AFTER was co-registered onto BEFORE */
    double shift_dx, shift_dy;  /* by this shift (pixels, at the centre): AFTER(x + dx, y + dy) ~ BEFORE(x, y) */
    double seconds;
} sw_detect_result;

/* Fills opts with the defaults (auto, SW_THRESHOLD_DEFAULT, all bands, all
 * cores). */
void sw_detect_opts_init(sw_detect_opts *opts);

/* Runs detection. before, after: paths (see above); outdir: created if
 * missing. Outputs are written under temporary names and renamed when all
 * are complete; on failure none of them is left. result may be NULL.
 * Returns 0, or a negative SW_E... code with a one-line message in ctx. */
int sw_detect_run(sw_ctx *ctx, const char *before, const char *after,
                  const char *outdir, const sw_detect_opts *opts,
                  sw_detect_result *result);

/* 1 when name is a method's ("auto" included), else 0. */
int sw_method_exists(const char *name);
/* The i-th method's name (0, 1, ... until NULL) and, when help is not
 * NULL, a one-line description of it; static strings. */
const char *sw_method_help(int i, const char **help);

/* ---- change on a window of a pair, in memory ---- */

/* One change object: a connected region of changed pixels that passed the
 * area and shape rules. */
typedef struct sw_object {
    int64_t id;                /* 1, 2, ... in order of the object's first pixel */
    int64_t pixels;            /* with the holes filled into it (--fill-holes) */
    double area_m2;            /* pixels x pixel area (or pixels without georeferencing) */
    double area_subpixel_m2;   /* each edge pixel counted by the share of it that changed */
    double score_mean, score_max;
    double col, row;           /* centroid, in pixels of the window */
    double x, y;               /* centroid in the pair's CRS (pixels without georeferencing) */
    double lon, lat;           /* centroid in WGS84; NAN without georeferencing */
    const char *wkt;           /* outline (MULTIPOLYGON) in the pair's CRS, or in pixels
                                  of the pair's grid without georeferencing; borrowed */
} sw_object;

/* The objects of one detection, with what the run found. */
typedef struct sw_objects sw_objects;
int64_t sw_objects_count(const sw_objects *objs);
/* The i-th object (0-based), borrowed until sw_objects_free; NULL out of range. */
const sw_object *sw_objects_get(const sw_objects *objs, int64_t i);
/* The run's totals, threshold and co-registration; borrowed. */
const sw_detect_result *sw_objects_result(const sw_objects *objs);
/* The method run (auto resolved) and why; static strings. */
const char *sw_objects_method(const sw_objects *objs, const char **reason);
/* Frees; sw_objects_free(NULL) does nothing. */
void sw_objects_free(sw_objects *objs);

/* Detects change on window (NULL: the whole pair) of pair: the window is
 * sampled, fitted, thresholded, scored, labelled and traced as a scene of
 * its own, in memory (about 10 bytes a pixel of the window beside the
 * strips in flight; for scenes larger than memory use sw_detect_run, or
 * windows). opts (NULL: defaults): the detection's fields; the pair's
 * (bands, masks, co-registration, cloud screen) were given to
 * sw_pair_open. On success *objects is new (free with sw_objects_free);
 * on failure it is NULL and ctx holds the message. One detection at a
 * time on a pair. */
int sw_detect_window(sw_ctx *ctx, sw_pair *pair, const sw_window *window,
                     const sw_detect_opts *opts, sw_objects **objects);

#ifdef __cplusplus
}
#endif
#endif
