/*
 * cmd_alerts.c: `sitewatch [--db PATH] alerts [--site S] [--since D]`,
 * `alerts ack ID`, `alerts dismiss ID` (a dismissed object never alerts
 * again).
 */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static int json_row(const sw_alert_row *a, void *user)
{
    int *n = user;
    printf("%s", (*n)++ ? ",\n " : "");
    cli_alert_json(stdout, a);
    return 0;
}

static int row(const sw_alert_row *a, void *user)
{
    (void)user;
    printf("%5lld  %-20s  %-12s  %s  object %lld: %s\n", (long long)a->id, a->site, a->state, a->created,
           (long long)a->object_id, a->message ? a->message : "");
    return 0;
}

int cmd_alerts(int argc, char **argv, const char *db)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        printf("usage: sitewatch [--db PATH] alerts [--site SITE] [--since YYYY-MM-DD] [--json]\n"
               "       sitewatch [--db PATH] alerts ack ID\n"
               "       sitewatch [--db PATH] alerts dismiss ID   (its object never alerts again)\n");
        return 0;
    }
    sw_ctx *ctx = sw_ctx_new();
    int rc = 0, status = 0;
    if (argc >= 2 && (!strcmp(argv[1], "ack") || !strcmp(argv[1], "dismiss"))) {
        long long id = 0;
        if (argc != 3 || cli_count(argv[2], 1, INT64_MAX, &id)) {
            sw_ctx_free(ctx);
            return cli_usage("alerts", "%s needs one alert ID", argv[1]);
        }
        sw_catalog *cat = cli_catalog_open(ctx, db, 0);
        rc = cat ? sw_alert_set(ctx, cat, id, !strcmp(argv[1], "ack") ? "acknowledged" : "dismissed")
                 : sw_ctx_errcode(ctx);
        if (rc == 0)
            printf("alert %lld %s\n", id, !strcmp(argv[1], "ack") ? "acknowledged" : "dismissed");
        sw_catalog_close(cat);
    } else {
        static const struct option longopts[] = {{"site", required_argument, 0, 's'},
                                                 {"since", required_argument, 0, 'd'},
                                                 {"json", no_argument, 0, 'j'},
                                                 {0, 0, 0, 0}};
        int json = 0;
        const char *site = NULL, *since = NULL;
        int c;
        optind = 0; /* 0, not 1: getopt forgets an earlier scan (glibc) */
        opterr = 0;
        while ((c = getopt_long(argc, argv, ":s:d:", longopts, NULL)) != -1) {
            if (c == 's')
                site = optarg;
            else if (c == 'd') {
                since = optarg;
                if (cli_date(since)) {
                    sw_ctx_free(ctx);
                    return cli_usage("alerts", "--since needs a date YYYY-MM-DD (a time may follow), got '%s'", since);
                }
            }
            else if (c == 'j')
                json = 1;
            else {
                sw_ctx_free(ctx);
                return cli_usage("alerts", "unknown option '%s'", argv[optind - 1]);
            }
        }
        if (optind != argc) {
            sw_ctx_free(ctx);
            return cli_usage("alerts", "unexpected '%s'", argv[optind]);
        }
        sw_catalog *cat = cli_catalog_open(ctx, db, 0);
        int n = 0;
        if (cat && json)
            printf("[");
        rc = cat ? sw_alert_list(ctx, cat, site, since, json ? json_row : row, &n) : sw_ctx_errcode(ctx);
        if (cat && json && rc == 0)
            printf("]\n");
        sw_catalog_close(cat);
    }
    if (rc)
        status = cli_fail(rc, sw_ctx_errmsg(ctx));
    sw_ctx_free(ctx);
    return status;
}
