/*
 * cmd_ingest.c: `sitewatch [--db PATH] ingest SITE SCENE... [options]`.
 * SCENEs are files or folders of them; each is ingested on its own, so one
 * bad scene does not stop the others (the exit status says one failed).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sitewatch [--db PATH] ingest SITE SCENE... [--date YYYY-MM-DD] [--sensor NAME]\n"
            "                 [--margin M] [--confirm N] [--min-area M2] [--no-analyze]\n"
            "                 [--mask FILE] [--on-alert CMD] [--json]\n"
            "\n"
            "Cuts each scene to the site's grid as a COG beside the catalog and records it.\n"
            "A scene is a georeferenced raster, a Sentinel-2 band folder, or a product as\n"
            "delivered: a Sentinel-2 .SAFE (L1C, L2A; or its MTD_MSIL*.xml), a Landsat\n"
            "Collection 2 folder (or its _MTL file), a PlanetScope scene (its AnalyticMS\n"
            "GeoTIFF or the folder holding it), a STAC Item (FILE.json, or COLLECTION.json#ID\n"
            "for one item of an ItemCollection). A folder of anything else holds scenes.\n"
            "The date and sensor come from the product's metadata, the file name\n"
            "(PlanetScope, Sentinel-2), a PlanetScope _metadata.json sidecar or the TIFF\n"
            "date tag, else from --date/--sensor. A scene ingested before is skipped.\n"
            "Its usability mask goes onto the site's grid with it: --mask FILE (band 1\n"
            "non-zero where usable), else the product's own (Sentinel-2 scene\n"
            "classification or L1C cloud mask, Landsat QA_PIXEL, PlanetScope UDM2); clouds\n"
            "and their shadows are also screened against the site's other scenes. Scenes of\n"
            "different sensors are compared on the bands both name.\n"
            "Then every usable scene is compared with the site's first (the baseline);\n"
            "change objects are followed across dates and confirmed when seen in --confirm\n"
            "consecutive usable scenes (default 2: one odd scene, a cloud edge or a shadow,\n"
            "raises nothing, at the cost of waiting for the next scene; 1 alerts on first\n"
            "sight, 3 or more for noisy sensors or frequent revisits). Until then an object\n"
            "is a candidate, shown as such in the report; each confirmed object of at least\n"
            "--min-area m2 (default 25 pixels, at least 50 m2) raises one alert, printed as\n"
            "ALERT lines and given as JSON on the standard input of --on-alert CMD (run by\n"
            "the shell).\n"
            "--json prints one JSON object per line: each scene ({\"event\":\"scene\"...}),\n"
            "each alert as 'alerts --json' gives it ({\"event\":\"alert\"...}), and the\n"
            "analysis ({\"event\":\"analysis\"...}).\n");
}

static const char *on_alert; /* --on-alert CMD */
static int as_json;           /* --json */

typedef struct ingest_job {
    sw_ctx *ctx;
    sw_catalog *cat;
    const char *site;
    const sw_ingest_opts *o;
} ingest_job;

typedef struct alert_find {
    int64_t id;
    int found;
} alert_find;

/* Gives the alert as it stands now (its object's state, MGRS) to the
 * standard output (--json) and to the hook. */
static int alert_out(const sw_alert_row *a, void *user)
{
    alert_find *f = user;
    if (a->id != f->id)
        return 0;
    f->found = 1;
    if (as_json) {
        fputs("{\"event\":\"alert\",\"alert\":", stdout);
        cli_alert_json(stdout, a);
        fputs("}\n", stdout);
    }
    if (!on_alert)
        return 1;
    fflush(stdout);
    FILE *h = popen(on_alert, "w");
    int st = -1;
    if (h) {
        cli_alert_json(h, a);
        fputc('\n', h);
        st = pclose(h);
    }
    if (st != 0)
        fprintf(stderr, "sitewatch: warning: --on-alert command failed for alert %lld (status %d)\n",
                (long long)a->id, st);
    return 1;
}

/* Prints an alert as raised (text), or as it stands now (--json), and runs
 * the user's hook with it as JSON on its standard input; a failing hook is
 * reported, not fatal. */
static void print_alert(const sw_alert *a, void *user)
{
    ingest_job *j = user;
    if (!as_json)
        cli_print_alert(a);
    if (!as_json && !on_alert)
        return;
    alert_find f = {a->id, 0};
    if (sw_alert_list(j->ctx, j->cat, j->site, NULL, alert_out, &f) != 0 || !f.found)
        fprintf(stderr, "sitewatch: warning: alert %lld: cannot read it back: %s\n", (long long)a->id,
                sw_ctx_errmsg(j->ctx));
}

static int ingested_new;

static int ingest_one(const char *path, void *user)
{
    ingest_job *j = user;
    sw_ingest_result res;
    int rc = sw_ingest_scene(j->ctx, j->cat, j->site, path, j->o, &res);
    if (rc)
        return cli_fail(rc, sw_ctx_errmsg(j->ctx));
    if (as_json) {
        fputs("{\"event\":\"scene\",\"path\":", stdout);
        cli_json_str(path);
        printf(",\"scene_id\":%lld,\"skipped\":%s,\"date\":\"%s\",\"sensor\":", (long long)res.scene_id,
               res.skipped ? "true" : "false", res.date);
        cli_json_str(res.sensor[0] ? res.sensor : NULL);
        printf(",\"usable_fraction\":%.4f,\"chip\":", res.usable_fraction);
        cli_json_str(res.skipped ? NULL : res.chip);
        puts("}");
        ingested_new |= !res.skipped;
        return 0;
    }
    if (res.skipped) {
        printf("%s: already ingested (scene %lld, %s): skipped\n", path, (long long)res.scene_id, res.date);
        return 0;
    }
    ingested_new = 1;
    printf("%s: %s %s, %.0f%% of the site covered -> scene %lld\n", path, res.date,
           res.sensor[0] ? res.sensor : "(sensor unknown)", 100.0 * res.usable_fraction, (long long)res.scene_id);
    return 0;
}

int cmd_ingest(int argc, char **argv, const char *db)
{
    static const struct option longopts[] = {{"date", required_argument, 0, 'd'},
                                             {"sensor", required_argument, 0, 's'},
                                             {"margin", required_argument, 0, 'm'},
                                             {"confirm", required_argument, 0, 'c'},
                                             {"min-area", required_argument, 0, 'a'},
                                             {"no-analyze", no_argument, 0, 'n'},
                                             {"mask", required_argument, 0, 'k'},
                                             {"on-alert", required_argument, 0, 'o'},
                                             {"json", no_argument, 0, 'j'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    sw_ingest_opts o;
    sw_ingest_opts_init(&o);
    int c, confirm = 2, no_analyze = 0;
    double min_area = -1;
    long long count;
    optind = 0; /* 0, not 1: getopt forgets an earlier scan (glibc) */
    opterr = 0;
    on_alert = NULL;
    as_json = 0;
    ingested_new = 0;
    while ((c = getopt_long(argc, argv, ":d:s:m:c:a:no:k:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': o.date = optarg; break;
        case 's': o.sensor = optarg; break;
        case 'm':
            if (cli_number(optarg, 0, 1e6, &o.margin_m))
                return cli_usage("ingest", "--margin needs metres >= 0, got '%s'", optarg);
            break;
        case 'c':
            if (cli_count(optarg, 1, 100, &count))
                return cli_usage("ingest", "--confirm needs a count 1-100, got '%s'", optarg);
            confirm = (int)count;
            break;
        case 'a':
            if (cli_number(optarg, 0, 1e15, &min_area))
                return cli_usage("ingest", "--min-area needs m2 >= 0, got '%s'", optarg);
            break;
        case 'n': no_analyze = 1; break;
        case 'k': o.mask = optarg; break;
        case 'o': on_alert = optarg; break;
        case 'j': as_json = 1; break;
        case 'h': usage(stdout); return 0;
        case ':': return cli_usage("ingest", "option %s needs a value", argv[optind - 1]);
        default: return cli_usage("ingest", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind < 2)
        return cli_usage("ingest", "needs SITE and at least one SCENE");
    const char *site = argv[optind];
    sw_ctx *ctx = sw_ctx_new();
    sw_catalog *cat = cli_catalog_open(ctx, db, 0);
    if (!cat) {
        int st = cli_fail(sw_ctx_errcode(ctx), sw_ctx_errmsg(ctx));
        sw_ctx_free(ctx);
        return st;
    }
    sw_site s;
    int failed = 0;
    if (sw_site_get(ctx, cat, site, &s) != 0) {
        failed = cli_fail(sw_ctx_errcode(ctx), sw_ctx_errmsg(ctx));
        sw_catalog_close(cat);
        sw_ctx_free(ctx);
        return failed;
    }
    sw_site_clear(&s);
    ingest_job job = {ctx, cat, site, &o};
    for (int i = optind + 1; i < argc; i++) {
        int one = cli_each_scene(argv[i], ingest_one, &job);
        failed = failed ? failed : one;
    }
    /* Compare the site's scenes anew when any arrived (in any order). */
    if (ingested_new && !no_analyze) {
        sw_analyze_opts ao;
        sw_analyze_opts_init(&ao);
        ao.confirm = confirm;
        if (min_area >= 0)
            ao.min_area_m2 = min_area;
        int64_t nobj = 0;
        if (sw_site_analyze(ctx, cat, site, &ao, print_alert, &job, &nobj) != 0) {
            int st = cli_fail(sw_ctx_errcode(ctx), sw_ctx_errmsg(ctx));
            failed = failed ? failed : st;
        } else if (as_json) {
            fputs("{\"event\":\"analysis\",\"site\":", stdout);
            cli_json_str(site);
            printf(",\"objects\":%lld}\n", (long long)nobj);
        } else {
            printf("%s: %lld change objects\n", site, (long long)nobj);
        }
    }
    sw_catalog_close(cat);
    sw_ctx_free(ctx);
    return failed; /* the first failure's status */
}
