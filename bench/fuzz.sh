#!/bin/sh
# Runs sitewatch's libFuzzer harnesses (tests/fuzz/: the .swm loader, AOI
# GeoJSON, STAC items, PlanetScope sidecars, @LIST files, WKT, catalog
# files, a small raster through detect, the command line's option values) under ASan+UBSan, each for SECONDS
# (default 60), from the seed corpora in tests/fuzz/corpus/ (new inputs go
# to a scratch copy), and prints each one's executions, coverage and
# features; exits 1 on any crash or sanitizer report. CI runs it for a few
# seconds each (scripts/test.sh). Needs Debian's clang.
#
#   bench/fuzz.sh [SECONDS] [BUILD_DIR]     (default 60, /tmp/sw-fuzz-build)
#   SW_FUZZ_HARNESSES="stac list" bench/fuzz.sh ...   (some of them)
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-60}
B=${2:-/tmp/sw-fuzz-build}
HARNESSES=${SW_FUZZ_HARNESSES:-"model aoi stac sidecar list wkt catalog raster options"}
CC=clang cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSW_FUZZ=ON >/dev/null
targets=""
for h in $HARNESSES; do targets="$targets fuzz_$h"; done
cmake --build "$B" -j "$(nproc)" --target $targets >/dev/null
status=0
printf '%-10s %8s %10s %8s %9s %s\n' harness seconds runs cov ft result
for h in $HARNESSES; do
    work=$(mktemp -d)
    cp -r "tests/fuzz/corpus/$h/." "$work/"
    log="$B/fuzz_$h.log"
    result=ok
    if ! ASAN_OPTIONS=detect_leaks=1 "$B/tests/fuzz_$h" -max_total_time="$SECS" -max_len=65536 -timeout=20 \
        -rss_limit_mb=2048 -close_fd_mask=2 -print_final_stats=1 -artifact_prefix="$B/crash-$h-" "$work" >"$log" 2>&1; then
        status=1
        result="CRASH: see $log and $B/crash-$h-*"
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    ft=$(grep -oE 'ft: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    printf '%-10s %8s %10s %8s %9s %s\n' "$h" "$SECS" "${runs:-?}" "${cov:-?}" "${ft:-?}" "$result"
    rm -rf "$work"
done
exit $status
