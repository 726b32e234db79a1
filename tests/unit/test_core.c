/* test_core.c: the JSON writer, the error context and the worker pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_ctx),
        cmocka_unit_test(test_pool_order),
        cmocka_unit_test(test_pool_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
