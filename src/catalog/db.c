/*
 * db.c: the catalog's SQLite database: opening it, its versioned schema,
 * transactions and errors.
 *
 * The schema is a list of migrations, each applied once in its own
 * transaction and recorded in PRAGMA user_version, so a catalog written by
 * an older sitewatch is brought up to date on open and a newer one is
 * refused. Every write is one transaction (BEGIN IMMEDIATE, so two
 * processes writing at once wait their turn rather than fail); WAL mode
 * lets readers go on meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "catalog_int.h"

static const char *const migrations[] = {
    /* 1: sites, scenes, change objects and their observations, alerts, runs */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO meta VALUES('format', 'sitewatch-catalog');"
    "CREATE TABLE sites("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  aoi_wkt TEXT NOT NULL,"
    "  crs_epsg INTEGER NOT NULL,"
    "  resolution_m REAL NOT NULL DEFAULT 0,"
    "  buffer_m REAL NOT NULL DEFAULT 0,"
    "  area_m2 REAL NOT NULL,"
    "  lon REAL NOT NULL, lat REAL NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE scenes("
    "  id INTEGER PRIMARY KEY,"
    "  site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,"
    "  source_path TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  acquired TEXT NOT NULL,"
    "  sensor TEXT,"
    "  chip_path TEXT,"
    "  usable_fraction REAL,"
    "  ingested_at TEXT NOT NULL,"
    "  UNIQUE(site_id, sha256));"
    "CREATE TABLE runs("
    "  id INTEGER PRIMARY KEY,"
    "  site_id INTEGER REFERENCES sites(id) ON DELETE CASCADE,"
    "  started_at TEXT NOT NULL,"
    "  command TEXT,"
    "  parameters TEXT);"
    "CREATE TABLE objects("
    "  id INTEGER PRIMARY KEY,"
    "  site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,"
    "  status TEXT NOT NULL,"
    "  first_seen TEXT, last_seen TEXT,"
    "  confirmed INTEGER NOT NULL DEFAULT 0,"
    "  dismissed INTEGER NOT NULL DEFAULT 0,"
    "  geometry_wkt TEXT);"
    "CREATE TABLE observations("
    "  id INTEGER PRIMARY KEY,"
    "  object_id INTEGER NOT NULL REFERENCES objects(id) ON DELETE CASCADE,"
    "  scene_id INTEGER NOT NULL REFERENCES scenes(id) ON DELETE CASCADE,"
    "  area_m2 REAL, score REAL,"
    "  UNIQUE(object_id, scene_id));"
    "CREATE TABLE alerts("
    "  id INTEGER PRIMARY KEY,"
    "  site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,"
    "  object_id INTEGER REFERENCES objects(id) ON DELETE CASCADE,"
    "  created_at TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'open',"
    "  message TEXT);"
    "CREATE INDEX scenes_site ON scenes(site_id, acquired);"
    "CREATE INDEX objects_site ON objects(site_id);"
    "CREATE INDEX alerts_site ON alerts(site_id, created_at);",
    /* 2: when an object was confirmed */
    "ALTER TABLE objects ADD COLUMN confirmed_at TEXT;"
    "ALTER TABLE objects ADD COLUMN area_m2 REAL;",
    /* 3: the cloud screen's verdict per scene */
    "ALTER TABLE scenes ADD COLUMN cloud_fraction REAL NOT NULL DEFAULT 0;"
    "ALTER TABLE scenes ADD COLUMN cloud_mask TEXT;",
    /* 4: a scene's own usability mask (PlanetScope UDM2), on the chip's grid */
    "ALTER TABLE scenes ADD COLUMN mask_path TEXT;"
    "ALTER TABLE scenes ADD COLUMN mask_source TEXT;"
    /* and its shift onto the baseline, in pixels, as co-registration found it */
    "ALTER TABLE scenes ADD COLUMN shift_x REAL;"
    "ALTER TABLE scenes ADD COLUMN shift_y REAL;",
    /* 5: comparisons kept between analyses (they were files), by a key of
     * what made them: each pair's change objects */
    "CREATE TABLE comparisons("
    "  id INTEGER PRIMARY KEY,"
    "  site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  UNIQUE(site_id, key));"
    "CREATE TABLE comparison_objects("
    "  comparison_id INTEGER NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,"
    "  geometry_wkt TEXT NOT NULL,"
    "  area_m2 REAL NOT NULL,"
    "  score REAL NOT NULL);"
    "CREATE INDEX comparison_objects_of ON comparison_objects(comparison_id);",
    /* 6: the detector each site is analysed with */
    "ALTER TABLE sites ADD COLUMN method TEXT NOT NULL DEFAULT 'auto';",
};
enum { NMIGRATIONS = sizeof migrations / sizeof migrations[0] };

int sw__db_err(sw_ctx *ctx, sw_catalog *cat, const char *what)
{
    int code = sqlite3_errcode(cat->db);
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        return sw__err(ctx, SW_EFORMAT, "%s: not a usable sitewatch catalog (%s)", cat->path, sqlite3_errmsg(cat->db));
    return sw__err(ctx, SW_EIO, "%s: %s: %s", cat->path, what, sqlite3_errmsg(cat->db));
}

int sw__db_exec(sw_ctx *ctx, sw_catalog *cat, const char *sql, const char *what)
{
    char *msg = NULL;
    if (sqlite3_exec(cat->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sqlite3_free(msg);
        return sw__db_err(ctx, cat, what);
    }
    return 0;
}

/* Ends the transaction a write began: COMMIT when rc is 0, else ROLLBACK
 * (the error already in ctx stays). Returns the outcome. */
int sw__db_end(sw_ctx *ctx, sw_catalog *cat, int rc)
{
    if (rc == 0)
        return sw__db_exec(ctx, cat, "COMMIT", "cannot commit");
    sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Runs one statement with ?1 bound to id. */
int sw__db_exec_id(sw_ctx *ctx, sw_catalog *cat, const char *sql, int64_t id, const char *what)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sw__db_err(ctx, cat, what);
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : sw__db_err(ctx, cat, what);
    sqlite3_finalize(st);
    return rc;
}

/* Where sitewatch keeps what it makes for a site: CATALOG.chips/SITE, then
 * suffix (malloc'd; NULL out of memory). */
char *sw__store_site_path(const sw_catalog *cat, const char *site, const char *suffix)
{
    size_t n = strlen(cat->path) + strlen(site) + strlen(suffix) + 16;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s.chips/%s%s", cat->path, site, suffix);
    return p;
}

void sw__db_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The schema version recorded in the file; 0 for an empty database. */
static int read_schema(sw_ctx *ctx, sw_catalog *cat, int *version)
{
    sqlite3_stmt *st;
    *version = 0;
    if (sqlite3_prepare_v2(cat->db, "SELECT count(*) FROM sqlite_master", -1, &st, NULL) != SQLITE_OK)
        return sw__db_err(ctx, cat, "cannot read");
    int rc = sqlite3_step(st);
    int tables = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return sw__db_err(ctx, cat, "cannot read");
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
        return sw__db_err(ctx, cat, "cannot read");
    if (sqlite3_step(st) == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (*version < 1)
        return sw__err(ctx, SW_EFORMAT, "%s: a sitewatch catalog with schema version %d, which no sitewatch writes",
                       cat->path, *version);
    return 0;
}

sw_catalog *sw_catalog_open(sw_ctx *ctx, const char *path, int create)
{
    struct stat sb;
    if (!create && stat(path, &sb) != 0) {
        sw__err(ctx, SW_EIO, "%s: no catalog here (add a site first, or give --db)", path);
        return NULL;
    }
    sw_catalog *cat = calloc(1, sizeof *cat);
    if (!cat || !(cat->path = strdup(path))) {
        free(cat);
        sw__err(ctx, SW_ENOMEM, "out of memory");
        return NULL;
    }
    int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path, &cat->db, flags, NULL) != SQLITE_OK) {
        sw__err(ctx, SW_EIO, "%s: cannot open catalog: %s", path, cat->db ? sqlite3_errmsg(cat->db) : "out of memory");
        sw_catalog_close(cat);
        return NULL;
    }
    sqlite3_busy_timeout(cat->db, 30000);
    int version = 0;
    int rc = read_schema(ctx, cat, &version);
    if (rc == 0 && version > NMIGRATIONS)
        rc = sw__err(ctx, SW_EFORMAT, "%s: catalog schema %d is newer than this sitewatch (%d)", path, version,
                     NMIGRATIONS);
    if (rc == 0)
        rc = sw__db_exec(ctx, cat, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;",
                  "cannot configure");
    /* Migrations, each in one transaction with its version. */
    while (rc == 0 && version < NMIGRATIONS) {
        char sql[64];
        rc = sw__db_exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
        /* another process may have migrated meanwhile */
        if (rc == 0 && (rc = read_schema(ctx, cat, &version)) == 0 && version < NMIGRATIONS) {
            rc = sw__db_exec(ctx, cat, migrations[version], "cannot migrate");
            snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version + 1);
            if (rc == 0)
                rc = sw__db_exec(ctx, cat, sql, "cannot migrate");
            if (rc == 0)
                version++;
        }
        rc = sw__db_end(ctx, cat, rc);
    }
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
    if (cat->db)
        sqlite3_close_v2(cat->db);
    free(cat->path);
    free(cat);
}

int sw_catalog_schema(const sw_catalog *cat)
{
    return cat->schema;
}

int sw__run_sql(sw_ctx *ctx, sw_catalog *cat, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v2(cat->db, sql, -1, st, NULL) != SQLITE_OK)
        return sw__db_err(ctx, cat, "cannot update the analysis");
    return 0;
}

const char *sw__store_path(const sw_catalog *cat)
{
    return cat->path;
}

const char *sw__store_engine_version(void)
{
    static char v[64];
    if (!v[0])
        snprintf(v, sizeof v, "SQLite %s", sqlite3_libversion());
    return v;
}
