#!/usr/bin/env python3
"""How auto's rule for multispectral imagery without a model was chosen
(docs/accuracy.md, "Sentinel-2's threshold"): ten unsupervised variants on
OSCD's 8 cities through the sitewatch binary, F1 per city and pooled
(summed confusion matrix), and the variant chosen leave-one-city-out: each
city scored with the variant whose pooled F1 is best on the other seven,
so the pooled result of that procedure is a held-out estimate of the rule.

    python3 bench/s2_rule.py [build/sitewatch] [../shared/data]
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

from heldout import s2_cities  # OSCD's folders and labels, one reading

CITIES = ["abudhabi", "aguasclaras", "beihai", "bercy", "cupertino", "mumbai", "pisa", "saclay_e"]
B10 = "B02,B03,B04,B08"
B1020 = "B02,B03,B04,B05,B06,B07,B08,B8A,B11,B12"
VARIANTS = {
    "cva, 13 bands, Otsu": ["-m", "cva", "-t", "otsu"],
    "cva, 10 m bands": ["-m", "cva", "-b", B10, "-t", "otsu"],
    "cva, 10 and 20 m bands": ["-m", "cva", "-b", B1020, "-t", "otsu"],
    "cva, red, NIR, SWIR": ["-m", "cva", "-b", "B04,B08,B11,B12", "-t", "otsu"],
    "irmad, 10 and 20 m bands": ["-m", "irmad", "-b", B1020],
    "pcakm, 10 m bands": ["-m", "pcakm", "-b", B10],
    "cva, 13 bands, Kittler-Illingworth": ["-m", "cva", "-t", "ki"],
    "cva, 10 and 20 m bands, Kittler-Illingworth": ["-m", "cva", "-b", B1020, "-t", "ki"],
    "cva, 10 and 20 m bands, opening": ["-m", "cva", "-b", B1020, "-t", "otsu", "--morph", "open"],
    "diff, 10 and 20 m bands": ["-m", "diff", "-b", B1020, "-t", "otsu"],
}


def f1(c):
    return 2 * c[0] / max(1, 2 * c[0] + c[1] + c[2])


def main():
    sw = sys.argv[1] if len(sys.argv) > 1 else "build/sitewatch"
    data = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
    res = {}
    with tempfile.TemporaryDirectory(prefix="sw-s2-") as tmp:
        cities = {c: (a, b, t) for c, a, b, t in s2_cities(data, tmp, CITIES)}
        print("| variant | " + " | ".join(CITIES) + " | **pooled** |")
        print("|---|" + "---|" * (len(CITIES) + 1))
        for name, args in VARIANTS.items():
            res[name] = {}
            for c in CITIES:
                out = os.path.join(tmp, "out")
                a, b, truth = cities[c]
                subprocess.run([sw, "detect", a, b, "-o", out, "-q"] + args, check=True)
                j = json.loads(subprocess.run([sw, "eval", os.path.join(out, "mask.tif"), truth, "--json"],
                                              capture_output=True, text=True, check=True).stdout)
                res[name][c] = np.array([j["tp"], j["fp"], j["fn"], j["tn"]], np.int64)
            pooled = sum(res[name].values())
            print(f"| {name} | " + " | ".join(f"{f1(res[name][c]):.3f}" for c in CITIES) + f" | {f1(pooled):.3f} |",
                  flush=True)
    total, picks = np.zeros(4, np.int64), []
    for c in CITIES:
        others = [o for o in CITIES if o != c]
        best = max(VARIANTS, key=lambda v: f1(sum(res[v][o] for o in others)))
        picks.append(f"{c}: {best}")
        total += res[best][c]
    print("\nleave-one-city-out choice per held-out city:\n" + "\n".join(picks))
    print(f"\npooled F1 of the leave-one-city-out choice: {f1(total):.3f}")


if __name__ == "__main__":
    main()
