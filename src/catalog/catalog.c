/*
 * catalog.c: the site catalog in SQLite. The only file that includes
 * sqlite3.h.
 *
 * The schema is a list of migrations, each applied once in its own
 * transaction and recorded in meta.schema_version, so a catalog written by
 * an older sitewatch is brought up to date on open and a newer one is
 * refused. Every write is one transaction (BEGIN IMMEDIATE, so two
 * processes writing at once wait their turn rather than fail); WAL mode
 * lets readers go on meanwhile.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "../io/io.h"
#include "../sw_int.h"
#include "catalog_int.h"
#include "sitewatch/detect.h"


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
};
enum { NMIGRATIONS = sizeof migrations / sizeof migrations[0] };

int sw__db_err(sw_ctx *ctx, sw_catalog *cat, const char *what)
{
    int code = sqlite3_errcode(cat->db);
    if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT)
        return sw__err(ctx, SW_EFORMAT, "%s: not a usable sitewatch catalog (%s)", cat->path, sqlite3_errmsg(cat->db));
    return sw__err(ctx, SW_EIO, "%s: %s: %s", cat->path, what, sqlite3_errmsg(cat->db));
}

static int exec(sw_ctx *ctx, sw_catalog *cat, const char *sql, const char *what)
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
static int end_tx(sw_ctx *ctx, sw_catalog *cat, int rc)
{
    if (rc == 0)
        return exec(ctx, cat, "COMMIT", "cannot commit");
    sqlite3_exec(cat->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Runs one statement with ?1 bound to id. */
static int exec_id(sw_ctx *ctx, sw_catalog *cat, const char *sql, int64_t id, const char *what)
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
static char *site_path(const sw_catalog *cat, const char *site, const char *suffix)
{
    size_t n = strlen(cat->path) + strlen(site) + strlen(suffix) + 16;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s.chips/%s%s", cat->path, site, suffix);
    return p;
}

static void now_iso(char out[32])
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
    int ok = sqlite3_step(st) == SQLITE_ROW &&
             strcmp((const char *)sqlite3_column_text(st, 0), "sitewatch-catalog") == 0;
    sqlite3_finalize(st);
    if (!ok)
        return sw__err(ctx, SW_EFORMAT, "%s: a SQLite database, but not a sitewatch catalog", cat->path);
    if (sqlite3_prepare_v2(cat->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return sw__db_err(ctx, cat, "cannot read");
    if (sqlite3_step(st) == SQLITE_ROW)
        *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
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
        rc = exec(ctx, cat, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL;",
                  "cannot configure");
    /* Migrations, each in one transaction with its version. */
    while (rc == 0 && version < NMIGRATIONS) {
        char sql[64];
        rc = exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
        /* another process may have migrated meanwhile */
        if (rc == 0 && (rc = read_schema(ctx, cat, &version)) == 0 && version < NMIGRATIONS) {
            rc = exec(ctx, cat, migrations[version], "cannot migrate");
            snprintf(sql, sizeof sql, "PRAGMA user_version = %d", version + 1);
            if (rc == 0)
                rc = exec(ctx, cat, sql, "cannot migrate");
            if (rc == 0)
                version++;
        }
        rc = end_tx(ctx, cat, rc);
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

void sw_site_clear(sw_site *s)
{
    free(s->aoi_wkt);
    memset(s, 0, sizeof *s);
}

/* A name the CLI and file systems can live with: letters, digits, - _ . */
static int valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof(((sw_site *)0)->name) || name[0] == '.' || name[0] == '-')
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            return 0;
    return 1;
}

static const char *const site_columns =
    "s.id, s.name, s.aoi_wkt, s.crs_epsg, s.resolution_m, s.buffer_m, s.area_m2, s.lon, s.lat, s.created_at, "
    "(SELECT count(*) FROM scenes c WHERE c.site_id = s.id)";

static void site_from_row(sqlite3_stmt *st, sw_site *s)
{
    memset(s, 0, sizeof *s);
    s->id = sqlite3_column_int64(st, 0);
    snprintf(s->name, sizeof s->name, "%s", (const char *)sqlite3_column_text(st, 1));
    s->aoi_wkt = strdup((const char *)sqlite3_column_text(st, 2));
    s->crs_epsg = sqlite3_column_int(st, 3);
    s->resolution_m = sqlite3_column_double(st, 4);
    s->buffer_m = sqlite3_column_double(st, 5);
    s->area_m2 = sqlite3_column_double(st, 6);
    s->lon = sqlite3_column_double(st, 7);
    s->lat = sqlite3_column_double(st, 8);
    snprintf(s->created, sizeof s->created, "%s", (const char *)sqlite3_column_text(st, 9));
    s->scenes = sqlite3_column_int64(st, 10);
}

int sw_site_get(sw_ctx *ctx, sw_catalog *cat, const char *name, sw_site *site)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM sites s WHERE s.name = ?1", site_columns);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sw__db_err(ctx, cat, "cannot read sites");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    int out = 0;
    if (rc == SQLITE_ROW)
        site_from_row(st, site);
    else if (rc == SQLITE_DONE)
        out = sw__err(ctx, SW_EARG, "%s: no site named '%s'", cat->path, name);
    else
        out = sw__db_err(ctx, cat, "cannot read sites");
    sqlite3_finalize(st);
    return out;
}

int sw_site_list(sw_ctx *ctx, sw_catalog *cat, int (*fn)(const sw_site *s, void *user), void *user)
{
    char sql[512];
    snprintf(sql, sizeof sql, "SELECT %s FROM sites s ORDER BY s.name", site_columns);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cat->db, sql, -1, &st, NULL) != SQLITE_OK)
        return sw__db_err(ctx, cat, "cannot read sites");
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sw_site s;
        site_from_row(st, &s);
        int stop = fn(&s, user);
        sw_site_clear(&s);
        if (stop)
            break;
    }
    int out = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sw__db_err(ctx, cat, "cannot read sites");
    sqlite3_finalize(st);
    return out;
}

int sw_site_add(sw_ctx *ctx, sw_catalog *cat, const char *name, const char *aoi_path, double buffer_m,
                double resolution_m, sw_site *site)
{
    if (!valid_name(name))
        return sw__err(ctx, SW_EARG, "site name '%s': use letters, digits, '-', '_' and '.' (at most 127)", name);
    if (buffer_m < 0.0 || resolution_m < 0.0)
        return sw__err(ctx, SW_EARG, "buffer and resolution must not be negative");
    sw__aoi aoi;
    int rc = sw__aoi_read(ctx, aoi_path, buffer_m, &aoi);
    if (rc)
        return rc;
    char now[32];
    now_iso(now);
    sqlite3_stmt *st = NULL;
    rc = exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
    if (rc == 0 &&
        sqlite3_prepare_v2(cat->db,
                           "INSERT INTO sites(name, aoi_wkt, crs_epsg, resolution_m, buffer_m, area_m2, lon, lat, created_at) "
                           "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                           -1, &st, NULL) != SQLITE_OK)
        rc = sw__db_err(ctx, cat, "cannot add the site");
    if (rc == 0) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, aoi.wkt, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(st, 3, aoi.epsg);
        sqlite3_bind_double(st, 4, resolution_m);
        sqlite3_bind_double(st, 5, buffer_m);
        sqlite3_bind_double(st, 6, aoi.area_m2);
        sqlite3_bind_double(st, 7, aoi.lon);
        sqlite3_bind_double(st, 8, aoi.lat);
        sqlite3_bind_text(st, 9, now, -1, SQLITE_TRANSIENT);
        int s = sqlite3_step(st);
        if (s == SQLITE_CONSTRAINT)
            rc = sw__err(ctx, SW_EARG, "%s: a site named '%s' already exists", cat->path, name);
        else if (s != SQLITE_DONE)
            rc = sw__db_err(ctx, cat, "cannot add the site");
    }
    sqlite3_finalize(st);
    rc = end_tx(ctx, cat, rc);
    sw__aoi_clear(&aoi);
    if (rc == 0 && site)
        rc = sw_site_get(ctx, cat, name, site);
    return rc;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else if (flag == FTW_F || flag == FTW_SL)
        unlink(path);
    return 0;
}

int sw_site_remove(sw_ctx *ctx, sw_catalog *cat, const char *name, int force)
{
    sw_site s = {0};
    int rc = exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
    if (rc)
        return rc;
    rc = sw_site_get(ctx, cat, name, &s);
    if (rc == 0 && s.scenes > 0 && !force)
        rc = sw__err(ctx, SW_EARG, "site '%s' has %lld scenes: give --force to remove it and all it holds "
                                   "(your source files are not touched)", name, (long long)s.scenes);
    if (rc == 0)
        rc = exec_id(ctx, cat, "DELETE FROM sites WHERE id = ?1", s.id, "cannot remove the site");
    rc = end_tx(ctx, cat, rc);
    /* Then what sitewatch made for it: its chips, masks and kept
     * comparisons (never the scenes they were cut from). */
    char *dir = rc == 0 && valid_name(s.name) ? site_path(cat, s.name, "") : NULL;
    if (dir)
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
    sw_site_clear(&s);
    return rc;
}

void sw_ingest_opts_init(sw_ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    o->margin_m = -1.0;
}

static int valid_date(const char *d)
{
    int y, m, dd;
    char tail;
    return strlen(d) == 10 && sscanf(d, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) == 3 && y >= 1972 && y <= 2100 &&
           m >= 1 && m <= 12 && dd >= 1 && dd <= 31;
}

int sw_ingest_scene(sw_ctx *ctx, sw_catalog *cat, const char *site_name, const char *path,
                    const sw_ingest_opts *opts, sw_ingest_result *res)
{
    sw_ingest_opts def;
    if (!opts) {
        sw_ingest_opts_init(&def);
        opts = &def;
    }
    memset(res, 0, sizeof *res);
    sw_site site = {0};
    int rc = sw_site_get(ctx, cat, site_name, &site);
    if (rc)
        return rc;
    char hex[65];
    if ((rc = sw__sha256_file(ctx, path, hex)) != 0)
        goto out;
    /* Already here? */
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cat->db, "SELECT id, acquired FROM scenes WHERE site_id = ?1 AND sha256 = ?2", -1, &st,
                           NULL) != SQLITE_OK) {
        rc = sw__db_err(ctx, cat, "cannot read scenes");
        goto out;
    }
    sqlite3_bind_int64(st, 1, site.id);
    sqlite3_bind_text(st, 2, hex, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) == SQLITE_ROW) {
        res->skipped = 1;
        res->scene_id = sqlite3_column_int64(st, 0);
        snprintf(res->date, sizeof res->date, "%s", (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    if (res->skipped)
        goto out;
    /* When and by what. */
    char date[11] = "", sensor[32] = "";
    sw__scene_metadata(path, date, sensor);
    if (opts->date)
        snprintf(date, sizeof date, "%s", opts->date);
    if (opts->sensor)
        snprintf(sensor, sizeof sensor, "%s", opts->sensor);
    if (!date[0]) {
        rc = sw__err(ctx, SW_EARG, "%s: no acquisition date in its name or metadata: give --date YYYY-MM-DD", path);
        goto out;
    }
    if (!valid_date(date)) {
        rc = sw__err(ctx, SW_EARG, "%s: '%s' is not a date YYYY-MM-DD", path, date);
        goto out;
    }
    /* The chip, under a temporary name until it is whole. */
    char name[64];
    snprintf(name, sizeof name, "/%s_%.12s.tif", date, hex);
    size_t n = strlen(cat->path) + strlen(site.name) + 128;
    char *dir = site_path(cat, site.name, ""), *chip = site_path(cat, site.name, name), *tmp = malloc(n + 32);
    if (!dir || !chip || !tmp) {
        free(dir);
        free(chip);
        free(tmp);
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(tmp, n + 32, "%s.tmp-%ld", chip, (long)getpid());
    double res_m = site.resolution_m, usable = 0.0;
    double margin = opts->margin_m >= 0 ? opts->margin_m : 100.0;
    if ((rc = sw__mkdir_p(ctx, dir)) == 0 &&
        (rc = sw__chip_write(ctx, path, site.aoi_wkt, site.crs_epsg, margin, &res_m, tmp, &usable)) == 0 &&
        rename(tmp, chip) != 0)
        rc = sw__err(ctx, SW_EIO, "%s: cannot rename into place: %s", chip, strerror(errno));
    if (rc)
        sw__io_delete(tmp);
    /* The scene's own mask (given, or a PlanetScope UDM2 beside it) on
     * the chip's grid. */
    char msrc[4096] = "", *mpath = NULL;
    if (rc == 0 && (opts->mask ? snprintf(msrc, sizeof msrc, "%s", opts->mask) > 0
                               : sw__udm_sidecar(path, msrc, sizeof msrc))) {
        double bad = 0;
        mpath = malloc(strlen(chip) + 16);
        if (!mpath) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        } else {
            snprintf(mpath, strlen(chip) + 16, "%.*s.mask.tif", (int)(strlen(chip) - 4), chip);
            rc = sw__mask_to_chip(ctx, msrc, chip, mpath, &bad);
        }
        if (rc)
            unlink(chip);
    }
    /* The record, in one transaction with the site's resolution when this
     * is its first scene. */
    char now[32];
    now_iso(now);
    int dup = 0;
    if (rc == 0)
        rc = exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
    if (rc == 0 && site.resolution_m <= 0) {
        if (sqlite3_prepare_v2(cat->db, "UPDATE sites SET resolution_m = ?1 WHERE id = ?2 AND resolution_m <= 0",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = sw__db_err(ctx, cat, "cannot record the site's resolution");
        } else {
            sqlite3_bind_double(st, 1, res_m);
            sqlite3_bind_int64(st, 2, site.id);
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = sw__db_err(ctx, cat, "cannot record the site's resolution");
            sqlite3_finalize(st);
        }
    }
    if (rc == 0) {
        if (sqlite3_prepare_v2(cat->db,
                               "INSERT INTO scenes(site_id, source_path, sha256, acquired, sensor, chip_path, "
                               "usable_fraction, ingested_at, mask_path, mask_source) "
                               "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                               -1, &st, NULL) != SQLITE_OK) {
            rc = sw__db_err(ctx, cat, "cannot record the scene");
        } else {
            sqlite3_bind_int64(st, 1, site.id);
            sqlite3_bind_text(st, 2, path, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 3, hex, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 4, date, -1, SQLITE_TRANSIENT);
            if (sensor[0])
                sqlite3_bind_text(st, 5, sensor, -1, SQLITE_TRANSIENT);
            sqlite3_bind_text(st, 6, chip, -1, SQLITE_TRANSIENT);
            sqlite3_bind_double(st, 7, usable);
            sqlite3_bind_text(st, 8, now, -1, SQLITE_TRANSIENT);
            if (mpath) {
                sqlite3_bind_text(st, 9, mpath, -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 10, msrc, -1, SQLITE_TRANSIENT);
            }
            int s2 = sqlite3_step(st);
            if (s2 == SQLITE_CONSTRAINT)
                dup = 1; /* another ingest of the same scene won the race: its chip is this one */
            else if (s2 != SQLITE_DONE)
                rc = sw__db_err(ctx, cat, "cannot record the scene");
            res->scene_id = sqlite3_last_insert_rowid(cat->db);
            sqlite3_finalize(st);
        }
        rc = end_tx(ctx, cat, rc);
        if (rc && !dup) {
            unlink(chip);
            if (mpath)
                unlink(mpath);
        }
    }
    free(mpath);
    res->skipped = dup;
    snprintf(res->date, sizeof res->date, "%s", date);
    snprintf(res->sensor, sizeof res->sensor, "%s", sensor);
    snprintf(res->chip, sizeof res->chip, "%s", chip);
    res->usable_fraction = usable;
    free(dir);
    free(chip);
    free(tmp);
out:
    sw_site_clear(&site);
    return rc;
}

int sw_scene_list(sw_ctx *ctx, sw_catalog *cat, const char *site_name, int (*fn)(const sw_scene *s, void *user),
                  void *user)
{
    sw_site site = {0};
    int rc = sw_site_get(ctx, cat, site_name, &site);
    sw_site_clear(&site);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(cat->db,
                           "SELECT c.id, c.acquired, c.sensor, c.usable_fraction, c.source_path, c.chip_path, "
                           "c.cloud_fraction "
                           "FROM scenes c JOIN sites s ON s.id = c.site_id WHERE s.name = ?1 "
                           "ORDER BY c.acquired, c.id",
                           -1, &st, NULL) != SQLITE_OK)
        return sw__db_err(ctx, cat, "cannot read scenes");
    sqlite3_bind_text(st, 1, site_name, -1, SQLITE_TRANSIENT);
    int s2;
    while ((s2 = sqlite3_step(st)) == SQLITE_ROW) {
        sw_scene sc = {0};
        sc.id = sqlite3_column_int64(st, 0);
        snprintf(sc.acquired, sizeof sc.acquired, "%s", (const char *)sqlite3_column_text(st, 1));
        const unsigned char *sen = sqlite3_column_text(st, 2);
        snprintf(sc.sensor, sizeof sc.sensor, "%s", sen ? (const char *)sen : "");
        sc.usable_fraction = sqlite3_column_double(st, 3);
        sc.source = (const char *)sqlite3_column_text(st, 4);
        sc.chip = (const char *)sqlite3_column_text(st, 5);
        sc.cloud_fraction = sqlite3_column_double(st, 6);
        if (fn(&sc, user))
            break;
    }
    rc = s2 == SQLITE_ROW || s2 == SQLITE_DONE ? 0 : sw__db_err(ctx, cat, "cannot read scenes");
    sqlite3_finalize(st);
    return rc;
}

/* ---- analysis: change objects across a site's scenes ---- */

void sw_analyze_opts_init(sw_analyze_opts *o)
{
    o->confirm = 2;
    o->min_area_m2 = -1;
    o->min_usable = -1;
}

typedef struct obs {
    int64_t scene;
    double area, score;
} obs;

typedef struct track {
    char *wkt;           /* the latest outline */
    double box[4];       /* its bounding box */
    double cx, cy;       /* its centroid */
    char first[11], last[11], confirmed[11];
    int consec, matched;
    double area_first, area_last;
    obs *o;
    int no, co;
    int64_t id;          /* in the catalog, after persisting */
} track;

typedef struct tracker {
    track *t;
    int n, cap;
    int64_t scene;
    const char *date;
    double min_area;
    int failed;
} tracker;

static void tracks_free(tracker *k)
{
    for (int i = 0; i < k->n; i++) {
        free(k->t[i].wkt);
        free(k->t[i].o);
    }
    free(k->t);
}

/* The bounding box of the coordinates in a WKT text (x0, y0, x1, y1);
 * an empty box (x0 > x1) when it holds none. */
static void wkt_box(const char *wkt, double box[4])
{
    box[0] = box[1] = INFINITY;
    box[2] = box[3] = -INFINITY;
    int axis = 0;
    for (const char *p = wkt; p && *p;) {
        if (*p == '-' || *p == '.' || (*p >= '0' && *p <= '9')) {
            char *e;
            double v = strtod(p, &e);
            if (e == p) {
                p++;
                continue;
            }
            box[axis] = fmin(box[axis], v);
            box[axis + 2] = fmax(box[axis + 2], v);
            axis ^= 1;
            p = e;
        } else {
            if (*p == ',' || *p == '(' || *p == ')')
                axis = 0;
            p++;
        }
    }
}

static int boxes_meet(const double a[4], const double b[4])
{
    return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

static int on_object(void *user, const char *wkt, double area, double score)
{
    tracker *k = user;
    if (area < k->min_area)
        return 0;
    int best = -1;
    double bo = 0.3, box[4];
    wkt_box(wkt, box);
    for (int i = 0; i < k->n; i++) {
        if (!boxes_meet(box, k->t[i].box))
            continue; /* apart: no need to intersect the outlines */
        /* Overlap of the smaller; areas within a factor of 5 (a cloud
         * residue does not swallow the specks it lies over). */
        double prev = k->t[i].o && k->t[i].no ? k->t[i].o[k->t[i].no - 1].area : area;
        if (area > 5 * prev || prev > 5 * area)
            continue;
        double ov = sw__wkt_overlap(k->t[i].wkt, wkt);
        if (ov >= bo) {
            bo = ov;
            best = i;
        }
    }
    if (best < 0) {
        if (k->n == k->cap) {
            int cap = k->cap ? 2 * k->cap : 64;
            track *nt = realloc(k->t, (size_t)cap * sizeof *nt);
            if (!nt)
                return k->failed = 1;
            k->t = nt;
            k->cap = cap;
        }
        best = k->n++;
        memset(&k->t[best], 0, sizeof(track));
        snprintf(k->t[best].first, 11, "%s", k->date);
        k->t[best].area_first = area;
    }
    track *t = &k->t[best];
    /* A second part of the same object in this scene joins the first. */
    int second = t->matched && t->no > 0 && t->o[t->no - 1].scene == k->scene && t->wkt;
    char *w = second ? sw__wkt_union(t->wkt, wkt) : strdup(wkt);
    if (!w)
        return k->failed = 1;
    free(t->wkt);
    t->wkt = w;
    if (second) {
        wkt_box(w, t->box);
        wkt = w;
    } else {
        memcpy(t->box, box, sizeof box);
    }
    if (sw__wkt_centroid(wkt, &t->cx, &t->cy) != 0)
        t->cx = t->cy = NAN;
    if (!t->matched) {
        t->matched = 1;
        t->consec++;
        t->area_last = 0;
    }
    t->area_last += area;
    snprintf(t->last, 11, "%s", k->date);
    if (t->no == t->co) {
        int co = t->co ? 2 * t->co : 8;
        obs *no = realloc(t->o, (size_t)co * sizeof *no);
        if (!no)
            return k->failed = 1;
        t->o = no;
        t->co = co;
    }
    if (t->no > 0 && t->o[t->no - 1].scene == k->scene) {
        t->o[t->no - 1].area += area; /* a second part of the same object */
    } else {
        t->o[t->no].scene = k->scene;
        t->o[t->no].area = area;
        t->o[t->no].score = score;
        t->no++;
    }
    return 0;
}

/* After a scene: objects not seen there lose their run of consecutive
 * scenes, unless the scene did not see their place (cloud, nodata: they
 * keep it); those seen in `confirm` in a row are confirmed on date. */
static void confirm_step(tracker *k, int confirm, const char *date, const char *chip, const char *mask,
                         const char *base_chip, const char *base_mask)
{
    /* The unmatched objects' centres, and whether either date missed them. */
    double *x = malloc((size_t)(k->n + 1) * sizeof *x), *y = malloc((size_t)(k->n + 1) * sizeof *y);
    uint8_t *unseen = calloc((size_t)k->n + 1, 1);
    int *at = malloc((size_t)(k->n + 1) * sizeof *at), m = 0;
    for (int t = 0; x && y && at && t < k->n; t++) {
        at[t] = -1;
        if (!k->t[t].matched && !isnan(k->t[t].cx)) {
            x[m] = k->t[t].cx;
            y[m] = k->t[t].cy;
            at[t] = m++;
        }
    }
    if (x && y && at && unseen && m > 0) {
        sw__points_unseen(chip, mask, x, y, m, unseen);
        sw__points_unseen(base_chip, base_mask, x, y, m, unseen);
    }
    for (int t = 0; t < k->n; t++) {
        track *tr = &k->t[t];
        if (tr->matched) {
            if (tr->consec >= confirm && !tr->confirmed[0])
                snprintf(tr->confirmed, 11, "%s", date);
        } else if (!(at && unseen && at[t] >= 0 && unseen[at[t]])) {
            tr->consec = 0; /* its place was seen, and it was not there */
        }
    }
    free(x);
    free(y);
    free(at);
    free(unseen);
}

/* Removes kept comparisons (.pairs/KEY.gpkg) not among used[1..n-1] and
 * older than a minute. */
static void prune_pairs(const char *pairs, char (*used)[25], int n)
{
    DIR *d = opendir(pairs);
    struct dirent *e;
    time_t now = time(NULL);
    while (d && (e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l != 29 || strcmp(e->d_name + 24, ".gpkg") != 0)
            continue;
        int keep = 0;
        for (int u = 1; u < n && !keep; u++)
            keep = strncmp(e->d_name, used[u], 24) == 0;
        char p[1400];
        snprintf(p, sizeof p, "%s/%s", pairs, e->d_name);
        struct stat st;
        if (!keep && stat(p, &st) == 0 && now - st.st_mtime > 60)
            unlink(p);
    }
    if (d)
        closedir(d);
}

/* An analysis killed before it cleaned up leaves .analysis-PID with its
 * detect outputs; they go once that process is gone. */
static void remove_stale(sw_catalog *cat, const char *site)
{
    char *base = site_path(cat, site, "");
    DIR *d = base ? opendir(base) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, ".analysis-", 10) != 0)
            continue;
        long pid = atol(e->d_name + 10);
        if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char sub[1600];
        snprintf(sub, sizeof sub, "%s/%s", base, e->d_name);
        DIR *s = opendir(sub);
        struct dirent *f;
        while (s && (f = readdir(s))) {
            if (f->d_name[0] == '.')
                continue;
            char p[2000];
            snprintf(p, sizeof p, "%s/%s", sub, f->d_name);
            unlink(p);
        }
        if (s)
            closedir(s);
        rmdir(sub);
    }
    if (d)
        closedir(d);
    free(base);
}

int sw__run_sql(sw_ctx *ctx, sw_catalog *cat, sqlite3_stmt **st, const char *sql)
{
    if (sqlite3_prepare_v2(cat->db, sql, -1, st, NULL) != SQLITE_OK)
        return sw__db_err(ctx, cat, "cannot update the analysis");
    return 0;
}

static const char *const detect_outputs[] = {"score.tif", "mask.tif", "changes.geojson", "changes.gpkg",
                                             "quicklook.png", "summary.json"};

int sw_site_analyze(sw_ctx *ctx, sw_catalog *cat, const char *site_name, const sw_analyze_opts *opts,
                    void (*fn)(const sw_alert *a, void *user), void *user, int64_t *nobjects)
{
    sw_analyze_opts def;
    if (!opts) {
        sw_analyze_opts_init(&def);
        opts = &def;
    }
    int confirm = opts->confirm > 0 ? opts->confirm : 2;
    double min_usable = opts->min_usable >= 0 ? opts->min_usable : 0.5;
    sw_site site = {0};
    int rc = sw_site_get(ctx, cat, site_name, &site);
    if (rc)
        return rc;
    /* The usable scenes in date order. */
    sqlite3_stmt *st;
    int64_t *ids = NULL;
    char (*dates)[11] = NULL;
    char **chips = NULL, **masks = NULL, **udm = NULL;
    double *cover = NULL, *cloud = NULL;
    int *use = NULL; /* the usable scenes, in date order */
    double *sx = NULL, *sy = NULL; /* each scene's shift onto the baseline, where computed (else NAN) */
    int n = 0, nall = 0, cap = 0;
    if ((rc = sw__run_sql(ctx, cat, &st,
                      "SELECT id, acquired, chip_path, usable_fraction, mask_path FROM scenes WHERE site_id = ?1 "
                      "ORDER BY acquired, id")) != 0)
        goto out;
    sqlite3_bind_int64(st, 1, site.id);
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            ids = realloc(ids, (size_t)cap * sizeof *ids);
            dates = realloc(dates, (size_t)cap * sizeof *dates);
            chips = realloc(chips, (size_t)cap * sizeof *chips);
            masks = realloc(masks, (size_t)cap * sizeof *masks);
            cover = realloc(cover, (size_t)cap * sizeof *cover);
            cloud = realloc(cloud, (size_t)cap * sizeof *cloud);
            udm = realloc(udm, (size_t)cap * sizeof *udm);
            if (!ids || !dates || !chips || !masks || !cover || !cloud || !udm) {
                sqlite3_finalize(st);
                rc = sw__err(ctx, SW_ENOMEM, "out of memory");
                goto out;
            }
        }
        ids[n] = sqlite3_column_int64(st, 0);
        snprintf(dates[n], 11, "%s", (const char *)sqlite3_column_text(st, 1));
        chips[n] = strdup((const char *)sqlite3_column_text(st, 2));
        cover[n] = sqlite3_column_double(st, 3);
        cloud[n] = 0.0;
        const unsigned char *mp = sqlite3_column_text(st, 4);
        udm[n] = mp ? strdup((const char *)mp) : NULL;
        size_t ml = chips[n] ? strlen(chips[n]) + 16 : 0;
        masks[n] = ml ? malloc(ml) : NULL;
        if (!chips[n] || !masks[n]) {
            free(chips[n]);
            free(masks[n]);
            sqlite3_finalize(st);
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(masks[n], ml, "%.*s.clouds.tif", (int)(strlen(chips[n]) - 4), chips[n]);
        n++;
    }
    sqlite3_finalize(st);
    /* Clouds and their shadows, each scene against its neighbours in time;
     * then the scenes usable enough, in date order. */
    if ((rc = sw__chips_screen(ctx, chips, dates, udm, n, masks, cloud)) != 0)
        goto out;
    nall = n;
    use = malloc((size_t)(n > 0 ? n : 1) * sizeof *use);
    sx = malloc((size_t)(n > 0 ? n : 1) * sizeof *sx);
    sy = malloc((size_t)(n > 0 ? n : 1) * sizeof *sy);
    for (int i = 0; sx && sy && i < n; i++)
        sx[i] = sy[i] = NAN;
    if (!use || !sx || !sy) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        goto out;
    }
    n = 0;
    for (int i = 0; i < nall; i++)
        if (cover[i] * (1.0 - cloud[i]) >= min_usable)
            use[n++] = i;
    /* Each later scene against the baseline, the objects followed by overlap. */
    /* Objects under 25 pixels (and 50 m2) are not told from noise. */
    double min_default = fmax(50.0, 25.0 * site.resolution_m * site.resolution_m);
    tracker k = {.min_area = opts->min_area_m2 >= 0 ? opts->min_area_m2 : min_default};
    char own[64];
    snprintf(own, sizeof own, "/.analysis-%ld", (long)getpid());
    char *dir = site_path(cat, site.name, own);
    if (!dir) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        goto out;
    }
    remove_stale(cat, site.name);
    /* Each pair's objects are kept under a key of what made them (the
     * chips, their cloud masks, the settings), so an ingest compares only
     * the pairs it changed. */
    char *pairs = site_path(cat, site.name, "/.pairs"), (*used)[25] = calloc((size_t)(n > 0 ? n : 1), sizeof *used);
    if (!pairs || !used) {
        free(pairs);
        free(used);
        free(dir);
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        goto out;
    }
    rc = sw__mkdir_p(ctx, pairs);
    /* The baseline's mask, hashed once for every pair's key. */
    char mh0[65] = "-";
    if (n > 1 && cloud[use[0]] > 0 && sw__sha256_file(ctx, masks[use[0]], mh0) != 0)
        snprintf(mh0, sizeof mh0, "?");
    for (int u = 1; u < n && rc == 0; u++) {
        int i = use[u], i0 = use[0];
        char key[8192], mh[2][65] = {"-", "-"}, hex[65], cached[1400];
        memcpy(mh[0], mh0, sizeof mh0);
        if (cloud[i] > 0 && sw__sha256_file(ctx, masks[i], mh[1]) != 0)
            snprintf(mh[1], sizeof mh[1], "?");
        snprintf(key, sizeof key, "sitewatch-pair-v1|%s|%s|%s|%s|%.3f", chips[i0], chips[i], mh[0], mh[1],
                 k.min_area);
        sw__sha256_hex(key, strlen(key), hex);
        snprintf(used[u], sizeof used[u], "%.24s", hex);
        snprintf(cached, sizeof cached, "%s/%.24s.gpkg", pairs, hex);
        for (int t = 0; t < k.n; t++)
            k.t[t].matched = 0;
        k.scene = ids[i];
        k.date = dates[i];
        if (access(cached, R_OK) == 0) {
            sw_ctx *quiet = sw_ctx_new();
            int r2 = sw__vectors_read(quiet, cached, on_object, &k);
            sw_ctx_free(quiet);
            if (r2 == 0 && !k.failed) {
                confirm_step(&k, confirm, dates[i], chips[i], cloud[i] > 0 ? masks[i] : NULL, chips[i0],
                             cloud[i0] > 0 ? masks[i0] : NULL);
                continue;
            }
            rc = sw__err(ctx, SW_EIO, "%s: a kept comparison cannot be read; remove it and ingest again", cached);
            break;
        }
        sw_detect_opts d;
        sw_detect_opts_init(&d);
        /* Monitoring settings: few changes per scene, so the threshold is
         * Kittler-Illingworth's (Otsu splits the noise when nothing changed),
         * and an opening drops the one-pixel slivers resampling leaves
         * along edges. */
        d.method = "auto";
        d.threshold = SW_THRESHOLD_KI;
        d.morph = SW_MORPH_OPEN;
        d.sliver_width = 3.0;
        d.min_area = k.min_area;
        d.threads = 0;
        d.mask_before = cloud[i0] > 0 ? masks[i0] : NULL;
        d.mask_after = cloud[i] > 0 ? masks[i] : NULL;
        d.mask_cloudy = 1;
        sw_detect_result res;
        d.no_quicklook = 1;
        d.sample_pixels = 250000; /* statistics of a site need no more */
        rc = sw_detect_run(ctx, chips[i0], chips[i], dir, &d, &res);
        if (rc)
            break;
        sx[i] = res.shift_dx;
        sy[i] = res.shift_dy;
        char gpkg[1200];
        snprintf(gpkg, sizeof gpkg, "%s/changes.gpkg", dir);
        rc = sw__vectors_read(ctx, gpkg, on_object, &k);
        if (k.failed)
            rc = sw__err(ctx, SW_ENOMEM, "out of memory following objects");
        if (rc == 0) {
            confirm_step(&k, confirm, dates[i], chips[i], cloud[i] > 0 ? masks[i] : NULL, chips[i0],
                         cloud[i0] > 0 ? masks[i0] : NULL);
            rename(gpkg, cached); /* kept for the next analysis; harmless if it fails */
        }
    }
    /* Comparisons no longer asked for go (after a minute: another analysis
     * may have just made one). */
    if (rc == 0)
        prune_pairs(pairs, used, n);
    free(pairs);
    free(used);
    for (size_t f = 0; f < sizeof detect_outputs / sizeof detect_outputs[0]; f++) {
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", dir, detect_outputs[f]);
        unlink(p);
    }
    rmdir(dir);
    free(dir);
    if (rc) {
        tracks_free(&k);
        goto out;
    }
    /* Persist, keeping the ids of objects an earlier analysis found. */
    const char *last_date = n > 0 ? dates[use[n - 1]] : "";
    char now[32];
    now_iso(now);
    rc = exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
    if (rc == 0 && (rc = sw__run_sql(ctx, cat, &st, "UPDATE scenes SET cloud_fraction = ?2, cloud_mask = ?3, "
                                                    "shift_x = coalesce(?4, shift_x), shift_y = coalesce(?5, shift_y) "
                                                    "WHERE id = ?1")) == 0) {
        for (int i = 0; i < nall && rc == 0; i++) {
            sqlite3_reset(st);
            sqlite3_clear_bindings(st);
            sqlite3_bind_int64(st, 1, ids[i]);
            sqlite3_bind_double(st, 2, cloud[i]);
            if (cloud[i] > 0)
                sqlite3_bind_text(st, 3, masks[i], -1, SQLITE_TRANSIENT);
            else
                sqlite3_bind_null(st, 3);
            if (i == (n > 0 ? use[0] : -1)) {
                sqlite3_bind_double(st, 4, 0.0); /* the baseline itself */
                sqlite3_bind_double(st, 5, 0.0);
            } else if (!isnan(sx[i])) {
                sqlite3_bind_double(st, 4, sx[i]);
                sqlite3_bind_double(st, 5, sy[i]);
            }
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = sw__db_err(ctx, cat, "cannot record the cloud screen");
        }
        sqlite3_finalize(st);
    }
    /* What this analysis ran with, for the report. */
    if (rc == 0 && (rc = sw__run_sql(ctx, cat, &st, "INSERT INTO runs(site_id, started_at, command, parameters) "
                                                    "VALUES(?1, ?2, 'analyze', ?3)")) == 0) {
        char params[512];
        snprintf(params, sizeof params,
                 "{\"method\":\"auto\",\"threshold\":\"kittler-illingworth\",\"morphology\":\"open 3x3\",\"sliver_width_px\":3,"
                 "\"min_area_m2\":%.1f,\"confirm\":%d,\"min_usable\":%.2f,\"baseline\":\"%s\","
                 "\"scenes\":%d,\"scenes_usable\":%d,\"cloud_screen\":\"median of the 10 nearest scenes\"}",
                 k.min_area, confirm, min_usable, n > 0 ? dates[use[0]] : "", nall, n);
        sqlite3_bind_int64(st, 1, site.id);
        sqlite3_bind_text(st, 2, now, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, params, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sw__db_err(ctx, cat, "cannot record the run");
        sqlite3_finalize(st);
    }
    typedef struct old_obj {
        int64_t id;
        char *wkt;
        double box[4];
        int dismissed, taken;
    } old_obj;
    old_obj *old = NULL;
    int nold = 0, capold = 0;
    if (rc == 0 && (rc = sw__run_sql(ctx, cat, &st, "SELECT id, geometry_wkt, dismissed FROM objects WHERE site_id = ?1")) == 0) {
        sqlite3_bind_int64(st, 1, site.id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (nold == capold) {
                capold = capold ? 2 * capold : 32;
                old_obj *no = realloc(old, (size_t)capold * sizeof *no);
                if (!no)
                    break;
                old = no;
            }
            const unsigned char *w = sqlite3_column_text(st, 1);
            old[nold].id = sqlite3_column_int64(st, 0);
            old[nold].wkt = strdup(w ? (const char *)w : "");
            wkt_box(old[nold].wkt, old[nold].box);
            old[nold].dismissed = sqlite3_column_int(st, 2);
            old[nold].taken = 0;
            nold++;
        }
        sqlite3_finalize(st);
    }
    sqlite3_stmt *del = NULL, *upd = NULL, *ins = NULL, *obsins = NULL, *hasalert = NULL, *alertins = NULL;
    if (rc == 0)
        rc = sw__run_sql(ctx, cat, &del, "DELETE FROM observations WHERE object_id IN (SELECT id FROM objects WHERE site_id = ?1)");
    if (rc == 0) {
        sqlite3_bind_int64(del, 1, site.id);
        if (sqlite3_step(del) != SQLITE_DONE)
            rc = sw__db_err(ctx, cat, "cannot update the analysis");
    }
    if (rc == 0)
        rc = sw__run_sql(ctx, cat, &upd, "UPDATE objects SET status = ?2, first_seen = ?3, last_seen = ?4, confirmed = ?5, "
                                     "confirmed_at = ?6, geometry_wkt = ?7, area_m2 = ?8 WHERE id = ?1");
    if (rc == 0)
        rc = sw__run_sql(ctx, cat, &ins, "INSERT INTO objects(site_id, status, first_seen, last_seen, confirmed, confirmed_at, "
                                     "geometry_wkt, area_m2) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (rc == 0)
        rc = sw__run_sql(ctx, cat, &obsins, "INSERT INTO observations(object_id, scene_id, area_m2, score) VALUES(?1, ?2, ?3, ?4)");
    if (rc == 0)
        rc = sw__run_sql(ctx, cat, &hasalert, "SELECT count(*) FROM alerts WHERE object_id = ?1");
    if (rc == 0)
        rc = sw__run_sql(ctx, cat, &alertins, "INSERT INTO alerts(site_id, object_id, created_at, kind, message) "
                                          "VALUES(?1, ?2, ?3, 'new', ?4)");
    sw_alert *fresh = NULL;
    int nfresh = 0;
    for (int t = 0; t < k.n && rc == 0; t++) {
        track *tr = &k.t[t];
        /* Its area: the median of its last three sightings, so one noisy
         * scene does not set it. */
        if (tr->no > 0) {
            int m = tr->no < 3 ? tr->no : 3;
            double a[3];
            for (int i = 0; i < m; i++)
                a[i] = tr->o[tr->no - m + i].area;
            for (int i = 1; i < m; i++)
                for (int j = i; j > 0 && a[j] < a[j - 1]; j--) {
                    double x = a[j];
                    a[j] = a[j - 1];
                    a[j - 1] = x;
                }
            tr->area_last = m == 2 ? 0.5 * (a[0] + a[1]) : a[m / 2];
        }
        const char *status = strcmp(tr->last, last_date) != 0 ? "gone"
                             : strcmp(tr->first, last_date) == 0 ? "new"
                             : tr->area_last > 1.15 * tr->area_first ? "growing" : "stable";
        int best = -1, dismissed = 0;
        double bo = 0.3;
        for (int o = 0; o < nold; o++) {
            if (old[o].taken || !boxes_meet(old[o].box, tr->box))
                continue;
            double ov = sw__wkt_overlap(old[o].wkt, tr->wkt);
            if (ov >= bo) {
                bo = ov;
                best = o;
            }
        }
        sqlite3_stmt *w = best >= 0 ? upd : ins;
        sqlite3_reset(w);
        sqlite3_bind_int64(w, 1, best >= 0 ? old[best].id : site.id);
        sqlite3_bind_text(w, 2, status, -1, SQLITE_STATIC);
        sqlite3_bind_text(w, 3, tr->first, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(w, 4, tr->last, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(w, 5, tr->confirmed[0] != 0);
        if (tr->confirmed[0])
            sqlite3_bind_text(w, 6, tr->confirmed, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(w, 6);
        sqlite3_bind_text(w, 7, tr->wkt, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(w, 8, tr->area_last);
        if (sqlite3_step(w) != SQLITE_DONE) {
            rc = sw__db_err(ctx, cat, "cannot record an object");
            break;
        }
        if (best >= 0) {
            old[best].taken = 1;
            tr->id = old[best].id;
            dismissed = old[best].dismissed;
        } else {
            tr->id = sqlite3_last_insert_rowid(cat->db);
        }
        for (int o = 0; o < tr->no && rc == 0; o++) {
            sqlite3_reset(obsins);
            sqlite3_bind_int64(obsins, 1, tr->id);
            sqlite3_bind_int64(obsins, 2, tr->o[o].scene);
            sqlite3_bind_double(obsins, 3, tr->o[o].area);
            sqlite3_bind_double(obsins, 4, tr->o[o].score);
            if (sqlite3_step(obsins) != SQLITE_DONE)
                rc = sw__db_err(ctx, cat, "cannot record an observation");
        }
        if (rc || !tr->confirmed[0] || dismissed)
            continue;
        sqlite3_reset(hasalert);
        sqlite3_bind_int64(hasalert, 1, tr->id);
        if (sqlite3_step(hasalert) == SQLITE_ROW && sqlite3_column_int(hasalert, 0) == 0) {
            char msg[256];
            snprintf(msg, sizeof msg, "new object of %.0f m2, first seen %s, confirmed %s", tr->area_last, tr->first,
                     tr->confirmed);
            sqlite3_reset(alertins);
            sqlite3_bind_int64(alertins, 1, site.id);
            sqlite3_bind_int64(alertins, 2, tr->id);
            sqlite3_bind_text(alertins, 3, now, -1, SQLITE_STATIC);
            sqlite3_bind_text(alertins, 4, msg, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(alertins) != SQLITE_DONE) {
                rc = sw__db_err(ctx, cat, "cannot record an alert");
            } else {
                sw_alert *na = realloc(fresh, (size_t)(nfresh + 1) * sizeof *na);
                if (na) {
                    fresh = na;
                    sw_alert *a = &fresh[nfresh++];
                    memset(a, 0, sizeof *a);
                    a->id = sqlite3_last_insert_rowid(cat->db);
                    a->object_id = tr->id;
                    snprintf(a->date, 11, "%s", tr->confirmed);
                    snprintf(a->first_seen, 11, "%s", tr->first);
                    a->area_m2 = tr->area_last;
                    a->site = site.name;
                }
            }
        }
    }
    /* Objects no longer found go, unless the analyst dismissed them or an
     * alert was raised for them: those stay, withdrawn, with their alerts
     * (an alert once raised is never erased). */
    for (int o = 0; o < nold && rc == 0; o++) {
        if (old[o].taken || old[o].dismissed)
            continue;
        sqlite3_reset(hasalert);
        sqlite3_bind_int64(hasalert, 1, old[o].id);
        int alerted = sqlite3_step(hasalert) == SQLITE_ROW && sqlite3_column_int(hasalert, 0) > 0;
        rc = alerted ? exec_id(ctx, cat,
                               "UPDATE objects SET status = 'withdrawn', confirmed = 0, confirmed_at = NULL WHERE id = ?1",
                               old[o].id, "cannot withdraw an object")
                     : exec_id(ctx, cat, "DELETE FROM objects WHERE id = ?1", old[o].id, "cannot drop an object");
    }
    /* An open alert whose object more scenes no longer confirm (scenes
     * arrived out of order) is withdrawn. */
    if (rc == 0)
        rc = exec_id(ctx, cat, "UPDATE alerts SET state = 'withdrawn' WHERE state = 'open' AND object_id IN "
                               "(SELECT id FROM objects WHERE site_id = ?1 AND confirmed = 0)", site.id,
                     "cannot withdraw alerts");
    sqlite3_finalize(del);
    sqlite3_finalize(upd);
    sqlite3_finalize(ins);
    sqlite3_finalize(obsins);
    sqlite3_finalize(hasalert);
    sqlite3_finalize(alertins);
    rc = end_tx(ctx, cat, rc);
    if (rc == 0 && fn)
        for (int a = 0; a < nfresh; a++)
            fn(&fresh[a], user);
    if (rc == 0 && nobjects)
        *nobjects = k.n;
    free(fresh);
    for (int o = 0; o < nold; o++)
        free(old[o].wkt);
    free(old);
    tracks_free(&k);
out:
    for (int i = 0; i < (nall > n ? nall : n); i++) {
        free(chips[i]);
        free(masks[i]);
        if (udm)
            free(udm[i]);
    }
    free(chips);
    free(masks);
    free(udm);
    free(cover);
    free(cloud);
    free(use);
    free(sx);
    free(sy);
    free(ids);
    free(dates);
    sw_site_clear(&site);
    return rc;
}

int sw_site_timeline(sw_ctx *ctx, sw_catalog *cat, const char *site_name,
                     int (*fn)(const sw_timeline_row *row, void *user), void *user)
{
    sw_site site = {0};
    int rc = sw_site_get(ctx, cat, site_name, &site);
    if (rc)
        return rc;
    sqlite3_stmt *st;
    rc = sw__run_sql(ctx, cat, &st,
                 "SELECT c.acquired, c.sensor, c.usable_fraction * (1 - c.cloud_fraction),"
                 " (SELECT coalesce(sum(b.area_m2), 0) FROM observations b WHERE b.scene_id = c.id),"
                 " (SELECT count(*) FROM objects o WHERE o.site_id = c.site_id AND o.first_seen = c.acquired),"
                 " (SELECT count(*) FROM objects o WHERE o.site_id = c.site_id AND o.confirmed_at = c.acquired),"
                 " (SELECT coalesce(sum(b.area_m2), 0) FROM observations b JOIN objects o ON o.id = b.object_id"
                 "   WHERE b.scene_id = c.id AND o.confirmed_at IS NOT NULL AND o.confirmed_at <= c.acquired),"
                 " c.cloud_fraction"
                 " FROM scenes c WHERE c.site_id = ?1 ORDER BY c.acquired, c.id");
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, site.id);
        int s2;
        while ((s2 = sqlite3_step(st)) == SQLITE_ROW) {
            sw_timeline_row r = {0};
            snprintf(r.date, sizeof r.date, "%s", (const char *)sqlite3_column_text(st, 0));
            const unsigned char *sen = sqlite3_column_text(st, 1);
            snprintf(r.sensor, sizeof r.sensor, "%s", sen ? (const char *)sen : "");
            r.usable_fraction = sqlite3_column_double(st, 2);
            r.changed_area_m2 = sqlite3_column_double(st, 3);
            r.new_objects = sqlite3_column_int64(st, 4);
            r.confirmed_objects = sqlite3_column_int64(st, 5);
            r.cumulative_new_m2 = sqlite3_column_double(st, 6);
            r.cloud_fraction = sqlite3_column_double(st, 7);
            if (fn(&r, user))
                break;
        }
        if (s2 != SQLITE_ROW && s2 != SQLITE_DONE)
            rc = sw__db_err(ctx, cat, "cannot read the timeline");
        sqlite3_finalize(st);
    }
    sw_site_clear(&site);
    return rc;
}

int sw_alert_list(sw_ctx *ctx, sw_catalog *cat, const char *site, const char *since,
                  int (*fn)(const sw_alert_row *a, void *user), void *user)
{
    sqlite3_stmt *st;
    int rc = sw__run_sql(ctx, cat, &st,
                     "SELECT a.id, a.object_id, s.name, a.created_at, a.state, a.message FROM alerts a "
                     "JOIN sites s ON s.id = a.site_id WHERE (?1 IS NULL OR s.name = ?1) "
                     "AND (?2 IS NULL OR a.created_at >= ?2) ORDER BY a.created_at DESC, a.id DESC");
    if (rc)
        return rc;
    if (site)
        sqlite3_bind_text(st, 1, site, -1, SQLITE_TRANSIENT);
    if (since)
        sqlite3_bind_text(st, 2, since, -1, SQLITE_TRANSIENT);
    int s2;
    while ((s2 = sqlite3_step(st)) == SQLITE_ROW) {
        sw_alert_row a = {0};
        a.id = sqlite3_column_int64(st, 0);
        a.object_id = sqlite3_column_int64(st, 1);
        snprintf(a.site, sizeof a.site, "%s", (const char *)sqlite3_column_text(st, 2));
        snprintf(a.created, sizeof a.created, "%s", (const char *)sqlite3_column_text(st, 3));
        snprintf(a.state, sizeof a.state, "%s", (const char *)sqlite3_column_text(st, 4));
        a.message = (const char *)sqlite3_column_text(st, 5);
        if (fn(&a, user))
            break;
    }
    rc = s2 == SQLITE_ROW || s2 == SQLITE_DONE ? 0 : sw__db_err(ctx, cat, "cannot read alerts");
    sqlite3_finalize(st);
    if (rc == 0 && site) {
        sw_site tmp = {0};
        rc = sw_site_get(ctx, cat, site, &tmp);
        sw_site_clear(&tmp);
    }
    return rc;
}

int sw_alert_set(sw_ctx *ctx, sw_catalog *cat, int64_t id, const char *state)
{
    if (strcmp(state, "acknowledged") && strcmp(state, "dismissed"))
        return sw__err(ctx, SW_EARG, "alert state '%s': acknowledged or dismissed", state);
    int rc = exec(ctx, cat, "BEGIN IMMEDIATE", "cannot start a transaction");
    sqlite3_stmt *st = NULL;
    if (rc == 0 && (rc = sw__run_sql(ctx, cat, &st, "UPDATE alerts SET state = ?2 WHERE id = ?1")) == 0) {
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, state, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            rc = sw__db_err(ctx, cat, "cannot update the alert");
        else if (sqlite3_changes(cat->db) == 0)
            rc = sw__err(ctx, SW_EARG, "%s: no alert %lld", cat->path, (long long)id);
        sqlite3_finalize(st);
    }
    if (rc == 0 && !strcmp(state, "dismissed"))
        rc = exec_id(ctx, cat, "UPDATE objects SET dismissed = 1 WHERE id = (SELECT object_id FROM alerts WHERE id = ?1)",
                     id, "cannot dismiss the object");
    rc = end_tx(ctx, cat, rc);
    return rc;
}

/* One SMART site model: the object's site feature and an observation per
 * usable scene. */
static int write_smart(sw_ctx *ctx, sw_catalog *cat, const sw_site *site, const sw__site_object *o,
                       const char *path)
{
    char *geom = sw__wkt_to_geojson(o->wkt, site->crs_epsg);
    if (!geom)
        return sw__err(ctx, SW_EFORMAT, "object %lld: cannot write its outline in WGS84", (long long)o->id);
    sw__buf b = {0};
    sw__json j;
    sw__json_init(&j, &b);
    char site_id[160];
    snprintf(site_id, sizeof site_id, "%s_%04lld", site->name, (long long)o->id);
    sw__json_collection(&j);
    sw__json_key(&j, "features");
    sw__json_arr(&j);
    sw__json_feature(&j);
    const char *kv[][2] = {{"type", "site"},          {"region_id", site->name},   {"site_id", site_id},
                           {"version", "2.0.1"},      {"mgrs", ""},                {"model_content", "proposed"},
                           {"originator", "sitewatch"}, {"start_date", o->first_seen}, {"end_date", o->last_seen},
                           {"status", o->confirmed_at[0] ? "system_confirmed" : "system_proposed"}};
    for (size_t i = 0; i < sizeof kv / sizeof kv[0]; i++) {
        sw__json_key(&j, kv[i][0]);
        sw__json_str(&j, kv[i][1]);
    }
    sw__json_key(&j, "score");
    sw__json_num(&j, o->confirmed_at[0] ? 1.0 : 0.5);
    sw__json_end(&j, '}');
    sw__json_key(&j, "geometry");
    sw__json_raw(&j, geom);
    sw__json_end(&j, '}');
    sqlite3_stmt *st;
    int rc = sw__run_sql(ctx, cat, &st,
                     "SELECT acquired, coalesce(sensor, ''), usable_fraction FROM scenes WHERE site_id = ?1 "
                     "AND usable_fraction * (1 - cloud_fraction) >= 0.5 ORDER BY acquired");
    if (rc == 0) {
        sqlite3_bind_int64(st, 1, site->id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *date = (const char *)sqlite3_column_text(st, 0);
            const char *phase = strcmp(date, o->first_seen) < 0 ? "No Activity"
                                : (!o->confirmed_at[0] || strcmp(date, o->confirmed_at) < 0) ? "Active Construction"
                                                                                             : "Post Construction";
            sw__json_feature(&j);
            sw__json_key(&j, "type");
            sw__json_str(&j, "observation");
            sw__json_key(&j, "observation_date");
            sw__json_str(&j, date);
            sw__json_key(&j, "source");
            sw__json_str(&j, "sitewatch");
            sw__json_key(&j, "sensor_name");
            sw__json_str(&j, (const char *)sqlite3_column_text(st, 1));
            sw__json_key(&j, "current_phase");
            sw__json_str(&j, phase);
            sw__json_key(&j, "is_occluded");
            sw__json_bool(&j, 0);
            sw__json_key(&j, "is_site_boundary");
            sw__json_bool(&j, 1);
            sw__json_key(&j, "score");
            sw__json_num(&j, 1.0);
            sw__json_end(&j, '}');
            sw__json_key(&j, "geometry");
            sw__json_raw(&j, geom);
            sw__json_end(&j, '}');
        }
        sqlite3_finalize(st);
    }
    sw__json_end(&j, ']');
    sw__json_end(&j, '}');
    sw__buf_putc(&b, '\n');
    if (rc == 0)
        rc = b.failed ? sw__err(ctx, SW_ENOMEM, "out of memory") : sw__file_write_atomic(ctx, path, b.data, b.len);
    sw__buf_free(&b);
    free(geom);
    return rc;
}

int sw__objects_load(sw_ctx *ctx, sw_catalog *cat, int64_t site_id, sw__site_object **out, int64_t *nout)
{
    sqlite3_stmt *st;
    sw__site_object *obj = NULL;
    int64_t n = 0, cap = 0;
    int rc;
    if ((rc = sw__run_sql(ctx, cat, &st,
                      "SELECT id, status, coalesce(first_seen, ''), coalesce(last_seen, ''), coalesce(confirmed_at, ''), "
                      "coalesce(area_m2, 0), dismissed, geometry_wkt FROM objects WHERE site_id = ?1 ORDER BY id")) == 0) {
        sqlite3_bind_int64(st, 1, site_id);
        while (sqlite3_step(st) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? 2 * cap : 32;
                sw__site_object *no = realloc(obj, (size_t)cap * sizeof *no);
                if (!no) {
                    rc = sw__err(ctx, SW_ENOMEM, "out of memory");
                    break;
                }
                obj = no;
            }
            sw__site_object *o = &obj[n++];
            memset(o, 0, sizeof *o);
            o->id = sqlite3_column_int64(st, 0);
            snprintf(o->status, sizeof o->status, "%s", (const char *)sqlite3_column_text(st, 1));
            snprintf(o->first_seen, sizeof o->first_seen, "%s", (const char *)sqlite3_column_text(st, 2));
            snprintf(o->last_seen, sizeof o->last_seen, "%s", (const char *)sqlite3_column_text(st, 3));
            snprintf(o->confirmed_at, sizeof o->confirmed_at, "%s", (const char *)sqlite3_column_text(st, 4));
            o->area_m2 = sqlite3_column_double(st, 5);
            o->dismissed = sqlite3_column_int(st, 6);
            const unsigned char *w = sqlite3_column_text(st, 7);
            o->wkt = strdup(w ? (const char *)w : "");
        }
        sqlite3_finalize(st);
    }
    if (rc) {
        sw__objects_free(obj, n);
        obj = NULL;
        n = 0;
    }
    *out = obj;
    *nout = n;
    return rc;
}

void sw__objects_free(sw__site_object *obj, int64_t n)
{
    for (int64_t i = 0; i < n; i++)
        free((char *)obj[i].wkt);
    free(obj);
}

int sw_site_export(sw_ctx *ctx, sw_catalog *cat, const char *site_name, const char *format, const char *out,
                   int64_t *nout)
{
    int gpkg = !strcmp(format, "gpkg"), smart = !strcmp(format, "smart");
    if (!gpkg && !smart && strcmp(format, "geojson"))
        return sw__err(ctx, SW_EARG, "export format '%s': smart, geojson or gpkg", format);
    sw_site site = {0};
    int rc = sw_site_get(ctx, cat, site_name, &site);
    if (rc)
        return rc;
    sw__site_object *obj = NULL;
    int64_t n = 0;
    rc = sw__objects_load(ctx, cat, site.id, &obj, &n);
    if (rc == 0 && smart) {
        rc = sw__mkdir_p(ctx, out);
        for (int64_t i = 0; i < n && rc == 0; i++) {
            char path[4200];
            snprintf(path, sizeof path, "%s/%s_%04lld.geojson", out, site.name, (long long)obj[i].id);
            rc = write_smart(ctx, cat, &site, &obj[i], path);
        }
    } else if (rc == 0) {
        size_t len = strlen(out) + 32;
        char *tmp = malloc(len);
        if (!tmp) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        } else {
            /* the extension tells GDAL nothing here: the driver is chosen */
            snprintf(tmp, len, "%s.tmp-%ld", out, (long)getpid());
            rc = sw__objects_write(ctx, tmp, gpkg, site.crs_epsg, obj, n);
            if (rc == 0 && rename(tmp, out) != 0)
                rc = sw__err(ctx, SW_EIO, "%s: cannot rename into place: %s", out, strerror(errno));
            if (rc)
                sw__io_delete(tmp);
            free(tmp);
        }
    }
    if (rc == 0 && nout)
        *nout = n;
    sw__objects_free(obj, n);
    sw_site_clear(&site);
    return rc;
}
