/*
 * version.c: the versions of sitewatch and the libraries it runs on. It
 * sits above the layers (src/core includes no GDAL or SQLite): each layer
 * reports its own library.
 */
#include <stdio.h>

#include <cblas.h>
#include <fftw3.h>
#include <openssl/opensslv.h>

#include "catalog/store.h"

const char *sw_version(void)
{
    static char buf[512];
    if (!buf[0])
        snprintf(buf, sizeof buf, "sitewatch %s; GDAL %s; FFTW %s; OpenBLAS %s; %s; %s",
                 SW_VERSION_STRING, sw__gdal_version(), fftw_version, openblas_get_config(),
                 sw__store_engine_version(), OPENSSL_VERSION_TEXT);
    return buf;
}
