/*
 * worker.c: the job queue from a site's side: jobs queued (a scene for a
 * site, with its ingest options as JSON) and listed, and the worker that
 * drains them: claim, renew the lease from a second connection while the
 * job runs, ingest, analyse (which completes the job in its own
 * transaction), and say why when a job fails.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "../catalog/store.h"

/* ---- queueing and listing ---- */

int sw_job_enqueue(sw_ctx *ctx, sw_catalog *cat, const char *site_name, const char *scene, const sw_ingest_opts *o,
                   int max_attempts, int64_t *id, int *added)
{
    sw_site site = {0};
    int64_t jid = 0;
    int add = 0;
    int rc = sw_site_get(ctx, cat, site_name, &site);
    if (rc)
        return rc;
    /* One item of a STAC ItemCollection: COLLECTION.json#ID. */
    char file[PATH_MAX];
    const char *hash = strrchr(scene, '#');
    snprintf(file, sizeof file, "%s", scene);
    if (hash && access(scene, F_OK) != 0)
        file[hash - scene] = '\0';
    else
        hash = NULL;
    if (strncmp(file, "/vsi", 4) != 0 && access(file, R_OK) != 0) { /* /vsicurl/...: GDAL reads it */
        rc = sw__err(ctx, SW_EIO, "%s: %s", file, strerror(errno));
        goto out;
    }
    /* Recorded as the file's real path: the worker may start in another
     * folder, and one file reached by two paths is one scene. */
    char full[PATH_MAX + 256];
    char real[PATH_MAX];
    if (strncmp(file, "/vsi", 4) == 0 || !realpath(file, real))
        snprintf(full, sizeof full, "%s", scene);
    else
        snprintf(full, sizeof full, "%s%s", real, hash ? hash : "");
    cJSON *j = cJSON_CreateObject();
    if (j && o) {
        if (o->date)
            cJSON_AddStringToObject(j, "date", o->date);
        if (o->sensor)
            cJSON_AddStringToObject(j, "sensor", o->sensor);
        if (o->mask)
            cJSON_AddStringToObject(j, "mask", o->mask);
        if (o->margin_m >= 0)
            cJSON_AddNumberToObject(j, "margin_m", o->margin_m);
    }
    char *options = j ? cJSON_PrintUnformatted(j) : NULL;
    cJSON_Delete(j);
    if (!options) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        goto out;
    }
    rc = sw__store_job_enqueue(ctx, cat, site.id, full, options, max_attempts, &jid, &add);
    free(options);
out:
    if (id)
        *id = jid;
    if (added)
        *added = add;
    sw_site_clear(&site);
    return rc;
}

static void to_public(const sw__job_row *r, sw_job *j)
{
    memset(j, 0, sizeof *j);
    j->id = r->id;
    snprintf(j->site, sizeof j->site, "%s", r->site);
    j->scene = r->scene;
    snprintf(j->state, sizeof j->state, "%s", r->state);
    j->attempts = r->attempts;
    j->max_attempts = r->max_attempts;
    snprintf(j->worker, sizeof j->worker, "%s", r->worker);
    snprintf(j->created, sizeof j->created, "%s", r->created);
    snprintf(j->started, sizeof j->started, "%s", r->started);
    snprintf(j->finished, sizeof j->finished, "%s", r->finished);
    j->lease_left_s = r->lease_until ? r->lease_until - (int64_t)time(NULL) : 0;
    j->result = r->result;
    j->error = r->error;
}

typedef struct list_user {
    int (*fn)(const sw_job *j, void *user);
    void *user;
} list_user;

static int list_one(const sw__job_row *r, void *user)
{
    list_user *u = user;
    sw_job j;
    to_public(r, &j);
    return u->fn(&j, u->user);
}

int sw_job_list(sw_ctx *ctx, sw_catalog *cat, const char *state, int (*fn)(const sw_job *j, void *user), void *user)
{
    static const char *const states[] = {"queued", "running", "done", "failed"};
    int ok = !state;
    for (int i = 0; i < 4 && !ok; i++)
        ok = !strcmp(state, states[i]);
    if (!ok)
        return sw__err(ctx, SW_EARG, "job state '%s': queued, running, done or failed", state);
    list_user u = {fn, user};
    return sw__store_jobs(ctx, cat, state, list_one, &u);
}

/* ---- the worker ---- */

void sw_worker_opts_init(sw_worker_opts *o)
{
    memset(o, 0, sizeof *o);
    o->lease_s = 60;
}

/* The lease renewer: a thread with its own connection, renewing every
 * third of the lease until told to stop or the lease is lost. */
typedef struct renewer {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    sw_catalog *cat;  /* its own connection */
    sw_ctx *ctx;
    int64_t id, token;
    int lease_s, stop, lost;
} renewer;

static void *renew_loop(void *arg)
{
    renewer *r = arg;
    pthread_mutex_lock(&r->mu);
    while (!r->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += r->lease_s / 3 > 0 ? r->lease_s / 3 : 1;
        while (!r->stop && pthread_cond_timedwait(&r->cv, &r->mu, &until) != ETIMEDOUT)
            ;
        if (r->stop)
            break;
        pthread_mutex_unlock(&r->mu);
        int rc = sw__store_job_renew(r->ctx, r->cat, r->id, r->token, r->lease_s);
        pthread_mutex_lock(&r->mu);
        if (rc == SW_ECONFLICT) {
            r->lost = 1; /* the job is another worker's now: its completion will be refused */
            break;
        }
    }
    pthread_mutex_unlock(&r->mu);
    return NULL;
}

static void renew_stop(renewer *r)
{
    pthread_mutex_lock(&r->mu);
    r->stop = 1;
    pthread_cond_signal(&r->cv);
    pthread_mutex_unlock(&r->mu);
    pthread_join(r->thread, NULL);
}

/* Errors of the input itself are not cured by trying again. */
static int retryable(int rc)
{
    return !(rc == SW_EARG || rc == SW_EFORMAT || rc == SW_ENOOVERLAP || rc == SW_ENOTFOUND || rc == SW_EMISMATCH ||
             rc == SW_ENODATA);
}

static void default_name(char *buf, size_t n)
{
    char host[128] = "";
    gethostname(host, sizeof host - 1);
    const char *job = getenv("SLURM_ARRAY_JOB_ID"), *task = getenv("SLURM_ARRAY_TASK_ID");
    if (!job)
        job = getenv("SLURM_JOB_ID");
    if (job)
        snprintf(buf, n, "%s:%ld slurm %s%s%s", host, (long)getpid(), job, task ? "_" : "", task ? task : "");
    else
        snprintf(buf, n, "%s:%ld", host, (long)getpid());
}

/* One claimed job: ingest, analyse (which completes it). */
static int run_job(sw_ctx *ctx, sw_catalog *cat, const sw__job_row *job, const sw_worker_opts *o)
{
    sw_ingest_opts io;
    sw_ingest_opts_init(&io);
    cJSON *j = job->options[0] ? cJSON_Parse(job->options) : NULL;
    const cJSON *v;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "date")) && cJSON_IsString(v))
        io.date = v->valuestring;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "sensor")) && cJSON_IsString(v))
        io.sensor = v->valuestring;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "mask")) && cJSON_IsString(v))
        io.mask = v->valuestring;
    if ((v = cJSON_GetObjectItemCaseSensitive(j, "margin_m")) && cJSON_IsNumber(v))
        io.margin_m = v->valuedouble;
    sw_ingest_result res;
    int rc = sw_ingest_scene(ctx, cat, job->site, job->scene, &io, &res);
    cJSON_Delete(j);
    if (rc)
        return rc;
    char what[512];
    if (res.skipped)
        snprintf(what, sizeof what, "scene %lld (%s) was already ingested", (long long)res.scene_id, res.date);
    else
        snprintf(what, sizeof what, "scene %lld (%s)", (long long)res.scene_id, res.date);
    sw__store_set_job(cat, job->id, job->token, what);
    int64_t nobj = 0;
    rc = sw_site_analyze(ctx, cat, job->site, o->analyze, o->on_alert, o->user, &nobj);
    sw__store_set_job(cat, 0, 0, NULL);
    return rc;
}

int sw_worker_run(sw_ctx *ctx, sw_catalog *cat, const sw_worker_opts *opts, sw_worker_stats *stats)
{
    sw_worker_opts def;
    if (!opts) {
        sw_worker_opts_init(&def);
        opts = &def;
    }
    int lease = opts->lease_s > 0 ? opts->lease_s : 60;
    char name[256];
    if (opts->name)
        snprintf(name, sizeof name, "%s", opts->name);
    else
        default_name(name, sizeof name);
    int64_t ndone = 0, nfailed = 0;
    double claim_s = 0, busy_s = 0, commit0 = sw__store_commit_seconds(cat);
    renewer r;
    memset(&r, 0, sizeof r);
    r.ctx = sw_ctx_new();
    if (!r.ctx || !(r.cat = sw__store_reopen(r.ctx, cat))) {
        int rc = r.ctx ? sw__err(ctx, sw_ctx_errcode(r.ctx), "%s", sw_ctx_errmsg(r.ctx))
                       : sw__err(ctx, SW_ENOMEM, "out of memory");
        sw_ctx_free(r.ctx);
        return rc;
    }
    pthread_mutex_init(&r.mu, NULL);
    pthread_cond_init(&r.cv, NULL);
    double idle_since = sw__now();
    int rc = 0;
    while (!(opts->stop && *opts->stop) && !(opts->max_jobs > 0 && ndone + nfailed >= opts->max_jobs)) {
        sw__job_row job;
        double t0 = sw__now();
        int got = sw__store_job_claim(ctx, cat, name, lease, &job);
        double t1 = sw__now();
        if (got < 0) {
            rc = got; /* the catalog is gone: the worker stops, its jobs' leases lapse */
            break;
        }
        if (!got) {
            if (sw__now() - idle_since >= opts->idle_exit_s)
                break;
            usleep(200000);
            continue;
        }
        claim_s += t1 - t0;
        r.id = job.id;
        r.token = job.token;
        r.lease_s = lease;
        r.stop = r.lost = 0;
        int started = pthread_create(&r.thread, NULL, renew_loop, &r) == 0;
        int jrc = run_job(ctx, cat, &job, opts);
        if (started)
            renew_stop(&r);
        char msg[1024] = "";
        if (jrc) {
            snprintf(msg, sizeof msg, "%s", sw_ctx_errmsg(ctx));
            if (jrc != SW_ECONFLICT || !r.lost)
                sw__store_job_fail(ctx, cat, job.id, job.token, msg, retryable(jrc));
            nfailed++;
        } else {
            ndone++;
        }
        if (opts->on_job) {
            sw_job pj;
            to_public(&job, &pj);
            snprintf(pj.state, sizeof pj.state, "%s", jrc ? (retryable(jrc) && job.attempts < job.max_attempts ? "queued" : "failed") : "done");
            opts->on_job(&pj, jrc, msg, opts->user);
        }
        sw__job_row_clear(&job);
        idle_since = sw__now();
        busy_s += idle_since - t0;
    }
    pthread_mutex_destroy(&r.mu);
    pthread_cond_destroy(&r.cv);
    sw_catalog_close(r.cat);
    sw_ctx_free(r.ctx);
    if (stats) {
        stats->done = ndone;
        stats->failed = nfailed;
        stats->claim_s = claim_s;
        stats->commit_s = sw__store_commit_seconds(cat) - commit0;
        stats->busy_s = busy_s;
    }
    return rc;
}
