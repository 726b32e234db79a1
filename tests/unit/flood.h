/*
 * flood.h: the unit tests' reference labeller, a plain 8-connected flood
 * fill over a whole image (test_ccl holds the streaming labeller to it,
 * test_vector makes its object-id rasters with it).
 */
#ifndef SW_TEST_FLOOD_H
#define SW_TEST_FLOOD_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Reference: 8-connected flood fill over the whole image; labels in order
 * of first pixel. Returns the number of components. */
static int64_t flood(const uint8_t *m, int w, int h, int32_t *lab)
{
    int64_t n = 0;
    int *stack = malloc(sizeof(int) * (size_t)w * (size_t)h);
    memset(lab, 0, sizeof(int32_t) * (size_t)w * (size_t)h);
    for (int i = 0; i < w * h; i++) {
        if (!m[i] || lab[i])
            continue;
        n++;
        int sp = 0;
        stack[sp++] = i;
        lab[i] = (int32_t)n;
        while (sp) {
            int p = stack[--sp], x = p % w, y = p / w;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int nx = x + dx, ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h)
                        continue;
                    int q = ny * w + nx;
                    if (m[q] && !lab[q]) {
                        lab[q] = (int32_t)n;
                        stack[sp++] = q;
                    }
                }
        }
    }
    free(stack);
    return n;
}

#endif
