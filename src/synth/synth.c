/*
 * synth.c: a realistic synthetic pair with a known truth (`sitewatch synth`).
 *
 * The scene is a function of continuous ground coordinates, so any strip
 * can be rendered on its own (in parallel, in bounded memory) and date 2
 * can be sampled with a sub-pixel shift. Ground is fractal value noise with
 * vegetation patches; roads run on a jittered grid; buildings sit in
 * 80-pixel cells, each decided by a hash of the cell, with roofs and
 * shadows rendered by exact pixel coverage, so edges are anti-aliased.
 * Date 2 adds new buildings (small houses, medium blocks, long halls) in
 * empty cells, a gain and offset per band, and sensor noise.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../io/io.h"
#include "../sw_int.h"
#include "noise.h"

enum { CELL = 80, ROWS = 64, MAXB = 4 };

typedef struct synth {
    sw_synth_opts o;
    sw__rwriter *w[3];
} synth;

typedef struct sworker {
    synth *s;
    uint16_t *img[2];
    uint8_t *truth;
    int64_t y0;
    int rows;
} sworker;

typedef struct building {
    int exists, is_new;
    double x0, y0, x1, y1; /* footprint, scene pixels */
    double roof[MAXB];
    double shadow;         /* shadow length to the south-east, pixels */
} building;

/* The building of cell (cx, cy), if any, on date 1 or 2. */
static void cell_building(const synth *s, int64_t cx, int64_t cy, building *b)
{
    uint32_t seed = s->o.seed;
    uint32_t h = hash3((uint32_t)cx, (uint32_t)cy, seed * 31u + 7u);
    double u = unit(h), v1 = unit(hash3((uint32_t)cx, (uint32_t)cy, seed * 31u + 8u));
    double v2 = unit(hash3((uint32_t)cx, (uint32_t)cy, seed * 31u + 9u));
    double v3 = unit(hash3((uint32_t)cx, (uint32_t)cy, seed * 31u + 10u));
    memset(b, 0, sizeof *b);
    double w, hgt;
    if (u < 0.40) {          /* an old building, on both dates */
        w = 10 + 25 * v1;
        hgt = 10 + 25 * v2;
    } else if (u < 0.48) {   /* new: a small house */
        b->is_new = 1;
        w = 8 + 8 * v1;
        hgt = 8 + 8 * v2;
    } else if (u < 0.54) {   /* new: a medium block */
        b->is_new = 1;
        w = 18 + 16 * v1;
        hgt = 18 + 16 * v2;
    } else if (u < 0.57) {   /* new: a long hall */
        b->is_new = 1;
        w = v3 < 0.5 ? 55 + 10 * v1 : 16 + 6 * v1;
        hgt = v3 < 0.5 ? 16 + 6 * v2 : 55 + 10 * v2;
    } else {
        return;
    }
    b->exists = 1;
    double room_x = CELL - 8 - w, room_y = CELL - 8 - hgt;
    b->x0 = (double)cx * CELL + 2 + room_x * v3;
    b->y0 = (double)cy * CELL + 2 + room_y * unit(hash3((uint32_t)cx, (uint32_t)cy, seed * 31u + 11u));
    b->x1 = b->x0 + w;
    b->y1 = b->y0 + hgt;
    b->shadow = 2.0 + 3.0 * v2;
    /* Roofs: bright concrete, blue-grey metal, or red tiles (B, G, R, NIR). */
    static const double roofs[3][MAXB] = {
        {2300, 2400, 2500, 2700}, {1900, 1700, 1500, 1800}, {900, 1000, 2100, 2300}};
    const double *roof = roofs[(int)(v1 * 3.0) % 3];
    for (int k = 0; k < MAXB; k++)
        b->roof[k] = roof[k];
}

/* Scene radiance of the pixel whose top-left corner is (x, y), on a date. */
static void render_pixel(const synth *s, double x, double y, int date, double *out, double *truth_cov)
{
    uint32_t seed = s->o.seed;
    /* Ground: soil, with vegetation where the noise is high. */
    double n = fractal(x + 0.5, y + 0.5, seed);
    double veg = n > 0.55 ? fmin(1.0, (n - 0.55) * 8.0) : 0.0;
    static const double soil[MAXB] = {1000, 1200, 1400, 2200}, grass[MAXB] = {500, 800, 550, 3400};
    for (int k = 0; k < MAXB; k++)
        out[k] = (soil[k] * (1 - veg) + grass[k] * veg) * (0.85 + 0.3 * n);
    /* Roads on a jittered 400-pixel grid, 8 pixels wide. */
    static const double asphalt[MAXB] = {1250, 1250, 1250, 1350};
    int64_t gx = (int64_t)floor(x / 400.0), gy = (int64_t)floor(y / 400.0);
    double rx = (double)gx * 400 + 150 + 100 * unit(hash3((uint32_t)gx, 0, seed + 99));
    double ry = (double)gy * 400 + 150 + 100 * unit(hash3(0, (uint32_t)gy, seed + 98));
    double road = overlap(x, x + 1, rx, rx + 8) + overlap(y, y + 1, ry, ry + 8);
    road = road > 1 ? 1 : road;
    for (int k = 0; k < MAXB; k++)
        out[k] = out[k] * (1 - road) + asphalt[k] * road;
    /* The building of this cell: shadow first, then the roof over it. */
    building b;
    cell_building(s, (int64_t)floor(x / CELL), (int64_t)floor(y / CELL), &b);
    *truth_cov = 0.0;
    if (!b.exists || (b.is_new && date == 0))
        return;
    double roof = overlap(x, x + 1, b.x0, b.x1) * overlap(y, y + 1, b.y0, b.y1);
    double sh = overlap(x, x + 1, b.x0 + b.shadow, b.x1 + b.shadow) *
                overlap(y, y + 1, b.y0 + b.shadow, b.y1 + b.shadow);
    sh = sh > roof ? sh - roof : 0.0;
    for (int k = 0; k < MAXB; k++) {
        out[k] *= 1.0 - 0.55 * sh;
        out[k] = out[k] * (1 - roof) + b.roof[k] * roof;
    }
    if (b.is_new)
        *truth_cov = roof;
}

static void *synth_start(void *user, sw_ctx *wctx)
{
    synth *s = user;
    sworker *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->s = s;
    size_t n = (size_t)s->o.width * ROWS;
    w->img[0] = malloc(n * MAXB * sizeof(uint16_t));
    w->img[1] = malloc(n * MAXB * sizeof(uint16_t));
    w->truth = malloc(n);
    if (!w->img[0] || !w->img[1] || !w->truth) {
        free(w->img[0]);
        free(w->img[1]);
        free(w->truth);
        free(w);
        sw__err(wctx, SW_ENOMEM, "out of memory");
        return NULL;
    }
    return w;
}

static void synth_stop(void *state)
{
    sworker *w = state;
    free(w->img[0]);
    free(w->img[1]);
    free(w->truth);
    free(w);
}

static int synth_generate(void *state, int64_t job, sw_ctx *wctx)
{
    (void)wctx;
    sworker *w = state;
    const synth *s = w->s;
    const sw_synth_opts *o = &s->o;
    int nb = o->bands;
    /* 3 bands are R, G, B; 4 bands are B, G, R, NIR (PlanetScope order). */
    static const int map3[3] = {2, 1, 0}, map4[4] = {0, 1, 2, 3};
    const int *map = nb == 3 ? map3 : map4;
    static const double gain[MAXB] = {1.07, 1.09, 1.11, 0.95}, offs[MAXB] = {60, 45, 30, -80};
    w->y0 = job * ROWS;
    w->rows = (int)(o->height - w->y0 < ROWS ? o->height - w->y0 : ROWS);
    for (int r = 0; r < w->rows; r++) {
        int64_t y = w->y0 + r;
        for (int64_t x = 0; x < o->width; x++) {
            size_t i = (size_t)r * (size_t)o->width + (size_t)x;
            double v[MAXB], cov;
            render_pixel(s, (double)x, (double)y, 0, v, &cov);
            for (int k = 0; k < nb; k++) {
                double g = gauss(hash3((uint32_t)x, (uint32_t)y, o->seed * 7u + (uint32_t)k),
                                 hash3((uint32_t)y, (uint32_t)x, o->seed * 5u + (uint32_t)k));
                double val = v[map[k]] + 20.0 * g;
                w->img[0][i * (size_t)nb + (size_t)k] = (uint16_t)(val < 1 ? 1 : val > 65535 ? 65535 : val);
            }
            render_pixel(s, (double)x + o->shift_x, (double)y + o->shift_y, 1, v, &cov);
            w->truth[i] = cov >= 0.5;
            for (int k = 0; k < nb; k++) {
                double g = gauss(hash3((uint32_t)x, (uint32_t)y, o->seed * 13u + (uint32_t)k),
                                 hash3((uint32_t)y, (uint32_t)x, o->seed * 17u + (uint32_t)k));
                double val = v[map[k]] * gain[map[k]] + offs[map[k]] + 25.0 * g;
                w->img[1][i * (size_t)nb + (size_t)k] = (uint16_t)(val < 1 ? 1 : val > 65535 ? 65535 : val);
            }
        }
    }
    return 0;
}

static int synth_sink(void *state, int64_t job, sw_ctx *wctx)
{
    (void)job;
    sworker *w = state;
    int rc = sw__rwriter_write(w->s->w[0], wctx, w->y0, w->rows, w->img[0]);
    if (!rc)
        rc = sw__rwriter_write(w->s->w[1], wctx, w->y0, w->rows, w->img[1]);
    if (!rc)
        rc = sw__rwriter_write(w->s->w[2], wctx, w->y0, w->rows, w->truth);
    return rc;
}

void sw_synth_opts_init(sw_synth_opts *o)
{
    memset(o, 0, sizeof *o);
    o->width = o->height = 1024;
    o->bands = 4;
    o->gsd = 0.5;
    o->shift_x = 0.3;
    o->shift_y = -0.2;
    o->seed = 1;
    o->compress = 1;
}

int sw_synth_pair(sw_ctx *ctx, const char *outdir, const sw_synth_opts *opts, int64_t *new_objects,
                  sw_progress_fn progress, void *user)
{
    sw_synth_opts def;
    if (!opts) {
        sw_synth_opts_init(&def);
        opts = &def;
    }
    if (opts->width < 16 || opts->height < 16 || opts->width > 1000000 || opts->height > 1000000)
        return sw__err(ctx, SW_EARG, "synth: size must be between 16 and 1000000 pixels a side");
    if (opts->bands != 3 && opts->bands != 4)
        return sw__err(ctx, SW_EARG, "synth: bands must be 3 or 4");
    if (!(opts->gsd > 0.0))
        return sw__err(ctx, SW_EARG, "synth: pixel size must be positive");
    int rc = sw__mkdir_p(ctx, outdir);
    if (rc)
        return rc;
    sw__io_init(256 << 20);
    synth s = {.o = *opts};
    /* UTM zone 52N, near Hamhung. */
    sw__grid g = {.width = opts->width, .height = opts->height, .georef = 1,
                  .gt = {374000.0, opts->gsd, 0, 4421000.0, 0, -opts->gsd},
                  .pixel_w_m = opts->gsd, .pixel_h_m = opts->gsd};
    g.wkt = "PROJCS[\"WGS 84 / UTM zone 52N\",GEOGCS[\"WGS 84\",DATUM[\"WGS_1984\",SPHEROID[\"WGS 84\",6378137,298.257223563]],"
            "PRIMEM[\"Greenwich\",0],UNIT[\"degree\",0.0174532925199433]],PROJECTION[\"Transverse_Mercator\"],"
            "PARAMETER[\"latitude_of_origin\",0],PARAMETER[\"central_meridian\",129],PARAMETER[\"scale_factor\",0.9996],"
            "PARAMETER[\"false_easting\",500000],PARAMETER[\"false_northing\",0],UNIT[\"metre\",1],AUTHORITY[\"EPSG\",\"32652\"]]";
    static const char *const names3[] = {"red", "green", "blue"};
    static const char *const names4[] = {"blue", "green", "red", "nir"};
    const char *files[3] = {"before.tif", "after.tif", "truth.tif"};
    char *paths[3] = {0};
    for (int i = 0; i < 3; i++) {
        size_t n = strlen(outdir) + 32;
        paths[i] = malloc(n);
        if (!paths[i]) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(paths[i], n, "%s/%s", outdir, files[i]);
        s.w[i] = sw__rwriter_create(ctx, paths[i], &g, i < 2 ? opts->bands : 1, i < 2 ? SW__U16 : SW__U8,
                                    NAN, opts->compress ? SW__W_DEFLATE : SW__W_NONE);
        if (!s.w[i]) {
            rc = ctx->code;
            goto out;
        }
        if (i < 2)
            sw__rwriter_describe(s.w[i], opts->bands == 3 ? names3 : names4);
    }
    sw__pool_job job = {.njobs = (opts->height + ROWS - 1) / ROWS, .threads = 0, .user = &s,
                        .start = synth_start, .generate = synth_generate, .sink = synth_sink,
                        .stop = synth_stop, .progress = progress, .progress_user = user,
                        .progress_from = 0.0, .progress_to = 1.0, .progress_msg = "synthesizing"};
    rc = sw__pool_run(ctx, &job);
    for (int i = 0; i < 3; i++) {
        int rc2 = rc ? (sw__rwriter_abort(s.w[i]), 0) : sw__rwriter_close(s.w[i], ctx);
        s.w[i] = NULL;
        if (!rc)
            rc = rc2;
    }
    if (!rc && new_objects) {
        int64_t n = 0;
        building b;
        for (int64_t cy = 0; cy * CELL < opts->height; cy++)
            for (int64_t cx = 0; cx * CELL < opts->width; cx++) {
                cell_building(&s, cx, cy, &b);
                n += b.exists && b.is_new && b.x1 + 1 < (double)opts->width && b.y1 + 1 < (double)opts->height;
            }
        *new_objects = n;
    }
out:
    for (int i = 0; i < 3; i++) {
        sw__rwriter_abort(s.w[i]);
        free(paths[i]);
    }
    return rc;
}
