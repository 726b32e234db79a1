/*
 * sql.c: the statement calls every driver shares (parameters, column
 * conversions); the rest goes to the catalog's driver.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_int.h"

int sw__sql_pg(const sw_catalog *cat)
{
    return cat->driver == &sw__sql_postgres;
}

int sw__sql_prepare(sw_ctx *ctx, sw_catalog *cat, sw__stmt **out, const char *sql, const char *what)
{
    sw__stmt *st = calloc(1, sizeof *st);
    *out = NULL;
    if (!st)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    st->ctx = ctx;
    st->cat = cat;
    st->what = what;
    int rc = cat->driver->prepare(st, sql);
    if (rc) {
        free(st);
        return rc;
    }
    *out = st;
    return 0;
}

static sw__sql_value *slot(sw__stmt *st, int i)
{
    if (i < 1 || i > SW_SQL_MAXPARAM)
        return NULL;
    sw__sql_value *v = &st->param[i - 1];
    free(v->s);
    memset(v, 0, sizeof *v);
    if (i > st->nparam)
        st->nparam = i;
    return v;
}

void sw__sql_bind_int64(sw__stmt *st, int i, int64_t x)
{
    sw__sql_value *v = slot(st, i);
    if (v) {
        v->kind = 1;
        v->i = x;
        snprintf(v->num, sizeof v->num, "%lld", (long long)x);
    }
}

void sw__sql_bind_double(sw__stmt *st, int i, double x)
{
    sw__sql_value *v = slot(st, i);
    if (v) {
        v->kind = 2;
        v->d = x;
        snprintf(v->num, sizeof v->num, "%.17g", x);
    }
}

void sw__sql_bind_text(sw__stmt *st, int i, const char *x)
{
    sw__sql_value *v = slot(st, i);
    if (v && x) {
        v->s = strdup(x);
        v->kind = v->s ? 3 : 0; /* out of memory binds null: the statement then fails on NOT NULL */
    }
}

void sw__sql_bind_null(sw__stmt *st, int i)
{
    slot(st, i);
}

void sw__sql_clear(sw__stmt *st)
{
    for (int i = 1; i <= st->nparam; i++)
        slot(st, i);
}

int sw__sql_step(sw__stmt *st)
{
    return st->cat->driver->step(st);
}

void sw__sql_reset(sw__stmt *st)
{
    st->cat->driver->reset(st);
}

void sw__sql_finalize(sw__stmt *st)
{
    if (!st)
        return;
    st->cat->driver->finalize(st);
    sw__sql_clear(st);
    free(st);
}

int sw__sql_is_null(sw__stmt *st, int col)
{
    return st->cat->driver->is_null(st, col);
}

const char *sw__sql_text(sw__stmt *st, int col)
{
    const char *t = st->cat->driver->text(st, col);
    return t ? t : "";
}

int64_t sw__sql_int64(sw__stmt *st, int col)
{
    return st->cat->driver->int64(st, col);
}

double sw__sql_double(sw__stmt *st, int col)
{
    return st->cat->driver->real(st, col);
}

int sw__sql_run(sw__stmt *st)
{
    int r;
    while ((r = sw__sql_step(st)) == 1)
        ;
    return r;
}
