/*
 * cmd_demo.c: `sitewatch demo [DIR]`, the built-in example of a watched
 * site. It synthesizes a plant that grows over a year of scenes (one
 * cloudy, one misregistered, one cut short), then runs what an analyst
 * would, printing each command so it can be rerun by hand: site add, one
 * ingest per scene in shuffled order (as scenes arrive late and out of
 * order), timeline, alerts and the report.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: sitewatch demo [DIR] [--seed N]\n"
               "\n"
               "Makes DIR (default sitewatch-demo; it must be new or empty) with aoi.geojson,\n"
               "scenes/ (ten dated 4-band scenes of a plant that grows), truth.geojson (each\n"
               "building inserted, with its first date), then watches the site: sitewatch.db\n"
               "(the catalog) and report.html.\n");
}

/* Runs one sitewatch command (argv without the program), printed first. */
static int step(int (*fn)(int, char **, const char *), const char *db, int argc, char **argv)
{
    printf("\n$ sitewatch --db %s", db);
    for (int i = 0; i < argc; i++)
        printf(" %s", argv[i]);
    printf("\n");
    fflush(stdout);
    int rc = fn(argc, argv, db);
    fflush(stdout);
    return rc;
}

static int progress(double done, const char *msg, void *user)
{
    (void)done;
    (void)msg;
    (void)user;
    return 0;
}

int cmd_demo(int argc, char **argv)
{
    const char *dir = "sitewatch-demo";
    unsigned long seed = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        } else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            char *end;
            seed = strtoul(argv[++i], &end, 10);
            if (*end)
                return cli_usage("demo", "--seed needs a number, got '%s'", argv[i]);
        } else if (argv[i][0] == '-') {
            return cli_usage("demo", "unknown option '%s'", argv[i]);
        } else {
            dir = argv[i];
        }
    }
    /* Never write over someone's files: DIR must be new or empty. */
    char db[4096], path[4096];
    snprintf(db, sizeof db, "%s/sitewatch.db", dir);
    DIR *dh = opendir(dir);
    if (dh) {
        struct dirent *e;
        int used = 0;
        while (!used && (e = readdir(dh)))
            used = strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
        closedir(dh);
        if (used) {
            fprintf(stderr, "sitewatch: error: %s: not empty; the demo needs a new or empty folder\n", dir);
            return EXIT_JOB;
        }
    } else if (errno != ENOENT) {
        fprintf(stderr, "sitewatch: error: %s: %s\n", dir, strerror(errno));
        return EXIT_JOB;
    }
    int n = 0;
    sw_ctx *ctx = sw_ctx_new();
    printf("synthesizing a year of scenes of a growing plant into %s/scenes ...\n", dir);
    fflush(stdout);
    if (sw_synth_site(ctx, dir, (uint32_t)seed, progress, NULL) != 0) {
        int rc = cli_fail(sw_ctx_errcode(ctx), sw_ctx_errmsg(ctx));
        sw_ctx_free(ctx);
        return rc;
    }
    sw_ctx_free(ctx);
    snprintf(path, sizeof path, "%s/aoi.geojson", dir);
    /* The scenes are synthetic (flat-roofed boxes on a noise texture), so
     * the site is watched with IR-MAD: the shipped 3 m model, which auto
     * would pick, learned real buildings and finds a quarter of these. */
    char *add[] = {"site", "add", "demo", "--aoi", path, "--method", "irmad", NULL};
    int rc = step(cmd_site, db, 7, add);
    /* The scenes, shuffled (the same way for the same seed). */
    char scenes[4096];
    snprintf(scenes, sizeof scenes, "%s/scenes", dir);
    char **files = cli_list_rasters(scenes, 1, &n);
    if (!files || n == 0) {
        cli_free_list(files, n);
        return cli_fail(SW_EIO, "demo: the synthesized scenes are missing");
    }
    uint32_t h = (uint32_t)seed * 2654435761u + 12345u;
    for (int i = n - 1; i > 0; i--) {
        h = h * 1664525u + 1013904223u;
        int j = (int)((h >> 8) % (uint32_t)(i + 1));
        char *t = files[i];
        files[i] = files[j];
        files[j] = t;
    }
    for (int i = 0; i < n && rc == 0; i++) {
        char scene[8192];
        snprintf(scene, sizeof scene, "%s/%s", scenes, files[i]);
        char *ing[] = {"ingest", "demo", scene, NULL};
        rc = step(cmd_ingest, db, 3, ing);
    }
    cli_free_list(files, n);
    if (rc == 0) {
        char *tl[] = {"timeline", "demo", NULL};
        rc = step(cmd_timeline, db, 2, tl);
    }
    if (rc == 0) {
        char *al[] = {"alerts", "--site", "demo", NULL};
        rc = step(cmd_alerts, db, 3, al);
    }
    if (rc == 0) {
        snprintf(path, sizeof path, "%s/report.html", dir);
        char *rep[] = {"report", "demo", "-o", path, NULL};
        rc = step(cmd_report, db, 4, rep);
    }
    if (rc == 0)
        printf("\ndemo: the site, its scenes and the truth inserted are in %s/ "
               "(aoi.geojson, scenes/, truth.geojson, sitewatch.db, report.html)\n", dir);
    return rc;
}
