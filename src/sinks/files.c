/*
 * files.c: sw_detect_run, the `sitewatch detect` job: the pair opened, the
 * engine run in file mode (its rows kept in temporary GeoTIFFs beside the
 * outputs, so any scene size runs in bounded memory), then the vectors,
 * quicklook and summary written, and every output renamed into place only
 * when all are complete (an older run's summary first, this one's last).
 * The temporaries live in a private folder in the output folder
 * (OUTDIR/.sw-tmp-PID-XXXXXX); a failure deletes it, and a killed run's is
 * deleted by the next run into that folder.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sinks.h"

const char *const sw__out_names[SW__NOUT] = {"score.tif", "mask.tif", "changes.geojson", "changes.gpkg",
                                             "quicklook.png", "summary.json", "raw-mask.tif", "ids.tif"};

static char *join_path(const char *dir, const char *name, const char *prefix)
{
    size_t n = strlen(dir) + strlen(name) + strlen(prefix) + 40;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s/%s%s", dir, prefix, name);
    return p;
}

/* The temporaries go (all of them on failure; the raw mask and ids always). */
static void cleanup(sw__run *r, int failed)
{
    if (r->rows)
        r->rows->free(r);
    for (int i = 0; i < SW__NOUT; i++) {
        if (r->tmp[i] && (failed || i >= SW__OUT_RAW)) {
            if (i != SW__OUT_SUMMARY && i != SW__OUT_QUICKLOOK)
                sw__io_delete(r->tmp[i]);
            unlink(r->tmp[i]);
        }
        free(r->tmp[i]);
        free(r->final[i]);
    }
}

/* The pair's options from the detect options. */
static void pair_opts(const sw_detect_opts *o, sw_pair_opts *p)
{
    sw_pair_opts_init(p);
    p->bands = o->bands;
    p->resampling = o->resampling;
    p->mask_before = o->mask_before;
    p->mask_after = o->mask_after;
    p->mask_band = o->mask_band;
    p->mask_cloudy = o->mask_cloudy;
    p->cloud_screen = o->cloud_screen;
    p->coregister = o->coregister;
    p->gsd = o->gsd;
    p->threads = o->threads;
}

static int write_outputs(sw__run *r, sw__hashes *h, sw_detect_result *res)
{
    sw_ctx *ctx = r->ctx;
    const sw_detect_opts *o = r->o;
    double t0 = sw__now();
    int rc = sw__vectors_write(ctx, r->tmp[SW__OUT_IDS], &r->info->grid, r->vobj, r->nobj, r->tmp[SW__OUT_GPKG],
                               r->tmp[SW__OUT_GEOJSON]);
    if (rc)
        return rc;
    r->t[SW__T_VECTOR] += sw__now() - t0;
    /* the stages after the passes report too: the end is not one jump */
    if (o->progress && !o->progress(0.92, "vectors", o->progress_user))
        return sw__err(ctx, SW_ECANCEL, "cancelled");
    t0 = sw__now();
    if (!o->no_quicklook && (rc = sw__quicklook_write(r, r->tmp[SW__OUT_QUICKLOOK])) != 0)
        return rc;
    r->t[SW__T_QUICKLOOK] = sw__now() - t0;
    /* score.tif's copy into a COG has run beside the label pass, the
     * vectors and the quicklook; what is left of it counts as scoring. */
    t0 = sw__now();
    if ((rc = sw__rows_geotiff_finish(r)) != 0)
        return rc;
    r->t[SW__T_SCORE] += sw__now() - t0;
    if (o->progress && !o->progress(0.97, "summary", o->progress_user))
        return sw__err(ctx, SW_ECANCEL, "cancelled");
    if ((rc = sw__summary_write(r, res, h, r->tmp[SW__OUT_SUMMARY])) != 0)
        return rc;
    /* Everything is whole: rename, summary last. An older run's summary
     * goes first, so that while the files change places no summary claims
     * a set that is not whole. */
    unlink(r->final[SW__OUT_SUMMARY]);
    for (int i = 0; i < SW__OUT_RAW && rc == 0; i++)
        if ((i != SW__OUT_QUICKLOOK || !o->no_quicklook) && rename(r->tmp[i], r->final[i]) != 0)
            rc = sw__err(ctx, SW_EIO, "%s: cannot rename into place: %s", r->final[i], strerror(errno));
    return rc;
}

int sw_detect_run(sw_ctx *ctx, const char *before, const char *after, const char *outdir,
                  const sw_detect_opts *opts, sw_detect_result *result)
{
    sw_detect_opts o;
    sw_detect_opts_init(&o);
    if (opts) {
        size_t n = opts->size && opts->size < sizeof o ? opts->size : sizeof o;
        memcpy(&o, opts, n);
        o.size = sizeof o;
    }
    double tstart = sw__now();
    if (sw__detect_opts_check(ctx, &o) != 0)
        return ctx->code;
    int64_t budget = o.max_memory > 0 ? o.max_memory : (int64_t)1 << 30;
    if (budget < ((int64_t)64 << 20))
        return sw__err(ctx, SW_EARG, "--max-memory must be at least 64M");
    if (o.method && !sw_method_exists(o.method))
        return sw__err(ctx, SW_EARG, "unknown method '%s' (one of: %s)", o.method, sw__method_names());
    sw__io_init(budget / 4);
    sw_pair_opts po;
    pair_opts(&o, &po);
    sw__run R = {.ctx = ctx, .o = &o, .rows = &sw__rows_geotiff, .quicklook = !o.no_quicklook}, *r = &R;
    double t0 = sw__now();
    sw__hashes *hashes = NULL;
    char *tmpdir = NULL;
    int rc = sw_pair_open(ctx, before, after, &po, &r->pair);
    if (rc)
        return rc;
    r->t[SW__T_COREG] = r->pair->align.seconds;
    r->t[SW__T_OPEN] = sw__now() - t0 - r->t[SW__T_COREG];
    if ((rc = sw__mkdir_p(ctx, outdir)) != 0)
        goto out;
    /* A killed run's temporaries go; this run's live in a private folder
     * of its own (nothing planted under a guessable name is followed). */
    sw__tmpdir_clean(outdir);
    if (!(tmpdir = sw__tmpdir_make(ctx, outdir))) {
        rc = ctx->code;
        goto out;
    }
    for (int i = 0; i < SW__NOUT; i++) {
        r->tmp[i] = join_path(tmpdir, sw__out_names[i], "");
        r->final[i] = join_path(outdir, sw__out_names[i], "");
        if (!r->tmp[i] || !r->final[i]) {
            rc = sw__err(ctx, SW_ENOMEM, "out of memory");
            goto out;
        }
    }
    sw_detect_result res;
    if ((rc = sw__hashes_start(r, &hashes)) != 0 || (rc = sw__run_detect(r, &res)) != 0 ||
        (rc = write_outputs(r, hashes, &res)) != 0)
        goto out;
    res.seconds = sw__now() - tstart;
    if (result)
        *result = res;
out:
    if (o.progress && rc == 0)
        o.progress(1.0, "done", o.progress_user);
    sw__hashes_free(hashes);
    cleanup(r, rc != 0);
    sw__tmpdir_remove(tmpdir);
    free(tmpdir);
    sw__run_free(r);
    sw_pair_close(r->pair);
    return rc;
}
