/*
 * infer.c: running a siam-diff-unet on one tile, in float32.
 *
 * Tensors are channel-major (C x H x W). A 3x3 convolution is im2col over a
 * band of rows (the column buffer stays near 4 MB) followed by one OpenBLAS
 * SGEMM per band, then bias and ReLU; zero padding, as in the framework the
 * model was trained in. Pooling is 2x2 max, upsampling nearest-neighbour
 * 2x, and skips are |features(a) - features(b)|.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "learn_int.h"

enum { COL_FLOATS = 1 << 20 };

typedef struct tensor {
    int c, h, w;
    float *v;
} tensor;

static int t_alloc(tensor *t, int c, int h, int w)
{
    t->c = c;
    t->h = h;
    t->w = w;
    t->v = malloc((size_t)c * (size_t)h * (size_t)w * sizeof(float));
    return t->v ? 0 : -1;
}

static void t_free(tensor *t)
{
    free(t->v);
    t->v = NULL;
}

/* out = act(conv(in) + bias); out is allocated here. */
static int conv(const sw__layer *L, const tensor *in, tensor *out, float *col)
{
    const int H = in->h, W = in->w, C = in->c, O = L->cout, k = L->k;
    if (t_alloc(out, O, H, W))
        return -1;
    const size_t HW = (size_t)H * (size_t)W;
    if (k == 1) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, O, (int)HW, C, 1.0f, L->w, C, in->v,
                    (int)HW, 0.0f, out->v, (int)HW);
    } else {
        const int K = C * 9;
        int band = COL_FLOATS / (K * W);
        if (band < 1)
            band = 1;
        for (int r0 = 0; r0 < H; r0 += band) {
            int r1 = r0 + band < H ? r0 + band : H, n = (r1 - r0) * W;
            /* col[(c*9 + ky*3 + kx)][(y - r0)*W + x] = in[c][y+ky-1][x+kx-1] or 0 */
            for (int c = 0; c < C; c++)
                for (int ky = 0; ky < 3; ky++)
                    for (int kx = 0; kx < 3; kx++) {
                        float *dst = col + (size_t)(c * 9 + ky * 3 + kx) * (size_t)n;
                        for (int y = r0; y < r1; y++) {
                            int sy = y + ky - 1;
                            float *d = dst + (size_t)(y - r0) * W;
                            if (sy < 0 || sy >= H) {
                                memset(d, 0, (size_t)W * sizeof(float));
                                continue;
                            }
                            const float *s = in->v + (size_t)c * HW + (size_t)sy * W;
                            if (kx == 0) {
                                d[0] = 0.0f;
                                memcpy(d + 1, s, (size_t)(W - 1) * sizeof(float));
                            } else if (kx == 1) {
                                memcpy(d, s, (size_t)W * sizeof(float));
                            } else {
                                memcpy(d, s + 1, (size_t)(W - 1) * sizeof(float));
                                d[W - 1] = 0.0f;
                            }
                        }
                    }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, O, n, K, 1.0f, L->w, K, col, n, 0.0f,
                        out->v + (size_t)r0 * W, (int)HW);
        }
    }
    for (int o = 0; o < O; o++) {
        float *p = out->v + (size_t)o * HW, b = L->b[o];
        if (L->relu)
            for (size_t i = 0; i < HW; i++)
                p[i] = p[i] + b > 0.0f ? p[i] + b : 0.0f;
        else
            for (size_t i = 0; i < HW; i++)
                p[i] += b;
    }
    return 0;
}

static int maxpool(const tensor *in, tensor *out)
{
    if (t_alloc(out, in->c, in->h / 2, in->w / 2))
        return -1;
    for (int c = 0; c < in->c; c++)
        for (int y = 0; y < out->h; y++) {
            const float *r0 = in->v + ((size_t)c * in->h + 2 * (size_t)y) * in->w, *r1 = r0 + in->w;
            float *d = out->v + ((size_t)c * out->h + y) * out->w;
            for (int x = 0; x < out->w; x++) {
                float m = fmaxf(fmaxf(r0[2 * x], r0[2 * x + 1]), fmaxf(r1[2 * x], r1[2 * x + 1]));
                d[x] = m;
            }
        }
    return 0;
}

/* out = [upsample2x(x) ; skip] along channels. */
static int up_concat(const tensor *x, const tensor *skip, tensor *out)
{
    if (t_alloc(out, x->c + skip->c, skip->h, skip->w))
        return -1;
    const size_t HW = (size_t)skip->h * skip->w;
    for (int c = 0; c < x->c; c++)
        for (int y = 0; y < skip->h; y++) {
            const float *s = x->v + ((size_t)c * x->h + (size_t)(y / 2)) * x->w;
            float *d = out->v + (size_t)c * HW + (size_t)y * skip->w;
            for (int xx = 0; xx < skip->w; xx++)
                d[xx] = s[xx / 2];
        }
    memcpy(out->v + (size_t)x->c * HW, skip->v, (size_t)skip->c * HW * sizeof(float));
    return 0;
}

/* The encoder of one date: feats[i] for each level. */
static int encode(const sw_model *m, const tensor *input, tensor *feats, float *col)
{
    tensor x = *input, t = {0};
    for (int i = 0; i < m->depth; i++) {
        tensor pooled = {0};
        if (i > 0) {
            if (maxpool(&feats[i - 1], &pooled))
                return -1;
            x = pooled;
        }
        int rc = conv(&m->layer[2 * i], &x, &t, col);
        if (i > 0)
            t_free(&pooled);
        if (rc || conv(&m->layer[2 * i + 1], &t, &feats[i], col)) {
            t_free(&t);
            return -1;
        }
        t_free(&t);
    }
    return 0;
}

int sw_model_run(sw_ctx *ctx, const sw_model *m, const float *a, const float *b, int h, int w, float *prob)
{
    if (h <= 0 || w <= 0 || h % m->multiple || w % m->multiple)
        return sw__err(ctx, SW_EARG, "model tile %dx%d is not a multiple of %d", w, h, m->multiple);
    int rc = 0;
    tensor fa[SW__MAX_DEPTH] = {{0}}, fb[SW__MAX_DEPTH] = {{0}}, x = {0}, t = {0}, u = {0};
    float *col = malloc((size_t)COL_FLOATS * sizeof(float) + (size_t)m->ch[m->depth - 1] * 18 * (size_t)w * sizeof(float));
    tensor ia = {m->bands, h, w, (float *)a}, ib = {m->bands, h, w, (float *)b};
    if (!col || encode(m, &ia, fa, col) || encode(m, &ib, fb, col)) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory running the model on a %dx%d tile", w, h);
        goto done;
    }
    /* Skips: fa[i] <- |fa[i] - fb[i]| */
    for (int i = 0; i < m->depth; i++) {
        size_t n = (size_t)fa[i].c * fa[i].h * fa[i].w;
        for (size_t j = 0; j < n; j++)
            fa[i].v[j] = fabsf(fa[i].v[j] - fb[i].v[j]);
        t_free(&fb[i]);
    }
    x = fa[m->depth - 1];
    fa[m->depth - 1].v = NULL;
    int li = 2 * m->depth;
    for (int i = m->depth - 2; i >= 0; i--) {
        if (up_concat(&x, &fa[i], &u) || conv(&m->layer[li], &u, &t, col)) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory running the model");
            goto done;
        }
        t_free(&u);
        t_free(&x);
        if (conv(&m->layer[li + 1], &t, &x, col)) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory running the model");
            goto done;
        }
        t_free(&t);
        t_free(&fa[i]);
        li += 2;
    }
    if (conv(&m->layer[li], &x, &t, col)) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory running the model");
        goto done;
    }
    for (size_t j = 0; j < (size_t)h * w; j++)
        prob[j] = 1.0f / (1.0f + expf(-t.v[j]));
done:
    for (int i = 0; i < m->depth; i++) {
        t_free(&fa[i]);
        t_free(&fb[i]);
    }
    t_free(&x);
    t_free(&t);
    t_free(&u);
    free(col);
    return rc;
}
