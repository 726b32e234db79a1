/* cmd_export.c: `sitewatch [--db PATH] export SITE --format smart|geojson|gpkg -o OUT`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_export(int argc, char **argv, const char *db)
{
    const char *site = NULL, *format = "geojson", *out = NULL;
    sw_export_opts eo = {NULL, NULL};
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: sitewatch [--db PATH] export SITE --format smart|geojson|gpkg -o OUT\n"
                   "                 [--region ID] [--originator CODE]\n\n"
                   "All the site's change objects with their dates: geojson (RFC 7946) or gpkg (the\n"
                   "site's CRS) into the file OUT; smart: one IARPA SMART site model per object\n"
                   "(REGION_NNNN.geojson: its site feature, and an observation per usable scene with\n"
                   "its phase: No Activity before it was first seen and after a gone object was last\n"
                   "seen, Active Construction until confirmed, then Post Construction; a withdrawn\n"
                   "object is system_rejected) into the folder OUT. SMART's schema wants a region id\n"
                   "(--region, default XX_R000: country and region unknown) and, as originator, one\n"
                   "of its program's codes (--originator; default 'sitewatch', which the schema\n"
                   "refuses in that one field).\n");
            return 0;
        }
        if ((!strcmp(argv[i], "--format") || !strcmp(argv[i], "-f")) && i + 1 < argc)
            format = argv[++i];
        else if ((!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) && i + 1 < argc)
            out = argv[++i];
        else if (!strcmp(argv[i], "--region") && i + 1 < argc)
            eo.region_id = argv[++i];
        else if (!strcmp(argv[i], "--originator") && i + 1 < argc)
            eo.originator = argv[++i];
        else if (argv[i][0] != '-' && !site)
            site = argv[i];
        else
            return cli_usage("export", "unexpected '%s'", argv[i]);
    }
    if (!site || !out)
        return cli_usage("export", "needs SITE and -o OUT");
    sw_ctx *ctx = sw_ctx_new();
    sw_catalog *cat = cli_catalog_open(ctx, db, 0);
    int64_t n = 0;
    int rc = cat ? sw_site_export_with(ctx, cat, site, format, out, &eo, &n) : sw_ctx_errcode(ctx);
    int status = rc ? cli_fail(rc, sw_ctx_errmsg(ctx)) : 0;
    if (!rc)
        printf("%s: %lld objects -> %s (%s)\n", site, (long long)n, out, format);
    sw_catalog_close(cat);
    sw_ctx_free(ctx);
    return status;
}
