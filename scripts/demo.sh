#!/bin/sh
# Installs the dependencies, builds sitewatch, and runs its main job on the
# built-in example: a synthetic georeferenced pair with new buildings, change
# detection with both methods, and scores against the known truth.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
OUT=${1:-demo-out}
build/sitewatch synth "$OUT/pair"
for m in cva irmad; do
    build/sitewatch detect "$OUT/pair/before.tif" "$OUT/pair/after.tif" -o "$OUT/$m" -m "$m"
    build/sitewatch eval "$OUT/$m/mask.tif" "$OUT/pair/truth.tif"
done
echo "outputs: $OUT/cva and $OUT/irmad (score.tif, mask.tif, changes.geojson, changes.gpkg, quicklook.png, summary.json)"
