#!/bin/sh
# Installs the dependencies, builds sitewatch, and runs its main job on the
# built-in example: a watched site. `sitewatch demo` synthesizes a plant that
# grows over a year of ten PlanetScope-like scenes (one cloudy, one
# misregistered, one cut short), adds the site, ingests the scenes in
# shuffled order, prints the timeline and the alerts, and writes the
# evidence report; then the pair job (detect + eval) runs on one pair.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
OUT=${1:-demo-out}
rm -rf "$OUT"
build/sitewatch demo "$OUT/site"
build/sitewatch synth "$OUT/pair"
build/sitewatch detect "$OUT/pair/before.tif" "$OUT/pair/after.tif" -o "$OUT/detect" -m auto
build/sitewatch eval "$OUT/detect/mask.tif" "$OUT/pair/truth.tif"
echo "the watched site: $OUT/site (open $OUT/site/report.html); one pair: $OUT/detect"
