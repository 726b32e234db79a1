/*
 * chart.c: the report's activity chart, inline SVG: per scene the area of
 * objects first seen then (bars) and the area standing (line), each
 * scene's state (used, not usable, misregistered) and a legend.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_int.h"

/* Days since 1970-01-01 of YYYY-MM-DD (civil calendar). */
static double days(const char *d)
{
    int y = atoi(d), m = atoi(d + 5), dd = atoi(d + 8);
    y -= m <= 2;
    int era = (y >= 0 ? y : y - 399) / 400, yoe = y - era * 400;
    int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1, doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097.0 + doe - 719468.0;
}

/* The activity chart: per scene, the area of confirmed objects first seen
 * then (bars) and the confirmed area standing (line). */
void sw__report_chart(report *r)
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
            if (r->few ? !sw__report_candidate(o) : !sw__report_shown(o))
                continue;
            if (!strcmp(o->first_seen, r->sc[i].date))
                bar[i] += o->area_m2;
            if (strcmp(o->first_seen, r->sc[i].date) <= 0)
                cum[i] += o->area_m2;
        }
        top = fmax(top, fmax(bar[i], cum[i]));
    }
    double step = sw__nice_step(top / 4);
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
