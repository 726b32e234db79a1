#!/usr/bin/env python3
"""The operating threshold of a model with test-time augmentation
(`detect --tta`), chosen as its plain threshold was: by pooled F1 on the
validation split (the 9 LEVIR-CD crops of tiles no model trained on), here
through the sitewatch binary itself, so the mask's rules (minimum area)
count. At --gsd 3 the crops are area-averaged to 3 m first, as the 3 m
model's validation was.

    python3 train/tta_threshold.py build/sitewatch ../shared/data MODEL GSD THRESHOLDS
    python3 train/tta_threshold.py build/sitewatch ../shared/data models/buildings.swm 0.5 0.1,0.2,0.3
    python3 train/swm.py retag models/buildings.swm models/buildings.swm '{"tta_threshold": 0.3}'

Prints, per threshold, pooled F1 without and with --tta.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "bench"))
from heldout import area_down, read, write  # noqa: E402


def validation_pairs(data, gsd, tmp):
    lv = os.path.join(data, "levir-cd-samples")
    crops = [n for n in sorted(os.listdir(os.path.join(lv, "A")))
             if not n.startswith("test_2_") and os.path.exists(os.path.join(lv, "label", n))]
    if gsd == 0.5:
        return [tuple(os.path.join(lv, d, n) for d in ("A", "B", "label")) for n in crops]
    f, out = gsd / 0.5, []
    for k, n in enumerate(crops):
        a, b = (area_down(read(os.path.join(lv, d, n)), f) for d in ("A", "B"))
        t = (area_down((read(os.path.join(lv, "label", n), 1) > 127).astype(np.float32), f)[0] > 0.5)
        out.append((write(os.path.join(tmp, f"{k}a.tif"), a), write(os.path.join(tmp, f"{k}b.tif"), b),
                    write(os.path.join(tmp, f"{k}t.tif"), t.astype(np.uint8) * 255)))
    return out


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    sw, data, model, gsd, ths = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5]
    with tempfile.TemporaryDirectory(prefix="sw-tta-") as tmp:
        pairs = validation_pairs(data, gsd, tmp)
        print(f"{len(pairs)} validation pairs at {gsd} m")
        for tta in ([], ["--tta"]):
            row = []
            for t in ths.split(","):
                c = np.zeros(4, np.int64)
                for a, b, truth in pairs:
                    out = os.path.join(tmp, "out")
                    subprocess.run([sw, "detect", a, b, "-o", out, "-m", "learned", "--model", model, "--gsd",
                                    str(gsd), "-t", t, "-q"] + tta, check=True)
                    j = json.loads(subprocess.run([sw, "eval", os.path.join(out, "mask.tif"), truth, "--json"],
                                                  capture_output=True, text=True, check=True).stdout)
                    c += [j["tp"], j["fp"], j["fn"], j["tn"]]
                tp, fp, fn, _ = c
                row.append(f"{t}: {2 * tp / max(1, 2 * tp + fp + fn):.3f}")
            print("--tta" if tta else "plain", "  ".join(row), flush=True)


if __name__ == "__main__":
    main()
