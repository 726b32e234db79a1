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
# The whole detect (read, standardize, tiles, network, mask, objects) on a
# 1024 x 1024 RGB pair at 0.5 m, without and with test-time augmentation
# (--tta: the network on four mirror images of each tile).
W=$(mktemp -d)
build/sitewatch synth "$W/pair" --size 1024 --bands 3 -q
for tta in "" --tta; do
    /usr/bin/time -f "detect -m learned ${tta:-(no --tta)} on 1024 x 1024: %e s, peak %M KB" \
        build/sitewatch detect "$W/pair/before.tif" "$W/pair/after.tif" -o "$W/out" -m learned -q $tta
done
rm -rf "$W"
