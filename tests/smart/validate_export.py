#!/usr/bin/env python3
"""`sitewatch export -f smart` of the demo site against the SMART site-model
schema (vendored here, SOURCE.txt): with a region and one of the program's
originator codes every file validates; by default (originator 'sitewatch')
the schema's only objection is that one field. The phases follow each
object's status and dates: nothing before it was first seen, a gone object
not after it was last seen, a withdrawn one never active; sensor names are
SMART's, MGRS squares filled. The GeoPackage export: a MultiPolygon layer,
dates typed as dates, each centre in the site's CRS agreeing with its
longitude and latitude and MGRS reference."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

import jsonschema
from osgeo import ogr, osr

ogr.UseExceptions()


def main():
    sw, here = sys.argv[1], os.path.dirname(os.path.abspath(__file__))
    schema = json.load(open(os.path.join(here, "site-model.schema.json")))
    validator = jsonschema.Draft202012Validator(schema)
    tmp = tempfile.mkdtemp(prefix="sw-smart-")
    failed = []
    try:
        subprocess.run([sw, "demo", f"{tmp}/demo"], check=True, capture_output=True)
        db = f"{tmp}/demo/sitewatch.db"
        objs = {f["properties"]["id"]: f["properties"] for f in json.loads(subprocess.run(
            [sw, "--db", db, "export", "demo", "-f", "geojson", "-o", "/dev/stdout"], capture_output=True,
            text=True, check=True).stdout.split("\n", 1)[0] and open_geojson(sw, db, tmp))["features"]}
        for name, extra in (("program", ["--region", "KP_R001", "--originator", "te"]), ("default", [])):
            out = f"{tmp}/smart-{name}"
            subprocess.run([sw, "--db", db, "export", "demo", "-f", "smart", "-o", out, *extra], check=True,
                           capture_output=True)
            files = sorted(os.listdir(out))
            if len(files) != len(objs):
                failed.append(f"{name}: {len(files)} site models for {len(objs)} objects")
            for fname in files:
                fc = json.load(open(os.path.join(out, fname)))
                errors = leaves(validator.iter_errors(fc))
                if name == "program" and errors:
                    failed.append(f"{name} {fname}: {len(errors)} schema errors: {errors[:3]}")
                if name == "default":
                    # refused, and for its originator alone
                    fixed = json.loads(json.dumps(fc))
                    fixed["features"][0]["properties"]["originator"] = "te"
                    if validator.is_valid(fc) or not validator.is_valid(fixed):
                        failed.append(f"{name} {fname}: valid {validator.is_valid(fc)}, with a program originator "
                                      f"{validator.is_valid(fixed)}: {leaves(validator.iter_errors(fixed))[:3]}")
                site = fc["features"][0]["properties"]
                obs = [f["properties"] for f in fc["features"][1:]]
                o = objs.get(site.get("misc_info", {}).get("object_id"))
                if not o:
                    failed.append(f"{fname}: names no object of the site")
                    continue
                if not site.get("mgrs"):
                    failed.append(f"{fname}: no MGRS square")
                for ob in obs:
                    d, ph = ob["observation_date"], ob["current_phase"]
                    active = ph in ("Site Preparation", "Active Construction")
                    if o["status"] == "withdrawn" and ph != "No Activity":
                        failed.append(f"{fname}: withdrawn object {o['id']} is '{ph}' on {d}")
                    if d < o["first_seen"] and ph != "No Activity":
                        failed.append(f"{fname}: '{ph}' on {d}, before it was first seen ({o['first_seen']})")
                    if o["status"] == "gone" and d > o["last_seen"] and active:
                        failed.append(f"{fname}: gone object {o['id']} active on {d}, after {o['last_seen']}")
                    if ob["sensor_name"] not in (None, "Planet", "Sentinel-2", "Landsat 8", "WorldView"):
                        failed.append(f"{fname}: sensor {ob['sensor_name']}")
        # the GeoPackage
        subprocess.run([sw, "--db", db, "export", "demo", "-f", "gpkg", "-o", f"{tmp}/objects.gpkg"], check=True,
                       capture_output=True)
        gpkg = ogr.Open(f"{tmp}/objects.gpkg")
        layer = gpkg.GetLayer("objects")
        defn = layer.GetLayerDefn()
        if layer.GetGeomType() != ogr.wkbMultiPolygon:
            failed.append(f"gpkg: geometry type {ogr.GeometryTypeToName(layer.GetGeomType())}, want Multi Polygon")
        for name in ("first_seen", "last_seen", "confirmed_at"):
            k = defn.GetFieldIndex(name)
            if k < 0 or defn.GetFieldDefn(k).GetType() != ogr.OFTDate:
                failed.append(f"gpkg: {name} is not a Date field")
        to_ll = osr.CoordinateTransformation(layer.GetSpatialRef(), osr.SpatialReference(
            'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],PRIMEM["Greenwich",0],'
            'UNIT["degree",0.0174532925199433],AXIS["Longitude",EAST],AXIS["Latitude",NORTH]]'))
        for ft in layer:
            c = ft.GetGeometryRef().Centroid()
            x, y = ft.GetField("centroid_x"), ft.GetField("centroid_y")
            lon, lat, _ = to_ll.TransformPoint(x, y)
            m = ft.GetField("mgrs") or ""
            if abs(c.GetX() - x) > 0.01 or abs(c.GetY() - y) > 0.01 or abs(lon - ft.GetField("centroid_lon")) > 1e-6 \
                    or abs(lat - ft.GetField("centroid_lat")) > 1e-6 or not m.startswith("52SCK") or \
                    int(m[5:10]) != int(x) % 100000 or int(m[10:15]) != int(y) % 100000:
                failed.append(f"gpkg object {ft.GetField('id')}: centre {x}, {y} / {ft.GetField('centroid_lon')}, "
                              f"{ft.GetField('centroid_lat')} / {m} disagree with its outline's {c.GetX()}, {c.GetY()}")
        statuses = sorted({o["status"] for o in objs.values()})
        print(f"{len(objs)} objects ({', '.join(statuses)}), each a SMART site model")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failed[:20]:
        print("FAIL:", f)
    return 1 if failed else 0


def leaves(errors):
    """The innermost failures (oneOf and contains hide theirs in context), as 'path: message'."""
    out = []
    for e in errors:
        if e.context:
            out += leaves(e.context)
        else:
            out.append("/".join(str(p) for p in e.absolute_path) + ": " + e.message[:120])
    return sorted(set(out))


def open_geojson(sw, db, tmp):
    subprocess.run([sw, "--db", db, "export", "demo", "-f", "geojson", "-o", f"{tmp}/objects.geojson"], check=True,
                   capture_output=True)
    return open(f"{tmp}/objects.geojson").read()


if __name__ == "__main__":
    sys.exit(main())
