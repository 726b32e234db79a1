#!/bin/sh
# Installs the dependencies, builds with warnings as errors, runs every test
# (unit, golden CLI, real-data accuracy floors, the demo site and its report
# in headless Chromium), then builds once more under AddressSanitizer + UBSan
# and runs the unit, CLI and demo tests again, and runs each libFuzzer
# harness (tests/fuzz/) for a short fixed time.
set -eu
cd "$(dirname "$0")/.."
scripts/install-deps.sh
JOBS=$(nproc)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSW_WERROR=ON
cmake --build build -j "$JOBS"
ctest --test-dir build --output-on-failure -j "$JOBS"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSW_WERROR=ON -DSW_SANITIZE=ON
cmake --build build-asan -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$JOBS" -L 'unit|cli|demo'
bench/fuzz.sh 15 build-fuzz
