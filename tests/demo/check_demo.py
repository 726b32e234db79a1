#!/usr/bin/env python3
"""Checks what `sitewatch demo` found against the truth it inserted.

usage: check_demo.py SITEWATCH DEMO_DIR

Every building in truth.geojson must be one change object of the catalog
(exported as GeoJSON) whose outline covers most of it, first seen on the
building's first date, with an area within 15% of the truth; every alert
must be for such a building (none for the cloudy or misaligned scene's
artefacts); report.html must exist. Prints a table; exits 1 on failure.
"""
import json
import os
import shutil
import subprocess
import sys

from osgeo import ogr, osr


def utm(geom_json, to):
    g = ogr.CreateGeometryFromJson(json.dumps(geom_json))
    wgs = osr.SpatialReference()
    wgs.ImportFromEPSG(4326)
    wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    g.AssignSpatialReference(wgs)
    g.TransformTo(to)
    return g


def main():
    exe, d = sys.argv[1], sys.argv[2]
    db = os.path.join(d, "sitewatch.db")
    truth = json.load(open(os.path.join(d, "truth.geojson")))
    out = os.path.join(d, "check-objects.geojson")
    if os.path.exists(out):
        os.unlink(out)
    subprocess.run([exe, "--db", db, "export", "demo", "-f", "geojson", "-o", out], check=True,
                   stdout=subprocess.DEVNULL)
    objs = json.load(open(out))["features"]
    os.unlink(out)
    alerts = subprocess.run([exe, "--db", db, "alerts", "--site", "demo", "--json"], check=True,
                            capture_output=True, text=True).stdout
    alerts = json.loads(alerts)
    to = osr.SpatialReference()
    to.ImportFromEPSG(32652)
    to.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    og = [(o, utm(o["geometry"], to)) for o in objs]
    failures = []
    matched_ids = set()
    print(f"{'building':26s} {'first':10s} {'found':10s} {'truth m2':>9s} {'found m2':>9s} {'err':>6s}  object")
    for t in truth["features"]:
        p = t["properties"]
        tg = utm(t["geometry"], to)
        best, cover = None, 0.0
        for o, g in og:
            inter = g.Intersection(tg)
            c = inter.GetArea() / tg.GetArea() if inter else 0.0
            if c > cover:
                best, cover = o, c
        if best is None or cover < 0.5:
            failures.append(f"{p['name']}: not found (best cover {cover:.2f})")
            print(f"{p['name']:26s} {p['first_date']:10s} {'-':10s} {p['area_m2']:9.0f}")
            continue
        q = best["properties"]
        matched_ids.add(q["id"])
        err = q["area_m2"] / p["area_m2"] - 1
        print(f"{p['name']:26s} {p['first_date']:10s} {q['first_seen']:10s} {p['area_m2']:9.0f} "
              f"{q['area_m2']:9.0f} {100 * err:+5.1f}%  {q['id']} ({q['status']}, cover {cover:.2f})")
        if q["first_seen"] != p["first_date"]:
            failures.append(f"{p['name']}: first seen {q['first_seen']}, built {p['first_date']}")
        if abs(err) > 0.15:
            failures.append(f"{p['name']}: area {q['area_m2']:.0f} m2, truth {p['area_m2']:.0f} m2")
    for a in alerts:
        if a["object_id"] not in matched_ids:
            failures.append(f"alert {a['id']} is for object {a['object_id']}, which is no building inserted")
    # The cloudy and misregistered scenes raise nothing of their own, and
    # the cloud is screened out of the cloudy one.
    cond = {sc["date"]: sc["condition"] for sc in truth["scenes"]}
    for o, _ in og:
        q = o["properties"]
        if q.get("confirmed_at") and cond.get(q["first_seen"]) in ("cloudy", "misaligned"):
            failures.append(f"object {q['id']} first seen on the {cond[q['first_seen']]} scene is confirmed")
    tl = json.loads(subprocess.run([exe, "--db", db, "timeline", "demo", "--json"], check=True,
                                   capture_output=True, text=True).stdout)
    for row in tl:
        c = cond.get(row["date"])
        u = row["usable_fraction"]
        if c == "cloudy" and not 0.5 < u < 0.95:
            failures.append(f"cloudy scene {row['date']}: usable {u:.2f}, the cloud is not screened")
        if c in ("clear", "misaligned") and u < 0.99:
            failures.append(f"clear scene {row['date']}: usable {u:.2f}")
    if len(tl) != len(cond):
        failures.append(f"timeline has {len(tl)} scenes, {len(cond)} were made")
    # SMART site models: the MGRS square of each object's centre (the plant
    # lies in 52S, 100 km square CK), and phases that follow the object's
    # status and dates: nothing active before it was first seen, after a
    # gone one was last seen, or ever for a withdrawn one.
    smart = os.path.join(d, "check-smart")
    shutil.rmtree(smart, ignore_errors=True)
    subprocess.run([exe, "--db", db, "export", "demo", "-f", "smart", "-o", smart], check=True,
                   stdout=subprocess.DEVNULL)
    status_of = {o["properties"]["id"]: o["properties"] for o in objs}
    for name in sorted(os.listdir(smart)):
        fc = json.load(open(os.path.join(smart, name)))
        site = fc["features"][0]["properties"]
        obj = status_of.get(int(site["site_id"].rsplit("_", 1)[1]))
        if site["mgrs"] != "52SCK":
            failures.append(f"{name}: mgrs {site['mgrs']!r}, want 52SCK")
        for f in fc["features"][1:]:
            q, date = f["properties"], f["properties"]["observation_date"]
            active = q["current_phase"] != "No Activity"
            if obj and active and (date < obj["first_seen"] or obj["status"] == "withdrawn" or
                                   (obj["status"] == "gone" and date > obj["last_seen"])):
                failures.append(f"{name}: {q['current_phase']} on {date} for a {obj['status']} object "
                                f"seen {obj['first_seen']} to {obj['last_seen']}")
    shutil.rmtree(smart, ignore_errors=True)
    if not os.path.exists(os.path.join(d, "report.html")):
        failures.append("report.html is missing")
    print(f"{len(objs)} objects in the catalog, {len(alerts)} alerts")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
