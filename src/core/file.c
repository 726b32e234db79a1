/*
 * file.c: hashing, atomic writes and folders. Inputs are hashed with
 * OpenSSL's SHA-256 (hardware-accelerated where the CPU has it).
 */
#include <errno.h>
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

int sw__file_write_atomic(sw_ctx *ctx, const char *path, const char *data, size_t len)
{
    size_t plen = strlen(path) + 32;
    char *tmp = malloc(plen);
    if (!tmp)
        return sw__err(ctx, SW_ENOMEM, "out of memory");
    snprintf(tmp, plen, "%s.tmp-%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        int e = errno;
        free(tmp);
        return sw__err(ctx, SW_EIO, "%s: cannot create: %s", path, strerror(e));
    }
    int ok = fwrite(data, 1, len, f) == len;
    ok = (fflush(f) == 0) && ok;
    ok = (fsync(fileno(f)) == 0) && ok;
    ok = (fclose(f) == 0) && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        free(tmp);
        return sw__err(ctx, SW_EIO, "%s: cannot write: %s", path, strerror(e));
    }
    free(tmp);
    return 0;
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
