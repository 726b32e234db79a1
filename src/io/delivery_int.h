/* delivery_int.h: what delivery.c (products as delivered) shares with
 * stac.c (STAC Items): building a delivery's band list, mask and date. */
#ifndef SW_DELIVERY_INT_H
#define SW_DELIVERY_INT_H

#include "io_int.h"

/* The folder of path (malloc'd; "." for a bare name), or NULL. */
char *sw__dlv_dir_of(const char *path);
/* Adds a band (file and name, both copied) to d. */
int sw__dlv_add_band(sw_ctx *ctx, sw__delivery *d, const char *file, const char *name);
/* Sets d's mask (copied) and the rule it is read by. */
int sw__dlv_set_mask(sw_ctx *ctx, sw__delivery *d, const char *path, int rule);
/* Puts d's bands in band order (sw__band_rank of their common names). */
void sw__dlv_sort_bands(sw__delivery *d);
/* YYYY-MM-DD from an ISO date-time or YYYYMMDD into date; 1 when found. */
int sw__dlv_take_date(const char *s, char date[11]);
/* stac.c: a STAC Item file, or the item want_id of an ItemCollection (NULL:
 * its only one), as a delivery. */
int sw__stac_read(sw_ctx *ctx, const char *file, const char *want_id, sw__delivery *d);

#endif
