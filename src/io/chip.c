/*
 * chip.c: a scene cut to a site: warped onto the site's grid (its UTM zone,
 * its pixel size, the AOI's bounding box plus a margin, aligned to whole
 * pixels) and written as a Cloud-Optimized GeoTIFF with nodata where the
 * scene does not reach, plus what the scene's
 * metadata says of when and by what it was taken.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cpl_conv.h>
#include <cpl_string.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <ogr_api.h>
#include <ogr_srs_api.h>

#include "io_int.h"

/* YYYYMMDD at s (8 digits, plausible) -> "YYYY-MM-DD". */
static int ymd(const char *s, char out[11])
{
    for (int i = 0; i < 8; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    int y = atoi((char[5]){s[0], s[1], s[2], s[3], 0}), m = atoi((char[3]){s[4], s[5], 0}),
        d = atoi((char[3]){s[6], s[7], 0});
    if (y < 1972 || y > 2100 || m < 1 || m > 12 || d < 1 || d > 31)
        return 0;
    snprintf(out, 11, "%04d-%02d-%02d", y, m, d);
    return 1;
}

/* The first date "YYYY-MM-DD" after key in text, into out. */
static int date_after(const char *text, const char *key, char out[11])
{
    for (const char *a = strstr(text, key); a; a = strstr(a + 1, key)) {
        const char *p = a + strlen(key);
        while (*p && !isdigit((unsigned char)*p) && p - a < 64 && *p != '<')
            p++;
        if (strlen(p) >= 10 && p[4] == '-' && p[7] == '-') {
            char digits[9] = {p[0], p[1], p[2], p[3], p[5], p[6], p[8], p[9], 0};
            if (ymd(digits, out))
                return 1;
        }
    }
    return 0;
}

static int sidecar_date(const char *path, char date[11])
{
    char stem[4096];
    snprintf(stem, sizeof stem, "%s", path);
    char *dot = strrchr(stem, '.'), *slash = strrchr(stem, '/');
    if (dot && (!slash || dot > slash))
        *dot = '\0';
    char cand[4][4200];
    int n = 0;
    snprintf(cand[n++], sizeof cand[0], "%s_metadata.json", stem);
    snprintf(cand[n++], sizeof cand[0], "%s_metadata.xml", stem);
    char *a = strstr(slash ? slash : stem, "_AnalyticMS");
    if (a) {
        snprintf(cand[n++], sizeof cand[0], "%.*s_AnalyticMS_metadata.xml", (int)(a - stem), stem);
        snprintf(cand[n++], sizeof cand[0], "%.*s_metadata.json", (int)(a - stem), stem);
    }
    for (int i = 0; i < n; i++) {
        FILE *f = fopen(cand[i], "r");
        if (!f)
            continue;
        char buf[65536];
        size_t k = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[k] = '\0';
        if (date_after(buf, "\"acquired\"", date) || date_after(buf, "acquisitionDateTime>", date) ||
            date_after(buf, "acquisitionDate>", date))
            return 1;
    }
    return 0;
}

int sw__scene_metadata(const char *path, char date[11], char sensor[32])
{
    date[0] = sensor[0] = '\0';
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    /* PlanetScope: 20240301_021533_1035_3B_AnalyticMS_SR.tif */
    if (strlen(base) > 16 && base[8] == '_' && ymd(base, date)) {
        if (strstr(base, "_3B_") || strstr(base, "Analytic") || strstr(base, "_BGRN"))
            snprintf(sensor, 32, "PlanetScope");
        else if (strstr(base, "_ssc") || strstr(base, "SkySat"))
            snprintf(sensor, 32, "SkySat");
        return 0;
    }
    /* Sentinel-2 of the old (2015-2016) naming, S2A_OPER_..._YYYYMMDDTHHMMSS_...:
     * that date is the product's making, not the sensing; the sensing is
     * the validity start, "_VYYYYMMDDT...", when the name has one. */
    if (strstr(base, "_OPER_") && (base[0] == 'S' && base[1] == '2')) {
        for (const char *p = base; *p; p++)
            if (p[0] == '_' && p[1] == 'V' && strlen(p) >= 11 && ymd(p + 2, date)) {
                snprintf(sensor, 32, "Sentinel-2");
                return 0;
            }
        snprintf(sensor, 32, "Sentinel-2");
        base = ""; /* no sensing date in the name: a sidecar, the TIFF tag, or --date */
    }
    /* Sentinel-2: ..._20170829T105019_... or S2A_MSIL2A_20240301T021533_... */
    for (const char *p = base; *p; p++) {
        if ((p == base || p[-1] == '_') && strlen(p) >= 15 && p[8] == 'T' && ymd(p, date)) {
            if (strstr(base, "S2A") || strstr(base, "S2B") || strstr(base, "MSIL") || base[0] == 'T')
                snprintf(sensor, 32, "Sentinel-2");
            return 0;
        }
    }
    /* A sidecar: PlanetScope's JSON ("acquired": "2024-03-01T02:15:33Z") or
     * XML (<eop:acquisitionDate>2024-03-01T02:15:33+00:00<...>), named after
     * the scene (NAME_metadata.json/.xml) or after its stem
     * (..._3B_metadata.json, ..._3B_AnalyticMS_metadata.xml). */
    if (sidecar_date(path, date))
        snprintf(sensor, 32, "PlanetScope");
    if (date[0])
        return 0;
    /* The TIFF date tag, "YYYY:MM:DD HH:MM:SS". */
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_RASTER | GDAL_OF_READONLY, NULL, NULL, NULL);
    sw__gdal_pop();
    if (ds) {
        const char *t = GDALGetMetadataItem(ds, "TIFFTAG_DATETIME", NULL);
        if (t && strlen(t) >= 10 && t[4] == ':' && t[7] == ':') {
            char digits[9] = {t[0], t[1], t[2], t[3], t[5], t[6], t[8], t[9], 0};
            ymd(digits, date);
        }
        GDALClose(ds);
    }
    return date[0] ? 0 : -1;
}

int sw__chip_write(sw_ctx *ctx, const char *scene, const char *aoi_wkt, int epsg, double margin_m,
                   double *resolution_m, const char *out_path, double *usable)
{
    GDALDatasetH src = sw__open_raster(ctx, scene, "scene");
    if (!src)
        return ctx->code;
    int rc = 0;
    double gt[6];
    const char *swkt = GDALGetProjectionRef(src);
    if (GDALGetGeoTransform(src, gt) != CE_None || !swkt || !*swkt) {
        GDALClose(src);
        return sw__err(ctx, SW_EFORMAT, "%s: has no georeferencing: a scene must say where it is", scene);
    }
    OGRSpatialReferenceH wgs = OSRNewSpatialReference(NULL), utm = OSRNewSpatialReference(NULL),
                         ssrs = OSRNewSpatialReference(swkt);
    OSRSetWellKnownGeogCS(wgs, "WGS84");
    OSRImportFromEPSG(utm, epsg);
    OSRSetAxisMappingStrategy(wgs, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(utm, OAMS_TRADITIONAL_GIS_ORDER);
    OSRSetAxisMappingStrategy(ssrs, OAMS_TRADITIONAL_GIS_ORDER);
    OGRGeometryH aoi = NULL, fp = NULL;
    char *wkt = (char *)aoi_wkt;
    OGR_G_CreateFromWkt(&wkt, wgs, &aoi);
    OGRCoordinateTransformationH to_utm = OCTNewCoordinateTransformation(wgs, utm);
    OGRCoordinateTransformationH s_utm = OCTNewCoordinateTransformation(ssrs, utm);
    char *tmp_vrt = NULL;
    if (!aoi || !to_utm || !s_utm || OGR_G_Transform(aoi, to_utm) != OGRERR_NONE) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: cannot bring the scene or the site to UTM (EPSG:%d)", scene, epsg);
        goto done;
    }
    /* The scene's footprint in UTM; it must meet the AOI. */
    {
        int w = GDALGetRasterXSize(src), h = GDALGetRasterYSize(src);
        char fw[512];
        double xs[4] = {gt[0], gt[0] + w * gt[1] + 0 * gt[2], gt[0] + w * gt[1] + h * gt[2], gt[0] + h * gt[2]};
        double ys[4] = {gt[3], gt[3] + w * gt[4], gt[3] + w * gt[4] + h * gt[5], gt[3] + h * gt[5]};
        snprintf(fw, sizeof fw, "POLYGON ((%.12g %.12g,%.12g %.12g,%.12g %.12g,%.12g %.12g,%.12g %.12g))", xs[0],
                 ys[0], xs[1], ys[1], xs[2], ys[2], xs[3], ys[3], xs[0], ys[0]);
        char *p = fw;
        OGR_G_CreateFromWkt(&p, ssrs, &fp);
        if (fp)
            OGR_G_Segmentize(fp, fabs(gt[1]) * w / 16); /* edges bend in another CRS */
        if (!fp || OGR_G_Transform(fp, s_utm) != OGRERR_NONE) {
            rc = sw__err(ctx, SW_EFORMAT, "%s: cannot project its footprint", scene);
            goto done;
        }
        if (!OGR_G_Intersects(fp, aoi)) {
            rc = sw__err(ctx, SW_ENOOVERLAP, "%s: the scene misses the site", scene);
            goto done;
        }
        if (!(*resolution_m > 0)) {
            /* The site's pixel size from its first scene, in metres: in
             * degrees, the geometric mean of the pixel's width (shorter by
             * the cosine of the latitude) and height at the scene's centre. */
            if (OSRIsGeographic(ssrs)) {
                double lat = gt[3] + 0.5 * h * gt[5];
                *resolution_m = sqrt(fabs(gt[1]) * 111320.0 * cos(lat * M_PI / 180.0) * fabs(gt[5]) * 110574.0);
            } else {
                *resolution_m = fabs(gt[1]) * OSRGetLinearUnits(ssrs, NULL);
            }
        }
    }
    OGREnvelope env;
    OGR_G_GetEnvelope(aoi, &env);
    double r = *resolution_m;
    double x0 = floor((env.MinX - margin_m) / r) * r, x1 = ceil((env.MaxX + margin_m) / r) * r;
    double y0 = floor((env.MinY - margin_m) / r) * r, y1 = ceil((env.MaxY + margin_m) / r) * r;
    char te[4][64], tr[64], srs[32];
    snprintf(te[0], 64, "%.12g", x0);
    snprintf(te[1], 64, "%.12g", y0);
    snprintf(te[2], 64, "%.12g", x1);
    snprintf(te[3], 64, "%.12g", y1);
    snprintf(tr, 64, "%.12g", r);
    snprintf(srs, sizeof srs, "EPSG:%d", epsg);
    tmp_vrt = CPLStrdup(CPLSPrintf("/vsimem/sitewatch/chip_%p.vrt", (void *)out_path));
    /* Where the scene has no data the chip holds nodata: the scene's own
     * nodata value, else 0 for integer pixels (PlanetScope's convention)
     * and NaN for floating point ones. */
    char nd[64];
    GDALRasterBandH b1 = GDALGetRasterBand(src, 1);
    int has_nd = 0;
    double ndv = GDALGetRasterNoDataValue(b1, &has_nd);
    if (has_nd)
        snprintf(nd, sizeof nd, "%.17g", ndv);
    else
        snprintf(nd, sizeof nd, "%s", GDALDataTypeIsFloating(GDALGetRasterDataType(b1)) ? "nan" : "0");
    /* A scene already on the site's grid (same CRS and pixel size, whole
     * pixels apart) is copied: its window of the chip's extent, nodata
     * beyond its edges. Any other is warped onto the grid. */
    OGRSpatialReferenceH utm_srs = OSRNewSpatialReference(NULL);
    OSRImportFromEPSG(utm_srs, epsg);
    int same_crs = OSRIsSame(ssrs, utm_srs);
    OSRDestroySpatialReference(utm_srs);
    int same_size = fabs(gt[1] - r) < 1e-9 * r && fabs(gt[5] + r) < 1e-9 * r && gt[2] == 0 && gt[4] == 0;
    double ox = (x0 - gt[0]) / r, oy = (gt[3] - y1) / r;
    GDALRasterBandH last = GDALGetRasterBand(src, GDALGetRasterCount(src));
    int plain = GDALGetRasterColorInterpretation(last) != GCI_AlphaBand &&
                !(GDALGetMaskFlags(GDALGetRasterBand(src, 1)) & GMF_PER_DATASET); /* no alpha, no mask of its own */
    int aligned = plain && same_crs && same_size && fabs(ox - round(ox)) < 1e-6 && fabs(oy - round(oy)) < 1e-6;
    /* The chip's size, and where it starts in the scene's pixels. */
    long cw = lround((x1 - x0) / r), ch = lround((y1 - y0) / r);
    char win[4][32];
    snprintf(win[0], 32, "%ld", lround(ox));
    snprintf(win[1], 32, "%ld", lround(oy));
    snprintf(win[2], 32, "%ld", cw);
    snprintf(win[3], 32, "%ld", ch);
    sw__gdal_err e;
    sw__gdal_push(&e);
    GDALDatasetH vrt = NULL, from = src;
    if (!aligned) {
        char *argv[] = {"-of", "VRT", "-t_srs", srs, "-te", te[0], te[1], te[2], te[3], "-tr", tr, tr,
                        "-r", "cubic", "-dstnodata", nd, NULL};
        GDALWarpAppOptions *wo = GDALWarpAppOptionsNew(argv, NULL);
        from = vrt = wo ? GDALWarp(tmp_vrt, NULL, 1, &src, wo, NULL) : NULL;
        GDALWarpAppOptionsFree(wo);
    }
    GDALDatasetH cog = NULL;
    if (from) {
        /* Overviews only where they pay: a chip a screen shows whole needs none. */
        int big = cw > 2048 || ch > 2048;
        char *targv[] = {"-of", "COG", "-co", "COMPRESS=ZSTD", "-co", "LEVEL=1", "-co", "PREDICTOR=YES",
                         "-co", big ? "OVERVIEWS=AUTO" : "OVERVIEWS=NONE", "-a_nodata", nd,
                         aligned ? "-srcwin" : NULL, win[0], win[1], win[2], win[3], NULL};
        GDALTranslateOptions *to = GDALTranslateOptionsNew(targv, NULL);
        cog = to ? GDALTranslate(out_path, from, to, NULL) : NULL;
        GDALTranslateOptionsFree(to);
    }
    sw__gdal_pop();
    if (!cog) {
        rc = sw__err(ctx, SW_EIO, "%s: cannot write the site chip %s: %s", scene, out_path,
                     sw__gdal_msg(&e, "unknown error"));
        if (vrt)
            GDALClose(vrt);
        goto done;
    }
    /* Usable fraction: of the AOI's bounding box (not the margin), the
     * pixels that hold data. */
    {
        int w = GDALGetRasterXSize(cog), h = GDALGetRasterYSize(cog);
        int c0 = (int)floor((env.MinX - x0) / r), c1 = (int)ceil((env.MaxX - x0) / r);
        int r0 = (int)floor((y1 - env.MaxY) / r), r1 = (int)ceil((y1 - env.MinY) / r);
        c0 = c0 < 0 ? 0 : c0;
        r0 = r0 < 0 ? 0 : r0;
        c1 = c1 > w ? w : c1;
        r1 = r1 > h ? h : r1;
        GDALRasterBandH m = GDALGetMaskBand(GDALGetRasterBand(cog, 1));
        uint8_t *row = malloc((size_t)w);
        int64_t ok = 0, all = 0;
        for (int y = r0; row && y < r1; y++)
            if (GDALRasterIO(m, GF_Read, c0, y, c1 - c0, 1, row, c1 - c0, 1, GDT_Byte, 0, 0) == CE_None)
                for (int x = 0; x < c1 - c0; x++) {
                    ok += row[x] != 0;
                    all++;
                }
        free(row);
        *usable = all ? (double)ok / (double)all : 0.0;
    }
    GDALClose(cog);
    if (vrt)
        GDALClose(vrt);
done:
    if (tmp_vrt) {
        VSIUnlink(tmp_vrt);
        CPLFree(tmp_vrt);
    }
    if (aoi)
        OGR_G_DestroyGeometry(aoi);
    if (fp)
        OGR_G_DestroyGeometry(fp);
    if (to_utm)
        OCTDestroyCoordinateTransformation(to_utm);
    if (s_utm)
        OCTDestroyCoordinateTransformation(s_utm);
    OSRDestroySpatialReference(wgs);
    OSRDestroySpatialReference(utm);
    OSRDestroySpatialReference(ssrs);
    GDALClose(src);
    return rc;
}

int sw__udm_sidecar(const char *scene, char *out, size_t n)
{
    /* 20240301_021533_1035_3B_AnalyticMS_SR[_harmonized][_clip].tif
     *   -> 20240301_021533_1035_3B_udm2[_clip].tif */
    const char *base = strrchr(scene, '/');
    base = base ? base + 1 : scene;
    const char *a = strstr(base, "_AnalyticMS");
    if (!a)
        return 0;
    int clip = strstr(a, "_clip") != NULL;
    snprintf(out, n, "%.*s_udm2%s.tif", (int)(a - scene), scene, clip ? "_clip" : "");
    VSIStatBufL st;
    return VSIStatL(out, &st) == 0;
}

int sw__mask_to_chip(sw_ctx *ctx, const char *mask, int rule, const char *chip, const char *out_path, double *unusable)
{
    *unusable = 0.0;
    GDALDatasetH m = sw__open_raster(ctx, mask, "mask");
    if (!m)
        return ctx->code;
    GDALDatasetH c = sw__open_raster(ctx, chip, "site chip");
    if (!c) {
        GDALClose(m);
        return ctx->code;
    }
    int rc = 0, w = GDALGetRasterXSize(c), h = GDALGetRasterYSize(c);
    double gt[6];
    GDALGetGeoTransform(c, gt);
    char *tmpdir = NULL, *tmp = sw__tmp_beside(ctx, out_path, &tmpdir);
    if (!tmp) {
        GDALClose(c);
        GDALClose(m);
        return ctx->code;
    }
    sw__gdal_err e;
    sw__gdal_push(&e);
    /* Band 1 (UDM2's "clear", a scene classification, QA bits) on the
     * chip's grid, nearest neighbour. */
    char te[4][64], tr[2][64];
    snprintf(te[0], 64, "%.12g", gt[0]);
    snprintf(te[1], 64, "%.12g", gt[3] + h * gt[5]);
    snprintf(te[2], 64, "%.12g", gt[0] + w * gt[1]);
    snprintf(te[3], 64, "%.12g", gt[3]);
    snprintf(tr[0], 64, "%.12g", gt[1]);
    snprintf(tr[1], 64, "%.12g", -gt[5]);
    const char *wkt = GDALGetProjectionRef(c);
    char *targv[] = {"-of", "VRT", "-b", "1", NULL};
    GDALTranslateOptions *to = GDALTranslateOptionsNew(targv, NULL);
    GDALDatasetH b1 = to ? GDALTranslate("", m, to, NULL) : NULL;
    GDALTranslateOptionsFree(to);
    char *argv[] = {"-of", "VRT", "-t_srs", (char *)wkt, "-te", te[0], te[1], te[2], te[3], "-tr", tr[0], tr[1],
                    "-r", "near", "-dstnodata", "0", NULL};
    GDALWarpAppOptions *wo = b1 ? GDALWarpAppOptionsNew(argv, NULL) : NULL;
    GDALDatasetH warped = wo ? GDALWarp("", NULL, 1, &b1, wo, NULL) : NULL;
    GDALWarpAppOptionsFree(wo);
    /* Row by row: a site of any size in a few rows of memory. */
    enum { ROWS = 64 };
    uint16_t *vals = malloc((size_t)w * ROWS * sizeof *vals);
    uint8_t *clear = malloc((size_t)w * ROWS), *valid = malloc((size_t)w * ROWS);
    char *opts[] = {"COMPRESS=DEFLATE", "TILED=YES", NULL};
    GDALDatasetH o = warped && vals && clear && valid ? GDALCreate(GDALGetDriverByName("GTiff"), tmp, w, h, 1, GDT_Byte, opts)
                                              : NULL;
    CPLErr err = o ? CE_None : CE_Failure;
    int64_t bad = 0, nv = 0;
    if (o) {
        GDALSetGeoTransform(o, gt);
        GDALSetProjection(o, wkt);
        GDALSetDescription(GDALGetRasterBand(o, 1), "not clear (from the scene's mask)");
    }
    for (int y = 0; y < h && err == CE_None; y += ROWS) {
        int n = h - y < ROWS ? h - y : ROWS;
        err = GDALRasterIO(GDALGetRasterBand(warped, 1), GF_Read, 0, y, w, n, vals, w, n, GDT_UInt16, 0, 0);
        if (err == CE_None)
            err = GDALRasterIO(GDALGetMaskBand(GDALGetRasterBand(c, 1)), GF_Read, 0, y, w, n, valid, w, n, GDT_Byte,
                               0, 0);
        for (size_t p = 0; err == CE_None && p < (size_t)w * n; p++) {
            clear[p] = valid[p] && !sw__mask_usable(rule, vals[p]); /* 1 = seen but not usable */
            bad += clear[p];
            nv += valid[p] != 0;
        }
        if (err == CE_None)
            err = GDALRasterIO(GDALGetRasterBand(o, 1), GF_Write, 0, y, w, n, clear, w, n, GDT_Byte, 0, 0);
    }
    if (o)
        GDALClose(o);
    *unusable = nv ? (double)bad / (double)nv : 0.0;
    sw__gdal_pop();
    if (err != CE_None || rename(tmp, out_path) != 0)
        rc = sw__err(ctx, SW_EIO, "%s: cannot put the mask on the site's grid: %s", mask,
                     sw__gdal_msg(&e, "unknown error"));
    sw__tmpdir_remove(tmpdir);
    free(tmpdir);
    free(tmp);
    free(vals);
    free(clear);
    free(valid);
    if (warped)
        GDALClose(warped);
    if (b1)
        GDALClose(b1);
    GDALClose(c);
    GDALClose(m);
    return rc;
}
