/*
 * main.c: the sitewatch program: a thin front over libsitewatch. Each
 * subcommand lives in cmd_<name>.c; this file dispatches and holds the
 * helpers they share (errors, progress, sizes).
 */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

static char cmdline[4096];

/* The allocator, set for this process only (the library leaves it to the
 * program that hosts it). A detect frees and allocates tens of MB per pass
 * and GDAL's block cache churns; by default glibc hands freed memory back to
 * the kernel (one arena per thread, each trimmed) and takes it back as fresh
 * zeroed pages, a fault per 4 KiB: about 206 000 faults, a sixth of a 4096²
 * IR-MAD run. One arena, a fixed mmap threshold and trimming only above
 * 256 MB keep that memory in use: 3.6 -> 2.8 s there, peak within 1 %. */
static void tune_allocator(void)
{
#if defined(M_ARENA_MAX) && defined(M_MMAP_THRESHOLD) && defined(M_TRIM_THRESHOLD)
    mallopt(M_ARENA_MAX, 1);
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 256 << 20);
#endif
}

void cli_set_command_line(int argc, char **argv)
{
    size_t n = 0;
    for (int i = 0; i < argc && n < sizeof cmdline - 1; i++)
        n += (size_t)snprintf(cmdline + n, sizeof cmdline - n, "%s%s", i ? " " : "", argv[i]);
}

const char *cli_command_line(void)
{
    return cmdline;
}

int cli_fail(int code, const char *msg)
{
    fprintf(stderr, "sitewatch: error: %s\n", msg && *msg ? msg : sw_strerror(code));
    return code == SW_EARG ? EXIT_USAGE : EXIT_JOB;
}

const char *cli_method_names(void)
{
    static char names[256];
    size_t n = 0;
    for (int i = 0; sw_method_help(i, NULL) && n < sizeof names; i++)
        n += (size_t)snprintf(names + n, sizeof names - n, "%s, ", sw_method_help(i, NULL));
    if (n < sizeof names)
        snprintf(names + n, sizeof names - n, "auto");
    return names;
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "sitewatch %s: %s (see 'sitewatch %s --help')\n", cmd, msg, cmd);
    return EXIT_USAGE;
}

void cli_progress_init(cli_progress *p, int quiet)
{
    p->enabled = !quiet;
    p->tty = isatty(STDERR_FILENO);
    p->last = -1;
}

int cli_progress_cb(double done, const char *msg, void *user)
{
    cli_progress *p = user;
    if (!p->enabled)
        return 1;
    if (!p->tty) {
        /* To a log, as GDAL's utilities: 0...10...20...30 ... 100 - done. */
        int tick = (int)(done * 40.0 + 1e-9);
        tick = tick > 40 ? 40 : tick;
        for (int t = p->last + 1; t <= tick; t++)
            fprintf(stderr, t % 4 == 0 ? "%d" : ".", t * 10 / 4);
        if (tick > p->last) {
            if (tick == 40)
                fprintf(stderr, " - done.\n");
            p->last = tick;
            fflush(stderr);
        }
        return 1;
    }
    int pct = (int)(done * 100.0);
    if (pct == p->last)
        return 1;
    p->last = pct;
    int bar = pct * 30 / 100;
    fprintf(stderr, "\r[%.*s%*s] %3d%% %-12s", bar, "##############################", 30 - bar, "", pct,
            msg ? msg : "");
    fflush(stderr);
    return 1;
}

void cli_progress_end(cli_progress *p)
{
    if (p->enabled && p->tty && p->last >= 0)
        fprintf(stderr, "\r%60s\r", "");
    else if (p->enabled && !p->tty && p->last >= 0 && p->last < 40)
        fprintf(stderr, "\n"); /* cut short: what follows starts a line */
}

void cli_json_fstr(FILE *f, const char *s)
{
    if (!s) {
        fputs("null", f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

void cli_json_str(const char *s)
{
    cli_json_fstr(stdout, s);
}

int cli_number(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno == ERANGE || !isfinite(v) || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int cli_count(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno == ERANGE || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

int cli_date(const char *s)
{
    static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, m, d, n = 0;
    if (strlen(s) < 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10 || s[4] != '-' || s[7] != '-')
        return -1;
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > days[m - 1] ||
        (m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))))
        return -1;
    /* a time may follow: THH:MM[:SS][Z] */
    const char *t = s + 10;
    if (!*t)
        return 0;
    int hh, mm, ss = 0, k = 0;
    if (sscanf(t, "T%2d:%2d%n", &hh, &mm, &k) != 2 || hh > 23 || mm > 59)
        return -1;
    t += k;
    if (*t == ':' && (sscanf(t, ":%2d%n", &ss, &k) != 1 || ss > 59 || (t += k, 0)))
        return -1;
    return (!*t || !strcmp(t, "Z")) ? 0 : -1;
}

int64_t cli_parse_size(const char *s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || !(v > 0) || !isfinite(v) || errno == ERANGE)
        return -1;
    double mult = 1;
    switch (*end) {
    case 'k': case 'K': mult = 1024.0; end++; break;
    case 'm': case 'M': mult = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mult = 1024.0 * 1024 * 1024; end++; break;
    case '\0': break;
    default: return -1;
    }
    if (*end == 'B' || *end == 'b' || *end == 'i')
        end++;
    if (*end || v * mult > 9.0e18)
        return -1;
    return (int64_t)(v * mult);
}

/* Raster file names sitewatch takes from folders: any image GDAL reads,
 * or, for scenes, the georeferenced formats without PlanetScope's masks and
 * the PNG/JPEG previews that come with downloads. */
static int raster_name(const char *n, int scenes)
{
    static const char *const ext[] = {".tif", ".tiff", ".jp2", ".img", ".vrt", ".png", ".bmp", ".jpg", ".jpeg", NULL};
    const char *d = strrchr(n, '.');
    if (!d || n[0] == '.')
        return 0;
    if (scenes && (strstr(n, "_udm") || strstr(n, "_UDM")))
        return 0;
    for (int i = 0; ext[i]; i++)
        if (strcasecmp(d, ext[i]) == 0)
            return !scenes || i < 5;
    return 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **cli_list_rasters(const char *dir, int scenes, int *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    int cap = 64;
    char **v = malloc((size_t)cap * sizeof *v);
    struct dirent *de;
    while (v && (de = readdir(d))) {
        if (!raster_name(de->d_name, scenes))
            continue;
        if (*n == cap) {
            cap *= 2;
            char **nv = realloc(v, (size_t)cap * sizeof *nv);
            if (!nv)
                break;
            v = nv;
        }
        v[(*n)++] = strdup(de->d_name);
    }
    closedir(d);
    if (v)
        qsort(v, (size_t)*n, sizeof *v, cmp_name);
    return v;
}

void cli_free_list(char **v, int n)
{
    for (int i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

int cli_each_scene(const char *arg, int (*fn)(const char *path, void *user), void *user)
{
    struct stat st;
    /* A band set (a Sentinel-2 folder of band files) or a product folder
     * (.SAFE, Landsat, PlanetScope) is one scene; any other folder holds
     * scenes. */
    if (stat(arg, &st) != 0 || !S_ISDIR(st.st_mode) || sw_path_is_product(arg))
        return fn(arg, user);
    int n = 0, failed = 0;
    char **names = cli_list_rasters(arg, 1, &n);
    for (int k = 0; k < n; k++) {
        size_t len = strlen(arg) + strlen(names[k]) + 2;
        char *full = malloc(len);
        if (!full) {
            failed = failed ? failed : cli_fail(SW_ENOMEM, "out of memory");
            break;
        }
        snprintf(full, len, "%s/%s", arg, names[k]);
        int one = fn(full, user);
        failed = failed ? failed : one;
        free(full);
    }
    cli_free_list(names, n);
    return failed;
}

void cli_alert_json(FILE *f, const sw_alert_row *a)
{
    fprintf(f, "{\"id\":%lld,\"object_id\":%lld,\"site\":", (long long)a->id, (long long)a->object_id);
    cli_json_fstr(f, a->site);
    fputs(",\"state\":", f);
    cli_json_fstr(f, a->state);
    fputs(",\"created\":", f);
    cli_json_fstr(f, a->created);
    fputs(",\"message\":", f);
    cli_json_fstr(f, a->message);
    fputs(",\"object\":{\"status\":", f);
    cli_json_fstr(f, a->status);
    fputs(",\"first_seen\":", f);
    cli_json_fstr(f, a->first_seen[0] ? a->first_seen : NULL);
    fputs(",\"last_seen\":", f);
    cli_json_fstr(f, a->last_seen[0] ? a->last_seen : NULL);
    fputs(",\"confirmed\":", f);
    cli_json_fstr(f, a->confirmed[0] ? a->confirmed : NULL);
    fprintf(f, ",\"area_m2\":%.1f", a->area_m2);
    if (isnan(a->lon))
        fputs(",\"lon\":null,\"lat\":null", f);
    else
        fprintf(f, ",\"lon\":%.6f,\"lat\":%.6f", a->lon, a->lat);
    fputs(",\"mgrs\":", f);
    cli_json_fstr(f, a->mgrs[0] ? a->mgrs : NULL);
    fputs("},\"raised\":", f);
    cli_json_fstr(f, a->raised);
    fputc('}', f);
}

void cli_print_alert(const sw_alert *a)
{
    printf("ALERT %s: new object %lld, %.0f m2, first seen %s, confirmed %s (alert %lld)\n", a->site,
           (long long)a->object_id, a->area_m2, a->first_seen, a->date, (long long)a->id);
}

static const char *chips; /* --chips DIR or $SITEWATCH_CHIPS */

sw_catalog *cli_catalog_open(sw_ctx *ctx, const char *db, int create)
{
    sw_catalog *cat = sw_catalog_open(ctx, db, create);
    if (!cat || !chips || !*chips)
        return cat;
    /* Recorded absolute: workers start in other folders. */
    char abs[4096];
    if (chips[0] == '/' || !getcwd(abs, sizeof abs - strlen(chips) - 2))
        snprintf(abs, sizeof abs, "%s", chips);
    else
        snprintf(abs + strlen(abs), sizeof abs - strlen(abs), "/%s", chips);
    const char *now = sw_catalog_chip_store(cat);
    if ((!now || strcmp(now, abs)) && sw_catalog_set_chip_store(ctx, cat, abs) != 0) {
        sw_catalog_close(cat);
        return NULL;
    }
    return cat;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sitewatch [--db CATALOG] [--chips DIR] [--config KEY VALUE] COMMAND [options]\n"
            "\n"
            "commands:\n"
            "  detect BEFORE AFTER -o OUTDIR   change between two images: score.tif, mask.tif,\n"
            "                                  changes.geojson/.gpkg, summary.json, quicklook.png\n"
            "  eval PRED TRUTH                 precision, recall, F1, IoU, OA, kappa (files or folders)\n"
            "  synth OUTDIR                    a synthetic georeferenced pair with its truth\n"
            "  model list | info FILE          the shipped models; check a model file and say what it is\n"
            "  site add|list|show|set|rm       the watched sites in the catalog (--db, $SITEWATCH_DB,\n"
            "                                  or ./sitewatch.db; postgresql://... for PostgreSQL)\n"
            "  ingest SITE SCENE...            cut scenes to a site's grid, record them, follow\n"
            "                                  change objects across dates, raise alerts\n"
            "  timeline SITE                   per date: usable fraction, change, new objects\n"
            "  alerts [ack|dismiss ID]         list alerts, or acknowledge or dismiss one\n"
            "  export SITE -f smart|geojson|gpkg -o OUT   a site's change objects\n"
            "  report SITE -o REPORT.html      the site's evidence report, one self-contained HTML file\n"
            "  enqueue SITE SCENE...           queue scenes as jobs instead of ingesting them now\n"
            "  worker                          do queued jobs (many at once: contrib/slurm/)\n"
            "  jobs                            the queue: queued, running, done, failed, with reasons\n"
            "  demo [DIR]                      the built-in example: a plant that grows over a year\n"
            "                                  of scenes, watched as a site, with its report\n"
            "  version                         versions of sitewatch and its libraries\n"
            "\n"
            "'sitewatch COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    tune_allocator();
    cli_set_command_line(argc, argv);
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    /* GDAL's --config KEY VALUE, anywhere on the line, as its utilities
     * take it. */
    for (int i = 1; i < argc;) {
        if (strcmp(argv[i], "--config") != 0) {
            i++;
            continue;
        }
        if (i + 2 >= argc) {
            fprintf(stderr, "sitewatch: --config needs KEY VALUE\n");
            return EXIT_USAGE;
        }
        sw_config_set(argv[i + 1], argv[i + 2]);
        memmove(argv + i, argv + i + 3, (size_t)(argc - i - 3 + 1) * sizeof *argv);
        argc -= 3;
    }
    /* Global options, before the command. */
    const char *db = getenv("SITEWATCH_DB");
    chips = getenv("SITEWATCH_CHIPS");
    while (argc >= 2 && (strcmp(argv[1], "--db") == 0 || strcmp(argv[1], "--chips") == 0)) {
        if (argc < 3) {
            fprintf(stderr, "sitewatch: %s needs a %s\n", argv[1], argv[1][2] == 'd' ? "catalog" : "folder");
            return EXIT_USAGE;
        }
        if (argv[1][2] == 'd')
            db = argv[2];
        else
            chips = argv[2];
        argc -= 2;
        argv += 2;
    }
    if (!db || !*db)
        db = "sitewatch.db";
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "detect") == 0)
        return cmd_detect(argc - 1, argv + 1);
    if (strcmp(cmd, "eval") == 0)
        return cmd_eval(argc - 1, argv + 1);
    if (strcmp(cmd, "synth") == 0)
        return cmd_synth(argc - 1, argv + 1);
    if (strcmp(cmd, "model") == 0)
        return cmd_model(argc - 1, argv + 1);
    if (strcmp(cmd, "site") == 0)
        return cmd_site(argc - 1, argv + 1, db);
    if (strcmp(cmd, "ingest") == 0)
        return cmd_ingest(argc - 1, argv + 1, db);
    if (strcmp(cmd, "timeline") == 0)
        return cmd_timeline(argc - 1, argv + 1, db);
    if (strcmp(cmd, "alerts") == 0)
        return cmd_alerts(argc - 1, argv + 1, db);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc - 1, argv + 1, db);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 1, argv + 1, db);
    if (strcmp(cmd, "enqueue") == 0)
        return cmd_enqueue(argc - 1, argv + 1, db);
    if (strcmp(cmd, "worker") == 0)
        return cmd_worker(argc - 1, argv + 1, db);
    if (strcmp(cmd, "jobs") == 0)
        return cmd_jobs(argc - 1, argv + 1, db);
    if (strcmp(cmd, "demo") == 0)
        return cmd_demo(argc - 1, argv + 1);
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("%s\n", sw_version());
        return 0;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return 0;
    }
    fprintf(stderr, "sitewatch: unknown command '%s'\n", cmd);
    usage(stderr);
    return EXIT_USAGE;
}
