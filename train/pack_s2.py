#!/usr/bin/env python3
"""Packs the OSCD Sentinel-2 cities of ../shared/data for train.py: each
date's 13 bands on the city's 10 m grid (the first date's B02 grid; the
20 m and 60 m bands and the second date resampled bilinearly onto it, as
sitewatch stacks a band folder and puts a pair on one grid), and the
change map (OSCD's files: 1 = no change, 2 = change).

    python3 train/pack_s2.py [DATA_DIR] [OUT.npz]

Every city is packed as "train"; train.py's --val and --heldout name the
cities of each split (train/README.md writes down the ones used).
Values are top-of-atmosphere reflectance x 255 / 0.4 (float16), so that
train.py's radiometric jitter, written for 8-bit imagery, means the same.
"""
import os
import sys

import numpy as np
from osgeo import gdal

gdal.UseExceptions()
IMG = "oscd-sentinel2/Onera Satellite Change Detection dataset - Images"
LAB = "oscd-sentinel2/Onera Satellite Change Detection dataset - Train Labels"
ORDER = ["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"]


def band_file(folder, band):
    for n in sorted(os.listdir(folder)):
        stem = os.path.splitext(n)[0]
        if stem.upper().endswith("_" + band) and n.lower().endswith((".tif", ".jp2")):
            return os.path.join(folder, n)
    raise FileNotFoundError(f"{folder}: no {band}")


def grid_of(folder):
    ref = gdal.Open(band_file(folder, "B02"))
    gt, w, h = ref.GetGeoTransform(), ref.RasterXSize, ref.RasterYSize
    return (gt[0], gt[3] + gt[5] * h, gt[0] + gt[1] * w, gt[3]), w, h, ref.GetProjection()


def read_date(folder, grid):
    """The 13 bands on `grid` (date 1's B02 grid: date 2 is warped onto it,
    as sitewatch puts both dates on the first one's grid)."""
    bounds, w, h, srs = grid
    bands = []
    for b in ORDER:
        ds = gdal.Warp("", band_file(folder, b), format="MEM", outputBounds=bounds, width=w, height=h,
                       dstSRS=srs, resampleAlg="bilinear")
        bands.append(ds.ReadAsArray().astype(np.float32))
    x = np.stack(bands, axis=-1) / 10000.0 * 255.0 / 0.4
    return x.astype(np.float16)


def main():
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "..", "shared", "data")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), "data", "s2.npz")
    root = os.path.join(data, IMG)
    cities = sorted(c for c in os.listdir(root) if os.path.isdir(os.path.join(root, c, "imgs_1")))
    arrays = {}
    for k, c in enumerate(cities):
        grid = grid_of(os.path.join(root, c, "imgs_1"))
        A, B = read_date(os.path.join(root, c, "imgs_1"), grid), read_date(os.path.join(root, c, "imgs_2"), grid)
        L = gdal.Open(os.path.join(data, LAB, c, "cm", f"{c}-cm.tif")).ReadAsArray() == 2
        assert A.shape == B.shape and A.shape[:2] == L.shape, (c, A.shape, B.shape, L.shape)
        arrays[f"A{k}"], arrays[f"B{k}"], arrays[f"L{k}"] = A, B, np.packbits(L, axis=None)
        arrays[f"meta{k}"] = np.array([f"oscd/{c}", "oscd", "train", str(L.shape[0]), str(L.shape[1]), "1", "10"])
        print(f"{c:12} {A.shape[1]}x{A.shape[0]} change {L.mean():.4f}")
    arrays["count"] = np.array(len(cities))
    arrays["band_names"] = np.array(ORDER)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    np.savez_compressed(out, **arrays)
    print(out, os.path.getsize(out) // 1024, "KiB")


if __name__ == "__main__":
    main()
