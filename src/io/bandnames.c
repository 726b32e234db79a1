/*
 * bandnames.c: what a band is, whatever its product calls it. Sentinel-2's
 * B04, Landsat's red (STAC's common names), a PlanetScope description
 * "Red" and a STAC asset "red" are one colour; naming them alike lets two
 * dates from different sensors be compared on the bands they share, and
 * lets the quicklook and the models find red, green and blue.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io.h"

/* The common names sitewatch knows, in the order bands are compared and
 * stacked (short wavelengths first). nir08 (Sentinel-2's B8A, Landsat's
 * near-infrared) stands in for nir when a date has no broad nir band. */
static const char *const common[] = {"coastal",  "blue", "green", "yellow", "red",    "rededge1", "rededge2",
                                     "rededge3", "nir",  "nir08", "nir09",  "cirrus", "swir16",   "swir22"};
enum { NCOMMON = sizeof common / sizeof common[0] };

/* Other names for them: Sentinel-2's band numbers, and the words
 * products write in band descriptions. */
static const struct {
    const char *name, *common;
} alias[] = {{"B01", "coastal"},     {"B02", "blue"},         {"B03", "green"},       {"B04", "red"},
             {"B05", "rededge1"},    {"B06", "rededge2"},     {"B07", "rededge3"},    {"B08", "nir"},
             {"B8A", "nir08"},       {"B09", "nir09"},        {"B10", "cirrus"},      {"B11", "swir16"},
             {"B12", "swir22"},      {"coastal blue", "coastal"}, {"coastal_blue", "coastal"},
             {"coastal aerosol", "coastal"}, {"rededge", "rededge1"}, {"red edge", "rededge1"},
             {"near-infrared", "nir"}, {"near infrared", "nir"}, {"near_infrared", "nir"},
             {"swir1", "swir16"},    {"swir2", "swir22"}};

const char *sw__band_common(const char *name)
{
    if (!name)
        return NULL;
    for (int i = 0; i < NCOMMON; i++)
        if (!strcasecmp(name, common[i]))
            return common[i];
    for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
        if (!strcasecmp(name, alias[i].name))
            return alias[i].common;
    return NULL;
}

int sw__band_rank(const char *common_name)
{
    for (int i = 0; common_name && i < NCOMMON; i++)
        if (!strcmp(common_name, common[i]))
            return i;
    return -1;
}

int sw__band_same(const char *want, const char *have, int loose)
{
    if (!want || !have)
        return 0;
    if (!strcasecmp(want, have))
        return 1;
    const char *a = sw__band_common(want), *b = sw__band_common(have);
    if (!a || !b)
        return 0;
    if (a == b)
        return 1;
    /* near-infrared, broad (B08) or narrow (B8A, Landsat's) */
    return loose && (!strcmp(a, "nir") || !strcmp(a, "nir08")) && (!strcmp(b, "nir") || !strcmp(b, "nir08"));
}

/* The first band of v (n of them) not yet used that names want, or -1. */
static int find_band(char *const *v, int n, const unsigned char *used, const char *want, int loose)
{
    for (int i = 0; i < n; i++)
        if (!used[i] && sw__band_same(want, v[i], loose))
            return i;
    return -1;
}

int sw__band_shared(char *const *a, int na, char *const *b, int nb, char *out, size_t n)
{
    unsigned char *ua = calloc((size_t)na + 1, 1), *ub = calloc((size_t)nb + 1, 1), take[NCOMMON] = {0};
    if (!ua || !ub) {
        free(ua);
        free(ub);
        return -1;
    }
    /* each common name both dates have; then near-infrared, broad on one
     * date and narrow on the other, from what is left */
    for (int pass = 0; pass < 2; pass++)
        for (int c = 0; c < NCOMMON; c++) {
            int nir = !strcmp(common[c], "nir") || !strcmp(common[c], "nir08");
            if (take[c] || (pass && !nir))
                continue;
            int ia = find_band(a, na, ua, common[c], pass), ib = find_band(b, nb, ub, common[c], pass);
            if (ia >= 0 && ib >= 0) {
                take[c] = 1;
                ua[ia] = ub[ib] = 1;
            }
        }
    free(ua);
    free(ub);
    size_t len = 0;
    int count = 0;
    if (n)
        out[0] = '\0';
    for (int c = 0; c < NCOMMON; c++) {
        if (!take[c])
            continue;
        int w = snprintf(out + len, n > len ? n - len : 0, "%s%s", count ? "," : "", common[c]);
        if (w < 0 || len + (size_t)w >= n)
            return -1;
        len += (size_t)w;
        count++;
    }
    return count;
}
