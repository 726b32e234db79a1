/*
 * db.c: a catalog opened: which database (a path is SQLite, a
 * `postgresql://` URL or `postgres:SERVICE` is PostgreSQL), its schema
 * brought up to date, transactions, and where its chips are kept.
 *
 * The schema is a list of migrations (migrations.c), each applied once in
 * its own transaction with its number, so a catalog written by an older
 * sitewatch is brought up to date on open and a newer one is refused.
 * Every write is one transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "catalog_int.h"

int sw_catalog_is_url(const char *db)
{
    return db && (!strncmp(db, "postgresql://", 13) || !strncmp(db, "postgres://", 11) || !strncmp(db, "postgres:", 9));
}

int sw__db_exec(sw_ctx *ctx, sw_catalog *cat, const char *sql, const char *what)
{
    return cat->driver->exec(ctx, cat, sql, what);
}

int sw__db_begin(sw_ctx *ctx, sw_catalog *cat)
{
    return cat->driver->begin(ctx, cat);
}

int sw__db_end(sw_ctx *ctx, sw_catalog *cat, int rc)
{
    if (rc == 0)
        return sw__db_exec(ctx, cat, "COMMIT", "cannot commit");
    cat->driver->rollback(cat);
    return rc;
}

int sw__db_exec_id(sw_ctx *ctx, sw_catalog *cat, const char *sql, int64_t id, const char *what)
{
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st, sql, what);
    if (rc)
        return rc;
    sw__sql_bind_int64(st, 1, id);
    rc = sw__sql_run(st);
    sw__sql_finalize(st);
    return rc < 0 ? rc : 0;
}

int sw__db_lock_site(sw_ctx *ctx, sw_catalog *cat, int64_t site_id)
{
    if (!sw__sql_pg(cat))
        return 0;
    return sw__db_exec_id(ctx, cat, "SELECT id FROM sites WHERE id = ?1 FOR UPDATE", site_id, "cannot lock the site");
}

void sw__db_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A URL's password hidden, for messages. */
static char *shown(const char *db)
{
    char *s = malloc(strlen(db) + 4);
    if (!s)
        return NULL;
    strcpy(s, db);
    if (strncmp(s, "postgres", 8))
        return s;
    char *scheme = strstr(s, "://"), *at = scheme ? strchr(scheme + 3, '@') : NULL;
    char *colon = at ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
    if (colon)
        memmove(colon + 1 + 3, at, strlen(at) + 1), memcpy(colon + 1, "***", 3);
    return s;
}

static int schema_of(sw_ctx *ctx, sw_catalog *cat, int *version)
{
    return sw__sql_pg(cat) ? sw__pg_schema(ctx, cat, version) : sw__sqlite_schema(ctx, cat, version);
}

/* Applies the migrations the catalog lacks, each in one transaction with
 * its number; another process migrating at once waits (SQLite's writer
 * lock, PostgreSQL's advisory lock) and finds the work done. */
static int migrate(sw_ctx *ctx, sw_catalog *cat, int *version)
{
    int pg = sw__sql_pg(cat), rc = 0;
    while (rc == 0 && *version < sw__nmigrations) {
        char sql[128];
        rc = sw__db_begin(ctx, cat);
        if (rc == 0 && pg)
            rc = sw__db_exec(ctx, cat, "SELECT pg_advisory_xact_lock(7410001)", "cannot lock the schema");
        if (rc == 0 && (rc = schema_of(ctx, cat, version)) == 0 && *version < sw__nmigrations) {
            rc = sw__db_exec(ctx, cat, pg ? sw__migrations_pg[*version] : sw__migrations_sqlite[*version],
                             "cannot migrate");
            if (pg)
                snprintf(sql, sizeof sql, "UPDATE meta SET value = '%d' WHERE key = 'schema_version'", *version + 1);
            else
                snprintf(sql, sizeof sql, "PRAGMA user_version = %d", *version + 1);
            if (rc == 0)
                rc = sw__db_exec(ctx, cat, sql, "cannot migrate");
            if (rc == 0)
                (*version)++;
        }
        rc = sw__db_end(ctx, cat, rc);
    }
    return rc;
}

/* The chip store the catalog records, if any (malloc'd, or NULL). */
static int read_chip_store(sw_ctx *ctx, sw_catalog *cat)
{
    sw__stmt *st;
    int rc = sw__sql_prepare(ctx, cat, &st, "SELECT value FROM meta WHERE key = 'chip_store'", "cannot read");
    if (rc)
        return rc;
    int r = sw__sql_step(st);
    if (r == 1 && !(cat->chips = strdup(sw__sql_text(st, 0))))
        r = sw__err(ctx, SW_ENOMEM, "out of memory");
    sw__sql_finalize(st);
    if (r < 0)
        return r;
    if (!cat->chips && !sw__sql_pg(cat)) {
        /* SQLite: beside the file, as CATALOG.chips/ */
        size_t n = strlen(cat->path) + 8;
        if (!(cat->chips = malloc(n)))
            return sw__err(ctx, SW_ENOMEM, "out of memory");
        snprintf(cat->chips, n, "%s.chips", cat->path);
    }
    return 0;
}

sw_catalog *sw_catalog_open(sw_ctx *ctx, const char *db, int create)
{
    sw_catalog *cat = calloc(1, sizeof *cat);
    if (!cat || !(cat->path = shown(db)) || !(cat->conninfo = strdup(db))) {
        sw_catalog_close(cat);
        sw__err(ctx, SW_ENOMEM, "out of memory");
        return NULL;
    }
    cat->driver = sw_catalog_is_url(db) ? &sw__sql_postgres : &sw__sql_sqlite;
    int version = 0;
    int rc = sw__sql_pg(cat) ? sw__pg_open(ctx, cat, create, &version) : sw__sqlite_open(ctx, cat, create, &version);
    if (rc == 0 && version > sw__nmigrations)
        rc = sw__err(ctx, SW_EFORMAT, "%s: catalog schema %d is newer than this sitewatch (%d)", cat->path, version,
                     sw__nmigrations);
    if (rc == 0 && version == 0 && sw__sql_pg(cat) && !create)
        rc = sw__err(ctx, SW_EIO, "%s: no catalog here (add a site first, or give --db)", cat->path);
    if (rc == 0)
        rc = migrate(ctx, cat, &version);
    if (rc == 0)
        rc = read_chip_store(ctx, cat);
    if (rc) {
        sw_catalog_close(cat);
        return NULL;
    }
    cat->schema = version;
    return cat;
}

void sw_catalog_close(sw_catalog *cat)
{
    if (!cat)
        return;
    if (cat->driver)
        cat->driver->close(cat);
    free(cat->path);
    free(cat->conninfo);
    free(cat->chips);
    free(cat);
}

int sw_catalog_schema(const sw_catalog *cat)
{
    return cat->schema;
}

const char *sw_catalog_engine(const sw_catalog *cat)
{
    return cat->driver->version((sw_catalog *)cat);
}

const char *sw_catalog_chip_store(const sw_catalog *cat)
{
    return cat->chips;
}

int sw_catalog_set_chip_store(sw_ctx *ctx, sw_catalog *cat, const char *dir)
{
    if (!dir || !*dir)
        return sw__err(ctx, SW_EARG, "the chip store needs a folder");
    if (cat->chips && !strcmp(cat->chips, dir))
        return 0;
    sw__stmt *st = NULL;
    int rc = sw__db_begin(ctx, cat);
    if (rc == 0)
        rc = sw__sql_prepare(ctx, cat, &st, "SELECT count(*) FROM scenes", "cannot read scenes");
    if (rc == 0 && (rc = sw__sql_step(st)) == 1) {
        rc = 0;
        if (sw__sql_int64(st, 0) > 0)
            rc = sw__err(ctx, SW_ECONFLICT, "%s: keeps its chips in %s; it holds scenes, so that cannot change",
                         cat->path, cat->chips ? cat->chips : "(none)");
    }
    sw__sql_finalize(st);
    st = NULL;
    if (rc == 0)
        rc = sw__sql_prepare(ctx, cat, &st,
                             "INSERT INTO meta(key, value) VALUES('chip_store', ?1) "
                             "ON CONFLICT(key) DO UPDATE SET value = excluded.value", "cannot record the chip store");
    if (rc == 0) {
        sw__sql_bind_text(st, 1, dir);
        rc = sw__sql_run(st);
    }
    sw__sql_finalize(st);
    rc = sw__db_end(ctx, cat, rc < 0 ? rc : 0);
    if (rc == 0) {
        char *c = strdup(dir);
        if (!c)
            return sw__err(ctx, SW_ENOMEM, "out of memory");
        free(cat->chips);
        cat->chips = c;
    }
    return rc;
}

char *sw__store_site_path(sw_ctx *ctx, const sw_catalog *cat, const char *site, const char *suffix)
{
    if (!cat->chips) {
        if (ctx)
            sw__err(ctx, SW_EARG, "%s: the catalog has no chip store yet: give --chips DIR once (a folder every "
                              "worker reaches)", cat->path);
        return NULL;
    }
    size_t n = strlen(cat->chips) + strlen(site) + strlen(suffix) + 4;
    char *p = malloc(n);
    if (!p && ctx)
        sw__err(ctx, SW_ENOMEM, "out of memory");
    else if (p)
        snprintf(p, n, "%s/%s%s", cat->chips, site, suffix);
    return p;
}

const char *sw__store_path(const sw_catalog *cat)
{
    return cat->path;
}

const char *sw__store_engine_version(void)
{
    static char v[128];
    if (!v[0])
        snprintf(v, sizeof v, "%s; %s", sw__sql_sqlite.version(NULL), sw__sql_postgres.version(NULL));
    return v;
}
