#!/usr/bin/env python3
"""detect's rasters are valid Cloud Optimized GeoTIFFs by GDAL's own
validator (osgeo_utils.samples.validate_cloud_optimized_geotiff), on a scene
large enough for overviews (1024 x 1024), with sitewatch's compression and
with the user's (-co COMPRESS=DEFLATE); the overviews hold the scores'
averages, and the values survive the rewrite."""
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal
from osgeo_utils.samples import validate_cloud_optimized_geotiff as cogv

gdal.UseExceptions()


def main():
    sw = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="sw-cog-")
    failed = []
    try:
        subprocess.run([sw, "synth", f"{tmp}/syn", "-s", "1024", "-g", "3", "-q"], check=True)
        for name, extra, codecs in (("default", [], ("ZSTD", "DEFLATE")),
                                    ("-co", ["-co", "COMPRESS=DEFLATE"], ("DEFLATE", "DEFLATE"))):
            out = f"{tmp}/{name}"
            subprocess.run([sw, "detect", f"{tmp}/syn/before.tif", f"{tmp}/syn/after.tif", "-o", out, "-q",
                            "-m", "irmad", *extra], check=True)
            for raster, codec in zip(("score.tif", "mask.tif"), codecs):
                path = f"{out}/{raster}"
                warnings, errors, _ = cogv.validate(path, full_check=True)
                if errors:
                    failed.append(f"{name} {raster}: not a valid COG: {errors}")
                ds = gdal.Open(path)
                got = ds.GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE")
                if got != codec:
                    failed.append(f"{name} {raster}: compressed {got}, want {codec}")
                print(f"{name:8s} {raster:9s} COG errors {len(errors)}, warnings {len(warnings)}, {got}, "
                      f"{ds.GetRasterBand(1).GetOverviewCount()} overviews")
            ds = gdal.Open(f"{out}/score.tif")
            b = ds.GetRasterBand(1)
            if b.GetOverviewCount() < 2:
                failed.append(f"{name} score.tif: {b.GetOverviewCount()} overviews, want 2 or more")
                continue
            full = b.ReadAsArray().astype(np.float64)
            ov = b.GetOverview(0).ReadAsArray().astype(np.float64)
            avg = np.nanmean(full.reshape(512, 2, 512, 2), axis=(1, 3))
            err = np.nanmax(np.abs(ov - avg))
            if not err < 1e-3 * max(1.0, np.nanmax(np.abs(full))):
                failed.append(f"{name} score.tif: first overview differs from the 2x2 averages by {err}")
            if b.GetDescription() != "irmad":
                failed.append(f"{name} score.tif: band named {b.GetDescription()!r}, want 'irmad'")
            leftovers = [f for f in os.listdir(out) if f.endswith(".cog") or f.startswith(".")]
            if leftovers:
                failed.append(f"{name}: temporary files left: {leftovers}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failed:
        print("FAIL:", f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
