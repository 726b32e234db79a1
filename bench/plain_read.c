/*
 * plain_read.c: the benchmark's floor — read two rasters once through GDAL,
 * in full-width strips of float32, one thread per date, and do nothing
 * else. sitewatch detect reads the same pixels and also scores, labels and
 * writes them.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <gdal.h>

typedef struct job {
    const char *path;
    int rows;
    double sum;
    int rc;
} job;

static void *read_all(void *arg)
{
    job *j = arg;
    GDALDatasetH ds = GDALOpen(j->path, GA_ReadOnly);
    if (!ds) {
        j->rc = 1;
        return NULL;
    }
    int w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds), nb = GDALGetRasterCount(ds);
    float *buf = malloc(sizeof(float) * (size_t)w * (size_t)j->rows * (size_t)nb);
    for (int y = 0; y < h && !j->rc; y += j->rows) {
        int n = h - y < j->rows ? h - y : j->rows;
        if (GDALDatasetRasterIO(ds, GF_Read, 0, y, w, n, buf, w, n, GDT_Float32, nb, NULL, 4 * nb,
                                4 * nb * w, 4) != CE_None)
            j->rc = 1;
        j->sum += buf[0]; /* keep the read from being optimized away */
    }
    free(buf);
    GDALClose(ds);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: plain_read A.tif B.tif\n");
        return 2;
    }
    GDALAllRegister();
    GDALSetCacheMax64((int64_t)128 << 20);
    job j[2] = {{argv[1], 64, 0, 0}, {argv[2], 64, 0, 0}};
    pthread_t t;
    pthread_create(&t, NULL, read_all, &j[1]);
    read_all(&j[0]);
    pthread_join(t, NULL);
    printf("%g\n", j[0].sum + j[1].sum);
    return j[0].rc || j[1].rc;
}
