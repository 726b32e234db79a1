/* The cloud and shadow screen (src/screen/clouds.c): a cloud, its haze and
 * its shadow are masked; a new bright roof, a new dark roof and a change of
 * light are not. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "screen/screen.h"

enum { W = 240, H = 200, NB = 4 };

static double noise(int x, int y, int k)
{
    uint32_t h = (uint32_t)x * 73856093u ^ (uint32_t)y * 19349663u ^ (uint32_t)k * 83492791u;
    h ^= h >> 13;
    h *= 0x5bd1e995u;
    h ^= h >> 15;
    return (double)(h & 0xffff) / 65535.0 - 0.5;
}

/* Ground: soil and fields in blocks, B, G, R, NIR reflectance x 10000. */
static void ground(int x, int y, double *v)
{
    static const double soil[NB] = {1000, 1200, 1400, 2200}, field[NB] = {500, 800, 550, 3400};
    int f = ((x / 30) + (y / 25)) % 3 == 0;
    for (int k = 0; k < NB; k++)
        v[k] = (f ? field[k] : soil[k]) * (1.0 + 0.1 * noise(x, y, k));
}

typedef struct scene {
    float px[W * H * NB];
    uint8_t valid[W * H];
} scene;

static int in_cloud(int x, int y)
{
    double dx = (x - 170) / 40.0, dy = (y - 60) / 30.0;
    return dx * dx + dy * dy < 1.0;
}

static int in_shadow(int x, int y)
{
    return in_cloud(x + 25, y - 25) && !in_cloud(x, y); /* cast 25 px to the south-west */
}

static int in_roof(int x, int y) /* a new white hall: 24 x 10 px */
{
    return x >= 40 && x < 64 && y >= 140 && y < 150;
}

static int in_dark_roof(int x, int y) /* a new dark roof on a field */
{
    return x >= 100 && x < 116 && y >= 150 && y < 160;
}

/* Date 1: ground. Date 2: brighter light (x1.1), new roofs, and, when
 * cloudy, a cloud with a soft edge, its shadow, and haze. */
static void make(scene *s, int date, int cloudy)
{
    static const double white[NB] = {2600, 2700, 2800, 3000}, dark[NB] = {700, 700, 750, 800},
                        cloud[NB] = {5200, 5000, 5100, 5600};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double v[NB];
            ground(x, y, v);
            if (date == 2) {
                for (int k = 0; k < NB; k++) {
                    if (in_roof(x, y))
                        v[k] = white[k];
                    if (in_dark_roof(x, y))
                        v[k] = dark[k];
                    v[k] *= 1.1;
                    if (cloudy) {
                        v[k] += 120; /* haze */
                        if (in_shadow(x, y))
                            v[k] *= 0.45;
                        double dx = (x - 170) / 40.0, dy = (y - 60) / 30.0, r = sqrt(dx * dx + dy * dy);
                        double a = r < 0.8 ? 1.0 : r < 1.2 ? (1.2 - r) / 0.4 : 0.0;
                        v[k] = v[k] * (1 - a) + cloud[k] * a;
                    }
                }
            }
            for (int k = 0; k < NB; k++)
                s->px[(y * W + x) * NB + k] = (float)v[k];
            s->valid[y * W + x] = 1;
        }
}

static const sw__bandmap bands = {.rgb = {2, 1, 0}, .nir = 3};

static void test_cloud_and_shadow_masked_roofs_kept(void **state)
{
    (void)state;
    scene *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    uint8_t *out = malloc(W * H);
    assert_non_null(a);
    assert_non_null(b);
    make(a, 1, 0);
    make(b, 2, 1);
    int64_t nc = 0, ns = 0;
    assert_int_equal(sw__cloud_screen(b->px, b->valid, a->px, a->valid, NULL, NULL, W, H, NB, &bands, 3.0, out, &nc, &ns), 0);
    int64_t cloud = 0, cloud_hit = 0, shadow = 0, shadow_hit = 0, roof_hit = 0, far_hit = 0, far = 0;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            int m = out[y * W + x];
            double dx = (x - 170) / 40.0, dy = (y - 60) / 30.0, r = sqrt(dx * dx + dy * dy);
            if (r < 1.2) {
                cloud++;
                cloud_hit += m;
            } else if (in_shadow(x, y)) {
                shadow++;
                shadow_hit += m;
            } else if (in_roof(x, y) || in_dark_roof(x, y)) {
                roof_hit += m;
            } else if (r > 2.5 && !in_shadow(x + 8, y - 8) && !in_shadow(x - 8, y + 8)) {
                far++;
                far_hit += m;
            }
        }
    assert_true(cloud_hit == cloud);                 /* the cloud and its soft edge, all of it */
    assert_true(shadow_hit >= shadow * 9 / 10);      /* its shadow */
    assert_int_equal(roof_hit, 0);                   /* never the new roofs */
    assert_true(far_hit * 100 <= far);               /* and hardly anything else */
    assert_true(nc > 0 && ns > 0);
    free(a);
    free(b);
    free(out);
}

static void test_clear_scene_is_left_alone(void **state)
{
    (void)state;
    scene *a = malloc(sizeof *a), *b = malloc(sizeof *b);
    uint8_t *out = malloc(W * H);
    make(a, 1, 0);
    make(b, 2, 0); /* new roofs and brighter light, no cloud */
    int64_t nc = -1, ns = -1;
    assert_int_equal(sw__cloud_screen(b->px, b->valid, a->px, a->valid, NULL, NULL, W, H, NB, &bands, 3.0, out, &nc, &ns), 0);
    int64_t any = 0;
    for (int i = 0; i < W * H; i++)
        any += out[i];
    assert_int_equal(any, 0);
    assert_int_equal(nc, 0);
    assert_int_equal(ns, 0);
    free(a);
    free(b);
    free(out);
}

/* A new hall with a white metal roof as bright as a cloud, 40 x 24 px
 * (0.86 ha at 3 m), far from the cloud and its shadow. */
static int in_big_roof(int x, int y)
{
    return x >= 20 && x < 60 && y >= 20 && y < 44;
}

static void paint_big_roof(scene *s, double light)
{
    static const double white[NB] = {5000, 4900, 5000, 5400};
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            if (in_big_roof(x, y))
                for (int k = 0; k < NB; k++)
                    s->px[(y * W + x) * NB + k] = (float)(white[k] * light);
}

static void test_white_roof_that_stays_is_no_cloud(void **state)
{
    (void)state;
    scene *a = malloc(sizeof *a), *b = malloc(sizeof *b), *c = malloc(sizeof *c);
    uint8_t *out = malloc(W * H);
    make(a, 1, 0);
    make(b, 2, 1); /* cloudy, and the new hall */
    paint_big_roof(b, 1.1);
    make(c, 2, 0); /* a later day, clear: the hall is still there */
    paint_big_roof(c, 1.1);
    int64_t nc = 0, ns = 0, roof = 0, cloud = 0;
    /* Alone, the scene cannot tell the hall from a cloud. */
    assert_int_equal(sw__cloud_screen(b->px, b->valid, a->px, a->valid, NULL, NULL, W, H, NB, &bands, 3.0, out, &nc,
                                      &ns), 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            roof += in_big_roof(x, y) && out[y * W + x];
    assert_true(roof * 2 > 40 * 24);
    /* With the later scene it can: the hall stays, the cloud has moved on. */
    roof = 0;
    assert_int_equal(sw__cloud_screen(b->px, b->valid, a->px, a->valid, c->px, c->valid, W, H, NB, &bands, 3.0, out,
                                      &nc, &ns), 0);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double dx = (x - 170) / 40.0, dy = (y - 60) / 30.0;
            roof += in_big_roof(x, y) && out[y * W + x];
            cloud += dx * dx + dy * dy < 1.44 && !out[y * W + x];
        }
    assert_int_equal(roof, 0);
    assert_int_equal(cloud, 0); /* every pixel of the cloud still masked */
    assert_true(nc > 0 && ns > 0);
    free(a);
    free(b);
    free(c);
    free(out);
}

static void test_median_composite_skips_the_odd_one(void **state)
{
    (void)state;
    /* Three dates of one pixel and band: the median ignores the cloud. */
    float d0[2] = {100, 10}, d1[2] = {5000, 12}, d2[2] = {110, 11};
    uint8_t v0[2] = {1, 1}, v1[2] = {1, 0}, v2[2] = {1, 1};
    const float *imgs[3] = {d0, d1, d2};
    const uint8_t *valid[3] = {v0, v1, v2};
    float out[2];
    uint8_t ov[2];
    assert_int_equal(sw__median_composite(imgs, valid, 3, -1, 2, 1, out, ov), 0);
    assert_float_equal(out[0], 110, 0);
    assert_true(out[1] == 10 || out[1] == 11); /* of the two valid values */
    assert_int_equal(ov[1], 1);
    /* Skipping one date leaves the others. */
    assert_int_equal(sw__median_composite(imgs, valid, 3, 2, 2, 1, out, ov), 0);
    assert_true(out[0] == 100 || out[0] == 5000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cloud_and_shadow_masked_roofs_kept),
        cmocka_unit_test(test_clear_scene_is_left_alone),
        cmocka_unit_test(test_white_roof_that_stays_is_no_cloud),
        cmocka_unit_test(test_median_composite_skips_the_odd_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
