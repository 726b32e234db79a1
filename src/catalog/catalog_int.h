/*
 * catalog_int.h: what the catalog's storage files (src/catalog/, the only
 * files that speak SQL) share. The layers above see store.h.
 */
#ifndef SW_CATALOG_INT_H
#define SW_CATALOG_INT_H

#include "sql.h"

struct sqlite3;
struct pg_conn;

struct sw_catalog {
    const sw__sql_driver *driver;
    struct sqlite3 *db;     /* SQLite */
    struct pg_conn *pg;     /* PostgreSQL */
    char *path;             /* for messages: the file, or the URL without its password */
    char *conninfo;         /* PostgreSQL: what was given, to connect again */
    char *chips;            /* the chip store: where chips and masks lie */
    int schema;
    int64_t job, job_token; /* the job this handle works for (its analysis completes it) */
    char job_result[512];   /* what the job did, recorded with it */
    double commit_s;        /* time in the transactions that completed jobs */
};

/* Runs sql (statements, no results); 0 or an error naming `what`. */
int sw__db_exec(sw_ctx *ctx, sw_catalog *cat, const char *sql, const char *what);
/* Runs one statement with ?1 bound to id. */
int sw__db_exec_id(sw_ctx *ctx, sw_catalog *cat, const char *sql, int64_t id, const char *what);
/* Begins a write transaction: SQLite's BEGIN IMMEDIATE (one writer at a
 * time, others wait), PostgreSQL's BEGIN. */
int sw__db_begin(sw_ctx *ctx, sw_catalog *cat);
/* Ends the transaction a write began: COMMIT when rc is 0, else ROLLBACK
 * (the error already in ctx stays). Returns the outcome. */
int sw__db_end(sw_ctx *ctx, sw_catalog *cat, int rc);
/* Inside a write transaction: holds the site's row until the end, so two
 * analyses of one site (on PostgreSQL, where writers run side by side)
 * take turns. SQLite's writer already holds the whole file. */
int sw__db_lock_site(sw_ctx *ctx, sw_catalog *cat, int64_t site_id);
/* Now, UTC, ISO 8601. */
void sw__db_now(char out[32]);

/* The migrations of each database, numbered alike (migrations.c). */
extern const char *const sw__migrations_sqlite[], *const sw__migrations_pg[];
extern const int sw__nmigrations;

/* Opens each kind (sql_sqlite.c, sql_pg.c): the driver's connection in
 * cat, schema read into *version (0: empty); 0 or an error. */
int sw__sqlite_open(sw_ctx *ctx, sw_catalog *cat, int create, int *version);
int sw__pg_open(sw_ctx *ctx, sw_catalog *cat, int create, int *version);
/* The schema version (0: an empty database), read inside a transaction. */
int sw__sqlite_schema(sw_ctx *ctx, sw_catalog *cat, int *version);
int sw__pg_schema(sw_ctx *ctx, sw_catalog *cat, int *version);

#endif
