/*
 * cmd_jobs.c: the job queue from the command line:
 *   `sitewatch [--db DB] enqueue SITE SCENE...`  record work instead of doing it
 *   `sitewatch [--db DB] worker [--lease S] [--idle S] [--max-jobs N]`  do it
 *   `sitewatch [--db DB] jobs [--state S] [--json]`  what is queued, running, done, failed
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"

static int open_or_fail(sw_ctx *ctx, const char *db, sw_catalog **cat)
{
    *cat = cli_catalog_open(ctx, db, 0);
    return *cat ? 0 : cli_fail(sw_ctx_errcode(ctx), sw_ctx_errmsg(ctx));
}

/* ---- enqueue ---- */

/* What was queued: a job, one already waiting, or a scene that meets no site. */
static void queued_line(const char *scene, const char *site, int64_t job, int added, void *user)
{
    (void)user;
    if (!site)
        printf("%s: meets no site\n", scene);
    else if (added)
        printf("job %lld: %s -> %s\n", (long long)job, scene, site);
    else
        printf("%s -> %s: already queued\n", scene, site);
}

typedef struct enqueue_job {
    sw_ctx *ctx;
    sw_catalog *cat;
    const char *site;         /* NULL: every site the scene meets (--discover) */
    const sw_ingest_opts *o;
    int attempts, queued;
} enqueue_job;

static int enqueue_one(const char *path, void *user)
{
    enqueue_job *e = user;
    int64_t id = 0;
    int added = 0, rc;
    if (e->site) {
        rc = sw_job_enqueue(e->ctx, e->cat, e->site, path, e->o, e->attempts, &id, &added);
        if (rc == 0) {
            queued_line(path, e->site, id, added, NULL);
            e->queued += added;
        }
    } else {
        size_t len = strlen(path);
        int stac = (len > 5 && !strcasecmp(path + len - 5, ".json")) ||
                   (len > 8 && !strcasecmp(path + len - 8, ".geojson"));
        rc = stac ? sw_job_enqueue_stac(e->ctx, e->cat, path, e->o, e->attempts, queued_line, NULL, &e->queued)
                  : sw_job_enqueue_meeting(e->ctx, e->cat, path, e->o, e->attempts, queued_line, NULL, &e->queued);
    }
    return rc ? cli_fail(sw_ctx_errcode(e->ctx), sw_ctx_errmsg(e->ctx)) : 0;
}

int cmd_enqueue(int argc, char **argv, const char *db)
{
    static const struct option longopts[] = {{"date", required_argument, 0, 'd'},
                                             {"sensor", required_argument, 0, 's'},
                                             {"margin", required_argument, 0, 'm'},
                                             {"mask", required_argument, 0, 'k'},
                                             {"attempts", required_argument, 0, 'a'},
                                             {"discover", no_argument, 0, 'D'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    sw_ingest_opts o;
    sw_ingest_opts_init(&o);
    long long attempts = 3;
    int c, disc = 0;
    optind = 0; /* 0, not 1: getopt forgets an earlier scan (glibc) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":d:s:m:k:a:Dh", longopts, NULL)) != -1) {
        switch (c) {
        case 'D': disc = 1; break;
        case 'd': o.date = optarg; break;
        case 's': o.sensor = optarg; break;
        case 'k': o.mask = optarg; break;
        case 'm':
            if (cli_number(optarg, 0, 1e6, &o.margin_m))
                return cli_usage("enqueue", "--margin needs metres >= 0, got '%s'", optarg);
            break;
        case 'a':
            if (cli_count(optarg, 1, 100, &attempts))
                return cli_usage("enqueue", "--attempts needs a count 1-100, got '%s'", optarg);
            break;
        case 'h':
            printf("usage: sitewatch [--db DB] enqueue SITE SCENE... [--date D] [--sensor S] [--mask F]\n"
                   "                 [--margin M] [--attempts N]\n"
                   "       sitewatch [--db DB] enqueue --discover PATH... [options]\n"
                   "\n"
                   "--discover: each PATH is a scene, a folder of scenes or a STAC ItemCollection\n"
                   "(.json); one job is queued for every site whose area of interest the scene's\n"
                   "footprint meets (PostgreSQL: one query on the spatial index of the AOIs). A\n"
                   "STAC item gives its footprint, its date and its scene (asset `analytic`, else\n"
                   "one with role `data`, else a GeoTIFF).\n"
                   "\n"
                   "Records one job per scene (a file, a Sentinel-2 band folder, or a folder of\n"
                   "scenes) for SITE instead of ingesting it now; `sitewatch worker` does the jobs\n"
                   "(on this machine, or many: contrib/slurm/). A scene already queued or running\n"
                   "for the site is not queued twice. A job is tried at most --attempts times\n"
                   "(default 3) when its worker dies or the catalog fails; a bad scene fails at once.\n");
            return 0;
        case ':': return cli_usage("enqueue", "option %s needs a value", argv[optind - 1]);
        default: return cli_usage("enqueue", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (disc ? argc - optind < 1 : argc - optind < 2)
        return cli_usage("enqueue", disc ? "--discover needs at least one PATH" : "needs SITE and at least one SCENE");
    sw_ctx *ctx = sw_ctx_new();
    sw_catalog *cat;
    int failed = open_or_fail(ctx, db, &cat);
    enqueue_job e = {ctx, cat, disc ? NULL : argv[optind], &o, (int)attempts, 0};
    /* --discover: each PATH a scene, a folder of scenes or a STAC JSON */
    for (int i = optind + !disc; !failed && i < argc; i++)
        failed = cli_each_scene(argv[i], enqueue_one, &e);
    if (!failed)
        printf("%d job%s queued\n", e.queued, e.queued == 1 ? "" : "s");
    sw_catalog_close(cat);
    sw_ctx_free(ctx);
    return failed;
}

/* ---- jobs ---- */

static int job_json(const sw_job *j, void *user)
{
    int *n = user;
    printf("%s{\"id\":%lld,\"site\":", (*n)++ ? ",\n " : "", (long long)j->id);
    cli_json_str(j->site);
    printf(",\"scene\":");
    cli_json_str(j->scene);
    printf(",\"state\":");
    cli_json_str(j->state);
    printf(",\"attempts\":%d,\"max_attempts\":%d,\"worker\":", j->attempts, j->max_attempts);
    cli_json_str(j->worker[0] ? j->worker : NULL);
    printf(",\"created\":");
    cli_json_str(j->created);
    printf(",\"started\":");
    cli_json_str(j->started[0] ? j->started : NULL);
    printf(",\"finished\":");
    cli_json_str(j->finished[0] ? j->finished : NULL);
    if (!strcmp(j->state, "running"))
        printf(",\"lease_left_s\":%lld", (long long)j->lease_left_s);
    printf(",\"result\":");
    cli_json_str(j->result);
    printf(",\"error\":");
    cli_json_str(j->error);
    printf("}");
    return 0;
}

typedef struct tally {
    int n[4];
} tally;

static int job_row(const sw_job *j, void *user)
{
    tally *t = user;
    static const char *const states[] = {"queued", "running", "done", "failed"};
    for (int i = 0; i < 4; i++)
        t->n[i] += !strcmp(j->state, states[i]);
    const char *tail = j->error ? j->error : j->result ? j->result : "";
    printf("%6lld  %-8s %-20s %d/%d  %s%s%s\n", (long long)j->id, j->state, j->site, j->attempts, j->max_attempts,
           j->scene, *tail ? ": " : "", tail);
    return 0;
}

int cmd_jobs(int argc, char **argv, const char *db)
{
    static const struct option longopts[] = {
        {"state", required_argument, 0, 's'}, {"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    const char *state = NULL;
    int json = 0, c;
    optind = 0; /* 0, not 1: getopt forgets an earlier scan (glibc) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":s:jh", longopts, NULL)) != -1) {
        switch (c) {
        case 's': state = optarg; break;
        case 'j': json = 1; break;
        case 'h':
            printf("usage: sitewatch [--db DB] jobs [--state queued|running|done|failed] [--json]\n"
                   "\n"
                   "The job queue: each job's site, state, attempts, scene, and what it did or why it\n"
                   "failed; then the count in each state.\n");
            return 0;
        case ':': return cli_usage("jobs", "option %s needs a value", argv[optind - 1]);
        default: return cli_usage("jobs", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("jobs", "unexpected argument '%s'", argv[optind]);
    sw_ctx *ctx = sw_ctx_new();
    sw_catalog *cat;
    int failed = open_or_fail(ctx, db, &cat), n = 0;
    tally t = {{0}};
    if (!failed) {
        if (json)
            printf("[");
        if (sw_job_list(ctx, cat, state, json ? job_json : job_row, json ? (void *)&n : (void *)&t) != 0)
            failed = cli_fail(sw_ctx_errcode(ctx), sw_ctx_errmsg(ctx));
        else if (json)
            printf("]\n");
        else
            printf("%d queued, %d running, %d done, %d failed\n", t.n[0], t.n[1], t.n[2], t.n[3]);
    }
    sw_catalog_close(cat);
    sw_ctx_free(ctx);
    return failed;
}

/* ---- worker ---- */

static volatile sig_atomic_t stopping;
static volatile int stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stopping = 1;
    stop_flag = 1;
}

static void worker_alert(const sw_alert *a, void *user)
{
    (void)user;
    cli_print_alert(a);
    fflush(stdout);
}

static void worker_job(const sw_job *j, int rc, const char *msg, void *user)
{
    (void)user;
    if (rc)
        printf("job %lld (%s, %s): %s, attempt %d/%d: %s\n", (long long)j->id, j->site, j->scene,
               !strcmp(j->state, "queued") ? "will be tried again" : "failed", j->attempts, j->max_attempts, msg);
    else
        printf("job %lld (%s, %s): done\n", (long long)j->id, j->site, j->scene);
    fflush(stdout);
}

int cmd_worker(int argc, char **argv, const char *db)
{
    static const struct option longopts[] = {{"lease", required_argument, 0, 'l'},
                                             {"idle", required_argument, 0, 'i'},
                                             {"max-jobs", required_argument, 0, 'n'},
                                             {"name", required_argument, 0, 'w'},
                                             {"confirm", required_argument, 0, 'c'},
                                             {"min-area", required_argument, 0, 'a'},
                                             {"threads", required_argument, 0, 't'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    sw_worker_opts o;
    sw_worker_opts_init(&o);
    sw_analyze_opts ao;
    sw_analyze_opts_init(&ao);
    long long count;
    double v;
    int c;
    optind = 0; /* 0, not 1: getopt forgets an earlier scan (glibc) */
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":l:i:n:w:c:a:t:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'l':
            if (cli_count(optarg, 3, 86400, &count))
                return cli_usage("worker", "--lease needs seconds 3-86400, got '%s'", optarg);
            o.lease_s = (int)count;
            break;
        case 'i':
            if (cli_number(optarg, 0, 1e7, &v))
                return cli_usage("worker", "--idle needs seconds >= 0, got '%s'", optarg);
            o.idle_exit_s = v;
            break;
        case 'n':
            if (cli_count(optarg, 1, 1000000000, &count))
                return cli_usage("worker", "--max-jobs needs a count >= 1, got '%s'", optarg);
            o.max_jobs = (int)count;
            break;
        case 'w': o.name = optarg; break;
        case 't':
            if (cli_count(optarg, 1, 1024, &count))
                return cli_usage("worker", "--threads needs a count 1-1024, got '%s'", optarg);
            ao.threads = (int)count;
            break;
        case 'c':
            if (cli_count(optarg, 1, 100, &count))
                return cli_usage("worker", "--confirm needs a count 1-100, got '%s'", optarg);
            ao.confirm = (int)count;
            break;
        case 'a':
            if (cli_number(optarg, 0, 1e15, &ao.min_area_m2))
                return cli_usage("worker", "--min-area needs m2 >= 0, got '%s'", optarg);
            break;
        case 'h':
            printf("usage: sitewatch [--db DB] worker [--lease S] [--idle S] [--max-jobs N] [--name NAME]\n"
                   "                 [--confirm N] [--min-area M2] [--threads N]\n"
                   "\n"
                   "Does queued jobs (sitewatch enqueue) until the queue has been empty for --idle\n"
                   "seconds (default 0: exit when it is empty): claims one (PostgreSQL: FOR UPDATE\n"
                   "SKIP LOCKED, so workers never wait on each other), ingests the scene, analyses\n"
                   "the site and commits the job with the analysis. A job's lease (--lease, default\n"
                   "60 s) is renewed while it runs; a job whose worker died is taken again when the\n"
                   "lease lapses. SIGTERM or SIGINT stops the worker after the job at hand.\n"
                   "Prints a line per job and ALERT lines; exits 1 when a job failed.\n");
            return 0;
        case ':': return cli_usage("worker", "option %s needs a value", argv[optind - 1]);
        default: return cli_usage("worker", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage("worker", "unexpected argument '%s'", argv[optind]);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    o.analyze = &ao;
    o.on_alert = worker_alert;
    o.on_job = worker_job;
    o.stop = &stop_flag;
    sw_ctx *ctx = sw_ctx_new();
    sw_catalog *cat;
    int failed = open_or_fail(ctx, db, &cat);
    sw_worker_stats ws = {0};
    if (!failed) {
        if (sw_worker_run(ctx, cat, &o, &ws) != 0)
            failed = cli_fail(sw_ctx_errcode(ctx), sw_ctx_errmsg(ctx));
        int64_t n = ws.done + ws.failed;
        printf("worker: %lld job%s done, %lld failed%s\n", (long long)ws.done, ws.done == 1 ? "" : "s",
               (long long)ws.failed, stopping ? " (stopped by a signal)" : "");
        if (n > 0)
            printf("worker: per job %.1f ms in all, of which the catalog's: claim %.2f ms, commit %.2f ms (%s)\n",
                   1e3 * ws.busy_s / (double)n, 1e3 * ws.claim_s / (double)n, 1e3 * ws.commit_s / (double)n,
                   sw_catalog_engine(cat));
        if (!failed && ws.failed)
            failed = EXIT_JOB;
    }
    sw_catalog_close(cat);
    sw_ctx_free(ctx);
    return failed;
}
