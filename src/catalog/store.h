/*
 * store.h: the catalog's storage, as the layers above it see it. Only the
 * files of src/catalog/ speak SQL (and include sqlite3.h); site analysis
 * (src/site/) and reporting (src/report/) call these, so a catalog on
 * another database is another implementation of this header.
 *
 * Every write is one transaction: whole or not at all.
 */
#ifndef SW_STORE_H
#define SW_STORE_H

#include "../io/io.h"
#include "sitewatch/catalog.h"

/* An analysis that read the site's scenes before another scene was
 * recorded: stale, to be made again (never leaves the library). */
enum { SW__ESTALE = -62 };

/* ---- sites (sites.c) ---- */
/* Records a new site; SW_ECONFLICT when the name is taken. */
int sw__store_site_insert(sw_ctx *ctx, sw_catalog *cat, const sw_site *s);
/* Deletes a site and all its rows (scenes, objects, alerts, runs); with
 * force 0, SW_ECONFLICT when it holds scenes. */
int sw__store_site_delete(sw_ctx *ctx, sw_catalog *cat, const char *name, int force);
/* The detector a site is analysed with ("auto" unless set); buf of n. */
int sw__store_site_method(sw_ctx *ctx, sw_catalog *cat, const char *name, char *buf, size_t n);
int sw__store_site_set_method(sw_ctx *ctx, sw_catalog *cat, const char *name, const char *method);
/* Where sitewatch keeps what it makes for a site: CHIPSTORE/SITE, then
 * suffix (malloc'd; NULL with an error in ctx: out of memory, or a
 * PostgreSQL catalog given no chip store yet; ctx NULL: no message). */
char *sw__store_site_path(sw_ctx *ctx, const sw_catalog *cat, const char *site, const char *suffix);
/* The database engine's name and version ("SQLite 3.40.1"); static. */
const char *sw__store_engine_version(void);
/* The catalog's path (for messages); borrowed. */
const char *sw__store_path(const sw_catalog *cat);

/* Calls fn for each site whose AOI meets a WGS84 lon/lat geometry, in
 * name order (PostgreSQL: one query on the GiST index of the AOIs; SQLite:
 * each AOI tested). fn returning non-zero stops, with that status. */
int sw__store_sites_meeting(sw_ctx *ctx, sw_catalog *cat, const char *wkt_ll,
                            int (*fn)(void *user, const char *site), void *user);

/* ---- scenes (scenes.c) ---- */
typedef struct sw__scene_row {
    int64_t id;
    char date[11];
    char sensor[32];
    char sha256[65];
    char *source, *chip;   /* malloc'd */
    char *udm;             /* the scene's own usability mask on the chip's grid, or NULL */
    double cover;          /* share of the site the scene covers */
    double cloud;          /* share of that the cloud screen masked */
    double sx, sy;         /* shift onto the baseline (NAN: not measured) */
} sw__scene_row;

/* The site's scenes in date order (free with sw__scene_rows_free). */
int sw__store_scenes(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, sw__scene_row **rows, int *n);
void sw__scene_rows_free(sw__scene_row *rows, int n);
/* The scene of site_id with this SHA-256: 1 (id and date filled), 0 none. */
int sw__store_scene_find(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, const char *sha256, int64_t *id,
                         char date[11]);
/* Records a scene (and the site's resolution when it has none yet).
 * *dup is set when the same scene was recorded meanwhile (not an error). */
int sw__store_scene_insert(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, double site_resolution_m,
                           const sw__scene_row *s, const char *mask_source, int64_t *id, int *dup);

/* ---- comparisons kept between analyses (objects.c) ---- */
typedef struct sw__pair_object {
    const char *wkt;
    double area_m2, score;
} sw__pair_object;
/* Calls fn for each object of the comparison `key` of the site; *found 0
 * when none is kept. */
int sw__store_pair_get(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, const char *key,
                       int (*fn)(void *user, const char *wkt, double area_m2, double score), void *user,
                       int *found);
int sw__store_pair_put(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, const char *key, const sw__pair_object *o,
                       int64_t n);
/* Drops the site's comparisons not among keys[0..n) and older than a minute
 * (another analysis may have just made one). */
int sw__store_pair_prune(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, char (*keys)[25], int n);

/* ---- objects, observations, alerts: an analysis persisted (objects.c) ---- */
typedef struct sw__obs_row {
    int64_t scene;
    double area, score;
} sw__obs_row;

/* A tracked object as an analysis leaves it. */
typedef struct sw__track_row {
    int64_t id;            /* in: the stored object it continues (0: a new one); out: its id */
    const char *status, *first, *last, *confirmed; /* confirmed "" when not */
    const char *wkt;
    double area;
    const sw__obs_row *obs;
    int nobs;
    int dismissed;         /* out: the analyst dismissed it */
} sw__track_row;

typedef struct sw__analysis {
    const sw__scene_row *scenes; /* every scene with its cloud verdict and shift */
    int nscenes;
    int64_t baseline;      /* its shift is 0 by definition */
    const char *params;    /* the run's parameters, JSON */
    sw__track_row *tracks;
    int ntracks;
    /* Called inside the transaction with the stored objects, to set each
     * track's id (0 or an object's) from them; may be NULL. */
    int (*match)(void *user, const sw__site_object *old, int64_t nold, sw__track_row *tracks, int ntracks);
    void *match_user;
    /* The alert text of a newly confirmed object (id is its object's). */
    void (*alert_text)(void *user, const sw__track_row *t, char *out, size_t n);
} sw__analysis;

/* Persists an analysis in one transaction: cloud fractions and shifts, the
 * run, objects (ids kept), observations, one alert per newly confirmed
 * object that has none and is not dismissed; objects no longer found are
 * deleted unless dismissed or alerted on (then withdrawn, alerts too), and
 * open alerts of objects no longer confirmed are withdrawn. The alerts
 * raised are returned in *fresh (free with free()). */
int sw__store_analysis(sw_ctx *ctx, sw_catalog *cat, const sw_site *site, const sw__analysis *a,
                       sw_alert **fresh, int *nfresh);

/* A site's change objects in id order (free with sw__objects_free). */
int sw__objects_load(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, sw__site_object **obj, int64_t *n);
void sw__objects_free(sw__site_object *obj, int64_t n);

/* ---- what a report shows (report_rows.c) ---- */
/* The latest analysis' time and parameters ("" when none). */
int sw__store_last_run(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, char at[32], char *params, size_t n);
/* Calls fn for each alert of the site (its id, its object's id, its
 * state), in id order. */
int sw__store_alert_states(sw_ctx *ctx, sw_catalog *cat, int64_t site_id,
                           void (*fn)(void *user, int64_t alert, int64_t object, const char *state), void *user);
/* Calls fn for each observation of the site's objects, by object id then date. */
int sw__store_observations(sw_ctx *ctx, sw_catalog *cat, int64_t site_id,
                           void (*fn)(void *user, int64_t object, const char *date, double area_m2), void *user);

/* ---- the job queue (jobs.c) ---- */
typedef struct sw__job_row {
    int64_t id, site_id, token;
    int attempts, max_attempts;
    char site[128], state[16], worker[128], created[32], started[32], finished[32];
    char *scene, *options, *result, *error; /* malloc'd */
    int64_t lease_until;    /* Unix seconds; 0 when none */
} sw__job_row;
void sw__job_row_clear(sw__job_row *j);

/* Queues a job; *added 0 when the same (site, scene) already waits or runs. */
int sw__store_job_enqueue(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, const char *scene, const char *options,
                          int max_attempts, int64_t *id, int *added);
/* Claims the oldest job that waits, or runs under a lapsed lease, for
 * `worker` for lease_s seconds (PostgreSQL: SELECT ... FOR UPDATE SKIP
 * LOCKED, so workers never wait on each other; SQLite: the one writer).
 * Jobs whose lease lapsed max_attempts times fail first. 1 with *job
 * filled (its token new), 0 when none, < 0 an error. */
int sw__store_job_claim(sw_ctx *ctx, sw_catalog *cat, const char *worker, int lease_s, sw__job_row *job);
/* Extends the lease; SW_ECONFLICT when it is no longer this token's. */
int sw__store_job_renew(sw_ctx *ctx, sw_catalog *cat, int64_t id, int64_t token, int lease_s);
/* The job failed: queued again when retry and attempts remain, else
 * failed, with the reason. Nothing when the token is no longer its. */
int sw__store_job_fail(sw_ctx *ctx, sw_catalog *cat, int64_t id, int64_t token, const char *error, int retry);
/* Calls fn for each job (of one state, or all when state is NULL), in id order. */
int sw__store_jobs(sw_ctx *ctx, sw_catalog *cat, const char *state, int (*fn)(const sw__job_row *j, void *user),
                   void *user);
/* A handle's current job: the next analysis of this handle completes it
 * (in its transaction, only while the lease is the token's); 0 clears. */
void sw__store_set_job(sw_catalog *cat, int64_t id, int64_t token, const char *result);
/* Seconds this handle spent in transactions that completed jobs. */
double sw__store_commit_seconds(const sw_catalog *cat);
/* A second connection to the same catalog (for a lease renewer). */
sw_catalog *sw__store_reopen(sw_ctx *ctx, const sw_catalog *cat);

#endif
