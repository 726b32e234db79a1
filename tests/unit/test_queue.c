/* test_queue.c: the job queue's rules, on the catalog given as argv[1] (a
 * SQLite path, or a PostgreSQL URL under the `pg` label): a scene queued
 * twice is one job; claims are exclusive; a lapsed lease is claimed again
 * with a new token, and the late worker can neither renew nor complete
 * nor fail it; failures are retried while attempts remain, and a job whose
 * workers keep dying fails with the reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog/catalog_int.h"
#include "sitewatch/sitewatch.h"

static const char *db;
static char dir[64];

static int count_state(sw_catalog *cat, const char *state)
{
    sw_ctx *c = sw_ctx_new();
    sw__stmt *st;
    assert_int_equal(sw__sql_prepare(c, cat, &st, "SELECT count(*) FROM jobs WHERE state = ?1", "count"), 0);
    sw__sql_bind_text(st, 1, state);
    assert_int_equal(sw__sql_step(st), 1);
    int n = (int)sw__sql_int64(st, 0);
    sw__sql_finalize(st);
    sw_ctx_free(c);
    return n;
}

static int count_job(const sw_job *j, void *user)
{
    int *n = user;
    (*n)++;
    assert_non_null(j->error); /* each failed job says why */
    return 0;
}

/* Makes a claimed job's lease lapse, as a dead worker's does. */
static void lapse(sw_catalog *cat, int64_t id)
{
    sw_ctx *c = sw_ctx_new();
    assert_int_equal(sw__db_exec_id(c, cat, "UPDATE jobs SET lease_until = 1 WHERE id = ?1", id, "lapse"), 0);
    sw_ctx_free(c);
}

static void test_queue(void **state)
{
    (void)state;
    char aoi[128], scene[2][128];
    snprintf(aoi, sizeof aoi, "%s/aoi.geojson", dir);
    FILE *f = fopen(aoi, "w");
    fputs("{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Point\",\"coordinates\":[127.5,39.9]}}", f);
    fclose(f);
    for (int i = 0; i < 2; i++) {
        snprintf(scene[i], sizeof scene[i], "%s/scene%d.tif", dir, i);
        f = fopen(scene[i], "w");
        fputs("not read by this test", f);
        fclose(f);
    }
    sw_ctx *c = sw_ctx_new();
    sw_catalog *cat = sw_catalog_open(c, db, 1), *other = NULL;
    assert_non_null(cat);
    other = sw__store_reopen(c, cat); /* a second worker's connection */
    assert_non_null(other);
    assert_int_equal(sw_site_add(c, cat, "a", aoi, 200, 3, NULL), 0);
    assert_int_equal(sw_site_add(c, cat, "b", aoi, 300, 3, NULL), 0);
    int64_t id[3];
    int added;
    assert_int_equal(sw_job_enqueue(c, cat, "a", scene[0], NULL, 2, &id[0], &added), 0);
    assert_int_equal(added, 1);
    assert_int_equal(sw_job_enqueue(c, cat, "a", scene[0], NULL, 2, NULL, &added), 0);
    assert_int_equal(added, 0); /* already waiting */
    assert_int_equal(sw_job_enqueue(c, cat, "a", scene[1], NULL, 2, &id[1], &added), 0);
    assert_int_equal(sw_job_enqueue(c, cat, "b", scene[0], NULL, 2, &id[2], &added), 0);
    assert_int_equal(added, 1);
    assert_int_equal(sw_job_enqueue(c, cat, "nowhere", scene[0], NULL, 2, NULL, &added), SW_ENOTFOUND);
    assert_int_equal(count_state(cat, "queued"), 3);

    /* Two workers claim: the oldest job, and not another of its site while
     * it runs, but the other site's. */
    sw__job_row j1, j2, j3;
    assert_int_equal(sw__store_job_claim(c, cat, "w1", 60, &j1), 1);
    assert_int_equal(j1.id, id[0]);
    assert_int_equal(sw__store_job_claim(c, other, "w2", 60, &j2), 1);
    assert_int_equal(j2.id, id[2]);
    assert_string_equal(j2.site, "b");
    assert_int_equal(sw__store_job_claim(c, other, "w2", 60, &j3), 0); /* site a's other job waits for j1 */

    /* w1 dies: its lease lapses; w2 takes the job with a new token. */
    lapse(cat, j1.id);
    assert_int_equal(sw__store_job_claim(c, other, "w2", 60, &j3), 1);
    assert_int_equal(j3.id, j1.id);
    assert_true(j3.token > j1.token);
    assert_int_equal(j3.attempts, 2);
    /* the late w1 can neither renew, complete, nor fail it */
    assert_int_equal(sw__store_job_renew(c, cat, j1.id, j1.token, 60), SW_ECONFLICT);
    assert_int_equal(sw__store_job_fail(c, cat, j1.id, j1.token, "late", 1), 0);
    assert_int_equal(count_state(cat, "running"), 2);
    assert_int_equal(sw__store_job_renew(c, other, j3.id, j3.token, 60), 0);

    /* A retryable failure on the last attempt fails it, with the reason. */
    assert_int_equal(sw__store_job_fail(c, other, j3.id, j3.token, "disk full", 1), 0);
    assert_int_equal(count_state(cat, "failed"), 1);
    /* A first failure is tried again; a failure of the input is final. */
    assert_int_equal(sw__store_job_fail(c, other, j2.id, j2.token, "catalog went away", 1), 0);
    assert_int_equal(count_state(cat, "queued"), 2);
    sw__job_row j4;
    assert_int_equal(sw__store_job_claim(c, cat, "w1", 60, &j4), 1);
    assert_int_equal(j4.id, id[1]);
    assert_int_equal(sw__store_job_fail(c, cat, j4.id, j4.token, "not a raster", 0), 0);
    assert_int_equal(count_state(cat, "failed"), 2);

    /* A job whose workers keep dying fails once its attempts are spent. */
    sw__job_row j5, j6;
    assert_int_equal(sw__store_job_claim(c, cat, "w1", 60, &j5), 1);
    assert_int_equal(j5.id, id[2]);
    lapse(cat, j5.id);
    assert_int_equal(sw__store_job_claim(c, cat, "w1", 60, &j6), 0);
    assert_int_equal(count_state(cat, "failed"), 3);
    sw__job_row *rows[] = {&j1, &j2, &j3, &j4, &j5};
    for (int i = 0; i < 5; i++)
        sw__job_row_clear(rows[i]);
    int listed = 0;
    assert_int_equal(sw_job_list(c, cat, "failed", count_job, &listed), 0);
    assert_int_equal(listed, 3);
    assert_int_equal(sw_job_list(c, cat, "lost", count_job, &listed), SW_EARG);
    sw_catalog_close(other);
    sw_catalog_close(cat);
    sw_ctx_free(c);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/sw-test-queue-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    static char path[160];
    if (argc > 1 && argv[1][0]) {
        db = argv[1];
    } else {
        setup(NULL);
        snprintf(path, sizeof path, "%s/queue.db", dir);
        db = path;
    }
    if (argc > 2 && access(argv[2], F_OK) != 0) {
        printf("skipped: no test PostgreSQL server (%s)\n", argv[2]);
        return 77;
    }
    if (!dir[0] && setup(NULL) != 0)
        return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_queue)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    teardown(NULL);
    return rc;
}
