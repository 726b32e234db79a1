/* cmd_synth.c: `sitewatch synth OUTDIR [options]`. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sitewatch synth OUTDIR [options]\n"
            "\n"
            "Writes before.tif, after.tif (uint16, georeferenced, UTM 52N) and truth.tif\n"
            "(1 = new building) into OUTDIR.\n"
            "\n"
            "  -s, --size N          width and height in pixels (default 1024)\n"
            "      --width N, --height N\n"
            "  -b, --bands N         3 (R,G,B) or 4 (B,G,R,NIR; default)\n"
            "  -g, --gsd M           pixel size in metres (default 0.5)\n"
            "      --shift DX,DY     date-2 shift in pixels (default 0.3,-0.2)\n"
            "      --seed N          random seed (default 1)\n"
            "      --no-compress     write uncompressed tiles\n"
            "  -q, --quiet           no progress bar\n");
}

int cmd_synth(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"size", required_argument, 0, 's'},  {"width", required_argument, 0, 1},
        {"height", required_argument, 0, 2},  {"bands", required_argument, 0, 'b'},
        {"gsd", required_argument, 0, 'g'},   {"shift", required_argument, 0, 3},
        {"seed", required_argument, 0, 4},    {"no-compress", no_argument, 0, 5},
        {"quiet", no_argument, 0, 'q'},       {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    sw_synth_opts o;
    sw_synth_opts_init(&o);
    int quiet = 0, c;
    char *end;
    long long n;
    optind = 0; /* 0, not 1: getopt forgets an earlier scan (glibc) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:b:g:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (cli_count(optarg, 1, 1000000, &n))
                return cli_usage("synth", "bad size '%s'", optarg);
            o.width = o.height = n;
            break;
        case 1:
            if (cli_count(optarg, 1, 1000000, &n))
                return cli_usage("synth", "bad width '%s'", optarg);
            o.width = n;
            break;
        case 2:
            if (cli_count(optarg, 1, 1000000, &n))
                return cli_usage("synth", "bad height '%s'", optarg);
            o.height = n;
            break;
        case 'b':
            if (cli_count(optarg, 1, 64, &n))
                return cli_usage("synth", "bad band count '%s'", optarg);
            o.bands = (int)n;
            break;
        case 'g':
            if (cli_number(optarg, 1e-3, 1e4, &o.gsd))
                return cli_usage("synth", "bad pixel size '%s'", optarg);
            break;
        case 3:
            if (sscanf(optarg, "%lf,%lf", &o.shift_x, &o.shift_y) != 2 || !isfinite(o.shift_x) ||
                !isfinite(o.shift_y) || fabs(o.shift_x) > 100 || fabs(o.shift_y) > 100)
                return cli_usage("synth", "--shift needs DX,DY, got '%s'", optarg);
            break;
        case 4: o.seed = (uint32_t)strtoul(optarg, &end, 10); if (*end) return cli_usage("synth", "bad seed '%s'", optarg); break;
        case 5: o.compress = 0; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        case ':': return cli_usage("synth", "option %s needs a value", argv[optind - 1]);
        default: return cli_usage("synth", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 1)
        return cli_usage("synth", "needs one OUTDIR");
    cli_progress prog;
    cli_progress_init(&prog, quiet);
    sw_ctx *ctx = sw_ctx_new();
    int64_t nnew = 0;
    int rc = sw_synth_pair(ctx, argv[optind], &o, &nnew, cli_progress_cb, &prog);
    cli_progress_end(&prog);
    int status = rc ? cli_fail(rc, sw_ctx_errmsg(ctx)) : 0;
    if (!rc && !quiet)
        printf("%s: before.tif, after.tif, truth.tif (%lld x %lld px, %d bands, %.2f m, %lld new buildings)\n",
               argv[optind], (long long)o.width, (long long)o.height, o.bands, o.gsd, (long long)nnew);
    sw_ctx_free(ctx);
    return status;
}
