/*
 * io.h: sitewatch's boundary with GDAL. Only files under src/io/ include
 * gdal.h; everyone else sees pixel grids, readers that fill float buffers,
 * and writers that take them. GDAL's errors are caught with a pushed
 * handler and come back as SW_E... codes with a message naming the file.
 */
#ifndef SW_IO_H
#define SW_IO_H

#include "../sw_int.h"

/* Sets GDAL up once per process (drivers, quiet); the cache size (bytes)
 * is set by the first call that gives one, and stays. */
void sw__io_init(int64_t cache_bytes);

/* A pixel grid: size, georeferencing and pixel size in metres. */
typedef struct sw__grid {
    int64_t width, height;
    int georef;        /* geotransform and CRS known */
    double gt[6];      /* GDAL geotransform (identity-like without georef) */
    char *wkt;         /* CRS, NULL without georef */
    int geographic;    /* CRS in degrees */
    double pixel_w_m, pixel_h_m; /* at the grid centre; 1 without georef */
} sw__grid;

/* Metres² of one pixel on row y (varies with latitude in degrees CRSs);
 * 1 without georeferencing. */
double sw__grid_pixel_area(const sw__grid *g, double y);

/* ---- two dates on one grid (pair.c) ---- */
typedef struct sw__side {
    char *given;       /* what the user passed */
    int nfiles;
    char **files;      /* the files read, for hashing */
    int64_t width, height; /* native size (finest band) */
    int nbands_total;
    const char *kind;  /* the delivery it is, or NULL (sw__delivery) */
    char date[11];     /* a delivery's acquisition date (its metadata), or "" */
    char *mask;        /* the delivery's own usability mask, or NULL */
    int mask_rule;     /* how to read it: SW__MASK_... */
} sw__side;

typedef struct sw__pair_info {
    sw__grid grid;     /* the output grid: BEFORE's */
    int nbands;        /* bands analysed on each date */
    char **band_names; /* nbands names, from BEFORE */
    int warped;        /* AFTER was warped onto BEFORE's grid */
    int64_t ov_x0, ov_y0, ov_x1, ov_y1; /* overlap window, end-exclusive */
    int display[3];    /* bands shown as R, G, B in the quicklook (0-based) */
    int block_h;       /* block height of BEFORE's first band, as stored */
    sw__side before, after;
} sw__pair_info;

typedef struct sw__pair sw__pair;

/* Opens both dates and puts AFTER on BEFORE's grid; bands selects bands by
 * 1-based index or name ("B04,B03,B02"), NULL for all but alpha;
 * resampling names GDAL's warp kernel (NULL: bilinear). Returns new, free
 * with sw__pair_close, or NULL with the error in ctx. */
sw__pair *sw__pair_open(sw_ctx *ctx, const char *before, const char *after,
                        const char *bands, const char *resampling);
void sw__pair_close(sw__pair *p);
const sw__pair_info *sw__pair_get_info(const sw__pair *p);

/* Pixel (x, y) of the grid to WGS84 longitude/latitude; returns 0 or -1
 * when the grid has no georeferencing. Not thread-safe. */
int sw__pair_lonlat(sw__pair *p, double x, double y, double *lon, double *lat);

/* Sets date's (0 BEFORE, 1 AFTER) usability mask: band of the raster at
 * path, read by rule (SW__MASK_CLEAR: usable where non-zero, PlanetScope
 * UDM2's band 1 "clear"; SW__MASK_CLOUDY: usable where zero; Sentinel-2's
 * scene classification; Landsat's QA_PIXEL bits). A mask of the image's
 * size is used as it is; a georeferenced one of another grid is put on the
 * image's grid (nearest neighbour). Before readers are opened. */
int sw__pair_set_mask(sw_ctx *ctx, sw__pair *p, int date, const char *path, int band, int rule);

/* From now on readers see the window (x, y, w, h) of the whole grid as
 * their grid: sw__pair_get_info's grid becomes the window's (its size and
 * geotransform), rows are counted from its top, the shift stays in the
 * whole grid's pixels. The whole grid again: (0, 0, its width, height).
 * Before readers are opened; masks are set on the whole grid first. */
int sw__pair_set_window(sw_ctx *ctx, sw__pair *p, int64_t x, int64_t y, int64_t w, int64_t h);
/* The whole grid's size and geotransform, whatever the window. */
void sw__pair_full_size(const sw__pair *p, int64_t *w, int64_t *h);
void sw__pair_full_gt(const sw__pair *p, double gt[6]);

/* From now on readers return AFTER resampled (bilinear) at (x + dx, y + dy)
 * of BEFORE's grid: the co-registration. Set before readers are opened. */
void sw__pair_set_shift(sw__pair *p, double dx, double dy);
/* The same with a shift that varies over the scene:
 * dx = ax[0] + ax[1] x + ax[2] y, dy = ay[0] + ay[1] x + ay[2] y. */
void sw__pair_set_affine(sw__pair *p, const double ax[3], const double ay[3]);

/* A reader owns its own GDAL handles: one per worker thread. Strips that
 * share a block row with the strip beside them (a shifted AFTER's, which
 * reach a row into the next; strips shorter than the blocks) are read
 * through one handle per date that the pair's readers share (reader.c), so
 * that the block row is decoded once, not by the readers of both strips. */
typedef struct sw__reader sw__reader;
sw__reader *sw__reader_open(sw_ctx *ctx, const sw__pair *p);
void sw__reader_close(sw__reader *r);
/* Reads rows [y0, y0 + nrows) at full width: before and after receive
 * nbands floats per pixel (pixel-interleaved), valid 1 where every band of
 * both dates is valid (nodata, masks, alpha, NaN honoured). */
int sw__reader_read(sw__reader *r, sw_ctx *ctx, int64_t y0, int nrows,
                    float *before, float *after, uint8_t *valid);
/* The same for columns [x0, x0 + w) only (w x nrows pixels), so a patch
 * of a tiled image decodes only its tiles. */
int sw__reader_read_cols(sw__reader *r, sw_ctx *ctx, int64_t x0, int64_t w, int64_t y0, int nrows, float *before,
                         float *after, uint8_t *valid);

/* ---- band names (bandnames.c) ---- */
/* The common name (STAC's: blue, red, nir08, swir16 ...) a band name
 * stands for: itself, a Sentinel-2 band (B04), or a description products
 * write ("Red", "Near-Infrared"); NULL when it names no known band. The
 * string is static. */
const char *sw__band_common(const char *name);
/* A common name's place in band order (coastal first, swir22 last), or -1. */
int sw__band_rank(const char *common_name);
/* 1 when have names the band want asks for: the same name or common name;
 * with loose, near-infrared broad or narrow (nir, nir08) are one. */
int sw__band_same(const char *want, const char *have, int loose);
/* The bands two dates share, by common name in band order, written to out
 * as "blue,green,red,nir" (nir matching nir08 when a date has only that).
 * Returns how many, or -1 when out is too small. */
int sw__band_shared(char *const *a, int na, char *const *b, int nb, char *out, size_t n);

/* ---- deliveries: products as they come (delivery.c) ---- */
/* How a usability mask's band 1 is read. */
enum {
    SW__MASK_CLEAR = 0,     /* usable where non-zero (UDM2's "clear", --mask) */
    SW__MASK_CLOUDY = 1,    /* usable where zero (cloud masks) */
    SW__MASK_S2_SCL = 2,    /* Sentinel-2 L2A scene classification */
    SW__MASK_LANDSAT_QA = 3 /* Landsat Collection 2 QA_PIXEL bits */
};
/* 1 when a mask value v means usable ground under rule. */
int sw__mask_usable(int rule, unsigned v);
const char *sw__mask_rule_name(int rule);

typedef struct sw__delivery {
    const char *kind;  /* "Sentinel-2 product", ...; NULL: not a delivery */
    char **files;      /* nfiles band files in band order (or one raster) */
    int nfiles;
    char **names;      /* nnames band names (common names); NULL: the raster's own */
    int nnames;
    char date[11];     /* acquisition date from its metadata, or "" */
    char sensor[32];
    char *mask;        /* its usability mask, or NULL */
    int mask_rule;     /* SW__MASK_... */
} sw__delivery;
/* Recognises a delivery at given: a Sentinel-2 .SAFE (or MTD_MSIL*.xml), a
 * Landsat Collection 2 folder (or _MTL file), a PlanetScope analytic
 * GeoTIFF (or a folder holding one), a STAC Item JSON (or FILE.json#ID of an
 * ItemCollection). Returns 0 with d->kind NULL when given is none of them
 * (a plain raster or band folder), 0 with d filled when it is one, or an
 * error naming the file when it is one but broken. Free with
 * sw__delivery_clear (which takes NULL). */
int sw__delivery_open(sw_ctx *ctx, const char *given, sw__delivery *d);
void sw__delivery_clear(sw__delivery *d);
/* The same for one STAC Item already parsed (cJSON), from file (its assets'
 * relative paths are beside it): for discovery's ItemCollections. */
struct cJSON;
int sw__delivery_from_stac(sw_ctx *ctx, const char *file, const struct cJSON *item, sw__delivery *d);

/* A scene as one raster: a delivery (sw__delivery_open), a file, or a
 * folder (or "@list") of single-band files stacked as detect stacks them
 * (Sentinel-2 bands by name, on the finest band's grid). path is what GDAL opens (the file, or a /vsimem/
 * VRT), files what it is made of (for hashing), in band order. */
typedef struct sw__scene_src {
    char *path, *vsimem;
    char **files;
    int nfiles;
    const char *kind;  /* the delivery it is (sw__delivery), or NULL */
    char date[11];     /* from the delivery's metadata, or "" */
    char sensor[32];
    char *mask;        /* the delivery's usability mask, or NULL */
    int mask_rule;
} sw__scene_src;
int sw__scene_open(sw_ctx *ctx, const char *given, sw__scene_src *out);
void sw__scene_close(sw__scene_src *s);

/* ---- a single-band raster read in rows (eval) ---- */
typedef struct sw__band sw__band;
sw__band *sw__band_open(sw_ctx *ctx, const char *path);
void sw__band_close(sw__band *b);
void sw__band_size(const sw__band *b, int64_t *w, int64_t *h);
/* Reads rows as uint16 values (clamped) and validity (mask band). */
int sw__band_read(sw__band *b, sw_ctx *ctx, int64_t y0, int nrows,
                  uint16_t *vals, uint8_t *valid);
/* Reads rows as float32 values, and their validity (mask band) when valid
 * is not NULL. */
int sw__band_read_f32(sw__band *b, sw_ctx *ctx, int64_t y0, int nrows, float *vals, uint8_t *valid);

/* ---- raster output (write.c) ---- */
typedef enum { SW__U8, SW__U16, SW__U32, SW__F32 } sw__type;
/* How a raster is written: its codec, and for one-band float32 rasters,
 * average overviews built while the rows stream in (NaN is nodata). */
enum {
    SW__W_NONE = 0,      /* uncompressed */
    SW__W_DEFLATE = 1,   /* widely read; for small outputs and the example */
    SW__W_ZSTD = 2,      /* about twice as fast to write as DEFLATE */
    SW__W_PACKBITS = 3,  /* run-length: temporaries that are mostly zero */
    SW__W_CODEC = 0xff,
    SW__W_OVERVIEWS = 0x100
};
typedef struct sw__rwriter sw__rwriter;
/* Creates a tiled GeoTIFF at path on grid g (georeferenced when g is).
 * nodata: NAN for none. flags: a codec, | SW__W_OVERVIEWS. Rows must be
 * written in order when overviews are asked for. Returns new or NULL. */
sw__rwriter *sw__rwriter_create(sw_ctx *ctx, const char *path, const sw__grid *g,
                                int nbands, sw__type type, double nodata, int flags);
/* The same with the user's GeoTIFF creation options (KEY=VALUE, NULL-
 * terminated; they override sitewatch's own; a malformed one is SW_EARG). */
sw__rwriter *sw__rwriter_create_ex(sw_ctx *ctx, const char *path, const sw__grid *g, int nbands, sw__type type,
                                   double nodata, int flags, const char *const *extra);
/* Writes rows [y0, y0 + nrows), pixel-interleaved. */
int sw__rwriter_write(sw__rwriter *w, sw_ctx *ctx, int64_t y0, int nrows, const void *buf);
/* Sets band descriptions (nbands strings). */
void sw__rwriter_describe(sw__rwriter *w, const char *const *names);
/* Flushes and closes. Returns 0 or an error; the writer is freed either way. */
int sw__rwriter_close(sw__rwriter *w, sw_ctx *ctx);
/* sw__rwriter_close in two halves, so that the copy of a file with
 * overviews into a Cloud Optimized GeoTIFF runs on a thread of its own
 * while the caller goes on: close_begin flushes and closes (the file stays
 * readable at its path, uncompressed, until finish) and starts the copy;
 * finish waits for it and puts the COG in the file's place, and frees the
 * writer either way. After a failed close_begin, or instead of finish,
 * sw__rwriter_abort. */
int sw__rwriter_close_begin(sw__rwriter *w, sw_ctx *ctx);
int sw__rwriter_finish(sw__rwriter *w, sw_ctx *ctx);
/* Closes and deletes the file. sw__rwriter_abort(NULL) does nothing. */
void sw__rwriter_abort(sw__rwriter *w);

/* Writes an 8-bit RGB image (interleaved) as PNG. */
int sw__png_write(sw_ctx *ctx, const char *path, int64_t w, int64_t h, const uint8_t *rgb);

/* Deletes a raster or vector file GDAL wrote (with its side files). */
void sw__io_delete(const char *path);

/* GDAL's version, for summaries. */
const char *sw__gdal_version(void);

/* ---- a site's area of interest (aoi.c) ---- */
typedef struct sw__aoi {
    char *wkt;        /* WGS84 longitude/latitude polygon; free with sw__aoi_clear */
    int epsg;         /* the local UTM zone */
    double area_m2;
    double lon, lat;  /* centroid */
} sw__aoi;

/* Reads the first feature of a GeoJSON (or other vector) file: a polygon,
 * or a point when buffer_m > 0; buffers it by buffer_m metres in its UTM
 * zone. Returns 0, or an error naming the file and the problem. */
int sw__aoi_read(sw_ctx *ctx, const char *path, double buffer_m, sw__aoi *out);
void sw__aoi_clear(sw__aoi *a);
/* Projects n points from EPSG:epsg to WGS84 longitude/latitude in place.
 * Returns 0 or -1. */
int sw__to_lonlat(int epsg, double *x, double *y, int n);
/* The reverse: WGS84 longitude/latitude to EPSG:epsg, in place. */
int sw__from_lonlat(int epsg, double *x, double *y, int n);
/* EPSG:epsg as WKT (malloc'd), or NULL. */
char *sw__epsg_wkt(int epsg);

/* ---- site chips (chip.c) ---- */
/* Acquisition date (YYYY-MM-DD) and sensor from a scene's file name
 * (PlanetScope, Sentinel-2), a PlanetScope _metadata.json sidecar, or the
 * TIFF date tag. Returns 0 when a date was found (sensor may stay empty). */
int sw__scene_metadata(const char *path, char date[11], char sensor[32]);
/* Puts a georeferenced scene on the site's grid: UTM zone epsg, pixel
 * size *resolution_m (set from the scene when 0), pixel lines on multiples
 * of it, the AOI's bounds plus margin_m; writes a COG (nodata where the
 * scene does not reach) at out_path and the fraction of the chip the scene
 * covers to *usable. A scene already on that grid is copied, any other
 * resampled (cubic). SW_ENOOVERLAP when the scene misses the AOI. */
int sw__chip_write(sw_ctx *ctx, const char *scene, const char *aoi_wkt, int epsg, double margin_m,
                   double *resolution_m, const char *out_path, double *usable);

/* A PlanetScope scene's UDM2 file beside it (..._3B_udm2.tif for
 * ..._3B_AnalyticMS_SR.tif); 1 and its path in out when it exists. */
int sw__udm_sidecar(const char *scene, char *out, size_t n);
/* Puts a usability mask (band 1, read by rule: SW__MASK_CLEAR for UDM2's
 * "clear", a scene classification, QA bits) on a chip's grid as out_path
 * (uint8, 1 = seen but not usable); *unusable receives that share of the
 * chip's valid pixels. */
int sw__mask_to_chip(sw_ctx *ctx, const char *mask, int rule, const char *chip, const char *out_path,
                     double *unusable);

/* ---- clouds over a site's chips (cloudmask.c) ---- */
/* Screens the n chips of one site (one grid, in date order) for clouds and
 * their shadows, each against the median of its nearest scenes in time.
 * udm[i] (udm may be NULL, or hold NULLs) is a chip's own usability mask
 * from sw__mask_to_chip: its pixels stay out of the medians and join the
 * chip's verdict. dates[i] (YYYY-MM-DD): the next chip of another day
 * tells a cloud (gone) from a new white roof (still there). Where a chip has any, writes masks[i] (uint8, 1 = cloud,
 * shadow or unusable, on a grid of at most 512 pixels a side) and sets
 * fraction[i] to the share of the chip's valid pixels masked; other chips
 * get 0 and no file. */
int sw__chips_screen(sw_ctx *ctx, char *const *chips, char (*dates)[11], char *const *udm, int n,
                     char *const *masks, double *fraction);
/* Sets out[i] = 1 where map point (x[i], y[i]) was not seen in a chip:
 * outside it, nodata there, or under its cloud mask (may be NULL); leaves
 * the other out[i] as they are, so calls accumulate. */
void sw__points_unseen(const char *chip, const char *mask, const double *x, const double *y, int n, uint8_t *out);

/* ---- pictures of chips, for reports (picture.c) ---- */
/* A chip's geotransform and size, and (wkt not NULL) its CRS as WKT
 * (free with CPLFree). */
int sw__chip_grid(sw_ctx *ctx, const char *path, double gt[6], int *w, int *h, char **wkt);
/* One stretch for a chip's red, green and blue: the 1st and 99.5th
 * percentiles of the three together. */
int sw__chip_stretch(sw_ctx *ctx, const char *path, double lo[3], double hi[3]);
/* The window (x, y, w, h) of a chip, in its pixels, as an RGB PNG stretched
 * from lo to hi, averaged down to at most max_side pixels a side: *b64 is
 * the PNG in base64 (malloc'd), *ow x *oh its size. */
int sw__chip_png(sw_ctx *ctx, const char *path, int x, int y, int w, int h, int max_side, const double lo[3],
                 const double hi[3], char **b64, int *ow, int *oh);

/* ---- vectors (vector.c) ---- */
typedef struct sw__vobject {
    int64_t id, npix;
    double area_m2, score_mean, score_max;
    double area_subpixel_m2; /* each edge pixel counted by the share of it that changed */
    double cx, cy;     /* centroid, pixel coordinates */
    double lon, lat;   /* NAN without georeferencing */
    int64_t xmin, ymin, xmax, ymax; /* bounding box, pixels, inclusive */
} sw__vobject;

/* Polygonizes the object-id raster at ids_path (uint32, 0 background) and
 * writes one feature per object, in id order, to gpkg_path (native CRS) and
 * geojson_path (RFC 7946 WGS84, or pixel coordinates without georef). Only
 * the windows around the objects' bounding boxes are traced. */
int sw__vectors_write(sw_ctx *ctx, const char *ids_path, const sw__grid *g,
                      const sw__vobject *objs, int64_t nobj,
                      const char *gpkg_path, const char *geojson_path);

/* Traces the object-id raster ids (g's size, uint32, 0 background) in
 * memory: wkt[id - 1] receives object id's outline (MULTIPOLYGON in g's
 * CRS, or pixels without georeferencing; malloc'd, NULL when it has none),
 * for the objects objs[0..nobj) (ids 1..nobj). */
int sw__polygons_wkt(sw_ctx *ctx, const uint32_t *ids, const sw__grid *g, const sw__vobject *objs, int64_t nobj,
                     char **wkt);

/* Calls fn for each feature of the first layer of a vector file (WKT in the
 * file's CRS, its area_subpixel_m2 (else area_m2) and score_mean fields); stops when fn returns
 * non-zero and returns that. */
int sw__vectors_read(sw_ctx *ctx, const char *path, int (*fn)(void *user, const char *wkt, double area_m2, double score),
                     void *user);
/* A site's change object, for export. */
typedef struct sw__site_object {
    int64_t id;
    char status[16], first_seen[11], last_seen[11], confirmed_at[11];
    double area_m2;
    int dismissed;
    const char *wkt;   /* in the site's CRS */
} sw__site_object;

/* Writes objects to a GeoJSON file (RFC 7946, WGS84) or, with gpkg, a
 * GeoPackage in the site's CRS (epsg). */
int sw__objects_write(sw_ctx *ctx, const char *path, int gpkg, int epsg, const sw__site_object *obj, int64_t n);
/* A WKT geometry in EPSG:epsg as a GeoJSON geometry in WGS84 (malloc'd;
 * NULL on failure); with one_polygon, a multipolygon becomes its one part
 * or the convex hull of its parts (a SMART site's outline). */
char *sw__wkt_to_geojson(const char *wkt, int epsg, int one_polygon);

/* The union of two WKT geometries as WKT (malloc'd), or NULL. */
char *sw__wkt_union(const char *a, const char *b);
/* The centroid of a WKT geometry: 0, or -1 when it cannot be read. */
int sw__wkt_centroid(const char *wkt, double *x, double *y);

/* The bounding box (x0, y0, x1, y1) of a WKT geometry: 0, or -1 with an
 * empty box (x0 > x1) when it cannot be read or is empty. */
int sw__wkt_envelope(const char *wkt, double box[4]);
/* The rings of a WKT geometry (a polygon's exterior and holes, each part
 * of a multipolygon, in order) as points: ring i is points start[i] ..
 * start[i + 1] - 1 of xy (x, y pairs). */
typedef struct sw__rings {
    double *xy;
    int npts, nrings;
    int *start;       /* nrings + 1 entries */
} sw__rings;
/* 0, or -1 (r empty) when it cannot be read or holds no point. */
int sw__wkt_rings(const char *wkt, sw__rings *r);
void sw__rings_free(sw__rings *r);

/* ---- footprints (footprint.c) ---- */
/* A georeferenced raster's footprint, a WGS84 lon/lat polygon as WKT
 * (malloc'd into *wkt); an error names the file. */
int sw__raster_footprint(sw_ctx *ctx, const char *path, char **wkt);
/* A GeoJSON geometry as WKT (malloc'd), or NULL when it is none. */
char *sw__geojson_to_wkt(const char *geojson);
/* Do two WKT geometries (same CRS) meet? 1, 0, or -1 when unreadable. */
int sw__wkt_intersects(const char *a, const char *b);

/* Area of the intersection of two WKT geometries (same CRS) over the
 * smaller one's area: 0 when apart, 1 when one lies inside the other. */
double sw__wkt_overlap(const char *a, const char *b);

#endif
