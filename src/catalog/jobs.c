/*
 * jobs.c: the job queue in the catalog. A job is one scene to ingest into
 * one site (and the site's analysis after it). Workers claim jobs under a
 * lease they renew; a job whose worker died is claimed again once its
 * lease lapses, with a new token, so the late worker's results are
 * refused (the job's completion is part of its analysis' transaction,
 * objects.c). Alerts stay exactly once because an analysis raises one only
 * for an object that has none.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog_int.h"

void sw__job_row_clear(sw__job_row *j)
{
    free(j->scene);
    free(j->options);
    free(j->result);
    free(j->error);
    memset(j, 0, sizeof *j);
}

void sw__store_set_job(sw_catalog *cat, int64_t id, int64_t token, const char *result)
{
    cat->job = id;
    cat->job_token = token;
    snprintf(cat->job_result, sizeof cat->job_result, "%s", result ? result : "");
}

double sw__store_commit_seconds(const sw_catalog *cat)
{
    return cat->commit_s;
}

sw_catalog *sw__store_reopen(sw_ctx *ctx, const sw_catalog *cat)
{
    return sw_catalog_open(ctx, cat->conninfo, 0);
}

int sw__store_job_enqueue(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, const char *scene, const char *options,
                          int max_attempts, int64_t *id, int *added)
{
    char now[32];
    sw__db_now(now);
    *added = 0;
    *id = 0;
    sw__stmt *st = NULL;
    int rc = sw__db_begin(ctx, cat);
    if (rc == 0)
        rc = sw__sql_prepare(ctx, cat, &st,
                             "INSERT INTO jobs(site_id, scene, options, max_attempts, created_at) "
                             "VALUES(?1, ?2, ?3, ?4, ?5) "
                             "ON CONFLICT(site_id, scene) WHERE state IN ('queued', 'running') DO NOTHING RETURNING id",
                             "cannot queue the job");
    if (rc == 0) {
        sw__sql_bind_int64(st, 1, site_id);
        sw__sql_bind_text(st, 2, scene);
        sw__sql_bind_text(st, 3, options ? options : "");
        sw__sql_bind_int64(st, 4, max_attempts > 0 ? max_attempts : 3);
        sw__sql_bind_text(st, 5, now);
        int r = sw__sql_step(st);
        if (r == 1) {
            *added = 1;
            *id = sw__sql_int64(st, 0);
            r = sw__sql_run(st);
        }
        rc = r < 0 ? r : 0;
    }
    sw__sql_finalize(st);
    return sw__db_end(ctx, cat, rc);
}

static char *dup_or_null(sw__stmt *st, int col)
{
    return sw__sql_is_null(st, col) ? NULL : strdup(sw__sql_text(st, col));
}

static const char *const job_columns =
    "j.id, j.site_id, s.name, j.scene, j.options, j.state, j.attempts, j.max_attempts, j.token, "
    "coalesce(j.worker, ''), coalesce(j.lease_until, 0), j.created_at, coalesce(j.started_at, ''), "
    "coalesce(j.finished_at, ''), j.result, j.error";

static int job_from_row(sw_ctx *ctx, sw__stmt *st, sw__job_row *j)
{
    memset(j, 0, sizeof *j);
    j->id = sw__sql_int64(st, 0);
    j->site_id = sw__sql_int64(st, 1);
    snprintf(j->site, sizeof j->site, "%s", sw__sql_text(st, 2));
    j->scene = dup_or_null(st, 3);
    j->options = dup_or_null(st, 4);
    snprintf(j->state, sizeof j->state, "%s", sw__sql_text(st, 5));
    j->attempts = (int)sw__sql_int64(st, 6);
    j->max_attempts = (int)sw__sql_int64(st, 7);
    j->token = sw__sql_int64(st, 8);
    snprintf(j->worker, sizeof j->worker, "%s", sw__sql_text(st, 9));
    j->lease_until = sw__sql_int64(st, 10);
    snprintf(j->created, sizeof j->created, "%s", sw__sql_text(st, 11));
    snprintf(j->started, sizeof j->started, "%s", sw__sql_text(st, 12));
    snprintf(j->finished, sizeof j->finished, "%s", sw__sql_text(st, 13));
    j->result = dup_or_null(st, 14);
    j->error = dup_or_null(st, 15);
    if (!j->scene || !j->options || (!sw__sql_is_null(st, 14) && !j->result) || (!sw__sql_is_null(st, 15) && !j->error))
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    return 0;
}

int sw__store_job_claim(sw_ctx *ctx, sw_catalog *cat, const char *worker, int lease_s, sw__job_row *job)
{
    char now[32], sql[1024];
    sw__db_now(now);
    int64_t t = (int64_t)time(NULL);
    memset(job, 0, sizeof *job);
    sw__stmt *st = NULL;
    int rc = sw__db_begin(ctx, cat), found = 0;
    /* Jobs whose workers died as often as they may be tried have failed. */
    if (rc == 0 && (rc = sw__sql_prepare(ctx, cat, &st,
                                         "UPDATE jobs SET state = 'failed', finished_at = ?2, lease_until = NULL, "
                                         "error = 'its worker was lost ' || attempts || ' times (killed, or its node "
                                         "failed) before it finished' "
                                         "WHERE state = 'running' AND lease_until < ?1 AND attempts >= max_attempts",
                                         "cannot claim a job")) == 0) {
        sw__sql_bind_int64(st, 1, t);
        sw__sql_bind_text(st, 2, now);
        rc = sw__sql_run(st);
    }
    sw__sql_finalize(st);
    st = NULL;
    /* The oldest job free to take: waiting, or running on a lapsed lease;
     * one of a site another worker is analysing waits its turn. */
    snprintf(sql, sizeof sql,
             "SELECT j.id FROM jobs j WHERE (j.state = 'queued' OR (j.state = 'running' AND j.lease_until < ?1)) "
             "AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.site_id = j.site_id AND r.state = 'running' "
             "AND r.lease_until >= ?1 AND r.id <> j.id) ORDER BY j.id LIMIT 1%s",
             sw__sql_pg(cat) ? " FOR UPDATE SKIP LOCKED" : "");
    int64_t id = 0;
    if (rc == 0 && (rc = sw__sql_prepare(ctx, cat, &st, sql, "cannot claim a job")) == 0) {
        sw__sql_bind_int64(st, 1, t);
        int r = sw__sql_step(st);
        if (r == 1) {
            found = 1;
            id = sw__sql_int64(st, 0);
        }
        rc = r < 0 ? r : 0;
    }
    sw__sql_finalize(st);
    st = NULL;
    if (rc == 0 && found &&
        (rc = sw__sql_prepare(ctx, cat, &st,
                              "UPDATE jobs SET state = 'running', worker = ?2, token = token + 1, "
                              "attempts = attempts + 1, lease_until = ?3, started_at = ?4, error = NULL WHERE id = ?1",
                              "cannot claim a job")) == 0) {
        sw__sql_bind_int64(st, 1, id);
        sw__sql_bind_text(st, 2, worker);
        sw__sql_bind_int64(st, 3, t + lease_s);
        sw__sql_bind_text(st, 4, now);
        rc = sw__sql_run(st);
    }
    sw__sql_finalize(st);
    st = NULL;
    if (rc == 0 && found) {
        snprintf(sql, sizeof sql, "SELECT %s FROM jobs j JOIN sites s ON s.id = j.site_id WHERE j.id = ?1",
                 job_columns);
        if ((rc = sw__sql_prepare(ctx, cat, &st, sql, "cannot claim a job")) == 0) {
            sw__sql_bind_int64(st, 1, id);
            int r = sw__sql_step(st);
            rc = r == 1 ? job_from_row(ctx, st, job) : r < 0 ? r : sw__err(ctx, SW_EINTERNAL, "a claimed job vanished");
        }
        sw__sql_finalize(st);
    }
    rc = sw__db_end(ctx, cat, rc);
    if (rc) {
        sw__job_row_clear(job);
        return rc;
    }
    return found;
}

int sw__store_job_renew(sw_ctx *ctx, sw_catalog *cat, int64_t id, int64_t token, int lease_s)
{
    sw__stmt *st = NULL;
    int rc = sw__db_begin(ctx, cat);
    if (rc == 0)
        rc = sw__sql_prepare(ctx, cat, &st,
                             "UPDATE jobs SET lease_until = ?3 WHERE id = ?1 AND token = ?2 AND state = 'running'",
                             "cannot renew the lease");
    if (rc == 0) {
        sw__sql_bind_int64(st, 1, id);
        sw__sql_bind_int64(st, 2, token);
        sw__sql_bind_int64(st, 3, (int64_t)time(NULL) + lease_s);
        rc = sw__sql_run(st);
        if (rc == 0 && st->changes == 0)
            rc = sw__err(ctx, SW_ECONFLICT, "%s: job %lld is no longer this worker's", cat->path, (long long)id);
    }
    sw__sql_finalize(st);
    return sw__db_end(ctx, cat, rc);
}

int sw__store_job_fail(sw_ctx *ctx, sw_catalog *cat, int64_t id, int64_t token, const char *error, int retry)
{
    char now[32];
    sw__db_now(now);
    sw__stmt *st = NULL;
    int rc = sw__db_begin(ctx, cat);
    if (rc == 0)
        rc = sw__sql_prepare(ctx, cat, &st,
                             "UPDATE jobs SET state = CASE WHEN ?4 = 1 AND attempts < max_attempts THEN 'queued' "
                             "ELSE 'failed' END, error = ?3, lease_until = NULL, "
                             "finished_at = CASE WHEN ?4 = 1 AND attempts < max_attempts THEN NULL ELSE ?5 END "
                             "WHERE id = ?1 AND token = ?2 AND state = 'running'",
                             "cannot record the job's failure");
    if (rc == 0) {
        sw__sql_bind_int64(st, 1, id);
        sw__sql_bind_int64(st, 2, token);
        sw__sql_bind_text(st, 3, error);
        sw__sql_bind_int64(st, 4, retry != 0);
        sw__sql_bind_text(st, 5, now);
        rc = sw__sql_run(st);
    }
    sw__sql_finalize(st);
    return sw__db_end(ctx, cat, rc);
}

int sw__store_jobs(sw_ctx *ctx, sw_catalog *cat, const char *state, int (*fn)(const sw__job_row *j, void *user),
                   void *user)
{
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT %s FROM jobs j JOIN sites s ON s.id = j.site_id WHERE (?1 = '' OR j.state = ?1) ORDER BY j.id",
             job_columns);
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st, sql, "cannot read jobs");
    if (rc)
        return rc;
    sw__sql_bind_text(st, 1, state ? state : "");
    int r;
    while ((r = sw__sql_step(st)) == 1) {
        sw__job_row j;
        rc = job_from_row(ctx, st, &j);
        int stop = rc == 0 ? fn(&j, user) : 1;
        sw__job_row_clear(&j);
        if (stop)
            break;
    }
    sw__sql_finalize(st);
    return rc ? rc : r < 0 ? r : 0;
}
