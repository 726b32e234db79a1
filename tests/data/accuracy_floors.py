#!/usr/bin/env python3
"""Accuracy floors on real imagery from ../shared/data.

Runs `sitewatch detect` and `sitewatch eval` on every labelled LEVIR-CD crop,
one OSCD city with all 13 Sentinel-2 bands (cupertino), the Bern and Ottawa
SAR pairs, Mexico, one band of the Taizhou Landsat pair (a gray optical pair,
which auto sends to the log-ratio) and the seven SZTAKI Szada pairs, with both plain methods at their defaults, and
the learned detectors (with CVA beside them) on the pairs held out of their
training: the buildings model on LEVIR-CD tile test_5 and Szada, the change
model (`--model change`) on DSIFN 7-9; `auto` and CVA on the held-out splits
of bench/heldout.py (building pairs averaged to 3 m, Szada at 3 m, two
Sentinel-2 cities); and fails
when a pooled F1 (or kappa) falls below its floor; for some, the score map
itself is judged too (`eval --score`: ROC AUC and the F1 of the best single
threshold), so a score that ranks change worse fails even where the
threshold rule hides it. The floors sit a little
under what was measured when they were set (docs/accuracy.md has the
numbers), so a regression fails CI. Exit 77 (skipped) when the data folder
is absent, except under CI, where it must be there.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench"))
import heldout  # noqa: E402  (the held-out splits and the 3 m degradation, one definition)

gdal.UseExceptions()

# (set, method) -> (metric, floor)
FLOORS = {
    # LEVIR-CD crops: no pixel statistic tells new roofs from new lawns (kappa
    # near 0 for CVA and IR-MAD); F1 there rewards flagging much of a crop
    # (-t 0.25 flags nearly all: 0.272), so this floor only catches a collapse.
    ("levir", "cva"): ("f1", 0.13),
    ("levir", "irmad"): ("f1", 0.10),
    ("oscd-cupertino", "cva"): ("f1", 0.38),
    ("oscd-cupertino", "irmad"): ("f1", 0.40),
    ("bern", "cva"): ("kappa", 0.25),
    ("bern", "irmad"): ("kappa", 0.55),
    ("szada", "cva"): ("f1", 0.21),
    ("szada", "irmad"): ("f1", 0.25),
    # held out of the learned model's training (train/README.md)
    ("levir-test_5", "learned"): ("f1", 0.85),
    ("dsifn-7-9", "learned:change"): ("f1", 0.57),
    ("szada", "learned"): ("f1", 0.19),
    ("bern", "logratio"): ("kappa", 0.82),
    ("ottawa", "logratio"): ("kappa", 0.90),
    ("bern", "auto"): ("kappa", 0.82),
    ("taizhou-band2", "auto"): ("f1", 0.85),
    ("ottawa", "auto"): ("kappa", 0.90),
    ("levir-test_5", "auto"): ("f1", 0.85),
    ("mexico", "diff"): ("f1", 0.87),
    ("mexico", "cva"): ("f1", 0.80),
    ("mexico", "pcakm"): ("f1", 0.88),
    ("szada", "pcakm"): ("f1", 0.25),
    ("levir-test_5", "cva"): ("f1", 0.06),
    ("dsifn-7-9", "cva"): ("f1", 0.32),
    # held out of every model (bench/heldout.py): building pairs averaged to
    # 3 m, pooled (LEVIR-CD test_5, the FOTBCD and EGY-BCD pairs the 3 m model
    # did not train on), where auto runs the 3 m model (measured 0.717; CVA
    # 0.113); Szada at 3 m (0.227; CVA 0.265: its land-use changes are no
    # buildings); two Sentinel-2 cities no model saw,
    # where auto runs CVA with Kittler-Illingworth's threshold (0.312; CVA
    # with Otsu's 0.218, IR-MAD 0.080; these cities were among the 8 the
    # rule was chosen on, leave-one-city-out, so this floor guards against
    # regression only)
    ("3m-buildings", "auto"): ("f1", 0.66),
    ("3m-buildings", "cva"): ("f1", 0.09),
    ("3m-szada", "auto"): ("f1", 0.20),
    ("3m-szada", "cva"): ("f1", 0.24),
    ("oscd-heldout", "auto"): ("f1", 0.28),
    ("oscd-heldout", "cva"): ("f1", 0.20),
    # the same with test-time augmentation (--tta, at the model's threshold
    # for it, chosen on the validation crops): measured 0.740 and 0.254
    ("3m-buildings", "auto+tta"): ("f1", 0.68),
    ("3m-szada", "auto+tta"): ("f1", 0.22),
}
# The score map itself, whatever the threshold (`eval --score`, pairs pooled):
# (set, method) -> (ROC AUC floor, floor of the F1 of the best single threshold)
SCORE_FLOORS = {
    ("szada", "pcakm"): (0.85, 0.40),
    ("szada", "irmad"): (0.80, 0.29),
    ("bern", "logratio"): (0.99, 0.82),
    ("mexico", "pcakm"): (0.99, 0.91),
    ("oscd-cupertino", "irmad"): (0.95, 0.55),
}
METHODS = {"levir-test_5": ("learned", "cva", "auto"), "3m-buildings": ("auto", "cva", "auto+tta"),
           "3m-szada": ("auto", "cva", "auto+tta"),
           "oscd-heldout": ("auto", "cva"), "dsifn-7-9": ("learned:change", "cva"),
           "bern": ("cva", "irmad", "logratio", "auto"), "ottawa": ("logratio", "auto"),
           "mexico": ("diff", "cva", "pcakm"), "taizhou-band2": ("auto",), "szada": ("cva", "irmad", "pcakm", "learned")}
# Pixel sizes of the sets without georeferencing, for the learned model.
GSD = {"levir-test_5": 0.5, "dsifn-7-9": 0.5, "szada": 1.5, "3m-buildings": 3, "3m-szada": 3}
# Arguments beyond the defaults: (detect's, eval's).
EXTRA = {"taizhou-band2": (["-b", "2"], ["--truth-values", "0,1", "--ignore", "255"])}


find = heldout.find  # a file by stem, whatever its extension's case


def taizhou_truth(tz, path):
    """Taizhou labels sampled pixels only: 1 change, 0 no change, 255 unlabelled."""
    def band1(name):
        a = gdal.Open(os.path.join(tz, name)).ReadAsArray()
        return a[0] if a.ndim == 3 else a
    t = np.full(band1("change.bmp").shape, 255, np.uint8)
    t[band1("unchanged.bmp") > 127] = 0
    t[band1("change.bmp") > 127] = 1
    d = gdal.GetDriverByName("GTiff").Create(path, t.shape[1], t.shape[0], 1, gdal.GDT_Byte)
    d.GetRasterBand(1).WriteArray(t)
    d = None
    return path


def pairs(data, tmp):
    levir = os.path.join(data, "levir-cd-samples")
    for name in sorted(os.listdir(os.path.join(levir, "label"))):
        yield "levir", name, [os.path.join(levir, d, name) for d in ("A", "B", "label")]
    city = "cupertino"
    img = os.path.join(data, "oscd-sentinel2", "Onera Satellite Change Detection dataset - Images", city)
    lab = os.path.join(data, "oscd-sentinel2", "Onera Satellite Change Detection dataset - Train Labels",
                       city, "cm", f"{city}-cm.tif")
    yield "oscd-cupertino", city, [os.path.join(img, "imgs_1"), os.path.join(img, "imgs_2"), lab]
    bern = os.path.join(data, "classic-sar", "bern")
    yield "bern", "bern", [os.path.join(bern, f) for f in ("bern_1.bmp", "bern_2.bmp", "bern_gt.bmp")]
    ott = os.path.join(data, "classic-sar", "ottawa")
    yield "ottawa", "ottawa", [os.path.join(ott, f) for f in ("ottawa_1.bmp", "ottawa_2.bmp", "ottawa_gt.bmp")]
    mx = os.path.join(data, "classic-optical-landsat", "Mexico_City-optical")
    yield "mexico", "mexico", [os.path.join(mx, f) for f in ("im1.bmp", "im2.bmp", "im3.bmp")]
    tz = os.path.join(data, "landsat-taizhou-nanjing", "Taizhou")
    yield "taizhou-band2", "taizhou", [os.path.join(tz, "2000TM"), os.path.join(tz, "2003TM"),
                                       taizhou_truth(tz, os.path.join(tmp, "taizhou_truth.tif"))]
    full = os.path.join(levir, "fullres_extra")
    yield "levir-test_5", "test_5", [os.path.join(full, d, "test_5.png") for d in ("A", "B", "label")]
    ds = os.path.join(data, "dsifn-cd-samples")
    for n in ("7_4.png", "8_3.png", "9_3.png"):
        yield "dsifn-7-9", n, [os.path.join(ds, d, n) for d in ("A", "B", "label")]
    szada = os.path.join(data, "sztaki-airchange", "Szada")
    for i in sorted(os.listdir(szada)):
        d = os.path.join(szada, i)
        if os.path.isdir(d):
            yield "szada", i, [find(d, "im1"), find(d, "im2"), find(d, "gt")]
    # held out of every model: building pairs area-averaged to 3 m (LEVIR-CD
    # test_5 and the sets no 3 m model trained on), Szada at 3 m, and two
    # Sentinel-2 cities
    os.makedirs(os.path.join(tmp, "3m"))
    for k, (set_, a, b, t, _) in enumerate(heldout.degraded(data, os.path.join(tmp, "3m"), 3.0)):
        if set_ in heldout.BUILDINGS_3M:
            yield "3m-buildings", f"{k}", [a, b, t]
        elif set_ == "SZTAKI Szada":
            yield "3m-szada", f"{k}", [a, b, t]
    for c, a, b, t in heldout.s2_cities(data, tmp):
        yield "oscd-heldout", c, [a, b, t]


def main():
    sw, data = sys.argv[1], sys.argv[2]
    if not os.path.isdir(data):
        if os.environ.get("CI") == "true":
            print(f"FAIL: {data} is missing under CI")
            return 1
        print(f"skipped: {data} is not here")
        return 77
    pooled = {}
    with tempfile.TemporaryDirectory(prefix="sw-data-") as tmp:
        for set_name, name, (before, after, truth) in pairs(data, tmp):
            extra_detect, extra_eval = EXTRA.get(set_name, ([], []))
            for method in METHODS.get(set_name, ("cva", "irmad")):
                out = os.path.join(tmp, set_name, method, name)
                m, _, model = method.partition(":")
                m, tta = (m[:-4], ["--tta"]) if m.endswith("+tta") else (m, [])
                args = [sw, "detect", before, after, "-o", out, "-m", m, "-q"] + (["--model", model] if model else [])
                args += tta
                args += extra_detect
                if m in ("learned", "auto") and set_name in GSD:
                    args += ["--gsd", str(GSD[set_name])]
                r = subprocess.run(args, capture_output=True, text=True)
                if r.returncode != 0:
                    print(f"FAIL detect {set_name}/{name} {method}: {r.stderr.strip()}")
                    return 1
                r = subprocess.run([sw, "eval", os.path.join(out, "mask.tif"), truth, "--json"] + extra_eval,
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    print(f"FAIL eval {set_name}/{name} {method}: {r.stderr.strip()}")
                    return 1
                cm = json.loads(r.stdout)
                if (set_name, method) in SCORE_FLOORS:
                    keep = os.path.join(tmp, "curves", set_name, method)
                    os.makedirs(os.path.join(keep, "scores"), exist_ok=True)
                    os.makedirs(os.path.join(keep, "truths"), exist_ok=True)
                    os.replace(os.path.join(out, "score.tif"), os.path.join(keep, "scores", f"{name}.tif"))
                    os.symlink(os.path.abspath(truth),
                               os.path.join(keep, "truths", name + os.path.splitext(truth)[1]))
                acc = pooled.setdefault((set_name, method), [0, 0, 0, 0])
                for k, key in enumerate(("tp", "fp", "fn", "tn")):
                    acc[k] += cm[key]
        curves = {}
        for key in SCORE_FLOORS:
            keep = os.path.join(tmp, "curves", *key)
            r = subprocess.run([sw, "eval", "--score", "--json", os.path.join(keep, "scores"),
                                os.path.join(keep, "truths")], capture_output=True, text=True)
            if r.returncode != 0:
                print(f"FAIL eval --score {key}: {r.stderr.strip()}")
                return 1
            j = json.loads(r.stdout)["pooled"]
            curves[key] = (j["roc_auc"], j["best"]["f1"])
    failed = passed = 0
    print(f"{'set':16} {'method':14} {'F1':>6} {'IoU':>6} {'kappa':>6} {'OA':>6}  floor")
    for (set_name, method), (tp, fp, fn, tn) in sorted(pooled.items()):
        n = tp + fp + fn + tn
        f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 1.0
        iou = tp / (tp + fp + fn) if tp + fp + fn else 1.0
        oa = (tp + tn) / n
        pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
        kappa = (oa - pe) / (1 - pe) if pe < 1 else 0.0
        metric, floor = FLOORS[(set_name, method)]
        value = {"f1": f1, "kappa": kappa}[metric]
        ok = value >= floor
        passed += ok
        failed += not ok
        print(f"{set_name:16} {method:14} {f1:6.3f} {iou:6.3f} {kappa:6.3f} {oa:6.3f}  {metric} >= {floor}"
              + ("" if ok else "  FAIL"))
    print(f"\n{'score map':31} {'AUC':>6} {'best-threshold F1':>18}  floors")
    for key, (auc, best) in sorted(curves.items()):
        fa, fb = SCORE_FLOORS[key]
        ok = auc >= fa and best >= fb
        passed += ok
        failed += not ok
        print(f"{key[0]:16} {key[1]:14} {auc:6.3f} {best:18.3f}  AUC >= {fa}, F1 >= {fb}" + ("" if ok else "  FAIL"))
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
