/*
 * fuzz_raster.c: libFuzzer harness for a small raster through the detect
 * pipeline (src/io/pair.c, src/engine/): any bytes as an image file GDAL
 * may read (a GeoTIFF seeds it), compared with itself shifted by nothing,
 * with CVA and with IR-MAD, in memory. Rasters over 256 x 256 pixels or 16
 * bands are skipped (the time is GDAL's, not ours). It must be refused with
 * a message or give objects whose areas are finite and not negative.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cpl_conv.h>
#include <gdal.h>

#include "fuzz_util.h"
#include "io/io.h"
#include "sitewatch/sitewatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        sw__io_init(64 << 20);
        CPLSetConfigOption("GDAL_NUM_THREADS", "1");
        ready = 1;
    }
    char path[128];
    if (fuzz_file("image.tif", data, size, path, sizeof path))
        return 0;
    CPLPushErrorHandler(CPLQuietErrorHandler);
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    int ok = ds && GDALGetRasterXSize(ds) <= 256 && GDALGetRasterYSize(ds) <= 256 && GDALGetRasterCount(ds) <= 16;
    if (ds)
        GDALClose(ds);
    CPLPopErrorHandler();
    if (!ok)
        return 0;
    static const char *const methods[2] = {"cva", "irmad"};
    for (int m = 0; m < 2; m++) {
        sw_ctx *ctx = sw_ctx_new();
        sw_pair *pair = NULL;
        sw_objects *objs = NULL;
        sw_detect_opts o;
        sw_detect_opts_init(&o);
        o.method = methods[m];
        o.threads = 1;
        int rc = sw_pair_open(ctx, path, path, NULL, &pair);
        if (rc == 0)
            rc = sw_detect_window(ctx, pair, NULL, &o, &objs);
        if (rc == 0) {
            for (int64_t i = 0; i < sw_objects_count(objs); i++) {
                const sw_object *ob = sw_objects_get(objs, i);
                if (!ob || !isfinite(ob->area_m2) || ob->area_m2 < 0)
                    abort();
            }
        } else if (!sw_ctx_errmsg(ctx)[0]) {
            abort();
        }
        sw_objects_free(objs);
        sw_pair_close(pair);
        sw_ctx_free(ctx);
    }
    return 0;
}
