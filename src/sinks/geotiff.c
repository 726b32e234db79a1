/*
 * geotiff.c: a run's rows in GeoTIFFs, for sw_detect_run: the score pass
 * writes score.tif (float32, ZSTD, tiled, overviews built as rows stream
 * in) and a raw mask; the label pass reads the raw mask (and the scores)
 * back by strips and writes mask.tif (DEFLATE, 255 nodata) and an object-id
 * raster that the vectors are traced from. All under the run's temporary
 * names; files.c renames or deletes them.
 *
 * score.tif is written uncompressed with its overviews and copied into a
 * COG (src/io/write.c); the copy runs on a thread of its own while the
 * label pass reads the uncompressed scores and the vectors and quicklook
 * are made, and sw__rows_geotiff_finish waits for it.
 */
#include <math.h>
#include <stdlib.h>

#include "sinks.h"

typedef struct tiff_rows {
    sw__rwriter *score, *raw, *mask, *ids;
} tiff_rows;

static tiff_rows *state(sw__run *r)
{
    return r->rows_state;
}

static int open_scores(sw__run *r)
{
    tiff_rows *t = calloc(1, sizeof *t);
    if (!(r->rows_state = t))
        return sw__err(r->ctx, SW_ENOMEM, "out of memory");
    t->score = sw__rwriter_create_ex(r->ctx, r->tmp[SW__OUT_SCORE], &r->info->grid, 1, SW__F32, NAN,
                                     SW__W_ZSTD | SW__W_OVERVIEWS, r->o->creation_options);
    t->raw = t->score ? sw__rwriter_create(r->ctx, r->tmp[SW__OUT_RAW], &r->info->grid, 1, SW__U8, NAN,
                                           SW__W_PACKBITS)
                      : NULL;
    return t->score && t->raw ? 0 : r->ctx->code;
}

static int put_scores(sw__run *r, sw_ctx *ctx, int64_t y0, int nrows, const float *score, const uint8_t *raw)
{
    int rc = sw__rwriter_write(state(r)->score, ctx, y0, nrows, score);
    return rc ? rc : sw__rwriter_write(state(r)->raw, ctx, y0, nrows, raw);
}

static int close_scores(sw__run *r)
{
    tiff_rows *t = state(r);
    int rc = sw__rwriter_close(t->raw, r->ctx);
    t->raw = NULL;
    if (rc == 0) {
        const char *desc[1] = {r->m->name};
        sw__rwriter_describe(t->score, desc);
        rc = sw__rwriter_close_begin(t->score, r->ctx);
    }
    if (rc) {
        sw__rwriter_abort(t->score);
        t->score = NULL;
    }
    return rc;
}

int sw__rows_geotiff_finish(sw__run *r)
{
    tiff_rows *t = state(r);
    int rc = t && t->score ? sw__rwriter_finish(t->score, r->ctx) : 0;
    if (t)
        t->score = NULL;
    return rc;
}

/* A label worker's reader: its own handles on the raw mask and scores. */
typedef struct tiff_reader {
    sw__band *raw, *score;
    uint16_t *u16;
    size_t cap;
    int64_t width;
} tiff_reader;

static void reader_free(void *p)
{
    tiff_reader *t = p;
    if (!t)
        return;
    sw__band_close(t->raw);
    sw__band_close(t->score);
    free(t->u16);
    free(t);
}

static void *reader_new(sw__run *r, sw_ctx *ctx)
{
    tiff_reader *t = calloc(1, sizeof *t);
    if (!t) {
        sw__err(ctx, SW_ENOMEM, "out of memory");
        return NULL;
    }
    t->width = r->W;
    t->cap = (size_t)r->W * (size_t)r->strip;
    t->u16 = malloc(t->cap * sizeof *t->u16);
    t->raw = sw__band_open(ctx, r->tmp[SW__OUT_RAW]);
    t->score = t->raw && r->m->score_power ? sw__band_open(ctx, r->tmp[SW__OUT_SCORE]) : NULL;
    if (!t->u16 || !t->raw || (r->m->score_power && !t->score)) {
        if (!ctx->code)
            sw__err(ctx, SW_ENOMEM, "out of memory");
        reader_free(t);
        return NULL;
    }
    return t;
}

static int read_rows(void *p, sw_ctx *ctx, int64_t y0, int nrows, uint8_t *mask, float *score)
{
    tiff_reader *t = p;
    size_t n = (size_t)t->width * (size_t)nrows;
    if (n > t->cap)
        return sw__err(ctx, SW_EINTERNAL, "a label strip larger than planned");
    int rc = sw__band_read(t->raw, ctx, y0, nrows, t->u16, mask);
    if (rc == 0 && score && t->score)
        rc = sw__band_read_f32(t->score, ctx, y0, nrows, score, NULL);
    for (size_t i = 0; rc == 0 && i < n; i++)
        mask[i] = (uint8_t)t->u16[i];
    return rc;
}

static int open_labels(sw__run *r)
{
    tiff_rows *t = state(r);
    t->mask = sw__rwriter_create_ex(r->ctx, r->tmp[SW__OUT_MASK], &r->info->grid, 1, SW__U8, 255, SW__W_DEFLATE,
                                    r->o->creation_options);
    t->ids = t->mask ? sw__rwriter_create(r->ctx, r->tmp[SW__OUT_IDS], &r->info->grid, 1, SW__U32, NAN,
                                          SW__W_PACKBITS)
                     : NULL;
    return t->mask && t->ids ? 0 : r->ctx->code;
}

static int put_labels(sw__run *r, sw_ctx *ctx, int64_t y0, int nrows, const uint8_t *mask, const uint32_t *ids)
{
    int rc = sw__rwriter_write(state(r)->mask, ctx, y0, nrows, mask);
    return rc ? rc : sw__rwriter_write(state(r)->ids, ctx, y0, nrows, ids);
}

static int close_labels(sw__run *r)
{
    tiff_rows *t = state(r);
    int rc = sw__rwriter_close(t->mask, r->ctx);
    t->mask = NULL;
    if (rc == 0)
        rc = sw__rwriter_close(t->ids, r->ctx);
    else
        sw__rwriter_abort(t->ids);
    t->ids = NULL;
    return rc;
}

/* Writers still open (a failed run) are closed and their files deleted. */
static void free_rows(sw__run *r)
{
    tiff_rows *t = r->rows_state;
    if (t) {
        sw__rwriter_abort(t->score);
        sw__rwriter_abort(t->raw);
        sw__rwriter_abort(t->mask);
        sw__rwriter_abort(t->ids);
        free(t);
    }
    r->rows_state = NULL;
}

const sw__rows sw__rows_geotiff = {
    .open_scores = open_scores,
    .put_scores = put_scores,
    .close_scores = close_scores,
    .reader_new = reader_new,
    .read = read_rows,
    .reader_free = reader_free,
    .open_labels = open_labels,
    .put_labels = put_labels,
    .close_labels = close_labels,
    .free = free_rows,
};
