/*
 * ccl.c: connected components of a change mask, streamed by rows.
 *
 * Only two rows of labels are kept, whatever the scene size. A pixel takes
 * the provisional label of its first labelled 8-neighbour among W, NW, N,
 * NE (a new label when none), and pass 1 records in a union-find that the
 * others are the same component, with the smallest label as root. Pass 2
 * runs the same rule over the same rows, so it produces the same
 * provisional labels and can map each pixel straight to its final object.
 * Memory grows with the number of provisional labels, not the pixels.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../sw_int.h"

typedef struct acc {
    int64_t npix;
    double score_sum, sum_x, sum_y;
    float score_max;
    int64_t xmin, ymin, xmax, ymax;
} acc;

struct sw__ccl {
    int64_t width, y;
    uint32_t *prev, *cur;
    uint32_t *parent;  /* union-find over provisional labels, 1-based */
    acc *accs;
    uint32_t next;     /* last label handed out in this pass */
    uint32_t nlabels;  /* labels of pass 1 */
    size_t cap;
    sw__object *objs;
    int64_t nobj;
    uint32_t *obj_of;  /* label -> object index */
};

sw__ccl *sw__ccl_new(int64_t width)
{
    sw__ccl *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->width = width;
    c->prev = calloc((size_t)width + 2, sizeof(uint32_t));
    c->cur = calloc((size_t)width + 2, sizeof(uint32_t));
    if (!c->prev || !c->cur) {
        sw__ccl_free(c);
        return NULL;
    }
    return c;
}

void sw__ccl_free(sw__ccl *c)
{
    if (!c)
        return;
    free(c->prev);
    free(c->cur);
    free(c->parent);
    free(c->accs);
    free(c->objs);
    free(c->obj_of);
    free(c);
}

static uint32_t uf_find(uint32_t *parent, uint32_t a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    return a;
}

static void uf_union(uint32_t *parent, uint32_t a, uint32_t b)
{
    a = uf_find(parent, a);
    b = uf_find(parent, b);
    if (a < b)
        parent[b] = a;
    else if (b < a)
        parent[a] = b;
}

static int new_label(sw__ccl *c)
{
    if (c->next == UINT32_MAX - 1)
        return -1;
    uint32_t l = ++c->next;
    if (c->objs) /* pass 2: labels were made in pass 1 */
        return l <= c->nlabels ? 0 : -1;
    if ((size_t)l >= c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        uint32_t *p = realloc(c->parent, cap * sizeof *p);
        if (!p)
            return -1;
        c->parent = p;
        acc *a = realloc(c->accs, cap * sizeof *a);
        if (!a)
            return -1;
        c->accs = a;
        c->cap = cap;
    }
    c->parent[l] = l;
    memset(&c->accs[l], 0, sizeof(acc));
    c->accs[l].xmin = c->accs[l].ymin = INT64_MAX;
    c->accs[l].xmax = c->accs[l].ymax = -1;
    c->accs[l].score_max = -INFINITY;
    return 0;
}

/* The label rule shared by both passes; unions only in pass 1. */
static int label_row(sw__ccl *c, const uint8_t *mask, int unite, const float *score,
                     uint32_t *out)
{
    uint32_t *prev = c->prev + 1, *cur = c->cur + 1; /* index -1 and width are 0 */
    const int64_t w = c->width;
    for (int64_t x = 0; x < w; x++) {
        if (!mask[x]) {
            cur[x] = 0;
            if (out)
                out[x] = 0;
            continue;
        }
        uint32_t nb[4] = {cur[x - 1], prev[x - 1], prev[x], prev[x + 1]};
        uint32_t l = 0;
        for (int k = 0; k < 4; k++)
            if (nb[k]) {
                l = nb[k];
                break;
            }
        if (!l) {
            if (new_label(c) != 0)
                return -1;
            l = c->next;
        } else if (unite) {
            for (int k = 0; k < 4; k++)
                if (nb[k] && nb[k] != l)
                    uf_union(c->parent, l, nb[k]);
        }
        cur[x] = l;
        if (out)
            out[x] = l;
        if (unite) {
            acc *a = &c->accs[l];
            float s = score ? score[x] : 0.0f;
            a->npix++;
            a->score_sum += s;
            if (s > a->score_max)
                a->score_max = s;
            a->sum_x += (double)x;
            a->sum_y += (double)c->y;
            if (x < a->xmin) a->xmin = x;
            if (x > a->xmax) a->xmax = x;
            if (c->y < a->ymin) a->ymin = c->y;
            if (c->y > a->ymax) a->ymax = c->y;
        }
    }
    uint32_t *t = c->prev;
    c->prev = c->cur;
    c->cur = t;
    c->y++;
    return 0;
}

int sw__ccl_row(sw__ccl *c, const uint8_t *mask, const float *score, uint32_t *labels)
{
    return label_row(c, mask, 1, score, labels);
}

int64_t sw__ccl_finish(sw__ccl *c)
{
    c->nlabels = c->next;
    uint32_t n = c->nlabels;
    c->obj_of = malloc(((size_t)n + 1) * sizeof *c->obj_of);
    if (!c->obj_of)
        return -1;
    /* Roots in increasing order are the components in order of first pixel. */
    int64_t nobj = 0;
    for (uint32_t l = 1; l <= n; l++) {
        uint32_t r = uf_find(c->parent, l);
        c->parent[l] = r;
        if (r == l)
            c->obj_of[l] = (uint32_t)nobj++;
    }
    c->objs = calloc((size_t)nobj + 1, sizeof *c->objs);
    if (!c->objs)
        return -1;
    for (int64_t i = 0; i < nobj; i++) {
        c->objs[i].xmin = c->objs[i].ymin = INT64_MAX;
        c->objs[i].xmax = c->objs[i].ymax = -1;
        c->objs[i].score_max = -INFINITY;
    }
    for (uint32_t l = 1; l <= n; l++) {
        uint32_t oi = c->obj_of[c->parent[l]];
        c->obj_of[l] = oi;
        sw__object *o = &c->objs[oi];
        const acc *a = &c->accs[l];
        o->npix += a->npix;
        o->score_sum += a->score_sum;
        if (a->score_max > o->score_max) o->score_max = a->score_max;
        o->sum_x += a->sum_x;
        o->sum_y += a->sum_y;
        if (a->xmin < o->xmin) o->xmin = a->xmin;
        if (a->ymin < o->ymin) o->ymin = a->ymin;
        if (a->xmax > o->xmax) o->xmax = a->xmax;
        if (a->ymax > o->ymax) o->ymax = a->ymax;
    }
    free(c->accs);
    c->accs = NULL;
    c->nobj = nobj;
    return nobj;
}

sw__object *sw__ccl_objects(sw__ccl *c)
{
    return c->objs;
}

int64_t sw__ccl_keep(sw__ccl *c, int64_t min_pixels)
{
    return sw__ccl_keep_shaped(c, min_pixels, 0.0);
}

double sw__object_mean_width(const sw__object *o)
{
    double w = (double)(o->xmax - o->xmin + 1), h = (double)(o->ymax - o->ymin + 1);
    return (double)o->npix / hypot(w, h);
}

int64_t sw__ccl_keep_shaped(sw__ccl *c, int64_t min_pixels, double min_width)
{
    int64_t id = 0;
    for (int64_t i = 0; i < c->nobj; i++) {
        const sw__object *o = &c->objs[i];
        /* A sliver: thinner than min_width on average, and long (at least
         * four times as long as that), like the edge a misregistration
         * leaves along a road or a roof. */
        double len = hypot((double)(o->xmax - o->xmin + 1), (double)(o->ymax - o->ymin + 1));
        int sliver = min_width > 0 && sw__object_mean_width(o) < min_width && len >= 4 * min_width;
        c->objs[i].id = o->npix >= min_pixels && !sliver ? ++id : 0;
    }
    return id;
}

void sw__ccl_rewind(sw__ccl *c)
{
    c->y = 0;
    c->next = 0;
    memset(c->prev, 0, ((size_t)c->width + 2) * sizeof(uint32_t));
    memset(c->cur, 0, ((size_t)c->width + 2) * sizeof(uint32_t));
}

int sw__ccl_row2(sw__ccl *c, const uint8_t *mask, uint32_t *ids)
{
    if (label_row(c, mask, 0, NULL, ids) != 0)
        return -1;
    for (int64_t x = 0; x < c->width; x++)
        if (ids[x])
            ids[x] = (uint32_t)c->objs[c->obj_of[ids[x]]].id;
    return 0;
}
