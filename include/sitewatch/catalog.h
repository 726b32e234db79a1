/*
 * sitewatch/catalog.h: the catalog of watched sites: one SQLite file (the
 * default), or a PostgreSQL database with PostGIS for a team's thousands of
 * sites and the workers that share them (same calls, same behaviour).
 *
 * A site is a named area of interest with its own working grid (a local
 * UTM zone and a pixel size). The catalog keeps sites, the scenes ingested
 * for each, the change objects found and their observations per scene,
 * alerts and runs. Its schema is versioned and migrated on open; it runs in
 * WAL mode with foreign keys on, and every write is one transaction, so a
 * killed process leaves it as it was before the write.
 */
#ifndef SITEWATCH_CATALOG_H
#define SITEWATCH_CATALOG_H

#include "sitewatch/core.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { SW_CATALOG_SCHEMA = 7 };

typedef struct sw_catalog sw_catalog;

/* Opens the catalog at db: a file path (SQLite), or a `postgresql://` URL
 * or `postgres:SERVICE` (PostgreSQL with PostGIS; the database must exist,
 * an empty one becomes a catalog), creating it (and bringing its schema up
 * to date) when create is non-zero; a missing file without create, a file
 * that is not a SQLite database, or one that is not a sitewatch catalog is
 * an error, and nothing is written to it. Returns new (close with
 * sw_catalog_close) or NULL with the message in ctx. */
sw_catalog *sw_catalog_open(sw_ctx *ctx, const char *db, int create);
void sw_catalog_close(sw_catalog *cat);

/* Does db name a PostgreSQL catalog (rather than a SQLite file)? */
int sw_catalog_is_url(const char *db);

/* The catalog's schema version (SW_CATALOG_SCHEMA once open). */
int sw_catalog_schema(const sw_catalog *cat);

/* Its database engine and version, e.g. "SQLite 3.40.1" (static). */
const char *sw_catalog_engine(const sw_catalog *cat);

/* Where the catalog keeps chips and masks (files, not rows): a SQLite
 * catalog's default is CATALOG.chips beside the file; a PostgreSQL catalog
 * has none until one is set (a folder every worker reaches, e.g. on a
 * cluster's shared file system). Setting it is refused (SW_ECONFLICT) once
 * scenes are recorded elsewhere. NULL when none. */
const char *sw_catalog_chip_store(const sw_catalog *cat);
int sw_catalog_set_chip_store(sw_ctx *ctx, sw_catalog *cat, const char *dir);

typedef struct sw_site {
    int64_t id;
    char name[128];
    char *aoi_wkt;        /* the area of interest, WGS84 longitude/latitude polygon */
    int crs_epsg;         /* the site's working CRS: a UTM zone */
    double resolution_m;  /* working pixel size; 0: from the first scene */
    double buffer_m;      /* buffer applied to the AOI when it was added */
    double area_m2;       /* area of the (buffered) AOI */
    double lon, lat;      /* its centroid */
    char created[32];     /* UTC, ISO 8601 */
    int64_t scenes;       /* scenes ingested */
} sw_site;

/* Frees what a sw_site holds (not the struct). */
void sw_site_clear(sw_site *s);

/* Adds site `name` from the GeoJSON at aoi_path (its first feature: a
 * polygon, or a point with buffer_m > 0); buffer_m enlarges polygons too.
 * resolution_m may be 0. Fails with SW_EARG when the name is taken or
 * unusable, SW_EFORMAT when the AOI is malformed; nothing is written then.
 * site (may be NULL) receives the new site. */
int sw_site_add(sw_ctx *ctx, sw_catalog *cat, const char *name, const char *aoi_path, double buffer_m,
                double resolution_m, sw_site *site);

/* The detector a site is analysed with: "auto" (the default: by pixel size,
 * bands and kind) or a method's name (sitewatch detect --help lists them).
 * Setting it applies from the next analysis; comparisons made with another
 * method are made again. */
int sw_site_method(sw_ctx *ctx, sw_catalog *cat, const char *name, char *buf, size_t n);
int sw_site_set_method(sw_ctx *ctx, sw_catalog *cat, const char *name, const char *method);

/* Looks a site up by name: 0, or SW_EARG "no site NAME". */
int sw_site_get(sw_ctx *ctx, sw_catalog *cat, const char *name, sw_site *site);

/* Calls fn for every site in name order; stops early when fn returns
 * non-zero. */
int sw_site_list(sw_ctx *ctx, sw_catalog *cat, int (*fn)(const sw_site *s, void *user), void *user);

/* Removes a site with everything the catalog holds about it (scenes'
 * records, objects, alerts). Refuses (SW_EARG) when the site has scenes
 * and force is 0. Never touches the user's source files. */
int sw_site_remove(sw_ctx *ctx, sw_catalog *cat, const char *name, int force);

typedef struct sw_scene {
    int64_t id;
    char acquired[11], sensor[32];
    double usable_fraction; /* of the site the scene covers */
    double cloud_fraction;  /* of what it covers, under cloud or cloud shadow */
    const char *source;  /* borrowed, valid during the callback */
    const char *chip;
} sw_scene;

/* Calls fn for every scene of a site in date order; stops early when fn
 * returns non-zero. SW_EARG for an unknown site. */
int sw_scene_list(sw_ctx *ctx, sw_catalog *cat, const char *site, int (*fn)(const sw_scene *s, void *user),
                  void *user);

typedef struct sw_ingest_opts {
    const char *date;    /* YYYY-MM-DD; NULL: from the scene's name or metadata */
    const char *sensor;  /* NULL: from the scene's name or metadata */
    double margin_m;     /* around the AOI's bounds; < 0: 100 m */
    const char *mask;    /* a usability mask (band 1 non-zero where usable); NULL:
                            a PlanetScope UDM2 beside the scene, if any */
} sw_ingest_opts;

typedef struct sw_ingest_result {
    int64_t scene_id;
    int skipped;          /* the same content was ingested before */
    char date[11], sensor[32];
    double usable_fraction;
    char chip[1024];      /* the site chip (COG) beside the catalog */
} sw_ingest_result;

void sw_ingest_opts_init(sw_ingest_opts *o);

/* Ingests one scene into a site: hashes it (a scene already ingested is
 * skipped and said so), reads its date and sensor, cuts it to the site's
 * grid as a COG in CATALOG.chips/SITE/, and records it, all or nothing.
 * Errors: unknown site, a scene that misses the site, no date. */
int sw_ingest_scene(sw_ctx *ctx, sw_catalog *cat, const char *site, const char *path,
                    const sw_ingest_opts *opts, sw_ingest_result *res);

typedef struct sw_analyze_opts {
    int confirm;         /* consecutive usable scenes that confirm an object; 0: 2 */
    double min_area_m2;  /* objects smaller than this neither count nor alert; < 0: 25 pixels
                            of the site, at least 50 m2 */
    double min_usable;   /* scenes covering less of the site are skipped; < 0: 0.5 */
    int threads;         /* for each comparison; 0: all cores (a worker among others: its share) */
} sw_analyze_opts;

typedef struct sw_alert {
    int64_t id, object_id;
    char date[11];       /* the scene that confirmed it */
    char first_seen[11];
    double area_m2;
    const char *site;
} sw_alert;

void sw_analyze_opts_init(sw_analyze_opts *o);

/* Exports a site's change objects: format "geojson" (RFC 7946, WGS84) or
 * "gpkg" (the site's CRS) to the file out, or "smart": one IARPA SMART
 * site-model GeoJSON per object (a site feature and one observation feature
 * per usable scene, with current_phase) into the folder out. Files are
 * written under temporary names and renamed when whole. *n (may be NULL)
 * receives the number of objects. */
int sw_site_export(sw_ctx *ctx, sw_catalog *cat, const char *site, const char *format, const char *out, int64_t *n);

/* What a SMART export says of its origin. SMART's site-model schema admits
 * region ids like "KR_R001" (two capital letters, _R, _S or _T and three
 * digits) and, as originator, only its program's codes (te, pmo, acc, ast,
 * bla, iai, kit, str, iMERIT). */
typedef struct sw_export_opts {
    const char *region_id;  /* NULL: "XX_R000" (country and region unknown) */
    const char *originator; /* NULL: "sitewatch" (valid but for this field) */
} sw_export_opts;

/* sw_site_export with opts (NULL: the defaults); SW_EARG for a region id
 * the schema would refuse. */
int sw_site_export_with(sw_ctx *ctx, sw_catalog *cat, const char *site, const char *format, const char *out,
                        const sw_export_opts *opts, int64_t *n);

/* A stored alert, for listing. */
/* An alert as listed: derived from its object's state now (an analysis of
 * scenes that came later or out of order may have re-dated or re-measured
 * it since the alert was raised). */
typedef struct sw_alert_row {
    int64_t id, object_id;
    char site[128], created[32], state[16];
    const char *message; /* from the object's current state; borrowed, valid during the callback */
    const char *raised;  /* the text written when it was raised; borrowed, likewise */
    char status[16];     /* the object's: new, growing, stable, gone, withdrawn */
    char first_seen[11], last_seen[11], confirmed[11]; /* "" when not */
    double area_m2;
    double lon, lat;     /* the object's centre, WGS84; NAN when unknown */
    char mgrs[24];       /* its MGRS reference to 1 m ("52SCK 7412 2020" as "52SCK7412320204"); "" when unknown */
} sw_alert_row;

/* Lists alerts, newest first, of one site (NULL: all) created on or after
 * since (YYYY-MM-DD; NULL: all). */
int sw_alert_list(sw_ctx *ctx, sw_catalog *cat, const char *site, const char *since,
                  int (*fn)(const sw_alert_row *a, void *user), void *user);

/* Sets an alert's state: "acknowledged", or "dismissed", which also marks
 * its object dismissed so that it never alerts again. SW_EARG for an
 * unknown id. */
int sw_alert_set(sw_ctx *ctx, sw_catalog *cat, int64_t id, const char *state);

/* Screens every scene of a site for clouds and their shadows (against the
 * median of its nearest scenes in time; the masks lie beside the chips),
 * then compares every usable scene (covering min_usable of the site clear
 * of clouds) with its first usable scene (the baseline) by `detect` on
 * their chips, clouds masked, follows change objects across
 * dates by overlap (keeping their ids from earlier analyses), marks each
 * new, growing, stable or gone with first- and last-seen dates, confirms
 * those seen in `confirm` consecutive usable scenes, and raises one alert
 * per confirmed object that has none and is not dismissed; fn (may be
 * NULL) hears of each new alert. One transaction. *objects (may be NULL)
 * receives the number of objects. */
int sw_site_analyze(sw_ctx *ctx, sw_catalog *cat, const char *site, const sw_analyze_opts *opts,
                    void (*fn)(const sw_alert *a, void *user), void *user, int64_t *objects);

/* Writes a site's evidence report to out_path: one self-contained HTML
 * file (embedded pictures, inline SVG) with the site on its latest usable
 * scene, each confirmed object before, when first seen and latest (outline,
 * scale bar, north arrow), an activity chart, a table of all objects, the
 * scenes and the analysis parameters. Written whole or not at all.
 * *objects (may be NULL) receives the number of objects listed. */
int sw_site_report(sw_ctx *ctx, sw_catalog *cat, const char *site, const char *out_path, int64_t *objects);

/* One row of a site's timeline: per ingested scene, in date order. */
typedef struct sw_timeline_row {
    char date[11], sensor[32];
    double usable_fraction;      /* covered and clear of clouds */
    double cloud_fraction;       /* of what it covers, under cloud or cloud shadow */
    double changed_area_m2;      /* objects observed in this scene */
    int64_t new_objects;         /* first seen in this scene */
    int64_t confirmed_objects;   /* confirmed by this scene */
    double cumulative_new_m2;    /* area of the objects confirmed so far, as seen in this scene */
} sw_timeline_row;

int sw_site_timeline(sw_ctx *ctx, sw_catalog *cat, const char *site,
                     int (*fn)(const sw_timeline_row *row, void *user), void *user);

#ifdef __cplusplus
}
#endif
#endif
