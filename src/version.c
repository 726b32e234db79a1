/*
 * version.c: the versions of sitewatch and every library it runs on. It
 * sits above the layers (src/core includes no GDAL or SQLite): the engine
 * reports its libraries, the catalog its database.
 */
#include <stdio.h>

#include "catalog/store.h"
#include "engine/engine.h"

const char *sw_version(void)
{
    static char buf[512];
    if (!buf[0])
        snprintf(buf, sizeof buf, "%s; %s", sw__engine_versions(), sw__store_engine_version());
    return buf;
}
