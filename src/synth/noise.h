/*
 * noise.h: the hashes and noise the synthetic scenes are made of (synth.c,
 * site.c). Every value is a function of integer or continuous coordinates
 * and a seed, so any pixel can be rendered on its own, in any order.
 */
#ifndef SW_SYNTH_NOISE_H
#define SW_SYNTH_NOISE_H

#include <math.h>
#include <stdint.h>

static inline uint32_t hash3(uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t h = a * 0x9E3779B1u ^ (b + 0x7F4A7C15u) * 0x85EBCA77u ^ (c + 0x165667B1u) * 0xC2B2AE3Du;
    h ^= h >> 15;
    h *= 0x2C1B3C6Du;
    h ^= h >> 12;
    h *= 0x297A2D39u;
    h ^= h >> 15;
    return h;
}

static inline double unit(uint32_t h)
{
    return (double)(h >> 8) * (1.0 / 16777216.0);
}

/* Smooth value noise in [0, 1) at (x, y) with lattice spacing 1. */
static inline double value_noise(double x, double y, uint32_t seed)
{
    double fx = floor(x), fy = floor(y);
    int64_t ix = (int64_t)fx, iy = (int64_t)fy;
    double tx = x - fx, ty = y - fy;
    tx = tx * tx * (3 - 2 * tx);
    ty = ty * ty * (3 - 2 * ty);
    double v00 = unit(hash3((uint32_t)ix, (uint32_t)iy, seed));
    double v10 = unit(hash3((uint32_t)(ix + 1), (uint32_t)iy, seed));
    double v01 = unit(hash3((uint32_t)ix, (uint32_t)(iy + 1), seed));
    double v11 = unit(hash3((uint32_t)(ix + 1), (uint32_t)(iy + 1), seed));
    return (v00 * (1 - tx) + v10 * tx) * (1 - ty) + (v01 * (1 - tx) + v11 * tx) * ty;
}

static inline double fractal(double x, double y, uint32_t seed)
{
    return 0.5 * value_noise(x / 97.0, y / 97.0, seed) + 0.3 * value_noise(x / 23.0, y / 23.0, seed + 1) +
           0.2 * value_noise(x / 5.0, y / 5.0, seed + 2);
}

/* Length of [a0, a1) inside [b0, b1). */
static inline double overlap(double a0, double a1, double b0, double b1)
{
    double lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0.0;
}

/* A standard normal variate from a hash (Box-Muller). */
static inline double gauss(uint32_t h1, uint32_t h2)
{
    double u1 = (unit(h1) + 1e-9), u2 = unit(h2);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

#endif
