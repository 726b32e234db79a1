/* cmd_model.c: `sitewatch model info FILE` and `sitewatch model list`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* `model list`: every shipped model, what it takes and its held-out F1. */
static int model_list(int json)
{
    sw_ctx *ctx = sw_ctx_new();
    char **names = NULL;
    int n = 0, status = 0;
    if (sw_model_list(ctx, &names, &n) != 0) {
        status = cli_fail(sw_ctx_errcode(ctx), sw_ctx_errmsg(ctx));
        sw_ctx_free(ctx);
        return status;
    }
    if (json)
        printf("[");
    for (int i = 0; i < n; i++) {
        char found[4096];
        const char *path = sw_model_find(ctx, names[i], found, sizeof found);
        sw_model *m = path ? sw_model_load(ctx, path) : NULL;
        if (!m) {
            status = cli_fail(sw_ctx_errcode(ctx), sw_ctx_errmsg(ctx));
            continue;
        }
        if (json) {
            printf("%s\n{\"name\": ", i ? "," : "");
            cli_json_str(names[i]);
            printf(", \"path\": ");
            cli_json_str(path);
            printf(", \"header\": %s}", sw_model_header(m));
        } else {
            printf("%-14s %2d bands (", names[i], sw_model_bands(m));
            for (int b = 0; b < sw_model_bands(m); b++)
                printf("%s%s", b ? "," : "", sw_model_band_name(m, b) ? sw_model_band_name(m, b) : "?");
            printf(") at %g m, threshold %.2f", sw_model_gsd(m), sw_model_threshold(m));
            if (sw_model_tta_threshold(m) != sw_model_threshold(m))
                printf(" (%.2f with --tta)", sw_model_tta_threshold(m));
            printf(", %lld parameters\n", (long long)sw_model_parameters(m));
            printf("%-14s held-out F1: %s\n", "", sw_model_heldout(m) ? sw_model_heldout(m) : "(none recorded)");
        }
        sw_model_free(m);
    }
    if (json)
        printf("\n]\n");
    sw_model_list_free(names, n);
    sw_ctx_free(ctx);
    return status;
}

int cmd_model(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: sitewatch model info FILE|NAME [--json]\n"
               "       sitewatch model list [--json]\n\n"
               "info checks a sitewatch model file (magic, version, checksum, layer shapes)\n"
               "and prints what it is: architecture, bands, pixel size, provenance.\n"
               "list shows the shipped models (NAME), their bands, pixel size and held-out F1.\n"
               "Without --model, detect uses the shipped one nearest the imagery's pixel size\n"
               "for its bands: buildings (0.5 m RGB), buildings-3m (3 m RGB); change (0.5 m,\n"
               "any land cover) only when named.\n");
        return 0;
    }
    if (argc >= 2 && strcmp(argv[1], "list") == 0) {
        if (argc > 3 || (argc == 3 && strcmp(argv[2], "--json") != 0))
            return cli_usage("model", "usage: sitewatch model list [--json]");
        return model_list(argc == 3);
    }
    if (argc < 3 || strcmp(argv[1], "info") != 0 || argc > 4 || (argc == 4 && strcmp(argv[3], "--json") != 0))
        return cli_usage("model", "usage: sitewatch model info FILE [--json]");
    sw_ctx *ctx = sw_ctx_new();
    char found[4096];
    const char *path = sw_model_find(ctx, argv[2], found, sizeof found);
    sw_model *m = path ? sw_model_load(ctx, path) : NULL;
    int status = 0;
    if (!m) {
        status = cli_fail(sw_ctx_errcode(ctx), sw_ctx_errmsg(ctx));
    } else if (argc == 4) {
        printf("%s\n", sw_model_header(m));
    } else {
        printf("%s: valid sitewatch model\n", path);
        printf("  bands %d, trained at %.2f m per pixel, %lld parameters, context %d px, tiles in multiples of %d\n",
               sw_model_bands(m), sw_model_gsd(m), (long long)sw_model_parameters(m), sw_model_halo(m),
               sw_model_multiple(m));
        printf("  change where the probability exceeds %.2f", sw_model_threshold(m));
        if (sw_model_tta_threshold(m) != sw_model_threshold(m))
            printf(" (%.2f with --tta)", sw_model_tta_threshold(m));
        printf("\n");
        printf("  header: %s\n", "(sitewatch model info FILE --json prints it whole)");
    }
    sw_model_free(m);
    sw_ctx_free(ctx);
    return status;
}
