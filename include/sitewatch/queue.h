/*
 * sitewatch/queue.h: work recorded in the catalog and done by workers, so
 * that many machines (Slurm array tasks, Kubernetes pods) share one
 * catalog's sites. A job is one scene for one site: ingest it, then
 * analyse the site. Workers claim jobs under a lease they renew; a job
 * whose worker died is taken again when its lease lapses; an alert is
 * raised once however often a job is tried.
 */
#ifndef SITEWATCH_QUEUE_H
#define SITEWATCH_QUEUE_H

#include "sitewatch/catalog.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct sw_job {
    int64_t id;
    char site[128];
    const char *scene;      /* borrowed, valid during the callback */
    char state[16];         /* queued, running, done, failed */
    int attempts, max_attempts;
    char worker[128];       /* who runs or ran it */
    char created[32], started[32], finished[32];
    int64_t lease_left_s;   /* running: seconds its lease has left (< 0: lapsed) */
    const char *result;     /* done: what it did; NULL otherwise */
    const char *error;      /* failed (or about to be tried again): why; NULL otherwise */
} sw_job;

/* Queues the ingest of one scene (a file, or a band-set folder) into a
 * site; *added (may be NULL) is 0 when the same scene already waits or
 * runs for that site. opts' date, sensor, mask and margin go with it
 * (NULL: from the scene). A job is tried at most max_attempts times (0: 3). */
int sw_job_enqueue(sw_ctx *ctx, sw_catalog *cat, const char *site, const char *scene, const sw_ingest_opts *opts,
                   int max_attempts, int64_t *id, int *added);

/* Scene discovery: what a new scene means for the watched sites. fn (may
 * be NULL) hears of each (scene, site) pair: the job's id, and added 0 when
 * it was already queued; site NULL when the scene meets no site. */
typedef void (*sw_discover_fn)(const char *scene, const char *site, int64_t job, int added, void *user);

/* Queues one job for every site whose AOI meets the scene's footprint (a
 * georeferenced raster, or a band-set folder: its first band's). On
 * PostgreSQL the sites are found by one query on the AOIs' spatial index.
 * *queued (may be NULL) counts the jobs added. */
int sw_job_enqueue_meeting(sw_ctx *ctx, sw_catalog *cat, const char *scene, const sw_ingest_opts *opts,
                           int max_attempts, sw_discover_fn fn, void *user, int *queued);

/* The same for each item of a STAC ItemCollection (or one Item) in the
 * JSON file at path: the item's geometry is its footprint, its scene the
 * asset keyed "analytic" (else the first with role "data", else the first
 * GeoTIFF asset; a relative href is taken from the file's folder, an http
 * one read through GDAL's /vsicurl/), its date the item's datetime unless
 * opts give one. An item without either is an error naming it. */
int sw_job_enqueue_stac(sw_ctx *ctx, sw_catalog *cat, const char *path, const sw_ingest_opts *opts,
                        int max_attempts, sw_discover_fn fn, void *user, int *queued);

/* Calls fn for each job of state (NULL: all) in id order; stops early when
 * fn returns non-zero. */
int sw_job_list(sw_ctx *ctx, sw_catalog *cat, const char *state, int (*fn)(const sw_job *j, void *user), void *user);

typedef struct sw_worker_opts {
    const char *name;        /* in the jobs table; NULL: host:pid (and the Slurm job and task) */
    int lease_s;             /* a job's lease, renewed every third of it; 0: 60 s */
    double idle_exit_s;      /* exit after the queue stayed empty this long; 0: at once */
    int max_jobs;            /* exit after this many jobs; 0: no limit */
    const sw_analyze_opts *analyze; /* NULL: defaults */
    void (*on_alert)(const sw_alert *a, void *user);                     /* may be NULL */
    void (*on_job)(const sw_job *j, int rc, const char *message, void *user); /* after each; may be NULL */
    void *user;
    volatile int *stop;      /* set non-zero (e.g. by a signal) to stop after the job at hand; may be NULL */
} sw_worker_opts;

void sw_worker_opts_init(sw_worker_opts *o);

typedef struct sw_worker_stats {
    int64_t done, failed;     /* this worker's jobs */
    double claim_s, commit_s; /* the catalog's own share: claiming, and the analysis' transaction that commits */
    double busy_s;            /* in jobs, all told */
} sw_worker_stats;

/* Drains the queue: claims a job, ingests its scene, analyses its site
 * (the job is completed in the analysis' transaction, and only while its
 * lease is still this worker's), and so on until the queue is empty (for
 * idle_exit_s), max_jobs are done or *stop is set. A job that fails is
 * tried again while attempts remain unless its input is at fault (a bad
 * file, a scene that misses the site): that fails at once, with the
 * reason. *stats (may be NULL) counts this worker's jobs and times.
 * Returns 0, or an error that stopped the worker (the catalog lost). */
int sw_worker_run(sw_ctx *ctx, sw_catalog *cat, const sw_worker_opts *opts, sw_worker_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
