#!/bin/sh
# `sitewatch eval --score` against what an analyst would otherwise write:
# numpy over the whole map (an exact sort: ROC AUC by ranks, average
# precision and the best F1 over every threshold). One score map of N x N
# float32 pixels (default 8192: 64 Mpx, 256 MB) with a truth of change
# blobs; the scores are noisy so the curves are not trivial. Reports wall
# time and peak memory (GNU time) of each, and their results side by side.
#
#   bench/eval_score.sh [N] [WORKDIR]      (default 8192, /tmp/sw-eval-bench)
#
# Needs GNU time (apt-get install time) and python3-gdal, python3-numpy.
set -eu
cd "$(dirname "$0")/.."
N=${1:-8192}
WORK=${2:-/tmp/sw-eval-bench}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build -j "$(nproc)" >/dev/null
SW=$(pwd)/build/sitewatch
rm -rf "$WORK"
mkdir -p "$WORK"
/usr/bin/python3 - "$N" "$WORK" <<'PY'
import sys
import numpy as np
from osgeo import gdal
n, work = int(sys.argv[1]), sys.argv[2]
rng = np.random.default_rng(1)
drv = gdal.GetDriverByName("GTiff")
opts = ["TILED=YES", "COMPRESS=ZSTD"]
s = drv.Create(f"{work}/score.tif", n, n, 1, gdal.GDT_Float32, opts)
t = drv.Create(f"{work}/truth.tif", n, n, 1, gdal.GDT_Byte, opts)
yy, xx = np.mgrid[0:1024, 0:n]
for y0 in range(0, n, 1024):
    # change: discs on a grid; score: chi-square-like noise, higher inside
    ch = ((yy + y0) % 300 - 150) ** 2 + (xx % 300 - 150) ** 2 < 60 ** 2
    sc = rng.chisquare(3, ch.shape) + ch * rng.gamma(2.0, 6.0, ch.shape)
    t.GetRasterBand(1).WriteArray((ch * 255).astype(np.uint8), 0, y0)
    s.GetRasterBand(1).WriteArray(sc.astype(np.float32), 0, y0)
s = t = None
PY
cat > "$WORK/numpy_curve.py" <<'PY'
import sys
import numpy as np
from osgeo import gdal
s = gdal.Open(sys.argv[1]).ReadAsArray().ravel()
t = gdal.Open(sys.argv[2]).ReadAsArray().ravel() > 127
o = np.argsort(-s, kind="stable")
s, t = s[o], t[o]
tp = np.cumsum(t)
fp = np.cumsum(~t)
last = np.r_[s[1:] != s[:-1], True]          # the end of each run of equal scores
tp, fp = tp[last], fp[last]
P, N = tp[-1], fp[-1]
f1 = 2 * tp / (tp + fp + P)
tpr, fpr = np.r_[0, tp] / P, np.r_[0, fp] / N
auc = np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2)
ap = np.sum((tpr[1:] - tpr[:-1]) * tp / (tp + fp))
print(f"numpy: ROC AUC {auc:.4f}  AP {ap:.4f}  best F1 {f1.max():.4f} at score >= {s[last][f1.argmax()]:.6g}")
PY
echo "score map: $N x $N float32"
/usr/bin/time -f "sitewatch eval --score: %e s, peak %M KB" $SW eval --score "$WORK/score.tif" "$WORK/truth.tif"
/usr/bin/time -f "numpy (exact sort): %e s, peak %M KB" /usr/bin/python3 "$WORK/numpy_curve.py" "$WORK/score.tif" "$WORK/truth.tif"
