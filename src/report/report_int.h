/* report_int.h: the report's insides, shared by report.c (the page and
 * its sections), figure.c (pictures of chips with outlines, scale bars and
 * north arrows), chart.c (activity over time) and outline.c (the geometry
 * of object outlines). */
#ifndef SW_REPORT_INT_H
#define SW_REPORT_INT_H

#include "../catalog/store.h"

/* ---- outlines (outline.c) ---- */
typedef struct pt {
    double x, y;
} pt;

typedef struct rings {
    pt *p;
    int n, cap;
    int *start; /* ring r is p[start[r] .. start[r + 1]) */
    int nr, capr;
} rings;

void sw__outline_free(rings *g);
/* Parses a POLYGON or MULTIPOLYGON's rings; 0, or -1 for what it cannot read. */
int sw__outline_parse(const char *wkt, rings *g);
/* The smallest enclosing rectangle's length and width. */
void sw__outline_min_rect(const rings *g, double *length, double *width);
double sw__outline_area(const rings *g);
/* Shrinks length x width to area (the fringe of partly changed pixels). */
void sw__shrink_to_area(double *length, double *width, double outline_area, double area);
pt sw__outline_centroid(const rings *g);

/* ---- what the report shows ---- */

typedef struct scene {
    int64_t id;
    char date[11], sensor[32], sha[65];
    char *source, *chip;
    double cover, cloud;
    double sx, sy;  /* shift onto the baseline (pixels), NAN when unknown */
    int usable, stretched;
    double lo[3], hi[3];
} scene;

typedef struct object {
    sw__site_object o;
    sw__buf seen;  /* "date: area m2" per observation, HTML */
    rings g;
    double length, width;
    double lon, lat;
    char mgrs[24];  /* to 1 m, or "" */
    char alert[16]; /* its alert's state, or "" */
    int64_t alert_id;
} object;

typedef struct report {
    sw_ctx *ctx;
    sw_site site;
    scene *sc;
    int nsc;
    object *ob;
    int64_t nob;
    char params[1024], run_at[32];
    double gt[6];
    int W, H;
    sw__buf b;
    int images;
    int64_t at;     /* the object observations are being read for */
    int few;        /* nothing confirmed yet: candidates are shown */
} report;

/* Confirmed and not dismissed: what the report shows as a finding. */
int sw__report_shown(const sw__site_object *o);
/* Seen but not (yet) confirmed, neither gone nor withdrawn. */
int sw__report_candidate(const sw__site_object *o);
/* s into b, HTML-escaped. */
void sw__html_esc(sw__buf *b, const char *s);
/* A round step near target: 1, 2 or 5 times a power of ten. */
double sw__nice_step(double target);

/* figure.c: the window (x, y, w, h) of scene s as a picture max_side pixels
 * at most, shown disp_w wide, captioned; with the object only's outline
 * (only not NULL), else every object shown and the AOI; a scale bar and a
 * north arrow. */
int sw__report_picture(report *r, scene *s, int x, int y, int w, int h, int max_side, int disp_w, const char *caption,
                       const object *only);
/* chart.c: the activity chart. */
void sw__report_chart(report *r);

#endif
