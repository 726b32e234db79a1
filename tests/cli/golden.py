#!/usr/bin/env python3
"""Golden CLI tests: runs each case of cases.txt and compares exit status,
stdout and stderr with what the case expects.

A case is a block of lines:
    # name
    $ ARGS...                  (the sitewatch arguments, shell-split)
    exit N
    stdout TEXT | stdout~ REGEX | stderr TEXT | stderr~ REGEX   (any number; \\n in TEXT is a newline)
    nooutput PATH              (a folder must hold no file after the run, a file must not exist)
{tmp} in a case is the folder of fixtures this script makes first.

With --pg SOCKETDIR (a test PostgreSQL server, tests/servers/pg.sh), the
catalog cases run again on PostgreSQL: each catalog {tmp}/NAME.db becomes a
fresh database NAME on that server, its chips in {tmp}/NAME.chips, and the
same outputs are expected with the URL where the path was. A case marked
`only sqlite` (a file that is not a database, say) is not run there.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal

gdal.UseExceptions()


def another_scene(src, dst, mark):
    """A copy of scene src that differs in one pixel (another scene, another hash)."""
    shutil.copy(src, dst)
    ds = gdal.Open(dst, gdal.GA_Update)
    ds.GetRasterBand(1).WriteRaster(0, 0, 1, 1, bytes([mark, 0]))
    return ds


def write_udm2(path, like, clear):
    """A PlanetScope UDM2-like mask on scene like's grid: band 1, 1 = clear."""
    u = gdal.GetDriverByName("GTiff").Create(path, like.RasterXSize, like.RasterYSize, 1, gdal.GDT_Byte)
    u.SetGeoTransform(like.GetGeoTransform())
    u.SetProjection(like.GetProjection())
    u.GetRasterBand(1).WriteArray(clear.astype(np.uint8))


MODEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models", "buildings.swm")


def make_fixtures(sw, tmp):
    def run(*args):
        subprocess.run([sw, *args], check=True, stdout=subprocess.DEVNULL)

    # 480 x 400 with seed 2 holds 7 new buildings.
    run("synth", f"{tmp}/syn", "--width", "480", "--height", "400", "--seed", "2", "-q")
    # a binary file given as a list of files
    with open(f"{tmp}/binary.lst", "wb") as f:
        f.write(b"\x7fELF\x02\x01\x01\x00\x00\x1b[31mred\n")
    # two links that point at each other
    os.symlink(f"{tmp}/loop-b.tif", f"{tmp}/loop-a.tif")
    os.symlink(f"{tmp}/loop-a.tif", f"{tmp}/loop-b.tif")
    run("synth", f"{tmp}/syn3", "--width", "480", "--height", "400", "--seed", "2", "--bands", "3", "-q")
    # a geotransform whose pixels have no size (found by fuzz_raster)
    ds = gdal.Translate(f"{tmp}/nopixel.tif", f"{tmp}/syn/after.tif")
    ds.SetGeoTransform([374000.0, 1e-300, 0.0, 4421000.0, 0.0, -1e-300])
    ds = None
    # the 3-band date with its bands unnamed: nothing says which is which
    ds = gdal.Translate(f"{tmp}/unnamed3.tif", f"{tmp}/syn3/after.tif")
    for b in range(1, 4):
        ds.GetRasterBand(b).SetDescription("")
        ds.GetRasterBand(b).SetColorInterpretation(gdal.GCI_Undefined)
    ds = None
    with open(f"{tmp}/text.tif", "w") as f:
        f.write("this is a text file, not an image\n" * 20)
    data = open(f"{tmp}/syn/after.tif", "rb").read()
    with open(f"{tmp}/truncated.tif", "wb") as f:
        f.write(data[: len(data) // 2])
    # AFTER moved 100 km east: the footprints do not overlap.
    gdal.Translate(f"{tmp}/far.tif", f"{tmp}/syn/after.tif",
                   outputBounds=[474000, 4421000, 474240, 4420800])
    # AFTER with every pixel nodata.
    ds = gdal.Translate(f"{tmp}/allnodata.tif", f"{tmp}/syn/after.tif", noData=0)
    for b in range(1, ds.RasterCount + 1):
        ds.GetRasterBand(b).Fill(0)
    ds = None
    # Without georeferencing: PNG copies of the pair, and a smaller one.
    gdal.Translate(f"{tmp}/before.png", f"{tmp}/syn3/before.tif", format="PNG", outputType=gdal.GDT_Byte,
                   scaleParams=[[0, 4000, 0, 255]])
    gdal.Translate(f"{tmp}/after.png", f"{tmp}/syn3/after.tif", format="PNG", outputType=gdal.GDT_Byte,
                   scaleParams=[[0, 4000, 0, 255]])
    gdal.Translate(f"{tmp}/small.png", f"{tmp}/after.png", format="PNG", srcWin=[0, 0, 200, 400])
    for name in os.listdir(tmp):  # GDAL keeps the georeferencing beside a PNG: drop it
        if name.endswith(".aux.xml"):
            os.remove(os.path.join(tmp, name))
    if os.path.exists(MODEL):
        data = open(MODEL, "rb").read()
        with open(f"{tmp}/truncated.swm", "wb") as f:
            f.write(data[: len(data) // 3])
        shutil.copy(f"{tmp}/text.tif", f"{tmp}/text.swm")
    # Masks: UDM2-like (band 1, 1 = clear) on the image's grid, clear on the
    # right half; a cloud mask at half the resolution, cloudy on the top half.
    ref = gdal.Open(f"{tmp}/syn/after.tif")
    gt = ref.GetGeoTransform()
    d = gdal.GetDriverByName("GTiff").Create(f"{tmp}/udm2.tif", 480, 400, 2, gdal.GDT_Byte)
    d.SetGeoTransform(gt)
    d.SetProjection(ref.GetProjection())
    clear = np.zeros((400, 480), np.uint8)
    clear[:, 240:] = 1
    d.GetRasterBand(1).WriteArray(clear)
    d = None
    d = gdal.GetDriverByName("GTiff").Create(f"{tmp}/clouds.tif", 240, 200, 1, gdal.GDT_Byte)
    d.SetGeoTransform((gt[0], gt[1] * 2, 0, gt[3], 0, gt[5] * 2))
    d.SetProjection(ref.GetProjection())
    cl = np.zeros((200, 240), np.uint8)
    cl[:100, :] = 1
    d.GetRasterBand(1).WriteArray(cl)
    d = None
    d = gdal.GetDriverByName("GTiff").Create(f"{tmp}/mask_nogeo.tif", 100, 100, 1, gdal.GDT_Byte)
    d = None
    with open(f"{tmp}/aoi.geojson", "w") as f:
        f.write('{"type":"FeatureCollection","features":[{"type":"Feature","properties":{},"geometry":'
                '{"type":"Polygon","coordinates":[[[127.52,39.92],[127.55,39.92],[127.55,39.94],[127.52,39.94],'
                '[127.52,39.92]]]}}]}')
    with open(f"{tmp}/broken.geojson", "w") as f:
        f.write('{"type": "FeatureCollection", "features": [')
    with open(f"{tmp}/notes.db", "w") as f:
        f.write("my notes\n")
    # A site on the synthetic pair (its centre, 50 m around), scenes named as
    # PlanetScope names them, and a site elsewhere.
    from osgeo import osr
    utm = osr.SpatialReference()
    utm.ImportFromEPSG(32652)
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    for sr in (utm, wgs):
        sr.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lon, lat, _ = osr.CoordinateTransformation(utm, wgs).TransformPoint(374120.0, 4420900.0)
    with open(f"{tmp}/site.geojson", "w") as f:
        f.write('{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[%.7f,%.7f]}}' % (lon, lat))
    with open(f"{tmp}/far.geojson", "w") as f:
        f.write('{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[2.35,48.85]}}')
    os.makedirs(f"{tmp}/scenes")
    shutil.copy(f"{tmp}/syn/before.tif", f"{tmp}/scenes/20240301_021533_1035_3B_AnalyticMS_SR.tif")
    shutil.copy(f"{tmp}/syn/after.tif", f"{tmp}/scenes/20240615_021533_1035_3B_AnalyticMS_SR.tif")
    shutil.copy(f"{tmp}/syn3/after.tif", f"{tmp}/undated.tif")
    # A monitored series: the site before, then with its new buildings twice
    # (the second copy differs by one pixel, so it is another scene).
    os.makedirs(f"{tmp}/series")
    shutil.copy(f"{tmp}/syn/before.tif", f"{tmp}/series/20240101_021533_1035_3B_AnalyticMS_SR.tif")
    shutil.copy(f"{tmp}/syn/after.tif", f"{tmp}/series/20240201_021533_1035_3B_AnalyticMS_SR.tif")
    another_scene(f"{tmp}/syn/after.tif", f"{tmp}/series/20240301_021533_1035_3B_AnalyticMS_SR.tif", 9)
    # Two dates delivered as Sentinel-2 band sets: a folder of single-band
    # files per date, named as Sentinel-2 names them, at 10 m.
    run("synth", f"{tmp}/s2syn", "--size", "200", "--gsd", "10", "--seed", "3", "-q")
    for date, src in (("20240301", "before"), ("20240401", "after")):
        d = f"{tmp}/s2/{date}"
        os.makedirs(d)
        ds = gdal.Open(f"{tmp}/s2syn/{src}.tif")
        for b, name in enumerate(("B02", "B03", "B04", "B08"), 1):
            gdal.Translate(f"{d}/T52SCK_{date}T021533_{name}.tif", ds, bandList=[b])
    # A series that is re-dated: its buildings are first seen on 1 Mar and
    # confirmed on 1 Apr, until a scene of 1 Feb arrives late and shows them.
    os.makedirs(f"{tmp}/redate/first")
    os.makedirs(f"{tmp}/redate/late")
    shutil.copy(f"{tmp}/syn/before.tif", f"{tmp}/redate/first/20240101_021533_1035_3B_AnalyticMS_SR.tif")
    another_scene(f"{tmp}/syn/after.tif", f"{tmp}/redate/first/20240301_021533_1035_3B_AnalyticMS_SR.tif", 11)
    another_scene(f"{tmp}/syn/after.tif", f"{tmp}/redate/first/20240401_021533_1035_3B_AnalyticMS_SR.tif", 12)
    another_scene(f"{tmp}/syn/after.tif", f"{tmp}/redate/late/20240201_021533_1035_3B_AnalyticMS_SR.tif", 13)
    # An earlier scene of the same series, not clear where the buildings
    # will stand (its UDM2 says so): as the new baseline it cannot show
    # them, so the objects alerted on are no longer found.
    os.makedirs(f"{tmp}/earlier")
    ds = another_scene(f"{tmp}/syn/before.tif", f"{tmp}/earlier/20231201_021533_1035_3B_AnalyticMS_SR.tif", 5)
    truth = gdal.Open(f"{tmp}/syn/truth.tif").ReadAsArray() > 0
    hidden = truth.copy()
    for _ in range(8):  # grown by 8 px
        hidden[1:, :] |= hidden[:-1, :]
        hidden[:-1, :] |= hidden[1:, :]
        hidden[:, 1:] |= hidden[:, :-1]
        hidden[:, :-1] |= hidden[:, 1:]
    write_udm2(f"{tmp}/earlier/20231201_021533_1035_3B_udm2.tif", ds, ~hidden)
    ds = None
    # A scene with its PlanetScope UDM2 beside it: the west half not clear.
    os.makedirs(f"{tmp}/udm")
    ds = another_scene(f"{tmp}/syn/after.tif", f"{tmp}/udm/20240415_021533_1035_3B_AnalyticMS_SR.tif", 7)
    clear = np.ones((ds.RasterYSize, ds.RasterXSize), np.uint8)
    clear[:, : ds.RasterXSize // 2] = 0
    write_udm2(f"{tmp}/udm/20240415_021533_1035_3B_udm2.tif", ds, clear)
    ds = None
    # A cloudy AFTER: a soft white cloud over a third of the scene.
    ds = gdal.Open(f"{tmp}/syn/after.tif")
    a = ds.ReadAsArray().astype(np.float64)
    yy, xx = np.mgrid[0 : a.shape[1], 0 : a.shape[2]]
    r = np.hypot((xx - 330) / 110.0, (yy - 200) / 150.0)
    alpha = np.clip((1.2 - r) / 0.4, 0, 1)
    cloud = np.array([5200, 5000, 5100, 5600], np.float64)[:, None, None]
    d = gdal.GetDriverByName("GTiff").CreateCopy(f"{tmp}/cloudy_after.tif", ds)
    d.WriteArray((a * (1 - alpha) + cloud * alpha).astype(np.uint16))
    d = None
    ds = None
    # Scenes named by someone else, dated by PlanetScope sidecars (JSON, XML).
    os.makedirs(f"{tmp}/side")
    shutil.copy(f"{tmp}/syn/before.tif", f"{tmp}/side/scene_a.tif")
    with open(f"{tmp}/side/scene_a_metadata.json", "w") as f:
        f.write('{"id": "x", "properties": {"acquired": "2024-05-02T01:02:03.5Z", "item_type": "PSScene"}}')
    shutil.copy(f"{tmp}/syn/after.tif", f"{tmp}/side/scene_b.tif")
    with open(f"{tmp}/side/scene_b_metadata.xml", "w") as f:
        f.write('<?xml version="1.0"?><ps:EarthObservation><eop:acquisitionParameters><ps:Acquisition>'
                '<ps:acquisitionDateTime>2024-06-03T01:02:03+00:00</ps:acquisitionDateTime>'
                '</ps:Acquisition></eop:acquisitionParameters></ps:EarthObservation>')
    # A STAC ItemCollection: an item over the site (its scene one of those
    # above, reached by another path), one at Paris, one in the ocean.
    os.makedirs(f"{tmp}/stac")
    def item(iid, lon, lat, href, date):
        d = 0.002
        ring = [[lon - d, lat - d], [lon + d, lat - d], [lon + d, lat + d], [lon - d, lat + d], [lon - d, lat - d]]
        return {"type": "Feature", "stac_version": "1.0.0", "id": iid,
                "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"datetime": f"{date}T02:15:33Z"},
                "assets": {"thumbnail": {"href": "thumb.png", "type": "image/png"},
                           "analytic": {"href": href, "type": "image/tiff; application=geotiff", "roles": ["data"]}}}
    with open(f"{tmp}/stac/items.json", "w") as f:
        json.dump({"type": "FeatureCollection", "features": [
            item("a", lon, lat, "../scenes/20240301_021533_1035_3B_AnalyticMS_SR.tif", "2024-03-01"),
            item("b", 2.35, 48.85, "../undated.tif", "2024-05-01"),
            item("c", -30.0, 0.0, "../undated.tif", "2024-05-02")]}, f)
    with open(f"{tmp}/stac/noasset.json", "w") as f:
        json.dump({"type": "Feature", "id": "x", "geometry": {"type": "Point", "coordinates": [2.35, 48.85]},
                    "properties": {}, "assets": {}}, f)
    os.makedirs(f"{tmp}/preds")
    os.makedirs(f"{tmp}/truths")
    shutil.copy(f"{tmp}/syn/truth.tif", f"{tmp}/preds/a.tif")
    shutil.copy(f"{tmp}/syn/truth.tif", f"{tmp}/preds/b.tif")
    shutil.copy(f"{tmp}/syn/truth.tif", f"{tmp}/truths/A.TIF")


def parse(path):
    cases, cur = [], None
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith("# "):
            cur = {"name": line[2:], "checks": [], "nooutput": []}
            cases.append(cur)
        elif line.startswith("$ "):
            cur["args"] = line[2:]
        elif line.startswith("exit "):
            cur["exit"] = int(line[5:])
        elif line.startswith("nooutput "):
            cur["nooutput"].append(line[9:])
        elif line.startswith("only "):
            cur["only"] = line[5:].strip()
        elif line.strip():
            key, _, val = line.partition(" ")
            cur["checks"].append((key, val))
    return cases


CATALOG = re.compile(r"\{tmp\}/(\w+)\\?\.db(\\?\.chips)?")


def on_postgres(cases, sockdir):
    """The catalog cases, each catalog a database of the server at sockdir."""
    names, out = set(), []
    for c in cases:
        if "--db" not in c.get("args", "") or c.get("only", "pg") != "pg":
            continue
        names.update(m.group(1) for m in CATALOG.finditer(c["args"]))

        def sub(text, regex=False):
            def one(m):
                url = (f"{{tmp}}/{m.group(1)}.chips" if m.group(2) else
                       f"postgresql:///{m.group(1)}?host={sockdir}&user=postgres")
                return re.escape(url).replace(re.escape("{tmp}"), "{tmp}") if regex else url
            return CATALOG.sub(one, text)
        c = dict(c, checks=[(k, sub(v, k.endswith("~"))) for k, v in c["checks"]],
                 nooutput=[sub(d) for d in c["nooutput"]])
        db = CATALOG.search(c["args"])
        c["args"] = sub(c["args"]).replace("--db ", f"--chips {{tmp}}/{db.group(1)}.chips --db ", 1)
        out.append(c)
    for n in sorted(names):
        subprocess.run(["psql", "-h", sockdir, "-U", "postgres", "-q", "-c", f"DROP DATABASE IF EXISTS {n}",
                        "-c", f"CREATE DATABASE {n}", "postgres"], check=True, capture_output=True)
    # someone else's database
    subprocess.run(["psql", "-h", sockdir, "-U", "postgres", "-q", "-c", "CREATE TABLE birds(name text)", "birds"],
                   check=True, capture_output=True)
    return out


def main():
    sw, cases_file = sys.argv[1], sys.argv[2]
    pg = sys.argv[sys.argv.index("--pg") + 1] if "--pg" in sys.argv else None
    if pg and not os.path.exists(os.path.join(pg, "up")):
        print(f"skipped: no test PostgreSQL server at {pg} ({open(os.path.join(pg, 'down')).read().strip()})"
              if os.path.exists(os.path.join(pg, "down")) else f"skipped: no test PostgreSQL server at {pg}")
        return 77
    tmp = tempfile.mkdtemp(prefix="sw-golden-")
    failed = 0
    try:
        make_fixtures(sw, tmp)
        cases = parse(cases_file)
        if pg:
            cases = on_postgres(cases, pg)
            print(f"{len(cases)} catalog cases on PostgreSQL")
        else:
            cases = [c for c in cases if c.get("only", "sqlite") == "sqlite"]
        for c in cases:
            if "{model}" in c["args"] and not os.path.exists(MODEL):
                print(f"skip {c['name']}: no shipped model")
                continue
            args = shlex.split(c["args"].replace("{tmp}", tmp).replace("{model}", MODEL))
            try:
                p = subprocess.run([sw, *args], capture_output=True, text=True, timeout=120)
            except subprocess.TimeoutExpired:
                failed += 1
                print(f"FAIL {c['name']}: still running after 120 s (a hang)")
                continue
            errs = []
            if p.returncode != c["exit"]:
                errs.append(f"exit {p.returncode}, want {c['exit']}")
            for key, val in c["checks"]:
                val = val.replace("{tmp}", tmp).replace("\\n", "\n")
                stream = p.stdout if key.startswith("stdout") else p.stderr
                if key.endswith("~"):
                    if not re.search(val, stream):
                        errs.append(f"{key[:-1]} does not match /{val}/: {stream!r}")
                elif stream != (val + "\n" if val else ""):
                    errs.append(f"{key} is {stream!r}, want {val!r}")
            for d in c["nooutput"]:
                d = d.replace("{tmp}", tmp)
                left = os.listdir(d) if os.path.isdir(d) else []
                if left:
                    errs.append(f"{d} holds {left} after a failed run")
                elif os.path.exists(d) and not os.path.isdir(d):
                    errs.append(f"{d} was left after a failed run")
            if errs:
                failed += 1
                print(f"FAIL {c['name']}: " + "; ".join(errs))
            else:
                print(f"ok   {c['name']}")
        # --on-alert wrote one JSON line per alert of the monitored series
        hook = f"{tmp}/hook.jsonl"
        lines = open(hook).read().splitlines() if os.path.exists(hook) else []
        # (as the alert stands: its object's state and MGRS reference)
        ok = len(lines) >= 1 and all(json.loads(l)["site"] == "mon" and
                                     json.loads(l)["object"]["first_seen"] == "2024-02-01" and
                                     json.loads(l)["object"]["confirmed"] == "2024-03-01" and
                                     re.fullmatch(r"52SCK[0-9]{10}", json.loads(l)["object"]["mgrs"] or "")
                                     for l in lines)
        print(("ok   " if ok else "FAIL ") + f"--on-alert received {len(lines)} alerts as JSON")
        cases.append({})
        failed += not ok
        # the SMART export: a site feature, then one observation per usable
        # scene whose phase follows the object's dates
        smart = sorted(os.listdir(f"{tmp}/smart")) if os.path.isdir(f"{tmp}/smart") else []
        ok = bool(smart)
        for name in smart:
            fc = json.load(open(f"{tmp}/smart/{name}"))
            site, obs = fc["features"][0]["properties"], [f["properties"] for f in fc["features"][1:]]
            phases = [(o["observation_date"], o["current_phase"]) for o in obs]
            ok &= site["type"] == "site" and site["start_date"] == "2024-02-01" and phases == [
                ("2024-01-01", "No Activity"), ("2024-02-01", "Active Construction"), ("2024-03-01", "Post Construction")]
        print(("ok   " if ok else "FAIL ") + f"SMART export: {len(smart)} site models with their phases")
        cases.append({})
        failed += not ok
        if pg:
            return 1 if failed else 0
        # --cloud-screen masks the cloud of the cloudy AFTER (and nothing of
        # BEFORE), so the cloud is no change
        fr, area = None, {}
        for flag in ("", "--cloud-screen"):
            out = f"{tmp}/cs{flag}"
            subprocess.run([sw, "detect", f"{tmp}/syn/before.tif", f"{tmp}/cloudy_after.tif", "-o", out, "-q",
                            *([flag] if flag else [])], check=True, stdout=subprocess.DEVNULL)
            summ = json.load(open(f"{out}/summary.json"))
            area[flag] = summ["counts"]["changed_area"]
            fr = summ["parameters"]["cloud_screen"] or fr
        ok = (fr is not None and fr["before"] == 0 and 0.3 < fr["after"] < 0.8 and area["--cloud-screen"] < 0.2 * area[""]
              and not [n for n in os.listdir(f"{tmp}/cs--cloud-screen") if "clouds" in n])
        print(("ok   " if ok else "FAIL ") + f"--cloud-screen: {fr}, changed area {area}")
        cases.append({})
        failed += not ok
        print(f"{len(cases) - failed} passed, {failed} failed")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
