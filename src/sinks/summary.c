/*
 * summary.json: what a detect run read (paths, sizes, SHA-256), on which
 * grid, the co-registration, every parameter, the method's fitted model,
 * the threshold, the counts, per-stage timings and the outputs.
 */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "sinks.h"

static void json_side(sw__json *j, const sw__side *s, char (*hex)[65])
{
    sw__json_obj(j);
    sw__json_key(j, "path");
    sw__json_str(j, s->given);
    sw__json_key(j, "width");
    sw__json_int(j, s->width);
    sw__json_key(j, "height");
    sw__json_int(j, s->height);
    sw__json_key(j, "bands");
    sw__json_int(j, s->nbands_total);
    sw__json_key(j, "delivery");
    sw__json_str(j, s->kind);
    sw__json_key(j, "delivery_mask");
    sw__json_str(j, s->mask);
    sw__json_key(j, "delivery_mask_rule");
    sw__json_str(j, s->mask ? sw__mask_rule_name(s->mask_rule) : NULL);
    sw__json_key(j, "files");
    sw__json_arr(j);
    for (int i = 0; i < s->nfiles; i++) {
        struct stat st;
        sw__json_obj(j);
        sw__json_key(j, "path");
        sw__json_str(j, s->files[i]);
        sw__json_key(j, "bytes");
        sw__json_int(j, stat(s->files[i], &st) == 0 ? (int64_t)st.st_size : -1);
        sw__json_key(j, "sha256");
        sw__json_str(j, hex[i]);
        sw__json_end(j, '}');
    }
    sw__json_end(j, ']');
    sw__json_end(j, '}');
}

/* The inputs' SHA-256, computed on a thread of its own while the passes run. */
struct sw__hashes {
    pthread_t thread;
    int started, rc;
    sw_ctx ctx;
    const sw__side *sides[2];
    char (*hex[2])[65];
    double seconds;
};

static void *hash_all(void *arg)
{
    sw__hashes *h = arg;
    double t0 = sw__now();
    for (int d = 0; d < 2 && h->rc == 0; d++)
        for (int i = 0; i < h->sides[d]->nfiles && h->rc == 0; i++)
            h->rc = sw__sha256_file(&h->ctx, h->sides[d]->files[i], h->hex[d][i]);
    h->seconds = sw__now() - t0;
    return NULL;
}

int sw__hashes_start(sw__run *r, sw__hashes **out)
{
    sw__hashes *h = calloc(1, sizeof *h);
    *out = h;
    if (!h)
        return sw__err(r->ctx, SW_ENOMEM, "out of memory");
    const sw__pair_info *in = sw__pair_get_info(r->pair->io);
    h->sides[0] = &in->before;
    h->sides[1] = &in->after;
    for (int d = 0; d < 2; d++)
        if (!(h->hex[d] = calloc((size_t)h->sides[d]->nfiles + 1, sizeof(*h->hex[d]))))
            return sw__err(r->ctx, SW_ENOMEM, "out of memory");
    if (pthread_create(&h->thread, NULL, hash_all, h) == 0)
        h->started = 1;
    else
        hash_all(h); /* no thread to be had: here and now */
    return 0;
}

/* Waits for the hashes; 0 or the error they met (in ctx). */
static int hashes_join(sw__hashes *h, sw_ctx *ctx)
{
    if (h->started) {
        pthread_join(h->thread, NULL);
        h->started = 0;
    }
    if (h->rc)
        sw__err_copy(ctx, &h->ctx);
    return h->rc;
}

void sw__hashes_free(sw__hashes *h)
{
    if (!h)
        return;
    if (h->started)
        pthread_join(h->thread, NULL);
    free(h->hex[0]);
    free(h->hex[1]);
    free(h);
}

int sw__summary_write(sw__run *r, const sw_detect_result *res, sw__hashes *h, const char *path)
{
    const sw__pair_info *in = r->info;
    double t0 = sw__now();
    if (hashes_join(h, r->ctx) != 0)
        return r->ctx->code;
    char(*hex[2])[65] = {h->hex[0], h->hex[1]};
    /* the time the summary waited for them, of the hashing's own */
    r->t[SW__T_HASH] = sw__now() - t0;
    sw__buf b = {0};
    sw__json j;
    sw__json_init(&j, &b);
    sw__json_obj(&j);
    sw__json_key(&j, "tool");
    sw__json_str(&j, "sitewatch detect");
    sw__json_key(&j, "version");
    sw__json_str(&j, SW_VERSION_STRING);
    sw__json_key(&j, "libraries");
    sw__json_str(&j, sw__engine_versions());
    time_t now = time(NULL);
    char ts[32];
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    sw__json_key(&j, "created");
    sw__json_str(&j, ts);
    sw__json_key(&j, "command");
    sw__json_str(&j, r->o->command_line);
    sw__json_key(&j, "inputs");
    sw__json_obj(&j);
    sw__json_key(&j, "before");
    json_side(&j, &in->before, hex[0]);
    sw__json_key(&j, "after");
    json_side(&j, &in->after, hex[1]);
    sw__json_end(&j, '}');

    sw__json_key(&j, "grid");
    sw__json_obj(&j);
    sw__json_key(&j, "width");
    sw__json_int(&j, r->W);
    sw__json_key(&j, "height");
    sw__json_int(&j, r->H);
    sw__json_key(&j, "georeferenced");
    sw__json_bool(&j, in->grid.georef);
    sw__json_key(&j, "geotransform");
    sw__json_arr(&j);
    for (int i = 0; i < 6; i++)
        sw__json_num(&j, in->grid.gt[i]);
    sw__json_end(&j, ']');
    sw__json_key(&j, "crs_wkt");
    sw__json_str(&j, in->grid.wkt);
    sw__json_key(&j, "pixel_size_m");
    sw__json_arr(&j);
    sw__json_num(&j, in->grid.georef ? in->grid.pixel_w_m : NAN);
    sw__json_num(&j, in->grid.georef ? in->grid.pixel_h_m : NAN);
    sw__json_end(&j, ']');
    sw__json_key(&j, "after_warped");
    sw__json_bool(&j, in->warped);
    sw__json_key(&j, "overlap_window");
    sw__json_arr(&j);
    sw__json_int(&j, in->ov_x0);
    sw__json_int(&j, in->ov_y0);
    sw__json_int(&j, in->ov_x1 - in->ov_x0);
    sw__json_int(&j, in->ov_y1 - in->ov_y0);
    sw__json_end(&j, ']');
    sw__json_key(&j, "bands");
    sw__json_arr(&j);
    for (int i = 0; i < r->nb; i++)
        sw__json_str(&j, in->band_names[i]);
    sw__json_end(&j, ']');
    sw__json_end(&j, '}');

    const sw__align *a = &r->pair->align;
    sw__json_key(&j, "coregistration");
    sw__json_obj(&j);
    sw__json_key(&j, "dx");
    sw__json_num(&j, r->shift_applied ? a->dx : 0.0);
    sw__json_key(&j, "dy");
    sw__json_num(&j, r->shift_applied ? a->dy : 0.0);
    sw__json_key(&j, "model");
    sw__json_str(&j, a->affine ? "affine" : "shift");
    if (a->affine) {
        sw__json_key(&j, "affine");
        sw__json_arr(&j);
        for (int k = 0; k < 3; k++)
            sw__json_num(&j, a->ax[k]);
        for (int k = 0; k < 3; k++)
            sw__json_num(&j, a->ay[k]);
        sw__json_end(&j, ']');
    }
    sw__json_key(&j, "tie_points");
    sw__json_arr(&j);
    for (int k = 0; k < a->ntp; k++) {
        sw__json_obj(&j);
        sw__json_key(&j, "x");
        sw__json_num(&j, a->tp[k].x);
        sw__json_key(&j, "y");
        sw__json_num(&j, a->tp[k].y);
        sw__json_key(&j, "dx");
        sw__json_num(&j, a->tp[k].dx);
        sw__json_key(&j, "dy");
        sw__json_num(&j, a->tp[k].dy);
        sw__json_key(&j, "peak");
        sw__json_num(&j, a->tp[k].peak);
        sw__json_key(&j, "used");
        sw__json_bool(&j, a->tp[k].reliable);
        sw__json_end(&j, '}');
    }
    sw__json_end(&j, ']');
    sw__json_key(&j, "tie_point_residual_rms");
    sw__json_num(&j, a->tp_used >= 4 ? a->tp_rms : NAN);
    sw__json_key(&j, "estimated_dx");
    sw__json_num(&j, a->done ? a->cr.dx : NAN);
    sw__json_key(&j, "estimated_dy");
    sw__json_num(&j, a->done ? a->cr.dy : NAN);
    sw__json_key(&j, "peak_strength");
    sw__json_num(&j, a->done ? a->cr.peak : NAN);
    sw__json_key(&j, "residual_rms");
    sw__json_num(&j, a->done ? a->cr.rms : NAN);
    sw__json_key(&j, "reliable");
    sw__json_bool(&j, a->reliable);
    sw__json_key(&j, "applied");
    sw__json_bool(&j, r->shift_applied);
    sw__json_key(&j, "status");
    sw__json_str(&j, r->shift_note);
    sw__json_key(&j, "patch");
    sw__json_arr(&j);
    for (int i = 0; i < 4; i++)
        sw__json_int(&j, a->win[i]);
    sw__json_end(&j, ']');
    sw__json_end(&j, '}');

    const sw_detect_opts *o = r->o;
    sw__json_key(&j, "parameters");
    sw__json_obj(&j);
    sw__json_key(&j, "method");
    sw__json_str(&j, r->m->name);
    sw__json_key(&j, "method_requested");
    sw__json_str(&j, o->method ? o->method : "auto");
    sw__json_key(&j, "method_reason");
    sw__json_str(&j, r->method_reason);
    sw__json_key(&j, "threshold");
    sw__json_str(&j, r->threshold_rule);
    sw__json_key(&j, "threshold_value");
    if (r->threshold_kind == SW_THRESHOLD_OTSU || r->threshold_kind == SW_THRESHOLD_KI)
        sw__json_str(&j, NULL);
    else
        sw__json_num(&j, o->threshold_value);
    sw__json_key(&j, "min_area");
    sw__json_num(&j, r->min_area);
    sw__json_key(&j, "min_area_unit");
    sw__json_str(&j, in->grid.georef ? "m2" : "pixels");
    sw__json_key(&j, "bands");
    sw__json_str(&j, o->bands);
    sw__json_key(&j, "mask_before");
    sw__json_str(&j, o->mask_before);
    sw__json_key(&j, "mask_after");
    sw__json_str(&j, o->mask_after);
    sw__json_key(&j, "mask_marks");
    sw__json_str(&j, o->mask_cloudy ? "cloud (usable where zero)" : "usable (where non-zero)");
    sw__json_key(&j, "cloud_screen");
    if (r->pair->screened) {
        sw__json_obj(&j);
        sw__json_key(&j, "before");
        sw__json_num(&j, r->pair->cloud_frac[0]);
        sw__json_key(&j, "after");
        sw__json_num(&j, r->pair->cloud_frac[1]);
        sw__json_end(&j, '}');
    } else {
        sw__json_str(&j, NULL);
    }
    sw__json_key(&j, "sliver_width_px");
    sw__json_num(&j, o->sliver_width);
    sw__json_key(&j, "fill_holes_m2");
    sw__json_num(&j, o->fill_holes);
    sw__json_key(&j, "morphology");
    sw__json_str(&j, sw_morph_name(o->morph));
    sw__json_key(&j, "morphology_radius");
    sw__json_int(&j, o->morph_radius);
    sw__json_key(&j, "resampling");
    sw__json_str(&j, o->resampling ? o->resampling : "bilinear");
    sw__json_key(&j, "threads");
    sw__json_int(&j, r->threads);
    sw__json_key(&j, "tile_rows");
    sw__json_int(&j, r->strip);
    sw__json_key(&j, "max_memory");
    sw__json_int(&j, o->max_memory > 0 ? o->max_memory : (int64_t)1 << 30);
    sw__json_key(&j, "sample_step");
    sw__json_int(&j, r->step);
    sw__json_key(&j, "sample_block_row_stride");
    sw__json_int(&j, r->block_stride);
    sw__json_key(&j, "sample_pixels");
    sw__json_int(&j, r->ns);
    sw__json_end(&j, '}');

    sw__json_key(&j, "model");
    sw__json_obj(&j);
    if (r->m->describe)
        r->m->describe(r->ms, &j);
    sw__json_end(&j, '}');

    sw__json_key(&j, "thresholds");
    sw__json_obj(&j);
    sw__json_key(&j, "rule");
    sw__json_str(&j, r->threshold_rule);
    sw__json_key(&j, "score");
    sw__json_num(&j, r->threshold);
    if (r->threshold_kind == SW_THRESHOLD_OTSU || r->threshold_kind == SW_THRESHOLD_KI) {
        sw__json_key(&j, "histogram_clip");
        sw__json_num(&j, r->otsu_clip);
        sw__json_key(&j, "minimum_change");
        sw__json_num(&j, r->threshold_floor);
    }
    if (r->m->chi2_dof) {
        int k = r->m->chi2_dof(r->ms);
        sw__json_key(&j, "chi2_dof");
        sw__json_int(&j, k);
        sw__json_key(&j, "no_change_probability");
        sw__json_num(&j, 1.0 - sw__chi2_cdf(r->threshold, (double)k));
    }
    sw__json_key(&j, "min_object_pixels");
    sw__json_int(&j, r->min_pixels);
    sw__json_end(&j, '}');

    sw__json_key(&j, "counts");
    sw__json_obj(&j);
    sw__json_key(&j, "pixels");
    sw__json_int(&j, r->W * r->H);
    sw__json_key(&j, "valid_pixels");
    sw__json_int(&j, res->valid_pixels);
    sw__json_key(&j, "changed_pixels");
    sw__json_int(&j, res->changed_pixels);
    sw__json_key(&j, "changed_fraction");
    sw__json_num(&j, res->valid_pixels ? (double)res->changed_pixels / (double)res->valid_pixels : 0.0);
    sw__json_key(&j, "objects_before_min_area");
    sw__json_int(&j, r->nobj_all);
    sw__json_key(&j, "objects");
    sw__json_int(&j, res->objects);
    sw__json_key(&j, "changed_area");
    sw__json_num(&j, res->changed_area_m2);
    sw__json_end(&j, '}');

    sw__json_key(&j, "timings_s");
    sw__json_obj(&j);
    double total = 0.0;
    for (int i = 0; i < SW__NSTAGE; i++) {
        sw__json_key(&j, sw__stage_names[i]);
        sw__json_num(&j, r->t[i]);
        total += r->t[i];
    }
    sw__json_key(&j, "total");
    sw__json_num(&j, total);
    sw__json_end(&j, '}');

    sw__json_key(&j, "outputs");
    sw__json_arr(&j);
    for (int i = 0; i < SW__OUT_RAW; i++)
        if (i != SW__OUT_QUICKLOOK || !r->o->no_quicklook)
            sw__json_str(&j, sw__out_names[i]);
    sw__json_end(&j, ']');
    sw__json_end(&j, '}');
    sw__buf_putc(&b, '\n');
    int rc = b.failed ? sw__err(r->ctx, SW_ENOMEM, "out of memory writing the summary")
                      : sw__file_write_atomic(r->ctx, path, b.data, b.len);
    sw__buf_free(&b);
    return rc;
}
