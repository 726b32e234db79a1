/* test_core.c: the JSON writer, the error context, the worker pool, the
 * core count, and temporary files that follow nothing planted for them. */
#define _GNU_SOURCE /* sched_setaffinity */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sw_int.h"

static void test_json(void **state)
{
    (void)state;
    sw__buf b = {0};
    sw__json j;
    sw__json_init(&j, &b);
    sw__json_obj(&j);
    sw__json_key(&j, "a");
    sw__json_int(&j, -3);
    sw__json_key(&j, "s\"q");
    sw__json_str(&j, "line\nnext\t\x01");
    sw__json_key(&j, "arr");
    sw__json_arr(&j);
    sw__json_num(&j, 0.5);
    sw__json_num(&j, 1.0 / 0.0);
    sw__json_bool(&j, 1);
    sw__json_str(&j, NULL);
    sw__json_end(&j, ']');
    sw__json_key(&j, "o");
    sw__json_obj(&j);
    sw__json_end(&j, '}');
    sw__json_end(&j, '}');
    assert_string_equal(b.data,
                        "{\"a\":-3,\"s\\\"q\":\"line\\nnext\\t\\u0001\",\"arr\":[0.5,null,true,null],\"o\":{}}");
    sw__buf_free(&b);
}

static void test_ctx(void **state)
{
    (void)state;
    sw_ctx *c = sw_ctx_new();
    assert_int_equal(sw__err(c, SW_EIO, "%s: two\nlines", "f.tif"), SW_EIO);
    assert_string_equal(sw_ctx_errmsg(c), "f.tif: two lines");
    assert_int_equal(sw_ctx_errcode(c), SW_EIO);
    sw_ctx_clear(c);
    assert_string_equal(sw_ctx_errmsg(c), "");
    sw_ctx_free(c);
    sw_ctx_free(NULL);
}

/* The pool: generate in any order, sink strictly in order. */
typedef struct order {
    int64_t seen[200];
    int n;
    int fail_at;
} order;

static void *p_start(void *user, sw_ctx *w)
{
    (void)w;
    return user;
}
static void p_stop(void *s) { (void)s; }

static int p_gen(void *s, int64_t i, sw_ctx *w)
{
    order *o = s;
    struct timespec ts = {0, (long)((i * 7919) % 5) * 200000L};
    nanosleep(&ts, NULL);
    if (i == o->fail_at)
        return sw__err(w, SW_EIO, "window %lld failed", (long long)i);
    return 0;
}

static int p_sink(void *s, int64_t i, sw_ctx *w)
{
    (void)w;
    order *o = s;
    o->seen[o->n++] = i;
    return 0;
}

static void test_pool_order(void **state)
{
    (void)state;
    for (int threads = 1; threads <= 4; threads++) {
        order o = {.n = 0, .fail_at = -1};
        sw__pool_job job = {.njobs = 200, .threads = threads, .user = &o, .start = p_start,
                            .generate = p_gen, .sink = p_sink, .stop = p_stop};
        sw_ctx *c = sw_ctx_new();
        assert_int_equal(sw__pool_run(c, &job), 0);
        assert_int_equal(o.n, 200);
        for (int i = 0; i < 200; i++)
            assert_int_equal(o.seen[i], i);
        sw_ctx_free(c);
    }
}

static void test_pool_error(void **state)
{
    (void)state;
    order o = {.n = 0, .fail_at = 57};
    sw__pool_job job = {.njobs = 200, .threads = 3, .user = &o, .start = p_start,
                        .generate = p_gen, .sink = p_sink, .stop = p_stop};
    sw_ctx *c = sw_ctx_new();
    assert_int_equal(sw__pool_run(c, &job), SW_EIO);
    assert_string_equal(sw_ctx_errmsg(c), "window 57 failed");
    assert_true(o.n <= 57); /* nothing after the failure reached the sink */
    sw_ctx_free(c);
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_tmp_files_follow_no_symlink(void **state)
{
    (void)state;
    char dir[] = "/tmp/sw-test-core-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char victim[128], target[128], planted[160];
    snprintf(victim, sizeof victim, "%s/victim.txt", dir);
    snprintf(target, sizeof target, "%s/report.html", dir);
    spit(victim, "mine\n");
    /* the name the writer used to pick: TARGET.tmp-PID, a symlink to the
     * victim planted by whoever can write the folder */
    snprintf(planted, sizeof planted, "%s.tmp-%ld", target, (long)getpid());
    assert_int_equal(symlink(victim, planted), 0);
    sw_ctx *c = sw_ctx_new();
    assert_int_equal(sw__file_write_atomic(c, target, "report\n", 7), 0);
    char buf[32] = {0};
    FILE *f = fopen(victim, "r");
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "mine\n");
    f = fopen(target, "r");
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "report\n");
    struct stat st;
    assert_int_equal(stat(target, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644);
    /* a killed run's private folder goes; a running one's stays */
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    waitpid(child, NULL, 0);
    char dead[160], live[160], inside[200];
    snprintf(dead, sizeof dead, "%s/.sw-tmp-%ld-abcdef", dir, (long)child);
    snprintf(live, sizeof live, "%s/.sw-tmp-%ld-ghijkl", dir, (long)getpid());
    assert_int_equal(mkdir(dead, 0700), 0);
    assert_int_equal(mkdir(live, 0700), 0);
    snprintf(inside, sizeof inside, "%s/score.tif", dead);
    spit(inside, "half\n");
    sw__tmpdir_clean(dir);
    assert_int_not_equal(stat(dead, &st), 0);
    assert_int_equal(stat(live, &st), 0);
    /* a fresh one is private */
    char *t = sw__tmpdir_make(c, dir);
    assert_non_null(t);
    assert_int_equal(stat(t, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    sw__tmpdir_remove(t);
    assert_int_not_equal(stat(t, &st), 0);
    free(t);
    sw_ctx_free(c);
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* MGRS from UTM, against references (US Army/NGA examples). */
static void test_mgrs(void **state)
{
    (void)state;
    char out[32];
    /* the Washington Monument: 18S UJ 23487 06483 (UTM 18N 323487 4306483) */
    assert_int_equal(sw__mgrs(18, 38.8895, 323487.0, 4306483.0, 5, out, sizeof out), 0);
    assert_string_equal(out, "18SUJ2348706483");
    assert_int_equal(sw__mgrs(18, 38.8895, 323487.0, 4306483.0, 0, out, sizeof out), 0);
    assert_string_equal(out, "18SUJ");
    /* an odd zone's rows start at A, an even zone's at F: 31U DQ 48251 11932
     * (the Eiffel Tower, UTM 31N 448251 5411932) */
    assert_int_equal(sw__mgrs(31, 48.8583, 448251.0, 5411932.0, 5, out, sizeof out), 0);
    assert_string_equal(out, "31UDQ4825111932");
    /* outside UTM's range */
    assert_int_equal(sw__mgrs(18, 85.0, 323487.0, 4306483.0, 5, out, sizeof out), -1);
    assert_int_equal(sw__mgrs(0, 38.0, 323487.0, 4306483.0, 5, out, sizeof out), -1);
}

/* The core count follows the process's CPU affinity (as taskset or a Slurm
 * job's cpuset sets it), not the machine's. */
static void test_ncores_follows_affinity(void **state)
{
    (void)state;
    cpu_set_t all, one;
    assert_int_equal(sched_getaffinity(0, sizeof all, &all), 0);
    assert_int_equal(sw__ncores(), CPU_COUNT(&all));
    int first = 0;
    while (!CPU_ISSET(first, &all))
        first++;
    CPU_ZERO(&one);
    CPU_SET(first, &one);
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    int n = sw__ncores();
    assert_int_equal(sched_setaffinity(0, sizeof all, &all), 0);
    assert_int_equal(n, 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_ctx),
        cmocka_unit_test(test_pool_order),
        cmocka_unit_test(test_pool_error),
        cmocka_unit_test(test_tmp_files_follow_no_symlink),
        cmocka_unit_test(test_mgrs),
        cmocka_unit_test(test_ncores_follows_affinity),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
