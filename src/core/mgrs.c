/*
 * mgrs.c: the Military Grid Reference System reference of a point, from its
 * UTM coordinates (WGS84, the "AA" lettering): zone, latitude band, the
 * 100 km square's column and row letters, then easting and northing within
 * the square. (Norway's and Svalbard's zone exceptions are not applied: the
 * zone is the one the UTM coordinates were taken in.)
 */
#include <math.h>
#include <stdio.h>

#include "../sw_int.h"

int sw__mgrs(int zone, double lat, double easting, double northing, int digits, char *out, size_t n)
{
    static const char *const bands = "CDEFGHJKLMNPQRSTUVWXX";
    static const char *const cols[3] = {"ABCDEFGH", "JKLMNPQR", "STUVWXYZ"};
    static const char *const rows = "ABCDEFGHJKLMNPQRSTUV";
    if (zone < 1 || zone > 60 || !(lat >= -80.0 && lat <= 84.0) || !(easting >= 100000.0 && easting < 900000.0) ||
        !(northing >= 0.0 && northing < 10000000.0) || digits < 0 || digits > 5)
        return -1;
    char band = bands[(int)floor((lat + 80.0) / 8.0)];
    int e100 = (int)floor(easting / 100000.0), n100 = (int)floor(northing / 100000.0);
    char col = cols[(zone - 1) % 3][e100 - 1];
    char row = rows[(n100 + (zone % 2 == 0 ? 5 : 0)) % 20];
    double scale = pow(10.0, 5 - digits);
    long e = (long)floor(fmod(easting, 100000.0) / scale), nn = (long)floor(fmod(northing, 100000.0) / scale);
    int w = digits ? snprintf(out, n, "%02d%c%c%c%0*ld%0*ld", zone, band, col, row, digits, e, digits, nn)
                   : snprintf(out, n, "%02d%c%c%c", zone, band, col, row);
    return w > 0 && (size_t)w < n ? 0 : -1;
}
