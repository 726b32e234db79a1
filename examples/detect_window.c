/*
 * detect_window.c: libsitewatch embedded in another program. Opens a pair
 * of images, detects change on a window of it in memory, and prints the
 * change objects: id, area, mean score, centroid and outline.
 *
 *   detect_window BEFORE AFTER [X Y WIDTH HEIGHT]
 *
 * Build against an installed sitewatch:
 *   cc detect_window.c $(pkg-config --cflags --libs sitewatch)
 */
#include <stdio.h>
#include <stdlib.h>

#include <sitewatch/sitewatch.h>

int main(int argc, char **argv)
{
    if (argc != 3 && argc != 7) {
        fprintf(stderr, "usage: %s BEFORE AFTER [X Y WIDTH HEIGHT]\n", argv[0]);
        return 2;
    }
    sw_ctx *ctx = sw_ctx_new();
    sw_pair *pair = NULL;
    sw_objects *objs = NULL;
    sw_window win, *w = NULL;
    if (argc == 7) {
        win = (sw_window){atoll(argv[3]), atoll(argv[4]), atoll(argv[5]), atoll(argv[6])};
        w = &win;
    }
    int rc = sw_pair_open(ctx, argv[1], argv[2], NULL, &pair);
    if (rc == 0)
        rc = sw_detect_window(ctx, pair, w, NULL, &objs); /* default options: method auto */
    if (rc) {
        fprintf(stderr, "detect_window: %s\n", sw_ctx_errmsg(ctx));
    } else {
        const char *why, *method = sw_objects_method(objs, &why);
        printf("%lld objects (%s: %s)\n", (long long)sw_objects_count(objs), method, why);
        for (int64_t i = 0; i < sw_objects_count(objs); i++) {
            const sw_object *o = sw_objects_get(objs, i);
            printf("%lld\t%.1f m2\tscore %.3g\t%.6f %.6f\t%.60s...\n", (long long)o->id, o->area_subpixel_m2,
                   o->score_mean, o->lon, o->lat, o->wkt);
        }
    }
    sw_objects_free(objs);
    sw_pair_close(pair);
    sw_ctx_free(ctx);
    return rc ? 1 : 0;
}
