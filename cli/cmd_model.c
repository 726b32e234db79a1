/* cmd_model.c: `sitewatch model info FILE`. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cmd_model(int argc, char **argv)
{
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: sitewatch model info FILE|NAME [--json]\n\n"
               "Checks a sitewatch model file (magic, version, checksum, layer shapes)\n"
               "and prints what it is: architecture, bands, pixel size, provenance.\n"
               "NAME is a shipped model: buildings (the default) or change.\n");
        return 0;
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
        printf("  change where the probability exceeds %.2f\n", sw_model_threshold(m));
        printf("  header: %s\n", "(sitewatch model info FILE --json prints it whole)");
    }
    sw_model_free(m);
    sw_ctx_free(ctx);
    return status;
}
