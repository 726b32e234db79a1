/*
 * outline.c: the geometry of change objects' outlines for the report:
 * their rings read from WKT, area, centroid and the smallest enclosing
 * rectangle (its length and width less the fringe of partly changed
 * pixels).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"


void sw__outline_free(rings *g)
{
    free(g->p);
    free(g->start);
    memset(g, 0, sizeof *g);
}

/* The rings of a WKT polygon or multipolygon, read by OGR (src/io). */
int sw__outline_parse(const char *wkt, rings *g)
{
    memset(g, 0, sizeof *g);
    sw__rings r;
    if (sw__wkt_rings(wkt, &r) != 0)
        return -1;
    g->p = malloc(sizeof *g->p * (size_t)r.npts);
    g->start = malloc(sizeof *g->start * (size_t)(r.nrings + 1));
    if (!g->p || !g->start) {
        sw__rings_free(&r);
        sw__outline_free(g);
        return -1;
    }
    for (int i = 0; i < r.npts; i++)
        g->p[i] = (pt){r.xy[2 * i], r.xy[2 * i + 1]};
    memcpy(g->start, r.start, sizeof *g->start * (size_t)(r.nrings + 1));
    g->n = g->cap = r.npts;
    g->nr = g->capr = r.nrings;
    sw__rings_free(&r);
    return 0;
}

static double cross(pt o, pt a, pt b)
{
    return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

static int cmp_pt(const void *a, const void *b)
{
    const pt *p = a, *q = b;
    return p->x < q->x ? -1 : p->x > q->x ? 1 : (p->y > q->y) - (p->y < q->y);
}

/* Length and width of the smallest rectangle around the points (rotating
 * calipers over the convex hull). */
void sw__outline_min_rect(const rings *g, double *length, double *width)
{
    *length = *width = 0;
    int n = g->n;
    pt *s = malloc((size_t)n * sizeof *s), *h = malloc((size_t)(2 * n + 1) * sizeof *h);
    if (!s || !h || n < 3) {
        free(s);
        free(h);
        return;
    }
    memcpy(s, g->p, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_pt);
    int k = 0;
    for (int i = 0; i < n; i++) {
        while (k >= 2 && cross(h[k - 2], h[k - 1], s[i]) <= 0)
            k--;
        h[k++] = s[i];
    }
    for (int i = n - 2, t = k + 1; i >= 0; i--) {
        while (k >= t && cross(h[k - 2], h[k - 1], s[i]) <= 0)
            k--;
        h[k++] = s[i];
    }
    double best = INFINITY;
    for (int i = 0; i + 1 < k; i++) {
        double dx = h[i + 1].x - h[i].x, dy = h[i + 1].y - h[i].y, l = hypot(dx, dy);
        if (l <= 0)
            continue;
        dx /= l;
        dy /= l;
        double u0 = INFINITY, u1 = -INFINITY, v0 = INFINITY, v1 = -INFINITY;
        for (int j = 0; j < k; j++) {
            double u = h[j].x * dx + h[j].y * dy, v = -h[j].x * dy + h[j].y * dx;
            u0 = fmin(u0, u);
            u1 = fmax(u1, u);
            v0 = fmin(v0, v);
            v1 = fmax(v1, v);
        }
        if ((u1 - u0) * (v1 - v0) < best) {
            best = (u1 - u0) * (v1 - v0);
            *length = fmax(u1 - u0, v1 - v0);
            *width = fmin(u1 - u0, v1 - v0);
        }
    }
    free(s);
    free(h);
}

/* The area the rings enclose (holes subtract by orientation). */
double sw__outline_area(const rings *g)
{
    double a = 0;
    for (int r = 0; r < g->nr; r++)
        for (int i = g->start[r]; i < g->start[r + 1]; i++) {
            int j = i + 1 < g->start[r + 1] ? i + 1 : g->start[r];
            a += g->p[i].x * g->p[j].y - g->p[j].x * g->p[i].y;
        }
    return fabs(0.5 * a);
}

/* The outline follows whole pixels, so it holds a fringe of pixels only
 * partly changed; the object's (sub-pixel) area says how wide: the
 * rectangle L x W shrunk by a uniform fringe t, (L - 2t)(W - 2t) = area. */
void sw__shrink_to_area(double *length, double *width, double outline_area, double area)
{
    if (!(area > 0) || !(area < outline_area) || !(*width > 0))
        return;
    double L = *length, W = *width, rect = L * W * area / outline_area; /* the same share of the rectangle */
    double b = -2 * (L + W), c = L * W - rect, disc = b * b - 16 * c;
    if (disc < 0)
        return;
    double t = (-b - sqrt(disc)) / 8; /* 4t^2 + bt + c = 0, the smaller root */
    if (t > 0 && W - 2 * t > 0) {
        *length = L - 2 * t;
        *width = W - 2 * t;
    }
}

/* Area-weighted centroid of the rings (holes subtract by orientation). */
pt sw__outline_centroid(const rings *g)
{
    double a = 0, cx = 0, cy = 0;
    for (int r = 0; r < g->nr; r++)
        for (int i = g->start[r]; i < g->start[r + 1]; i++) {
            int j = i + 1 < g->start[r + 1] ? i + 1 : g->start[r];
            double c = g->p[i].x * g->p[j].y - g->p[j].x * g->p[i].y;
            a += c;
            cx += (g->p[i].x + g->p[j].x) * c;
            cy += (g->p[i].y + g->p[j].y) * c;
        }
    if (fabs(a) < 1e-12)
        return g->n ? g->p[0] : (pt){0, 0};
    return (pt){cx / (3 * a), cy / (3 * a)};
}
