/*
 * json.c: a growing text buffer and a small streaming JSON writer, enough
 * for summary.json and the CLI's --json output. Allocation failure is
 * remembered in the buffer (failed) rather than checked at every call.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../sw_int.h"

static int buf_reserve(sw__buf *b, size_t extra)
{
    if (b->failed)
        return -1;
    if (b->len + extra + 1 <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *p = realloc(b->data, cap);
    if (!p) {
        b->failed = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void sw__buf_free(sw__buf *b)
{
    free(b->data);
    memset(b, 0, sizeof *b);
}

void sw__buf_printf(sw__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_reserve(b, (size_t)n) != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void sw__buf_putc(sw__buf *b, char c)
{
    if (buf_reserve(b, 1) != 0)
        return;
    b->data[b->len++] = c;
    b->data[b->len] = '\0';
}

void sw__json_init(sw__json *j, sw__buf *out)
{
    memset(j, 0, sizeof *j);
    j->out = out;
    j->first[0] = 1;
}

/* Writes the comma before a value unless it follows a key. */
static void json_sep(sw__json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (!j->first[j->depth])
        sw__buf_putc(j->out, ',');
    j->first[j->depth] = 0;
}

static void json_open(sw__json *j, char c)
{
    json_sep(j);
    sw__buf_putc(j->out, c);
    if (j->depth < 31)
        j->depth++;
    j->first[j->depth] = 1;
}

void sw__json_obj(sw__json *j) { json_open(j, '{'); }
void sw__json_arr(sw__json *j) { json_open(j, '['); }

void sw__json_end(sw__json *j, char close)
{
    if (j->depth > 0)
        j->depth--;
    sw__buf_putc(j->out, close);
}

static void json_quoted(sw__buf *b, const char *s)
{
    sw__buf_putc(b, '"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': sw__buf_printf(b, "\\\""); break;
        case '\\': sw__buf_printf(b, "\\\\"); break;
        case '\n': sw__buf_printf(b, "\\n"); break;
        case '\r': sw__buf_printf(b, "\\r"); break;
        case '\t': sw__buf_printf(b, "\\t"); break;
        default:
            if (*p < 0x20)
                sw__buf_printf(b, "\\u%04x", *p);
            else
                sw__buf_putc(b, (char)*p);
        }
    }
    sw__buf_putc(b, '"');
}

void sw__json_key(sw__json *j, const char *key)
{
    json_sep(j);
    json_quoted(j->out, key);
    sw__buf_putc(j->out, ':');
    j->after_key = 1;
}

void sw__json_str(sw__json *j, const char *s)
{
    json_sep(j);
    if (s)
        json_quoted(j->out, s);
    else
        sw__buf_printf(j->out, "null");
}

void sw__json_num(sw__json *j, double v)
{
    json_sep(j);
    if (isfinite(v))
        sw__buf_printf(j->out, "%.10g", v);
    else
        sw__buf_printf(j->out, "null");
}

void sw__json_int(sw__json *j, int64_t v)
{
    json_sep(j);
    sw__buf_printf(j->out, "%lld", (long long)v);
}

void sw__json_bool(sw__json *j, int v)
{
    json_sep(j);
    sw__buf_printf(j->out, v ? "true" : "false");
}

void sw__json_raw(sw__json *j, const char *text)
{
    json_sep(j);
    sw__buf_printf(j->out, "%s", text);
}

void sw__json_feature(sw__json *j)
{
    sw__json_obj(j);
    sw__json_key(j, "type");
    sw__json_str(j, "Feature");
    sw__json_key(j, "properties");
    sw__json_obj(j);
}

void sw__json_collection(sw__json *j)
{
    sw__json_obj(j);
    sw__json_key(j, "type");
    sw__json_str(j, "FeatureCollection");
}
