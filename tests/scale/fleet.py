"""fleet.py: a synthetic fleet of watched sites for the scale tests and
benchmarks: one set of four PlanetScope-like scenes (3 m, 4 bands) of a
place where buildings appear, and N small sites laid out over it, each a
point with a buffer, so every (scene, site) is a job of its own."""
import os
import random
import shutil
import subprocess

from osgeo import gdal, osr


def make_scenes(sw, tmp, size=480, seed=5):
    """Four dated scenes: before, after, and two more copies of after that
    differ in one pixel (other scenes, other hashes): change seen three
    times, confirmed by the second."""
    syn = f"{tmp}/syn"
    subprocess.run([sw, "synth", syn, "--size", str(size), "--gsd", "3", "--seed", str(seed), "-q"], check=True)
    d = f"{tmp}/scenes"
    os.makedirs(d, exist_ok=True)
    names = []
    for k, (date, src) in enumerate((("20240301", "before"), ("20240401", "after"), ("20240501", "after"),
                                     ("20240601", "after"))):
        p = f"{d}/{date}_021533_1035_3B_AnalyticMS_SR.tif"
        shutil.copy(f"{syn}/{src}.tif", p)
        if k >= 2:
            ds = gdal.Open(p, gdal.GA_Update)
            ds.GetRasterBand(1).WriteRaster(0, 0, 1, 1, bytes([k, 0]))
            ds = None
        names.append(p)
    return names


def site_points(scene, n, seed=7):
    """n (name, lon, lat) inside the scene, on a jittered grid."""
    ds = gdal.Open(scene)
    gt, w, h = ds.GetGeoTransform(), ds.RasterXSize, ds.RasterYSize
    utm = osr.SpatialReference(wkt=ds.GetProjection())
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    for sr in (utm, wgs):
        sr.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    tr = osr.CoordinateTransformation(utm, wgs)
    side = int(n ** 0.5 + 0.999)
    rnd = random.Random(seed)
    out = []
    for i in range(n):
        fx = (i % side + 0.5 + rnd.uniform(-0.2, 0.2)) / side
        fy = (i // side + 0.5 + rnd.uniform(-0.2, 0.2)) / side
        x = gt[0] + gt[1] * w * (0.1 + 0.8 * fx)
        y = gt[3] + gt[5] * h * (0.1 + 0.8 * fy)
        lon, lat, _ = tr.TransformPoint(x, y)
        out.append((f"site{i:04d}", lon, lat))
    return out


def write_aois(tmp, points):
    d = f"{tmp}/aoi"
    os.makedirs(d, exist_ok=True)
    paths = []
    for name, lon, lat in points:
        p = f"{d}/{name}.geojson"
        with open(p, "w") as f:
            f.write('{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[%.7f,%.7f]}}'
                    % (lon, lat))
        paths.append(p)
    return paths
