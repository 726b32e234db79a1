#!/bin/sh
# End-to-end time of `sitewatch ingest` on one core for a PlanetScope-sized
# view of a 3 km x 3 km site: a 1000 x 1000 px, 4-band uint16 scene at 3 m.
# The first ingest cuts the scene to the site's grid and records it; the
# second also screens clouds and compares the new scene with the baseline
# (detect, objects, tracking, alerts). Each is the median of REPEATS fresh
# runs, under `taskset -c 0`.
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
cp pair/before.tif 20240301_021533_1035_3B_AnalyticMS_SR.tif
cp pair/after.tif 20240401_021533_1035_3B_AnalyticMS_SR.tif
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
for b in $BINS; do : >"first.$(echo "$b" | md5sum | cut -c1-8)"; : >"second.$(echo "$b" | md5sum | cut -c1-8)"; done
i=0
while [ "$i" -lt "$REPEATS" ]; do
    for b in $BINS; do
        k=$(echo "$b" | md5sum | cut -c1-8)
        rm -rf s.db s.db-* s.db.chips
        $b --db s.db site add bench --aoi aoi.geojson >/dev/null
        # the same detector for every binary: IR-MAD (auto now runs the 3 m
        # model at this pixel size; binaries before site set had IR-MAD)
        $b --db s.db site set bench --method "${SW_METHOD:-irmad}" >/dev/null 2>&1 || true
        /usr/bin/time -a -o "first.$k" -f "%e %M" taskset -c 0 $b --db s.db ingest bench 20240301_021533_1035_3B_AnalyticMS_SR.tif >/dev/null
        /usr/bin/time -a -o "second.$k" -f "%e %M" taskset -c 0 $b --db s.db ingest bench 20240401_021533_1035_3B_AnalyticMS_SR.tif >/dev/null
    done
    i=$((i + 1))
done
printf 'ingest of a 1000 x 1000 px, 4-band scene, one core, median of %s runs\n' "$REPEATS"
printf '%-60s %8s %9s\n' step seconds "peak MB"
for b in $BINS; do
    k=$(echo "$b" | md5sum | cut -c1-8)
    printf '%s\n' "$b"
    printf '  %-58s %8s %9.0f\n' "first scene (hash, warp to site grid, COG, record)" "$(cut -d' ' -f1 "first.$k" | median)" \
        "$(cut -d' ' -f2 "first.$k" | median | awk '{print $1/1024}')"
    printf '  %-58s %8s %9.0f\n' "second scene (+ cloud screen, detect, track, alerts)" "$(cut -d' ' -f1 "second.$k" | median)" \
        "$(cut -d' ' -f2 "second.$k" | median | awk '{print $1/1024}')"
done
