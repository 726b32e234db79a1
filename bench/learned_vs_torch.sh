#!/bin/sh
# Inference speed of the shipped learned model: sitewatch's C engine beside
# the same model in PyTorch (Debian python3-torch), on the same cores, in
# one run. Needs: apt-get install python3-torch
set -eu
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
T=$(nproc)
MODEL=${1:-models/buildings.swm}
build/bench/model_speed "$MODEL" "$T" 4
/usr/bin/python3 bench/model_speed_torch.py "$MODEL" "$T" 4
