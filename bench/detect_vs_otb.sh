#!/bin/sh
# Throughput and peak memory of `sitewatch detect` (IR-MAD and CVA) beside
# ORFEO ToolBox's MultivariateAlterationDetector (Debian otb-bin) and a plain
# read of both images through GDAL, on one large synthetic pair, in one run.
#
#   bench/detect_vs_otb.sh [SIZE] [WORKDIR]     (default 8192, /tmp/sw-bench)
#
# SIZE is the side in pixels of a 4-band uint16 pair (16384 is 2 GiB of
# pixels per date). Needs otb-bin and GNU time (apt-get install otb-bin time).
set -eu
cd "$(dirname "$0")/.."
SIZE=${1:-8192}
WORK=${2:-/tmp/sw-bench}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
SW=build/sitewatch
mkdir -p "$WORK"
if [ ! -f "$WORK/pair-$SIZE/after.tif" ]; then
    $SW synth "$WORK/pair-$SIZE" --size "$SIZE" -q
fi
A="$WORK/pair-$SIZE/before.tif"
B="$WORK/pair-$SIZE/after.tif"
MPX=$(echo "$SIZE * $SIZE / 1000000" | bc -l)
NPROC=$(nproc)
printf '%s x %s px, 4 bands uint16 per date, %s cores\n' "$SIZE" "$SIZE" "$NPROC"
printf '%-44s %9s %10s %12s\n' tool seconds "Mpx/s" "peak MB"
run() {
    name=$1
    shift
    sync
    /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >/dev/null 2>"$WORK/err.txt" || {
        echo "$name failed:"; cat "$WORK/err.txt"; return 0; }
    read -r secs kb < "$WORK/time.txt"
    printf '%-44s %9.2f %10.1f %12.0f\n' "$name" "$secs" "$(echo "$MPX / $secs" | bc -l)" "$(echo "$kb / 1024" | bc -l)"
}
run "plain GDAL read of both dates" build/bench/plain_read "$A" "$B"
run "sitewatch detect -m irmad" $SW detect "$A" "$B" -o "$WORK/out-irmad" -m irmad -q
run "sitewatch detect -m irmad --max-memory 512M" $SW detect "$A" "$B" -o "$WORK/out-irmad-512" -m irmad -q --max-memory 512M
run "sitewatch detect -m cva" $SW detect "$A" "$B" -o "$WORK/out-cva" -m cva -q
run "sitewatch detect -m irmad -j 1" $SW detect "$A" "$B" -o "$WORK/out-irmad-1" -m irmad -q -j 1
ITK_GLOBAL_DEFAULT_NUMBER_OF_THREADS=$NPROC OTB_MAX_RAM_HINT=512 \
    run "OTB MultivariateAlterationDetector (MAD)" otbcli_MultivariateAlterationDetector \
    -in1 "$A" -in2 "$B" -out "$WORK/otb-mad.tif" float -ram 512
