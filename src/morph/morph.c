/*
 * morph.c: opening and closing of the change mask, over a strip that
 * carries enough context rows that every strip row gets the result it
 * would get in the whole image.
 *
 * Erosion and dilation with a (2r+1)^2 square are separable: a running
 * minimum or maximum along rows, then along columns. Pixels outside the
 * image count as background; nodata (255) counts as background and stays
 * nodata.
 */
#include <string.h>

#include "../sw_int.h"

int sw_morph_parse(const char *name, sw_morph *out)
{
    static const char *const names[] = {"none", "open", "close", "open-close"};
    for (int i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (sw_morph)i;
            return 0;
        }
    return SW_EARG;
}

const char *sw_morph_name(sw_morph m)
{
    static const char *const names[] = {"none", "open", "close", "open-close"};
    return m >= SW_MORPH_NONE && m <= SW_MORPH_OPEN_CLOSE ? names[m] : "none";
}

int sw__morph_halo(sw_morph m, int radius)
{
    switch (m) {
    case SW_MORPH_OPEN:
    case SW_MORPH_CLOSE: return 2 * radius;
    case SW_MORPH_OPEN_CLOSE: return 4 * radius;
    default: return 0;
    }
}

/* One erosion (dilate = 0) or dilation of a (w x h) 0/1 image. */
static void erode_dilate(const uint8_t *in, uint8_t *out, uint8_t *tmp, int64_t w, int h, int r, int dilate)
{
    /* rows */
    for (int y = 0; y < h; y++) {
        const uint8_t *s = in + (size_t)y * w;
        uint8_t *d = tmp + (size_t)y * w;
        for (int64_t x = 0; x < w; x++) {
            uint8_t v = dilate ? 0 : 1;
            for (int64_t k = x - r; k <= x + r; k++) {
                uint8_t p = k >= 0 && k < w ? s[k] : 0;
                if (dilate ? p : !p) {
                    v = dilate ? 1 : 0;
                    break;
                }
            }
            d[x] = v;
        }
    }
    /* columns */
    for (int y = 0; y < h; y++)
        for (int64_t x = 0; x < w; x++) {
            uint8_t v = dilate ? 0 : 1;
            for (int k = y - r; k <= y + r; k++) {
                uint8_t p = k >= 0 && k < h ? tmp[(size_t)k * w + x] : 0;
                if (dilate ? p : !p) {
                    v = dilate ? 1 : 0;
                    break;
                }
            }
            out[(size_t)y * w + x] = v;
        }
}

void sw__morph(sw_morph m, int radius, uint8_t *mask, int64_t width, int rows, int top, int rows_out,
               uint8_t *out, uint8_t *work)
{
    size_t n = (size_t)width * (size_t)rows;
    if (m == SW_MORPH_NONE || radius < 1) {
        memcpy(out, mask + (size_t)top * width, (size_t)width * rows_out);
        return;
    }
    uint8_t *a = work, *b = work + n;
    /* 0/1 image of change; nodata is background */
    for (size_t i = 0; i < n; i++)
        a[i] = mask[i] == 1;
    /* Rows beyond the strip count as background like those beyond the
     * image; the strip's context rows (sw__morph_halo) keep that from
     * reaching the rows kept. */
    int ops[4], nops = 0;
    if (m == SW_MORPH_OPEN || m == SW_MORPH_OPEN_CLOSE) {
        ops[nops++] = 0;
        ops[nops++] = 1;
    }
    if (m == SW_MORPH_CLOSE || m == SW_MORPH_OPEN_CLOSE) {
        ops[nops++] = 1;
        ops[nops++] = 0;
    }
    for (int i = 0; i < nops; i++)
        erode_dilate(a, a, b, width, rows, radius, ops[i]); /* b: the row pass's scratch */
    for (int k = 0; k < rows_out; k++) {
        const uint8_t *src = mask + (size_t)(top + k) * width;
        const uint8_t *res = a + (size_t)(top + k) * width;
        uint8_t *d = out + (size_t)k * width;
        for (int64_t x = 0; x < width; x++)
            d[x] = src[x] == 255 ? 255 : res[x];
    }
}
