/*
 * migrations.c: the catalog's schema, as numbered migrations, once for each
 * database. Migration N is the same change in both; a catalog records the
 * last it has applied (SQLite: PRAGMA user_version; PostgreSQL: the meta
 * table) and db.c applies the rest on open, each in its own transaction.
 *
 * PostgreSQL keeps geometries as PostGIS geometries with spatial indexes:
 * a site's area of interest in WGS84 (so "which sites does this footprint
 * meet" is one indexed query), objects in their site's CRS. SQLite keeps
 * them as WKT text.
 */
#include "catalog_int.h"

const char *const sw__migrations_sqlite[] = {
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
    /* 4: a scene's own usability mask (PlanetScope UDM2), on the chip's grid,
     * and its shift onto the baseline, in pixels, as co-registration found it */
    "ALTER TABLE scenes ADD COLUMN mask_path TEXT;"
    "ALTER TABLE scenes ADD COLUMN mask_source TEXT;"
    "ALTER TABLE scenes ADD COLUMN shift_x REAL;"
    "ALTER TABLE scenes ADD COLUMN shift_y REAL;",
    /* 5: comparisons kept between analyses: each pair's change objects */
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
    /* 7: the job queue (jobs.c), and where chips are kept when not beside the file */
    "CREATE TABLE jobs("
    "  id INTEGER PRIMARY KEY,"
    "  site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,"
    "  scene TEXT NOT NULL,"
    "  options TEXT NOT NULL DEFAULT '',"
    "  state TEXT NOT NULL DEFAULT 'queued',"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  max_attempts INTEGER NOT NULL DEFAULT 3,"
    "  token INTEGER NOT NULL DEFAULT 0,"
    "  worker TEXT,"
    "  lease_until INTEGER,"
    "  created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,"
    "  result TEXT, error TEXT);"
    "CREATE UNIQUE INDEX jobs_pending ON jobs(site_id, scene) WHERE state IN ('queued', 'running');"
    "CREATE INDEX jobs_state ON jobs(state, id);",
};

const char *const sw__migrations_pg[] = {
    /* 1 */
    "CREATE EXTENSION IF NOT EXISTS postgis;"
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "INSERT INTO meta VALUES('format', 'sitewatch-catalog'), ('schema_version', '0');"
    "CREATE TABLE sites("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  aoi geometry(Geometry, 4326) NOT NULL,"
    "  crs_epsg INTEGER NOT NULL,"
    "  resolution_m DOUBLE PRECISION NOT NULL DEFAULT 0,"
    "  buffer_m DOUBLE PRECISION NOT NULL DEFAULT 0,"
    "  area_m2 DOUBLE PRECISION NOT NULL,"
    "  lon DOUBLE PRECISION NOT NULL, lat DOUBLE PRECISION NOT NULL,"
    "  created_at TEXT NOT NULL);"
    "CREATE INDEX sites_aoi ON sites USING GIST(aoi);"
    "CREATE TABLE scenes("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,"
    "  source_path TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  acquired TEXT NOT NULL,"
    "  sensor TEXT,"
    "  chip_path TEXT,"
    "  usable_fraction DOUBLE PRECISION,"
    "  ingested_at TEXT NOT NULL,"
    "  UNIQUE(site_id, sha256));"
    "CREATE TABLE runs("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  site_id BIGINT REFERENCES sites(id) ON DELETE CASCADE,"
    "  started_at TEXT NOT NULL,"
    "  command TEXT,"
    "  parameters TEXT);"
    "CREATE TABLE objects("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,"
    "  status TEXT NOT NULL,"
    "  first_seen TEXT, last_seen TEXT,"
    "  confirmed INTEGER NOT NULL DEFAULT 0,"
    "  dismissed INTEGER NOT NULL DEFAULT 0,"
    "  geom geometry);"
    "CREATE INDEX objects_geom ON objects USING GIST(geom);"
    "CREATE TABLE observations("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  object_id BIGINT NOT NULL REFERENCES objects(id) ON DELETE CASCADE,"
    "  scene_id BIGINT NOT NULL REFERENCES scenes(id) ON DELETE CASCADE,"
    "  area_m2 DOUBLE PRECISION, score DOUBLE PRECISION,"
    "  UNIQUE(object_id, scene_id));"
    "CREATE TABLE alerts("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,"
    "  object_id BIGINT REFERENCES objects(id) ON DELETE CASCADE,"
    "  created_at TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'open',"
    "  message TEXT);"
    "CREATE INDEX scenes_site ON scenes(site_id, acquired);"
    "CREATE INDEX objects_site ON objects(site_id);"
    "CREATE INDEX observations_scene ON observations(scene_id);"
    "CREATE INDEX alerts_site ON alerts(site_id, created_at);"
    "CREATE INDEX alerts_object ON alerts(object_id);",
    /* 2 */
    "ALTER TABLE objects ADD COLUMN confirmed_at TEXT;"
    "ALTER TABLE objects ADD COLUMN area_m2 DOUBLE PRECISION;",
    /* 3 */
    "ALTER TABLE scenes ADD COLUMN cloud_fraction DOUBLE PRECISION NOT NULL DEFAULT 0;"
    "ALTER TABLE scenes ADD COLUMN cloud_mask TEXT;",
    /* 4 */
    "ALTER TABLE scenes ADD COLUMN mask_path TEXT;"
    "ALTER TABLE scenes ADD COLUMN mask_source TEXT;"
    "ALTER TABLE scenes ADD COLUMN shift_x DOUBLE PRECISION;"
    "ALTER TABLE scenes ADD COLUMN shift_y DOUBLE PRECISION;",
    /* 5 */
    "CREATE TABLE comparisons("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  created_at BIGINT NOT NULL,"
    "  UNIQUE(site_id, key));"
    "CREATE TABLE comparison_objects("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  comparison_id BIGINT NOT NULL REFERENCES comparisons(id) ON DELETE CASCADE,"
    "  geom geometry NOT NULL,"
    "  area_m2 DOUBLE PRECISION NOT NULL,"
    "  score DOUBLE PRECISION NOT NULL);"
    "CREATE INDEX comparison_objects_of ON comparison_objects(comparison_id);",
    /* 6 */
    "ALTER TABLE sites ADD COLUMN method TEXT NOT NULL DEFAULT 'auto';",
    /* 7 */
    "CREATE TABLE jobs("
    "  id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    "  site_id BIGINT NOT NULL REFERENCES sites(id) ON DELETE CASCADE,"
    "  scene TEXT NOT NULL,"
    "  options TEXT NOT NULL DEFAULT '',"
    "  state TEXT NOT NULL DEFAULT 'queued',"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  max_attempts INTEGER NOT NULL DEFAULT 3,"
    "  token BIGINT NOT NULL DEFAULT 0,"
    "  worker TEXT,"
    "  lease_until BIGINT,"
    "  created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,"
    "  result TEXT, error TEXT);"
    "CREATE UNIQUE INDEX jobs_pending ON jobs(site_id, scene) WHERE state IN ('queued', 'running');"
    "CREATE INDEX jobs_state ON jobs(state, id);",
};

const int sw__nmigrations = (int)(sizeof sw__migrations_sqlite / sizeof sw__migrations_sqlite[0]);

_Static_assert(sizeof sw__migrations_sqlite == sizeof sw__migrations_pg, "one migration list per database, alike");
