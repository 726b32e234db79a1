/* cmd_timeline.c: `sitewatch [--db PATH] timeline SITE [--csv | --json]`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

typedef struct out {
    int mode; /* 0 table, 1 csv, 2 json */
    int n;
} out;

static int row(const sw_timeline_row *r, void *user)
{
    out *o = user;
    if (o->mode == 1)
        printf("%s,%s,%.4f,%.1f,%lld,%lld,%.1f,%.4f\n", r->date, r->sensor, r->usable_fraction, r->changed_area_m2,
               (long long)r->new_objects, (long long)r->confirmed_objects, r->cumulative_new_m2, r->cloud_fraction);
    else if (o->mode == 2)
        printf("%s{\"date\":\"%s\",\"sensor\":\"%s\",\"usable_fraction\":%.4f,\"changed_area_m2\":%.1f,"
               "\"new_objects\":%lld,\"confirmed_objects\":%lld,\"cumulative_new_area_m2\":%.1f,"
               "\"cloud_fraction\":%.4f}",
               o->n ? "," : "", r->date, r->sensor, r->usable_fraction, r->changed_area_m2,
               (long long)r->new_objects, (long long)r->confirmed_objects, r->cumulative_new_m2, r->cloud_fraction);
    else
        printf("%-10s  %-12s %7.1f%%  %5.1f%%  %12.1f  %5lld  %9lld  %14.1f\n", r->date,
               r->sensor[0] ? r->sensor : "-", 100 * r->usable_fraction, 100 * r->cloud_fraction, r->changed_area_m2,
               (long long)r->new_objects, (long long)r->confirmed_objects, r->cumulative_new_m2);
    o->n++;
    return 0;
}

int cmd_timeline(int argc, char **argv, const char *db)
{
    out o = {0, 0};
    const char *site = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--csv"))
            o.mode = 1;
        else if (!strcmp(argv[i], "--json"))
            o.mode = 2;
        else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            printf("usage: sitewatch [--db PATH] timeline SITE [--csv | --json]\n\n"
                   "Per ingested scene, in date order: usable fraction, changed area, objects first\n"
                   "seen and confirmed on that date, and the area of all objects confirmed so far.\n");
            return 0;
        } else if (argv[i][0] == '-' || site)
            return cli_usage("timeline", "unexpected '%s'", argv[i]);
        else
            site = argv[i];
    }
    if (!site)
        return cli_usage("timeline", "needs SITE");
    sw_ctx *ctx = sw_ctx_new();
    sw_catalog *cat = cli_catalog_open(ctx, db, 0);
    int rc = cat ? 0 : sw_ctx_errcode(ctx);
    if (rc == 0) {
        if (o.mode == 1)
            printf("date,sensor,usable_fraction,changed_area_m2,new_objects,confirmed_objects,cumulative_new_area_m2,"
                   "cloud_fraction\n");
        else if (o.mode == 2)
            printf("[");
        else
            printf("%-10s  %-12s %8s  %6s  %12s  %5s  %9s  %14s\n", "date", "sensor", "usable", "cloud",
                   "changed m2", "new", "confirmed", "cumulative m2");
        rc = sw_site_timeline(ctx, cat, site, row, &o);
        if (o.mode == 2 && rc == 0)
            printf("]\n");
    }
    int status = rc ? cli_fail(rc, sw_ctx_errmsg(ctx)) : 0;
    sw_catalog_close(cat);
    sw_ctx_free(ctx);
    return status;
}
