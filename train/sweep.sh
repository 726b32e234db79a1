#!/bin/sh
# Trains several configurations side by side on one GPU (each its own
# process; the GPU has room for all), then packs each run's outputs into
# OUT/NAME.tar: model.swm, model.pt, scores.json, train.log, ref0/1.bin.
# Which run ships is chosen on the validation F1 in scores.json, never on
# the held-out scores (train/README.md).
#
#   sh train/sweep.sh OUT MINUTES 'NAME ARGS...' 'NAME ARGS...' ...
set -u
out=$1 minutes=$2
shift 2
mkdir -p "$out"
for conf in "$@"; do
    name=${conf%% *} args=${conf#* }
    mkdir -p "/tmp/sweep/$name"
    OMP_NUM_THREADS=2 PYTHONUNBUFFERED=1 python3 train/train.py --out "/tmp/sweep/$name" --minutes "$minutes" $args \
        >"/tmp/sweep/$name/stdout.log" 2>&1 &
done
wait
for conf in "$@"; do
    name=${conf%% *}
    tail -n 6 "/tmp/sweep/$name/stdout.log" | sed "s/^/$name: /"
    tar -C /tmp/sweep -cf "$out/$name.tar" "$name"
done
