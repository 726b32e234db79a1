/*
 * rows_memory.c: a run's rows kept in memory, for sw_detect_window: the
 * window's scores, its mask (raw from the score pass, final after the
 * label pass) and its object ids, about 9 bytes a pixel.
 */
#include <stdlib.h>
#include <string.h>

#include "engine.h"

static sw__mem_rows *state(sw__run *r)
{
    return r->rows_state;
}

static int open_scores(sw__run *r)
{
    size_t n = (size_t)r->W * (size_t)r->H;
    sw__mem_rows *m = calloc(1, sizeof *m);
    r->rows_state = m;
    if (m) {
        m->score = malloc(n * sizeof *m->score);
        m->mask = malloc(n);
    }
    if (!m || !m->score || !m->mask)
        return sw__err(r->ctx, SW_ENOMEM, "out of memory for a %lldx%lld window", (long long)r->W, (long long)r->H);
    return 0;
}

static int put_scores(sw__run *r, sw_ctx *ctx, int64_t y0, int nrows, const float *score, const uint8_t *raw)
{
    (void)ctx;
    size_t off = (size_t)y0 * (size_t)r->W, n = (size_t)nrows * (size_t)r->W;
    memcpy(state(r)->score + off, score, n * sizeof *score);
    memcpy(state(r)->mask + off, raw, n);
    return 0;
}

static int done(sw__run *r)
{
    (void)r;
    return 0;
}

/* The reader is the run itself: rows are read straight from memory. */
static void *reader_new(sw__run *r, sw_ctx *ctx)
{
    (void)ctx;
    return r;
}

static int read_rows(void *reader, sw_ctx *ctx, int64_t y0, int nrows, uint8_t *mask, float *score)
{
    (void)ctx;
    sw__run *r = reader;
    size_t off = (size_t)y0 * (size_t)r->W, n = (size_t)nrows * (size_t)r->W;
    memcpy(mask, state(r)->mask + off, n);
    if (score)
        memcpy(score, state(r)->score + off, n * sizeof *score);
    return 0;
}

static void reader_free(void *reader)
{
    (void)reader;
}

static int open_labels(sw__run *r)
{
    state(r)->ids = malloc((size_t)r->W * (size_t)r->H * sizeof *state(r)->ids);
    return state(r)->ids ? 0 : sw__err(r->ctx, SW_ENOMEM, "out of memory for a %lldx%lld window", (long long)r->W,
                                       (long long)r->H);
}

/* Label rows never overlap the rows other label workers still read: the
 * final mask takes the raw mask's place. */
static int put_labels(sw__run *r, sw_ctx *ctx, int64_t y0, int nrows, const uint8_t *mask, const uint32_t *ids)
{
    (void)ctx;
    size_t off = (size_t)y0 * (size_t)r->W, n = (size_t)nrows * (size_t)r->W;
    memcpy(state(r)->mask + off, mask, n);
    memcpy(state(r)->ids + off, ids, n * sizeof *ids);
    return 0;
}

static void free_rows(sw__run *r)
{
    sw__mem_rows *m = r->rows_state;
    if (m) {
        free(m->score);
        free(m->mask);
        free(m->ids);
        free(m);
    }
    r->rows_state = NULL;
}

const sw__rows sw__rows_memory = {
    .open_scores = open_scores,
    .put_scores = put_scores,
    .close_scores = done,
    .reader_new = reader_new,
    .read = read_rows,
    .reader_free = reader_free,
    .open_labels = open_labels,
    .put_labels = put_labels,
    .close_labels = done,
    .free = free_rows,
};
