/*
 * sw_int.h: what sitewatch's modules share with each other and no one else.
 * Cross-file internals are named sw__noun_verb(). Nothing here includes
 * GDAL or SQLite: src/io/io.h is the GDAL boundary.
 */
#ifndef SW_INT_H
#define SW_INT_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

#include "sitewatch/sitewatch.h"

/* ---- errors (src/core/ctx.c) ---- */
struct sw_ctx {
    int code;
    char msg[1024];
    char warning[512]; /* a default the last call assumed, for the user to know */
};

/* Records a one-line warning in ctx (the last one wins). */
void sw__warn(sw_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records code and a printf-formatted one-line message in ctx (ctx may be
 * NULL); returns code so callers can write `return sw__err(...)`. */
int sw__err(sw_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies the error of src into dst. */
void sw__err_copy(sw_ctx *dst, const sw_ctx *src);

/* Wall-clock seconds from an arbitrary origin. */
double sw__now(void);

/* Number of online cores (at least 1). */
int sw__ncores(void);

/* ---- a growing text buffer and a JSON writer (src/core/json.c) ---- */
typedef struct sw__buf {
    char *data;
    size_t len, cap;
    int failed;  /* an allocation failed: the content is incomplete */
} sw__buf;

void sw__buf_free(sw__buf *b);
void sw__buf_printf(sw__buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sw__buf_putc(sw__buf *b, char c);

/* A streaming JSON writer over a sw__buf; it places the commas. */
typedef struct sw__json {
    sw__buf *out;
    int depth;
    int first[32]; /* per level: no element written yet */
    int after_key;
} sw__json;

void sw__json_init(sw__json *j, sw__buf *out);
void sw__json_obj(sw__json *j);   /* { */
void sw__json_arr(sw__json *j);   /* [ */
void sw__json_end(sw__json *j, char close); /* } or ] */
void sw__json_key(sw__json *j, const char *key);
void sw__json_str(sw__json *j, const char *s); /* NULL writes null */
void sw__json_num(sw__json *j, double v);      /* non-finite writes null */
void sw__json_int(sw__json *j, int64_t v);
void sw__json_bool(sw__json *j, int v);
/* GeoJSON: {"type":"Feature","properties":{ -- the caller writes the
 * properties, closes them, then writes "geometry" and closes the feature. */
void sw__json_feature(sw__json *j);
/* GeoJSON: {"type":"FeatureCollection" -- the caller adds members. */
void sw__json_collection(sw__json *j);
/* A value already in JSON (a GeoJSON geometry, say), written as it is. */
void sw__json_raw(sw__json *j, const char *text);

/* ---- grid references (src/core/mgrs.c) ---- */
/* The MGRS reference of a point in UTM zone `zone` (latitude lat for the
 * band) at `digits` digits each for easting and northing (5: 1 m, 0: the
 * 100 km square alone, as "52SDG"). Returns 0, or -1 outside UTM's range. */
int sw__mgrs(int zone, double lat, double easting, double northing, int digits, char *out, size_t n);

/* ---- files (src/core/file.c) ---- */
/* SHA-256 of a file's bytes as 64 hex digits plus NUL. */
int sw__sha256_file(sw_ctx *ctx, const char *path, char hex[65]);
/* SHA-256 of a buffer, as 64 hex digits plus NUL. */
void sw__sha256_hex(const void *data, size_t n, char hex[65]);
/* Temporary files live in a private folder beside their destination,
 * DIR/.sw-tmp-PID-XXXXXX, made fresh by mkdtemp (mode 0700): nothing another
 * user planted under a guessable name (a symlink to their choice of file)
 * can be followed, and a rename within the file system moves a finished
 * file into place. sw__tmpdir_make makes one in dir (malloc'd path, NULL
 * with the error in ctx); sw__tmp_beside makes one beside path and returns
 * the temporary path for it (tmpdir/basename), *tmpdir the folder;
 * sw__tmpdir_remove deletes such a folder (any folder of files) with the
 * files in it;
 * sw__tmpdir_clean deletes those in dir whose process is gone (a killed
 * run's leftovers). */
char *sw__tmpdir_make(sw_ctx *ctx, const char *dir);
char *sw__tmp_beside(sw_ctx *ctx, const char *path, char **tmpdir);
void sw__tmpdir_remove(const char *tmpdir);
void sw__tmpdir_clean(const char *dir);
/* Writes data to path through a temporary file in a private folder beside
 * it and a rename, so the file is whole or absent. */
int sw__file_write_atomic(sw_ctx *ctx, const char *path, const char *data, size_t len);
/* Reads a whole file of at most max bytes into *data (malloc'd, NUL added;
 * *len without it); an error names the file. */
int sw__read_file(sw_ctx *ctx, const char *path, size_t max, char **data, size_t *len);
/* Creates a folder (and its parents) if missing. */
int sw__mkdir_p(sw_ctx *ctx, const char *path);

/* data as base64 (malloc'd, NUL-terminated), or NULL out of memory. */
char *sw__base64(const void *data, size_t n);

/* ---- the tile engine (src/tile/pool.c) ---- */
/* A job over njobs windows. start() makes one worker's private state (its
 * own GDAL handles, buffers); generate() computes window i in parallel;
 * sink() consumes window i strictly in increasing order, one at a time (the
 * ordered writer); stop() frees a worker's state. A non-zero return of any
 * of them stops the run, and the first worker's error is reported. */
typedef struct sw__pool_job {
    int64_t njobs;
    int threads;
    void *user;
    void *(*start)(void *user, sw_ctx *wctx);
    int (*generate)(void *state, int64_t i, sw_ctx *wctx);
    int (*sink)(void *state, int64_t i, sw_ctx *wctx);   /* may be NULL */
    void (*stop)(void *state);
    sw_progress_fn progress; /* called from the sink side; may be NULL */
    void *progress_user;
    double progress_from, progress_to;
    const char *progress_msg;
} sw__pool_job;

int sw__pool_run(sw_ctx *ctx, const sw__pool_job *job);

/* ---- numerics (src/threshold/) ---- */
/* Regularized lower incomplete gamma P(a, x). */
double sw__gamma_p(double a, double x);
/* Chi-square CDF with k degrees of freedom, and its quantile. */
double sw__chi2_cdf(double x, double k);
double sw__chi2_quantile(double p, double k);
/* Chi-square survival function 1 - CDF for integer k >= 1, in closed form
 * (about 20 times faster than through the incomplete gamma). */
double sw__chi2_sf_int(double x, int k);
/* Otsu's threshold on a histogram of nbins equal bins over [lo, hi]:
 * returns the score value of the upper edge of the best split. */
double sw__otsu(const int64_t *hist, int nbins, double lo, double hi);
/* Kittler and Illingworth's minimum-error threshold on the same kind of
 * histogram (two Gaussian classes); Otsu's when no split has two classes
 * with spread. */
double sw__kittler(const int64_t *hist, int nbins, double lo, double hi);
/* The q-quantile (0..1) of n values (the array is reordered). */
double sw__quantile(float *v, int64_t n, double q);
/* The k-th smallest of v[0..n) (v is reordered). */
float sw__select_k(float *v, int64_t n, int64_t k);
/* The shorth of v (sorted in place): the midpoint of the shortest interval
 * holding half the values, and in *sd its width over 1.349 (a Gaussian's
 * standard deviation); robust to up to half the values lying elsewhere. */
double sw__shorth(float *v, int64_t n, double *sd);
/* The stride that takes at most 2^17 of a sample's n values into a shorth:
 * its midpoint and width to a fraction of a percent, at a fraction of the
 * sort of a million. */
static inline int64_t sw__shorth_step(int64_t n)
{
    return n > (1 << 17) ? (n + (1 << 17) - 1) / (1 << 17) : 1;
}

/* ---- connected components, streamed by rows (src/morph/ccl.c) ---- */
/* Labels 8-connected components of a binary mask given one row at a time,
 * keeping only two rows of labels and a union-find over provisional labels,
 * and accumulates per component: pixel count, score sum and max, sums of
 * column and row, bounding box. Two passes over the same rows give the same
 * provisional labels, so pass 2 can map each pixel to its final object. */
typedef struct sw__ccl sw__ccl;

typedef struct sw__object {
    int64_t npix;
    double score_sum, score_max;
    double sum_x, sum_y;
    int64_t xmin, ymin, xmax, ymax;
    int64_t id;         /* final id (1..n), 0 when the object is dropped */
} sw__object;

sw__ccl *sw__ccl_new(int64_t width);
void sw__ccl_free(sw__ccl *c);
/* Feeds row y (rows must come in order 0, 1, ...): mask[x] non-zero is
 * foreground; score may be NULL. labels (may be NULL) receives the
 * provisional label per pixel (0 for background). */
int sw__ccl_row(sw__ccl *c, const uint8_t *mask, const float *score, uint32_t *labels);
/* After pass 1: resolves the union-find, fills one sw__object per
 * component (ids are assigned by sw__ccl_keep). Returns the count. */
int64_t sw__ccl_finish(sw__ccl *c);
sw__object *sw__ccl_objects(sw__ccl *c);
/* Keeps components with npix >= min_pixels, numbering them 1..n in order
 * of their first pixel; returns n. */
int64_t sw__ccl_keep(sw__ccl *c, int64_t min_pixels);
/* The same, also dropping slivers: objects thinner than min_width pixels
 * on average (sw__object_mean_width) and at least four times as long
 * (min_width <= 0: none). */
int64_t sw__ccl_keep_shaped(sw__ccl *c, int64_t min_pixels, double min_width);
/* An object's mean width in pixels: its pixels over its bounding box's
 * diagonal (1 for a one-pixel line in any direction). */
double sw__object_mean_width(const sw__object *o);
/* Starts pass 2 (same rows again); sw__ccl_row2 writes the final object id
 * (0 for background and dropped components) per pixel of row. */
void sw__ccl_rewind(sw__ccl *c);
int sw__ccl_row2(sw__ccl *c, const uint8_t *mask, uint32_t *ids);

/* ---- morphology of the change mask (src/morph/morph.c) ---- */
/* Context rows a strip needs above and below for the cleanup m. */
int sw__morph_halo(sw_morph m, int radius);
/* Cleans mask (0 no change, 1 change, 255 nodata; width x rows) with m and
 * writes rows [top, top + rows_out) of the result to out; nodata stays
 * nodata. work: 2 * width * rows bytes of scratch. */
void sw__morph(sw_morph m, int radius, uint8_t *mask, int64_t width, int rows, int top, int rows_out,
               uint8_t *out, uint8_t *work);

#endif
