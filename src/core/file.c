/*
 * file.c: hashing, atomic writes and folders. Inputs are hashed with
 * OpenSSL's SHA-256 (hardware-accelerated where the CPU has it).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../sw_int.h"

int sw__sha256_file(sw_ctx *ctx, const char *path, char hex[65])
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return sw__err(ctx, SW_EIO, "%s: cannot open: %s", path, strerror(errno));
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (!md || EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) {
        fclose(f);
        EVP_MD_CTX_free(md);
        return sw__err(ctx, SW_ENOMEM, "cannot start SHA-256");
    }
    enum { CHUNK = 1 << 20 };
    unsigned char *buf = malloc(CHUNK);
    int rc = buf ? 0 : sw__err(ctx, SW_ENOMEM, "out of memory hashing %s", path);
    size_t n;
    while (rc == 0 && (n = fread(buf, 1, CHUNK, f)) > 0)
        EVP_DigestUpdate(md, buf, n);
    if (rc == 0 && ferror(f))
        rc = sw__err(ctx, SW_EIO, "%s: read error while hashing", path);
    unsigned char dig[32];
    unsigned int dlen = 0;
    if (rc == 0) {
        EVP_DigestFinal_ex(md, dig, &dlen);
        for (unsigned i = 0; i < 32; i++)
            snprintf(hex + 2 * i, 3, "%02x", dig[i]);
    }
    free(buf);
    EVP_MD_CTX_free(md);
    fclose(f);
    return rc;
}

char *sw__tmpdir_make(sw_ctx *ctx, const char *dir)
{
    size_t n = strlen(dir) + 64;
    char *t = malloc(n);
    if (!t) {
        sw__err(ctx, SW_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(t, n, "%s/.sw-tmp-%ld-XXXXXX", *dir ? dir : ".", (long)getpid());
    if (!mkdtemp(t)) {
        sw__err(ctx, SW_EIO, "%s: cannot make a folder for temporary files: %s", dir, strerror(errno));
        free(t);
        return NULL;
    }
    return t;
}

char *sw__tmp_beside(sw_ctx *ctx, const char *path, char **tmpdir)
{
    const char *slash = strrchr(path, '/');
    size_t dl = slash ? (size_t)(slash - path) : 0;
    char *dir = malloc(dl + 2);
    if (!dir) {
        sw__err(ctx, SW_ENOMEM, "out of memory");
        return NULL;
    }
    if (slash)
        snprintf(dir, dl + 2, "%.*s", (int)(dl ? dl : 1), dl ? path : "/");
    else
        snprintf(dir, dl + 2, ".");
    sw__tmpdir_clean(dir); /* a killed run's leftovers */
    *tmpdir = sw__tmpdir_make(ctx, dir);
    free(dir);
    if (!*tmpdir)
        return NULL;
    const char *base = slash ? slash + 1 : path;
    size_t n = strlen(*tmpdir) + strlen(base) + 2;
    char *t = malloc(n);
    if (!t) {
        sw__tmpdir_remove(*tmpdir);
        free(*tmpdir);
        *tmpdir = NULL;
        sw__err(ctx, SW_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(t, n, "%s/%s", *tmpdir, base);
    return t;
}

void sw__tmpdir_remove(const char *tmpdir)
{
    if (!tmpdir)
        return;
    DIR *d = opendir(tmpdir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    if (d)
        closedir(d);
    rmdir(tmpdir);
}

void sw__tmpdir_clean(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, ".sw-tmp-", 8) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + 8, &end, 10);
        if (pid <= 0 || *end != '-' || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue; /* its process still runs (or the name is not ours) */
        char p[4400];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
            sw__tmpdir_remove(p);
    }
    if (d)
        closedir(d);
}

int sw__file_write_atomic(sw_ctx *ctx, const char *path, const char *data, size_t len)
{
    /* Through a fresh private folder beside path: nothing planted under a
     * guessable name can be followed. */
    char *tmpdir = NULL, *tmp = sw__tmp_beside(ctx, path, &tmpdir);
    if (!tmp)
        return ctx ? ctx->code : SW_EIO;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        sw__tmpdir_remove(tmpdir);
        free(tmpdir);
        free(tmp);
        return sw__err(ctx, SW_EIO, "%s: cannot create: %s", path, strerror(e));
    }
    int ok = fwrite(data, 1, len, f) == len;
    ok = (fflush(f) == 0) && ok;
    ok = (fsync(fileno(f)) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    int rc = 0;
    if (!ok || rename(tmp, path) != 0)
        rc = sw__err(ctx, SW_EIO, "%s: cannot write: %s", path, strerror(errno));
    sw__tmpdir_remove(tmpdir);
    free(tmpdir);
    free(tmp);
    return rc;
}

int sw__mkdir_p(sw_ctx *ctx, const char *path)
{
    char *p = strdup(path);
    if (!p)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    for (char *s = p + 1;; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                free(p);
                return sw__err(ctx, SW_EIO, "%s: cannot create folder: %s", path, strerror(e));
            }
            *s = c;
            if (c == '\0')
                break;
        }
    }
    free(p);
    struct stat st;
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
        return sw__err(ctx, SW_EIO, "%s: not a folder", path);
    return 0;
}

char *sw__base64(const void *data, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, data, (int)n);
    return out;
}

void sw__sha256_hex(const void *data, size_t n, char hex[65])
{
    unsigned char dig[32];
    unsigned int dlen = 0;
    EVP_Digest(data, n, dig, &dlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", dig[i]);
}

int sw__read_file(sw_ctx *ctx, const char *path, size_t max, char **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return sw__err(ctx, SW_EIO, "%s: %s", path, strerror(errno));
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    int rc = buf ? 0 : sw__err(ctx, SW_ENOMEM, "out of memory");
    while (rc == 0) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            if (ferror(f))
                rc = sw__err(ctx, SW_EIO, "%s: cannot read: %s", path, strerror(errno));
            break;
        }
        if (n == cap) {
            if (cap >= max) {
                rc = sw__err(ctx, SW_EFORMAT, "%s: larger than %zu bytes", path, max);
                break;
            }
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                rc = sw__err(ctx, SW_ENOMEM, "out of memory");
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}
