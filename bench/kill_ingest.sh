#!/bin/sh
# Crash safety at volume: tests/cli/ingest_kill.py with KILLS SIGKILLs
# (default 100) spread over a whole ingest, its analysis included; after
# every kill the catalog's integrity and every recorded chip are checked,
# then a rerun must finish the work and leave no orphan. CTest runs the
# short version (24 kills, catalog_kill).
#
#   bench/kill_ingest.sh [KILLS] [BUILD_DIR]     (default 100, build)
set -eu
cd "$(dirname "$0")/.."
exec /usr/bin/python3 tests/cli/ingest_kill.py "${2:-build}/sitewatch" "${1:-100}" 1.0
