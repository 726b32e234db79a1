/* fuzz_util.h: what the harnesses share: the input as a file under a
 * per-process scratch folder. */
#ifndef SW_FUZZ_UTIL_H
#define SW_FUZZ_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* Writes data to DIR/name, DIR a folder of this process's own (made once);
 * the path goes to out. Returns 0, or -1 when it cannot. */
static inline int fuzz_file(const char *name, const uint8_t *data, size_t size, char *out, size_t n)
{
    char dir[64];
    snprintf(dir, sizeof dir, "/tmp/sw-fuzz-%d", (int)getpid());
    mkdir(dir, 0700);
    snprintf(out, n, "%s/%s", dir, name);
    FILE *f = fopen(out, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, size, f);
    return fclose(f) == 0 && w == size ? 0 : -1;
}

#endif
