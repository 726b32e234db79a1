/*
 * plan.c: how a run cuts its window: the strip height from the memory
 * budget, the sample's grid of pixels, and the quicklook's grid.
 */
#include <math.h>
#include <stdlib.h>

#include "engine.h"

enum { SAMPLE_ROWS_PER_JOB = 8, QL_MAX = 640 };

/* Strip height from the memory budget: half of it for the strips in
 * flight, a quarter for GDAL's block cache, the rest for the sample. A
 * worker's row holds both dates, the rows a co-registered AFTER is
 * resampled from, the pre-filtered dates, the score, the masks and the
 * morphology's scratch; its strip also carries the context rows. */
int sw__plan_strips(sw__run *r)
{
    int64_t per_row = r->W * (int64_t)(3 * r->nb * 4 + (r->m->prefilter ? 2 * r->nb * 4 : 0) +
                                       4 + 4 + 1 + 1 + 1 + 1 + 2);
    int64_t rows = r->budget / 2 / r->threads / (per_row > 0 ? per_row : 1) - 2 * r->halo_rows;
    rows = rows < 1 ? 1 : rows > 256 ? 256 : rows;
    /* Strips made of whole block rows of the input decode each block once. */
    int64_t bh = r->info->block_h;
    if (bh > 1 && rows >= bh)
        rows = rows / bh * bh;
    r->strip = r->o->tile_rows > 0 ? r->o->tile_rows : (int)rows;
    r->nstrips = (r->H + r->strip - 1) / r->strip;
    return 0;
}

/* The sample: a grid of about `target` pixels. When BEFORE is stored in
 * blocks taller than the grid's row step, every block row would be decoded
 * just for a few rows; rows are then drawn from every m-th block row only
 * (m at most 4, and at least 8 block rows sampled), more densely, so the
 * count stays the same and the pass decodes 1/m of the file. */
int sw__plan_sample(sw__run *r, int64_t target)
{
    int64_t step = (int64_t)ceil(sqrt((double)r->W * (double)r->H / (double)target));
    if (step < 1)
        step = 1;
    int64_t bh = r->info->block_h > 0 ? r->info->block_h : 1;
    int64_t nbr = (r->H + bh - 1) / bh, m = 1;
    if (bh > step) {
        m = bh / step < nbr / 8 ? bh / step : nbr / 8;
        m = m < 1 ? 1 : m > 4 ? 4 : m;
    }
    int64_t sy = step / m > 0 ? step / m : 1;
    r->step = step;
    r->block_stride = m;
    r->xoff = step / 2;
    r->scols = (r->W - r->xoff + step - 1) / step;
    r->srows = malloc(((size_t)r->H / (size_t)sy + 2) * sizeof *r->srows);
    if (!r->srows)
        return sw__err(r->ctx, SW_ENOMEM, "out of memory");
    r->nsrows = 0;
    for (int64_t y = sy / 2; y < r->H; y += sy)
        if (m == 1 || (y / bh) % m == m / 2)
            r->srows[r->nsrows++] = y;
    /* One job per block row (at most SAMPLE_ROWS_PER_JOB rows when blocks
     * are lines), so that no two workers decode the same blocks. */
    r->sjob = malloc(((size_t)r->nsrows + 2) * sizeof *r->sjob);
    if (!r->sjob)
        return sw__err(r->ctx, SW_ENOMEM, "out of memory");
    r->nsjobs = 0;
    r->sjob_max = 0;
    for (int64_t j = 0; j < r->nsrows; j++) {
        int64_t first = r->nsjobs ? r->sjob[r->nsjobs - 1] : -1;
        int same = first >= 0 && (bh > 1 ? r->srows[first] / bh == r->srows[j] / bh
                                         : j - first < SAMPLE_ROWS_PER_JOB);
        if (!same)
            r->sjob[r->nsjobs++] = j;
    }
    r->sjob[r->nsjobs] = r->nsrows;
    for (int64_t i = 0; i < r->nsjobs; i++)
        if (r->sjob[i + 1] - r->sjob[i] > r->sjob_max)
            r->sjob_max = r->sjob[i + 1] - r->sjob[i];
    return 0;
}

/* The quicklook's grid of at most QL_MAX x QL_MAX cells, filled during the
 * score pass. */
int sw__plan_quicklook(sw__run *r)
{
    r->q = ((r->W > r->H ? r->W : r->H) + QL_MAX - 1) / QL_MAX;
    r->qw = (r->W - r->q / 2 + r->q - 1) / r->q;
    r->qh = (r->H - r->q / 2 + r->q - 1) / r->q;
    size_t qcells = (size_t)r->qw * (size_t)r->qh;
    r->ql[0] = malloc(qcells * 3 * sizeof(float));
    r->ql[1] = malloc(qcells * 3 * sizeof(float));
    r->qvalid = calloc(qcells, 1);
    r->qmask = calloc(qcells, 1);
    if (!r->ql[0] || !r->ql[1] || !r->qvalid || !r->qmask)
        return sw__err(r->ctx, SW_ENOMEM, "out of memory for the quicklook");
    return 0;
}
