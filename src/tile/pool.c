/*
 * pool.c: the worker pool behind every pass over the pixels.
 *
 * Workers take windows in increasing order, compute them in parallel
 * (generate), then wait for their turn and hand them to the sink one at a
 * time, in window order. The sink is where strips are written and where
 * order-dependent sums are made, so results do not depend on how many
 * threads ran or which finished first. At most `threads` windows are in
 * flight, which bounds memory.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../sw_int.h"

typedef struct pool {
    const sw__pool_job *job;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int64_t next_job;  /* next window to hand out */
    int64_t next_sink; /* next window the sink takes */
    int failed;
    sw_ctx err;        /* the first failure */
} pool;

static void pool_fail(pool *p, const sw_ctx *wctx)
{
    pthread_mutex_lock(&p->mu);
    if (!p->failed) {
        p->failed = 1;
        sw__err_copy(&p->err, wctx);
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void *pool_worker(void *arg)
{
    pool *p = arg;
    const sw__pool_job *job = p->job;
    sw_ctx wctx = {0};
    void *state = job->start(job->user, &wctx);
    if (!state) {
        if (!wctx.code)
            sw__err(&wctx, SW_ENOMEM, "out of memory starting a worker");
        pool_fail(p, &wctx);
        return NULL;
    }
    for (;;) {
        pthread_mutex_lock(&p->mu);
        if (p->failed || p->next_job >= job->njobs) {
            pthread_mutex_unlock(&p->mu);
            break;
        }
        int64_t i = p->next_job++;
        pthread_mutex_unlock(&p->mu);

        int rc = job->generate(state, i, &wctx);
        if (rc != 0) {
            pool_fail(p, &wctx);
            break;
        }
        pthread_mutex_lock(&p->mu);
        while (!p->failed && p->next_sink != i)
            pthread_cond_wait(&p->cv, &p->mu);
        int failed = p->failed;
        pthread_mutex_unlock(&p->mu);
        if (failed)
            break;
        /* Our turn: no other worker is in the sink until next_sink moves. */
        if (job->sink)
            rc = job->sink(state, i, &wctx);
        if (rc == 0 && job->progress) {
            double f = (double)(i + 1) / (double)job->njobs;
            double done = job->progress_from + f * (job->progress_to - job->progress_from);
            if (!job->progress(done, job->progress_msg, job->progress_user))
                rc = sw__err(&wctx, SW_ECANCEL, "cancelled");
        }
        if (rc != 0) {
            pool_fail(p, &wctx);
            break;
        }
        pthread_mutex_lock(&p->mu);
        p->next_sink++;
        pthread_cond_broadcast(&p->cv);
        pthread_mutex_unlock(&p->mu);
    }
    job->stop(state);
    return NULL;
}

int sw__pool_run(sw_ctx *ctx, const sw__pool_job *job)
{
    if (job->njobs <= 0)
        return 0;
    pool p;
    memset(&p, 0, sizeof p);
    p.job = job;
    pthread_mutex_init(&p.mu, NULL);
    pthread_cond_init(&p.cv, NULL);
    int n = job->threads > 0 ? job->threads : sw__ncores();
    if ((int64_t)n > job->njobs)
        n = (int)job->njobs;
    pthread_t *tids = calloc((size_t)n, sizeof *tids);
    int started = 0;
    if (tids) {
        /* The calling thread is worker 0. */
        for (int t = 1; t < n; t++) {
            if (pthread_create(&tids[t], NULL, pool_worker, &p) != 0)
                break;
            started++;
        }
        pool_worker(&p);
        for (int t = 1; t <= started; t++)
            pthread_join(tids[t], NULL);
    } else {
        sw__err(&p.err, SW_ENOMEM, "out of memory starting workers");
        p.failed = 1;
    }
    free(tids);
    pthread_mutex_destroy(&p.mu);
    pthread_cond_destroy(&p.cv);
    if (p.failed) {
        sw__err_copy(ctx, &p.err);
        return p.err.code ? p.err.code : SW_EINTERNAL;
    }
    return 0;
}
