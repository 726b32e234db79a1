/*
 * test_detect.c: the detect pipeline end to end on synthetic pairs, with
 * metamorphic checks: the result does not depend on threads or strip
 * height; an image against itself has no change; swapping the dates keeps
 * the CVA magnitude; warped inputs still find the buildings; bad pairs
 * fail cleanly and leave no output.
 */
#include <dirent.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gdal.h>
#include <gdal_utils.h>

#include "sitewatch/sitewatch.h"

static char dir[256];
static char path_before[300], path_after[300], path_truth[300];

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    snprintf(dir, sizeof dir, "/tmp/sw-test-detect-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(path_before, sizeof path_before, "%s/syn/before.tif", dir);
    snprintf(path_after, sizeof path_after, "%s/syn/after.tif", dir);
    snprintf(path_truth, sizeof path_truth, "%s/syn/truth.tif", dir);
    char syn[300];
    snprintf(syn, sizeof syn, "%s/syn", dir);
    sw_synth_opts o;
    sw_synth_opts_init(&o);
    o.width = 480;
    o.height = 400;
    o.seed = 2;
    sw_ctx *c = sw_ctx_new();
    int64_t nnew = 0;
    int rc = sw_synth_pair(c, syn, &o, &nnew, NULL, NULL);
    sw_ctx_free(c);
    return rc == 0 && nnew > 3 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static float *read_all(const char *path, GDALDataType t, int *w, int *h)
{
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    assert_non_null(ds);
    *w = GDALGetRasterXSize(ds);
    *h = GDALGetRasterYSize(ds);
    float *v = malloc(sizeof(float) * (size_t)*w * (size_t)*h);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, *w, *h, v, *w, *h, t == GDT_Byte ? GDT_Float32 : t, 0, 0), CE_None);
    GDALClose(ds);
    return v;
}

static char *out_path(const char *sub, const char *file)
{
    static char p[4][400];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s/%s", dir, sub, file);
    return p[k];
}

static int coreg_mode = -1; /* sw_detect_opts.coregister for the next runs */
static sw_morph morph_mode = SW_MORPH_NONE;
static int morph_radius = 1;
static sw_threshold_kind threshold_mode = SW_THRESHOLD_OTSU;
static double fill_holes = 0.0;
static int normalize_mode = 1;

static sw_detect_result detect(const char *before, const char *after, const char *sub,
                               const char *m, int threads, int rows)
{
    sw_detect_opts o;
    sw_detect_opts_init(&o);
    o.coregister = coreg_mode;
    o.morph = morph_mode;
    o.morph_radius = morph_radius;
    o.threshold = threshold_mode;
    o.fill_holes = fill_holes;
    o.normalize = normalize_mode;
    o.method = m;
    o.threads = threads;
    o.tile_rows = rows;
    char outdir[400];
    snprintf(outdir, sizeof outdir, "%s/%s", dir, sub);
    sw_ctx *c = sw_ctx_new();
    sw_detect_result r;
    int rc = sw_detect_run(c, before, after, outdir, &o, &r);
    if (rc)
        fail_msg("detect failed: %s", sw_ctx_errmsg(c));
    sw_ctx_free(c);
    return r;
}

static double f1_of(const char *sub)
{
    sw_confusion cm;
    sw_ctx *c = sw_ctx_new();
    assert_int_equal(sw_eval_pair(c, out_path(sub, "mask.tif"), path_truth, NULL, &cm, NULL), 0);
    sw_ctx_free(c);
    sw_scores s;
    sw_scores_compute(&cm, &s);
    return s.f1;
}

static void test_threads_and_strips_do_not_matter(void **state)
{
    (void)state;
    /* The pixel-wise methods, and those that read a neighbourhood (the
     * log-ratio's pre-filter, PCA-k-means's blocks) across strip edges. */
    const char *methods[] = {"cva", "irmad", "logratio", "pcakm", "texture"};
    for (int mi = 0; mi < 5; mi++) {
        const char *m = methods[mi];
        sw_detect_result a = detect(path_before, path_after, "a", m, 1, 7);
        sw_detect_result b = detect(path_before, path_after, "b", m, 2, 100);
        sw_detect_result c = detect(path_before, path_after, "c", m, 3, 400);
        assert_true(a.threshold == b.threshold && b.threshold == c.threshold);
        assert_int_equal(a.objects, b.objects);
        assert_int_equal(a.objects, c.objects);
        assert_int_equal(a.changed_pixels, c.changed_pixels);
        const char *files[2] = {"score.tif", "mask.tif"};
        for (int f = 0; f < 2; f++) {
            int w, h;
            float *va = read_all(out_path("a", files[f]), GDT_Float32, &w, &h);
            float *vb = read_all(out_path("b", files[f]), GDT_Float32, &w, &h);
            float *vc = read_all(out_path("c", files[f]), GDT_Float32, &w, &h);
            assert_memory_equal(va, vb, sizeof(float) * (size_t)w * h);
            assert_memory_equal(va, vc, sizeof(float) * (size_t)w * h);
            free(va);
            free(vb);
            free(vc);
        }
        assert_true(a.objects > 3);
    }
}

static void test_cleanup_does_not_depend_on_strips(void **state)
{
    (void)state;
    /* Morphology and the KI threshold with strips of 7 rows (context from
     * neighbouring strips) against one strip. */
    morph_mode = SW_MORPH_OPEN_CLOSE;
    morph_radius = 2;
    threshold_mode = SW_THRESHOLD_KI;
    sw_detect_result a = detect(path_before, path_after, "ma", "irmad", 2, 7);
    sw_detect_result b = detect(path_before, path_after, "mb", "irmad", 1, 400);
    morph_mode = SW_MORPH_NONE;
    morph_radius = 1;
    sw_detect_result c = detect(path_before, path_after, "mc", "irmad", 1, 400);
    threshold_mode = SW_THRESHOLD_OTSU;
    assert_int_equal(a.changed_pixels, b.changed_pixels);
    assert_int_equal(a.objects, b.objects);
    int w, h;
    float *va = read_all(out_path("ma", "mask.tif"), GDT_Float32, &w, &h);
    float *vb = read_all(out_path("mb", "mask.tif"), GDT_Float32, &w, &h);
    assert_memory_equal(va, vb, sizeof(float) * (size_t)w * h);
    free(va);
    free(vb);
    /* and the cleanup did something: fewer objects than without it */
    assert_true(a.objects < c.objects);
}

static void test_synthetic_buildings_found(void **state)
{
    (void)state;
    detect(path_before, path_after, "cva", "cva", 0, 0);
    detect(path_before, path_after, "irmad", "irmad", 0, 0);
    double fc = f1_of("cva"), fi = f1_of("irmad");
    if (fc < 0.65 || fi < 0.65)
        fail_msg("F1 on the synthetic pair: cva %.3f, irmad %.3f (floor 0.65)", fc, fi);
    /* Every output exists and no temporary is left. */
    const char *names[] = {"score.tif", "mask.tif", "changes.geojson", "changes.gpkg", "quicklook.png", "summary.json"};
    for (size_t i = 0; i < 6; i++)
        assert_int_equal(access(out_path("cva", names[i]), R_OK), 0);
    char d[400];
    snprintf(d, sizeof d, "%s/cva", dir);
    DIR *dd = opendir(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(dd)))
        if (de->d_name[0] != '.' || strncmp(de->d_name, ".sw-tmp", 7) == 0)
            n++;
    closedir(dd);
    assert_int_equal(n, 6);
}

static void test_same_image_no_change(void **state)
{
    (void)state;
    const char *methods[] = {"cva", "irmad", "texture"};
    for (int m = 0; m < 3; m++) {
        sw_detect_result r = detect(path_before, path_before, "same", methods[m], 0, 0);
        assert_int_equal(r.changed_pixels, 0);
        assert_int_equal(r.objects, 0);
    }
}

static void test_swap_keeps_cva_magnitude(void **state)
{
    (void)state;
    /* Without co-registration, which resamples whichever date is AFTER. */
    coreg_mode = 0;
    detect(path_before, path_after, "fwd", "cva", 0, 0);
    detect(path_after, path_before, "rev", "cva", 0, 0);
    coreg_mode = -1;
    int w, h;
    float *a = read_all(out_path("fwd", "score.tif"), GDT_Float32, &w, &h);
    float *b = read_all(out_path("rev", "score.tif"), GDT_Float32, &w, &h);
    for (int i = 0; i < w * h; i++)
        assert_true(fabsf(a[i] - b[i]) < 1e-4f * (1.0f + a[i]));
    free(a);
    free(b);
}

static void test_warped_after(void **state)
{
    (void)state;
    /* AFTER in geographic coordinates at another pixel size: it is warped
     * onto BEFORE's grid and the buildings are still found. */
    char warped[400];
    snprintf(warped, sizeof warped, "%s/after_4326.tif", dir);
    GDALDatasetH src = GDALOpen(path_after, GA_ReadOnly);
    char *argv[] = {"-t_srs", "EPSG:4326", "-r", "bilinear", "-of", "GTiff", NULL};
    GDALWarpAppOptions *wo = GDALWarpAppOptionsNew(argv, NULL);
    GDALDatasetH out = GDALWarp(warped, NULL, 1, &src, wo, NULL);
    assert_non_null(out);
    GDALClose(out);
    GDALWarpAppOptionsFree(wo);
    GDALClose(src);
    sw_detect_result r = detect(path_before, warped, "warped", "cva", 0, 0);
    assert_int_equal(r.width, 480);
    assert_true(r.valid_pixels > 0.9 * 480 * 400);
    double f = f1_of("warped");
    /* The synthetic AFTER is shifted by (0.3, -0.2) pixels: co-registration
     * must find (-0.3, +0.2) within 0.1, through the warp. */
    char *sum = NULL;
    {
        FILE *fs = fopen(out_path("warped", "summary.json"), "r");
        assert_non_null(fs);
        sum = calloc(1, 1 << 20);
        size_t got = fread(sum, 1, (1 << 20) - 1, fs);
        (void)got;
        fclose(fs);
    }
    double dx = 99, dy = 99;
    char *p = strstr(sum, "\"coregistration\":{\"dx\":");
    assert_non_null(p);
    assert_int_equal(sscanf(p, "\"coregistration\":{\"dx\":%lf,\"dy\":%lf", &dx, &dy), 2);
    free(sum);
    if (fabs(dx + 0.3) > 0.1 || fabs(dy - 0.2) > 0.1)
        fail_msg("co-registration found (%g, %g), want (-0.3, 0.2)", dx, dy);
    if (f < 0.5)
        fail_msg("F1 after warping: %.3f (floor 0.5)", f);
}

/* dst = gain_b * src + offset_b, band b from 1: gain_b = g + gs * b,
 * offset_b = os * b. */
static void write_linear(const char *from, const char *path, double g, double gs, double os)
{
    GDALDatasetH src = GDALOpen(from, GA_ReadOnly);
    GDALDatasetH d = GDALCreateCopy(GDALGetDriverByName("GTiff"), path, src, FALSE, NULL, NULL, NULL);
    uint16_t *v = malloc(sizeof(uint16_t) * 480 * 400);
    for (int b = 1; b <= GDALGetRasterCount(d); b++) {
        assert_int_equal(GDALRasterIO(GDALGetRasterBand(src, b), GF_Read, 0, 0, 480, 400, v, 480, 400, GDT_UInt16, 0, 0), CE_None);
        for (int i = 0; i < 480 * 400; i++)
            v[i] = (uint16_t)fmin(65535.0, v[i] * (g + gs * b) + os * b + 0.5);
        assert_int_equal(GDALRasterIO(GDALGetRasterBand(d, b), GF_Write, 0, 0, 480, 400, v, 480, 400, GDT_UInt16, 0, 0), CE_None);
    }
    GDALClose(d);
    GDALClose(src);
    free(v);
}

static void test_gain_offset_is_no_change(void **state)
{
    (void)state;
    /* AFTER = gain * BEFORE + offset, per band: no change. */
    char lin[400];
    snprintf(lin, sizeof lin, "%s/linear.tif", dir);
    write_linear(path_before, lin, 1.1, 0.1, 30.0);
    sw_detect_result r = detect(path_before, lin, "lin-cva", "cva", 0, 0);
    assert_int_equal(r.changed_pixels, 0);
    r = detect(path_before, lin, "lin-diff", "diff", 0, 0);
    assert_int_equal(r.changed_pixels, 0);
    /* Without the normalization the plain difference calls it change. */
    normalize_mode = 0;
    r = detect(path_before, lin, "lin-raw", "diff", 0, 0);
    normalize_mode = 1;
    assert_true(r.changed_pixels > 480 * 400 / 10);
}

static void test_logratio_gain_is_no_change(void **state)
{
    (void)state;
    /* A gain between the dates (a SAR calibration, an optical exposure)
     * shifts every log-ratio by the same amount: no change. */
    char gain[400];
    snprintf(gain, sizeof gain, "%s/gain.tif", dir);
    write_linear(path_before, gain, 1.25, 0.05, 0.0);
    sw_detect_result r = detect(path_before, gain, "gain-lr", "logratio", 0, 0);
    assert_int_equal(r.changed_pixels, 0);
    normalize_mode = 0;
    r = detect(path_before, gain, "gain-lr-raw", "logratio", 0, 0);
    normalize_mode = 1;
    assert_true(r.changed_pixels > 480 * 400 / 2);
    /* The real change survives the gain: the buildings are found as well
     * as without it. */
    char gained_after[400];
    snprintf(gained_after, sizeof gained_after, "%s/gain-after.tif", dir);
    write_linear(path_after, gained_after, 1.25, 0.05, 0.0);
    detect(path_before, path_after, "lr-plain", "logratio", 0, 0);
    detect(path_before, gained_after, "lr-gained", "logratio", 0, 0);
    double f_plain = f1_of("lr-plain"), f_gained = f1_of("lr-gained");
    assert_true(f_plain > 0.5);
    assert_true(fabs(f_gained - f_plain) < 0.05);
}

/* A uniform number in (0, 1) from a fixed LCG: the same pixels on every run. */
static double uniform(uint32_t *st)
{
    *st = *st * 1664525u + 1013904223u;
    return ((*st >> 8) + 0.5) / 16777216.0;
}

/* A speckled amplitude image of 600 x 600: a smooth scene times 4-look
 * gamma speckle of its own seed; a square (x0, y0, side) three times as
 * bright where side > 0. */
static void write_speckled(const char *path, uint32_t seed, int x0, int y0, int side)
{
    enum { N = 600 };
    float *v = malloc(sizeof(float) * N * N);
    uint32_t st = seed;
    for (int y = 0; y < N; y++)
        for (int x = 0; x < N; x++) {
            double g = 0.0; /* the sum of 4 unit exponentials, mean 1 */
            for (int k = 0; k < 4; k++)
                g -= log(uniform(&st));
            double scene = 100.0 + 60.0 * sin(x / 40.0) * cos(y / 55.0);
            if (side > 0 && x >= x0 && x < x0 + side && y >= y0 && y < y0 + side)
                scene *= 3.0;
            v[y * N + x] = (float)(scene * g / 4.0);
        }
    GDALDatasetH d = GDALCreate(GDALGetDriverByName("GTiff"), path, N, N, 1, GDT_Float32, NULL);
    assert_non_null(d);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(d, 1), GF_Write, 0, 0, N, N, v, N, N, GDT_Float32, 0, 0), CE_None);
    GDALClose(d);
    free(v);
}

static void test_logratio_speckle_is_no_change(void **state)
{
    (void)state;
    /* Two looks at the same ground, each with its own speckle: Otsu alone
     * splits the speckle in two; the floor of 2.5 no-change spreads keeps
     * all but a few specks out. A real change (a square three times as
     * bright) still comes through whole. */
    char a[400], b[400], c[400];
    snprintf(a, sizeof a, "%s/speckle-a.tif", dir);
    snprintf(b, sizeof b, "%s/speckle-b.tif", dir);
    snprintf(c, sizeof c, "%s/speckle-c.tif", dir);
    write_speckled(a, 1, 0, 0, 0);
    write_speckled(b, 2, 0, 0, 0);
    write_speckled(c, 3, 200, 300, 80);
    coreg_mode = 0;
    sw_detect_result r = detect(a, b, "speckle-none", "logratio", 0, 0);
    assert_true(r.changed_pixels < 600 * 600 / 1000);
    r = detect(a, c, "speckle-square", "logratio", 0, 0);
    coreg_mode = -1;
    assert_true(r.changed_pixels > 80 * 80 * 9 / 10);
    assert_true(r.changed_pixels < 80 * 80 * 11 / 10 + 600 * 600 / 1000);
}

/* path = from + Gaussian noise of standard deviation sigma (its own seed). */
static void write_noisy(const char *from, const char *path, double sigma, uint32_t seed)
{
    GDALDatasetH src = GDALOpen(from, GA_ReadOnly);
    GDALDatasetH d = GDALCreateCopy(GDALGetDriverByName("GTiff"), path, src, FALSE, NULL, NULL, NULL);
    float *v = malloc(sizeof(float) * 480 * 400);
    uint32_t st = seed;
    for (int b = 1; b <= GDALGetRasterCount(d); b++) {
        assert_int_equal(GDALRasterIO(GDALGetRasterBand(src, b), GF_Read, 0, 0, 480, 400, v, 480, 400, GDT_Float32, 0, 0), CE_None);
        for (int i = 0; i < 480 * 400; i++) {
            double u0 = uniform(&st), u1 = uniform(&st);
            v[i] = (float)fmax(0.0, v[i] + sigma * sqrt(-2.0 * log(u0)) * cos(6.283185307179586 * u1));
        }
        assert_int_equal(GDALRasterIO(GDALGetRasterBand(d, b), GF_Write, 0, 0, 480, 400, v, 480, 400, GDT_Float32, 0, 0), CE_None);
    }
    GDALClose(d);
    GDALClose(src);
    free(v);
}

static void test_noise_alone_is_no_change(void **state)
{
    (void)state;
    /* Two looks at the same ground, each with its own sensor noise: a
     * threshold rule alone splits the noise in two (a sixth to a third of
     * the pixels flagged); the floors of CVA, IR-MAD and the plain
     * difference (what unchanged ground exceeds with probability 0.1) keep
     * all but a few specks out. */
    char a[400], b[400];
    snprintf(a, sizeof a, "%s/look-a.tif", dir);
    snprintf(b, sizeof b, "%s/look-b.tif", dir);
    write_noisy(path_before, a, 40.0, 11);
    write_noisy(path_before, b, 40.0, 12);
    coreg_mode = 0;
    sw_detect_result r = detect(a, b, "look-cva", "cva", 0, 0);
    assert_true(r.changed_pixels < 480 * 400 / 200);
    r = detect(a, b, "look-irmad", "irmad", 0, 0);
    assert_true(r.changed_pixels < 480 * 400 / 200);
    r = detect(a, b, "look-diff", "diff", 0, 0);
    assert_true(r.changed_pixels < 480 * 400 / 200);
    /* and the buildings of a real change still come through */
    write_noisy(path_after, b, 40.0, 13);
    detect(a, b, "look-change", "cva", 0, 0);
    coreg_mode = -1;
    assert_true(f1_of("look-change") > 0.5);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char *buf = calloc(1, 1 << 20);
    size_t got = fread(buf, 1, (1 << 20) - 1, f);
    (void)got;
    fclose(f);
    return buf;
}

/* auto's rule (src/methods/auto.c): a georeferenced 4-band (B, G, R, NIR)
 * pair at 0.5 m goes to the shipped 0.5 m model, fed the scene's red, green
 * and blue; two of its bands (no model takes them) go to CVA. */
static void test_auto_rule(void **state)
{
    (void)state;
    detect(path_before, path_after, "auto", "auto", 0, 0);
    char *buf = read_text(out_path("auto", "summary.json"));
    assert_non_null(strstr(buf, "\"method\":\"learned\",\"method_requested\":\"auto\""));
    assert_non_null(strstr(buf, "buildings.swm\""));
    assert_non_null(strstr(buf, "\"bands_used\":[3,2,1]"));
    assert_non_null(strstr(buf, "\"input_gsd_assumed\":false"));
    free(buf);
    sw_detect_opts o;
    sw_detect_opts_init(&o);
    o.bands = "1,4";
    char outdir[400];
    snprintf(outdir, sizeof outdir, "%s/auto2", dir);
    sw_ctx *c = sw_ctx_new();
    sw_detect_result r;
    assert_int_equal(sw_detect_run(c, path_before, path_after, outdir, &o, &r), 0);
    assert_null(sw_ctx_warning(c)); /* georeferenced: nothing assumed */
    sw_ctx_free(c);
    buf = read_text(out_path("auto2", "summary.json"));
    assert_non_null(strstr(buf, "\"method\":\"cva\",\"method_requested\":\"auto\""));
    free(buf);
}

static void test_all_nodata_fails_cleanly(void **state)
{
    (void)state;
    char nod[400];
    snprintf(nod, sizeof nod, "%s/nodata.tif", dir);
    GDALDatasetH src = GDALOpen(path_after, GA_ReadOnly);
    GDALDatasetH d = GDALCreateCopy(GDALGetDriverByName("GTiff"), nod, src, FALSE, NULL, NULL, NULL);
    GDALClose(src);
    uint16_t *zero = calloc(480 * 400, sizeof *zero);
    for (int b = 1; b <= GDALGetRasterCount(d); b++) {
        GDALSetRasterNoDataValue(GDALGetRasterBand(d, b), 0);
        assert_int_equal(GDALRasterIO(GDALGetRasterBand(d, b), GF_Write, 0, 0, 480, 400, zero, 480, 400, GDT_UInt16, 0, 0), CE_None);
    }
    GDALClose(d);
    free(zero);
    sw_detect_opts o;
    sw_detect_opts_init(&o);
    char outdir[400];
    snprintf(outdir, sizeof outdir, "%s/nod", dir);
    sw_ctx *c = sw_ctx_new();
    assert_int_equal(sw_detect_run(c, path_before, nod, outdir, &o, NULL), SW_ENODATA);
    assert_non_null(strstr(sw_ctx_errmsg(c), "no pixel is valid"));
    sw_ctx_free(c);
    DIR *dd = opendir(outdir);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(dd)))
        n += strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0;
    closedir(dd);
    assert_int_equal(n, 0);
}

/* One-band float pair, 120 x 100 px without georeferencing: BEFORE is
 * 50 below the ground in four square objects, AFTER 50 above; each object
 * lies around an unchanged hole:
 * A's 6x6 hole, B's 30x30 one, D's open to the scene's right edge, and E's
 * nodata in AFTER. */
static void write_holes_pair(const char *before, const char *after)
{
    enum { W = 120, H = 100 };
    float *a = malloc(sizeof(float) * W * H), *b = malloc(sizeof(float) * W * H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            float v = 100.0f + (float)((x * 7 + y * 13) % 5);
            int in_a = x >= 10 && x < 40 && y >= 10 && y < 40 && !(x >= 20 && x < 26 && y >= 20 && y < 26);
            int in_b = x >= 60 && x < 100 && y >= 5 && y < 50 && !(x >= 65 && x < 95 && y >= 12 && y < 42);
            int in_d = x >= 100 && y >= 60 && y < 100 && !(x >= 110 && y >= 70 && y < 80);
            int in_e = x >= 50 && x < 80 && y >= 60 && y < 90;
            int hole_e = x >= 60 && x < 66 && y >= 70 && y < 76;
            int in = in_a || in_b || in_d || in_e;
            a[y * W + x] = in ? v - 50.0f : v; /* both dates alike in mean and spread */
            b[y * W + x] = hole_e ? 0.0f : in ? v + 50.0f : v;
        }
    const char *paths[2] = {before, after};
    float *data[2] = {a, b};
    for (int k = 0; k < 2; k++) {
        GDALDatasetH d = GDALCreate(GDALGetDriverByName("GTiff"), paths[k], W, H, 1, GDT_Float32, NULL);
        assert_non_null(d);
        GDALSetRasterNoDataValue(GDALGetRasterBand(d, 1), 0.0);
        assert_int_equal(GDALRasterIO(GDALGetRasterBand(d, 1), GF_Write, 0, 0, W, H, data[k], W, H, GDT_Float32, 0, 0), CE_None);
        GDALClose(d);
    }
    free(a);
    free(b);
}

static void test_fill_holes(void **state)
{
    (void)state;
    char before[400], after[400];
    snprintf(before, sizeof before, "%s/holes_a.tif", dir);
    snprintf(after, sizeof after, "%s/holes_b.tif", dir);
    write_holes_pair(before, after);
    coreg_mode = 0;
    fill_holes = 0.0;
    sw_detect_result plain = detect(before, after, "holes0", "cva", 2, 0);
    fill_holes = 100.0; /* px: A's 36-px hole, not B's 900 */
    sw_detect_result filled = detect(before, after, "holes1", "cva", 2, 0);
    sw_detect_result strips = detect(before, after, "holes2", "cva", 1, 7);
    fill_holes = 0.0;
    coreg_mode = -1;
    assert_int_equal(plain.objects, 4);
    assert_int_equal(filled.objects, 4);
    assert_int_equal(filled.changed_pixels, plain.changed_pixels + 36);
    assert_int_equal(strips.changed_pixels, filled.changed_pixels);
    int w, h;
    float *m0 = read_all(out_path("holes0", "mask.tif"), GDT_Byte, &w, &h);
    float *m1 = read_all(out_path("holes1", "mask.tif"), GDT_Byte, &w, &h);
    float *m2 = read_all(out_path("holes2", "mask.tif"), GDT_Byte, &w, &h);
    assert_int_equal(m0[22 * w + 22], 0);
    assert_int_equal(m1[22 * w + 22], 1);    /* A's hole: filled */
    assert_int_equal(m1[20 * w + 80], 0);    /* B's hole: too big */
    assert_int_equal(m1[75 * w + 115], 0);   /* D's: open to the edge */
    assert_int_equal(m1[72 * w + 62], 255);  /* E's: nodata stays nodata */
    for (int i = 0; i < w * h; i++)
        if (m1[i] != m2[i])
            fail_msg("strips change the filled mask at %d", i);
    free(m0);
    free(m1);
    free(m2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_and_strips_do_not_matter),
        cmocka_unit_test(test_cleanup_does_not_depend_on_strips),
        cmocka_unit_test(test_synthetic_buildings_found),
        cmocka_unit_test(test_same_image_no_change),
        cmocka_unit_test(test_swap_keeps_cva_magnitude),
        cmocka_unit_test(test_warped_after),
        cmocka_unit_test(test_gain_offset_is_no_change),
        cmocka_unit_test(test_logratio_gain_is_no_change),
        cmocka_unit_test(test_logratio_speckle_is_no_change),
        cmocka_unit_test(test_noise_alone_is_no_change),
        cmocka_unit_test(test_auto_rule),
        cmocka_unit_test(test_all_nodata_fails_cleanly),
        cmocka_unit_test(test_fill_holes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
