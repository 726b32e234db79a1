/*
 * fuzz_options.c: libFuzzer harness for option values as the command line
 * takes them (cli/): the input's first byte picks a command, the rest is
 * split at newlines into up to 16 arguments after it, and the program's own
 * main runs them. Inputs that do not exist keep any command from writing
 * outputs once its options parse; every run must end with status 0, 1 or 2
 * and never crash. It runs in its own scratch folder, and arguments that
 * are absolute paths or climb with ".." are replaced, so that whatever a
 * command writes (an export's -o) stays there. (--config is left out: it
 * sets GDAL's options for the rest of the process.)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define main sw_cli_main
#include "../../cli/main.c"
#undef main

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char db[128], out[128];
    if (!db[0]) {
        char aoi[128];
        static const char text[] = "{\"type\":\"Feature\",\"properties\":{},\"geometry\":{\"type\":\"Point\","
                                   "\"coordinates\":[127.53,39.92]}}";
        if (fuzz_file("aoi.geojson", (const uint8_t *)text, sizeof text - 1, aoi, sizeof aoi))
            return 0;
        snprintf(db, sizeof db, "%.100s.db", aoi);
        snprintf(out, sizeof out, "%.100s.out", aoi);
        sw_ctx *c = sw_ctx_new();
        sw_catalog *cat = sw_catalog_open(c, db, 1);
        if (cat)
            sw_site_add(c, cat, "s", aoi, 200, 0, NULL);
        sw_catalog_close(cat);
        sw_ctx_free(c);
        if (!freopen("/dev/null", "w", stdout))
            return 0;
        char *slash = strrchr(aoi, '/');
        if (slash)
            *slash = '\0';
        if (chdir(aoi) != 0) /* the scratch folder: relative outputs land there */
            abort();
    }
    if (size < 1)
        return 0;
    static const char *const cmds[][8] = {
        {"detect", "/nonexistent/a.tif", "/nonexistent/b.tif", "-o", NULL},
        {"--db", NULL, "alerts"},
        {"--db", NULL, "site", "add", "t", "--aoi", "/nonexistent.geojson"},
        {"eval", "/nonexistent/p.tif", "/nonexistent/t.tif"},
        {"--db", NULL, "ingest", "s", "/nonexistent.tif"},
        {"--db", NULL, "timeline", "s"},
        {"--db", NULL, "export", "s", "-f", "geojson", "-o", NULL},
        {"--db", NULL, "jobs"},
    };
    static const int ncmd[] = {5, 3, 7, 3, 5, 4, 8, 3};
    int k = data[0] % 8;
    char *argv[32];
    int argc = 0;
    argv[argc++] = "sitewatch";
    for (int i = 0; i < ncmd[k]; i++)
        argv[argc++] = (char *)(cmds[k][i] ? cmds[k][i] : i == 1 ? db : out);
    char *copy = malloc(size);
    if (!copy)
        return 0;
    memcpy(copy, data + 1, size - 1);
    copy[size - 1] = '\0';
    for (char *p = copy, *tok; argc < 30 && p <= copy + size - 1; p = tok + 1) {
        tok = memchr(p, '\n', (size_t)(copy + size - 1 - p));
        if (!tok)
            tok = copy + size - 1;
        *tok = '\0';
        argv[argc++] = !strcmp(p, "--config") ? "--not-config" : p[0] == '/' || strstr(p, "..") ? "x" : p;
    }
    argv[argc] = NULL;
    int st = sw_cli_main(argc, argv);
    if (st < 0 || st > 2)
        abort();
    free(copy);
    return 0;
}
