/*
 * fuzz_wkt.c: libFuzzer harness for geometry text as the catalog holds it
 * (src/io/vector.c, src/io/footprint.c): any bytes as WKT, its centre, its
 * union with itself, its GeoJSON in WGS84 (as found and as one polygon),
 * and whether it meets a fixed polygon. Nothing may crash or leak.
 */
#include <stdlib.h>
#include <string.h>

#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        sw__io_init(64 << 20);
        ready = 1;
    }
    char *wkt = malloc(size + 1);
    if (!wkt)
        return 0;
    memcpy(wkt, data, size);
    wkt[size] = '\0';
    double x, y;
    (void)sw__wkt_centroid(wkt, &x, &y);
    free(sw__wkt_union(wkt, wkt));
    free(sw__wkt_to_geojson(wkt, 32652, 0));
    free(sw__wkt_to_geojson(wkt, 32652, 1));
    (void)sw__wkt_intersects(wkt, "POLYGON ((127 39,128 39,128 40,127 40,127 39))");
    free(wkt);
    return 0;
}
