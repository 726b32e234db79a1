/* cmd_detect.c: `sitewatch detect BEFORE AFTER -o OUTDIR [options]`. */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sitewatch detect BEFORE AFTER -o OUTDIR [options]\n"
            "\n"
            "BEFORE, AFTER: a raster GDAL reads, a folder of single-band files (a Sentinel-2\n"
            "band set: B01..B12, B8A), @LIST (a text file naming such files one per line), or\n"
            "a product as delivered: a Sentinel-2 .SAFE (L1C, L2A), a Landsat Collection 2\n"
            "folder, a PlanetScope scene, a STAC Item (FILE.json, or COLLECTION.json#ID).\n"
            "A product's own mask (scene classification, QA_PIXEL, UDM2) is used unless\n"
            "--mask-before/--mask-after are given. Dates whose bands differ (Sentinel-2 and\n"
            "Landsat) are compared on the bands both name (blue, green, red, nir ...).\n"
            "AFTER is put on BEFORE's grid; outputs are on BEFORE's grid.\n"
            "\n"
            "  -o, --output DIR        where to write the outputs (created if missing)\n"
            "  -co KEY=VALUE           a GeoTIFF creation option for score.tif and mask.tif, as\n"
            "                          GDAL's (any number; they override sitewatch's own)\n"
            "  -of GTiff               accepted, as GDAL's: the rasters are GeoTIFF\n"
            "  -m, --method M          auto (default: from the bands, sensor and pixel size: logratio\n"
            "                          for SAR and gray pairs, a shipped model for RGB at 0.2-7.5 m,\n"
            "                          irmad for other RGB, cva for multispectral), or one of the\n"
            "                          methods listed below\n"
            "  -t, --threshold T       otsu, ki (Kittler-Illingworth), chi2[:P] (IR-MAD, no-change\n"
            "                          probability P, default 0.01) or a score value; default: a\n"
            "                          model's own, ki where auto runs cva on multispectral\n"
            "                          imagery, else otsu\n"
            "  -a, --min-area A        drop objects smaller than A m^2 (pixels without\n"
            "                          georeferencing); default 10 pixels\n"
            "      --mask-before FILE, --mask-after FILE\n"
            "                          usability masks (PlanetScope UDM2: band 1, usable where\n"
            "                          non-zero); on the image's grid or georeferenced\n"
            "      --mask-band N       the masks' band (default 1)\n"
            "      --mask-cloudy       the masks mark clouds: usable where zero (Sentinel-2)\n"
            "      --slivers W         drop objects thinner than W pixels on average and four times\n"
            "                          as long: edges left by misregistration (e.g. 1.5)\n"
            "      --fill-holes A      fill unchanged holes up to A m^2 (pixels without\n"
            "                          georeferencing) inside a change object (default: off)\n"
            "      --cloud-screen      mask clouds and their shadows found by comparing the dates\n"
            "                          (for dates without a mask; off by default)\n"
            "      --morph M[:R]       clean the mask before objects: none (default), open,\n"
            "                          close, open-close; square of side 2R+1 (R default 1)\n"
            "  -b, --bands LIST        bands by 1-based index or name: 3,2,1 or B04,B03,B02,B08\n"
            "  -r, --resampling R      warping of AFTER onto BEFORE's grid: bilinear (default),\n"
            "                          near, cubic (a co-registration shift is always bilinear)\n"
            "      --coreg on|off      estimate AFTER's sub-pixel shift (phase correlation) and\n"
            "                          correct it when reliable and >= 0.1 px (default: on,\n"
            "                          but only reported for -m learned)\n"
            "      --normalize on|off  diff, pcakm: fit AFTER's radiometry to BEFORE's per band on\n"
            "                          IR-MAD's unchanged pixels; logratio: remove a gain between\n"
            "                          the dates (the log-ratio of unchanged ground) (default on)\n"
            "  -j, --threads N         worker threads (default: all cores it may run on)\n"
            "      --tile-rows N       strip height in rows (default: from --max-memory)\n"
            "      --max-memory SIZE   memory budget, e.g. 512M (default 1G)\n"
            "      --sample-pixels N   pixels sampled to fit the method (default 1000000)\n"
            "      --max-pixels N      refuse a pair of more pixels up front (default 4294967296)\n"
            "      --model FILE|NAME   learned: the model file, or a shipped one by name: buildings (new or\n"
            "                          removed buildings; the default unless $SITEWATCH_MODEL says otherwise)\n"
            "                          or change (any land-cover change: buildings, roads, cleared ground)\n"
            "      --gsd M             learned, without georeferencing: metres per pixel\n"
            "      --tta               learned: average the model over the image and its three mirror\n"
            "                          images (test-time augmentation; four times the model's time)\n"
            "  -q, --quiet             no progress bar and no summary line\n"
            "  -h, --help              this help\n"
            "\n"
            "methods:\n");
    const char *help;
    for (int i = 0; sw_method_help(i, &help); i++)
        fprintf(f, "  %-10s %s\n", sw_method_help(i, NULL), help);
}

int cmd_detect(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"output", required_argument, 0, 'o'},      {"method", required_argument, 0, 'm'},
        {"threshold", required_argument, 0, 't'},   {"min-area", required_argument, 0, 'a'},
        {"bands", required_argument, 0, 'b'},       {"resampling", required_argument, 0, 'r'},
        {"threads", required_argument, 0, 'j'},     {"tile-rows", required_argument, 0, 1},
        {"max-memory", required_argument, 0, 2},    {"sample-pixels", required_argument, 0, 3},
        {"model", required_argument, 0, 4},         {"gsd", required_argument, 0, 5},
        {"coreg", required_argument, 0, 6},         {"normalize", required_argument, 0, 7},
        {"morph", required_argument, 0, 8},         {"mask-before", required_argument, 0, 9},
        {"mask-after", required_argument, 0, 10},   {"mask-band", required_argument, 0, 11},
        {"mask-cloudy", no_argument, 0, 12},
        {"cloud-screen", no_argument, 0, 30},
        {"slivers", required_argument, 0, 31},      {"fill-holes", required_argument, 0, 32},
        {"max-pixels", required_argument, 0, 33},   {"tta", no_argument, 0, 34},
        {"quiet", no_argument, 0, 'q'},             {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    sw_detect_opts o;
    sw_detect_opts_init(&o);
    const char *outdir = NULL, *threshold = NULL;
    int quiet = 0, c;
    long long n;
    /* GDAL's -co KEY=VALUE (any number) and -of FORMAT, taken out before
     * getopt would read them as -c -o and -o f. */
    enum { MAXCO = 32 };
    const char *co[MAXCO + 1] = {0};
    int nco = 0;
    for (int i = 1; i < argc;) {
        int isco = strcmp(argv[i], "-co") == 0, isof = strcmp(argv[i], "-of") == 0;
        if (!isco && !isof) {
            i++;
            continue;
        }
        if (i + 1 >= argc)
            return cli_usage("detect", "%s needs a value", argv[i]);
        const char *v = argv[i + 1];
        if (isco && (!strchr(v, '=') || v[0] == '='))
            return cli_usage("detect", "-co needs KEY=VALUE, got '%s'", v);
        if (isco && nco == MAXCO)
            return cli_usage("detect", "at most %d creation options", MAXCO);
        if (isof && strcasecmp(v, "GTiff") && strcasecmp(v, "GeoTIFF"))
            return cli_usage("detect", "-of: detect writes GeoTIFF (score.tif, mask.tif), not '%s'", v);
        if (isco)
            co[nco++] = v;
        memmove(argv + i, argv + i + 2, (size_t)(argc - i - 2 + 1) * sizeof *argv);
        argc -= 2;
    }
    o.creation_options = nco ? co : NULL;
    optind = 0; /* 0, not 1: getopt forgets an earlier scan (glibc) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:m:t:a:b:r:j:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'o': outdir = optarg; break;
        case 'm':
            if (!sw_method_exists(optarg))
                return cli_usage("detect", "unknown method '%s' (%s)", optarg, cli_method_names());
            o.method = optarg;
            break;
        case 't': threshold = optarg; break;
        case 'a':
            if (cli_number(optarg, 0, 1e15, &o.min_area))
                return cli_usage("detect", "--min-area needs a number >= 0, got '%s'", optarg);
            break;
        case 'b':
            if (!*optarg)
                return cli_usage("detect", "--bands needs a list such as 3,2,1 or B04,B03,B02");
            o.bands = optarg;
            break;
        case 'r':
            if (strcmp(optarg, "near") && strcmp(optarg, "bilinear") && strcmp(optarg, "cubic") &&
                strcmp(optarg, "cubicspline") && strcmp(optarg, "lanczos") && strcmp(optarg, "average"))
                return cli_usage("detect", "unknown resampling '%s'", optarg);
            o.resampling = optarg;
            break;
        case 'j':
            if (cli_count(optarg, 1, 1024, &n))
                return cli_usage("detect", "--threads needs a count from 1 to 1024, got '%s'", optarg);
            o.threads = (int)n;
            break;
        case 1:
            if (cli_count(optarg, 1, 65536, &n))
                return cli_usage("detect", "--tile-rows needs a count from 1 to 65536, got '%s'", optarg);
            o.tile_rows = (int)n;
            break;
        case 2:
            if ((o.max_memory = cli_parse_size(optarg)) < 0)
                return cli_usage("detect", "--max-memory needs a size such as 512M, got '%s'", optarg);
            break;
        case 3:
            if (cli_count(optarg, 1000, 1000000000000LL, &n))
                return cli_usage("detect", "--sample-pixels needs a count of at least 1000, got '%s'", optarg);
            o.sample_pixels = n;
            break;
        case 4: o.model_path = optarg; break;
        case 5:
            if (cli_number(optarg, 1e-6, 1e6, &o.gsd))
                return cli_usage("detect", "--gsd needs metres per pixel > 0, got '%s'", optarg);
            break;
        case 6:
            if (strcmp(optarg, "on") && strcmp(optarg, "off"))
                return cli_usage("detect", "--coreg takes on or off, got '%s'", optarg);
            o.coregister = strcmp(optarg, "on") == 0;
            break;
        case 7:
            if (strcmp(optarg, "on") && strcmp(optarg, "off"))
                return cli_usage("detect", "--normalize takes on or off, got '%s'", optarg);
            o.normalize = strcmp(optarg, "on") == 0;
            break;
        case 8: {
            char name[32];
            const char *colon = strchr(optarg, ':');
            size_t len = colon ? (size_t)(colon - optarg) : strlen(optarg);
            long long radius = 1;
            snprintf(name, sizeof name, "%.*s", (int)(len < sizeof name ? len : sizeof name - 1), optarg);
            if (len >= sizeof name || sw_morph_parse(name, &o.morph) != 0 ||
                (colon && cli_count(colon + 1, 1, 16, &radius)))
                return cli_usage("detect", "--morph takes none, open, close or open-close, with :R for a radius 1-16; got '%s'", optarg);
            o.morph_radius = (int)radius;
            break;
        }
        case 34: o.tta = 1; break;
        case 9: o.mask_before = optarg; break;
        case 10: o.mask_after = optarg; break;
        case 11:
            if (cli_count(optarg, 1, 100000, &n))
                return cli_usage("detect", "--mask-band needs a band number >= 1, got '%s'", optarg);
            o.mask_band = (int)n;
            break;
        case 12: o.mask_cloudy = 1; break;
        case 30: o.cloud_screen = 1; break;
        case 31:
            if (cli_number(optarg, 1e-9, 100, &o.sliver_width))
                return cli_usage("detect", "--slivers needs a width in pixels, 0-100, got '%s'", optarg);
            break;
        case 32:
            o.fill_holes = INFINITY; /* "inf": holes of any size */
            if (strcmp(optarg, "inf") && cli_number(optarg, 0, 1e300, &o.fill_holes))
                return cli_usage("detect", "--fill-holes needs an area >= 0, got '%s'", optarg);
            break;
        case 33:
            if (cli_count(optarg, 1, INT64_MAX, &n))
                return cli_usage("detect", "--max-pixels needs a count >= 1, got '%s'", optarg);
            o.max_pixels = n;
            break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        case ':': return cli_usage("detect", "option %s needs a value", argv[optind - 1]);
        default: return cli_usage("detect", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage("detect", "needs BEFORE and AFTER (got %d paths)", argc - optind);
    if (!outdir)
        return cli_usage("detect", "needs -o OUTDIR");
    if (threshold) {
        if (strcmp(threshold, "otsu") == 0) {
            o.threshold = SW_THRESHOLD_OTSU;
        } else if (strcmp(threshold, "ki") == 0) {
            o.threshold = SW_THRESHOLD_KI;
        } else if (strncmp(threshold, "chi2", 4) == 0) {
            o.threshold = SW_THRESHOLD_CHI2;
            if (threshold[4] == ':') {
                if (cli_number(threshold + 5, 1e-300, 1, &o.threshold_value) || o.threshold_value >= 1)
                    return cli_usage("detect", "chi2:P needs a probability in (0, 1), got '%s'", threshold + 5);
            } else if (threshold[4]) {
                return cli_usage("detect", "unknown threshold '%s'", threshold);
            }
        } else {
            o.threshold = SW_THRESHOLD_FIXED;
            if (cli_number(threshold, -1e30, 1e30, &o.threshold_value))
                return cli_usage("detect", "unknown threshold '%s' (otsu, ki, chi2[:P] or a number)", threshold);
        }
    }
    cli_progress prog;
    cli_progress_init(&prog, quiet);
    o.progress = cli_progress_cb;
    o.progress_user = &prog;
    o.command_line = cli_command_line();
    sw_ctx *ctx = sw_ctx_new();
    sw_detect_result res;
    int rc = sw_detect_run(ctx, argv[optind], argv[optind + 1], outdir, &o, &res);
    cli_progress_end(&prog);
    int status = 0;
    if (!rc && sw_ctx_warning(ctx))
        fprintf(stderr, "sitewatch: warning: %s\n", sw_ctx_warning(ctx));
    if (rc)
        status = cli_fail(rc, sw_ctx_errmsg(ctx));
    else if (!quiet)
        printf("%lld x %lld px, %lld valid; threshold %.6g; %lld objects, %lld changed px (%.1f %s); %.2f s\n",
               (long long)res.width, (long long)res.height, (long long)res.valid_pixels, res.threshold,
               (long long)res.objects, (long long)res.changed_pixels, res.changed_area_m2,
               res.georeferenced ? "m2" : "px", res.seconds);
    sw_ctx_free(ctx);
    return status;
}
