/*
 * track.c: change objects followed across a site's scenes (track.h).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "track.h"

void sw__tracks_free(sw__tracker *k)
{
    for (int i = 0; i < k->n; i++) {
        free(k->t[i].wkt);
        free(k->t[i].o);
    }
    free(k->t);
}

int sw__boxes_meet(const double a[4], const double b[4])
{
    return a[0] <= b[2] && b[0] <= a[2] && a[1] <= b[3] && b[1] <= a[3];
}

int sw__track_object(void *user, const char *wkt, double area, double score)
{
    sw__tracker *k = user;
    if (area < k->min_area)
        return 0;
    int best = -1;
    double bo = 0.3, box[4];
    sw__wkt_envelope(wkt, box);
    for (int i = 0; i < k->n; i++) {
        if (!sw__boxes_meet(box, k->t[i].box))
            continue; /* apart: no need to intersect the outlines */
        /* Overlap of the smaller; areas within a factor of 5 (a cloud
         * residue does not swallow the specks it lies over). */
        double prev = k->t[i].o && k->t[i].no ? k->t[i].o[k->t[i].no - 1].area : area;
        if (area > 5 * prev || prev > 5 * area)
            continue;
        double ov = sw__wkt_overlap(k->t[i].wkt, wkt);
        if (ov >= bo) {
            bo = ov;
            best = i;
        }
    }
    if (best < 0) {
        if (k->n == k->cap) {
            int cap = k->cap ? 2 * k->cap : 64;
            sw__track *nt = realloc(k->t, (size_t)cap * sizeof *nt);
            if (!nt)
                return k->failed = 1;
            k->t = nt;
            k->cap = cap;
        }
        best = k->n++;
        memset(&k->t[best], 0, sizeof(sw__track));
        snprintf(k->t[best].first, 11, "%s", k->date);
        k->t[best].area_first = area;
    }
    sw__track *t = &k->t[best];
    /* A second part of the same object in this scene joins the first. */
    int second = t->matched && t->no > 0 && t->o[t->no - 1].scene == k->scene && t->wkt;
    char *w = second ? sw__wkt_union(t->wkt, wkt) : strdup(wkt);
    if (!w)
        return k->failed = 1;
    free(t->wkt);
    t->wkt = w;
    if (second) {
        sw__wkt_envelope(w, t->box);
        wkt = w;
    } else {
        memcpy(t->box, box, sizeof box);
    }
    if (sw__wkt_centroid(wkt, &t->cx, &t->cy) != 0)
        t->cx = t->cy = NAN;
    if (!t->matched) {
        t->matched = 1;
        t->consec++;
        t->area_last = 0;
    }
    t->area_last += area;
    snprintf(t->last, 11, "%s", k->date);
    if (t->no == t->co) {
        int co = t->co ? 2 * t->co : 8;
        sw__obs_row *no = realloc(t->o, (size_t)co * sizeof *no);
        if (!no)
            return k->failed = 1;
        t->o = no;
        t->co = co;
    }
    if (t->no > 0 && t->o[t->no - 1].scene == k->scene) {
        t->o[t->no - 1].area += area; /* a second part of the same object */
    } else {
        t->o[t->no].scene = k->scene;
        t->o[t->no].area = area;
        t->o[t->no].score = score;
        t->no++;
    }
    return 0;
}

/* After a scene: objects not seen there lose their run of consecutive
 * scenes, unless the scene did not see their place (cloud, nodata: they
 * keep it); those seen in `confirm` in a row are confirmed on date. */
void sw__track_confirm(sw__tracker *k, int confirm, const char *date, const char *chip, const char *mask,
                         const char *base_chip, const char *base_mask)
{
    /* The unmatched objects' centres, and whether either date missed them. */
    double *x = malloc((size_t)(k->n + 1) * sizeof *x), *y = malloc((size_t)(k->n + 1) * sizeof *y);
    uint8_t *unseen = calloc((size_t)k->n + 1, 1);
    int *at = malloc((size_t)(k->n + 1) * sizeof *at), m = 0;
    for (int t = 0; x && y && at && t < k->n; t++) {
        at[t] = -1;
        if (!k->t[t].matched && !isnan(k->t[t].cx)) {
            x[m] = k->t[t].cx;
            y[m] = k->t[t].cy;
            at[t] = m++;
        }
    }
    if (x && y && at && unseen && m > 0) {
        sw__points_unseen(chip, mask, x, y, m, unseen);
        sw__points_unseen(base_chip, base_mask, x, y, m, unseen);
    }
    for (int t = 0; t < k->n; t++) {
        sw__track *tr = &k->t[t];
        if (tr->matched) {
            if (tr->consec >= confirm && !tr->confirmed[0])
                snprintf(tr->confirmed, 11, "%s", date);
        } else if (!(at && unseen && at[t] >= 0 && unseen[at[t]])) {
            tr->consec = 0; /* its place was seen, and it was not there */
        }
    }
    free(x);
    free(y);
    free(at);
    free(unseen);
}
