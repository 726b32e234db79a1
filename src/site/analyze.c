/*
 * analyze.c: a site's change, re-derived from its scenes after an ingest.
 *
 *   screen   clouds and shadows of every chip against the median of its
 *            nearest scenes in time (src/io/cloudmask.c)
 *   compare  every usable scene against the first usable one, the
 *            baseline: the pair opened on the chips with their cloud masks
 *            and sw_detect_window run on it in memory; each comparison's
 *            objects are kept in the catalog under a key of what made them,
 *            so an ingest compares only the pairs it changed
 *   track    objects followed across the scenes (track.c), confirmed when
 *            seen in `confirm` consecutive usable scenes
 *   persist  one transaction (src/catalog/objects.c): objects keep their
 *            ids, one alert per newly confirmed object
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "track.h"

void sw_analyze_opts_init(sw_analyze_opts *o)
{
    memset(o, 0, sizeof *o);
    o->confirm = 2;
    o->min_area_m2 = -1;
    o->min_usable = -1;
}

/* Folders a killed run left (.sw-tmp-PID-*, once that process is gone) and
 * those an older sitewatch left: an analysis killed before it cleaned up
 * (.analysis-PID) and the comparisons kept as files (.pairs, now in the
 * catalog). */
static void remove_stale(sw_catalog *cat, const char *site)
{
    char *base = sw__store_site_path(NULL, cat, site, "");
    DIR *d = base ? opendir(base) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        int pairs = strcmp(e->d_name, ".pairs") == 0;
        if (!pairs && strncmp(e->d_name, ".analysis-", 10) != 0)
            continue;
        long pid = pairs ? 0 : atol(e->d_name + 10);
        if (!pairs && (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH))
            continue;
        char sub[1600];
        snprintf(sub, sizeof sub, "%s/%s", base, e->d_name);
        sw__tmpdir_remove(sub); /* the files in it, then it */
    }
    if (d)
        closedir(d);
    if (base)
        sw__tmpdir_clean(base);
    free(base);
}

/* One scene against the baseline, in memory: its objects go to the
 * tracker and are kept under key. */
static int compare(sw_ctx *ctx, sw_catalog *cat, const sw_site *site, const char *method, const char *key, const char *base,
                   const char *base_mask, const char *chip, const char *mask, int threads, sw__tracker *k, double *sx,
                   double *sy)
{
    sw_pair_opts po;
    sw_pair_opts_init(&po);
    po.mask_before = base_mask;
    po.mask_after = mask;
    po.mask_cloudy = 1;
    po.threads = threads > 0 ? threads : 0;
    sw_detect_opts d;
    sw_detect_opts_init(&d);
    /* Monitoring settings: few changes per scene, so the threshold is
     * Kittler-Illingworth's (Otsu splits the noise when nothing changed),
     * and an opening drops the one-pixel slivers resampling leaves along
     * edges. */
    d.method = method;
    d.threads = threads > 0 ? threads : 0;
    d.threshold = SW_THRESHOLD_KI;
    d.morph = SW_MORPH_OPEN;
    d.sliver_width = 3.0;
    d.min_area = k->min_area;
    d.sample_pixels = 250000; /* statistics of a site need no more */
    sw_pair *pair = NULL;
    sw_objects *objs = NULL;
    int rc = sw_pair_open(ctx, base, chip, &po, &pair);
    if (rc == 0)
        rc = sw_detect_window(ctx, pair, NULL, &d, &objs);
    sw_pair_close(pair);
    if (rc)
        return rc;
    const sw_detect_result *res = sw_objects_result(objs);
    *sx = res->shift_dx;
    *sy = res->shift_dy;
    int64_t n = sw_objects_count(objs);
    sw__pair_object *kept = calloc((size_t)n + 1, sizeof *kept);
    if (!kept)
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
    for (int64_t i = 0; rc == 0 && i < n; i++) {
        const sw_object *o = sw_objects_get(objs, i);
        kept[i] = (sw__pair_object){o->wkt, o->area_subpixel_m2, o->score_mean};
        sw__track_object(k, o->wkt, o->area_subpixel_m2, o->score_mean);
    }
    if (rc == 0 && k->failed)
        rc = sw__err(ctx, SW_ENOMEM, "out of memory following objects");
    if (rc == 0)
        rc = sw__store_pair_put(ctx, cat, site->id, key, kept, n);
    free(kept);
    sw_objects_free(objs);
    return rc;
}

/* The stored object each track continues: the one it overlaps most (at
 * least 0.3 of the smaller), each stored object taken once. */
static int match_old(void *user, const sw__site_object *old, int64_t nold, sw__track_row *tracks, int ntracks)
{
    (void)user;
    uint8_t *taken = calloc((size_t)nold + 1, 1);
    double(*box)[4] = malloc(((size_t)nold + 1) * sizeof *box);
    if (!taken || !box) {
        free(taken);
        free(box);
        return SW_ENOMEM;
    }
    for (int64_t o = 0; o < nold; o++)
        sw__wkt_envelope(old[o].wkt, box[o]);
    for (int t = 0; t < ntracks; t++) {
        double tb[4], bo = 0.3;
        int64_t best = -1;
        sw__wkt_envelope(tracks[t].wkt, tb);
        for (int64_t o = 0; o < nold; o++) {
            if (taken[o] || !sw__boxes_meet(box[o], tb))
                continue;
            double ov = sw__wkt_overlap(old[o].wkt, tracks[t].wkt);
            if (ov >= bo) {
                bo = ov;
                best = o;
            }
        }
        tracks[t].id = best >= 0 ? old[best].id : 0;
        if (best >= 0)
            taken[best] = 1;
    }
    free(taken);
    free(box);
    return 0;
}

static void alert_text(void *user, const sw__track_row *t, char *out, size_t n)
{
    (void)user;
    snprintf(out, n, "new object of %.0f m2, first seen %s, confirmed %s", t->area, t->first, t->confirmed);
}

/* The tracks as rows to persist: status and area (the median of the last
 * three sightings, so one noisy scene does not set it). */
static sw__track_row *track_rows(sw__tracker *k, const char *last_date)
{
    sw__track_row *rows = calloc((size_t)k->n + 1, sizeof *rows);
    for (int t = 0; rows && t < k->n; t++) {
        sw__track *tr = &k->t[t];
        if (tr->no > 0) {
            int m = tr->no < 3 ? tr->no : 3;
            double a[3];
            for (int i = 0; i < m; i++)
                a[i] = tr->o[tr->no - m + i].area;
            for (int i = 1; i < m; i++)
                for (int j = i; j > 0 && a[j] < a[j - 1]; j--) {
                    double x = a[j];
                    a[j] = a[j - 1];
                    a[j - 1] = x;
                }
            tr->area_last = m == 2 ? 0.5 * (a[0] + a[1]) : a[m / 2];
        }
        rows[t] = (sw__track_row){
            .status = strcmp(tr->last, last_date) != 0    ? "gone"
                      : strcmp(tr->first, last_date) == 0 ? "new"
                      : tr->area_last > 1.15 * tr->area_first ? "growing"
                                                             : "stable",
            .first = tr->first, .last = tr->last, .confirmed = tr->confirmed, .wkt = tr->wkt,
            .area = tr->area_last, .obs = tr->o, .nobs = tr->no};
    }
    return rows;
}

static int analyze_once(sw_ctx *ctx, sw_catalog *cat, const char *site_name, const sw_analyze_opts *opts,
                        void (*fn)(const sw_alert *a, void *user), void *user, int64_t *nobjects)
{
    int confirm = opts->confirm > 0 ? opts->confirm : 2;
    double min_usable = opts->min_usable >= 0 ? opts->min_usable : 0.5;
    sw_site site = {0};
    int rc = sw_site_get(ctx, cat, site_name, &site);
    if (rc)
        return rc;
    sw__scene_row *sc = NULL;
    int nall = 0, n = 0;
    char **chips = NULL, **masks = NULL, **udm = NULL, (*dates)[11] = NULL, (*used)[25] = NULL;
    double *cloud = NULL;
    int *use = NULL;
    sw__tracker k = {0};
    sw__track_row *rows = NULL;
    sw_alert *fresh = NULL;
    int nfresh = 0;
    if ((rc = sw__store_scenes(ctx, cat, site.id, &sc, &nall)) != 0)
        goto out;
    size_t m = (size_t)nall + 1;
    chips = calloc(m, sizeof *chips);
    masks = calloc(m, sizeof *masks);
    udm = calloc(m, sizeof *udm);
    dates = calloc(m, sizeof *dates);
    cloud = calloc(m, sizeof *cloud);
    use = calloc(m, sizeof *use);
    used = calloc(m, sizeof *used);
    if (!chips || !masks || !udm || !dates || !cloud || !use || !used) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < nall; i++) {
        size_t ml = strlen(sc[i].chip) + 16;
        chips[i] = sc[i].chip;
        udm[i] = sc[i].udm;
        memcpy(dates[i], sc[i].date, 11);
        sc[i].sx = sc[i].sy = NAN; /* measured again below, or kept as they are */
        if (!(masks[i] = malloc(ml))) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
            goto out;
        }
        snprintf(masks[i], ml, "%.*s.clouds.tif", (int)(strlen(sc[i].chip) - 4), sc[i].chip);
    }
    /* Clouds and their shadows, each scene against its neighbours in time;
     * then the scenes usable enough, in date order. */
    if ((rc = sw__chips_screen(ctx, chips, dates, udm, nall, masks, cloud)) != 0)
        goto out;
    for (int i = 0; i < nall; i++) {
        sc[i].cloud = cloud[i];
        if (sc[i].cover * (1.0 - cloud[i]) >= min_usable)
            use[n++] = i;
    }
    /* Objects under 25 pixels (and 50 m2) are not told from noise. */
    k.min_area = opts->min_area_m2 >= 0 ? opts->min_area_m2 : fmax(50.0, 25.0 * site.resolution_m * site.resolution_m);
    remove_stale(cat, site.name);
    char method[64];
    if ((rc = sw__store_site_method(ctx, cat, site.name, method, sizeof method)) != 0)
        goto out;
    /* The baseline's mask, hashed once for every pair's key. */
    char mh0[65] = "-";
    if (n > 1 && cloud[use[0]] > 0 && sw__sha256_file(ctx, masks[use[0]], mh0) != 0)
        snprintf(mh0, sizeof mh0, "?");
    for (int u = 1; u < n && rc == 0; u++) {
        int i = use[u], i0 = use[0];
        char key[8192], mh[65] = "-", hex[65];
        if (cloud[i] > 0 && sw__sha256_file(ctx, masks[i], mh) != 0)
            snprintf(mh, sizeof mh, "?");
        snprintf(key, sizeof key, "sitewatch-pair-v1|%s|%s|%s|%s|%.3f|%s", chips[i0], chips[i], mh0, mh, k.min_area,
                 method);
        sw__sha256_hex(key, strlen(key), hex);
        snprintf(used[u - 1], sizeof used[u - 1], "%.24s", hex);
        for (int t = 0; t < k.n; t++)
            k.t[t].matched = 0;
        k.scene = sc[i].id;
        k.date = dates[i];
        int found = 0;
        rc = sw__store_pair_get(ctx, cat, site.id, used[u - 1], sw__track_object, &k, &found);
        if (rc == 0 && k.failed)
            rc = sw__err(ctx, SW_ENOMEM, "out of memory following objects");
        if (rc == 0 && !found)
            rc = compare(ctx, cat, &site, method, used[u - 1], chips[i0], cloud[i0] > 0 ? masks[i0] : NULL, chips[i],
                         cloud[i] > 0 ? masks[i] : NULL, opts->threads, &k, &sc[i].sx, &sc[i].sy);
        if (rc == 0)
            sw__track_confirm(&k, confirm, dates[i], chips[i], cloud[i] > 0 ? masks[i] : NULL, chips[i0],
                              cloud[i0] > 0 ? masks[i0] : NULL);
    }
    /* Comparisons no longer asked for go. */
    if (rc == 0)
        rc = sw__store_pair_prune(ctx, cat, site.id, used, n > 0 ? n - 1 : 0);
    if (rc)
        goto out;
    if (!(rows = track_rows(&k, n > 0 ? dates[use[n - 1]] : ""))) {
        rc = sw__err(ctx, SW_ENOMEM, "out of memory");
        goto out;
    }
    /* Persist, keeping the ids of objects an earlier analysis found. */
    char params[512];
    snprintf(params, sizeof params,
             "{\"method\":\"%s\",\"threshold\":\"kittler-illingworth\",\"morphology\":\"open 3x3\",\"sliver_width_px\":3,"
             "\"min_area_m2\":%.1f,\"confirm\":%d,\"min_usable\":%.2f,\"baseline\":\"%s\","
             "\"scenes\":%d,\"scenes_usable\":%d,\"cloud_screen\":\"median of the 10 nearest scenes\"}",
             method, k.min_area, confirm, min_usable, n > 0 ? dates[use[0]] : "", nall, n);
    sw__analysis a = {.scenes = sc, .nscenes = nall, .baseline = n > 0 ? sc[use[0]].id : -1, .params = params,
                      .tracks = rows, .ntracks = k.n, .match = match_old, .alert_text = alert_text};
    if ((rc = sw__store_analysis(ctx, cat, &site, &a, &fresh, &nfresh)) != 0)
        goto out;
    for (int i = 0; fn && i < nfresh; i++)
        fn(&fresh[i], user);
    if (nobjects)
        *nobjects = k.n;
out:
    for (int i = 0; masks && i < nall; i++)
        free(masks[i]);
    free(masks);
    free(chips);
    free(udm);
    free(dates);
    free(cloud);
    free(use);
    free(used);
    free(rows);
    free(fresh);
    sw__tracks_free(&k);
    sw__scene_rows_free(sc, nall);
    sw_site_clear(&site);
    return rc;
}

int sw_site_analyze(sw_ctx *ctx, sw_catalog *cat, const char *site_name, const sw_analyze_opts *opts,
                    void (*fn)(const sw_alert *a, void *user), void *user, int64_t *nobjects)
{
    sw_analyze_opts def;
    if (!opts) {
        sw_analyze_opts_init(&def);
        opts = &def;
    }
    /* A scene recorded while this analysis ran (another ingest, another
     * worker) makes it stale: it is made again, with that scene; the
     * comparisons already kept make that cheap. */
    int rc = SW__ESTALE;
    for (int attempt = 0; attempt < 20 && rc == SW__ESTALE; attempt++)
        rc = analyze_once(ctx, cat, site_name, opts, fn, user, nobjects);
    if (rc == SW__ESTALE)
        rc = sw__err(ctx, SW_ECONFLICT, "site '%s': scenes kept arriving during 20 analyses; analyse it again later",
                     site_name);
    return rc;
}
