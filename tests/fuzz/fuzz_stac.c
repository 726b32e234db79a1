/*
 * fuzz_stac.c: libFuzzer harness for STAC Items and ItemCollections read as
 * deliveries (src/io/delivery.c): any bytes as FILE.json and as
 * FILE.json#ID. They must be refused with a message, or give at least one
 * band file, a date that is empty or YYYY-MM-DD, and as many names as the
 * bands they name.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128], ref[160];
    if (fuzz_file("item.json", data, size, path, sizeof path))
        return 0;
    snprintf(ref, sizeof ref, "%s#a", path);
    const char *given[2] = {path, ref};
    for (int k = 0; k < 2; k++) {
        sw_ctx *ctx = sw_ctx_new();
        sw__delivery d;
        int rc = sw__delivery_open(ctx, given[k], &d);
        if (rc == 0 && d.kind) {
            if (d.nfiles < 1 || !d.files[0] || (d.date[0] && strlen(d.date) != 10) || d.nnames < 0)
                abort();
            for (int i = 0; i < d.nfiles; i++)
                if (!d.files[i])
                    abort();
        } else if (rc != 0 && !sw_ctx_errmsg(ctx)[0]) {
            abort(); /* refused without saying why */
        }
        sw__delivery_clear(&d);
        sw_ctx_free(ctx);
    }
    return 0;
}
