/*
 * sitewatch/detect.h: change between two images of the same place.
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

#ifdef __cplusplus
extern "C" {
#endif

typedef enum sw_method {
    SW_METHOD_CVA = 0, /* change-vector magnitude on standardized bands */
    SW_METHOD_IRMAD,   /* iteratively reweighted MAD, chi-square score */
    SW_METHOD_LEARNED, /* a Siamese CNN's change probability (sitewatch/model.h) */
    SW_METHOD_DIFF,    /* length of the raw difference vector */
    SW_METHOD_LOGRATIO,/* SAR amplitudes: |log ratio| of 3x3 means */
    SW_METHOD_AUTO,    /* chosen from the bands and sensor (see sw_detect_run) */
    SW_METHOD_PCAKM    /* PCA of 5x5 blocks of the CVA magnitude + k-means (Celik 2009) */
} sw_method;

typedef enum sw_threshold_kind {
    SW_THRESHOLD_OTSU = 0, /* Otsu on the score histogram, tail clipped (learned: p > 0.5) */
    SW_THRESHOLD_CHI2,     /* IR-MAD only: no-change probability below a value */
    SW_THRESHOLD_FIXED,    /* a score value */
    SW_THRESHOLD_KI        /* Kittler-Illingworth minimum error, tail clipped */
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

typedef struct sw_detect_opts {
    sw_method method;
    sw_threshold_kind threshold;
    double threshold_value;  /* FIXED: the score; CHI2: the probability (0.01) */
    double min_area;         /* m², or pixels without georeferencing; < 0: 10 pixels */
    const char *bands;       /* "1,2,4" or "B02,B03,B04,B08"; NULL: all (no alpha) */
    const char *resampling;  /* warping of AFTER: "bilinear" (NULL), "near", "cubic" */
    int threads;             /* worker threads; 0: all cores */
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

/* Fills opts with the defaults (CVA, Otsu, all bands, all cores). */
void sw_detect_opts_init(sw_detect_opts *opts);

/* Runs detection. before, after: paths (see above); outdir: created if
 * missing. Outputs are written under temporary names and renamed when all
 * are complete; on failure none of them is left. result may be NULL.
 * Returns 0, or a negative SW_E... code with a one-line message in ctx. */
int sw_detect_run(sw_ctx *ctx, const char *before, const char *after,
                  const char *outdir, const sw_detect_opts *opts,
                  sw_detect_result *result);

/* Parses a method name ("cva", "irmad", "learned", "diff", "logratio",
 * "pcakm", "auto");
 * returns 0 or SW_EARG. */
int sw_method_parse(const char *name, sw_method *out);
const char *sw_method_name(sw_method m);

#ifdef __cplusplus
}
#endif
#endif
