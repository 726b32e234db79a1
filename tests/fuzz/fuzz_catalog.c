/*
 * fuzz_catalog.c: libFuzzer harness for a catalog's rows as sitewatch reads
 * them (src/catalog/): any bytes as a SQLite catalog file, opened (and
 * migrated when it is one), its sites, scenes, alerts and jobs listed and
 * its objects exported. It must be refused with a message or read without
 * a crash, a leak or a sanitizer report.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "sitewatch/sitewatch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

typedef struct seen {
    sw_ctx *ctx;
    sw_catalog *cat;
    char out[160];
} seen;

static int scene(const sw_scene *s, void *user)
{
    (void)user;
    return s->acquired[10] != '\0'; /* a date is 10 characters, NUL-ended */
}

static int alert(const sw_alert_row *a, void *user)
{
    (void)user;
    if (a->message && strlen(a->message) > 4096)
        abort();
    return 0;
}

static int job(const sw_job *j, void *user)
{
    (void)j;
    (void)user;
    return 0;
}

static int site(const sw_site *s, void *user)
{
    seen *w = user;
    (void)sw_scene_list(w->ctx, w->cat, s->name, scene, NULL);
    (void)sw_alert_list(w->ctx, w->cat, s->name, NULL, alert, NULL);
    int64_t n = 0;
    (void)sw_site_export(w->ctx, w->cat, s->name, "geojson", w->out, &n);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[128];
    if (fuzz_file("catalog.db", data, size, path, sizeof path))
        return 0;
    seen w = {.ctx = sw_ctx_new()};
    snprintf(w.out, sizeof w.out, "%s.geojson", path);
    w.cat = sw_catalog_open(w.ctx, path, 0);
    if (w.cat) {
        (void)sw_site_list(w.ctx, w.cat, site, &w);
        (void)sw_alert_list(w.ctx, w.cat, NULL, "2024-01-01", alert, NULL);
        (void)sw_job_list(w.ctx, w.cat, NULL, job, NULL);
        sw_catalog_close(w.cat);
    } else if (!sw_ctx_errmsg(w.ctx)[0]) {
        abort();
    }
    sw_ctx_free(w.ctx);
    unlink(w.out);
    static const char *const side[] = {"-wal", "-shm", "-journal"};
    for (int i = 0; i < 3; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s%s", path, side[i]);
        unlink(p);
    }
    return 0;
}
