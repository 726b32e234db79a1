/*
 * report.c: a site's evidence report (`sitewatch report`), one HTML file
 * that works offline and can be published: every picture is an embedded
 * PNG, every drawing inline SVG, no script or style is fetched.
 *
 * It shows the site on its latest clear scene with the AOI and the
 * confirmed objects (or, with few dates, the candidates), zoomable; each
 * confirmed object with the identical window before it stood, when it was
 * first seen and on the latest scene that shows it, then on every usable
 * scene (figure.c), its dates, area, dimensions, alert and coordinates; an
 * activity chart over time (chart.c); a table of all objects, downloadable
 * as GeoJSON; the scenes and parameters that produced it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "report_int.h"

/* Confirmed and not dismissed: what the report shows as a finding. */
int sw__report_shown(const sw__site_object *o)
{
    return o->confirmed_at[0] && !o->dismissed;
}

/* Seen in the latest comparisons but not (yet) confirmed: what a site of
 * few dates has to show. */
int sw__report_candidate(const sw__site_object *o)
{
    return !o->confirmed_at[0] && !o->dismissed && strcmp(o->status, "withdrawn") && strcmp(o->status, "gone");
}

void sw__html_esc(sw__buf *b, const char *s)
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

/* A round length near target metres: 1, 2 or 5 times a power of ten. */
double sw__nice_step(double target)
{
    double p = pow(10, floor(log10(target))), f = target / p;
    return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * p;
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
        int rc = sw__report_picture(r, &r->sc[panels[k]], x, y, w, h, 256, 250, cap, o);
        if (rc)
            return rc;
    }
    /* Its whole story: the same window on every usable scene. */
    sw__buf_printf(b, "</div><div class='strip'>");
    for (int i = 0; i < r->nsc; i++) {
        if (!r->sc[i].usable)
            continue;
        int rc = sw__report_picture(r, &r->sc[i], x, y, w, h, 96, 96, r->sc[i].date, o);
        if (rc)
            return rc;
    }
    sw__buf_printf(b, "</div></section>\n");
    return 0;
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
    sw__html_esc(&r->b, r->site.name);
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
        if (sw__report_shown(&r->ob[i].o)) {
            nconf++;
            conf_area += r->ob[i].o.area_m2;
        }
    int nuse = 0;
    for (int i = 0; i < r->nsc; i++)
        nuse += r->sc[i].usable;
    sw__buf_printf(b, "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                      "<meta name='viewport' content='width=device-width,initial-scale=1'>"
                      "<meta name='generator' content='sitewatch %s'><title>sitewatch report: ", SW_VERSION_STRING);
    sw__html_esc(b, r->site.name);
    sw__buf_printf(b, "</title><style>%s</style></head><body>\n<h1>Site ", css);
    sw__html_esc(b, r->site.name);
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
        if (sw__report_candidate(&r->ob[i].o)) {
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
        int rc = sw__report_picture(r, &r->sc[last], 0, 0, r->W, r->H, 900, 900, cap, NULL);
        if (rc)
            return rc;
        sw__buf_printf(b, "</div>");
    }
    int rc = download(r);
    if (rc)
        return rc;
    sw__buf_printf(b, "<h2>Activity over time</h2>\n");
    sw__report_chart(r);
    if (r->few) {
        sw__buf_printf(b, "<h2>Candidates</h2><table id='candidates'><thead><tr><th class='n'>id</th>"
                          "<th>status</th><th>first seen</th><th>last seen</th><th class='n'>area m²</th>"
                          "<th class='n'>lat</th><th class='n'>lon</th></tr></thead><tbody>\n");
        for (int pass = 0; pass < r->nsc; pass++)
            for (int64_t i = 0; i < r->nob; i++) {
                const object *o = &r->ob[i];
                if (sw__report_candidate(&o->o) && !strcmp(o->o.first_seen, r->sc[pass].date))
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
            if (sw__report_shown(&o->o) && !strcmp(o->o.first_seen, r->sc[pass].date) && (rc = object_card(r, o)) != 0)
                return rc;
        }
    sw__buf_printf(b, "<h2>All objects</h2><table id='objects'><thead><tr><th class='n'>id</th><th>status</th>"
                      "<th>confirmed</th><th>first seen</th><th>last seen</th><th class='n'>area m²</th>"
                      "<th class='n'>length × width m</th><th class='n'>lat</th><th class='n'>lon</th><th>MGRS</th>"
                      "<th>alert</th></tr></thead><tbody>\n");
    for (int64_t i = 0; i < r->nob; i++) {
        const object *o = &r->ob[i];
        if (sw__report_shown(&o->o))
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
        sw__html_esc(b, s->sensor);
        sw__buf_printf(b, "</td><td class='n'>%.0f%%</td><td class='n'>%.0f%%</td>", 100 * s->cover, 100 * s->cloud);
        if (isnan(s->sx))
            sw__buf_printf(b, "<td class='n'>-</td>");
        else
            sw__buf_printf(b, "<td class='n'>%+.2f, %+.2f</td>", s->sx, s->sy);
        sw__buf_printf(b, "<td>%s</td><td>", s->usable ? "yes" : "no");
        sw__html_esc(b, base_name(s->source));
        sw__buf_printf(b, "</td><td><code>%.12s</code></td></tr>\n", s->sha);
    }
    sw__buf_printf(b, "</tbody></table>\n<h2>How it was made</h2><p>Each usable scene (covering at least the "
                      "share of the site below, clear of cloud) was compared with the first usable scene; "
                      "clouds and their shadows were masked against the median of each scene's neighbours in "
                      "time. Objects are followed across dates by overlap and confirmed when seen in consecutive "
                      "usable scenes. Areas count edge pixels by the share of them that changed. Latest analysis "
                      "%s, with:</p><p><code>", r->run_at[0] ? r->run_at : "(none)");
    sw__html_esc(b, r->params[0] ? r->params : "{}");
    sw__buf_printf(b, "</code></p>\n<p class='sub'>Site AOI (WGS84): <code>");
    sw__html_esc(b, r->site.aoi_wkt);
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
        if (sw__outline_parse(o->o.wkt, &o->g) != 0) {
            rc = sw__err(ctx, SW_EFORMAT, "object %lld: its outline cannot be read", (long long)o->o.id);
            break;
        }
        sw__outline_min_rect(&o->g, &o->length, &o->width);
        sw__shrink_to_area(&o->length, &o->width, sw__outline_area(&o->g), o->o.area_m2);
        pt c = sw__outline_centroid(&o->g);
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
        sw__outline_free(&r.ob[i].g);
    }
    free(r.ob);
    sw__buf_free(&r.b);
    sw_site_clear(&r.site);
    return rc;
}
