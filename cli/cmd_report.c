/*
 * cmd_report.c: `sitewatch [--db PATH] report SITE -o report.html`.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_report(int argc, char **argv, const char *db)
{
    static const struct option longopts[] = {{"output", required_argument, 0, 'o'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *out = NULL;
    int c;
    optind = 0; /* 0, not 1: getopt forgets an earlier scan (glibc) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h':
            printf("usage: sitewatch [--db PATH] report SITE -o REPORT.html\n"
                   "\n"
                   "Writes the site's evidence report: one self-contained HTML file (works\n"
                   "offline) with the site, each confirmed object before/first seen/latest with\n"
                   "its outline, scale bar and north arrow, an activity chart, all objects, and\n"
                   "the scenes and parameters behind it.\n");
            return 0;
        case ':': return cli_usage("report", "option %s needs a value", argv[optind - 1]);
        default: return cli_usage("report", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return cli_usage("report", "needs one SITE");
    if (!out)
        return cli_usage("report", "needs -o REPORT.html");
    sw_ctx *ctx = sw_ctx_new();
    sw_catalog *cat = cli_catalog_open(ctx, db, 0);
    int64_t n = 0;
    int rc = cat ? sw_site_report(ctx, cat, argv[optind], out, &n) : sw_ctx_errcode(ctx);
    int status = rc ? cli_fail(rc, sw_ctx_errmsg(ctx)) : 0;
    if (rc == 0)
        printf("%s: report of %s (%lld objects)\n", out, argv[optind], (long long)n);
    sw_catalog_close(cat);
    sw_ctx_free(ctx);
    return status;
}
