/*
 * fuzz_sidecar.c: libFuzzer harness for the acquisition date read from a
 * PlanetScope scene's sidecar (src/io/chip.c): any bytes as
 * NAME_metadata.json, then as NAME_metadata.xml, beside a scene. The date
 * found must be empty or a YYYY-MM-DD of digits.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "io/io.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const side[2] = {"scene_metadata.json", "scene_metadata.xml"};
    for (int k = 0; k < 2; k++) {
        char path[128], scene[128];
        if (fuzz_file(side[k], data, size, path, sizeof path))
            return 0;
        snprintf(scene, sizeof scene, "%.*s.tif", (int)(strlen(path) - strlen(side[k]) + 5), path);
        char date[11] = "", sensor[32] = "";
        sw__scene_metadata(scene, date, sensor);
        if (date[0]) {
            for (int i = 0; i < 10; i++)
                if (i == 4 || i == 7 ? date[i] != '-' : !isdigit((unsigned char)date[i]))
                    abort();
        }
        if (memchr(sensor, '\0', sizeof sensor) == NULL)
            abort();
        unlink(path);
    }
    return 0;
}
