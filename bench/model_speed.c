/*
 * model_speed.c: megapixels per second of sitewatch's C engine on the
 * shipped model, tiles of 512 x 512 on T threads (one tile per thread, one
 * BLAS thread each, as detect runs it).
 *
 *   model_speed MODEL [THREADS] [ROUNDS]
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include <cblas.h>

#include "sitewatch/model.h"

enum { S = 512 };

typedef struct job {
    sw_model *m;
    float *a, *b, *p;
    int rounds;
} job;

static void *work(void *arg)
{
    job *j = arg;
    sw_ctx *c = sw_ctx_new();
    for (int r = 0; r < j->rounds; r++)
        if (sw_model_run(c, j->m, j->a, j->b, S, S, j->p) != 0)
            fprintf(stderr, "%s\n", sw_ctx_errmsg(c));
    sw_ctx_free(c);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    int threads = argc > 2 ? atoi(argv[2]) : 2, rounds = argc > 3 ? atoi(argv[3]) : 4;
    sw_ctx *c = sw_ctx_new();
    sw_model *m = sw_model_load(c, argv[1]);
    if (!m) {
        fprintf(stderr, "%s\n", sw_ctx_errmsg(c));
        return 1;
    }
    openblas_set_num_threads(1);
    int nb = sw_model_bands(m);
    job js[64];
    pthread_t t[64];
    srand(1);
    for (int i = 0; i < threads; i++) {
        js[i].m = m;
        js[i].rounds = rounds;
        js[i].a = malloc(sizeof(float) * nb * S * S);
        js[i].b = malloc(sizeof(float) * nb * S * S);
        js[i].p = malloc(sizeof(float) * S * S);
        for (int k = 0; k < nb * S * S; k++) {
            js[i].a[k] = (float)rand() / RAND_MAX - 0.5f;
            js[i].b[k] = (float)rand() / RAND_MAX - 0.5f;
        }
    }
    work(&js[0]); /* warm-up */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, work, &js[i]);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    double mpx = (double)threads * rounds * S * S / 1e6;
    printf("sitewatch C engine, %d threads: %.3f Mpx/s (%.2f s for %.2f Mpx)\n", threads, mpx / s, s, mpx);
    sw_model_free(m);
    sw_ctx_free(c);
    return 0;
}
