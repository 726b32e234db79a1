/* cli.h: what the subcommands of the sitewatch program share. */
#ifndef SW_CLI_H
#define SW_CLI_H

#include "sitewatch/sitewatch.h"

/* Exit statuses: 0 success, 1 the job failed, 2 bad usage. */
enum { EXIT_JOB = 1, EXIT_USAGE = 2 };

int cmd_detect(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_model(int argc, char **argv);
int cmd_site(int argc, char **argv, const char *db);
int cmd_ingest(int argc, char **argv, const char *db);
int cmd_timeline(int argc, char **argv, const char *db);
int cmd_alerts(int argc, char **argv, const char *db);
int cmd_export(int argc, char **argv, const char *db);
int cmd_demo(int argc, char **argv);
int cmd_report(int argc, char **argv, const char *db);
int cmd_jobs(int argc, char **argv, const char *db);
int cmd_enqueue(int argc, char **argv, const char *db);
int cmd_worker(int argc, char **argv, const char *db);

/* Opens the catalog db (a path or a postgresql:// URL) and records the chip
 * store --chips gave, if any; NULL with the message in ctx. */
sw_catalog *cli_catalog_open(sw_ctx *ctx, const char *db, int create);

/* Prints "sitewatch: error: MSG" on one line; returns the exit status for
 * code (2 for SW_EARG, else 1). */
int cli_fail(int code, const char *msg);
/* Usage error with a printf message; returns 2. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* s as a JSON string on stdout, escaped; NULL as null. */
void cli_json_str(const char *s);
/* The same to f. */
void cli_json_fstr(FILE *f, const char *s);
/* Strict values: the whole of s, finite, within [lo, hi]; 0 and *out, or
 * -1 (NaN, Inf, trailing text, overflow or out of range). */
int cli_number(const char *s, double lo, double hi, double *out);
int cli_count(const char *s, long long lo, long long hi, long long *out);
/* 0 when s is a real calendar date YYYY-MM-DD, optionally with THH:MM[:SS][Z]. */
int cli_date(const char *s);
/* "cva, irmad, ..., auto": the methods detect takes (static). */
const char *cli_method_names(void);

/* A progress bar on stderr when it is a terminal and not quiet. */
typedef struct cli_progress {
    int enabled;    /* not -q */
    int tty;        /* a bar on a terminal; GDAL's 0...10...20 to a log */
    int last;
} cli_progress;
void cli_progress_init(cli_progress *p, int quiet);
int cli_progress_cb(double done, const char *msg, void *user);
void cli_progress_end(cli_progress *p);

/* "512M", "2G", "1048576" -> bytes; -1 when malformed. */
int64_t cli_parse_size(const char *s);
/* The raster files of a folder (names, sorted); with scenes, only
 * georeferenced formats and no PlanetScope _udm masks. NULL when the folder
 * cannot be read. Free with cli_free_list. */
char **cli_list_rasters(const char *dir, int scenes, int *n);
void cli_free_list(char **v, int n);
/* Calls fn on arg when it is a scene (a file, or a Sentinel-2 band folder),
 * else on each scene of the folder arg, going on after a failure; returns
 * the first failure's status. */
int cli_each_scene(const char *arg, int (*fn)(const char *path, void *user), void *user);
/* The ALERT line of a new alert, on stdout. */
void cli_print_alert(const sw_alert *a);
/* An alert as one JSON object (alerts --json, ingest --json, --on-alert):
 * its state and its object's as they are now. */
void cli_alert_json(FILE *f, const sw_alert_row *a);

/* The command line as one string, for summaries (static buffer). */
const char *cli_command_line(void);
void cli_set_command_line(int argc, char **argv);

#endif
