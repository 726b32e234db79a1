#!/usr/bin/env python3
"""detect's quicklook.png: a sane size (panels of at most 640 px, under 2 MB
for a 2048 x 2048 pair), titled with each date's acquisition date (two runs
whose BEFORE differs only in the date its name carries differ only in
BEFORE's title), a scale bar on BEFORE and a legend below, and the objects'
edges in magenta with a black rim outside them on the third panel."""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal

gdal.UseExceptions()


def main():
    sw = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="sw-ql-")
    failed = []
    try:
        subprocess.run([sw, "synth", f"{tmp}/syn", "-s", "2048", "-g", "0.5", "-q"], check=True)
        pics = []
        for i, day in enumerate(("20240301", "20240302")):
            d = f"{tmp}/run{i}"
            os.makedirs(d)
            a = f"{d}/{day}_021533_1035_3B_AnalyticMS_SR.tif"
            b = f"{d}/20240601_021533_1035_3B_AnalyticMS_SR.tif"
            os.symlink(f"{tmp}/syn/before.tif", a)
            os.symlink(f"{tmp}/syn/after.tif", b)
            subprocess.run([sw, "detect", a, b, "-o", f"{d}/out", "-q", "-m", "cva"], check=True)
            path = f"{d}/out/quicklook.png"
            pics.append(gdal.Open(path).ReadAsArray().astype(int))
            size = os.path.getsize(path)
            if size > 2 << 20:
                failed.append(f"quicklook of {size} bytes")
        img = pics[0]
        h, w = img.shape[1:]
        pw = (w - 12) // 3
        band = (h - pw) // 2
        print(f"quicklook {w} x {h}: panels {pw} px, bands of {band} px")
        if pw > 640 or w != 3 * pw + 12 or h != pw + 2 * band or band < 16:
            failed.append(f"{w} x {h}: want three panels of at most 640 px with a band above and below")
        top = [img[:, :band, p * (pw + 6):p * (pw + 6) + pw] for p in range(3)]
        for p, t in enumerate(top):
            if not (t.sum(axis=0) == 0).any():
                failed.append(f"no title over panel {p + 1}")
        diff = np.abs(pics[0] - pics[1]).sum(axis=0) > 0
        if not diff[:band, :pw].any() or diff[:band, pw:].any() or diff[band:].any():
            failed.append("the two runs' pictures do not differ in BEFORE's title alone")
        if not (img[:, h - band:, :].sum(axis=0) == 0).any():
            failed.append("no legend below")
        p0 = img[:, band:band + pw, :pw]
        if not ((p0 == 255).all(axis=0)[-40:, :200].any() and (p0.sum(axis=0) == 0)[-40:, :200].any()):
            failed.append("no scale bar (white box, black bar) at BEFORE's bottom left")
        p3 = img[:, band:band + pw, 2 * (pw + 6):2 * (pw + 6) + pw]
        mag = (p3[0] == 255) & (p3[1] == 0) & (p3[2] == 255)
        blk = p3.sum(axis=0) == 0
        near = np.zeros_like(blk)
        for dy in (-1, 0, 1):
            for dx in (-1, 0, 1):
                near |= np.roll(np.roll(blk, dy, 0), dx, 1)
        if mag.sum() < 50 or (mag & near).sum() < 0.5 * mag.sum():
            failed.append(f"{mag.sum()} magenta edge pixels, {(mag & near).sum()} beside a black rim")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failed:
        print("FAIL:", f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
