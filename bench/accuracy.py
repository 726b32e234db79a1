#!/usr/bin/env python3
"""The accuracy table: every sitewatch method on every labelled set in
../shared/data, pooled over each set's pairs (summed confusion matrix), and
the six deep models whose predictions ship with the LEVIR-CD and DSIFN
samples, scored with `sitewatch eval` on the same crops.

    python3 bench/accuracy.py [build/sitewatch] [../shared/data] > bench/accuracy.md

One fixed setting per method for all pairs of a set: the defaults, except
the learned model's pixel size for imagery without georeferencing (--gsd).
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal

gdal.UseExceptions()
OSCD_IMG = "oscd-sentinel2/Onera Satellite Change Detection dataset - Images"
OSCD_LAB = "oscd-sentinel2/Onera Satellite Change Detection dataset - Train Labels"


def find(folder, stem):
    for n in os.listdir(folder):
        if os.path.splitext(n)[0].lower() == stem.lower():
            return os.path.join(folder, n)
    raise FileNotFoundError(os.path.join(folder, stem))


def sets(data, tmp):
    """(set name, gsd for the learned model or None, methods, [(before, after, truth, extra args)])"""
    lv = os.path.join(data, "levir-cd-samples")
    yield ("LEVIR-CD crops (11)", 0.5, ("cva", "irmad", "diff", "pcakm", "texture", "learned+", "learned:change*"),
           [(os.path.join(lv, "A", n), os.path.join(lv, "B", n), os.path.join(lv, "label", n), [])
            for n in sorted(os.listdir(os.path.join(lv, "label")))])
    full = os.path.join(lv, "fullres_extra")
    yield ("LEVIR-CD tile test_5 (held out of training)", 0.5, ("cva", "irmad", "texture", "learned", "learned:change"),
           [tuple(os.path.join(full, d, "test_5.png") for d in ("A", "B", "label")) + ([],)])
    ds = os.path.join(data, "dsifn-cd-samples")
    yield ("DSIFN (10)", 0.5, ("cva", "irmad", "diff", "pcakm", "texture", "learned", "learned:change*"),
           [(os.path.join(ds, "A", n), os.path.join(ds, "B", n), os.path.join(ds, "label", n), [])
            for n in sorted(os.listdir(os.path.join(ds, "label")))])
    yield ("DSIFN 7-9 (held out of training)", 0.5, ("cva", "learned", "learned:change"),
           [(os.path.join(ds, "A", n), os.path.join(ds, "B", n), os.path.join(ds, "label", n), [])
            for n in sorted(os.listdir(os.path.join(ds, "label"))) if int(n.split("_")[0]) >= 7])
    sz = os.path.join(data, "sztaki-airchange", "Szada")
    yield ("SZTAKI Szada (7)", 1.5, ("cva", "irmad", "diff", "pcakm", "texture", "auto", "learned", "learned:change"),
           [(find(os.path.join(sz, i), "im1"), find(os.path.join(sz, i), "im2"), find(os.path.join(sz, i), "gt"), [])
            for i in sorted(os.listdir(sz))])
    cities = sorted(c for c in os.listdir(os.path.join(data, OSCD_IMG)) if os.path.isdir(os.path.join(data, OSCD_IMG, c, "imgs_1")))
    for label, extra in (("13 bands", []), ("4 bands B,G,R,NIR", ["-b", "B02,B03,B04,B08"])):
        yield (f"OSCD {len(cities)} cities, {label}", None, ("cva", "irmad", "diff", "pcakm", "auto"),
               [(os.path.join(data, OSCD_IMG, c, "imgs_1"), os.path.join(data, OSCD_IMG, c, "imgs_2"),
                 os.path.join(data, OSCD_LAB, c, "cm", f"{c}-cm.tif"), extra) for c in cities])
    for c in ("bern", "ottawa"):
        d = os.path.join(data, "classic-sar", c)
        yield (f"{c.capitalize()} SAR", None, ("cva", "irmad", "logratio", "pcakm", "texture", "auto"),
               [(os.path.join(d, f"{c}_1.bmp"), os.path.join(d, f"{c}_2.bmp"), os.path.join(d, f"{c}_gt.bmp"), [])])
    mx = os.path.join(data, "classic-optical-landsat", "Mexico_City-optical")
    yield ("Mexico Landsat", None, ("cva", "irmad", "diff", "logratio", "pcakm", "texture", "auto"),
           [(os.path.join(mx, "im1.bmp"), os.path.join(mx, "im2.bmp"), os.path.join(mx, "im3.bmp"), [])])
    # Taizhou: only sampled pixels are labelled; a truth with 255 elsewhere.
    tz = os.path.join(data, "landsat-taizhou-nanjing", "Taizhou")
    ch = gdal.Open(os.path.join(tz, "change.bmp")).ReadAsArray()
    un = gdal.Open(os.path.join(tz, "unchanged.bmp")).ReadAsArray()
    ch = ch[0] if ch.ndim == 3 else ch
    un = un[0] if un.ndim == 3 else un
    t = np.full(ch.shape, 255, np.uint8)
    t[un > 127] = 0
    t[ch > 127] = 1
    tpath = os.path.join(tmp, "taizhou_truth.tif")
    d = gdal.GetDriverByName("GTiff").Create(tpath, t.shape[1], t.shape[0], 1, gdal.GDT_Byte)
    d.GetRasterBand(1).WriteArray(t)
    d = None
    yield ("Taizhou Landsat (labelled pixels)", None, ("cva", "irmad", "diff", "pcakm", "auto"),
           [(os.path.join(tz, "2000TM"), os.path.join(tz, "2003TM"), tpath, ["--truth", "0,1", "--ignore", "255"])])
    # One band of it: a gray optical pair, which auto sends to the log-ratio.
    yield ("Taizhou, band 2 only (a gray pair)", None, ("cva", "diff", "logratio", "pcakm", "auto"),
           [(os.path.join(tz, "2000TM"), os.path.join(tz, "2003TM"), tpath, ["-b", "2", "--truth", "0,1", "--ignore", "255"])])


def scores(c):
    tp, fp, fn, tn = c
    n = tp + fp + fn + tn
    f1 = 2 * tp / max(1, 2 * tp + fp + fn)
    iou = tp / max(1, tp + fp + fn)
    oa = (tp + tn) / max(1, n)
    pe = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / max(1, n * n)
    kappa = (oa - pe) / (1 - pe) if pe < 1 else 0.0
    return f1, iou, kappa, oa


def evaluate(sw, pred, truth, extra):
    args = [sw, "eval", pred, truth, "--json"]
    if "--truth" in extra:
        args += ["--truth-values", extra[extra.index("--truth") + 1], "--ignore", extra[extra.index("--ignore") + 1]]
    r = subprocess.run(args, capture_output=True, text=True, check=True)
    j = json.loads(r.stdout)
    return [j["tp"], j["fp"], j["fn"], j["tn"]]


def score_curve(sw, scores, truth_paths, extra):
    """`sitewatch eval --score` over the pairs' score maps pooled on one scale:
    the F1 of the best single threshold (pixels, before any cleanup) and ROC AUC."""
    base = os.path.dirname(os.path.dirname(scores[0]))
    tdir = os.path.join(base, "truths")
    os.makedirs(tdir, exist_ok=True)
    for k, t in enumerate(truth_paths):
        os.symlink(os.path.abspath(t), os.path.join(tdir, f"{k:03d}{os.path.splitext(t)[1]}"))
    args = [sw, "eval", "--score", "--json", os.path.join(base, "scores"), tdir]
    if "--truth" in extra:
        args += ["--truth-values", extra[extra.index("--truth") + 1], "--ignore", extra[extra.index("--ignore") + 1]]
    r = subprocess.run(args, capture_output=True, text=True, check=True)
    j = json.loads(r.stdout)
    j = j.get("pooled", j)
    return j["best"]["f1"], j["roc_auc"]


def main():
    sw = sys.argv[1] if len(sys.argv) > 1 else "build/sitewatch"
    data = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
    rows = []
    with tempfile.TemporaryDirectory(prefix="sw-acc-") as tmp:
        for name, gsd, methods, pairs in sets(data, tmp):
            for m in methods:
                method = m.rstrip("*+")
                meth, _, model = method.partition(":")
                total = [0, 0, 0, 0]
                sdir = os.path.join(tmp, "curve", name, m, "scores")
                os.makedirs(sdir)
                for k, (a, b, t, extra) in enumerate(pairs):
                    out = os.path.join(tmp, "out")
                    args = [sw, "detect", a, b, "-o", out, "-m", meth, "-q"] + (["--model", model] if model else [])
                    args += [e for e in extra if e not in ("--truth", "0,1", "--ignore", "255")]
                    if meth in ("learned", "auto") and gsd:
                        args += ["--gsd", str(gsd)]
                    r = subprocess.run(args, capture_output=True, text=True)
                    if r.returncode:
                        print(f"detect failed on {a}: {r.stderr.strip()}", file=sys.stderr)
                        total = None
                        break
                    for i, v in enumerate(evaluate(sw, os.path.join(out, "mask.tif"), t, extra)):
                        total[i] += v
                    os.replace(os.path.join(out, "score.tif"), os.path.join(sdir, f"{k:03d}.tif"))
                if total:
                    best, auc = score_curve(sw, [os.path.join(sdir, f) for f in sorted(os.listdir(sdir))],
                                            [p[2] for p in pairs], pairs[0][3])
                    note = (" (seen in training)" if m.endswith("*") else
                            " (2 crops seen in training, 9 chose the run)" if m.endswith("+") else "")
                    label = {"learned": "learned (the shipped model for the pixel size)",
                             "learned:change": "learned --model change"}.get(method, method)
                    rows.append((name, f"sitewatch {label}{note}", *scores(total), best, auc))
                    print(f"{name:45} {method:10} F1 {rows[-1][2]:.3f} best-threshold F1 {best:.3f} AUC {auc:.3f}",
                          file=sys.stderr)
        # the deep models' shipped predictions
        for setdir, label, prefix in (("levir-cd-samples", "LEVIR-CD crops (the 7 with predictions)", "predict_CD_"),
                                      ("dsifn-cd-samples", "DSIFN (10)", "predict_")):
            base = os.path.join(data, setdir)
            for d in sorted(os.listdir(base)):
                if not d.startswith("predict_") or d == "predict_ChangeFormerV6" and setdir.startswith("levir"):
                    continue
                total = [0, 0, 0, 0]
                for n in sorted(os.listdir(os.path.join(base, d))):
                    for i, v in enumerate(evaluate(sw, os.path.join(base, d, n), os.path.join(base, "label", n), [])):
                        total[i] += v
                model = d.replace("predict_CD_", "").replace("predict_", "")
                rows.append((label, f"{model} (published deep model)", *scores(total), None, None))
    print("# Accuracy table\n")
    print("Made by `python3 bench/accuracy.py` on ../shared/data: pooled over each set's pairs, defaults")
    print("of every method, one setting for all pairs. `learned` runs the shipped model nearest the pixel size")
    print("(buildings at 0.5 m, buildings-3m for Szada's 1.5 m; LEVIR-CD building labels), `learned --model change` the shipped model for any")
    print("land-cover change (trained on LEVIR-CD, DSIFN 0-6, FOTBCD, EGY-BCD, CDD); where a model saw")
    print("a set (marked), its score is no evidence of accuracy. Deep models: the predictions that ship")
    print("with the samples, scored by `sitewatch eval` on the same crops.\n")
    print("The last two columns judge a method's score map rather than its threshold and cleanup")
    print("(`sitewatch eval --score`, all pairs of a set on one scale): the F1 of the best single")
    print("threshold for the whole set, on pixels before any cleanup, and the ROC AUC. Where it is")
    print("near the F1 of the mask, no threshold rule can do much better with that score.\n")
    print("| set | method | F1 | IoU | kappa | OA | best-threshold F1 | ROC AUC |")
    print("|---|---|---|---|---|---|---|---|")
    for name, m, f1, iou, kappa, oa, best, auc in rows:
        tail = f"{best:.3f} | {auc:.3f}" if best is not None else "— | —"
        print(f"| {name} | {m} | {f1:.3f} | {iou:.3f} | {kappa:.3f} | {oa:.3f} | {tail} |")


if __name__ == "__main__":
    main()
