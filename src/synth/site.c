/*
 * site.c: a watched site over a year (`sitewatch demo`): ten PlanetScope-
 * like scenes (4 bands, 3 m, uint16 surface reflectance x 10000) of a plant
 * near Hamhung that grows: two machine halls, a long final-assembly
 * building and two worker housing blocks, each built between two scenes.
 *
 * Every scene is real work for the pipeline: the footprint and sub-pixel
 * origin differ per date (ingest must warp), light and vegetation follow
 * the seasons, one scene stops short of the site (nodata), one carries a
 * cloud with its shadow and haze, one is misregistered by 1.7 and 1.2
 * pixels. The truth (each new building, its footprint and first date) is
 * written beside the scenes, with the AOI.
 *
 * Ground and buildings are functions of map coordinates (metres from the
 * plant's centre), so each date is rendered on its own grid from the same
 * world; building edges are anti-aliased by exact pixel coverage.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sitewatch/synth.h"

#include "../io/io.h"
#include "../sw_int.h"
#include "noise.h"

enum { SIZE = 800, NB = 4, NDATES = 10, EPSG = 32652 };
#define GSD 3.0
#define CX 375200.0  /* the plant's centre, UTM 52N */
#define CY 4419800.0

typedef struct bldg {
    const char *name, *kind;
    double x0, y0, x1, y1;  /* metres east and north of the centre */
    int first;              /* index of the first date it stands; 0: from the start */
    double roof[NB];        /* B, G, R, NIR */
} bldg;

static const bldg buildings[] = {
    {"workshop", "existing", -420, 120, -330, 170, 0, {2200, 2300, 2400, 2600}},
    {"old hall", "existing", -250, 200, -160, 250, 0, {1900, 1700, 1500, 1800}},
    {"administration", "existing", -480, -60, -440, -35, 0, {900, 1000, 2100, 2300}},
    {"store", "existing", 80, 260, 200, 290, 0, {2200, 2300, 2400, 2600}},
    {"old housing", "existing", 300, 150, 366, 168, 0, {900, 1000, 2100, 2300}},
    {"machine hall 1", "machine hall", -300, -120, -225, -84, 2, {2600, 2700, 2800, 3000}},
    {"machine hall 2", "machine hall", -180, -120, -105, -84, 5, {2600, 2700, 2800, 3000}},
    {"final-assembly building", "assembly building", -20, 40, 190, 70, 5, {2500, 2600, 2700, 2900}},
    {"worker housing A", "housing", 250, -330, 316, -312, 8, {900, 1000, 2100, 2300}},
    {"worker housing B", "housing", 250, -380, 316, -362, 8, {900, 1000, 2100, 2300}},
};
enum { NBLDG = sizeof buildings / sizeof buildings[0] };

typedef struct date_info {
    const char *date, *time, *condition;
    double green;           /* vegetation vigour 0..1 */
    double gain[NB], offset[NB];
} date_info;

static const date_info dates[NDATES] = {
    {"20240302", "015233", "clear", 0.78, {0.92, 0.93, 0.94, 0.95}, {0, 0, 0, 0}},
    {"20240403", "020114", "partial", 0.80, {0.96, 0.96, 0.97, 0.98}, {20, 10, 10, 0}},
    {"20240505", "013957", "clear", 0.83, {1.00, 1.00, 1.00, 1.00}, {0, 0, 0, 0}},
    {"20240606", "021802", "clear", 0.86, {1.04, 1.03, 1.03, 1.02}, {30, 20, 10, 0}},
    {"20240708", "015540", "cloudy", 0.88, {1.05, 1.05, 1.04, 1.03}, {150, 100, 60, 20}},
    {"20240809", "020947", "clear", 0.88, {1.04, 1.04, 1.03, 1.02}, {20, 10, 0, 0}},
    {"20240910", "014412", "clear", 0.86, {1.01, 1.01, 1.01, 1.00}, {0, 0, 0, 0}},
    {"20241012", "022036", "misaligned", 0.84, {0.97, 0.97, 0.98, 0.99}, {-10, -10, 0, 0}},
    {"20241113", "015120", "clear", 0.81, {0.93, 0.94, 0.95, 0.96}, {0, 0, 0, 0}},
    {"20241215", "020305", "clear", 0.78, {0.88, 0.89, 0.90, 0.92}, {10, 0, 0, 0}},
};

/* Cloud opacity at a map point on the cloudy date: a soft-edged, lumpy
 * ellipse east of the plant, clear of every building that is new. */
static double cloud_alpha(double x, double y, uint32_t seed)
{
    double ex = (x - 390.0) / 300.0, ey = (y - 250.0) / 210.0;
    double r = sqrt(ex * ex + ey * ey) + 0.35 * (fractal(x / 6.0, y / 6.0, seed + 40) - 0.5);
    double a = (1.0 - r) * 3.0;
    a = a < 0 ? 0 : a > 1 ? 1 : a;
    return a * (0.8 + 0.2 * fractal(x / 2.0, y / 2.0, seed + 41));
}

static const double soil[NB] = {1000, 1200, 1400, 2200}, dormant[NB] = {700, 950, 900, 2700},
                    green[NB] = {500, 800, 550, 3400}, yard[NB] = {1350, 1450, 1550, 1900},
                    asphalt[NB] = {1150, 1150, 1150, 1250};

/* Ground at a map point on date d: soil, and vegetation whose vigour
 * follows the season; the plant's paved yard. */
static void ground(double x, double y, const date_info *di, uint32_t seed, double *out)
{
    double n = fractal(x / 2.0, y / 2.0, seed);
    double veg = n > 0.52 ? fmin(1.0, (n - 0.52) * 6.0) : 0.0;
    int in_yard = x > -520 && x < 230 && y > -170 && y < 320;
    for (int k = 0; k < NB; k++) {
        double g = dormant[k] + (green[k] - dormant[k]) * di->green;
        out[k] = in_yard ? yard[k] * (0.95 + 0.1 * n) : (soil[k] * (1 - veg) + g * veg) * (0.85 + 0.3 * n);
    }
}

/* Reflectance x 10000 of the 3 m pixel centred at map point (x, y) on date d. */
static void render(double x, double y, int d, uint32_t seed, double *out)
{
    const date_info *di = &dates[d];
    /* The ground averaged over the pixel (3 x 3 samples), as a sensor sees it. */
    for (int k = 0; k < NB; k++)
        out[k] = 0;
    for (int j = -1; j <= 1; j++)
        for (int i = -1; i <= 1; i++) {
            double v[NB];
            ground(x + i, y + j, di, seed, v);
            for (int k = 0; k < NB; k++)
                out[k] += v[k] / 9.0;
        }
    /* Roads: one east-west, one north-south, 12 m wide. */
    double road = overlap(y - 1.5, y + 1.5, -212, -200) / 3.0 + overlap(x - 1.5, x + 1.5, 230, 242) / 3.0;
    road = road > 1 ? 1 : road;
    for (int k = 0; k < NB; k++)
        out[k] = out[k] * (1 - road) + asphalt[k] * road;
    /* Buildings standing on this date, shadows (2 m to the north-west) first. */
    for (int b = 0; b < NBLDG; b++) {
        const bldg *B = &buildings[b];
        if (B->first > d)
            continue;
        double roof = overlap(x - 1.5, x + 1.5, B->x0, B->x1) * overlap(y - 1.5, y + 1.5, B->y0, B->y1) / 9.0;
        double sh = overlap(x - 1.5, x + 1.5, B->x0 - 2, B->x1 - 2) * overlap(y - 1.5, y + 1.5, B->y0 + 2, B->y1 + 2) / 9.0;
        sh = sh > roof ? sh - roof : 0.0;
        for (int k = 0; k < NB; k++)
            out[k] = out[k] * (1 - 0.5 * sh) * (1 - roof) + B->roof[k] * roof;
    }
    /* The cloudy date: haze everywhere, a cloud, and its shadow 80 m to the north-west. */
    if (strcmp(di->condition, "cloudy") == 0) {
        static const double cloud[NB] = {5200, 5000, 5100, 5600};
        double a = cloud_alpha(x, y, seed), s = cloud_alpha(x + 80, y - 80, seed);
        for (int k = 0; k < NB; k++) {
            out[k] *= 1.0 - 0.6 * s * (1 - a);
            out[k] = out[k] * (1 - a) + cloud[k] * a;
        }
    }
    for (int k = 0; k < NB; k++)
        out[k] = out[k] * di->gain[k] + di->offset[k];
}

static void append_polygon(sw__json *j, const double *x, const double *y, int n)
{
    sw__json_obj(j);
    sw__json_key(j, "type");
    sw__json_str(j, "Polygon");
    sw__json_key(j, "coordinates");
    sw__json_arr(j);
    sw__json_arr(j);
    for (int i = 0; i <= n; i++) {
        sw__json_arr(j);
        sw__json_num(j, x[i % n]);
        sw__json_num(j, y[i % n]);
        sw__json_end(j, ']');
    }
    sw__json_end(j, ']');
    sw__json_end(j, ']');
    sw__json_end(j, '}');
}

/* A rectangle of map metres as a longitude/latitude ring of 4 corners. */
static int rect_lonlat(double x0, double y0, double x1, double y1, double *lon, double *lat)
{
    double xs[4] = {x0, x1, x1, x0}, ys[4] = {y0, y0, y1, y1};
    for (int i = 0; i < 4; i++) {
        lon[i] = CX + xs[i];
        lat[i] = CY + ys[i];
    }
    return sw__to_lonlat(EPSG, lon, lat, 4);
}

/* Ends a feature's properties with a rectangle (lon/lat ring) as its geometry. */
static void end_feature(sw__json *j, const double *lon, const double *lat)
{
    sw__json_end(j, '}');
    sw__json_key(j, "geometry");
    append_polygon(j, lon, lat, 4);
    sw__json_end(j, '}');
}

/* Ends a feature collection and writes it to dir/name. */
static int write_collection(sw_ctx *ctx, const char *dir, const char *name, sw__json *j, sw__buf *b)
{
    sw__json_end(j, ']');
    sw__json_end(j, '}');
    sw__buf_putc(b, '\n');
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = b->failed ? sw__err(ctx, SW_ENOMEM, "out of memory") : sw__file_write_atomic(ctx, path, b->data, b->len);
    sw__buf_free(b);
    return rc;
}

static int write_scene(sw_ctx *ctx, const char *dir, int d, uint32_t seed, uint16_t *img)
{
    const date_info *di = &dates[d];
    /* Each date has its own footprint, off the others by whole and fractional pixels. */
    double ox = CX - 1200.0 + ((d * 7) % 5 - 2) * GSD + (d % 2) * 0.9;
    double oy = CY + 1200.0 + ((d * 3) % 4 - 2) * GSD - (d % 3) * 0.7;
    double sx = 0, sy = 0;
    if (strcmp(di->condition, "misaligned") == 0) {
        sx = 1.7 * GSD; /* the content lies 1.7 pixels east and 1.2 north of where the file says */
        sy = 1.2 * GSD;
    }
    for (int r = 0; r < SIZE; r++) {
        for (int c = 0; c < SIZE; c++) {
            double x = ox + (c + 0.5) * GSD - CX, y = oy - (r + 0.5) * GSD - CY;
            uint16_t *px = img + ((size_t)r * SIZE + (size_t)c) * NB;
            if (strcmp(di->condition, "partial") == 0 && x > 350.0) {
                memset(px, 0, NB * sizeof *px); /* beyond the scene's edge */
                continue;
            }
            double v[NB];
            render(x - sx, y - sy, d, seed, v);
            for (int k = 0; k < NB; k++) {
                /* Nested hashes: noise independent between dates and bands. */
                uint32_t h = hash3(hash3((uint32_t)c, (uint32_t)r, seed), (uint32_t)(d * NB + k), 0x5EEDu);
                double g = gauss(hash3(h, 1, 2), hash3(h, 3, 4));
                double val = v[k] + 30.0 * g;
                px[k] = (uint16_t)(val < 1 ? 1 : val > 65535 ? 65535 : val);
            }
        }
    }
    sw__grid g = {.width = SIZE, .height = SIZE, .georef = 1, .gt = {ox, GSD, 0, oy, 0, -GSD},
                  .pixel_w_m = GSD, .pixel_h_m = GSD};
    g.wkt = sw__epsg_wkt(EPSG);
    if (!g.wkt)
        return sw__err(ctx, SW_EIO, "cannot describe EPSG:%d", EPSG);
    char path[4096];
    snprintf(path, sizeof path, "%s/scenes/%s_%s_1035_3B_AnalyticMS_SR.tif", dir, di->date, di->time);
    sw__rwriter *w = sw__rwriter_create(ctx, path, &g, NB, SW__U16, 0.0, SW__W_DEFLATE);
    free(g.wkt);
    if (!w)
        return ctx->code;
    static const char *const names[NB] = {"blue", "green", "red", "nir"};
    sw__rwriter_describe(w, names);
    int rc = sw__rwriter_write(w, ctx, 0, SIZE, img);
    if (rc) {
        sw__rwriter_abort(w);
        return rc;
    }
    return sw__rwriter_close(w, ctx);
}

int sw_synth_site(sw_ctx *ctx, const char *dir, uint32_t seed, sw_progress_fn progress, void *user)
{
    char scenes[4096];
    snprintf(scenes, sizeof scenes, "%s/scenes", dir);
    int rc = sw__mkdir_p(ctx, scenes);
    if (rc)
        return rc;
    sw__io_init(256 << 20);
    uint16_t *img = malloc((size_t)SIZE * SIZE * NB * sizeof *img);
    if (!img)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    for (int d = 0; d < NDATES && rc == 0; d++) {
        if (progress)
            progress((double)d / NDATES, "synthesizing scenes", user);
        rc = write_scene(ctx, dir, d, seed, img);
    }
    free(img);
    if (rc)
        return rc;
    /* The AOI: 1200 m x 1000 m around the plant. */
    double lon[4], lat[4];
    sw__buf b = {0};
    sw__json j;
    if (rect_lonlat(-600, -500, 600, 500, lon, lat) != 0)
        return sw__err(ctx, SW_EIO, "cannot project the demo's AOI to WGS84");
    sw__json_init(&j, &b);
    sw__json_collection(&j);
    sw__json_key(&j, "features");
    sw__json_arr(&j);
    sw__json_feature(&j);
    sw__json_key(&j, "name");
    sw__json_str(&j, "demo plant");
    end_feature(&j, lon, lat);
    if ((rc = write_collection(ctx, dir, "aoi.geojson", &j, &b)) != 0)
        return rc;
    /* The truth: each new building with its first date, and what each scene is. */
    memset(&b, 0, sizeof b);
    sw__json_init(&j, &b);
    sw__json_collection(&j);
    sw__json_key(&j, "scenes");
    sw__json_arr(&j);
    for (int d = 0; d < NDATES; d++) {
        char iso[11];
        snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", dates[d].date, dates[d].date + 4, dates[d].date + 6);
        sw__json_obj(&j);
        sw__json_key(&j, "date");
        sw__json_str(&j, iso);
        sw__json_key(&j, "condition");
        sw__json_str(&j, dates[d].condition);
        sw__json_end(&j, '}');
    }
    sw__json_end(&j, ']');
    sw__json_key(&j, "features");
    sw__json_arr(&j);
    for (int i = 0; i < NBLDG; i++) {
        const bldg *B = &buildings[i];
        if (B->first == 0)
            continue;
        if (rect_lonlat(B->x0, B->y0, B->x1, B->y1, lon, lat) != 0) {
            sw__buf_free(&b);
            return sw__err(ctx, SW_EIO, "cannot project the demo's truth to WGS84");
        }
        char iso[11];
        const char *dd = dates[B->first].date;
        snprintf(iso, sizeof iso, "%.4s-%.2s-%.2s", dd, dd + 4, dd + 6);
        double w = B->x1 - B->x0, h = B->y1 - B->y0;
        sw__json_feature(&j);
        sw__json_key(&j, "name");
        sw__json_str(&j, B->name);
        sw__json_key(&j, "kind");
        sw__json_str(&j, B->kind);
        sw__json_key(&j, "first_date");
        sw__json_str(&j, iso);
        sw__json_key(&j, "area_m2");
        sw__json_num(&j, w * h);
        sw__json_key(&j, "length_m");
        sw__json_num(&j, w > h ? w : h);
        sw__json_key(&j, "width_m");
        sw__json_num(&j, w > h ? h : w);
        end_feature(&j, lon, lat);
    }
    rc = write_collection(ctx, dir, "truth.geojson", &j, &b);
    if (rc == 0 && progress)
        progress(1.0, "synthesizing scenes", user);
    return rc;
}
