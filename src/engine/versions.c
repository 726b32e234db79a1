/*
 * versions.c: the versions of sitewatch and the libraries a detection runs
 * on (summary.json's "libraries"); sw_version (src/version.c) adds the
 * catalog's database.
 */
#include <stdio.h>

#include <cblas.h>
#include <fftw3.h>
#include <openssl/opensslv.h>

#include "engine.h"

const char *sw__engine_versions(void)
{
    static char buf[400];
    if (!buf[0])
        snprintf(buf, sizeof buf, "sitewatch %s; GDAL %s; FFTW %s; OpenBLAS %s; %s", SW_VERSION_STRING,
                 sw__gdal_version(), fftw_version, openblas_get_config(), OPENSSL_VERSION_TEXT);
    return buf;
}
