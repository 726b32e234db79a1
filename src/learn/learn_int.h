/* learn_int.h: the model's in-memory form, shared by model.c and infer.c. */
#ifndef SW_LEARN_INT_H
#define SW_LEARN_INT_H

#include "../sw_int.h"

enum { SW__MAX_DEPTH = 8, SW__MAX_LAYERS = 4 * SW__MAX_DEPTH };

typedef struct sw__layer {
    int cin, cout, k, relu;
    float *w; /* cout x cin x k x k */
    float *b; /* cout */
} sw__layer;

struct sw_model {
    char *header;
    int depth, bands, halo, multiple;
    int ch[SW__MAX_DEPTH];
    double gsd;
    double threshold; /* operating probability: the header's "threshold", else 0.5 */
    double tta_threshold; /* with test-time augmentation: "tta_threshold", else threshold */
    char *band_name[64]; /* the header's band_names (NULL where it has none) */
    char *name;          /* the header's name, or NULL */
    char *heldout;       /* "set F1, ..." from provenance.heldout_scores, or NULL */
    int nlayers;
    int64_t params;
    /* execution order: enc0.0 enc0.1 ... enc{d-1}.1, dec{d-2}.0 dec{d-2}.1 ... dec0.1, head */
    sw__layer layer[SW__MAX_LAYERS];
};

#endif
