/* pair_int.h: the pair's insides, shared by pair.c (opening, warping,
 * masks) and reader.c (reading strips of both dates). */
#ifndef SW_PAIR_INT_H
#define SW_PAIR_INT_H

#include "io_int.h"

typedef struct sw__shared_date sw__shared_date;

typedef struct side {
    sw__side pub;
    char *path;        /* dataset to open: a file or a /vsimem/ VRT */
    char *vsimem;      /* the VRT we own, or NULL */
    GDALDatasetH ds;
    int nb;
    char **names;      /* nb band names */
    int *alpha;        /* nb flags */
    int *sel;          /* selected bands, 1-based */
    int nsel;
} side;

struct sw__pair {
    sw__pair_info info;
    /* per date: a mask raster on the output grid (a file or a warped VRT) */
    char *mask_path[2], *mask_vsimem[2];
    int mask_band[2], mask_rule[2]; /* SW__MASK_... */
    int shifted;       /* AFTER is resampled at (x + dx(x, y), y + dy(x, y)) when read */
    double ax[3], ay[3]; /* dx = ax[0] + ax[1] x + ax[2] y, dy likewise (the whole grid's pixels) */
    /* the window readers see (sw__pair_set_window): its origin on the whole
     * grid, and the whole grid's size and geotransform */
    int64_t wx, wy, full_w, full_h;
    double full_gt[6];
    side s[2];         /* 0 BEFORE, 1 AFTER */
    char *after_path;  /* what readers open for AFTER (warped or not) */
    sw__shared_date *shared[2]; /* per date, the handle strips that share block rows are read through */
    char *warp_vsimem;
    OGRCoordinateTransformationH to_wgs84;
};

/* reader.c: per date, one handle that the readers share, for strips that
 * share block rows with the next strip (a shifted AFTER's, reaching a row
 * into it; strips shorter than a block): shared, each block is decoded once. */
sw__shared_date *sw__shared_date_new(void);
void sw__shared_date_free(sw__shared_date *s);

/* bandset.c */
char *sw__vsimem_name(const char *what);           /* a fresh /vsimem/ path (malloc'd) */
extern const char *const sw__s2_order[];           /* B01 .. B12, B8A in band order */
int sw__s2_band_of(const char *path);              /* its index in sw__s2_order, or -1 */
void sw__free_strv(char **v, int n);
/* The files of a folder (is_dir) or "@list" into s->pub.files; a
 * Sentinel-2 band set in band order, anything else by name. */
int sw__bandset_list(sw_ctx *ctx, side *s, const char *given, int is_dir);
/* s's files stacked into a /vsimem/ VRT (s->vsimem), the finest grid. */
int sw__bandset_stack(sw_ctx *ctx, side *s, const char *resampling);
/* What given names, ready for s: s->path (a raster file, or a /vsimem/
 * VRT of a delivery's or a folder's bands, named when their names are
 * known) and s->pub.files. meta (may be NULL) receives the delivery's date,
 * sensor and mask (its files moved to s); meta->kind NULL when given is no
 * delivery. */
int sw__side_source(sw_ctx *ctx, side *s, const char *given, const char *resampling, sw__delivery *meta);
/* pair.c */
void sw__side_close(side *s);

#endif
