#!/bin/sh
# Runs sitewatch's libFuzzer harnesses (tests/fuzz/) under ASan+UBSan, each
# for SECONDS (default 60), from the seed corpora in tests/fuzz/corpus/ (new
# inputs go to a scratch copy), and prints executions, coverage and any crash.
# Needs Debian's clang.
#
#   bench/fuzz.sh [SECONDS] [BUILD_DIR]     (default 60, /tmp/sw-fuzz-build)
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-60}
B=${2:-/tmp/sw-fuzz-build}
CC=clang cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSW_FUZZ=ON >/dev/null
cmake --build "$B" -j "$(nproc)" --target fuzz_model fuzz_aoi >/dev/null
status=0
for h in model aoi; do
    work=$(mktemp -d)
    cp -r "tests/fuzz/corpus/$h/." "$work/"
    echo "== fuzz_$h, $SECS s"
    if ! "$B/tests/fuzz_$h" -max_total_time="$SECS" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$B/crash-$h-" "$work" 2>"$B/fuzz_$h.log"; then
        status=1
        echo "crash: see $B/fuzz_$h.log and $B/crash-$h-*"
    fi
    grep -E "^#[0-9]+ +DONE|Done [0-9]+ runs" "$B/fuzz_$h.log" | tail -1
    rm -rf "$work"
done
exit $status
