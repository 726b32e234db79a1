#!/usr/bin/env python3
"""Products as providers deliver them, each one scene at ingest with date,
sensor and mask from its metadata, and mixed sensors on one site's grid.

From a synthetic 10 m pair (sitewatch synth: 4 bands, new buildings in the
second date) this writes, in the providers' layouts:
  a Sentinel-2 L2A .SAFE (JPEG 2000 bands at 10, 20 and 60 m, the same band
    at several sizes, MTD_MSIL2A.xml, a scene classification with clouds),
  a Sentinel-2 L1C .SAFE (MSK_CLASSI_B00 with opaque clouds),
  a Landsat 9 Collection 2 Level-2 band set at 30 m (SR_B1..B7 in scaled
    reflectance, QA_PIXEL with cloud bits, an _MTL.txt),
  a Sentinel-2 STAC Item as Earth Search publishes them (an asset per band
    by common name, the same bands again as JPEG 2000, scl, visual,
    thumbnail),
  a PlanetScope delivery folder at 3 m (AnalyticMS_SR, udm2, metadata.json),
  a PlanetScope STAC Item (one 4-band asset, ortho_udm2) inside an
    ItemCollection, named COLLECTION.json#ID,
with the dates and cloud blocks known here. Then it checks: each is one
scene dated and named from its metadata; the site's grid is 10 m; each mask
removed its cloud block's share of the chip; the new buildings are found and
confirmed across the sensors; detect takes the products too; broken ones
are refused with a line naming the file."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from osgeo import gdal, osr

gdal.UseExceptions()

GSD = 10.0
N = 300
X0, Y0 = 374000.0, 4421000.0  # synth's corner, UTM 52N
EPSG = 32652


def write(path, arr, gsd, fmt="GTiff", dtype=gdal.GDT_UInt16, x0=X0, y0=Y0):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    arr = np.asarray(arr)
    nb = 1 if arr.ndim == 2 else arr.shape[0]
    h, w = arr.shape[-2:]
    mem = gdal.GetDriverByName("MEM").Create("", w, h, nb, dtype)
    mem.SetGeoTransform([x0, gsd, 0, y0, 0, -gsd])
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    mem.SetProjection(srs.ExportToWkt())
    for b in range(nb):
        mem.GetRasterBand(b + 1).WriteArray(arr if nb == 1 else arr[b])
    opts = ["QUALITY=100", "REVERSIBLE=YES"] if fmt == "JP2OpenJPEG" else ["COMPRESS=DEFLATE", "TILED=YES"]
    gdal.GetDriverByName(fmt).CreateCopy(path, mem, options=opts)


def down(a, k):
    """Average k x k blocks (a coarser band)."""
    h, w = a.shape[0] // k * k, a.shape[1] // k * k
    return a[:h, :w].reshape(h // k, k, w // k, k).mean(axis=(1, 3))


def up(a, k):
    return np.repeat(np.repeat(a, k, axis=0), k, axis=1)


def s2_bands(img):
    """13 Sentinel-2 bands from synth's B, G, R, NIR (reflectance x 10000)."""
    b, g, r, n = (img[i].astype(np.float64) for i in range(4))
    return {"B01": b * 0.9, "B02": b, "B03": g, "B04": r, "B05": 0.7 * r + 0.3 * n, "B06": 0.4 * r + 0.6 * n,
            "B07": 0.2 * r + 0.8 * n, "B08": n, "B8A": n * 0.98, "B09": n * 0.5, "B10": b * 0.05,
            "B11": 0.6 * n + 0.3 * r, "B12": 0.3 * n + 0.5 * r}


S2_RES = {"B01": 60, "B02": 10, "B03": 10, "B04": 10, "B05": 20, "B06": 20, "B07": 20, "B08": 10, "B8A": 20,
          "B09": 60, "B10": 60, "B11": 20, "B12": 20}


def at(a, res):
    return down(a, int(res // GSD)) if res > GSD else a


def block(shape, r0, r1, c0, c1):
    m = np.zeros(shape, bool)
    m[r0:r1, c0:c1] = True
    return m


def make_l2a(root, img, date, tile="T52SCK"):
    stamp = date.replace("-", "") + "T021531"
    safe = f"{root}/S2A_MSIL2A_{stamp}_N0510_R003_{tile}_{date.replace('-', '')}T050000.SAFE"
    gran = f"{safe}/GRANULE/L2A_{tile}_A045123_{stamp}"
    bands = s2_bands(img)
    for name, a in bands.items():
        if name == "B10":
            continue  # L2A has no cirrus band
        for res in (10, 20, 60):
            if res < S2_RES[name] and not (name == "B02" and res == 10) and res == 10:
                continue
            if res < S2_RES[name]:
                continue
            write(f"{gran}/IMG_DATA/R{res}m/{tile}_{stamp}_{name}_{res}m.jp2", at(a, res).astype(np.uint16), res,
                  "JP2OpenJPEG")
    # true colour, not a band: must be left out
    write(f"{gran}/IMG_DATA/R10m/{tile}_{stamp}_TCI_10m.jp2", np.zeros((3, N, N), np.uint8), 10, "JP2OpenJPEG",
          gdal.GDT_Byte)
    # scene classification at 20 m: vegetation (4), cloud (9) over rows and
    # columns 30..90 of the 20 m grid (60..180 at 10 m), shadow (3) beside it
    scl = np.full((N // 2, N // 2), 4, np.uint8)
    scl[30:90, 30:90] = 9
    scl[30:90, 90:100] = 3
    write(f"{gran}/IMG_DATA/R20m/{tile}_{stamp}_SCL_20m.jp2", scl, 20, "JP2OpenJPEG", gdal.GDT_Byte)
    os.makedirs(f"{gran}/QI_DATA", exist_ok=True)
    with open(f"{safe}/MTD_MSIL2A.xml", "w") as f:
        f.write(f'''<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-2A_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd">
  <n1:General_Info><Product_Info>
    <PRODUCT_START_TIME>{date}T02:15:31.024Z</PRODUCT_START_TIME>
    <PRODUCT_STOP_TIME>{date}T02:15:31.024Z</PRODUCT_STOP_TIME>
    <PROCESSING_LEVEL>Level-2A</PROCESSING_LEVEL>
    <Datatake datatakeIdentifier="GS2A_{stamp}_045123_N05.10"><SPACECRAFT_NAME>Sentinel-2A</SPACECRAFT_NAME></Datatake>
  </Product_Info></n1:General_Info>
</n1:Level-2A_User_Product>
''')
    # cloud and shadow at 10 m: rows 60..180, columns 60..200
    return safe, block((N, N), 60, 180, 60, 200)


def make_l1c(root, img, date, tile="T52SCK"):
    stamp = date.replace("-", "") + "T021529"
    safe = f"{root}/S2B_MSIL1C_{stamp}_N0510_R003_{tile}_{date.replace('-', '')}T040000.SAFE"
    gran = f"{safe}/GRANULE/L1C_{tile}_A036000_{stamp}"
    for name, a in s2_bands(img).items():
        write(f"{gran}/IMG_DATA/{tile}_{stamp}_{name}.jp2", at(a, S2_RES[name]).astype(np.uint16), S2_RES[name],
              "JP2OpenJPEG")
    # cloud classification at 60 m: opaque clouds (band 1) over rows and
    # columns 40..48 x 10..20 (240..288 x 60..120 at 10 m); cirrus, band 2,
    # elsewhere (left to the screen)
    classi = np.zeros((3, N // 6, N // 6), np.uint8)
    classi[0, 40:48, 10:20] = 1
    write(f"{gran}/QI_DATA/MSK_CLASSI_B00.jp2", classi, 60, "JP2OpenJPEG", gdal.GDT_Byte)
    with open(f"{safe}/MTD_MSIL1C.xml", "w") as f:
        f.write(f'''<?xml version="1.0" encoding="UTF-8"?>
<n1:Level-1C_User_Product xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-1C.xsd">
  <n1:General_Info><Product_Info>
    <PRODUCT_START_TIME>{date}T02:15:29.024Z</PRODUCT_START_TIME>
    <Datatake><SPACECRAFT_NAME>Sentinel-2B</SPACECRAFT_NAME></Datatake>
  </Product_Info></n1:General_Info>
</n1:Level-1C_User_Product>
''')
    return safe, block((N, N), 240, 288, 60, 120)


def make_landsat(root, img, date):
    pid = f"LC09_L2SP_116034_{date.replace('-', '')}_{date.replace('-', '')}_02_T1"
    d = f"{root}/{pid}"
    b = s2_bands(img)
    oli = {1: "B01", 2: "B02", 3: "B03", 4: "B04", 5: "B8A", 6: "B11", 7: "B12"}
    for k, s2 in oli.items():
        refl = at(b[s2], 30) / 10000.0
        write(f"{d}/{pid}_SR_B{k}.TIF", ((refl + 0.2) / 0.0000275).astype(np.uint16), 30)
    # thermal and aerosol: not reflective bands, must be left out
    write(f"{d}/{pid}_ST_B10.TIF", np.full((N // 3, N // 3), 40000, np.uint16), 30)
    write(f"{d}/{pid}_SR_QA_AEROSOL.TIF", np.zeros((N // 3, N // 3), np.uint8), 30, dtype=gdal.GDT_Byte)
    # QA_PIXEL: clear (21824); cloud (bit 3) over rows 20..40, columns 60..90
    # of the 30 m grid (60..120 x 180..270 at 10 m)
    qa = np.full((N // 3, N // 3), 21824, np.uint16)
    qa[20:40, 60:90] = 21824 | (1 << 3) | (1 << 1)
    write(f"{d}/{pid}_QA_PIXEL.TIF", qa, 30)
    with open(f"{d}/{pid}_MTL.txt", "w") as f:
        f.write(f'GROUP = LANDSAT_METADATA_FILE\n  SPACECRAFT_ID = "LANDSAT_9"\n  DATE_ACQUIRED = {date}\n'
                'END_GROUP = LANDSAT_METADATA_FILE\nEND\n')
    return d, block((N, N), 60, 120, 180, 270)


def make_stac_s2(root, img, date, lonlat_ring):
    d = f"{root}/stac-s2"
    b = s2_bands(img)
    assets = {"thumbnail": {"href": "./thumb.jpg", "type": "image/jpeg", "roles": ["thumbnail"]},
              "visual": {"href": "./TCI.tif", "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                         "roles": ["visual"], "eo:bands": [{"name": "red", "common_name": "red"},
                                                           {"name": "green", "common_name": "green"},
                                                           {"name": "blue", "common_name": "blue"}]}}
    for key, s2, res in (("blue", "B02", 10), ("green", "B03", 10), ("red", "B04", 10), ("nir", "B08", 10),
                         ("swir16", "B11", 20), ("rededge1", "B05", 20)):
        write(f"{d}/{s2}.tif", at(b[s2], res).astype(np.uint16), res)
        assets[key] = {"href": f"./{s2}.tif", "type": "image/tiff; application=geotiff; profile=cloud-optimized",
                       "roles": ["data", "reflectance"],
                       "eo:bands": [{"name": s2, "common_name": "rededge" if key == "rededge1" else key}]}
        # Earth Search lists the same band again as JPEG 2000 (not written: it must not be read)
        assets[f"{key}-jp2"] = {"href": f"./{s2}.jp2", "type": "image/jp2", "roles": ["data", "reflectance"],
                                "eo:bands": [{"name": s2, "common_name": key}]}
    scl = np.full((N // 2, N // 2), 4, np.uint8)
    scl[0:40, 100:150] = 8  # cloud, rows 0..80, columns 200..300 at 10 m
    write(f"{d}/SCL.tif", scl, 20, dtype=gdal.GDT_Byte)
    assets["scl"] = {"href": "./SCL.tif", "type": "image/tiff; application=geotiff", "roles": ["data"]}
    item = {"type": "Feature", "stac_version": "1.0.0", "id": "S2B_52SCK_20240420_0_L2A",
            "stac_extensions": ["https://stac-extensions.github.io/eo/v1.1.0/schema.json"],
            "geometry": {"type": "Polygon", "coordinates": [lonlat_ring]},
            "properties": {"datetime": f"{date}T02:15:40.123000Z", "platform": "sentinel-2b",
                           "constellation": "sentinel-2", "eo:cloud_cover": 8.1},
            "links": [], "assets": assets}
    with open(f"{d}/item.json", "w") as f:
        json.dump(item, f, indent=1)
    return f"{d}/item.json", block((N, N), 0, 80, 200, 300)


def planet_arrays(img):
    """synth's 10 m bands at 3.33 m (a PlanetScope-like 3 m grid of 900 px)."""
    return np.stack([up(img[i], 3) for i in range(4)]).astype(np.uint16)


def make_planet_folder(root, img, date):
    stem = f"{date.replace('-', '')}_021533_1035"
    d = f"{root}/psscene/{stem}"
    arr = planet_arrays(img)
    write(f"{d}/{stem}_3B_AnalyticMS_SR.tif", arr, GSD / 3)
    udm = np.zeros((8, 3 * N, 3 * N), np.uint8)
    udm[0] = 1
    udm[0, 450:750, 450:750] = 0  # not clear: rows, columns 150..250 at 10 m
    write(f"{d}/{stem}_3B_udm2.tif", udm, GSD / 3, dtype=gdal.GDT_Byte)
    with open(f"{d}/{stem}_metadata.json", "w") as f:
        json.dump({"id": stem, "properties": {"acquired": f"{date}T02:15:33.1Z", "item_type": "PSScene"}}, f)
    return d, block((N, N), 150, 250, 150, 250)


def make_planet_item(root, img, date, lonlat_ring):
    d = f"{root}/planet-stac"
    stem = f"{date.replace('-', '')}_021600_24a3"
    write(f"{d}/{stem}/analytic.tif", planet_arrays(img) + 7, GSD / 3)  # another day's light
    udm = np.zeros((8, 3 * N, 3 * N), np.uint8)
    udm[0] = 1
    udm[0, 0:150, 0:300] = 0  # rows 0..50, columns 0..100 at 10 m
    write(f"{d}/{stem}/udm2.tif", udm, GSD / 3, dtype=gdal.GDT_Byte)
    bands = [{"name": n, "common_name": n} for n in ("blue", "green", "red", "nir")]
    item = {"type": "Feature", "stac_version": "1.0.0", "id": stem,
            "geometry": {"type": "Polygon", "coordinates": [lonlat_ring]},
            "properties": {"datetime": f"{date}T02:16:00Z", "constellation": "planetscope", "platform": "24a3"},
            "links": [],
            "assets": {"ortho_analytic_4b_sr": {"href": f"./{stem}/analytic.tif", "type": "image/tiff; application=geotiff",
                                                "roles": ["data", "reflectance"], "eo:bands": bands},
                       "ortho_udm2": {"href": f"./{stem}/udm2.tif", "type": "image/tiff; application=geotiff",
                                      "roles": ["data", "snow-ice", "cloud", "cloud-shadow"]}}}
    other = dict(item, id="elsewhere")
    with open(f"{d}/collection.json", "w") as f:
        json.dump({"type": "FeatureCollection", "features": [other, item]}, f)
    return f"{d}/collection.json#{stem}", block((N, N), 0, 50, 0, 100)


def ring_lonlat(x0, y0, x1, y1):
    utm, wgs = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(EPSG)
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    t = osr.CoordinateTransformation(utm, wgs)
    pts = [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)]
    return [list(t.TransformPoint(x, y)[:2]) for x, y in pts]


def main():
    sw = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="sw-deliveries-")
    failed = []

    def run(*args, ok=True):
        r = subprocess.run([sw, *args], capture_output=True, text=True)
        if ok and r.returncode:
            failed.append(f"{' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r

    try:
        subprocess.run([sw, "synth", f"{tmp}/syn", "-s", str(N), "-g", str(GSD), "--seed", "3", "-q",
                        "--shift", "0,0"], check=True)
        before = gdal.Open(f"{tmp}/syn/before.tif").ReadAsArray()
        after = gdal.Open(f"{tmp}/syn/after.tif").ReadAsArray()
        truth = gdal.Open(f"{tmp}/syn/truth.tif").ReadAsArray() > 0
        scenes = f"{tmp}/scenes"
        full = ring_lonlat(X0, Y0 - N * GSD, X0 + N * GSD, Y0)
        # The site: the pair's middle, 300 m in from every edge (the chip
        # adds 100 m around it): rows and columns 20..280 at 10 m.
        aoi = {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {
            "type": "Polygon", "coordinates": [ring_lonlat(X0 + 300, Y0 - N * GSD + 300, X0 + N * GSD - 300,
                                                           Y0 - 300)]}}]}
        with open(f"{tmp}/aoi.geojson", "w") as f:
            json.dump(aoi, f)
        made = [  # (what, path, date, sensor, cloud block at 10 m)
            ("L2A", *make_l2a(scenes, before, "2024-03-01"), "2024-03-01", "Sentinel-2"),
            ("L1C", *make_l1c(scenes, after, "2024-03-21"), "2024-03-21", "Sentinel-2"),
            ("Landsat", *make_landsat(scenes, after, "2024-04-06"), "2024-04-06", "Landsat-9"),
            ("STAC S2", *make_stac_s2(scenes, after, "2024-04-20", full), "2024-04-20", "Sentinel-2"),
            ("PlanetScope", *make_planet_folder(scenes, after, "2024-05-02"), "2024-05-02", "PlanetScope"),
            ("Planet STAC", *make_planet_item(scenes, after, "2024-05-20", full), "2024-05-20", "PlanetScope"),
        ]
        db = f"{tmp}/site.db"
        run("--db", db, "site", "add", "plant", "--aoi", f"{tmp}/aoi.geojson")
        for what, path, cloud, date, sensor in made:
            r = run("--db", db, "ingest", "plant", path, "--json")
            lines = [json.loads(l) for l in r.stdout.splitlines() if l.startswith("{")]
            scene = [l for l in lines if l.get("event") == "scene"]
            if len(scene) != 1:
                failed.append(f"{what}: {len(scene)} scenes recorded, want 1: {r.stdout} {r.stderr}")
                continue
            s = scene[0]
            if s.get("date") != date or s.get("sensor") != sensor:
                failed.append(f"{what}: dated {s.get('date')} by {s.get('sensor')}, want {date} by {sensor}")
        rows = json.loads(run("--db", db, "timeline", "plant", "--json").stdout or "[]")
        if len(rows) != len(made):
            failed.append(f"timeline has {len(rows)} scenes, want {len(made)}")
        show = json.loads(run("--db", db, "site", "show", "plant", "--json").stdout or "{}")
        if abs(show.get("resolution_m", 0) - 10.0) > 1e-9:
            failed.append(f"site grid {show.get('resolution_m')} m, want 10 m (the first scene's finest bands)")
        # Each mask took out its block: the usable share of the chip.
        inside = np.zeros((N, N), bool)
        inside[20:280, 20:280] = True
        made_usable = [row.get("usable_fraction") for row in rows]
        for (what, path, cloud, date, sensor), row in zip(made, rows):
            want = 1.0 - (cloud & inside).sum() / inside.sum()
            got = row.get("usable_fraction")
            print(f"{what:12s} {date} {sensor:12s} usable {got:.3f} (mask block alone: {want:.3f})")
            if got is None or not (want - 0.04 <= got <= want + 0.01):
                failed.append(f"{what}: usable fraction {got}, want {want:.3f} (its mask's block) within -0.04/+0.01")
        # The new buildings, found across sensors and confirmed: as well as
        # from Sentinel-2 alone (the same scenes less Landsat's and
        # PlanetScope's, on a site of their own).
        run("--db", f"{tmp}/s2.db", "site", "add", "plant", "--aoi", f"{tmp}/aoi.geojson")
        run("--db", f"{tmp}/s2.db", "ingest", "plant", made[0][1], made[1][1], made[3][1])
        truth_in = truth & inside
        scores = {}
        for name, cat in (("mixed", db), ("Sentinel-2 alone", f"{tmp}/s2.db")):
            out = f"{tmp}/objects-{len(scores)}.geojson"
            r = run("--db", cat, "export", "plant", "-f", "geojson", "-o", out)
            hit = np.zeros((N, N), bool)
            if not r.returncode:
                ds = gdal.GetDriverByName("MEM").Create("", N, N, 1, gdal.GDT_Byte)
                ds.SetGeoTransform([X0, GSD, 0, Y0, 0, -GSD])
                utm = osr.SpatialReference()
                utm.ImportFromEPSG(EPSG)
                ds.SetProjection(utm.ExportToWkt())
                gdal.Rasterize(ds, gdal.OpenEx(out), burnValues=[1],
                               where="confirmed_at IS NOT NULL AND status <> 'withdrawn'")
                hit = ds.ReadAsArray() > 0
            tp = (hit & truth_in).sum()
            scores[name] = (tp / max(hit.sum(), 1), tp / max(truth_in.sum(), 1))
            print(f"confirmed change, {name}: precision {scores[name][0]:.3f}, recall {scores[name][1]:.3f} "
                  f"(the truth is {truth_in.mean():.3f} of the site)")
        (pm, rm), (ps, rs) = scores["mixed"], scores["Sentinel-2 alone"]
        if rm < 0.5 or pm < 10 * truth_in.mean() or pm < 0.8 * ps or rm < rs - 0.1:
            failed.append(f"confirmed change across sensors: precision {pm:.3f}, recall {rm:.3f}; want recall >= 0.5, "
                          f"precision >= 10 x chance, and no worse than Sentinel-2 alone ({ps:.3f}, {rs:.3f})")
        # detect takes the products too, with their masks.
        l2a, l1c, landsat = made[0][1], made[1][1], made[2][1]
        for what, a, b, bands in (("two .SAFE", l2a, l1c, 12), ("a .SAFE and Landsat", l2a, landsat, 7)):
            out = f"{tmp}/detect-{bands}"
            r = run("detect", a, b, "-o", out, "-q")
            if r.returncode:
                continue
            summ = json.load(open(f"{out}/summary.json"))
            ib, ia = summ["inputs"]["before"], summ["inputs"]["after"]
            if len(summ["grid"].get("bands", [])) != bands:
                failed.append(f"detect {what}: compared {summ['grid']['bands']}, want {bands} shared bands")
            if ib.get("delivery_mask_rule") != "Sentinel-2 scene classification":
                failed.append(f"detect {what}: BEFORE's mask {ib.get('delivery_mask')} read as "
                              f"{ib.get('delivery_mask_rule')}")
            masked = (made[0][2] | (made[1][2] if bands == 12 else made[2][2])).sum()
            if summ["counts"]["valid_pixels"] > N * N - masked:
                failed.append(f"detect {what}: {summ['counts']['valid_pixels']} valid pixels; the masks leave "
                              f"{N * N - masked}")
        # Discovery: an ItemCollection's item is queued as COLLECTION.json#ID
        # and a worker ingests it as a delivery (its bands, date and UDM2).
        q = f"{tmp}/q.db"
        run("--db", q, "site", "add", "plant", "--aoi", f"{tmp}/aoi.geojson")
        coll, stem = made[5][1].split("#")
        r = run("--db", q, "enqueue", "--discover", coll)
        # (its other item, "elsewhere", has the same footprint and pixels: queued,
        # then skipped by the worker as a scene the site has)
        if f"{coll}#{stem} -> plant" not in r.stdout or "2 jobs queued" not in r.stdout:
            failed.append(f"enqueue --discover {coll}: {r.stdout!r}; want its items queued for plant")
        run("--db", q, "worker", "--idle", "0")
        rows = json.loads(run("--db", q, "timeline", "plant", "--json").stdout or "[]")
        got = [(x.get("date"), x.get("sensor"), round(x.get("usable_fraction", 0), 3)) for x in rows]
        if got != [("2024-05-20", "PlanetScope", round(rows[0]["usable_fraction"], 3) if rows else None)] or \
                abs(rows[0]["usable_fraction"] - made_usable[5]) > 0.01:
            failed.append(f"the queued item: timeline {got}, want one PlanetScope scene of 2024-05-20 as ingest "
                          f"gave it ({made_usable[5]:.3f} usable)")
        # Broken products: one line naming the file.
        os.makedirs(f"{tmp}/broken/S2A_MSIL2A_X.SAFE")
        shutil.copy(f"{made[0][1]}/MTD_MSIL2A.xml", f"{tmp}/broken/S2A_MSIL2A_X.SAFE/")
        with open(f"{tmp}/broken/two.json", "w") as f:
            json.dump({"type": "FeatureCollection", "features": [{"type": "Feature", "id": "a", "assets": {}},
                                                                 {"type": "Feature", "id": "b", "assets": {}}]}, f)
        for given, want in ((f"{tmp}/broken/S2A_MSIL2A_X.SAFE", "no GRANULE folder"),
                            (f"{tmp}/broken/two.json", "name one as"),
                            (f"{made[5][1].split('#')[0]}#nope", "no item 'nope'")):
            r = run("--db", db, "ingest", "plant", given, ok=False)
            err = r.stderr.strip()
            if r.returncode == 0 or want not in err or given.split("#")[0] not in err or "\n" in err:
                failed.append(f"ingest {given}: exit {r.returncode}, stderr {err!r}; want one line with '{want}'")
    finally:
        if os.environ.get("SW_KEEP"):
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    for f in failed:
        print("FAIL:", f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
