/*
 * version.c: the versions of sitewatch and the libraries it runs on.
 */
#include <stdio.h>

#include <cblas.h>
#include <fftw3.h>
#include <openssl/opensslv.h>
#include <sqlite3.h>

#include "../io/io.h"
#include "../sw_int.h"

const char *sw_version(void)
{
    static char buf[512];
    if (!buf[0])
        snprintf(buf, sizeof buf, "sitewatch %s; GDAL %s; FFTW %s; OpenBLAS %s; SQLite %s; %s",
                 SW_VERSION_STRING, sw__gdal_version(), fftw_version, openblas_get_config(),
                 sqlite3_libversion(), OPENSSL_VERSION_TEXT);
    return buf;
}
