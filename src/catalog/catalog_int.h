/* catalog_int.h: what catalog.c shares with report.c (the only files that
 * include sqlite3.h). */
#ifndef SW_CATALOG_INT_H
#define SW_CATALOG_INT_H

#include <sqlite3.h>

#include "../io/io.h"
#include "sitewatch/catalog.h"

struct sw_catalog {
    sqlite3 *db;
    char *path;
    int schema;
};

/* Puts SQLite's message for `what` in ctx; returns the SW_E... code. */
int sw__db_err(sw_ctx *ctx, sw_catalog *cat, const char *what);
/* Prepares sql into *st; 0 or an error in ctx. */
int sw__run_sql(sw_ctx *ctx, sw_catalog *cat, sqlite3_stmt **st, const char *sql);

/* A site's change objects in id order (free with sw__objects_free). */
int sw__objects_load(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, sw__site_object **obj, int64_t *n);
void sw__objects_free(sw__site_object *obj, int64_t n);

#endif
