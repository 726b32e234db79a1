/*
 * sites.c: adding a site (its AOI read and buffered in its UTM zone) and
 * removing one (its rows, then the chips, masks and comparisons sitewatch
 * made for it; never the scenes they were cut from).
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../catalog/store.h"

/* A name the CLI and file systems can live with: letters, digits, - _ . */
static int valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= sizeof(((sw_site *)0)->name) || name[0] == '.' || name[0] == '-')
        return 0;
    for (const char *p = name; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            return 0;
    return 1;
}

int sw_site_add(sw_ctx *ctx, sw_catalog *cat, const char *name, const char *aoi_path, double buffer_m,
                double resolution_m, sw_site *site)
{
    if (!valid_name(name))
        return sw__err(ctx, SW_EARG, "site name '%s': use letters, digits, '-', '_' and '.' (at most 127)", name);
    if (!(buffer_m >= 0.0 && buffer_m <= 1e6))
        return sw__err(ctx, SW_EARG, "buffer %g: metres from 0 to 1000000", buffer_m);
    if (!(resolution_m == 0.0 || (resolution_m >= 0.01 && resolution_m <= 10000.0)))
        return sw__err(ctx, SW_EARG, "resolution %g: metres from 0.01 to 10000 (0: from the first scene)", resolution_m);
    sw__aoi aoi;
    int rc = sw__aoi_read(ctx, aoi_path, buffer_m, &aoi);
    if (rc)
        return rc;
    sw_site s = {.aoi_wkt = aoi.wkt, .crs_epsg = aoi.epsg, .resolution_m = resolution_m, .buffer_m = buffer_m,
                 .area_m2 = aoi.area_m2, .lon = aoi.lon, .lat = aoi.lat};
    snprintf(s.name, sizeof s.name, "%s", name);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(s.created, sizeof s.created, "%Y-%m-%dT%H:%M:%SZ", &tm);
    rc = sw__store_site_insert(ctx, cat, &s);
    sw__aoi_clear(&aoi);
    if (rc == 0 && site)
        rc = sw_site_get(ctx, cat, name, site);
    return rc;
}

int sw_site_method(sw_ctx *ctx, sw_catalog *cat, const char *name, char *buf, size_t n)
{
    return sw__store_site_method(ctx, cat, name, buf, n);
}

int sw_site_set_method(sw_ctx *ctx, sw_catalog *cat, const char *name, const char *method)
{
    if (!method || !sw_method_exists(method))
        return sw__err(ctx, SW_EARG, "method '%s': not a sitewatch method", method ? method : "(null)");
    return sw__store_site_set_method(ctx, cat, name, method);
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP)
        rmdir(path);
    else if (flag == FTW_F || flag == FTW_SL)
        unlink(path);
    return 0;
}

int sw_site_remove(sw_ctx *ctx, sw_catalog *cat, const char *name, int force)
{
    int rc = sw__store_site_delete(ctx, cat, name, force);
    /* Then what sitewatch made for it: its chips, masks and kept
     * comparisons (never the scenes they were cut from). */
    char *dir = rc == 0 && valid_name(name) ? sw__store_site_path(NULL, cat, name, "") : NULL;
    if (dir)
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(dir);
    return rc;
}
