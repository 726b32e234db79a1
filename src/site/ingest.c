/*
 * ingest.c: a scene into a site: hashed (one already ingested is skipped),
 * dated (file name, metadata, or --date), warped onto the site's grid as a
 * COG chip written in a private temporary folder and renamed when whole, its own
 * usability mask put on the chip's grid, and recorded in one transaction.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../catalog/store.h"

void sw_ingest_opts_init(sw_ingest_opts *o)
{
    memset(o, 0, sizeof *o);
    o->margin_m = -1.0;
}

static int valid_date(const char *d)
{
    int y, m, dd;
    char tail;
    return strlen(d) == 10 && sscanf(d, "%4d-%2d-%2d%c", &y, &m, &dd, &tail) == 3 && y >= 1972 && y <= 2100 &&
           m >= 1 && m <= 12 && dd >= 1 && dd <= 31;
}

int sw_ingest_scene(sw_ctx *ctx, sw_catalog *cat, const char *site_name, const char *path,
                    const sw_ingest_opts *opts, sw_ingest_result *res)
{
    sw_ingest_opts def;
    if (!opts) {
        sw_ingest_opts_init(&def);
        opts = &def;
    }
    memset(res, 0, sizeof *res);
    sw_site site = {0};
    sw__scene_src src = {0};
    int rc = sw_site_get(ctx, cat, site_name, &site);
    if (rc)
        return rc;
    /* The scene: a file, or a band set (a folder of single-band files, as
     * Sentinel-2 delivers them) stacked into one. Its hash: the file's, or
     * that of its files' hashes in band order. */
    if ((rc = sw__scene_open(ctx, path, &src)) != 0)
        goto out;
    char hex[65];
    if (src.nfiles == 1) {
        rc = sw__sha256_file(ctx, src.files[0], hex);
    } else {
        char(*each)[65] = calloc((size_t)src.nfiles, sizeof *each);
        rc = each ? 0 : sw__err(ctx, SW_ENOMEM, "out of memory");
        for (int i = 0; rc == 0 && i < src.nfiles; i++)
            rc = sw__sha256_file(ctx, src.files[i], each[i]);
        if (rc == 0)
            sw__sha256_hex(each, (size_t)src.nfiles * sizeof *each, hex);
        free(each);
    }
    if (rc)
        goto out;
    /* Already here? */
    int found = sw__store_scene_find(ctx, cat, site.id, hex, &res->scene_id, res->date);
    if (found < 0) {
        rc = found;
        goto out;
    }
    if (found) {
        res->skipped = 1;
        goto out;
    }
    /* When and by what: a delivery's metadata, else the file name (a band
     * set: its first band's), a sidecar or the TIFF date tag. */
    char date[11] = "", sensor[32] = "";
    sw__scene_metadata(src.files[0], date, sensor);
    if (src.date[0])
        snprintf(date, sizeof date, "%s", src.date);
    if (src.sensor[0])
        snprintf(sensor, sizeof sensor, "%s", src.sensor);
    if (opts->date)
        snprintf(date, sizeof date, "%s", opts->date);
    if (opts->sensor)
        snprintf(sensor, sizeof sensor, "%s", opts->sensor);
    if (!date[0]) {
        rc = sw__err(ctx, SW_EARG, "%s: no acquisition date in its name or metadata: give --date YYYY-MM-DD", path);
        goto out;
    }
    if (!valid_date(date)) {
        rc = sw__err(ctx, SW_EARG, "%s: '%s' is not a date YYYY-MM-DD", path, date);
        goto out;
    }
    /* The chip, under a temporary name until it is whole. */
    char name[64];
    snprintf(name, sizeof name, "/%s_%.12s.tif", date, hex);
    char *dir = sw__store_site_path(ctx, cat, site.name, ""), *chip = dir ? sw__store_site_path(ctx, cat, site.name, name) : NULL;
    char *tmpdir = NULL, *tmp = NULL;
    if (!dir || !chip) {
        free(dir);
        free(chip);
        rc = ctx->code ? ctx->code : sw__err(ctx, SW_ENOMEM, "out of memory");
        goto out;
    }
    /* A site's grid is set by its first scene: a Sentinel-2 band set's is
     * its finest bands' 10 m, whatever grid the delivery was resampled to. */
    double res_m = site.resolution_m, usable = 0.0;
    if (!(res_m > 0) && !strcmp(sensor, "Sentinel-2"))
        res_m = 10.0;
    double margin = opts->margin_m >= 0 ? opts->margin_m : 100.0;
    if ((rc = sw__mkdir_p(ctx, dir)) == 0) {
        sw__tmpdir_clean(dir); /* a killed ingest's or analysis' leftovers */
        if (!(tmp = sw__tmp_beside(ctx, chip, &tmpdir)))
            rc = ctx->code;
    }
    if (rc == 0 && (rc = sw__chip_write(ctx, src.path, site.aoi_wkt, site.crs_epsg, margin, &res_m, tmp, &usable)) == 0 &&
        rename(tmp, chip) != 0)
        rc = sw__err(ctx, SW_EIO, "%s: cannot rename into place: %s", chip, strerror(errno));
    sw__tmpdir_remove(tmpdir);
    free(tmpdir);
    /* The scene's own mask (given; else its delivery's: a PlanetScope
     * UDM2, a Sentinel-2 scene classification, Landsat's QA_PIXEL) on the
     * chip's grid. */
    char msrc[4096] = "", *mpath = NULL;
    int rule = opts->mask ? SW__MASK_CLEAR : src.mask_rule;
    if (rc == 0 && (opts->mask ? snprintf(msrc, sizeof msrc, "%s", opts->mask) > 0
                               : src.mask && snprintf(msrc, sizeof msrc, "%s", src.mask) > 0)) {
        double bad = 0;
        mpath = malloc(strlen(chip) + 16);
        if (!mpath) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        } else {
            snprintf(mpath, strlen(chip) + 16, "%.*s.mask.tif", (int)(strlen(chip) - 4), chip);
            rc = sw__mask_to_chip(ctx, msrc, rule, chip, mpath, &bad);
        }
        if (rc)
            unlink(chip);
    }
    /* The record, in one transaction with the site's resolution when this
     * is its first scene. */
    int dup = 0;
    if (rc == 0) {
        sw__scene_row row = {.source = (char *)path, .chip = chip, .udm = mpath, .cover = usable};
        snprintf(row.sha256, sizeof row.sha256, "%s", hex);
        snprintf(row.date, sizeof row.date, "%s", date);
        snprintf(row.sensor, sizeof row.sensor, "%s", sensor);
        rc = sw__store_scene_insert(ctx, cat, site.id, site.resolution_m <= 0 ? res_m : 0.0, &row, msrc,
                                    &res->scene_id, &dup);
        if (rc && !dup) {
            unlink(chip);
            if (mpath)
                unlink(mpath);
        }
    }
    free(mpath);
    res->skipped = dup;
    snprintf(res->date, sizeof res->date, "%s", date);
    snprintf(res->sensor, sizeof res->sensor, "%s", sensor);
    snprintf(res->chip, sizeof res->chip, "%s", chip);
    res->usable_fraction = usable;
    free(dir);
    free(chip);
    free(tmp);
out:
    sw__scene_close(&src);
    sw_site_clear(&site);
    return rc;
}
