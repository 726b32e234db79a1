/*
 * report.c: a site's evidence report (`sitewatch report`), one HTML file
 * that works offline and can be published: every picture is an embedded
 * PNG, every drawing inline SVG, no script or style is fetched.
 *
 * It shows the site on its latest clear scene with the AOI and the
 * confirmed objects; each confirmed object with the identical window
 * before it stood, when it was first seen and on the latest scene that
 * shows it (outline, scale bar, north arrow), its dates, area and
 * dimensions; an activity chart over time; a table of all objects; the
 * scenes and parameters that produced it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../catalog/store.h"

/* ---- geometry of outlines ---- */

typedef struct pt {
    double x, y;
} pt;

typedef struct rings {
    pt *p;
    int n, cap;
    int *start; /* ring r is p[start[r] .. start[r + 1]) */
    int nr, capr;
} rings;

static void rings_free(rings *g)
{
    free(g->p);
    free(g->start);
    memset(g, 0, sizeof *g);
}

/* The rings of a WKT polygon or multipolygon, read by OGR (src/io). */
static int rings_parse(const char *wkt, rings *g)
{
    memset(g, 0, sizeof *g);
    sw__rings r;
    if (sw__wkt_rings(wkt, &r) != 0)
        return -1;
    g->p = malloc(sizeof *g->p * (size_t)r.npts);
    g->start = malloc(sizeof *g->start * (size_t)(r.nrings + 1));
    if (!g->p || !g->start) {
        sw__rings_free(&r);
        rings_free(g);
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
static void min_rect(const rings *g, double *length, double *width)
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
static double rings_area(const rings *g)
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
static void shrink_to_area(double *length, double *width, double outline_area, double area)
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
static pt centroid(const rings *g)
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
static int shown(const sw__site_object *o)
{
    return o->confirmed_at[0] && !o->dismissed;
}

/* Seen in the latest comparisons but not (yet) confirmed: what a site of
 * few dates has to show. */
static int candidate(const sw__site_object *o)
{
    return !o->confirmed_at[0] && !o->dismissed && strcmp(o->status, "withdrawn") && strcmp(o->status, "gone");
}

static void esc(sw__buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': sw__buf_printf(b, "&lt;"); break;
        case '>': sw__buf_printf(b, "&gt;"); break;
        case '&': sw__buf_printf(b, "&amp;"); break;
        case '"': sw__buf_printf(b, "&quot;"); break;
        default: sw__buf_putc(b, *s);
        }
    }
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Days since 1970-01-01 of YYYY-MM-DD (civil calendar). */
static double days(const char *d)
{
    int y = atoi(d), m = atoi(d + 5), dd = atoi(d + 8);
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1, doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097.0 + doe - 719468.0;
}

/* A round length near target metres: 1, 2 or 5 times a power of ten. */
static double nice(double target)
{
    double p = pow(10, floor(log10(target))), f = target / p;
    return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * p;
}

/* Scale bar (bottom left) and north arrow (top right) for a picture of
 * w x h units where one unit is upm metres. */
static void furniture(sw__buf *b, double w, double h, double upm)
{
    double len = nice(0.25 * w * upm), px = len / upm, u = w / 100.0;
    double x = 3 * u, y = h - 4 * u;
    sw__buf_printf(b, "<rect x='%.2f' y='%.2f' width='%.2f' height='%.2f' fill='#fff' opacity='.75'/>", x - u,
                   y - 4.5 * u, px + 2 * u, 6 * u);
    sw__buf_printf(b, "<path d='M%.2f %.2fv%.2fh%.2fv%.2f' stroke='#000' fill='none' stroke-width='%.2f'/>", x,
                   y - u, u, px, -u, 0.5 * u);
    sw__buf_printf(b, "<text x='%.2f' y='%.2f' font-size='%.2f' font-family='sans-serif'>%g %s</text>", x,
                   y - 1.6 * u, 3.2 * u, len >= 1000 ? len / 1000 : len, len >= 1000 ? "km" : "m");
    double ax = w - 6 * u, ay = 3 * u;
    sw__buf_printf(b, "<g class='north'><rect x='%.2f' y='%.2f' width='%.2f' height='%.2f' fill='#fff' opacity='.75'/>",
                   ax - 3 * u, ay - u, 6 * u, 12 * u);
    sw__buf_printf(b, "<path d='M%.2f %.2fl%.2f %.2fl%.2f %.2fl%.2f %.2fz' fill='#000'/>", ax, ay + u, 2 * u, 6 * u,
                   -2 * u, -1.5 * u, -2 * u, 1.5 * u);
    sw__buf_printf(b, "<text x='%.2f' y='%.2f' font-size='%.2f' text-anchor='middle' font-family='sans-serif' "
                      "font-weight='bold'>N</text></g>", ax, ay + 10.5 * u, 3.2 * u);
}

/* An outline as an SVG path in the picture's units: map to chip pixels,
 * minus the window's corner, times scale. */
static void outline(report *r, sw__buf *b, const rings *g, double x0, double y0, double scale, const char *style)
{
    sw__buf_printf(b, "<path %s d='", style);
    for (int k = 0; k < g->nr; k++) {
        for (int i = g->start[k]; i < g->start[k + 1]; i++) {
            double c = (g->p[i].x - r->gt[0]) / r->gt[1], l = (g->p[i].y - r->gt[3]) / r->gt[5];
            sw__buf_printf(b, "%c%.1f %.1f", i == g->start[k] ? 'M' : 'L', (c - x0) * scale, (l - y0) * scale);
        }
        sw__buf_putc(b, 'Z');
    }
    sw__buf_printf(b, "'/>");
}

static int stretch(report *r, scene *s)
{
    if (!s->stretched) {
        int rc = sw__chip_stretch(r->ctx, s->chip, s->lo, s->hi);
        if (rc)
            return rc;
        s->stretched = 1;
    }
    return 0;
}

/* One picture: the window (x, y, w, h) of a scene's chip, displayed
 * disp_w pixels wide, with outlines and furniture. */
static int picture(report *r, scene *s, int x, int y, int w, int h, int max_side, int disp_w, const char *caption,
                   const object *only)
{
    int rc = stretch(r, s);
    char *png = NULL;
    int ow, oh;
    /* A misregistered scene shows the same ground at its own offset. */
    int ox = !only || isnan(s->sx) ? 0 : (int)lround(s->sx), oy = !only || isnan(s->sy) ? 0 : (int)lround(s->sy);
    if (x + ox < 0 || y + oy < 0 || x + ox + w > r->W || y + oy + h > r->H)
        ox = oy = 0;
    if (rc == 0)
        rc = sw__chip_png(r->ctx, s->chip, x + ox, y + oy, w, h, max_side, s->lo, s->hi, &png, &ow, &oh);
    if (rc)
        return rc;
    sw__buf *b = &r->b;
    double scale = (double)ow / w; /* picture pixels per chip pixel */
    sw__buf_printf(b, "<figure class='pic' style='width:%dpx'><div class='frame'>"
                      "<img alt='%s' width='%d' height='%d' src='data:image/png;base64,%s'>",
                   disp_w, s->date, disp_w, (int)lround((double)disp_w * oh / ow), png);
    free(png);
    r->images++;
    sw__buf_printf(b, "<svg viewBox='0 0 %d %d' preserveAspectRatio='none'>", ow, oh);
    if (only) {
        outline(r, b, &only->g, x, y, scale, "class='obj'");
    } else {
        for (int64_t i = 0; i < r->nob; i++) {
            const object *o = &r->ob[i];
            int cand = r->few && candidate(&o->o);
            if (!shown(&o->o) && !cand)
                continue;
            outline(r, b, &o->g, x, y, scale, cand ? "class='cand'" : "class='obj'");
            pt c = centroid(&o->g);
            sw__buf_printf(b, "<text class='lbl' x='%.1f' y='%.1f' font-size='%.1f'>%lld</text>",
                           ((c.x - r->gt[0]) / r->gt[1] - x) * scale + 4, ((c.y - r->gt[3]) / r->gt[5] - y) * scale - 4,
                           ow / 45.0, (long long)o->o.id);
        }
        /* The AOI, from WGS84 to the site's CRS. */
        rings a;
        if (rings_parse(r->site.aoi_wkt, &a) == 0) {
            double *xs = malloc((size_t)a.n * sizeof *xs), *ys = malloc((size_t)a.n * sizeof *ys);
            if (xs && ys) {
                for (int i = 0; i < a.n; i++) {
                    xs[i] = a.p[i].x;
                    ys[i] = a.p[i].y;
                }
                if (sw__from_lonlat(r->site.crs_epsg, xs, ys, a.n) == 0) {
                    for (int i = 0; i < a.n; i++)
                        a.p[i] = (pt){xs[i], ys[i]};
                    outline(r, b, &a, x, y, scale, "class='aoi'");
                }
            }
            free(xs);
            free(ys);
            rings_free(&a);
        }
    }
    furniture(b, ow, oh, fabs(r->gt[1]) / scale);
    sw__buf_printf(b, "</svg></div><figcaption>");
    esc(b, caption);
    if (ox || oy)
        sw__buf_printf(b, " (window moved %+d, %+d px: the scene's shift onto the baseline)", ox, oy);
    sw__buf_printf(b, "</figcaption></figure>");
    return 0;
}

/* The latest usable scene on or before date (before: strictly before),
 * a cloudless one when there is; -1 if none. */
static int scene_at(const report *r, const char *date, int before)
{
    int best = -1, clear = -1;
    for (int i = 0; i < r->nsc; i++) {
        int c = strcmp(r->sc[i].date, date);
        if (r->sc[i].usable && (before ? c < 0 : c <= 0)) {
            best = i;
            if (r->sc[i].cloud < 0.01)
                clear = i;
        }
    }
    return clear >= 0 ? clear : best;
}

/* An object's centre in decimal degrees and MGRS, each with a button that
 * copies it. */
static void coords(sw__buf *b, const object *o)
{
    sw__buf_printf(b, "<p class='coords'>Centre <span class='c'>%.6f, %.6f</span> <button class='copy' "
                      "data-copy='%.6f, %.6f' title='copy latitude, longitude'>copy</button>",
                   o->lat, o->lon, o->lat, o->lon);
    if (o->mgrs[0])
        sw__buf_printf(b, " · MGRS <span class='c'>%s</span> <button class='copy' data-copy='%s' title='copy the "
                          "MGRS reference'>copy</button>",
                       o->mgrs, o->mgrs);
    sw__buf_printf(b, "</p>");
}

static int object_card(report *r, object *o)
{
    sw__buf *b = &r->b;
    double minx = INFINITY, maxx = -INFINITY, miny = INFINITY, maxy = -INFINITY;
    for (int i = 0; i < o->g.n; i++) {
        double c = (o->g.p[i].x - r->gt[0]) / r->gt[1], l = (o->g.p[i].y - r->gt[3]) / r->gt[5];
        minx = fmin(minx, c);
        maxx = fmax(maxx, c);
        miny = fmin(miny, l);
        maxy = fmax(maxy, l);
    }
    double side = fmax(maxx - minx, maxy - miny);
    side = fmax(40.0, side + 2 * fmax(10.0, 0.6 * side));
    int w = (int)fmin(side, r->W), h = (int)fmin(side, r->H);
    int x = (int)lround(0.5 * (minx + maxx) - 0.5 * w), y = (int)lround(0.5 * (miny + maxy) - 0.5 * h);
    x = x < 0 ? 0 : x + w > r->W ? r->W - w : x;
    y = y < 0 ? 0 : y + h > r->H ? r->H - h : y;
    sw__buf_printf(b, "<section class='card' id='object-%lld'><h3>Object %lld", (long long)o->o.id,
                   (long long)o->o.id);
    sw__buf_printf(b, " <span class='st %s'>%s</span></h3>", o->o.status, o->o.status);
    sw__buf_printf(b, "<p class='facts'>First seen <b>%s</b>, confirmed %s, last seen %s. Area <b>%.0f m²</b>, "
                      "%.0f m × %.0f m. ",
                   o->o.first_seen, o->o.confirmed_at, o->o.last_seen, o->o.area_m2, o->length, o->width);
    if (o->alert_id)
        sw__buf_printf(b, "<span class='alert'>Alert #%lld: %s</span>.", (long long)o->alert_id, o->alert);
    else
        sw__buf_printf(b, "No alert.");
    sw__buf_printf(b, "</p>");
    coords(b, o);
    if (o->seen.len)
        sw__buf_printf(b, "<p class='seen'>Seen: %s</p>", o->seen.data);
    sw__buf_printf(b, "<div class='row'>");
    int panels[3] = {scene_at(r, o->o.first_seen, 1), scene_at(r, o->o.first_seen, 0),
                     scene_at(r, o->o.last_seen, 0)};
    const char *what[3] = {"before", "first seen", "latest"};
    for (int k = 0; k < 3; k++) {
        if (panels[k] < 0 || (k == 2 && panels[2] == panels[1]))
            continue;
        char cap[96];
        snprintf(cap, sizeof cap, "%s: %s", what[k], r->sc[panels[k]].date);
        int rc = picture(r, &r->sc[panels[k]], x, y, w, h, 256, 250, cap, o);
        if (rc)
            return rc;
    }
    /* Its whole story: the same window on every usable scene. */
    sw__buf_printf(b, "</div><div class='strip'>");
    for (int i = 0; i < r->nsc; i++) {
        if (!r->sc[i].usable)
            continue;
        int rc = picture(r, &r->sc[i], x, y, w, h, 96, 96, r->sc[i].date, o);
        if (rc)
            return rc;
    }
    sw__buf_printf(b, "</div></section>\n");
    return 0;
}

/* The activity chart: per scene, the area of confirmed objects first seen
 * then (bars) and the confirmed area standing (line). */
static void chart(report *r)
{
    sw__buf *b = &r->b;
    if (r->nsc == 0)
        return;
    const double W = 860, H = 300, L = 70, R = 20, T = 20, B = 70;
    double t0 = days(r->sc[0].date), t1 = days(r->sc[r->nsc - 1].date);
    if (t1 <= t0)
        t1 = t0 + 1;
    double *bar = calloc((size_t)r->nsc, sizeof *bar), *cum = calloc((size_t)r->nsc, sizeof *cum), top = 1;
    if (!bar || !cum) {
        free(bar);
        free(cum);
        return;
    }
    for (int i = 0; i < r->nsc; i++) {
        for (int64_t k = 0; k < r->nob; k++) {
            const sw__site_object *o = &r->ob[k].o;
            if (r->few ? !candidate(o) : !shown(o))
                continue;
            if (!strcmp(o->first_seen, r->sc[i].date))
                bar[i] += o->area_m2;
            if (strcmp(o->first_seen, r->sc[i].date) <= 0)
                cum[i] += o->area_m2;
        }
        top = fmax(top, fmax(bar[i], cum[i]));
    }
    double step = nice(top / 4);
    top = ceil(top / step) * step;
    int decimals = step < 1 ? (int)ceil(-log10(step) - 1e-9) : 0; /* 0.2 m² steps read 0.2, not 0 */
#define XS(t) (L + ((t) - t0) / (t1 - t0) * (W - L - R))
#define YS(v) (T + (1 - (v) / top) * (H - T - B))
    sw__buf_printf(b, "<svg class='chart' viewBox='0 0 %g %g' role='img' aria-label='activity over time'>", W, H);
    for (double v = 0; v <= top + 1e-9; v += step) {
        sw__buf_printf(b, "<line x1='%g' x2='%g' y1='%.1f' y2='%.1f' class='grid'/>", L, W - R, YS(v), YS(v));
        sw__buf_printf(b, "<text x='%g' y='%.1f' class='ax tick' text-anchor='end'>%.*f</text>", L - 6, YS(v) + 4,
                       decimals, v);
    }
    sw__buf_printf(b, "<text x='14' y='%g' class='ax' transform='rotate(-90 14 %g)' text-anchor='middle'>m²</text>",
                   T + (H - T - B) / 2, T + (H - T - B) / 2);
    for (int i = 0; i < r->nsc; i++) {
        double x = XS(days(r->sc[i].date));
        if (bar[i] > 0)
            sw__buf_printf(b, "<rect class='bar%s' x='%.1f' y='%.1f' width='14' height='%.1f'><title>%s: %.0f m² "
                              "%s</title></rect>", r->few ? " candbar" : "", x - 7, YS(bar[i]), YS(0) - YS(bar[i]),
                           r->sc[i].date, bar[i], r->few ? "of candidates first seen" : "new");
        /* each scene: used, not usable (cloud, cover), or used but shifted
         * (misregistered) by half a pixel or more */
        const scene *sc = &r->sc[i];
        int shifted = !isnan(sc->sx) && hypot(sc->sx, sc->sy) >= 0.5;
        sw__buf_printf(b, "<circle cx='%.1f' cy='%.1f' r='4' class='%s'><title>%s: %s, %.0f%% clear",
                       x, YS(0) + 10, !sc->usable ? "bad" : shifted ? "shifted" : "ok", sc->date,
                       sc->usable ? "used" : "not usable", 100 * sc->cover * (1 - sc->cloud));
        if (shifted)
            sw__buf_printf(b, ", shifted %+.2f, %+.2f px onto the baseline", sc->sx, sc->sy);
        sw__buf_printf(b, "</title></circle>");
        sw__buf_printf(b, "<text x='%.1f' y='%.1f' class='ax' transform='rotate(-45 %.1f %.1f)' "
                          "text-anchor='end'>%s</text>", x, YS(0) + 26, x, YS(0) + 26, r->sc[i].date);
    }
    sw__buf_printf(b, "<polyline class='cum' points='");
    for (int i = 0; i < r->nsc; i++)
        sw__buf_printf(b, "%.1f,%.1f ", XS(days(r->sc[i].date)), YS(cum[i]));
    sw__buf_printf(b, "'/>");
    sw__buf_printf(b, "<g class='legend'><rect x='%g' y='%g' width='12' height='12' class='bar%s'/><text x='%g' "
                      "y='%g' class='ax'>area first seen (%s)</text>"
                      "<line x1='%g' x2='%g' y1='%g' y2='%g' class='cum'/><text x='%g' y='%g' class='ax'>%s "
                      "area standing</text></g>",
                   L + 10, T, r->few ? " candbar" : "", L + 28, T + 10,
                   r->few ? "candidates, not yet confirmed" : "confirmed objects", L + 330, L + 350, T + 6, T + 6,
                   L + 356, T + 10, r->few ? "candidate" : "confirmed");
    sw__buf_printf(b, "<g class='legend'><circle cx='%g' cy='%g' r='4' class='ok'/><text x='%g' y='%g' class='ax'>"
                      "scene used</text><circle cx='%g' cy='%g' r='4' class='bad'/><text x='%g' y='%g' class='ax'>not "
                      "usable (cloud, cover)</text><circle cx='%g' cy='%g' r='4' class='shifted'/><text x='%g' y='%g' "
                      "class='ax'>misregistered (shift of 0.5 px or more, corrected)</text></g>",
                   L + 16, T + 26, L + 28, T + 30, L + 120, T + 26, L + 132, T + 30, L + 290, T + 26, L + 302, T + 30);
#undef XS
#undef YS
    sw__buf_printf(b, "</svg>\n");
    free(bar);
    free(cum);
}

static const char *const css =
    "body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1em 2em;color:#222}"
    "h1{margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}"
    ".sub{color:#555}.row{display:flex;flex-wrap:wrap;gap:12px}"
    ".pic{margin:0}.frame{position:relative;line-height:0}.frame img{width:100%;height:auto;"
    "image-rendering:pixelated;border:1px solid #999}.frame svg{position:absolute;left:0;top:0;width:100%;height:100%}"
    "figcaption{font-size:.85em;color:#444;margin-top:.3em}"
    ".obj{fill:none;stroke:#ff2d2d;stroke-width:1.5;vector-effect:non-scaling-stroke}"
    ".aoi{fill:none;stroke:#ffd400;stroke-width:2;stroke-dasharray:6 4;vector-effect:non-scaling-stroke}"
    ".cand{fill:none;stroke:#ff9f1a;stroke-width:1.5;stroke-dasharray:4 3;vector-effect:non-scaling-stroke}"
    ".candbar{fill:#f3b26b}.few code{word-break:normal;white-space:nowrap}"
    ".lbl{fill:#fff;stroke:#000;stroke-width:.4;font-family:sans-serif;font-weight:bold}"
    ".card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;margin:1em 0}.card h3{margin:.2em 0}"
    ".st{font-size:.75em;padding:.1em .5em;border-radius:1em;background:#eee;font-weight:normal}"
    ".st.new,.st.growing{background:#ffd9d9}.facts{margin:.3em 0 .2em}.seen{font-size:.85em;color:#555;margin:0 0 .6em}"
    "table{border-collapse:collapse;font-size:.9em;width:100%}td,th{border-bottom:1px solid #e4e4e4;padding:.25em "
    ".5em;text-align:left}td.n,th.n{text-align:right}"
    ".chart{width:100%;height:auto}.grid{stroke:#e4e4e4}.ax{font-size:11px;fill:#444}.bar{fill:#e8743b}"
    ".cum{fill:none;stroke:#1f5fa8;stroke-width:2}.ok{fill:#1f5fa8}.bad{fill:#fff;stroke:#999}"
    "code{font-size:.85em;word-break:break-all}.shifted{fill:#e8743b}"
    ".strip{display:flex;flex-wrap:wrap;gap:4px;margin-top:.5em}.strip figcaption{font-size:.7em}"
    ".coords{margin:.2em 0}.c{font-family:monospace}button.copy,.zoombar button{font-size:.75em;padding:0 .5em;"
    "cursor:pointer}.zoom{overflow:hidden;border:1px solid #999;max-width:900px;position:relative;cursor:grab}"
    ".zoom .frame{transform-origin:0 0}.zoombar{margin:.3em 0}.dl{font-size:.9em}"
    "@media print{.zoombar,button.copy,.dl{display:none}body{max-width:none;padding:0}.card{break-inside:avoid}"
    "a{color:inherit;text-decoration:none}.zoom{border:none;overflow:visible}h2{break-after:avoid}}";

/* Zoom and pan on the site picture (wheel, drag, buttons), and the copy
 * buttons (the clipboard, else the text selected for the reader to copy). */
static const char *const script =
    "(function(){var box=document.getElementById('sitepic');if(box){var f=box.querySelector('.frame'),"
    "s=1,tx=0,ty=0,drag=null;function set(){f.style.transform='translate('+tx+'px,'+ty+'px) scale('+s+')';}"
    "function zoom(k,cx,cy){var n=Math.min(16,Math.max(1,s*k));tx=cx-(cx-tx)*n/s;ty=cy-(cy-ty)*n/s;s=n;"
    "if(s==1){tx=0;ty=0;}set();}"
    "box.addEventListener('wheel',function(e){e.preventDefault();var b=box.getBoundingClientRect();"
    "zoom(e.deltaY<0?1.25:0.8,e.clientX-b.left,e.clientY-b.top);},{passive:false});"
    "box.addEventListener('mousedown',function(e){drag=[e.clientX-tx,e.clientY-ty];e.preventDefault();});"
    "addEventListener('mousemove',function(e){if(drag&&s>1){tx=e.clientX-drag[0];ty=e.clientY-drag[1];set();}});"
    "addEventListener('mouseup',function(){drag=null;});"
    "document.querySelectorAll('.zoombar button').forEach(function(btn){btn.addEventListener('click',function(){"
    "var k=parseFloat(btn.dataset.zoom),b=box.getBoundingClientRect();if(k)zoom(k,b.width/2,b.height/2);"
    "else{s=1;tx=0;ty=0;set();}});});}"
    "document.querySelectorAll('button.copy').forEach(function(btn){btn.addEventListener('click',function(){"
    "var t=btn.dataset.copy,done=function(){btn.textContent='copied';setTimeout(function(){btn.textContent='copy';},"
    "1500);},sel=function(){var r=document.createRange();r.selectNodeContents(btn.previousElementSibling);"
    "var g=getSelection();g.removeAllRanges();g.addRange(r);};"
    "if(navigator.clipboard&&window.isSecureContext)navigator.clipboard.writeText(t).then(done,sel);else sel();});});"
    "})();";

/* The objects as GeoJSON (WGS84), embedded as a link that saves them. */
static int download(report *r)
{
    sw__buf g = {0};
    sw__buf_printf(&g, "{\"type\":\"FeatureCollection\",\"features\":[");
    for (int64_t i = 0; i < r->nob; i++) {
        const object *o = &r->ob[i];
        char *geom = sw__wkt_to_geojson(o->o.wkt, r->site.crs_epsg, 0);
        sw__buf_printf(&g, "%s{\"type\":\"Feature\",\"properties\":{\"id\":%lld,\"status\":\"%s\","
                           "\"first_seen\":\"%s\",\"last_seen\":\"%s\",\"confirmed_at\":",
                       i ? "," : "", (long long)o->o.id, o->o.status, o->o.first_seen, o->o.last_seen);
        if (o->o.confirmed_at[0])
            sw__buf_printf(&g, "\"%s\"", o->o.confirmed_at);
        else
            sw__buf_printf(&g, "null");
        sw__buf_printf(&g, ",\"area_m2\":%.1f,\"lon\":%.6f,\"lat\":%.6f,\"mgrs\":\"%s\",\"alert_id\":",
                       o->o.area_m2, o->lon, o->lat, o->mgrs);
        if (o->alert_id)
            sw__buf_printf(&g, "%lld,\"alert_state\":\"%s\"", (long long)o->alert_id, o->alert);
        else
            sw__buf_printf(&g, "null,\"alert_state\":null");
        sw__buf_printf(&g, "},\"geometry\":%s}", geom ? geom : "null");
        free(geom);
    }
    sw__buf_printf(&g, "]}\n");
    char *b64 = g.failed ? NULL : sw__base64(g.data, g.len);
    sw__buf_free(&g);
    if (!b64)
        return sw__err(r->ctx, SW_ENOMEM, "out of memory writing the report");
    sw__buf_printf(&r->b, "<p class='dl'><a download='");
    esc(&r->b, r->site.name);
    sw__buf_printf(&r->b, "-objects.geojson' href='data:application/geo+json;base64,%s'>Download the %lld objects as "
                          "GeoJSON</a> (WGS84, with their dates, status, MGRS and alerts)</p>\n",
                   b64, (long long)r->nob);
    free(b64);
    return 0;
}

static int build(report *r)
{
    sw__buf *b = &r->b;
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%d %H:%M UTC", &tm);
    int nconf = 0;
    double conf_area = 0;
    for (int64_t i = 0; i < r->nob; i++)
        if (shown(&r->ob[i].o)) {
            nconf++;
            conf_area += r->ob[i].o.area_m2;
        }
    int nuse = 0;
    for (int i = 0; i < r->nsc; i++)
        nuse += r->sc[i].usable;
    sw__buf_printf(b, "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                      "<meta name='viewport' content='width=device-width,initial-scale=1'>"
                      "<meta name='generator' content='sitewatch %s'><title>sitewatch report: ", SW_VERSION_STRING);
    esc(b, r->site.name);
    sw__buf_printf(b, "</title><style>%s</style></head><body>\n<h1>Site ", css);
    esc(b, r->site.name);
    sw__buf_printf(b, "</h1><p class='sub'>%.5f° N, %.5f° E · %.2f km² watched · EPSG:%d at %.2f m · %d scenes "
                      "from %s to %s, %d usable · report made %s by sitewatch %s</p>\n",
                   r->site.lat, r->site.lon, r->site.area_m2 / 1e6, r->site.crs_epsg, r->site.resolution_m, r->nsc,
                   r->nsc ? r->sc[0].date : "-", r->nsc ? r->sc[r->nsc - 1].date : "-", nuse, now, SW_VERSION_STRING);
    sw__buf_printf(b, "<p><b>%d confirmed change object%s</b> covering %.0f m² in all; %lld object%s followed.</p>\n",
                   nconf, nconf == 1 ? "" : "s", conf_area, (long long)r->nob, r->nob == 1 ? "" : "s");
    /* With few dates nothing is confirmed yet: the candidates are shown,
     * and the rule that would confirm them. */
    int ncand = 0, confirm = 2, after = 0;
    double cand_area = 0;
    for (int64_t i = 0; i < r->nob; i++)
        if (candidate(&r->ob[i].o)) {
            ncand++;
            cand_area += r->ob[i].o.area_m2;
        }
    const char *cp = strstr(r->params, "\"confirm\":");
    if (cp)
        confirm = atoi(cp + 10);
    for (int i = 0, base = 0; i < r->nsc; i++)
        if (r->sc[i].usable)
            after += base++ > 0;
    r->few = nconf == 0 && ncand > 0;
    if (r->few)
        sw__buf_printf(b, "<p class='few'>No change is confirmed yet: an object is confirmed when it is seen in %d "
                          "consecutive usable scenes after the baseline (ingest <code>--confirm N</code>; more "
                          "scenes mean fewer false alarms from one odd scene and later alerts, <code>--confirm "
                          "1</code> alerts on first sight). This site has %d usable scene%s after its baseline: "
                          "<b>%d candidate%s</b> covering %.0f m² (seen, not yet confirmed) are drawn dashed and "
                          "listed under Candidates.</p>\n",
                       confirm, after, after == 1 ? "" : "s", ncand, ncand == 1 ? "" : "s", cand_area);
    /* The site on its latest usable scene. */
    int last = -1;
    for (int i = 0; i < r->nsc; i++)
        if (r->sc[i].usable)
            last = i;
    if (last >= 0) {
        char cap[160];
        snprintf(cap, sizeof cap, "The site on %s: its area of interest (dashed yellow) and the %s", r->sc[last].date,
                 r->few ? "candidates (dashed orange: seen, not yet confirmed)" : "confirmed objects");
        sw__buf_printf(b, "<h2>The site</h2><div class='zoombar'><button data-zoom='1.5'>+</button> "
                          "<button data-zoom='0.6667'>−</button> <button data-zoom='0'>reset</button> "
                          "<small>or scroll to zoom, drag to pan</small></div><div class='zoom' id='sitepic'>");
        int rc = picture(r, &r->sc[last], 0, 0, r->W, r->H, 900, 900, cap, NULL);
        if (rc)
            return rc;
        sw__buf_printf(b, "</div>");
    }
    int rc = download(r);
    if (rc)
        return rc;
    sw__buf_printf(b, "<h2>Activity over time</h2>\n");
    chart(r);
    if (r->few) {
        sw__buf_printf(b, "<h2>Candidates</h2><table id='candidates'><thead><tr><th class='n'>id</th>"
                          "<th>status</th><th>first seen</th><th>last seen</th><th class='n'>area m²</th>"
                          "<th class='n'>lat</th><th class='n'>lon</th></tr></thead><tbody>\n");
        for (int pass = 0; pass < r->nsc; pass++)
            for (int64_t i = 0; i < r->nob; i++) {
                const object *o = &r->ob[i];
                if (candidate(&o->o) && !strcmp(o->o.first_seen, r->sc[pass].date))
                    sw__buf_printf(b, "<tr class='cand'><td class='n'>%lld</td><td>%s</td><td>%s</td><td>%s</td>"
                                      "<td class='n'>%.0f</td><td class='n'>%.5f</td><td class='n'>%.5f</td></tr>\n",
                                   (long long)o->o.id, o->o.status, o->o.first_seen, o->o.last_seen, o->o.area_m2,
                                   o->lat, o->lon);
            }
        sw__buf_printf(b, "</tbody></table>\n");
    }
    sw__buf_printf(b, "<h2>Confirmed objects</h2>\n");
    if (nconf == 0)
        sw__buf_printf(b, "<p>No change is confirmed yet.</p>\n");
    /* Cards in order of first appearance. */
    for (int pass = 0; pass < r->nsc; pass++)
        for (int64_t i = 0; i < r->nob; i++) {
            object *o = &r->ob[i];
            if (shown(&o->o) && !strcmp(o->o.first_seen, r->sc[pass].date) && (rc = object_card(r, o)) != 0)
                return rc;
        }
    sw__buf_printf(b, "<h2>All objects</h2><table id='objects'><thead><tr><th class='n'>id</th><th>status</th>"
                      "<th>confirmed</th><th>first seen</th><th>last seen</th><th class='n'>area m²</th>"
                      "<th class='n'>length × width m</th><th class='n'>lat</th><th class='n'>lon</th><th>MGRS</th>"
                      "<th>alert</th></tr></thead><tbody>\n");
    for (int64_t i = 0; i < r->nob; i++) {
        const object *o = &r->ob[i];
        if (shown(&o->o))
            sw__buf_printf(b, "<tr class='object'><td class='n'><a href='#object-%lld'>%lld</a></td>",
                           (long long)o->o.id, (long long)o->o.id);
        else
            sw__buf_printf(b, "<tr class='object'><td class='n'>%lld</td>", (long long)o->o.id);
        char alert[48] = "-";
        if (o->alert_id)
            snprintf(alert, sizeof alert, "#%lld %s", (long long)o->alert_id, o->alert);
        sw__buf_printf(b, "<td>%s%s</td><td>%s</td><td>%s</td><td>%s</td>"
                          "<td class='n'>%.0f</td><td class='n'>%.0f × %.0f</td><td class='n'>%.6f</td>"
                          "<td class='n'>%.6f</td><td>%s</td><td>%s</td></tr>\n",
                       o->o.status, o->o.dismissed ? " (dismissed)" : "",
                       o->o.confirmed_at[0] ? o->o.confirmed_at : "no", o->o.first_seen, o->o.last_seen,
                       o->o.area_m2, o->length, o->width, o->lat, o->lon, o->mgrs[0] ? o->mgrs : "-", alert);
    }
    sw__buf_printf(b, "</tbody></table>\n<h2>Scenes</h2><table id='scenes'><thead><tr><th>date</th><th>sensor</th>"
                      "<th class='n'>covers</th><th class='n'>cloud</th><th class='n'>shift px</th><th>used</th><th>file</th>"
                      "<th>SHA-256</th>"
                      "</tr></thead><tbody>\n");
    for (int i = 0; i < r->nsc; i++) {
        const scene *s = &r->sc[i];
        sw__buf_printf(b, "<tr><td>%s</td><td>", s->date);
        esc(b, s->sensor);
        sw__buf_printf(b, "</td><td class='n'>%.0f%%</td><td class='n'>%.0f%%</td>", 100 * s->cover, 100 * s->cloud);
        if (isnan(s->sx))
            sw__buf_printf(b, "<td class='n'>-</td>");
        else
            sw__buf_printf(b, "<td class='n'>%+.2f, %+.2f</td>", s->sx, s->sy);
        sw__buf_printf(b, "<td>%s</td><td>", s->usable ? "yes" : "no");
        esc(b, base_name(s->source));
        sw__buf_printf(b, "</td><td><code>%.12s</code></td></tr>\n", s->sha);
    }
    sw__buf_printf(b, "</tbody></table>\n<h2>How it was made</h2><p>Each usable scene (covering at least the "
                      "share of the site below, clear of cloud) was compared with the first usable scene; "
                      "clouds and their shadows were masked against the median of each scene's neighbours in "
                      "time. Objects are followed across dates by overlap and confirmed when seen in consecutive "
                      "usable scenes. Areas count edge pixels by the share of them that changed. Latest analysis "
                      "%s, with:</p><p><code>", r->run_at[0] ? r->run_at : "(none)");
    esc(b, r->params[0] ? r->params : "{}");
    sw__buf_printf(b, "</code></p>\n<p class='sub'>Site AOI (WGS84): <code>");
    esc(b, r->site.aoi_wkt);
    sw__buf_printf(b, "</code></p>\n"
                      "<script>addEventListener('load',function(){var n=0,bad=0;for(var i of document.images)"
                      "{n++;if(!i.complete||!i.naturalWidth)bad++;}document.body.dataset.images=n;"
                      "document.body.dataset.broken=bad;});</script>\n<script>%s</script>\n</body></html>\n",
                   script);
    return b->failed ? sw__err(r->ctx, SW_ENOMEM, "out of memory writing the report") : 0;
}

static void alert_state(void *user, int64_t alert, int64_t id, const char *state)
{
    report *r = user;
    for (int64_t i = 0; i < r->nob; i++)
        if (r->ob[i].o.id == id) {
            snprintf(r->ob[i].alert, sizeof r->ob[i].alert, "%s", state);
            r->ob[i].alert_id = alert;
        }
}

/* Observations come by object id: objects are in id order too. */
static void observation(void *user, int64_t id, const char *date, double area_m2)
{
    report *r = user;
    while (r->at < r->nob && r->ob[r->at].o.id < id)
        r->at++;
    if (r->at < r->nob && r->ob[r->at].o.id == id)
        sw__buf_printf(&r->ob[r->at].seen, "%s%s %.0f m²", r->ob[r->at].seen.len ? " · " : "", date, area_m2);
}

int sw_site_report(sw_ctx *ctx, sw_catalog *cat, const char *site_name, const char *out_path, int64_t *nobjects)
{
    report r = {.ctx = ctx};
    int rc = sw_site_get(ctx, cat, site_name, &r.site);
    if (rc)
        return rc;
    double min_usable = 0.5;
    /* The latest analysis and its parameters. */
    if ((rc = sw__store_last_run(ctx, cat, r.site.id, r.run_at, r.params, sizeof r.params)) != 0)
        goto out;
    const char *mu = strstr(r.params, "\"min_usable\":");
    if (mu)
        min_usable = atof(mu + 13);
    /* The scenes. */
    sw__scene_row *rows = NULL;
    int nrows = 0;
    if ((rc = sw__store_scenes(ctx, cat, r.site.id, &rows, &nrows)) != 0)
        goto out;
    r.sc = calloc((size_t)nrows + 1, sizeof *r.sc);
    if (!r.sc) {
        sw__scene_rows_free(rows, nrows);
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < nrows; i++) {
        scene *sc = &r.sc[r.nsc++];
        sc->id = rows[i].id;
        memcpy(sc->date, rows[i].date, sizeof sc->date);
        snprintf(sc->sensor, sizeof sc->sensor, "%s", rows[i].sensor);
        snprintf(sc->sha, sizeof sc->sha, "%s", rows[i].sha256);
        sc->source = rows[i].source;
        sc->chip = rows[i].chip;
        rows[i].source = rows[i].chip = NULL;
        sc->cover = rows[i].cover;
        sc->cloud = rows[i].cloud;
        sc->sx = rows[i].sx;
        sc->sy = rows[i].sy;
        sc->usable = sc->cover * (1 - sc->cloud) >= min_usable;
    }
    sw__scene_rows_free(rows, nrows);
    if (r.nsc == 0) {
        rc = sw__err(ctx, SW_EARG, "site %s has no scenes yet: ingest some first", r.site.name);
        goto out;
    }
    if ((rc = sw__chip_grid(ctx, r.sc[0].chip, r.gt, &r.W, &r.H, NULL)) != 0)
        goto out;
    /* The objects, their shapes and alerts. */
    sw__site_object *so = NULL;
    if ((rc = sw__objects_load(ctx, cat, r.site.id, &so, &r.nob)) != 0)
        goto out;
    r.ob = calloc((size_t)r.nob + 1, sizeof *r.ob);
    if (!r.ob) {
        sw__objects_free(so, r.nob);
        r.nob = 0;
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        goto out;
    }
    for (int64_t i = 0; i < r.nob; i++) {
        object *o = &r.ob[i];
        o->o = so[i];
        so[i].wkt = NULL;
        if (rings_parse(o->o.wkt, &o->g) != 0) {
            rc = sw__err(ctx, SW_EFORMAT, "object %lld: its outline cannot be read", (long long)o->o.id);
            break;
        }
        min_rect(&o->g, &o->length, &o->width);
        shrink_to_area(&o->length, &o->width, rings_area(&o->g), o->o.area_m2);
        pt c = centroid(&o->g);
        o->lon = c.x;
        o->lat = c.y;
        if (sw__to_lonlat(r.site.crs_epsg, &o->lon, &o->lat, 1) != 0 ||
            sw__mgrs(r.site.crs_epsg % 100, o->lat, c.x, c.y >= 0 ? c.y : c.y + 10000000.0, 5, o->mgrs,
                     sizeof o->mgrs) != 0)
            o->mgrs[0] = '\0';
    }
    sw__objects_free(so, r.nob);
    if (rc == 0)
        rc = sw__store_alert_states(ctx, cat, r.site.id, alert_state, &r);
    /* Each object's area per scene that saw it. */
    if (rc == 0)
        rc = sw__store_observations(ctx, cat, r.site.id, observation, &r);
    if (rc == 0)
        rc = build(&r);
    if (rc == 0)
        rc = sw__file_write_atomic(ctx, out_path, r.b.data, r.b.len);
    if (rc == 0 && nobjects)
        *nobjects = r.nob;
out:
    for (int i = 0; i < r.nsc; i++) {
        free(r.sc[i].source);
        free(r.sc[i].chip);
    }
    free(r.sc);
    for (int64_t i = 0; i < r.nob; i++) {
        free((char *)r.ob[i].o.wkt);
        sw__buf_free(&r.ob[i].seen);
        rings_free(&r.ob[i].g);
    }
    free(r.ob);
    sw__buf_free(&r.b);
    sw_site_clear(&r.site);
    return rc;
}
