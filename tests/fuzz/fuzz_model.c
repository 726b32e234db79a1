/*
 * fuzz_model.c: libFuzzer harness for the .swm loader (src/learn/model.c).
 * Any bytes: sw_model_load must refuse them with a message or return a
 * model whose every accessor and one small run are safe.
 * Built with -DSW_FUZZ=ON by clang (bench/fuzz.sh).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "sitewatch/sitewatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/sw-fuzz-model-%d.swm", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    sw_ctx *ctx = sw_ctx_new();
    sw_model *m = sw_model_load(ctx, path);
    if (m) {
        int nb = sw_model_bands(m), k = sw_model_multiple(m);
        for (int b = 0; b < nb; b++)
            (void)sw_model_band_name(m, b);
        (void)sw_model_name(m);
        (void)sw_model_heldout(m);
        if (k > 0 && k <= 16 && nb <= 16) {
            size_t n = (size_t)k * (size_t)k;
            float *a = calloc(n * (size_t)nb, sizeof *a), *b2 = calloc(n * (size_t)nb, sizeof *b2);
            float *p = calloc(n, sizeof *p);
            if (a && b2 && p)
                (void)sw_model_run(ctx, m, a, b2, k, k, p);
            free(a);
            free(b2);
            free(p);
        }
        sw_model_free(m);
    } else if (!sw_ctx_errmsg(ctx)[0]) {
        abort(); /* refused without saying why */
    }
    sw_ctx_free(ctx);
    unlink(path);
    return 0;
}
