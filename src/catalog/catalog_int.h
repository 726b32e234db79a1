/*
 * catalog_int.h: what the catalog's storage files (src/catalog/, the
 * only files that include sqlite3.h) share. The layers above see store.h.
 */
#ifndef SW_CATALOG_INT_H
#define SW_CATALOG_INT_H

#include <sqlite3.h>

#include "store.h"

struct sw_catalog {
    sqlite3 *db;
    char *path;
    int schema;
};

/* Puts SQLite's message for `what` in ctx; returns the SW_E... code. */
int sw__db_err(sw_ctx *ctx, sw_catalog *cat, const char *what);
/* Prepares sql into *st; 0 or an error in ctx. */
int sw__run_sql(sw_ctx *ctx, sw_catalog *cat, sqlite3_stmt **st, const char *sql);
/* Runs sql (no results); 0 or an error naming `what`. */
int sw__db_exec(sw_ctx *ctx, sw_catalog *cat, const char *sql, const char *what);
/* Runs one statement with ?1 bound to id. */
int sw__db_exec_id(sw_ctx *ctx, sw_catalog *cat, const char *sql, int64_t id, const char *what);
/* Ends the transaction a write began: COMMIT when rc is 0, else ROLLBACK
 * (the error already in ctx stays). Returns the outcome. */
int sw__db_end(sw_ctx *ctx, sw_catalog *cat, int rc);
/* Now, UTC, ISO 8601. */
void sw__db_now(char out[32]);

#endif
