/*
 * sitewatch/catalog.h: the catalog of watched sites, one SQLite database.
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

enum { SW_CATALOG_SCHEMA = 1 };

typedef struct sw_catalog sw_catalog;

/* Opens the catalog at path, creating it (and bringing its schema up to
 * date) when create is non-zero; a missing file without create, a file
 * that is not a SQLite database, or one that is not a sitewatch catalog is
 * an error, and nothing is written to it. Returns new (close with
 * sw_catalog_close) or NULL with the message in ctx. */
sw_catalog *sw_catalog_open(sw_ctx *ctx, const char *path, int create);
void sw_catalog_close(sw_catalog *cat);

/* The catalog's schema version (SW_CATALOG_SCHEMA once open). */
int sw_catalog_schema(const sw_catalog *cat);

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
    double usable_fraction;
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

#ifdef __cplusplus
}
#endif
#endif
