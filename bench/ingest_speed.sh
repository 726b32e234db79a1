#!/bin/sh
# End-to-end time of `sitewatch ingest` on one core for a PlanetScope-sized
# view of a 3 km x 3 km site: a 1000 x 1000 px, 4-band uint16 scene at 3 m.
# The first ingest cuts the scene to the site's grid and records it; the
# second also screens clouds and compares the new scene with the baseline
# (detect, objects, tracking, alerts). Each is the median of REPEATS fresh
# runs, under `taskset -c 0`. Twice: with the scenes' corner 2 m off the
# site's 3 m grid (sitewatch synth's; each scene is resampled onto the grid)
# and on it (corner on multiples of 3 m, as a series on one grid; each
# scene's window is copied).
#
#   bench/ingest_speed.sh [REPEATS] [WORKDIR]     (default 5, /tmp/sw-ingest-bench)
#
# With SW_BASELINE=/path/to/an/older/sitewatch, that binary runs beside this
# tree's in the same run, turn by turn, on the same files (build it from a
# worktree of the older commit: git worktree add /tmp/base REV &&
# cmake -S /tmp/base -B /tmp/base/build && cmake --build /tmp/base/build).
# The site is compared with SW_METHOD (default irmad, what auto ran before
# it took the 3 m model); SW_METHOD=auto times the 3 m model.
#
# Needs GNU time (apt-get install time) and python3-gdal (for the AOI).
set -eu
cd "$(dirname "$0")/.."
REPEATS=${1:-5}
WORK=${2:-/tmp/sw-ingest-bench}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
SW=$(pwd)/build/sitewatch
rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"
$SW synth pair --size 1000 --gsd 3 -q
mkdir -p off on
cp pair/before.tif off/20240301_021533_1035_3B_AnalyticMS_SR.tif
cp pair/after.tif off/20240401_021533_1035_3B_AnalyticMS_SR.tif
for d in 20240301 20240401; do
    f=${d}_021533_1035_3B_AnalyticMS_SR.tif
    cp "off/$f" "on/$f"
    /usr/bin/python3 -c "from osgeo import gdal; import sys; ds = gdal.Open(sys.argv[1], gdal.GA_Update); gt = list(ds.GetGeoTransform()); gt[0] -= 2; gt[3] -= 2; ds.SetGeoTransform(gt)" "on/$f"
done
# The site: the scene's footprint less 100 m on each side (ingest adds a
# 100 m margin back).
/usr/bin/python3 - <<'PY'
import json
from osgeo import osr
utm = osr.SpatialReference(); utm.ImportFromEPSG(32652); utm.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
wgs = osr.SpatialReference(); wgs.ImportFromEPSG(4326); wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
t = osr.CoordinateTransformation(utm, wgs)
x0, y0, x1, y1 = 374100, 4418100, 376900, 4420900
ring = [list(t.TransformPoint(x, y)[:2]) for x, y in [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]]
json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
          "geometry": {"type": "Polygon", "coordinates": [ring]}}]}, open("aoi.geojson", "w"))
PY
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
BINS="$SW"
[ -n "${SW_BASELINE:-}" ] && BINS="$SW_BASELINE $SW"
key() { echo "$1" | md5sum | cut -c1-8; }
for b in $BINS; do for g in off on; do : >"first.$g.$(key "$b")"; : >"second.$g.$(key "$b")"; done; done
i=0
while [ "$i" -lt "$REPEATS" ]; do
    for g in off on; do
        for b in $BINS; do
            k=$(key "$b")
            rm -rf s.db s.db-* s.db.chips
            $b --db s.db site add bench --aoi aoi.geojson >/dev/null
            # the same detector for every binary: IR-MAD (auto now runs the 3 m
            # model at this pixel size; binaries before site set had IR-MAD)
            $b --db s.db site set bench --method "${SW_METHOD:-irmad}" >/dev/null 2>&1 || true
            /usr/bin/time -a -o "first.$g.$k" -f "%e %M" taskset -c 0 $b --db s.db ingest bench $g/20240301_021533_1035_3B_AnalyticMS_SR.tif >/dev/null
            /usr/bin/time -a -o "second.$g.$k" -f "%e %M" taskset -c 0 $b --db s.db ingest bench $g/20240401_021533_1035_3B_AnalyticMS_SR.tif >/dev/null
        done
    done
    i=$((i + 1))
done
printf 'ingest of a 1000 x 1000 px, 4-band scene, one core, median of %s runs\n' "$REPEATS"
printf '%-60s %8s %9s\n' step seconds "peak MB"
for g in off on; do
    [ "$g" = off ] && printf 'scenes 2 m off the site grid (resampled onto it)\n' || printf 'scenes on the site grid (copied)\n'
    for b in $BINS; do
        k=$(key "$b")
        printf '  %s\n' "$b"
        printf '    %-56s %8s %9.0f\n' "first scene (hash, onto the site grid, COG, record)" "$(cut -d' ' -f1 "first.$g.$k" | median)" \
            "$(cut -d' ' -f2 "first.$g.$k" | median | awk '{print $1/1024}')"
        printf '    %-56s %8s %9.0f\n' "second scene (+ cloud screen, detect, track, alerts)" "$(cut -d' ' -f1 "second.$g.$k" | median)" \
            "$(cut -d' ' -f2 "second.$g.$k" | median | awk '{print $1/1024}')"
    done
done
