#!/usr/bin/env python3
"""Co-registration on real imagery: each image is shifted by known
fractional amounts (an exact Fourier shift of every band) and `sitewatch
detect` must report the shift in summary.json's "coregistration" to better
than 0.1 pixel. Exit 77 (skipped) without ../shared/data, except under CI.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal

gdal.UseExceptions()

SHIFTS = [(0.37, -0.61), (-1.25, 0.8), (2.4, -1.7)]


def images(data):
    yield os.path.join(data, "levir-cd-samples", "A", "test_2_0000_0000.png")
    yield os.path.join(data, "fotbcd-samples", "A", sorted(os.listdir(os.path.join(data, "fotbcd-samples", "A")))[0])
    yield os.path.join(data, "sztaki-airchange", "Szada", "1", "im1.bmp")
    yield os.path.join(data, "classic-optical-landsat", "Mexico_City-optical", "im1.bmp")


def fourier_shift(a, sx, sy):
    """Content moves by (+sx, +sy): out(x) = a(x - s)."""
    h, w = a.shape
    ky = np.fft.fftfreq(h)[:, None]
    kx = np.fft.fftfreq(w)[None, :]
    return np.real(np.fft.ifft2(np.fft.fft2(a) * np.exp(-2j * np.pi * (kx * sx + ky * sy))))


def write(path, bands):
    d = gdal.GetDriverByName("GTiff").Create(path, bands.shape[2], bands.shape[1], bands.shape[0], gdal.GDT_Float32)
    for i, b in enumerate(bands):
        d.GetRasterBand(i + 1).WriteArray(b)
    d = None


def main():
    sw, data = sys.argv[1], sys.argv[2]
    if not os.path.isdir(data):
        if os.environ.get("CI") == "true":
            print(f"FAIL: {data} is missing under CI")
            return 1
        print(f"skipped: {data} is not here")
        return 77
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="sw-coreg-") as tmp:
        for img in images(data):
            if not os.path.exists(img):
                img = img.replace("im1.bmp", "im1.BMP")
            a = gdal.Open(img).ReadAsArray().astype(np.float64)
            if a.ndim == 2:
                a = a[None]
            write(os.path.join(tmp, "a.tif"), a.astype(np.float32))
            for sx, sy in SHIFTS:
                b = np.stack([fourier_shift(band, sx, sy) for band in a])
                write(os.path.join(tmp, "b.tif"), b.astype(np.float32))
                out = os.path.join(tmp, "out")
                r = subprocess.run([sw, "detect", os.path.join(tmp, "a.tif"), os.path.join(tmp, "b.tif"),
                                    "-o", out, "-m", "cva", "-q"], capture_output=True, text=True)
                if r.returncode:
                    print(f"FAIL {img}: {r.stderr.strip()}")
                    failed += 1
                    continue
                c = json.load(open(os.path.join(out, "summary.json")))["coregistration"]
                # B(x + dx) = A(x) with B(x) = A(x - s): dx = s
                ex, ey = c["dx"] - sx, c["dy"] - sy
                ok = c["applied"] and abs(ex) < 0.1 and abs(ey) < 0.1
                passed += ok
                failed += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {os.path.basename(img):24} shift ({sx:+.2f}, {sy:+.2f}) "
                      f"found ({c['dx']:+.3f}, {c['dy']:+.3f}) error ({ex:+.3f}, {ey:+.3f}) peak {c['peak_strength']:.0f}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
