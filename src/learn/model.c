/*
 * model.c: reading and checking a sitewatch model file (.swm).
 *
 *   "SWMODEL\0"  u32 version (1)  u32 json_len  JSON header
 *   zero padding to 16 bytes      tensor data (offsets in the header)
 *   u32 CRC32 (zlib) of every byte before it
 *
 * Everything read from the file is validated before use: sizes, the CRC,
 * the architecture's shapes, each tensor's extent inside the data region.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <zlib.h>

#include "learn_int.h"

enum { MAX_FILE = 512 << 20 };

static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) {
            bits = sign;
        } else { /* subnormal: normalize */
            int e = -1;
            do {
                e++;
                man <<= 1;
            } while (!(man & 0x400));
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) {
        bits = sign | 0x7f800000u | (man << 13);
    } else {
        bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static int get_int(const cJSON *o, const char *key, int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 1e9)
        return -1;
    *out = (int)v->valuedouble;
    return 0;
}

/* The header's name and its provenance's held-out F1 per set, for lists. */
static int read_labels(sw_ctx *ctx, sw_model *m, const cJSON *js)
{
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(js, "name");
    if (cJSON_IsString(name) && !(m->name = strdup(name->valuestring)))
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    const cJSON *prov = cJSON_GetObjectItemCaseSensitive(js, "provenance");
    const cJSON *held = cJSON_GetObjectItemCaseSensitive(prov, "heldout_scores"), *set;
    char buf[512] = "";
    size_t len = 0;
    cJSON_ArrayForEach(set, held)
    {
        const cJSON *f1 = cJSON_GetObjectItemCaseSensitive(set, "f1");
        if (set->string && cJSON_IsNumber(f1) && len < sizeof buf)
            len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%s %.3f", len ? ", " : "", set->string,
                                    f1->valuedouble);
    }
    if (len && !(m->heldout = strdup(buf)))
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    return 0;
}

/* Reads tensor `key` ({offset, count}) of layer lj into a new float array. */
static float *read_tensor(sw_ctx *ctx, const char *path, const cJSON *lj, const char *key, int64_t want,
                          const unsigned char *data, int64_t data_bytes, int esize)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(lj, key);
    int off, count;
    if (!cJSON_IsObject(t) || get_int(t, "offset", &off) || get_int(t, "count", &count)) {
        sw__err(ctx, SW_EFORMAT, "%s: a layer's %s has no offset or count", path, key);
        return NULL;
    }
    if (count != want || off < 0 || (int64_t)off + (int64_t)count * esize > data_bytes) {
        sw__err(ctx, SW_EFORMAT, "%s: a layer's %s (offset %d, %d values) does not fit its shape or the file",
                path, key, off, count);
        return NULL;
    }
    float *v = malloc((size_t)count * sizeof *v);
    if (!v) {
        sw__err(ctx, SW_ENOMEM, "out of memory loading %s", path);
        return NULL;
    }
    const unsigned char *p = data + off;
    for (int i = 0; i < count; i++) {
        if (esize == 2) {
            uint16_t h;
            memcpy(&h, p + 2 * (size_t)i, 2);
            v[i] = half_to_float(h);
        } else {
            memcpy(&v[i], p + 4 * (size_t)i, 4);
        }
        if (!isfinite(v[i])) {
            free(v);
            sw__err(ctx, SW_EFORMAT, "%s: a weight is not a finite number", path);
            return NULL;
        }
    }
    return v;
}

/* The layer a siam-diff-unet of this depth and these channels must have
 * at position i, in execution order. */
static int expected_layer(const sw_model *m, int i, char *name, size_t n, int *cin, int *cout, int *k)
{
    int d = m->depth, ne = 2 * d, nd = 2 * (d - 1);
    if (i < ne) {
        int lvl = i / 2, j = i % 2;
        snprintf(name, n, "enc%d.%d", lvl, j);
        *cin = j ? m->ch[lvl] : (lvl ? m->ch[lvl - 1] : m->bands);
        *cout = m->ch[lvl];
        *k = 3;
    } else if (i < ne + nd) {
        int q = i - ne, lvl = d - 2 - q / 2, j = q % 2;
        snprintf(name, n, "dec%d.%d", lvl, j);
        *cin = j ? m->ch[lvl] : m->ch[lvl + 1] + m->ch[lvl];
        *cout = m->ch[lvl];
        *k = 3;
    } else if (i == ne + nd) {
        snprintf(name, n, "head");
        *cin = m->ch[0];
        *cout = 1;
        *k = 1;
    } else {
        return -1;
    }
    return 0;
}

static int parse(sw_ctx *ctx, sw_model *m, const char *path, const unsigned char *buf, int64_t size)
{
    uint32_t version, jlen;
    memcpy(&version, buf + 8, 4);
    memcpy(&jlen, buf + 12, 4);
    if (version != 1)
        return sw__err(ctx, SW_EFORMAT, "%s: model format version %u; this sitewatch reads version 1", path, version);
    if ((int64_t)jlen > size - 20)
        return sw__err(ctx, SW_EFORMAT, "%s: header length %u runs past the end of the file", path, jlen);
    m->header = malloc((size_t)jlen + 1);
    if (!m->header)
        return sw__err(ctx, SW_ENOMEM, "out of memory loading %s", path);
    memcpy(m->header, buf + 16, jlen);
    m->header[jlen] = '\0';
    cJSON *js = cJSON_ParseWithLength(m->header, jlen);
    if (!js)
        return sw__err(ctx, SW_EFORMAT, "%s: the header is not valid JSON", path);
    int rc = 0;
    const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(js, "format");
    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(js, "arch");
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(js, "dtype");
    const cJSON *chans = cJSON_GetObjectItemCaseSensitive(js, "channels");
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(js, "layers");
    const cJSON *gsd = cJSON_GetObjectItemCaseSensitive(js, "gsd_m");
    const cJSON *thr = cJSON_GetObjectItemCaseSensitive(js, "threshold");
    const cJSON *tthr = cJSON_GetObjectItemCaseSensitive(js, "tta_threshold");
    int data_bytes = 0;
    if (!cJSON_IsString(fmt) || strcmp(fmt->valuestring, "sitewatch-model") != 0) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: not a sitewatch model header", path);
    } else if (!cJSON_IsString(arch) || strcmp(arch->valuestring, "siam-diff-unet") != 0) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: unknown architecture %s", path,
                     cJSON_IsString(arch) ? arch->valuestring : "(none)");
    } else if (!cJSON_IsString(dtype) || (strcmp(dtype->valuestring, "f16") && strcmp(dtype->valuestring, "f32"))) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: weights must be f16 or f32", path);
    } else if (get_int(js, "depth", &m->depth) || m->depth < 1 || m->depth > SW__MAX_DEPTH ||
               get_int(js, "bands", &m->bands) || m->bands < 1 || m->bands > 64 ||
               get_int(js, "receptive_halo_px", &m->halo) || m->halo < 0 || m->halo > 4096 ||
               get_int(js, "data_bytes", &data_bytes) || data_bytes < 0 ||
               !cJSON_IsNumber(gsd) || !(gsd->valuedouble > 0.0) ||
               !cJSON_IsArray(chans) || cJSON_GetArraySize(chans) != m->depth || !cJSON_IsArray(layers)) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: the header lacks or has bad depth, bands, halo, gsd, channels or layers", path);
    } else if (thr && !(cJSON_IsNumber(thr) && thr->valuedouble > 0.0 && thr->valuedouble < 1.0)) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: the header's threshold must be a probability in (0, 1)", path);
    } else if (tthr && !(cJSON_IsNumber(tthr) && tthr->valuedouble > 0.0 && tthr->valuedouble < 1.0)) {
        rc = sw__err(ctx, SW_EFORMAT, "%s: the header's tta_threshold must be a probability in (0, 1)", path);
    }
    if (rc) {
        cJSON_Delete(js);
        return rc;
    }
    m->gsd = gsd->valuedouble;
    m->threshold = thr ? thr->valuedouble : 0.5;
    m->tta_threshold = tthr ? tthr->valuedouble : m->threshold;
    if ((rc = read_labels(ctx, m, js)) != 0) {
        cJSON_Delete(js);
        return rc;
    }
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(js, "band_names");
    for (int i = 0; cJSON_IsArray(names) && cJSON_GetArraySize(names) == m->bands && i < m->bands; i++) {
        const cJSON *n = cJSON_GetArrayItem(names, i);
        if (cJSON_IsString(n) && !(m->band_name[i] = strdup(n->valuestring))) {
            cJSON_Delete(js);
            return sw__err(ctx, SW_ENOMEM, "out of memory");
        }
    }
    m->multiple = 1 << (m->depth - 1);
    for (int i = 0; i < m->depth; i++) {
        const cJSON *c = cJSON_GetArrayItem(chans, i);
        if (!cJSON_IsNumber(c) || c->valuedouble < 1 || c->valuedouble > 4096) {
            cJSON_Delete(js);
            return sw__err(ctx, SW_EFORMAT, "%s: bad channel count at level %d", path, i);
        }
        m->ch[i] = (int)c->valuedouble;
    }
    int esize = strcmp(dtype->valuestring, "f16") == 0 ? 2 : 4;
    int64_t data_start = (16 + (int64_t)jlen + 15) / 16 * 16;
    if (data_start + data_bytes > size - 4) {
        cJSON_Delete(js);
        return sw__err(ctx, SW_EFORMAT, "%s: the tensor data (%d bytes) runs past the end of the file", path, data_bytes);
    }
    m->nlayers = 2 * m->depth + 2 * (m->depth - 1) + 1;
    if (cJSON_GetArraySize(layers) != m->nlayers) {
        cJSON_Delete(js);
        return sw__err(ctx, SW_EFORMAT, "%s: %d layers where a depth-%d network has %d", path,
                       cJSON_GetArraySize(layers), m->depth, m->nlayers);
    }
    for (int i = 0; i < m->nlayers && rc == 0; i++) {
        sw__layer *L = &m->layer[i];
        char name[32];
        int cin = 0, cout = 0, k = 0, gi, go, gk;
        expected_layer(m, i, name, sizeof name, &cin, &cout, &k);
        const cJSON *lj = cJSON_GetArrayItem(layers, i);
        const cJSON *nm = cJSON_GetObjectItemCaseSensitive(lj, "name");
        const cJSON *relu = cJSON_GetObjectItemCaseSensitive(lj, "relu");
        if (!cJSON_IsString(nm) || strcmp(nm->valuestring, name) != 0 || get_int(lj, "cin", &gi) ||
            get_int(lj, "cout", &go) || get_int(lj, "k", &gk) || gi != cin || go != cout || gk != k ||
            !cJSON_IsBool(relu)) {
            rc = sw__err(ctx, SW_EFORMAT, "%s: layer %d should be %s (%d->%d, %dx%d)", path, i, name, cin, cout, k, k);
            break;
        }
        L->cin = cin;
        L->cout = cout;
        L->k = k;
        L->relu = cJSON_IsTrue(relu);
        L->w = read_tensor(ctx, path, lj, "weight", (int64_t)cout * cin * k * k, buf + data_start, data_bytes, esize);
        L->b = L->w ? read_tensor(ctx, path, lj, "bias", cout, buf + data_start, data_bytes, esize) : NULL;
        if (!L->w || !L->b)
            rc = ctx->code;
        m->params += (int64_t)cout * cin * k * k + cout;
    }
    cJSON_Delete(js);
    return rc;
}

sw_model *sw_model_load(sw_ctx *ctx, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        sw__err(ctx, SW_EIO, "%s: cannot open model: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st = {0};
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        sw__err(ctx, SW_EFORMAT, "%s: not a model file (%s)", path,
                S_ISDIR(st.st_mode) ? "a folder" : "not a regular file");
        return NULL;
    }
    long size = (long)st.st_size;
    if (size > MAX_FILE) {
        fclose(f);
        sw__err(ctx, SW_EFORMAT, "%s: not a model file (%ld bytes, more than a model can be)", path, size);
        return NULL;
    }
    unsigned char *buf = malloc((size_t)size + 1);
    sw_model *m = calloc(1, sizeof *m);
    if (!buf || !m) {
        fclose(f);
        free(buf);
        free(m);
        sw__err(ctx, SW_ENOMEM, "out of memory loading %s", path);
        return NULL;
    }
    size_t got = fread(buf, 1, (size_t)size, f);
    fclose(f);
    int rc = 0;
    if ((long)got != size)
        rc = sw__err(ctx, SW_EIO, "%s: read error", path);
    else if (size < 20 || memcmp(buf, "SWMODEL\0", 8) != 0)
        rc = sw__err(ctx, SW_EFORMAT, "%s: not a sitewatch model file (bad magic)", path);
    if (rc == 0) {
        uint32_t stored;
        memcpy(&stored, buf + size - 4, 4);
        uint32_t crc = (uint32_t)crc32(0L, buf, (uInt)(size - 4));
        if (crc != stored)
            rc = sw__err(ctx, SW_EFORMAT, "%s: checksum mismatch: the file is truncated or corrupt", path);
    }
    if (rc == 0)
        rc = parse(ctx, m, path, buf, size);
    free(buf);
    if (rc) {
        sw_model_free(m);
        return NULL;
    }
    return m;
}

void sw_model_free(sw_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->nlayers; i++) {
        free(m->layer[i].w);
        free(m->layer[i].b);
    }
    for (int i = 0; i < 64; i++)
        free(m->band_name[i]);
    free(m->name);
    free(m->heldout);
    free(m->header);
    free(m);
}

const char *sw_model_header(const sw_model *m) { return m->header; }
int sw_model_bands(const sw_model *m) { return m->bands; }
double sw_model_gsd(const sw_model *m) { return m->gsd; }
double sw_model_threshold(const sw_model *m) { return m->threshold; }
double sw_model_tta_threshold(const sw_model *m) { return m->tta_threshold; }
const char *sw_model_band_name(const sw_model *m, int i) { return i >= 0 && i < m->bands ? m->band_name[i] : NULL; }
const char *sw_model_name(const sw_model *m) { return m->name; }
const char *sw_model_heldout(const sw_model *m) { return m->heldout; }

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int sw_model_list(sw_ctx *ctx, char ***names, int *n)
{
    *names = NULL;
    *n = 0;
    for (const char *d = SW_MODEL_DIRS; *d;) {
        size_t len = strcspn(d, ":");
        char dir[4096];
        snprintf(dir, sizeof dir, "%.*s", (int)len, d);
        d += len + (d[len] == ':');
        DIR *dh = len ? opendir(dir) : NULL;
        struct dirent *e;
        while (dh && (e = readdir(dh)) != NULL) {
            size_t nl = strlen(e->d_name);
            if (nl <= 4 || strcmp(e->d_name + nl - 4, ".swm") != 0)
                continue;
            int dup = 0;
            for (int i = 0; i < *n && !dup; i++)
                dup = strncmp((*names)[i], e->d_name, nl - 4) == 0 && (*names)[i][nl - 4] == '\0';
            char **grown = dup ? *names : realloc(*names, (size_t)(*n + 1) * sizeof **names);
            if (!grown || (!dup && !(grown[*n] = strndup(e->d_name, nl - 4)))) {
                closedir(dh);
                if (grown)
                    *names = grown;
                sw_model_list_free(*names, *n);
                *names = NULL;
                *n = 0;
                return sw__err(ctx, SW_ENOMEM, "out of memory");
            }
            *names = grown;
            *n += !dup;
        }
        if (dh)
            closedir(dh);
    }
    if (*n > 1) /* sorted, so the list reads the same everywhere */
        qsort(*names, (size_t)*n, sizeof **names, by_name);
    return 0;
}

void sw_model_list_free(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

const char *sw_model_find(sw_ctx *ctx, const char *name, char *buf, size_t n)
{
    if (strchr(name, '/') || strchr(name, '.'))
        return name; /* a path */
    for (const char *d = SW_MODEL_DIRS; *d;) {
        size_t len = strcspn(d, ":");
        snprintf(buf, n, "%.*s/%s.swm", (int)len, d, name);
        if (len > 0 && access(buf, R_OK) == 0)
            return buf;
        d += len + (d[len] == ':');
    }
    sw__err(ctx, SW_EARG, "model '%s': no shipped model of that name (looked in %s); give a model file's path",
            name, SW_MODEL_DIRS);
    return NULL;
}
int sw_model_halo(const sw_model *m) { return m->halo; }
int sw_model_multiple(const sw_model *m) { return m->multiple; }
int64_t sw_model_parameters(const sw_model *m) { return m->params; }
