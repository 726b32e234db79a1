#!/usr/bin/env python3
"""A scene's chip on the site's grid (UTM, pixel lines on multiples of the
pixel size, the AOI's bounds plus 100 m).

A scene already on that grid is copied: its chip holds exactly its pixels,
nodata beyond its edges, and equals what resampling it with the nearest
neighbour gives. A scene off the grid by a fraction of a pixel is resampled
onto the same grid (same origin and size), so its chip is not a copy.

    chips.py SITEWATCH"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()
R = 3.0
EPSG = 32652


def run(sw, *args):
    r = subprocess.run([sw] + list(args), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"FAIL: sitewatch {' '.join(args)}: {r.stderr.strip()}")
    return r.stdout


def moved(src, dst, x0, y0):
    """A copy of src with its upper-left corner at (x0, y0)."""
    ds = gdal.Translate(dst, src, creationOptions=["TILED=YES", "COMPRESS=DEFLATE"])
    gt = list(ds.GetGeoTransform())
    gt[0], gt[3] = x0, y0
    ds.SetGeoTransform(gt)
    ds = None
    return dst


def chip_of(sw, db, site, scene):
    out = json.loads(run(sw, "--db", db, "ingest", site, scene, "--json").splitlines()[0])
    return out["chip"]


def main():
    sw = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory(prefix="sw-chips-") as tmp:
        run(sw, "synth", os.path.join(tmp, "pair"), "--size", "400", "--gsd", "3", "-q")
        src = os.path.join(tmp, "pair", "before.tif")
        # on the grid: corner on multiples of 3 m; off it by 1.4 m and 0.8 m
        on = moved(src, os.path.join(tmp, "20240301_021533_1035_3B_AnalyticMS_SR.tif"), 374001.0, 4421001.0)
        off = moved(src, os.path.join(tmp, "20240401_021533_1035_3B_AnalyticMS_SR.tif"), 374002.4, 4421001.8)
        # a site 50 m in from the scene's upper-left edges: with the 100 m ingest adds
        # around it, its chip reaches 50 m beyond the scene there
        utm = osr.SpatialReference()
        utm.ImportFromEPSG(EPSG)
        wgs = osr.SpatialReference()
        wgs.ImportFromEPSG(4326)
        for s in (utm, wgs):
            s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        t = osr.CoordinateTransformation(utm, wgs)
        x0, y1 = 374001.0 + 50, 4421001.0 - 50
        x1, y0 = x0 + 600, y1 - 600
        ring = [list(t.TransformPoint(x, y)[:2]) for x, y in [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]]
        aoi = os.path.join(tmp, "aoi.geojson")
        json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
                  "geometry": {"type": "Polygon", "coordinates": [ring]}}]}, open(aoi, "w"))
        db = os.path.join(tmp, "s.db")
        run(sw, "--db", db, "site", "add", "g", "--aoi", aoi)
        c_on = gdal.Open(chip_of(sw, db, "g", on))
        c_off = gdal.Open(chip_of(sw, db, "g", off))
        gt, gt_off = c_on.GetGeoTransform(), c_off.GetGeoTransform()
        print("chip of the scene on the grid:", gt, c_on.RasterXSize, c_on.RasterYSize)
        print("chip of the scene off it:     ", gt_off, c_off.RasterXSize, c_off.RasterYSize)
        if gt != gt_off or (c_on.RasterXSize, c_on.RasterYSize) != (c_off.RasterXSize, c_off.RasterYSize):
            failures.append("the two chips are not on one grid")
        if gt[0] % R or gt[3] % R or gt[1] != R:
            failures.append(f"the site's grid is not on multiples of {R} m: {gt}")
        a = gdal.Open(on).ReadAsArray()
        b = c_on.ReadAsArray()
        # where the scene lies in the chip
        ox, oy = int(round((374001.0 - gt[0]) / R)), int(round((gt[3] - 4421001.0) / R))
        inside = np.zeros(b.shape[1:], bool)
        ya, yb = max(oy, 0), min(oy + a.shape[1], b.shape[1])
        xa, xb = max(ox, 0), min(ox + a.shape[2], b.shape[2])
        inside[ya:yb, xa:xb] = True
        same = np.array_equal(b[:, ya:yb, xa:xb], a[:, ya - oy:yb - oy, xa - ox:xb - ox])
        print(f"scene on the grid: its window copied exactly: {same}; pixels beyond its edges: "
              f"{int((~inside).sum())}, all nodata: {bool((b[:, ~inside] == 0).all())}")
        if not same:
            failures.append("the chip of a scene on the grid is not its pixels")
        if (~inside).sum() == 0 or not (b[:, ~inside] == 0).all():
            failures.append("the chip reaches beyond the scene without nodata there")
        if c_on.GetRasterBand(1).GetNoDataValue() != 0:
            failures.append("the chip's nodata is not 0")
        # nearest-neighbour resampling onto the same grid gives the same chip
        near = gdal.Warp("", on, format="MEM", dstSRS=f"EPSG:{EPSG}", outputBounds=(gt[0], gt[3] + gt[5] * b.shape[1],
                         gt[0] + gt[1] * b.shape[2], gt[3]), xRes=R, yRes=R, resampleAlg="near", dstNodata=0)
        if not np.array_equal(near.ReadAsArray(), b):
            failures.append("the copied chip differs from the nearest-neighbour warp")
        else:
            print("equal to GDAL's nearest-neighbour warp onto the grid")
        # off the grid: resampled, so not the scene's pixels shifted by whole ones
        c = c_off.ReadAsArray().astype(np.int64)
        diff = np.abs(c[:, ya + 2:yb - 2, xa + 2:xb - 2] - b[:, ya + 2:yb - 2, xa + 2:xb - 2].astype(np.int64))
        print(f"scene off the grid: mean |difference| from the copied chip {diff.mean():.1f} DN")
        if diff.mean() == 0:
            failures.append("a scene off the grid was not resampled")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
