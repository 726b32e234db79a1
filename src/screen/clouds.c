/*
 * clouds.c: a multi-temporal cloud and shadow screen for the scenes of a
 * watched site (see screen.h).
 *
 * A single image cannot tell a cloud from a bright new roof, and a fixed
 * reflectance threshold fails on the first white warehouse. A site has
 * history, so each scene is compared with the per-pixel median of its
 * other scenes: what stands in most of them (old and new buildings alike)
 * is in the median and never reads as cloud. A cloud is then what is far
 * brighter than the median in every band, white across the visible bands,
 * and brighter than anything the site normally holds; its thin edges and
 * haze are grown from those cores while the brightening lasts. A shadow is
 * the cloud's outline cast on the ground: the offset under which the
 * ground darkens most, and there what is darker than usual. Both are
 * dilated a little, since their edges fade.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "screen.h"

void sw__bandmap_guess(const char *const *names, int nb, sw__bandmap *bm)
{
    static const char *const known[4][5] = {{"red", "B04", "B4", NULL},
                                             {"green", "B03", "B3", NULL},
                                             {"blue", "B02", "B2", NULL},
                                             {"nir", "B08", "B8", "near-infrared", "nir08"}};
    bm->rgb[0] = bm->rgb[1] = bm->rgb[2] = bm->nir = -1;
    for (int b = 0; names && b < nb; b++)
        for (int k = 0; k < 4; k++)
            for (int a = 0; a < 5 && known[k][a]; a++)
                if (names[b] && !strcasecmp(names[b], known[k][a])) {
                    if (k < 3)
                        bm->rgb[k] = b;
                    else
                        bm->nir = b;
                }
    if (bm->rgb[0] >= 0 && bm->rgb[1] >= 0 && bm->rgb[2] >= 0)
        return;
    if (nb == 4) { /* PlanetScope: B, G, R, NIR */
        bm->rgb[2] = 0, bm->rgb[1] = 1, bm->rgb[0] = 2, bm->nir = 3;
    } else if (nb == 3) {
        bm->rgb[0] = 0, bm->rgb[1] = 1, bm->rgb[2] = 2;
    } else if (nb == 8) { /* PlanetScope SuperDove */
        bm->rgb[2] = 1, bm->rgb[1] = 3, bm->rgb[0] = 5, bm->nir = 7;
    } else if (nb >= 12) { /* Sentinel-2: B01, B02, B03, B04, ..., B08 */
        bm->rgb[2] = 1, bm->rgb[1] = 2, bm->rgb[0] = 3, bm->nir = 7;
    }
}

int sw__median_composite(const float *const *imgs, const uint8_t *const *valid, int n, int skip, int64_t npix,
                         int nb, float *out, uint8_t *out_valid)
{
    float *v = malloc((size_t)(n > 0 ? n : 1) * sizeof *v);
    if (!v)
        return -1;
    for (int64_t p = 0; p < npix; p++) {
        out_valid[p] = 0;
        for (int b = 0; b < nb; b++) {
            int m = 0;
            for (int i = 0; i < n; i++)
                if (i != skip && valid[i][p])
                    v[m++] = imgs[i][p * nb + b];
            out[p * nb + b] = m ? sw__select_k(v, m, m / 2) : 0.0f;
            out_valid[p] = m > 0;
        }
    }
    free(v);
    return 0;
}

/* A breadth-first region grow from the seeds (value 2) over the pixels
 * allowed (value 1); grown pixels become 2. */
static int grow(uint8_t *lab, int w, int h)
{
    int64_t n = (int64_t)w * h, head = 0, tail = 0;
    int64_t *q = malloc((size_t)n * sizeof *q);
    if (!q)
        return -1;
    for (int64_t i = 0; i < n; i++)
        if (lab[i] == 2)
            q[tail++] = i;
    while (head < tail) {
        int64_t i = q[head++];
        int x = (int)(i % w), y = (int)(i / w);
        static const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
        for (int d = 0; d < 4; d++) {
            int nx = x + dx[d], ny = y + dy[d];
            if (nx < 0 || ny < 0 || nx >= w || ny >= h)
                continue;
            int64_t j = (int64_t)ny * w + nx;
            if (lab[j] == 1) {
                lab[j] = 2;
                q[tail++] = j;
            }
        }
    }
    free(q);
    return 0;
}

/* Keeps the blobs of lab == value (8-connected, by the streaming
 * labeller) that keep() accepts as 1, everything else 0. score (w x h, or
 * NULL) is summed per blob for keep(). Returns the pixels kept, or -1 out
 * of memory. */
typedef int (*blob_rule)(const sw__object *o, const void *arg);

static int64_t keep_blobs(uint8_t *lab, int w, int h, uint8_t value, const float *score, blob_rule keep,
                          const void *arg)
{
    sw__ccl *c = sw__ccl_new(w);
    uint8_t *row = malloc((size_t)w);
    uint32_t *ids = malloc((size_t)w * sizeof *ids);
    int64_t kept = 0;
    int rc = c && row && ids ? 0 : -1;
    for (int y = 0; y < h && rc == 0; y++) {
        for (int x = 0; x < w; x++)
            row[x] = lab[(int64_t)y * w + x] == value;
        rc = sw__ccl_row(c, row, score ? score + (int64_t)y * w : NULL, NULL);
    }
    int64_t nobj = rc == 0 ? sw__ccl_finish(c) : -1;
    if (nobj >= 0) {
        sw__object *o = sw__ccl_objects(c);
        for (int64_t i = 0; i < nobj; i++)
            o[i].id = keep(&o[i], arg) != 0;
        sw__ccl_rewind(c);
        for (int y = 0; y < h && rc == 0; y++) {
            uint8_t *l = lab + (int64_t)y * w;
            for (int x = 0; x < w; x++)
                row[x] = l[x] == value;
            rc = sw__ccl_row2(c, row, ids);
            for (int x = 0; x < w; x++) {
                l[x] = ids[x] != 0;
                kept += l[x];
            }
        }
    } else {
        rc = -1;
    }
    sw__ccl_free(c);
    free(row);
    free(ids);
    return rc ? -1 : kept;
}

static int big_enough(const sw__object *o, const void *min_px)
{
    return o->npix >= *(const int64_t *)min_px;
}

/* A cloud moves on within a day; a new white roof stays (a sheet of snow
 * stays too, but is larger than any roof): a blob the later scene shows as
 * cloud at half its pixels or more, and no larger than 5 ha, is no cloud. */
static int moves_on(const sw__object *o, const void *max_px)
{
    return !(o->score_sum >= 0.5 * (double)o->npix && o->npix <= *(const int64_t *)max_px);
}

/* Chamfer distance (in pixels, 3-4 weights / 3) to the nearest set pixel. */
static void distance(const uint8_t *set, int w, int h, float *d)
{
    int64_t n = (int64_t)w * h;
    for (int64_t i = 0; i < n; i++)
        d[i] = set[i] ? 0.0f : 1e9f;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float *p = &d[(int64_t)y * w + x];
            if (x > 0) *p = fminf(*p, p[-1] + 1.0f);
            if (y > 0) {
                *p = fminf(*p, p[-w] + 1.0f);
                if (x > 0) *p = fminf(*p, p[-w - 1] + 1.4f);
                if (x < w - 1) *p = fminf(*p, p[-w + 1] + 1.4f);
            }
        }
    for (int y = h - 1; y >= 0; y--)
        for (int x = w - 1; x >= 0; x--) {
            float *p = &d[(int64_t)y * w + x];
            if (x < w - 1) *p = fminf(*p, p[1] + 1.0f);
            if (y < h - 1) {
                *p = fminf(*p, p[w] + 1.0f);
                if (x < w - 1) *p = fminf(*p, p[w + 1] + 1.4f);
                if (x > 0) *p = fminf(*p, p[w - 1] + 1.4f);
            }
        }
}

/* Per-band gain of a scene over the reference (light, season): the median
 * ratio where both are valid. Returns the pixels compared. */
static int64_t band_gains(const float *img, const uint8_t *valid, const float *ref, const uint8_t *ref_valid,
                          int64_t n, int nb, float *tmp, double *gain)
{
    int64_t m = 0;
    for (int b = 0; b < nb; b++) {
        m = 0;
        for (int64_t p = 0; p < n; p++)
            if (valid[p] && ref_valid[p] && ref[p * nb + b] > 0)
                tmp[m++] = img[p * nb + b] / ref[p * nb + b];
        gain[b] = m > 100 ? sw__select_k(tmp, m, m / 2) : 1.0;
        if (!(gain[b] > 0))
            gain[b] = 1.0;
    }
    return m;
}

/* A cloud core (2): far brighter than the reference in every band, white
 * across the visible bands and brighter than the site's brightest; where a
 * cloud's edge may grow (1): brighter in the visible; else 0. */
static int cloud_pixel(const float *px, const float *rf, int nb, const double *gain, const int *vis, int nvis,
                       double bright)
{
    double rmin = 1e30, rvis = 0, vmin = 1e30, vmax = 0, vmean = 0;
    for (int b = 0; b < nb; b++)
        rmin = fmin(rmin, px[b] / (gain[b] * fmax(rf[b], 1e-6)));
    for (int k = 0; k < nvis; k++) {
        double v = px[vis[k]];
        rvis += v / (gain[vis[k]] * fmax(rf[vis[k]], 1e-6));
        vmin = fmin(vmin, v);
        vmax = fmax(vmax, v);
        vmean += v;
    }
    rvis /= nvis;
    vmean /= nvis;
    if (rmin >= 1.3 && rvis >= 1.8 && (vmax - vmin) < 0.25 * vmean && vmean > 1.5 * bright)
        return 2;
    return rvis >= 1.15;
}

int sw__cloud_screen(const float *img, const uint8_t *valid, const float *ref, const uint8_t *ref_valid,
                     const float *later, const uint8_t *later_valid, int w, int h, int nb, const sw__bandmap *bm,
                     double pixel_m, uint8_t *out, int64_t *ncloud, int64_t *nshadow)
{
    int64_t n = (int64_t)w * h;
    *ncloud = *nshadow = 0;
    memset(out, 0, (size_t)n);
    /* The visible bands; all bands when none is known. */
    int vis[SW__MAXVIS], nvis = 0;
    for (int k = 0; k < 3; k++)
        if (bm->rgb[k] >= 0 && bm->rgb[k] < nb)
            vis[nvis++] = bm->rgb[k];
    if (nvis == 0)
        for (int b = 0; b < nb && nvis < SW__MAXVIS; b++)
            vis[nvis++] = b;
    /* Per-band gain of this scene over the reference (light, season):
     * the median ratio where both are valid. */
    double gain[SW__MAXB];
    float *tmp = malloc((size_t)n * sizeof *tmp);
    uint8_t *lab = calloc((size_t)n, 1);
    float *dist = malloc((size_t)n * sizeof *dist);
    if (!tmp || !lab || !dist || nb > SW__MAXB) {
        free(tmp);
        free(lab);
        free(dist);
        return -1;
    }
    int64_t m = band_gains(img, valid, ref, ref_valid, n, nb, tmp, gain);
    if (m <= 100) { /* too little to compare with: no screen */
        free(tmp);
        free(lab);
        free(dist);
        return 0;
    }
    /* What the site normally holds at its brightest: the 99.9th percentile
     * of the reference's visible brightness. */
    m = 0;
    for (int64_t p = 0; p < n; p++)
        if (ref_valid[p]) {
            float s = 0;
            for (int k = 0; k < nvis; k++)
                s += ref[p * nb + vis[k]];
            tmp[m++] = s / (float)nvis;
        }
    double bright = m ? sw__select_k(tmp, m, (int64_t)(0.999 * (double)(m - 1))) : 0.0;
    /* Cloud cores (2), and where their edges may grow (1). */
    for (int64_t p = 0; p < n; p++)
        lab[p] = valid[p] && ref_valid[p] ? (uint8_t)cloud_pixel(img + p * nb, ref + p * nb, nb, gain, vis, nvis, bright)
                                          : 0;
    if (grow(lab, w, h) != 0) {
        free(tmp);
        free(lab);
        free(dist);
        return -1;
    }
    /* A cloud smaller than 0.5 ha is no cloud worth masking, and far more
     * likely a new white roof: each such blob is dropped. */
    int64_t min_px = (int64_t)ceil(5000.0 / (pixel_m * pixel_m)), max_px = (int64_t)(50000.0 / (pixel_m * pixel_m));
    int64_t cores = keep_blobs(lab, w, h, 2, NULL, big_enough, &min_px);
    if (cores > 0 && later) {
        /* Where the later scene shows a cloud core too (1), per pixel. */
        double lgain[SW__MAXB];
        band_gains(later, later_valid, ref, ref_valid, n, nb, tmp, lgain);
        for (int64_t p = 0; p < n; p++)
            tmp[p] = lab[p] && later_valid[p] && ref_valid[p] &&
                             cloud_pixel(later + p * nb, ref + p * nb, nb, lgain, vis, nvis, bright) == 2
                         ? 1.0f
                         : 0.0f;
        cores = keep_blobs(lab, w, h, 1, tmp, moves_on, &max_px);
    }
    if (cores < 0) {
        free(tmp);
        free(lab);
        free(dist);
        return -1;
    }
    if (cores == 0) {
        free(tmp);
        free(lab);
        free(dist);
        return 0;
    }
    /* Shadows: the cloud's own outline cast on the ground. Every offset
     * within 1 km is tried (on a coarse step) and the one under which the
     * ground darkens most is the sun's; there, what is darker than usual
     * is shadow. */
    float *ratio = tmp; /* per pixel: brightness over the reference's, all bands */
    for (int64_t p = 0; p < n; p++) {
        double r = 0;
        for (int b = 0; b < nb; b++)
            r += img[p * nb + b] / (gain[b] * fmax(ref[p * nb + b], 1e-6));
        ratio[p] = valid[p] && ref_valid[p] ? (float)(r / nb) : -1.0f;
    }
    int q = w > 128 || h > 128 ? (int)ceil(fmax(w, h) / 128.0) : 1;
    int reach = (int)(1000.0 / pixel_m);
    double best = 0.85;
    int bdx = 0, bdy = 0;
    for (int dy = -reach; dy <= reach; dy += q)
        for (int dx = -reach; dx <= reach; dx += q) {
            if (dx * dx + dy * dy < 4 * q * q)
                continue;
            double sum = 0;
            int64_t cnt = 0, all = 0;
            for (int y = 0; y < h; y += q)
                for (int x = 0; x < w; x += q) {
                    if (!lab[(int64_t)y * w + x])
                        continue;
                    all++;
                    int sx = x + dx, sy = y + dy;
                    if (sx < 0 || sy < 0 || sx >= w || sy >= h)
                        continue;
                    int64_t j = (int64_t)sy * w + sx;
                    if (lab[j] || ratio[j] < 0)
                        continue;
                    sum += fminf(ratio[j], 1.2f);
                    cnt++;
                }
            if (cnt >= 10 && cnt * 5 >= all && sum / (double)cnt < best) {
                best = sum / (double)cnt;
                bdx = dx;
                bdy = dy;
            }
        }
    if (bdx || bdy) {
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int sx = x + bdx, sy = y + bdy;
                if (!lab[(int64_t)y * w + x] || sx < 0 || sy < 0 || sx >= w || sy >= h)
                    continue;
                int64_t j = (int64_t)sy * w + sx;
                if (!lab[j] && ratio[j] >= 0 && ratio[j] < 0.9f)
                    out[j] = 2;
            }
    }
    /* Dilate both by 30 m (at least 2 pixels): their edges fade. */
    for (int64_t p = 0; p < n; p++)
        if (out[p] == 2)
            lab[p] = 1;
    distance(lab, w, h, dist);
    double grow_px = fmax(2.0, 30.0 / pixel_m);
    for (int64_t p = 0; p < n; p++) {
        out[p] = dist[p] <= grow_px && valid[p];
    }
    for (int64_t p = 0; p < n; p++) {
        if (!out[p])
            continue;
        /* Tell the two apart for the counts: a shadow is darker. */
        double r = 0;
        for (int k = 0; k < nvis; k++)
            r += img[p * nb + vis[k]] / (gain[vis[k]] * fmax(ref[p * nb + vis[k]], 1e-6));
        if (r / nvis < 1.0)
            (*nshadow)++;
        else
            (*ncloud)++;
    }
    free(tmp);
    free(lab);
    free(dist);
    return 0;
}
