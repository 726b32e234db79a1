#!/bin/sh
# Installs what sitewatch needs to build and test, from Debian 12 packages.
# Called by the README's commands and by .ci/run. Run as root (or with sudo).
set -eu
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
    build-essential cmake pkg-config ca-certificates clang \
    libgdal-dev gdal-bin libfftw3-dev liblapacke-dev libopenblas-dev \
    libsqlite3-dev libpq-dev libssl-dev libcmocka-dev libcjson-dev zlib1g-dev \
    python3 python3-numpy python3-gdal python3-jsonschema chromium \
    postgresql-15 postgresql-15-postgis-3 slurm-wlm munge >/dev/null
