/*
 * test_engine.c: the in-memory engine (sitewatch/pair.h, sw_detect_window)
 * and the method registry: a window of the whole pair gives what the file
 * job gives, pixel for pixel; a window gives what a crop of the pair gives;
 * texture, the structure method, ignores a smooth brightness change that
 * CVA calls change, and finds the synthetic buildings.
 */
#include <dirent.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gdal.h>
#include <gdal_utils.h>
#include <ogr_api.h>

#include "sitewatch/sitewatch.h"

static char dir[256], before[400], after[400], truth[400];
enum { W = 480, H = 400 };

static int setup(void **state)
{
    (void)state;
    GDALAllRegister();
    snprintf(dir, sizeof dir, "/tmp/sw-test-engine-XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    char syn[300];
    snprintf(syn, sizeof syn, "%s/syn", dir);
    snprintf(before, sizeof before, "%s/before.tif", syn);
    snprintf(after, sizeof after, "%s/after.tif", syn);
    snprintf(truth, sizeof truth, "%s/truth.tif", syn);
    sw_synth_opts o;
    sw_synth_opts_init(&o);
    o.width = W;
    o.height = H;
    o.seed = 3;
    sw_ctx *c = sw_ctx_new();
    int rc = sw_synth_pair(c, syn, &o, NULL, NULL, NULL);
    sw_ctx_free(c);
    return rc;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* A whole raster band as floats (w x h). */
static float *read_band(const char *path, int *w, int *h)
{
    GDALDatasetH ds = GDALOpen(path, GA_ReadOnly);
    assert_non_null(ds);
    *w = GDALGetRasterXSize(ds);
    *h = GDALGetRasterYSize(ds);
    float *v = malloc(sizeof(float) * (size_t)*w * (size_t)*h);
    assert_int_equal(GDALRasterIO(GDALGetRasterBand(ds, 1), GF_Read, 0, 0, *w, *h, v, *w, *h, GDT_Float32, 0, 0),
                     CE_None);
    GDALClose(ds);
    return v;
}

static sw_objects *detect_window(const char *a, const char *b, const sw_window *win, const char *method,
                                 int coregister, float *score, uint8_t *mask)
{
    sw_ctx *c = sw_ctx_new();
    sw_pair_opts po;
    sw_pair_opts_init(&po);
    po.coregister = coregister;
    sw_pair *pair = NULL;
    int rc = sw_pair_open(c, a, b, &po, &pair);
    if (rc)
        fail_msg("pair: %s", sw_ctx_errmsg(c));
    sw_detect_opts o;
    sw_detect_opts_init(&o);
    o.method = method;
    o.score_out = score;
    o.mask_out = mask;
    sw_objects *objs = NULL;
    rc = sw_detect_window(c, pair, win, &o, &objs);
    if (rc)
        fail_msg("detect: %s", sw_ctx_errmsg(c));
    sw_pair_close(pair);
    sw_ctx_free(c);
    return objs;
}

static sw_detect_result detect_run(const char *a, const char *b, const char *sub, const char *method,
                                   int coregister, sw_threshold_kind threshold)
{
    sw_ctx *c = sw_ctx_new();
    sw_detect_opts o;
    sw_detect_opts_init(&o);
    o.method = method;
    o.coregister = coregister;
    o.threshold = threshold;
    o.no_quicklook = 1;
    char out[400];
    snprintf(out, sizeof out, "%s/%s", dir, sub);
    sw_detect_result r;
    if (sw_detect_run(c, a, b, out, &o, &r))
        fail_msg("detect: %s", sw_ctx_errmsg(c));
    sw_ctx_free(c);
    return r;
}

/* The features of a GeoPackage layer: count and summed area_m2; each one's
 * centroid_x, centroid_y must be objs' centroid in the CRS. */
static int64_t gpkg_objects(const char *path, double *area, const sw_objects *objs)
{
    GDALDatasetH ds = GDALOpenEx(path, GDAL_OF_VECTOR, NULL, NULL, NULL);
    assert_non_null(ds);
    OGRLayerH l = GDALDatasetGetLayer(ds, 0);
    int64_t n = 0;
    *area = 0;
    OGRFeatureH f;
    while ((f = OGR_L_GetNextFeature(l))) {
        *area += OGR_F_GetFieldAsDouble(f, OGR_F_GetFieldIndex(f, "area_m2"));
        const sw_object *o = sw_objects_get(objs, n);
        assert_non_null(o);
        assert_true(fabs(OGR_F_GetFieldAsDouble(f, OGR_F_GetFieldIndex(f, "centroid_x")) - o->x) < 1e-6);
        assert_true(fabs(OGR_F_GetFieldAsDouble(f, OGR_F_GetFieldIndex(f, "centroid_y")) - o->y) < 1e-6);
        n++;
        OGR_F_Destroy(f);
    }
    GDALClose(ds);
    return n;
}

static void test_whole_window_equals_file_job(void **state)
{
    (void)state;
    const char *methods[] = {"irmad", "logratio", "pcakm"};
    for (int m = 0; m < 3; m++) {
        float *score = malloc(sizeof(float) * W * H);
        uint8_t *mask = malloc(W * H);
        sw_objects *objs = detect_window(before, after, NULL, methods[m], -1, score, mask);
        sw_detect_result r = detect_run(before, after, methods[m], methods[m], -1, SW_THRESHOLD_DEFAULT);
        const sw_detect_result *wr = sw_objects_result(objs);
        assert_int_equal(sw_objects_count(objs), r.objects);
        assert_true(r.objects > 3);
        assert_true(wr->threshold == r.threshold);
        assert_int_equal(wr->changed_pixels, r.changed_pixels);
        assert_true(wr->shift_applied == r.shift_applied && wr->shift_dx == r.shift_dx);
        char p[400];
        snprintf(p, sizeof p, "%s/%s/changes.gpkg", dir, methods[m]);
        double area = 0, sum = 0;
        assert_int_equal(gpkg_objects(p, &area, objs), r.objects);
        for (int64_t i = 0; i < sw_objects_count(objs); i++) {
            const sw_object *o = sw_objects_get(objs, i);
            sum += o->area_m2;
            assert_int_equal(o->id, i + 1);
            assert_true(strncmp(o->wkt, "MULTIPOLYGON", 12) == 0);
            assert_true(isfinite(o->lon) && isfinite(o->lat));
            /* the centroid in the CRS is the pixel centroid through the grid */
            assert_true(fabs(o->x - (374000.0 + o->col * 0.5)) < 1e-6);
            assert_true(fabs(o->y - (4421000.0 - o->row * 0.5)) < 1e-6);
        }
        assert_true(fabs(sum - area) < 1e-6 * area);
        assert_null(sw_objects_get(objs, sw_objects_count(objs)));
        /* the window's rasters are the files' pixels */
        int w, h;
        snprintf(p, sizeof p, "%s/%s/score.tif", dir, methods[m]);
        float *fs = read_band(p, &w, &h);
        snprintf(p, sizeof p, "%s/%s/mask.tif", dir, methods[m]);
        float *fm = read_band(p, &w, &h);
        int64_t diff = 0;
        for (int i = 0; i < W * H; i++)
            diff += !(fs[i] == score[i] || (isnan(fs[i]) && isnan(score[i]))) || fm[i] != mask[i];
        assert_int_equal(diff, 0);
        free(fs);
        free(fm);
        free(score);
        free(mask);
        sw_objects_free(objs);
    }
}

static void test_window_equals_crop(void **state)
{
    (void)state;
    const sw_window win = {120, 90, 256, 224};
    /* the crop keeps the file's block layout, so the sample is the same */
    char ca[400], cb[400];
    snprintf(ca, sizeof ca, "%s/crop_before.tif", dir);
    snprintf(cb, sizeof cb, "%s/crop_after.tif", dir);
    const char *src[2] = {before, after}, *dst[2] = {ca, cb};
    for (int d = 0; d < 2; d++) {
        GDALDatasetH s = GDALOpen(src[d], GA_ReadOnly);
        int bw, bh;
        GDALGetBlockSize(GDALGetRasterBand(s, 1), &bw, &bh);
        char sx[16], sy[16], bx[32], by[32];
        snprintf(sx, sizeof sx, "%lld", (long long)win.x);
        snprintf(sy, sizeof sy, "%lld", (long long)win.y);
        snprintf(bx, sizeof bx, "BLOCKXSIZE=%d", bw < (int)win.width ? bw : 256);
        snprintf(by, sizeof by, "BLOCKYSIZE=%d", bh);
        char *argv[] = {"-srcwin", sx, sy, "256", "224", "-co", bw < W ? "TILED=YES" : "TILED=NO",
                        "-co", bx, "-co", by, NULL};
        GDALTranslateOptions *to = GDALTranslateOptionsNew(argv, NULL);
        GDALDatasetH o = GDALTranslate(dst[d], s, to, NULL);
        assert_non_null(o);
        GDALClose(o);
        GDALTranslateOptionsFree(to);
        GDALClose(s);
    }
    sw_objects *objs = detect_window(before, after, &win, "cva", 0, NULL, NULL);
    sw_objects *crop = detect_window(ca, cb, NULL, "cva", 0, NULL, NULL);
    assert_true(sw_objects_count(objs) > 0);
    assert_int_equal(sw_objects_count(objs), sw_objects_count(crop));
    assert_true(sw_objects_result(objs)->threshold == sw_objects_result(crop)->threshold);
    for (int64_t i = 0; i < sw_objects_count(objs); i++) {
        const sw_object *a = sw_objects_get(objs, i), *b = sw_objects_get(crop, i);
        assert_int_equal(a->pixels, b->pixels);
        assert_true(a->score_mean == b->score_mean);
        assert_true(a->col == b->col && a->row == b->row);
        /* both in the pair's CRS: the window's outline where the crop's is */
        assert_string_equal(a->wkt, b->wkt);
        assert_true(a->col >= 0 && a->col <= win.width && a->row >= 0 && a->row <= win.height);
    }
    sw_objects_free(objs);
    sw_objects_free(crop);
}

static void test_bad_calls(void **state)
{
    (void)state;
    sw_ctx *c = sw_ctx_new();
    sw_pair *pair = NULL;
    assert_int_equal(sw_pair_open(c, before, after, NULL, &pair), 0);
    assert_int_equal(sw_pair_width(pair), W);
    assert_int_equal(sw_pair_height(pair), H);
    assert_int_equal(sw_pair_bands(pair), 4);
    assert_true(sw_pair_georeferenced(pair));
    double dx, dy;
    assert_int_equal(sw_pair_shift(pair, &dx, &dy), 1);
    /* the synthetic AFTER is shifted by (0.3, -0.2): found as (-0.3, 0.2) */
    assert_true(fabs(dx + 0.3) < 0.1 && fabs(dy - 0.2) < 0.1);
    sw_objects *objs = (sw_objects *)1;
    const sw_window outside = {400, 300, 100, 200};
    assert_int_equal(sw_detect_window(c, pair, &outside, NULL, &objs), SW_EARG);
    assert_null(objs);
    assert_non_null(strstr(sw_ctx_errmsg(c), "not inside"));
    sw_detect_opts o;
    sw_detect_opts_init(&o);
    o.method = "magic";
    assert_int_equal(sw_detect_window(c, pair, NULL, &o, &objs), SW_EARG);
    assert_non_null(strstr(sw_ctx_errmsg(c), "texture"));
    /* an options struct from an older header: only its fields are read */
    sw_detect_opts old;
    sw_detect_opts_init(&old);
    old.method = "cva";
    old.size = offsetof(sw_detect_opts, score_out);
    old.score_out = (float *)8; /* beyond its size: must not be touched */
    assert_int_equal(sw_detect_window(c, pair, NULL, &old, &objs), 0);
    sw_objects_free(objs);
    sw_pair_close(pair);
    sw_pair_close(NULL);
    sw_objects_free(NULL);
    assert_int_equal(sw_pair_open(c, before, "/nonexistent.tif", NULL, &pair), SW_EIO);
    assert_null(pair);
    sw_ctx_free(c);
}

static void test_registry(void **state)
{
    (void)state;
    const char *want[] = {"cva", "irmad", "diff", "logratio", "pcakm", "learned", "texture"};
    int n = 0;
    const char *help;
    for (; sw_method_help(n, &help); n++) {
        assert_string_equal(sw_method_help(n, NULL), want[n]);
        assert_true(strlen(help) > 10);
    }
    assert_int_equal(n, 7);
    assert_true(sw_method_exists("auto") && sw_method_exists("texture") && !sw_method_exists("magic"));
}

/* AFTER as BEFORE under a brightness ramp: gain 1 to 1.6 across the
 * scene, plus an offset. */
static void write_ramped(const char *path)
{
    GDALDatasetH s = GDALOpen(before, GA_ReadOnly);
    GDALDatasetH d = GDALCreateCopy(GDALGetDriverByName("GTiff"), path, s, 0, NULL, NULL, NULL);
    float *row = malloc(sizeof(float) * W);
    for (int b = 1; b <= 4; b++)
        for (int y = 0; y < H; y++) {
            assert_int_equal(GDALRasterIO(GDALGetRasterBand(s, b), GF_Read, 0, y, W, 1, row, W, 1, GDT_Float32, 0, 0),
                             CE_None);
            for (int x = 0; x < W; x++)
                row[x] = row[x] * (1.0f + 0.6f * (float)x / W) + 150.0f;
            assert_int_equal(GDALRasterIO(GDALGetRasterBand(d, b), GF_Write, 0, y, W, 1, row, W, 1, GDT_Float32, 0, 0),
                             CE_None);
        }
    free(row);
    GDALClose(d);
    GDALClose(s);
}

static double f1(const sw_objects *objs, const uint8_t *mask)
{
    (void)objs;
    int w, h;
    float *t = read_band(truth, &w, &h);
    int64_t tp = 0, fp = 0, fn = 0;
    for (int i = 0; i < W * H; i++) {
        int p = mask[i] == 1, g = t[i] >= 1 && t[i] < 255;
        tp += p && g;
        fp += p && !g;
        fn += !p && g;
    }
    free(t);
    return 2.0 * tp / (2.0 * tp + fp + fn);
}

static void test_texture_ignores_brightness(void **state)
{
    (void)state;
    char ramp[400];
    snprintf(ramp, sizeof ramp, "%s/ramp.tif", dir);
    write_ramped(ramp);
    uint8_t *mask = malloc(W * H);
    sw_objects *t = detect_window(before, ramp, NULL, "texture", 0, NULL, mask);
    sw_objects *c = detect_window(before, ramp, NULL, "cva", 0, NULL, NULL);
    int64_t tex = sw_objects_result(t)->changed_pixels, cva = sw_objects_result(c)->changed_pixels;
    print_message("brightness ramp: texture %lld px, cva %lld px changed\n", (long long)tex, (long long)cva);
    assert_true(tex < W * H / 1000);
    assert_true(cva > W * H / 20);
    sw_objects_free(t);
    sw_objects_free(c);
    /* and on real change it finds the buildings' edges (their flat roofs on
     * flat ground are no change of structure: 0.41 measured, CVA 0.83) */
    t = detect_window(before, after, NULL, "texture", -1, NULL, mask);
    double f = f1(t, mask);
    print_message("texture F1 on the synthetic buildings: %.3f\n", f);
    assert_true(f > 0.3);
    sw_objects_free(t);
    free(mask);
}

/* The file job's temporaries follow nothing planted in its output folder
 * under the names it used to pick (.sw-tmp-PID-score.tif, ...), and leave
 * nothing behind. */
static void test_file_job_follows_no_symlink(void **state)
{
    (void)state;
    char out[400], victim[400], planted[500];
    snprintf(out, sizeof out, "%s/planted", dir);
    snprintf(victim, sizeof victim, "%s/victim.txt", dir);
    FILE *f = fopen(victim, "w");
    fputs("mine\n", f);
    fclose(f);
    assert_int_equal(mkdir(out, 0755), 0);
    const char *names[] = {"score.tif", "mask.tif", "raw-mask.tif", "ids.tif", "changes.gpkg", "summary.json"};
    for (int i = 0; i < 6; i++) {
        snprintf(planted, sizeof planted, "%s/.sw-tmp-%ld-%s", out, (long)getpid(), names[i]);
        assert_int_equal(symlink(victim, planted), 0);
    }
    sw_detect_result r = detect_run(before, after, "planted", "cva", 0, SW_THRESHOLD_DEFAULT);
    assert_true(r.objects > 0);
    char buf[32] = {0};
    f = fopen(victim, "r");
    assert_non_null(fgets(buf, sizeof buf, f));
    fclose(f);
    assert_string_equal(buf, "mine\n");
    /* besides the planted links, only the outputs: no temporary is left */
    DIR *d = opendir(out);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        char p[800];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", out, e->d_name);
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && lstat(p, &st) == 0 && !S_ISLNK(st.st_mode)) {
            n++;
        }
    }
    closedir(d);
    assert_int_equal(n, 5); /* score.tif mask.tif changes.geojson changes.gpkg summary.json */
}

/* GDAL's creation options reach score.tif and mask.tif. */
/* The default threshold is the one that goes with the method: auto on
 * multispectral imagery no model takes (a 4-band pair at 10 m) runs CVA
 * with Kittler-Illingworth's threshold, CVA asked for by name Otsu's; a
 * rule the caller names wins over both. */
static void test_default_threshold_follows_auto(void **state)
{
    (void)state;
    char syn[300], a[400], b[400];
    snprintf(syn, sizeof syn, "%s/s10", dir);
    snprintf(a, sizeof a, "%s/before.tif", syn);
    snprintf(b, sizeof b, "%s/after.tif", syn);
    sw_synth_opts so;
    sw_synth_opts_init(&so);
    so.width = so.height = 256;
    so.gsd = 10.0;
    so.seed = 3;
    sw_ctx *c = sw_ctx_new();
    assert_int_equal(sw_synth_pair(c, syn, &so, NULL, NULL, NULL), 0);
    const char *methods[] = {"auto", "auto", "auto", "cva"};
    const sw_threshold_kind kinds[] = {SW_THRESHOLD_DEFAULT, SW_THRESHOLD_KI, SW_THRESHOLD_OTSU, SW_THRESHOLD_DEFAULT};
    double t[4];
    for (int k = 0; k < 4; k++) {
        char sub[32];
        snprintf(sub, sizeof sub, "s10-out%d", k);
        t[k] = detect_run(a, b, sub, methods[k], -1, kinds[k]).threshold;
    }
    printf("auto: default %g, ki %g, otsu %g; cva by name: default %g\n", t[0], t[1], t[2], t[3]);
    assert_true(t[0] == t[1]);
    assert_true(t[1] != t[2]);
    assert_true(t[3] == t[2]);
    sw_ctx_free(c);
}

static void test_creation_options(void **state)
{
    (void)state;
    const char *co[] = {"COMPRESS=LZW", "PREDICTOR=1", NULL};
    sw_ctx *c = sw_ctx_new();
    sw_detect_opts o;
    sw_detect_opts_init(&o);
    o.method = "cva";
    o.no_quicklook = 1;
    o.creation_options = co;
    char out[400], p[450];
    snprintf(out, sizeof out, "%s/co", dir);
    assert_int_equal(sw_detect_run(c, before, after, out, &o, NULL), 0);
    const char *files[] = {"score.tif", "mask.tif"};
    for (int i = 0; i < 2; i++) {
        snprintf(p, sizeof p, "%s/%s", out, files[i]);
        GDALDatasetH ds = GDALOpen(p, GA_ReadOnly);
        assert_non_null(ds);
        const char *comp = GDALGetMetadataItem(ds, "COMPRESSION", "IMAGE_STRUCTURE");
        assert_non_null(comp);
        assert_string_equal(comp, "LZW");
        GDALClose(ds);
    }
    const char *bad[] = {"LZW", NULL};
    o.creation_options = bad;
    snprintf(out, sizeof out, "%s/co-bad", dir);
    assert_int_equal(sw_detect_run(c, before, after, out, &o, NULL), SW_EARG);
    sw_ctx_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_window_equals_file_job),
        cmocka_unit_test(test_window_equals_crop),
        cmocka_unit_test(test_bad_calls),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_texture_ignores_brightness),
        cmocka_unit_test(test_file_job_follows_no_symlink),
        cmocka_unit_test(test_creation_options),
        cmocka_unit_test(test_default_threshold_follows_auto),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
