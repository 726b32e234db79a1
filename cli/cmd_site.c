/*
 * cmd_site.c: `sitewatch [--db PATH] site add|list|show|set|rm`.
 * The catalog is --db, else $SITEWATCH_DB, else ./sitewatch.db.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sitewatch [--db PATH] site add NAME --aoi AOI.geojson [--buffer M] [--resolution M]\n"
            "                                      [--method M]\n"
            "       sitewatch [--db PATH] site list [--json]\n"
            "       sitewatch [--db PATH] site show NAME [--json]\n"
            "       sitewatch [--db PATH] site set NAME --method M\n"
            "       sitewatch [--db PATH] site rm NAME [--force]\n"
            "\n"
            "A site is a named area of interest (a polygon, or a point with --buffer in\n"
            "metres) with its working grid: the local UTM zone and --resolution (default:\n"
            "the first scene's). --method is the detector its scenes are compared with:\n"
            "auto (the default: a shipped model for the imagery's pixel size and bands,\n"
            "else a statistical method) or one of detect's (sitewatch detect --help).\n"
            "The catalog is --db, $SITEWATCH_DB, or ./sitewatch.db.\n"
            "'site rm' refuses a site with scenes unless --force; it never deletes your files.\n");
}

static int print_row(const sw_site *s, void *user)
{
    (void)user;
    char res[32];
    if (s->resolution_m > 0)
        snprintf(res, sizeof res, "%.2f m", s->resolution_m);
    else
        snprintf(res, sizeof res, "auto");
    printf("%-24s %10.3f km2  EPSG:%d  %8s  %5lld scenes  %s\n", s->name, s->area_m2 / 1e6, s->crs_epsg, res,
           (long long)s->scenes, s->created);
    return 0;
}

/* One site's fields as an open JSON object (closed by the caller). */
static void json_site(const sw_site *s)
{
    printf("{\"name\":");
    cli_json_str(s->name);
    printf(",\"area_m2\":%.1f,\"crs\":\"EPSG:%d\",\"resolution_m\":", s->area_m2, s->crs_epsg);
    if (s->resolution_m > 0)
        printf("%.3f", s->resolution_m);
    else
        printf("null");
    printf(",\"buffer_m\":%.1f,\"lon\":%.6f,\"lat\":%.6f,\"scenes\":%lld,\"created\":", s->buffer_m, s->lon,
           s->lat, (long long)s->scenes);
    cli_json_str(s->created);
    printf(",\"aoi_wkt\":");
    cli_json_str(s->aoi_wkt);
}

/* One site as a JSON object (site list --json: an array of them). */
static int json_row(const sw_site *s, void *user)
{
    int *n = user;
    printf("%s", (*n)++ ? ",\n " : "");
    json_site(s);
    printf("}");
    return 0;
}

static int json_scene(const sw_scene *sc, void *user)
{
    int *n = user;
    printf("%s{\"id\":%lld,\"date\":\"%s\",\"sensor\":", (*n)++ ? "," : "", (long long)sc->id, sc->acquired);
    cli_json_str(sc->sensor[0] ? sc->sensor : NULL);
    printf(",\"usable_fraction\":%.4f,\"cloud_fraction\":%.4f,\"source\":", sc->usable_fraction,
           sc->cloud_fraction);
    cli_json_str(sc->source);
    printf(",\"chip\":");
    cli_json_str(sc->chip);
    printf("}");
    return 0;
}

static int print_scene(const sw_scene *sc, void *user)
{
    (void)user;
    printf("  %s  %-12s %5.1f%% usable  scene %lld  %s\n", sc->acquired, sc->sensor[0] ? sc->sensor : "-",
           100.0 * sc->usable_fraction, (long long)sc->id, sc->source);
    return 0;
}

int cmd_site(int argc, char **argv, const char *db)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    const char *verb = argv[1];
    static const struct option longopts[] = {{"aoi", required_argument, 0, 'a'},
                                             {"buffer", required_argument, 0, 'b'},
                                             {"resolution", required_argument, 0, 'r'},
                                             {"force", no_argument, 0, 'f'},
                                             {"json", no_argument, 0, 'j'},
                                             {"method", required_argument, 0, 'm'},
                                             {0, 0, 0, 0}};
    const char *aoi = NULL, *method = NULL;
    double buffer = 0, res = 0;
    int force = 0, json = 0, c;
    /* options after the verb: getopt scans argv from the verb on (optind
     * 0, not 1: it forgets an earlier scan, glibc) */
    int sargc = argc - 1;
    char **sargv = argv + 1;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(sargc, sargv, ":a:b:r:f", longopts, NULL)) != -1) {
        switch (c) {
        case 'a': aoi = optarg; break;
        case 'b':
            if (cli_number(optarg, 0, 1e6, &buffer))
                return cli_usage("site", "--buffer needs metres >= 0, got '%s'", optarg);
            break;
        case 'r':
            if (cli_number(optarg, 0.01, 10000, &res))
                return cli_usage("site", "--resolution needs metres from 0.01 to 10000, got '%s'", optarg);
            break;
        case 'f': force = 1; break;
        case 'j': json = 1; break;
        case 'm':
            if (!sw_method_exists(optarg))
                return cli_usage("site", "unknown method '%s' (see 'sitewatch detect --help')", optarg);
            method = optarg;
            break;
        case ':': return cli_usage("site", "option %s needs a value", sargv[optind - 1]);
        default: return cli_usage("site", "unknown option '%s'", sargv[optind - 1]);
        }
    }
    int nargs = sargc - optind;
    const char *name = nargs > 0 ? sargv[optind] : NULL;
    int add = !strcmp(verb, "add"), list = !strcmp(verb, "list"), show = !strcmp(verb, "show"), rm = !strcmp(verb, "rm");
    int set = !strcmp(verb, "set");
    if (!add && !list && !show && !rm && !set)
        return cli_usage("site", "unknown verb '%s' (add, list, show, set, rm)", verb);
    if (set && !method)
        return cli_usage("site", "set needs --method M");
    if (method && !add && !set)
        return cli_usage("site", "--method is for add and set");
    if ((list && nargs != 0) || (!list && nargs != 1))
        return cli_usage("site", "%s takes %s", verb, list ? "no name" : "one NAME");
    if (add && !aoi)
        return cli_usage("site", "add needs --aoi FILE");
    sw_ctx *ctx = sw_ctx_new();
    /* A catalog this add creates goes again if the add fails: a failed
     * first add leaves nothing behind. */
    int existed = access(db, F_OK) == 0;
    sw_catalog *cat = cli_catalog_open(ctx, db, add);
    int rc = cat ? 0 : sw_ctx_errcode(ctx);
    sw_site s = {0};
    if (rc == 0) {
        if (add) {
            rc = sw_site_add(ctx, cat, name, aoi, buffer, res, &s);
            if (rc == 0 && method)
                rc = sw_site_set_method(ctx, cat, name, method);
            if (rc == 0)
                printf("site %s: %.3f km2 around %.5f, %.5f, EPSG:%d, in %s\n", s.name, s.area_m2 / 1e6, s.lon,
                       s.lat, s.crs_epsg, db);
        } else if (set) {
            rc = sw_site_set_method(ctx, cat, name, method);
            if (rc == 0)
                printf("site %s: analysed with %s from its next analysis\n", name, method);
        } else if (list && json) {
            int n = 0;
            printf("[");
            rc = sw_site_list(ctx, cat, json_row, &n);
            printf("]\n");
        } else if (list) {
            rc = sw_site_list(ctx, cat, print_row, NULL);
        } else if (show && json) {
            char m[64];
            int k = 0;
            if ((rc = sw_site_get(ctx, cat, name, &s)) == 0 && (rc = sw_site_method(ctx, cat, name, m, sizeof m)) == 0) {
                json_site(&s);
                printf(",\"method\":");
                cli_json_str(m);
                printf(",\"scene_list\":[");
                rc = sw_scene_list(ctx, cat, name, json_scene, &k);
                printf("]}\n");
            }
        } else if (show) {
            rc = sw_site_get(ctx, cat, name, &s);
            if (rc == 0)
                printf("name        %s\narea        %.3f km2 (buffer %.1f m)\ncentre      %.6f, %.6f\n"
                       "grid        EPSG:%d, %s\nscenes      %lld\ncreated     %s\naoi         %s\n",
                       s.name, s.area_m2 / 1e6, s.buffer_m, s.lon, s.lat, s.crs_epsg,
                       s.resolution_m > 0 ? "fixed resolution" : "resolution from the first scene",
                       (long long)s.scenes, s.created, s.aoi_wkt);
            if (rc == 0 && s.resolution_m > 0)
                printf("resolution  %.3f m\n", s.resolution_m);
            char m[64];
            if (rc == 0 && (rc = sw_site_method(ctx, cat, name, m, sizeof m)) == 0)
                printf("method      %s\n", m);
            if (rc == 0 && s.scenes > 0) {
                printf("scenes by date:\n");
                rc = sw_scene_list(ctx, cat, name, print_scene, NULL);
            }
        } else {
            rc = sw_site_remove(ctx, cat, name, force);
            if (rc == 0)
                printf("site %s removed from %s\n", name, db);
        }
    }
    int status = rc ? cli_fail(rc, sw_ctx_errmsg(ctx)) : 0;
    sw_site_clear(&s);
    sw_catalog_close(cat);
    if (add && rc && !existed) {
        static const char *const side[] = {"", "-wal", "-shm", "-journal"};
        for (int i = 0; i < 4; i++) {
            char p[4200];
            snprintf(p, sizeof p, "%s%s", db, side[i]);
            unlink(p);
        }
    }
    sw_ctx_free(ctx);
    return status;
}
