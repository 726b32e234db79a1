/*
 * fuzz_aoi.c: libFuzzer harness for the AOI reader (src/io/aoi.c): any
 * bytes as a GeoJSON file, read with and without a buffer. It must refuse
 * them with a message or return a polygon with a finite area and centre.
 * Built with -DSW_FUZZ=ON by clang (bench/fuzz.sh).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cpl_vsi.h>

#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        sw__io_init(64 << 20);
        ready = 1;
    }
    const char *path = "/vsimem/fuzz-aoi.geojson";
    VSILFILE *f = VSIFileFromMemBuffer(path, (GByte *)data, (vsi_l_offset)size, FALSE);
    if (!f)
        return 0;
    VSIFCloseL(f);
    for (int k = 0; k < 2; k++) {
        sw_ctx *ctx = sw_ctx_new();
        sw__aoi aoi;
        if (sw__aoi_read(ctx, path, k ? 250.0 : 0.0, &aoi) == 0) {
            if (!aoi.wkt || !isfinite(aoi.area_m2) || !(aoi.area_m2 > 0) || !isfinite(aoi.lon) || !isfinite(aoi.lat))
                abort(); /* accepted, but not a usable area */
            sw__aoi_clear(&aoi);
        } else if (!sw_ctx_errmsg(ctx)[0]) {
            abort();
        }
        sw_ctx_free(ctx);
    }
    VSIUnlink(path);
    return 0;
}
