/*
 * figure.c: pictures in the report: a window of a site chip as an embedded
 * PNG (one stretch per scene for the three bands), with inline SVG over it:
 * the objects' outlines, the AOI, a scale bar and a north arrow.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* Scale bar (bottom left) and north arrow (top right) for a picture of
 * w x h units where one unit is upm metres. */
static void furniture(sw__buf *b, double w, double h, double upm)
{
    double len = sw__nice_step(0.25 * w * upm), px = len / upm, u = w / 100.0;
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
int sw__report_picture(report *r, scene *s, int x, int y, int w, int h, int max_side, int disp_w, const char *caption,
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
            int cand = r->few && sw__report_candidate(&o->o);
            if (!sw__report_shown(&o->o) && !cand)
                continue;
            outline(r, b, &o->g, x, y, scale, cand ? "class='cand'" : "class='obj'");
            pt c = sw__outline_centroid(&o->g);
            sw__buf_printf(b, "<text class='lbl' x='%.1f' y='%.1f' font-size='%.1f'>%lld</text>",
                           ((c.x - r->gt[0]) / r->gt[1] - x) * scale + 4, ((c.y - r->gt[3]) / r->gt[5] - y) * scale - 4,
                           ow / 45.0, (long long)o->o.id);
        }
        /* The AOI, from WGS84 to the site's CRS. */
        rings a;
        if (sw__outline_parse(r->site.aoi_wkt, &a) == 0) {
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
            sw__outline_free(&a);
        }
    }
    furniture(b, ow, oh, fabs(r->gt[1]) / scale);
    sw__buf_printf(b, "</svg></div><figcaption>");
    sw__html_esc(b, caption);
    if (ox || oy)
        sw__buf_printf(b, " (window moved %+d, %+d px: the scene's shift onto the baseline)", ox, oy);
    sw__buf_printf(b, "</figcaption></figure>");
    return 0;
}
