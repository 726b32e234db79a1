/*
 * fuzz_list.c: libFuzzer harness for @LIST files (src/io/bandset.c): any
 * bytes as a list of band files, opened as a scene. It must be refused
 * with a one-line message or give as many files as it names.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128], at[160];
    if (fuzz_file("bands.lst", data, size, path, sizeof path))
        return 0;
    snprintf(at, sizeof at, "@%s", path);
    sw_ctx *ctx = sw_ctx_new();
    sw__scene_src src;
    int rc = sw__scene_open(ctx, at, &src);
    if (rc == 0) {
        if (src.nfiles < 1 || !src.path)
            abort();
        sw__scene_close(&src);
    } else {
        const char *m = sw_ctx_errmsg(ctx);
        if (!m[0] || strchr(m, '\n'))
            abort(); /* silent, or more than one line */
    }
    sw_ctx_free(ctx);
    return 0;
}
