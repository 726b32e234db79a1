/*
 * ctx.c: the error context, error names, clocks and core counts.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../sw_int.h"

sw_ctx *sw_ctx_new(void)
{
    return calloc(1, sizeof(sw_ctx));
}

void sw_ctx_free(sw_ctx *ctx)
{
    free(ctx);
}

const char *sw_ctx_errmsg(const sw_ctx *ctx)
{
    return ctx ? ctx->msg : "";
}

int sw_ctx_errcode(const sw_ctx *ctx)
{
    return ctx ? ctx->code : 0;
}

const char *sw_ctx_warning(const sw_ctx *ctx)
{
    return ctx && ctx->warning[0] ? ctx->warning : NULL;
}

void sw__warn(sw_ctx *ctx, const char *fmt, ...)
{
    if (!ctx)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->warning, sizeof ctx->warning, fmt, ap);
    va_end(ap);
}

void sw_ctx_clear(sw_ctx *ctx)
{
    if (ctx) {
        ctx->code = 0;
        ctx->msg[0] = '\0';
        ctx->warning[0] = '\0';
    }
}

int sw__err(sw_ctx *ctx, int code, const char *fmt, ...)
{
    if (!ctx)
        return code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ctx->msg, sizeof ctx->msg, fmt, ap);
    va_end(ap);
    /* A message is one line: fold what GDAL or the OS put on several. */
    for (char *p = ctx->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    ctx->code = code;
    return code;
}

void sw__err_copy(sw_ctx *dst, const sw_ctx *src)
{
    if (dst && src) {
        dst->code = src->code;
        memcpy(dst->msg, src->msg, sizeof dst->msg);
    }
}

const char *sw_strerror(int code)
{
    switch (code) {
    case SW_OK: return "success";
    case SW_EARG: return "bad argument";
    case SW_ENOMEM: return "out of memory";
    case SW_EIO: return "I/O error";
    case SW_EFORMAT: return "bad file format";
    case SW_EMISMATCH: return "inputs do not match";
    case SW_ENOOVERLAP: return "inputs do not overlap";
    case SW_ENODATA: return "no valid data";
    case SW_ENUMERIC: return "numerical failure";
    case SW_ECANCEL: return "cancelled";
    case SW_ENOTFOUND: return "not found";
    case SW_ECONFLICT: return "conflict";
    case SW_EINTERNAL: return "internal error";
    default: return "unknown error";
    }
}

double sw__now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* The cores this process may run on: its CPU affinity (taskset, a Slurm
 * job's or a container's cpuset), not every core of the machine, so that a
 * job given one core runs one worker instead of crowding it with several. */
int sw__ncores(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}
