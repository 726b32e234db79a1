/* screen.h: screening a site's scenes for clouds and their shadows
 * (clouds.c). Pure computation on float images; src/io reads the chips. */
#ifndef SW_SCREEN_H
#define SW_SCREEN_H

#include "../sw_int.h"

enum { SW__MAXB = 16, SW__MAXVIS = 8 };

/* Which bands are red, green, blue and near infrared (-1: none). */
typedef struct sw__bandmap {
    int rgb[3]; /* red, green, blue */
    int nir;
} sw__bandmap;

/* Which bands are red, green, blue and NIR, from their names (red,
 * B04, B4, ...; names and its entries may be NULL), else from the count:
 * 4 PlanetScope B,G,R,NIR, 3 R,G,B, 8 SuperDove, 12 or more Sentinel-2. */
void sw__bandmap_guess(const char *const *names, int nb, sw__bandmap *bm);

/* Per pixel and band, the median of images 0..n-1 except `skip` (-1: none)
 * where each is valid. imgs[i]: npix x nb, pixel-interleaved. Returns 0, or
 * -1 out of memory. */
int sw__median_composite(const float *const *imgs, const uint8_t *const *valid, int n, int skip, int64_t npix,
                         int nb, float *out, uint8_t *out_valid);

/* Marks out[p] = 1 where img is cloud or cloud shadow compared with ref (the
 * median of the site's other scenes), 0 elsewhere. later (NULL: none): the
 * next scene of another day on the same grid; what it shows as cloud at
 * the same place is no cloud (clouds move on, new white roofs stay).
 * pixel_m: the pixel size. *ncloud and *nshadow receive the counts.
 * Returns 0, or -1 out of memory or with more than SW__MAXB bands. */
int sw__cloud_screen(const float *img, const uint8_t *valid, const float *ref, const uint8_t *ref_valid,
                     const float *later, const uint8_t *later_valid, int w, int h, int nb, const sw__bandmap *bm,
                     double pixel_m, uint8_t *out, int64_t *ncloud, int64_t *nshadow);

#endif
