#!/usr/bin/env python3
"""Packs the training and held-out pairs from ../shared/data into one
compressed .npz (8-bit RGB dates, boolean labels), so a training run can
carry it to a GPU machine that cannot see ../shared.

    python3 train/pack_data.py [DATA_DIR] [OUT.npz]

The split (stated in train/README.md):
  train  LEVIR-CD full tiles test_2 and test_4 (with the crops cut from
         them), DSIFN 0..6, FOTBCD (0.2 m, resampled to 0.5 m), EGY-BCD, CDD
  validation  the LEVIR-CD crops of other tiles (9 x 256^2): not trained on;
         they choose between training configurations and set the model's
         operating threshold
  held out  LEVIR-CD full tile test_5; DSIFN 7, 8, 9; SZTAKI Szada (1.5 m,
         another kind of imagery, never seen)
"""
import os
import sys

import numpy as np
from osgeo import gdal

gdal.UseExceptions()


def read_rgb(path, scale=1.0):
    ds = gdal.Open(path)
    if scale != 1.0:
        w, h = int(round(ds.RasterXSize * scale)), int(round(ds.RasterYSize * scale))
        ds = gdal.Translate("", ds, format="MEM", width=w, height=h, resampleAlg="average" if scale < 1 else "bilinear")
    a = ds.ReadAsArray()
    if a.ndim == 2:
        a = np.stack([a] * 3)
    return np.ascontiguousarray(a[:3].transpose(1, 2, 0)).astype(np.uint8)


def read_label(path, scale=1.0):
    ds = gdal.Open(path)
    if scale != 1.0:
        w, h = int(round(ds.RasterXSize * scale)), int(round(ds.RasterYSize * scale))
        ds = gdal.Translate("", ds, format="MEM", width=w, height=h, resampleAlg="average")
    a = ds.ReadAsArray()
    if a.ndim == 3:
        a = a[0]
    return a > 127


def find(folder, stem):
    for n in os.listdir(folder):
        if os.path.splitext(n)[0].lower() == stem.lower():
            return os.path.join(folder, n)
    raise FileNotFoundError(os.path.join(folder, stem))


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "data", "pairs.npz")
    pairs = []  # (name, set, split, A, B, L)

    def add(name, set_, split, a, b, l, scale=1.0):
        A, B, L = read_rgb(a, scale), read_rgb(b, scale), read_label(l, scale)
        assert A.shape == B.shape and A.shape[:2] == L.shape, (name, A.shape, B.shape, L.shape)
        pairs.append((name, set_, split, A, B, L))

    lv = os.path.join(data, "levir-cd-samples")
    full = os.path.join(lv, "fullres_extra")
    for t in ("test_2", "test_4", "test_5"):
        add(f"levir/{t}", "levir", "heldout" if t == "test_5" else "train",
            *[os.path.join(full, d, t + ".png") for d in ("A", "B", "label")])
    for n in sorted(os.listdir(os.path.join(lv, "label"))):
        tile = "_".join(n.split("_")[:2])
        if tile in ("test_2", "test_4", "test_5"):
            continue  # inside a full tile already listed
        add(f"levir/{n}", "levir", "val", *[os.path.join(lv, d, n) for d in ("A", "B", "label")])
    ds = os.path.join(data, "dsifn-cd-samples")
    for n in sorted(os.listdir(os.path.join(ds, "label"))):
        k = int(n.split("_")[0])
        add(f"dsifn/{n}", "dsifn", "heldout" if k >= 7 else "train", *[os.path.join(ds, d, n) for d in ("A", "B", "label")])
    fo = os.path.join(data, "fotbcd-samples")
    for n in sorted(os.listdir(os.path.join(fo, "label"))):
        add(f"fotbcd/{n}", "fotbcd", "train", *[os.path.join(fo, d, n) for d in ("A", "B", "label")], scale=0.4)
    eg = os.path.join(data, "egy-bcd-samples")
    for n in sorted(os.listdir(os.path.join(eg, "label"))):
        add(f"egy/{n}", "egy", "train", *[os.path.join(eg, d, n) for d in ("A", "B", "label")])
    cd = os.path.join(data, "cdd-sample")
    for n in sorted(os.listdir(os.path.join(cd, "OUT"))):
        add(f"cdd/{n}", "cdd", "train", os.path.join(cd, "A", n), os.path.join(cd, "B", n), os.path.join(cd, "OUT", n))
    sz = os.path.join(data, "sztaki-airchange", "Szada")
    for i in sorted(os.listdir(sz)):
        d = os.path.join(sz, i)
        add(f"szada/{i}", "szada", "heldout", find(d, "im1"), find(d, "im2"), find(d, "gt"))  # 1.5 m: train.py upsamples x3
    os.makedirs(os.path.dirname(out), exist_ok=True)
    arrays = {}
    for k, (name, set_, split, A, B, L) in enumerate(pairs):
        arrays[f"A{k}"], arrays[f"B{k}"], arrays[f"L{k}"] = A, B, np.packbits(L, axis=None)
        arrays[f"meta{k}"] = np.array([name, set_, split, str(L.shape[0]), str(L.shape[1]), "3" if set_ == "szada" else "1"])
    arrays["count"] = np.array(len(pairs))
    np.savez_compressed(out, **arrays)
    for name, set_, split, A, *_ in pairs:
        print(f"{split:8} {set_:7} {name:32} {A.shape[1]}x{A.shape[0]}")
    print(out, os.path.getsize(out) // 1024, "KiB")


if __name__ == "__main__":
    main()
