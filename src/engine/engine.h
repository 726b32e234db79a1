/*
 * engine.h: what the engine's files share. A run (sw__run) is one
 * detection on a window of a pair, as passes of the tile engine:
 *
 *   plan.c     strip height from the memory budget, the sample's grid, the
 *              quicklook's grid
 *   passes.c   the sample, score and label passes over strips
 *   fit.c      the method fitted on the sample, the threshold chosen
 *   run.c      the passes in order, objects traced; sw_detect_window (in
 *              memory) and sw_detect_run (the file sinks, src/sinks/)
 *   pair.c     the public pair handle: open, masks, cloud screen, shift
 *
 * A run keeps its rows between passes in a row store (sw__rows): in memory
 * for sw_detect_window (rows_memory.c: the window's score, mask and object
 * ids), in GeoTIFFs for sw_detect_run (src/sinks/geotiff.c: score.tif and
 * mask.tif are the outputs themselves; any scene size in bounded memory).
 */
#ifndef SW_ENGINE_H
#define SW_ENGINE_H

#include "../coreg/align.h"
#include "../io/io.h"
#include "../methods/method.h"

/* The public pair handle. */
struct sw_pair {
    sw__pair *io;
    sw_pair_opts opts;
    char *before, *after;  /* as given */
    sw__align align;       /* the shift estimate (align.done == 0: none) */
    int screened;          /* the cloud screen ran */
    double cloud_frac[2];  /* its verdict per date: share of the valid pixels masked */
    char *cloud_mask[2];   /* the masks it made (/vsimem/) */
};

/* Sub-pixel area: an object's pixels binned by (score / its max)^(1/power). */
enum { SW__SUBPIX_BINS = 32 };

/* The stages a run times, for summary.json. */
enum { SW__T_OPEN, SW__T_COREG, SW__T_SAMPLE, SW__T_FIT, SW__T_SCORE, SW__T_LABEL, SW__T_VECTOR,
       SW__T_QUICKLOOK, SW__T_HASH, SW__NSTAGE };
extern const char *const sw__stage_names[SW__NSTAGE];

/* File mode: the temporaries and outputs of sw_detect_run (sinks/files.c). */
enum { SW__OUT_SCORE, SW__OUT_MASK, SW__OUT_GEOJSON, SW__OUT_GPKG, SW__OUT_QUICKLOOK, SW__OUT_SUMMARY,
       SW__OUT_RAW, SW__OUT_IDS, SW__NOUT };
extern const char *const sw__out_names[SW__NOUT];

struct sw__run;

/* Where a run keeps its rows between passes. put_* are called from the
 * ordered sinks (rows in order, one call at a time); a reader is made per
 * label worker and reads rows in parallel. */
typedef struct sw__rows {
    int (*open_scores)(struct sw__run *r);
    int (*put_scores)(struct sw__run *r, sw_ctx *ctx, int64_t y0, int nrows, const float *score,
                      const uint8_t *raw_mask);
    int (*close_scores)(struct sw__run *r);
    void *(*reader_new)(struct sw__run *r, sw_ctx *ctx);
    /* the raw mask (0 no change, 1 change, 255 nodata) and, when score is
     * not NULL, the scores of rows [y0, y0 + nrows) */
    int (*read)(void *reader, sw_ctx *ctx, int64_t y0, int nrows, uint8_t *mask, float *score);
    void (*reader_free)(void *reader);
    int (*open_labels)(struct sw__run *r);
    int (*put_labels)(struct sw__run *r, sw_ctx *ctx, int64_t y0, int nrows, const uint8_t *mask,
                      const uint32_t *ids);
    int (*close_labels)(struct sw__run *r);
    void (*free)(struct sw__run *r); /* after success or failure */
} sw__rows;

/* rows_memory.c: rows in memory, of the run's window. */
extern const sw__rows sw__rows_memory;
typedef struct sw__mem_rows {
    float *score;          /* W x H */
    uint8_t *mask;         /* W x H: the raw mask of the score pass, then the final mask */
    uint32_t *ids;         /* W x H */
} sw__mem_rows;

typedef struct sw__run {
    sw_ctx *ctx;
    const sw_detect_opts *o;
    sw_pair *pair;
    const sw__pair_info *info;
    const sw__method *m;   /* the method run (auto resolved) */
    void *ms;              /* its state */
    sw__method_env env;
    const char *method_reason;
    int64_t W, H;
    int nb, threads, strip;
    int64_t nstrips;
    int halo_rows;         /* context rows read above and below a strip */
    int64_t budget;        /* bytes */
    /* the sample: rows srows[0..nsrows), columns xoff + i*step */
    int64_t step, xoff, scols, nsrows, block_stride;
    int64_t *srows;
    int64_t *sjob, nsjobs, sjob_max; /* job i: rows srows[sjob[i] .. sjob[i+1]) */
    float *sx, *sy;        /* valid samples, nb floats each */
    int64_t ns;
    /* the quicklook grid: pixels (q/2 + i*q, q/2 + j*q), qw x qh (q == 0: none) */
    int64_t q, qw, qh;
    float *ql[2];          /* display bands on the grid, 3 per cell */
    uint8_t *qvalid, *qmask;
    double threshold, otsu_clip, threshold_floor;
    const char *threshold_rule;
    sw_threshold_kind threshold_kind; /* the options', SW_THRESHOLD_DEFAULT resolved */
    int shift_applied;
    const char *shift_note;
    int64_t min_pixels;
    double min_area;
    /* where the rows go between passes, and its state */
    const sw__rows *rows;
    void *rows_state;
    int quicklook;         /* fill the quicklook's grid */
    /* the file sinks' temporaries and outputs (sw_detect_run) */
    char *tmp[SW__NOUT], *final[SW__NOUT];
    /* labelling */
    sw__ccl *ccl;
    sw__ccl *holes;        /* --fill-holes: components of everything not change */
    int64_t *filled;       /* per object id: hole pixels filled into it */
    int64_t (*hbox)[4];    /* per object id: its filled pixels' box (xmin, ymin, xmax, ymax) */
    int64_t valid_pixels, nobj_all, nobj;
    sw__vobject *vobj;
    uint32_t (*hist)[SW__SUBPIX_BINS]; /* per object id: scores over its peak */
    float *objmax;         /* per object id: its highest score */
    double t[SW__NSTAGE];
} sw__run;

/* plan.c */
int sw__plan_strips(sw__run *r);
int sw__plan_sample(sw__run *r, int64_t target);
int sw__plan_quicklook(sw__run *r);

/* passes.c: each a job of the worker pool over the run's strips */
int sw__pass_sample(sw__run *r);
int sw__pass_score(sw__run *r);
int sw__pass_label(sw__run *r);

/* fit.c: the method's state fitted on the sample, and the threshold */
int sw__fit(sw__run *r);

/* cloud_screen.c: screens pair p's dates against each other (a date with
 * own_mask[d] set is left to it); sets the masks it finds on the pair, as
 * masks[d] (new /vsimem/ paths, NULL when none), and the share masked per
 * date in frac[d] (NAN when not screened). */
int sw__screen_pair(sw_ctx *ctx, sw__pair *p, const int own_mask[2], double gsd, double frac[2], char *masks[2]);

/* run.c: options that mean nothing (NaN, Inf where a number is needed,
 * negative counts) are SW_EARG, before anything is opened. */
int sw__detect_opts_check(sw_ctx *ctx, const sw_detect_opts *o);
/* run.c: the run on r->pair's current grid, after r->o, r->ctx, r->pair,
 * r->rows (and what it needs) are set; fills res. */
int sw__run_detect(sw__run *r, sw_detect_result *res);
void sw__run_free(sw__run *r);

/* versions.c: "sitewatch X; GDAL Y; FFTW ...; OpenBLAS ...; OpenSSL ...". */
const char *sw__engine_versions(void);

/* pair.c: puts the pair's readers on window (NULL: the whole grid). */
int sw__pair_window(sw_ctx *ctx, sw_pair *p, const sw_window *w);

#endif
