/*
 * sql.h: the one way the catalog's storage files speak SQL, whatever the
 * database: SQLite (a file; the default) or PostgreSQL with PostGIS (a
 * `postgresql://` URL or a `postgres:SERVICE` name). Each database is a
 * driver (sql_sqlite.c, sql_pg.c) behind these calls.
 *
 * Statements are written once, in the SQL both understand, with numbered
 * parameters ?1, ?2 ... (the PostgreSQL driver turns them into $1, $2 ...).
 * Where the two differ (geometry columns, row locks) a file picks with
 * sw__sql_pg(cat). New rows' ids come back with RETURNING, duplicates are
 * found with ON CONFLICT DO NOTHING: a failed statement aborts a
 * PostgreSQL transaction, so none is used as a test.
 */
#ifndef SW_SQL_H
#define SW_SQL_H

#include <stdint.h>

#include "store.h"

enum { SW_SQL_MAXPARAM = 16 };

typedef struct sw__sql_value {
    int kind;        /* 0 null, 1 integer, 2 real, 3 text */
    int64_t i;
    double d;
    char *s;         /* owned */
    char num[32];    /* integer or real as text (PostgreSQL) */
} sw__sql_value;

typedef struct sw__stmt {
    sw_ctx *ctx;
    sw_catalog *cat;
    const char *what;      /* for messages: "cannot read sites" */
    sw__sql_value param[SW_SQL_MAXPARAM];
    int nparam;
    int64_t changes;       /* rows the last finished statement changed */
    void *impl;            /* the driver's */
} sw__stmt;

typedef struct sw__sql_driver {
    const char *name;
    int (*prepare)(sw__stmt *st, const char *sql);
    int (*step)(sw__stmt *st);            /* 1 a row, 0 done, < 0 an error put in ctx */
    void (*reset)(sw__stmt *st);
    void (*finalize)(sw__stmt *st);
    int (*is_null)(sw__stmt *st, int col);
    const char *(*text)(sw__stmt *st, int col);   /* NULL for null */
    int64_t (*int64)(sw__stmt *st, int col);
    double (*real)(sw__stmt *st, int col);
    int (*exec)(sw_ctx *ctx, sw_catalog *cat, const char *sql, const char *what); /* statements, no results */
    int (*begin)(sw_ctx *ctx, sw_catalog *cat);   /* a write transaction */
    void (*rollback)(sw_catalog *cat);
    void (*close)(sw_catalog *cat);
    const char *(*version)(sw_catalog *cat);
} sw__sql_driver;

extern const sw__sql_driver sw__sql_sqlite, sw__sql_postgres;

/* Is the catalog on PostgreSQL? */
int sw__sql_pg(const sw_catalog *cat);

/* Prepares sql; what names the work for messages. 0 or an error in ctx. */
int sw__sql_prepare(sw_ctx *ctx, sw_catalog *cat, sw__stmt **st, const char *sql, const char *what);
void sw__sql_bind_int64(sw__stmt *st, int i, int64_t v);
void sw__sql_bind_double(sw__stmt *st, int i, double v);
void sw__sql_bind_text(sw__stmt *st, int i, const char *v); /* copied; NULL binds null */
void sw__sql_bind_null(sw__stmt *st, int i);
void sw__sql_clear(sw__stmt *st);      /* every parameter null again */
/* Runs or goes on: 1 a row is there, 0 done, < 0 an error in ctx. */
int sw__sql_step(sw__stmt *st);
/* Ready to run again, bindings kept. */
void sw__sql_reset(sw__stmt *st);
void sw__sql_finalize(sw__stmt *st);
int sw__sql_is_null(sw__stmt *st, int col);
const char *sw__sql_text(sw__stmt *st, int col);   /* "" for null */
int64_t sw__sql_int64(sw__stmt *st, int col);
double sw__sql_double(sw__stmt *st, int col);
/* Runs one statement to its end (results ignored); 0 or < 0. */
int sw__sql_run(sw__stmt *st);

#endif
