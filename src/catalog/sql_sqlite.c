/*
 * sql_sqlite.c: the catalog on SQLite, one file: statements, transactions
 * (BEGIN IMMEDIATE: one writer at a time, the others wait up to 30 s; WAL
 * lets readers go on), its schema version in PRAGMA user_version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "catalog_int.h"

typedef struct lite_stmt {
    sqlite3_stmt *st;
    int bound;   /* parameters given to SQLite since the last reset */
    int done;
} lite_stmt;

static int lite_err(sw_ctx *ctx, sw_catalog *cat, const char *what)
{
    int code = sqlite3_errcode(cat->db);
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        return sw__err(ctx, SW_EFORMAT, "%s: not a usable sitewatch catalog (%s)", cat->path, sqlite3_errmsg(cat->db));
    if (code == SQLITE_NOMEM)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    return sw__err(ctx, SW_EIO, "%s: %s: %s", cat->path, what, sqlite3_errmsg(cat->db));
}

static int lite_prepare(sw__stmt *st, const char *sql)
{
    lite_stmt *l = calloc(1, sizeof *l);
    if (!l)
        return sw__err(st->ctx, SW_ENOMEM, "out of memory");
    if (sqlite3_prepare_v2(st->cat->db, sql, -1, &l->st, NULL) != SQLITE_OK) {
        free(l);
        return lite_err(st->ctx, st->cat, st->what);
    }
    st->impl = l;
    return 0;
}

static int lite_step(sw__stmt *st)
{
    lite_stmt *l = st->impl;
    if (!l->bound) {
        int n = sqlite3_bind_parameter_count(l->st);
        sqlite3_clear_bindings(l->st);
        for (int i = 0; i < st->nparam && i < n; i++) {
            const sw__sql_value *v = &st->param[i];
            if (v->kind == 1)
                sqlite3_bind_int64(l->st, i + 1, v->i);
            else if (v->kind == 2)
                sqlite3_bind_double(l->st, i + 1, v->d);
            else if (v->kind == 3)
                sqlite3_bind_text(l->st, i + 1, v->s, -1, SQLITE_STATIC);
        }
        l->bound = 1;
    }
    if (l->done)
        return 0;
    int r = sqlite3_step(l->st);
    if (r == SQLITE_ROW)
        return 1;
    if (r == SQLITE_DONE) {
        l->done = 1;
        st->changes = sqlite3_changes(st->cat->db);
        return 0;
    }
    return lite_err(st->ctx, st->cat, st->what);
}

static void lite_reset(sw__stmt *st)
{
    lite_stmt *l = st->impl;
    sqlite3_reset(l->st);
    l->bound = 0;
    l->done = 0;
}

static void lite_finalize(sw__stmt *st)
{
    lite_stmt *l = st->impl;
    if (l)
        sqlite3_finalize(l->st);
    free(l);
    st->impl = NULL;
}

static int lite_is_null(sw__stmt *st, int col)
{
    return sqlite3_column_type(((lite_stmt *)st->impl)->st, col) == SQLITE_NULL;
}

static const char *lite_text(sw__stmt *st, int col)
{
    return (const char *)sqlite3_column_text(((lite_stmt *)st->impl)->st, col);
}

static int64_t lite_int64(sw__stmt *st, int col)
{
    return sqlite3_column_int64(((lite_stmt *)st->impl)->st, col);
}

static double lite_real(sw__stmt *st, int col)
{
    return sqlite3_column_double(((lite_stmt *)st->impl)->st, col);
}

static int lite_exec(sw_ctx *ctx, sw_catalog *cat, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(cat->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sqlite3_free(msg);
        return lite_err(ctx, cat, what);
    }
    return 0;
}

static int lite_begin(sw_ctx *ctx, sw_catalog *cat)
{
    return lite_exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
}

static void lite_rollback(sw_catalog *cat)
{
    sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
}

static void lite_close(sw_catalog *cat)
{
    if (cat->db)
        sqlite3_close_v2(cat->db);
    cat->db = NULL;
}

static const char *lite_version(sw_catalog *cat)
{
    (void)cat;
    static char v[64];
    if (!v[0])
        snprintf(v, sizeof v, "SQLite %s", sqlite3_libversion());
    return v;
}

const sw__sql_driver sw__sql_sqlite = {
    "SQLite", lite_prepare, lite_step, lite_reset, lite_finalize, lite_is_null, lite_text, lite_int64, lite_real,
    lite_exec, lite_begin, lite_rollback, lite_close, lite_version,
};

int sw__sqlite_schema(sw_ctx *ctx, sw_catalog *cat, int *version)
{
    sqlite3_stmt *st;
    *version = 0;
    if (sqlite3_prepare_v2(cat->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) != SQLITE_OK)
        return lite_err(ctx, cat, "cannot read");
    int rc = sqlite3_step(st);
    int tables = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return lite_err(ctx, cat, "cannot read");
    if (tables == 0)
        return 0;
    if (sqlite3_prepare_v2(cat->db, "SELECT value FROM meta WHERE key = 'format'", -1, &st, NULL) != SQLITE_OK)
        return sw__err(ctx, SW_EFORMAT, "%s: a SQLite database, but not a sitewatch catalog", cat->path);
    const unsigned char *format = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_text(st, 0) : NULL;
    int ok = format && strcmp((const char *)format, "sitewatch-catalog") == 0;
    sqlite3_finalize(st);
    if (!ok)
        return sw__err(ctx, SW_EFORMAT, "%s: a SQLite database, but not a sitewatch catalog", cat->path);
    if (sqlite3_prepare_v2(cat->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return lite_err(ctx, cat, "cannot read");
    if (sqlite3_step(st) == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (*version < 1)
        return sw__err(ctx, SW_EFORMAT, "%s: a sitewatch catalog with schema version %d, which no sitewatch writes",
                       cat->path, *version);
    return 0;
}

int sw__sqlite_open(sw_ctx *ctx, sw_catalog *cat, int create, int *version)
{
    struct stat sb;
    if (!create && stat(cat->path, &sb) != 0)
        return sw__err(ctx, SW_EIO, "%s: no catalog here (add a site first, or give --db)", cat->path);
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(cat->path, &cat->db, flags, NULL) != SQLITE_OK)
        return sw__err(ctx, SW_EIO, "%s: cannot open catalog: %s", cat->path,
                       cat->db ? sqlite3_errmsg(cat->db) : "out of memory");
    sqlite3_busy_timeout(cat->db, 30000);
    int rc = sw__sqlite_schema(ctx, cat, version);
    if (rc == 0 && *version <= sw__nmigrations)
        rc = lite_exec(ctx, cat, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;",
                       "cannot configure");
    return rc;
}
