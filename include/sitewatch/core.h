/*
 * sitewatch/core.h: the context every call takes, error codes, progress
 * callbacks and version information.
 *
 * A context (sw_ctx) carries the detailed message of the last error of the
 * calls made with it, so that threads using their own contexts never mix
 * messages. The library never prints and never exits: a call returns a
 * status (0 on success, a negative SW_E... code on failure) and leaves a
 * one-line message in its context.
 */
#ifndef SITEWATCH_CORE_H
#define SITEWATCH_CORE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SW_VERSION_MAJOR 0
#define SW_VERSION_MINOR 1
#define SW_VERSION_PATCH 0
#define SW_VERSION_STRING "0.1.0"

/* Error codes, grouped by kind. 0 is success; every failure is negative. */
enum {
    SW_OK = 0,
    SW_EARG = -1,      /* a bad argument or option value */
    SW_ENOMEM = -2,    /* out of memory */
    SW_EIO = -10,      /* a file could not be opened, read or written */
    SW_EFORMAT = -11,  /* a file is not what it should be (not a raster, corrupt) */
    SW_EMISMATCH = -20,/* two inputs cannot be matched (bands, sizes, grids) */
    SW_ENOOVERLAP = -21, /* the inputs' footprints do not overlap */
    SW_ENODATA = -22,  /* no valid pixel to work on */
    SW_ENUMERIC = -30, /* a numerical step failed (singular matrix, no convergence) */
    SW_ECANCEL = -40,  /* the progress callback asked to stop */
    SW_ENOTFOUND = -60,/* the catalog holds no such thing (site, alert, scene) */
    SW_ECONFLICT = -61,/* the catalog's state forbids it (a name taken, a site with scenes) */
    SW_EINTERNAL = -50 /* a bug of sitewatch's own */
};

/* An error context. Not thread-safe: give each thread its own. */
typedef struct sw_ctx sw_ctx;

/* Returns a new context, or NULL when out of memory. Free with sw_ctx_free. */
sw_ctx *sw_ctx_new(void);

/* Frees a context; sw_ctx_free(NULL) does nothing. */
void sw_ctx_free(sw_ctx *ctx);

/* The message of the last error recorded in ctx: borrowed, valid until the
 * next call that uses ctx. Empty string when there was none. */
const char *sw_ctx_errmsg(const sw_ctx *ctx);

/* The code of the last error recorded in ctx (0 when none). */
int sw_ctx_errcode(const sw_ctx *ctx);

/* A warning the last call left: a default it had to assume that changes
 * the result (the pixel size of imagery without georeferencing), one line,
 * borrowed; NULL when none. Cleared by sw_ctx_clear. */
const char *sw_ctx_warning(const sw_ctx *ctx);

/* Clears the recorded error and warning. */
void sw_ctx_clear(sw_ctx *ctx);

/* A short name for an error code ("I/O error", ...); never NULL. */
const char *sw_strerror(int code);

/* Progress callback, shaped like GDAL's: done in [0,1], a short message
 * (may be NULL), the user's pointer. Return non-zero to go on, 0 to cancel
 * (the call then fails with SW_ECANCEL). Called from one thread at a time. */
typedef int (*sw_progress_fn)(double done, const char *msg, void *user);

/* Sets a GDAL configuration option for the process (GDAL_CACHEMAX,
 * GDAL_NUM_THREADS, AWS_*, ...), as GDAL's utilities' --config KEY VALUE;
 * value NULL unsets it. */
void sw_config_set(const char *key, const char *value);

/* Version strings of sitewatch and the libraries it is built on, as one
 * line: borrowed, static. */
const char *sw_version(void);

#ifdef __cplusplus
}
#endif
#endif
