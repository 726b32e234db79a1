/*
 * track.h: change objects followed across a site's scenes (track.c). Each
 * scene's objects (from its comparison with the baseline) are matched to
 * the tracks by overlap; after each scene, tracks seen in `confirm`
 * consecutive usable scenes are confirmed.
 */
#ifndef SW_TRACK_H
#define SW_TRACK_H

#include "../catalog/store.h"

typedef struct sw__track {
    char *wkt;           /* the latest outline */
    double box[4];       /* its bounding box */
    double cx, cy;       /* its centroid */
    char first[11], last[11], confirmed[11];
    int consec, matched;
    double area_first, area_last;
    sw__obs_row *o;
    int no, co;
    int64_t id;          /* in the catalog, after persisting */
} sw__track;

typedef struct sw__tracker {
    sw__track *t;
    int n, cap;
    int64_t scene;
    const char *date;
    double min_area;
    int failed;
} sw__tracker;

/* Adds one object of the current scene (k->scene, k->date) to the tracks:
 * objects under k->min_area are ignored; the track it overlaps most (at
 * least 0.3 of the smaller, areas within a factor of 5) continues, else a
 * new one starts; a second part of a matched object joins it. Sets
 * k->failed when out of memory. A callback of sw__store_pair_get. */
int sw__track_object(void *user, const char *wkt, double area, double score);
/* After a scene: tracks not seen there lose their run of consecutive
 * scenes, unless the scene (or the baseline) did not see their place; those
 * seen in `confirm` in a row are confirmed on date. */
void sw__track_confirm(sw__tracker *k, int confirm, const char *date, const char *chip, const char *mask,
                       const char *base_chip, const char *base_mask);
void sw__tracks_free(sw__tracker *k);

/* Whether two bounding boxes (sw__wkt_envelope's) meet. */
int sw__boxes_meet(const double a[4], const double b[4]);

#endif
