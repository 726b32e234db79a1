/*
 * quicklook.c: quicklook.png, BEFORE | AFTER | AFTER with the outlines of
 * the change objects, from the grid of cells the score pass filled (at
 * most 640 a side) and the cells the label pass marked; titled with the
 * dates and what was found, a scale bar and a legend.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sinks.h"

static uint8_t stretch(float v, double lo, double hi)
{
    double f = (v - lo) / (hi - lo) * 255.0;
    return (uint8_t)(f < 0 ? 0 : f > 255 ? 255 : f + 0.5);
}

/* A round length near target: 1, 2 or 5 times a power of ten. */
static double nice(double target)
{
    double p = pow(10, floor(log10(target))), f = target / p;
    return (f >= 5 ? 5 : f >= 2 ? 2 : 1) * p;
}

/* A panel's title: the date's label and its acquisition date (a
 * delivery's metadata, else the file's name, sidecar or TIFF tag: looked up
 * here, for the picture only), else its file's name, cut to fit. */
static void title(char *out, size_t n, const char *what, const sw__side *s, int64_t width_px)
{
    const char *base = strrchr(s->given, '/');
    base = base ? base + 1 : s->given;
    char date[11] = "", sensor[32];
    if (s->date[0])
        snprintf(date, sizeof date, "%s", s->date);
    else if (s->nfiles > 0)
        sw__scene_metadata(s->files[0], date, sensor);
    snprintf(out, n, "%s %s", what, date[0] ? date : base);
    int max = (int)(width_px / (6 * 2)) - 1;
    if (max > 3 && (int)strlen(out) > max)
        snprintf(out + max - 3, n - (size_t)(max - 3), "...");
}

int sw__quicklook_write(sw__run *r, const char *path)
{
    enum { SCALE = 2, PAD = 8, GAP = 6 };
    const uint8_t black[3] = {0, 0, 0}, white[3] = {255, 255, 255}, magenta[3] = {255, 0, 255};
    int64_t pw = r->qw, ph = r->qh, band = 7 * SCALE + 2 * PAD;
    int64_t iw = 3 * pw + 2 * GAP, ih = band + ph + band;
    uint8_t *img = malloc((size_t)iw * (size_t)ih * 3);
    uint8_t *pm = r->qmask;
    float *vals = malloc((size_t)pw * (size_t)ph * 3 * sizeof(float));
    if (!img || !vals) {
        free(img);
        free(vals);
        return sw__err(r->ctx, SW_ENOMEM, "out of memory for the quicklook");
    }
    memset(img, 255, (size_t)iw * (size_t)ih * 3);
    /* A 2-98 % stretch per date, shared by its three bands so colours keep
     * their balance; float cells hold 3 values each. */
    double lo[2], hi[2];
    for (int d = 0; d < 2; d++) {
        int64_t n = 0;
        for (int64_t i = 0; i < pw * ph; i++)
            if (r->qvalid[i])
                for (int c = 0; c < 3; c++)
                    vals[n++] = r->ql[d][i * 3 + c];
        lo[d] = n ? sw__quantile(vals, n, 0.02) : 0.0;
        hi[d] = n ? sw__quantile(vals, n, 0.98) : 1.0;
        if (!(hi[d] > lo[d]))
            hi[d] = lo[d] + 1.0;
    }
#define AT(p, x, y) (img + (((y) + band) * iw + (p) * (pw + GAP) + (x)) * 3)
    for (int64_t py = 0; py < ph; py++)
        for (int64_t px = 0; px < pw; px++) {
            int64_t cell = py * pw + px;
            for (int p = 0; p < 3; p++) {
                uint8_t *o = AT(p, px, py);
                int d = p == 0 ? 0 : 1;
                for (int c = 0; c < 3; c++)
                    o[c] = r->qvalid[cell] ? stretch(r->ql[d][cell * 3 + c], lo[d], hi[d]) : 0;
            }
        }
    /* The objects' edges in magenta with a black rim outside them: seen on
     * red roofs, white roofs, fields and water alike. */
    for (int64_t py = 0; py < ph; py++)
        for (int64_t px = 0; px < pw; px++) {
            if (!pm[py * pw + px])
                continue;
            int edge = px == 0 || py == 0 || px == pw - 1 || py == ph - 1 || !pm[py * pw + px - 1] ||
                       !pm[py * pw + px + 1] || !pm[(py - 1) * pw + px] || !pm[(py + 1) * pw + px];
            if (!edge)
                continue;
            memcpy(AT(2, px, py), magenta, 3);
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int64_t x = px + dx, y = py + dy;
                    if (x >= 0 && y >= 0 && x < pw && y < ph && !pm[y * pw + x])
                        memcpy(AT(2, x, y), black, 3);
                }
        }
    /* Titles above the panels: the dates (or files) and what was found. */
    char t[3][160];
    title(t[0], sizeof t[0], "BEFORE", &r->info->before, pw);
    title(t[1], sizeof t[1], "AFTER", &r->info->after, pw);
    snprintf(t[2], sizeof t[2], "CHANGE: %lld OBJECT%s (%s)", (long long)r->nobj, r->nobj == 1 ? "" : "S",
             r->m ? r->m->name : "?");
    for (int p = 0; p < 3; p++)
        sw__text_draw(img, iw, ih, p * (pw + GAP) + 2, PAD, SCALE, t[p], black);
    /* A scale bar on BEFORE, a quarter of its width rounded. */
    const sw__grid *g = &r->info->grid;
    double upc = (double)r->q * (g->georef ? g->pixel_w_m : 1.0); /* metres (pixels) per cell */
    double len = nice(0.25 * (double)pw * upc);
    int64_t bar = (int64_t)(len / upc + 0.5);
    char lab[32];
    if (g->georef)
        snprintf(lab, sizeof lab, len >= 1000 ? "%.0f KM" : "%.0f M", len >= 1000 ? len / 1000 : len);
    else
        snprintf(lab, sizeof lab, "%.0f PX", len);
    int64_t bx = 6, by = ph - 6 - 7 * SCALE - 12, bw = bar + 8 > sw__text_width(lab, SCALE) + 8
                                                        ? bar + 8 : sw__text_width(lab, SCALE) + 8;
    for (int64_t y = by; y < ph - 4 && y >= 0; y++)
        for (int64_t x = bx; x < bx + bw && x < pw; x++)
            memcpy(AT(0, x, y), white, 3);
    for (int64_t y = ph - 12; y < ph - 8 && y >= 0; y++)
        for (int64_t x = bx + 4; x < bx + 4 + bar && x < pw; x++)
            memcpy(AT(0, x, y), black, 3);
    sw__text_draw(img, iw, ih, bx + 4, band + by + 3, SCALE, lab, black);
    /* The legend below. */
    int64_t ly = band + ph + PAD;
    for (int64_t y = ly; y < ly + 7 * SCALE; y++)
        for (int64_t x = 2; x < 2 + 7 * SCALE; x++) {
            int rim = y == ly || y == ly + 7 * SCALE - 1 || x == 2 || x == 1 + 7 * SCALE;
            int core = y == ly + 1 || y == ly + 7 * SCALE - 2 || x == 3 || x == 7 * SCALE;
            memcpy(img + (y * iw + x) * 3, rim ? black : core ? magenta : white, 3);
        }
    sw__text_draw(img, iw, ih, 2 + 7 * SCALE + 8, ly, SCALE,
                  "CHANGE OBJECT OUTLINE   NORTH UP   MADE BY SITEWATCH", black);
#undef AT
    int rc = sw__png_write(r->ctx, path, iw, ih, img);
    free(img);
    free(vals);
    return rc;
}
