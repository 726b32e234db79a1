/*
 * cmd_eval.c: `sitewatch eval PRED TRUTH` — one pair of files, or two
 * folders whose files are matched by name (extension and case aside),
 * scored per pair and pooled (summed confusion matrix).
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sitewatch eval PRED TRUTH [options]\n"
            "\n"
            "PRED: a change map (non-zero = change; its nodata is left out, as for mask.tif).\n"
            "TRUTH: the reference. Both files, or both folders (files matched by name).\n"
            "\n"
            "  -s, --score           PRED is a score map (larger = more change, e.g. score.tif):\n"
            "                        ROC AUC, average precision, and the one threshold that\n"
            "                        would give the best F1 (over all pairs, for folders)\n"
            "  -v, --truth-values E  truth encoding: auto (default), 0,255  0,1  1,2  gt127\n"
            "  -i, --ignore V        a truth value to leave out of every count\n"
            "  -j, --json            JSON output\n"
            "  -h, --help            this help\n");
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* Same name up to the extension, ignoring case. */
static int same_stem(const char *a, const char *b)
{
    const char *da = strrchr(a, '.'), *db = strrchr(b, '.');
    size_t la = da ? (size_t)(da - a) : strlen(a), lb = db ? (size_t)(db - b) : strlen(b);
    return la == lb && strncasecmp(a, b, la) == 0;
}

/* name as a JSON string body (quotes and backslashes escaped, control
 * characters dropped) into out. */
static void json_escape(const char *name, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = name; *p && k + 3 < n; p++) {
        if (*p == '"' || *p == '\\')
            out[k++] = '\\';
        if ((unsigned char)*p >= 0x20)
            out[k++] = *p;
    }
    out[k] = '\0';
}

static void print_scores(FILE *f, const char *label, const sw_confusion *c, int json, int comma)
{
    sw_scores s;
    sw_scores_compute(c, &s);
    if (json) {
        fprintf(f,
                "%s{%s\"tp\":%lld,\"fp\":%lld,\"fn\":%lld,\"tn\":%lld,\"ignored\":%lld,"
                "\"precision\":%.6f,\"recall\":%.6f,\"f1\":%.6f,\"iou\":%.6f,"
                "\"overall_accuracy\":%.6f,\"kappa\":%.6f}",
                comma ? "," : "", label ? label : "", (long long)c->tp, (long long)c->fp,
                (long long)c->fn, (long long)c->tn, (long long)c->ignored, s.precision, s.recall, s.f1,
                s.iou, s.overall_accuracy, s.kappa);
    } else {
        fprintf(f, "%-40s P %.4f  R %.4f  F1 %.4f  IoU %.4f  OA %.4f  kappa %.4f  (TP %lld FP %lld FN %lld TN %lld)\n",
                label, s.precision, s.recall, s.f1, s.iou, s.overall_accuracy, s.kappa, (long long)c->tp,
                (long long)c->fp, (long long)c->fn, (long long)c->tn);
    }
}

static void json_num(double v)
{
    if (isfinite(v))
        printf("%.9g", v);
    else
        printf("null");
}

static void print_curve(const char *label, const sw_score_summary *c, int json, int comma)
{
    sw_scores s;
    sw_scores_compute(&c->best, &s);
    if (json) {
        printf("%s{%s\"change\":%lld,\"nochange\":%lld,\"ignored\":%lld,\"roc_auc\":", comma ? "," : "",
               label, (long long)c->change, (long long)c->nochange, (long long)c->best.ignored);
        json_num(c->roc_auc);
        printf(",\"average_precision\":");
        json_num(c->average_precision);
        printf(",\"best_threshold\":");
        json_num(c->best_threshold);
        printf(",\"best\":");
        print_scores(stdout, "", &c->best, 1, 0);
        printf("}");
    } else {
        char thr[48];
        if (isinf(c->best_threshold))
            snprintf(thr, sizeof thr, "no change at all");
        else
            snprintf(thr, sizeof thr, "score >= %.6g", c->best_threshold);
        printf("%-40s ROC AUC %.4f  AP %.4f  best F1 %.4f at %s (P %.4f R %.4f kappa %.4f)\n", label, c->roc_auc,
               c->average_precision, s.f1, thr, s.precision, s.recall, s.kappa);
    }
}

/* --score: pass 1 sets one scale over every map, pass 2 bins each pair on
 * it; pairs are reported alone and pooled. */
static int eval_scores(sw_ctx *ctx, char **pp, char **tp, char **names, int n, int folders, const sw_eval_opts *o,
                       int json)
{
    sw_score_hist pooled;
    int rc = sw_score_hist_init(ctx, &pooled);
    char msg[2400] = "";
    for (int i = 0; i < n && rc == 0; i++)
        rc = sw_eval_score_range(ctx, pp[i], &pooled);
    int opened = json && rc == 0 && folders;
    if (opened)
        printf("{\"pairs\":[");
    for (int i = 0; i < n && rc == 0; i++) {
        sw_score_hist one;
        if ((rc = sw_score_hist_init(ctx, &one)) != 0)
            break;
        one.lo = pooled.lo; /* the pooled scale */
        one.hi = pooled.hi;
        sw_truth_encoding used = o->truth;
        rc = sw_eval_score_pair(ctx, pp[i], tp[i], o, &one, &used);
        sw_score_summary c;
        if (rc == 0) {
            sw_score_hist_add(&pooled, &one);
            sw_score_summarize(&one, &c);
        }
        sw_score_hist_free(&one);
        if (rc)
            break;
        if (c.change + c.nochange == 0) {
            snprintf(msg, sizeof msg, "%s: no valid score where %s is labelled", pp[i], tp[i]);
            rc = SW_ENODATA;
            break;
        }
        char lab[1200], esc[1100];
        json_escape(names[i], esc, sizeof esc);
        if (json)
            snprintf(lab, sizeof lab, folders ? "\"name\":\"%s\"," : "\"truth_encoding\":\"%s\",",
                     folders ? esc : sw_truth_encoding_name(used));
        print_curve(json ? lab : names[i], &c, json, i > 0);
    }
    if (rc == 0 && folders) {
        sw_score_summary c;
        sw_score_summarize(&pooled, &c);
        char lab[64];
        if (json) {
            snprintf(lab, sizeof lab, "\"pairs\":%d,", n);
            printf("],\"pooled\":");
        } else {
            snprintf(lab, sizeof lab, "pooled (%d pairs)", n);
        }
        print_curve(lab, &c, json, 0);
        if (json)
            printf("}");
    }
    if (opened && rc)
        printf("]}"); /* pairs printed before a failure stay valid JSON */
    if (opened || (json && rc == 0))
        printf("\n");
    sw_score_hist_free(&pooled);
    return rc ? cli_fail(rc, msg[0] ? msg : sw_ctx_errmsg(ctx)) : 0;
}

int cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {{"truth-values", required_argument, 0, 'v'},
                                             {"ignore", required_argument, 0, 'i'},
                                             {"json", no_argument, 0, 'j'},
                                             {"score", no_argument, 0, 's'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    sw_eval_opts o;
    sw_eval_opts_init(&o);
    int json = 0, score = 0, c;
    char *end;
    optind = 0; /* 0, not 1: getopt forgets an earlier scan (glibc) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":v:i:jsh", longopts, NULL)) != -1) {
        switch (c) {
        case 'v':
            if (sw_truth_encoding_parse(optarg, &o.truth) != 0)
                return cli_usage("eval", "unknown truth encoding '%s' (auto, 0,255, 0,1, 1,2, gt127)", optarg);
            break;
        case 'i':
            o.ignore_value = (int)strtol(optarg, &end, 10);
            if (*end || o.ignore_value < 0 || o.ignore_value > 65535)
                return cli_usage("eval", "--ignore needs a value 0-65535, got '%s'", optarg);
            break;
        case 'j': json = 1; break;
        case 's': score = 1; break;
        case 'h': usage(stdout); return 0;
        case ':': return cli_usage("eval", "option %s needs a value", argv[optind - 1]);
        default: return cli_usage("eval", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage("eval", "needs PRED and TRUTH (got %d paths)", argc - optind);
    const char *pred = argv[optind], *truth = argv[optind + 1];
    sw_ctx *ctx = sw_ctx_new();
    int status = 0;
    if (is_dir(pred) != is_dir(truth)) {
        sw_ctx_free(ctx);
        return cli_usage("eval", "PRED and TRUTH must both be files or both be folders");
    }
    if (!is_dir(pred) && score) {
        char *pp[1] = {(char *)pred}, *tp[1] = {(char *)truth}, *nm[1] = {(char *)base_name(pred)};
        status = eval_scores(ctx, pp, tp, nm, 1, 0, &o, json);
        sw_ctx_free(ctx);
        return status;
    }
    if (!is_dir(pred)) {
        sw_confusion cm;
        sw_truth_encoding used = o.truth;
        int rc = sw_eval_pair(ctx, pred, truth, &o, &cm, &used);
        if (rc) {
            status = cli_fail(rc, sw_ctx_errmsg(ctx));
        } else if (json) {
            char lab[64];
            snprintf(lab, sizeof lab, "\"truth_encoding\":\"%s\",", sw_truth_encoding_name(used));
            print_scores(stdout, lab, &cm, 1, 0);
            printf("\n");
        } else {
            print_scores(stdout, base_name(pred), &cm, 0, 0);
        }
        sw_ctx_free(ctx);
        return status;
    }
    int np = 0, nt = 0;
    char **pv = cli_list_rasters(pred, 0, &np), **tv = cli_list_rasters(truth, 0, &nt);
    /* Pairs matched by name first: a prediction without its truth is an
     * error before anything is printed. */
    char **pp = calloc((size_t)(np > 0 ? np : 1), sizeof *pp), **tp = calloc((size_t)(np > 0 ? np : 1), sizeof *tp);
    if (!pp || !tp)
        status = cli_fail(SW_ENOMEM, "out of memory");
    else if (np == 0)
        status = cli_fail(SW_EIO, "no raster files in the prediction folder");
    for (int i = 0; i < np && !status; i++) {
        int k = -1;
        for (int t = 0; t < nt && k < 0; t++)
            if (same_stem(pv[i], tv[t]))
                k = t;
        if (k < 0) {
            char perr[1024];
            snprintf(perr, sizeof perr, "%s/%s: no truth file of that name in %s", pred, pv[i], truth);
            status = cli_fail(SW_EMISMATCH, perr);
            break;
        }
        size_t lp = strlen(pred) + strlen(pv[i]) + 2, lt = strlen(truth) + strlen(tv[k]) + 2;
        if (!(pp[i] = malloc(lp)) || !(tp[i] = malloc(lt))) {
            status = cli_fail(SW_ENOMEM, "out of memory");
            break;
        }
        snprintf(pp[i], lp, "%s/%s", pred, pv[i]);
        snprintf(tp[i], lt, "%s/%s", truth, tv[k]);
    }
    sw_confusion pooled = {0};
    int npairs = 0;
    if (!status && score)
        status = eval_scores(ctx, pp, tp, pv, np, 1, &o, json);
    if (json && !status && !score)
        printf("{\"pairs\":[");
    for (int i = 0; i < np && !status && !score; i++) {
        sw_confusion cm;
        int rc = sw_eval_pair(ctx, pp[i], tp[i], &o, &cm, NULL);
        if (rc) {
            if (json)
                printf("]}\n");
            status = cli_fail(rc, sw_ctx_errmsg(ctx));
            break;
        }
        sw_confusion_add(&pooled, &cm);
        if (json) {
            char lab[1200], esc[1100];
            json_escape(pv[i], esc, sizeof esc);
            snprintf(lab, sizeof lab, "\"name\":\"%s\",", esc);
            print_scores(stdout, lab, &cm, 1, npairs > 0);
        } else {
            print_scores(stdout, pv[i], &cm, 0, 0);
        }
        npairs++;
    }
    for (int i = 0; pp && tp && i < np; i++) {
        free(pp[i]);
        free(tp[i]);
    }
    free(pp);
    free(tp);
    if (!status && !score) {
        if (json) {
            printf("],\"pooled\":");
            char lab[64];
            snprintf(lab, sizeof lab, "\"pairs\":%d,", npairs);
            print_scores(stdout, lab, &pooled, 1, 0);
            printf("}\n");
        } else {
            char lab[64];
            snprintf(lab, sizeof lab, "pooled (%d pairs)", npairs);
            print_scores(stdout, lab, &pooled, 0, 0);
        }
    }
    cli_free_list(pv, np);
    cli_free_list(tv, nt);
    sw_ctx_free(ctx);
    return status;
}
