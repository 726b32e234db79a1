/*
 * bandset.c: a scene delivered as a folder (or "@list") of single-band
 * files, as Sentinel-2 delivers them: the files listed (Sentinel-2 bands
 * recognised by name and put in band order), and stacked into one /vsimem/
 * VRT on the finest band's grid. detect's dates (pair.c) and ingest's
 * scenes (sw__scene_open) are both made this way.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <cpl_vsi.h>
#include <gdal.h>
#include <gdal_utils.h>

#include "pair_int.h"

static atomic_long vsimem_seq;

char *sw__vsimem_name(const char *what)
{
    char buf[128];
    snprintf(buf, sizeof buf, "/vsimem/sitewatch/%ld_%ld_%s.vrt", (long)getpid(),
             (long)atomic_fetch_add(&vsimem_seq, 1), what);
    return strdup(buf);
}

/* ---- Sentinel-2 band names ---- */
const char *const sw__s2_order[] = {"B01", "B02", "B03", "B04", "B05", "B06", "B07",
                                       "B08", "B8A", "B09", "B10", "B11", "B12"};

/* Index of the Sentinel-2 band named in a file name (…_B8A.tif, B02.jp2),
 * or -1. */
int sw__s2_band_of(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    for (size_t i = 0; i + 3 <= n; i++) {
        if (toupper((unsigned char)base[i]) != 'B')
            continue;
        if (i > 0 && base[i - 1] != '_' && base[i - 1] != '-' && base[i - 1] != '.')
            continue;
        char end = base[i + 3];
        if (end != '.' && end != '_' && end != '\0')
            continue;
        for (int k = 0; k < 13; k++)
            if (strncasecmp(base + i, sw__s2_order[k], 3) == 0)
                return k;
    }
    return -1;
}

static int has_raster_ext(const char *name)
{
    static const char *const ext[] = {".tif", ".tiff", ".jp2", ".img", ".png", ".bmp",
                                      ".jpg", ".jpeg", ".vrt", ".hdr", ".dat", NULL};
    const char *dot = strrchr(name, '.');
    if (!dot)
        return 0;
    for (int i = 0; ext[i]; i++)
        if (strcasecmp(dot, ext[i]) == 0)
            return strcasecmp(dot, ".hdr") != 0;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_s2(const void *a, const void *b)
{
    return sw__s2_band_of(*(char *const *)a) - sw__s2_band_of(*(char *const *)b);
}

void sw__free_strv(char **v, int n)
{
    if (!v)
        return;
    for (int i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* Lists the band files of a folder or an @list file into s->pub.files. */
int sw__bandset_list(sw_ctx *ctx, side *s, const char *given, int is_dir)
{
    int n = 0, cap = 16;
    char **files = malloc((size_t)cap * sizeof *files);
    if (!files)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    if (is_dir) {
        DIR *d = opendir(given);
        if (!d) {
            free(files);
            return sw__err(ctx, SW_EIO, "%s: cannot read folder: %s", given, strerror(errno));
        }
        struct dirent *de;
        int oom = 0;
        while (!oom && (de = readdir(d))) {
            if (de->d_name[0] == '.' || !has_raster_ext(de->d_name))
                continue;
            size_t len = strlen(given) + strlen(de->d_name) + 2;
            char *full = malloc(len);
            if (!full) {
                oom = 1;
                break;
            }
            snprintf(full, len, "%s/%s", given, de->d_name);
            struct stat st;
            if (stat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
                free(full);
                continue;
            }
            if (n == cap) {
                char **nf = realloc(files, (size_t)cap * 2 * sizeof *nf);
                if (!nf) {
                    free(full);
                    oom = 1;
                    break;
                }
                files = nf;
                cap *= 2;
            }
            files[n++] = full;
        }
        closedir(d);
        if (oom) {
            sw__free_strv(files, n);
            return sw__err(ctx, SW_ENOMEM, "out of memory listing %s", given);
        }
    } else {
        FILE *f = fopen(given + 1, "r");
        if (!f) {
            free(files);
            return sw__err(ctx, SW_EIO, "%s: cannot open list: %s", given + 1, strerror(errno));
        }
        char line[4096];
        int lineno = 0, rc = 0;
        while (rc == 0 && fgets(line, sizeof line, f)) {
            lineno++;
            size_t len = strlen(line);
            if (len == sizeof line - 1 && line[len - 1] != '\n') {
                rc = sw__err(ctx, SW_EFORMAT, "%s: line %d is longer than a file name can be", given + 1, lineno);
                break;
            }
            while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
                line[--len] = '\0';
            /* a list of file names is text: a binary file is not one */
            for (size_t i = 0; i < len && rc == 0; i++)
                if ((unsigned char)line[i] < 0x20 && line[i] != '\t')
                    rc = sw__err(ctx, SW_EFORMAT, "%s: line %d is not a file name (control characters: "
                                                  "is this a list of files?)", given + 1, lineno);
            if (rc || !len || line[0] == '#')
                continue;
            if (n == cap) {
                char **nf = realloc(files, (size_t)cap * 2 * sizeof *nf);
                if (!nf) {
                    rc = sw__err(ctx, SW_ENOMEM, "out of memory reading %s", given + 1);
                    break;
                }
                files = nf;
                cap *= 2;
            }
            if (!(files[n] = strdup(line)))
                rc = sw__err(ctx, SW_ENOMEM, "out of memory reading %s", given + 1);
            else
                n++;
        }
        if (rc) {
            fclose(f);
            sw__free_strv(files, n);
            return rc;
        }
        fclose(f);
    }
    if (n == 0) {
        free(files);
        return sw__err(ctx, SW_EFORMAT, "%s: no raster files in it", is_dir ? given : given + 1);
    }
    /* A Sentinel-2 band set keeps its recognised bands in band order;
     * anything else is stacked in name order. */
    int ns2 = 0;
    for (int i = 0; i < n; i++)
        ns2 += sw__s2_band_of(files[i]) >= 0;
    if (ns2 >= 2) {
        int k = 0;
        for (int i = 0; i < n; i++) {
            if (sw__s2_band_of(files[i]) >= 0)
                files[k++] = files[i];
            else
                free(files[i]);
        }
        n = k;
        qsort(files, (size_t)n, sizeof *files, cmp_s2);
        for (int i = 1; i < n; i++)
            if (sw__s2_band_of(files[i]) == sw__s2_band_of(files[i - 1])) {
                int rc = sw__err(ctx, SW_EFORMAT, "%s: band %s appears twice (%s and %s)",
                                 is_dir ? given : given + 1, sw__s2_order[sw__s2_band_of(files[i])],
                                 files[i - 1], files[i]);
                sw__free_strv(files, n);
                return rc;
            }
    } else if (is_dir) {
        qsort(files, (size_t)n, sizeof *files, cmp_str);
    }
    s->pub.files = files;
    s->pub.nfiles = n;
    return 0;
}

int sw__bandset_stack(sw_ctx *ctx, side *s, const char *resampling)
{
    int n = s->pub.nfiles, ngeo = 0;
    int64_t w0 = 0, h0 = 0;
    for (int i = 0; i < n; i++) {
        GDALDatasetH ds = sw__open_raster(ctx, s->pub.files[i], "band");
        if (!ds)
            return ctx->code;
        int nb = GDALGetRasterCount(ds);
        double gt[6];
        int geo = GDALGetGeoTransform(ds, gt) == CE_None && GDALGetProjectionRef(ds)[0];
        int64_t w = GDALGetRasterXSize(ds), h = GDALGetRasterYSize(ds);
        GDALClose(ds);
        if (nb != 1)
            return sw__err(ctx, SW_EFORMAT, "%s: has %d bands; a band set needs single-band files",
                           s->pub.files[i], nb);
        ngeo += geo;
        if (i == 0) {
            w0 = w;
            h0 = h;
        } else if (!geo && (w != w0 || h != h0)) {
            return sw__err(ctx, SW_EMISMATCH,
                           "%s: %lldx%lld differs from %s (%lldx%lld) and has no georeferencing",
                           s->pub.files[i], (long long)w, (long long)h, s->pub.files[0],
                           (long long)w0, (long long)h0);
        }
    }
    if (ngeo != 0 && ngeo != n)
        return sw__err(ctx, SW_EMISMATCH, "%s: some band files are georeferenced and some are not",
                       s->pub.given);
    s->vsimem = sw__vsimem_name("stack");
    if (!s->vsimem)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALDatasetH vrt = NULL;
    if (ngeo) {
        char *argv[] = {"-separate", "-resolution", "highest", "-r", (char *)resampling, NULL};
        GDALBuildVRTOptions *o = GDALBuildVRTOptionsNew(argv, NULL);
        vrt = GDALBuildVRT(s->vsimem, n, NULL, (const char *const *)s->pub.files, o, NULL);
        GDALBuildVRTOptionsFree(o);
    } else {
        /* gdalbuildvrt refuses images without georeferencing: write the
         * stack by hand (all files have one size, checked above). */
        GDALDriverH drv = GDALGetDriverByName("VRT");
        vrt = GDALCreate(drv, s->vsimem, (int)w0, (int)h0, 0, GDT_Unknown, NULL);
        for (int i = 0; vrt && i < n; i++) {
            GDALDatasetH src = GDALOpen(s->pub.files[i], GA_ReadOnly);
            GDALDataType t = src ? GDALGetRasterDataType(GDALGetRasterBand(src, 1)) : GDT_Byte;
            if (src)
                GDALClose(src);
            char *opts[] = {"subclass=VRTSourcedRasterBand", NULL};
            GDALAddBand(vrt, t, opts);
            char xml[8192];
            char *esc = CPLEscapeString(s->pub.files[i], -1, CPLES_XML);
            snprintf(xml, sizeof xml,
                     "<SimpleSource><SourceFilename relativeToVRT=\"0\">%s</SourceFilename>"
                     "<SourceBand>1</SourceBand></SimpleSource>", esc);
            CPLFree(esc);
            char *md[] = {xml, NULL};
            GDALSetMetadata(GDALGetRasterBand(vrt, i + 1), md, "new_vrt_sources");
        }
    }
    /* Sentinel-2 bands keep their names (B04 ...) in the stack. */
    for (int i = 0; vrt && i < n; i++)
        if (sw__s2_band_of(s->pub.files[i]) >= 0)
            GDALSetDescription(GDALGetRasterBand(vrt, i + 1), sw__s2_order[sw__s2_band_of(s->pub.files[i])]);
    if (vrt)
        GDALClose(vrt);
    sw__gdal_pop();
    if (!vrt)
        return sw__err(ctx, SW_EFORMAT, "%s: cannot stack bands: %s", s->pub.given,
                       sw__gdal_msg(&e, "unknown error"));
    return 0;
}

int sw_path_is_band_set(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return 0;
    DIR *d = opendir(path);
    struct dirent *de;
    int n = 0;
    while (d && (de = readdir(d)))
        if (de->d_name[0] != '.' && has_raster_ext(de->d_name) && sw__s2_band_of(de->d_name) >= 0)
            n++;
    if (d)
        closedir(d);
    return n >= 2;
}

/* Names the bands of s's raster (a VRT made for it when it has none). */
static int name_bands(sw_ctx *ctx, side *s, char *const *names, int n)
{
    sw__gdal_err e;
    sw__gdal_push(&e);
    if (!s->vsimem) {
        s->vsimem = sw__vsimem_name("named");
        GDALDatasetH src = s->vsimem ? GDALOpen(s->pub.files[0], GA_ReadOnly) : NULL;
        char *argv[] = {"-of", "VRT", NULL};
        GDALTranslateOptions *o = src ? GDALTranslateOptionsNew(argv, NULL) : NULL;
        GDALDatasetH vrt = o ? GDALTranslate(s->vsimem, src, o, NULL) : NULL;
        GDALTranslateOptionsFree(o);
        if (vrt)
            GDALClose(vrt);
        if (src)
            GDALClose(src);
    }
    GDALDatasetH ds = s->vsimem ? GDALOpen(s->vsimem, GA_Update) : NULL;
    sw__gdal_pop();
    if (!ds)
        return sw__err(ctx, SW_EFORMAT, "%s: cannot open its bands: %s", s->pub.given, sw__gdal_msg(&e, "unknown error"));
    int nb = GDALGetRasterCount(ds), rc = 0;
    if (nb != n)
        rc = sw__err(ctx, SW_EMISMATCH, "%s: its metadata lists %d bands but %s has %d", s->pub.given, n,
                     s->pub.files[0], nb);
    for (int b = 0; b < nb && rc == 0; b++)
        GDALSetDescription(GDALGetRasterBand(ds, b + 1), names[b]);
    GDALClose(ds);
    return rc;
}

int sw__side_source(sw_ctx *ctx, side *s, const char *given, const char *resampling, sw__delivery *meta)
{
    sw__delivery d;
    int rc = sw__delivery_open(ctx, given, &d);
    if (rc)
        return rc;
    if (!(s->pub.given = strdup(given)))
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
    struct stat st;
    int is_list = given[0] == '@', is_dir = !is_list && stat(given, &st) == 0 && S_ISDIR(st.st_mode);
    if (rc == 0 && d.kind) {
        /* a delivery: its band files, stacked and named */
        s->pub.files = d.files;
        s->pub.nfiles = d.nfiles;
        d.files = NULL;
        d.nfiles = 0;
        if (s->pub.nfiles > 1)
            rc = sw__bandset_stack(ctx, s, resampling);
        if (rc == 0 && d.nnames)
            rc = name_bands(ctx, s, d.names, d.nnames);
    } else if (rc == 0 && (is_list || is_dir)) {
        if ((rc = sw__bandset_list(ctx, s, given, is_dir)) == 0 && s->pub.nfiles > 1)
            rc = sw__bandset_stack(ctx, s, resampling);
    } else if (rc == 0) {
        s->pub.files = malloc(sizeof *s->pub.files);
        if (!s->pub.files || !(s->pub.files[0] = strdup(given)))
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        else
            s->pub.nfiles = 1;
    }
    if (rc == 0 && !(s->path = strdup(s->vsimem ? s->vsimem : s->pub.files[0])))
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
    if (meta && rc == 0) {
        *meta = d;
        memset(&d, 0, sizeof d);
    }
    sw__delivery_clear(&d);
    return rc;
}

int sw__scene_open(sw_ctx *ctx, const char *given, sw__scene_src *out)
{
    memset(out, 0, sizeof *out);
    side s = {0};
    sw__delivery d = {0};
    int rc = sw__side_source(ctx, &s, given, "bilinear", &d);
    if (rc == 0) {
        out->path = s.path;
        out->vsimem = s.vsimem;
        out->files = s.pub.files;
        out->nfiles = s.pub.nfiles;
        s.path = s.vsimem = NULL;
        s.pub.files = NULL;
        s.pub.nfiles = 0;
        out->kind = d.kind;
        snprintf(out->date, sizeof out->date, "%s", d.date);
        snprintf(out->sensor, sizeof out->sensor, "%s", d.sensor);
        out->mask = d.mask;
        out->mask_rule = d.mask_rule;
        d.mask = NULL;
    }
    sw__delivery_clear(&d);
    sw__side_close(&s);
    if (rc)
        sw__scene_close(out);
    return rc;
}

void sw__scene_close(sw__scene_src *s)
{
    if (s->vsimem) {
        VSIUnlink(s->vsimem);
        free(s->vsimem);
    }
    sw__free_strv(s->files, s->nfiles);
    free(s->path);
    free(s->mask);
    memset(s, 0, sizeof *s);
}

