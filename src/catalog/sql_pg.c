/*
 * sql_pg.c: the catalog on PostgreSQL with PostGIS, through libpq:
 * statements with their parameters sent apart from the text (never pasted
 * in), transactions, the schema version in the meta table. A connection
 * string is a `postgresql://` (or `postgres://`) URL, or `postgres:NAME`
 * for a service of pg_service.conf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "catalog_int.h"

typedef struct pg_stmt {
    char *sql;          /* with $1, $2 ... */
    PGresult *res;
    int row, nrows;     /* the row a step is on */
    int ran;
} pg_stmt;

static int pg_err(sw_ctx *ctx, sw_catalog *cat, const PGresult *res, const char *what)
{
    const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(cat->pg);
    const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    char one[512];
    snprintf(one, sizeof one, "%s", msg && *msg ? msg : "no answer from the server");
    one[strcspn(one, "\n")] = '\0';
    if (state && !strcmp(state, "53200")) /* out_of_memory */
        return sw__err(ctx, SW_ENOMEM, "%s: %s: the server is out of memory (%s)", cat->path, what, one);
    return sw__err(ctx, SW_EIO, "%s: %s: %s", cat->path, what, one);
}

/* ?N -> $N outside quotes. */
static char *dollars(const char *sql)
{
    char *out = malloc(strlen(sql) + 1);
    if (!out)
        return NULL;
    char *o = out, quote = 0;
    for (const char *p = sql; *p; p++) {
        if (quote) {
            quote = *p == quote ? 0 : quote;
        } else if (*p == '\'' || *p == '"') {
            quote = *p;
        } else if (*p == '?' && p[1] >= '0' && p[1] <= '9') {
            *o++ = '$';
            continue;
        }
        *o++ = *p;
    }
    *o = '\0';
    return out;
}

static int pg_prepare(sw__stmt *st, const char *sql)
{
    pg_stmt *p = calloc(1, sizeof *p);
    if (!p || !(p->sql = dollars(sql))) {
        free(p);
        return sw__err(st->ctx, SW_ENOMEM, "out of memory");
    }
    st->impl = p;
    return 0;
}

static void pg_reset(sw__stmt *st)
{
    pg_stmt *p = st->impl;
    PQclear(p->res);
    p->res = NULL;
    p->ran = 0;
    p->row = -1;
    p->nrows = 0;
}

static int pg_step(sw__stmt *st)
{
    pg_stmt *p = st->impl;
    if (!p->ran) {
        const char *values[SW_SQL_MAXPARAM];
        for (int i = 0; i < st->nparam; i++) {
            const sw__sql_value *v = &st->param[i];
            values[i] = v->kind == 3 ? v->s : v->kind ? v->num : NULL;
        }
        p->res = PQexecParams(st->cat->pg, p->sql, st->nparam, NULL, values, NULL, NULL, 0);
        p->ran = 1;
        p->row = -1;
        ExecStatusType s = PQresultStatus(p->res);
        if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK) {
            int rc = pg_err(st->ctx, st->cat, p->res, st->what);
            PQclear(p->res);
            p->res = NULL;
            return rc;
        }
        p->nrows = s == PGRES_TUPLES_OK ? PQntuples(p->res) : 0;
        const char *n = PQcmdTuples(p->res);
        st->changes = n && *n ? strtoll(n, NULL, 10) : 0;
    }
    if (p->row + 1 < p->nrows) {
        p->row++;
        return 1;
    }
    p->row = p->nrows;
    return 0;
}

static void pg_finalize(sw__stmt *st)
{
    pg_stmt *p = st->impl;
    if (p) {
        PQclear(p->res);
        free(p->sql);
    }
    free(p);
    st->impl = NULL;
}

static int pg_is_null(sw__stmt *st, int col)
{
    pg_stmt *p = st->impl;
    return !p->res || p->row < 0 || p->row >= p->nrows || PQgetisnull(p->res, p->row, col);
}

static const char *pg_text(sw__stmt *st, int col)
{
    pg_stmt *p = st->impl;
    return pg_is_null(st, col) ? NULL : PQgetvalue(p->res, p->row, col);
}

static int64_t pgs_int64(sw__stmt *st, int col)
{
    const char *t = pg_text(st, col);
    return t ? strtoll(t, NULL, 10) : 0;
}

static double pgs_real(sw__stmt *st, int col)
{
    const char *t = pg_text(st, col);
    return t ? strtod(t, NULL) : 0.0;
}

static int pg_exec(sw_ctx *ctx, sw_catalog *cat, const char *sql, const char *what)
{
    PGresult *r = PQexec(cat->pg, sql);
    ExecStatusType s = PQresultStatus(r);
    int rc = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK ? 0 : pg_err(ctx, cat, r, what);
    PQclear(r);
    return rc;
}

static int pg_begin(sw_ctx *ctx, sw_catalog *cat)
{
    return pg_exec(ctx, cat, "BEGIN", "cannot start a transaction");
}

static void pg_rollback(sw_catalog *cat)
{
    PQclear(PQexec(cat->pg, "ROLLBACK"));
}

static void pg_close(sw_catalog *cat)
{
    if (cat->pg)
        PQfinish(cat->pg);
    cat->pg = NULL;
}

static const char *pg_version(sw_catalog *cat)
{
    static char v[96];
    int server = cat && cat->pg ? PQserverVersion(cat->pg) : 0;
    if (server)
        snprintf(v, sizeof v, "PostgreSQL %d.%d (libpq %d)", server / 10000, server % 10000, PQlibVersion());
    else
        snprintf(v, sizeof v, "libpq %d", PQlibVersion());
    return v;
}

const sw__sql_driver sw__sql_postgres = {
    "PostgreSQL", pg_prepare, pg_step, pg_reset, pg_finalize, pg_is_null, pg_text, pgs_int64, pgs_real,
    pg_exec, pg_begin, pg_rollback, pg_close, pg_version,
};

static void quiet(void *user, const char *message)
{
    (void)user;
    (void)message; /* NOTICEs ("extension already exists") are not the user's concern */
}

/* One value of a one-row query, or NULL (res kept in *keep). */
static const char *one_value(sw_catalog *cat, const char *sql, PGresult **keep)
{
    *keep = PQexec(cat->pg, sql);
    if (PQresultStatus(*keep) != PGRES_TUPLES_OK || PQntuples(*keep) < 1 || PQgetisnull(*keep, 0, 0))
        return NULL;
    return PQgetvalue(*keep, 0, 0);
}

int sw__pg_schema(sw_ctx *ctx, sw_catalog *cat, int *version)
{
    PGresult *r;
    *version = 0;
    const char *t = one_value(cat, "SELECT to_regclass('meta')::text", &r);
    int rc = 0;
    if (PQresultStatus(r) != PGRES_TUPLES_OK)
        rc = pg_err(ctx, cat, r, "cannot read");
    PQclear(r);
    if (rc)
        return rc;
    if (!t) {
        /* No meta table: an empty database (PostGIS's own table aside) is
         * a new catalog; one holding tables is someone else's. */
        t = one_value(cat, "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() "
                           "AND tablename <> 'spatial_ref_sys'", &r);
        int others = t ? atoi(t) : -1;
        PQclear(r);
        if (others != 0)
            return others < 0 ? pg_err(ctx, cat, NULL, "cannot read")
                              : sw__err(ctx, SW_EFORMAT, "%s: a PostgreSQL database, but not a sitewatch catalog",
                                        cat->path);
        return 0;
    }
    t = one_value(cat, "SELECT value FROM meta WHERE key = 'format'", &r);
    int ok = t && !strcmp(t, "sitewatch-catalog");
    PQclear(r);
    if (!ok)
        return sw__err(ctx, SW_EFORMAT, "%s: a PostgreSQL database, but not a sitewatch catalog", cat->path);
    t = one_value(cat, "SELECT value FROM meta WHERE key = 'schema_version'", &r);
    *version = t ? atoi(t) : 0;
    PQclear(r);
    if (*version < 1)
        return sw__err(ctx, SW_EFORMAT, "%s: a sitewatch catalog with no schema version", cat->path);
    return 0;
}

int sw__pg_open(sw_ctx *ctx, sw_catalog *cat, int create, int *version)
{
    (void)create; /* a database is made by its administrator; an empty one is a new catalog */
    const char *c = cat->conninfo;
    char service[512];
    if (!strncmp(c, "postgres:", 9) && strncmp(c, "postgres://", 11)) {
        snprintf(service, sizeof service, "service=%s", c + 9);
        c = service;
    }
    cat->pg = PQconnectdb(c);
    if (!cat->pg)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    if (PQstatus(cat->pg) != CONNECTION_OK) {
        char one[512];
        snprintf(one, sizeof one, "%s", PQerrorMessage(cat->pg));
        one[strcspn(one, "\n")] = '\0';
        return sw__err(ctx, SW_EIO, "%s: cannot connect: %s", cat->path, one);
    }
    PQsetNoticeProcessor(cat->pg, quiet, NULL);
    int rc = pg_exec(ctx, cat, "SET client_min_messages = warning; SET TIME ZONE 'UTC'", "cannot configure");
    return rc ? rc : sw__pg_schema(ctx, cat, version);
}
