#!/usr/bin/env python3
"""Renders a sitewatch report in headless Chromium and checks it.

usage: check_report.py SITEWATCH CATALOG SITE REPORT.html

The page must load with no console message and no failed load, reference
nothing outside itself, decode every picture, and show every object of the
catalog (one table row each) with a card for each confirmed object: its
alert's id and state as `alerts --json` has them, its centre in degrees and
MGRS with copy buttons, and its window on every usable scene. The objects
are embedded as GeoJSON to download (one feature per object); the site
picture can be zoomed; a print stylesheet is there.
Exits 77 (skipped) when Chromium is not installed; 1 on failure.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    exe, db, site, report = sys.argv[1:5]
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        print("SKIP: no chromium (Debian package chromium)")
        return 77
    html = open(report, encoding="utf-8").read()
    failures = []
    # Self-contained: nothing fetched from elsewhere.
    ext = re.findall(r"""(?:src|href)\s*=\s*['"]((?!data:|#)[^'"]*)""", html)
    if ext:
        failures.append(f"references outside the file: {ext[:3]}")
    with tempfile.TemporaryDirectory() as prof:
        p = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            f"--user-data-dir={prof}", "--enable-logging=stderr", "--v=0",
                            "--virtual-time-budget=5000", "--dump-dom", "file://" + os.path.abspath(report)],
                           capture_output=True, text=True, timeout=120)
    dom, log = p.stdout, p.stderr
    if p.returncode != 0 or "<body" not in dom:
        failures.append(f"chromium failed (status {p.returncode}): {log[-500:]}")
    bad = [l for l in log.splitlines() if ":CONSOLE(" in l or "Failed to load" in l or "net::ERR" in l]
    if bad:
        failures.append(f"console or load errors: {bad[:3]}")
    m = re.search(r"<body[^>]*data-images=\"(\d+)\"[^>]*data-broken=\"(\d+)\"", dom)
    nimg = len(re.findall(r"<img ", html))
    if not m:
        failures.append("the page's load handler did not run")
    elif int(m.group(1)) != nimg or int(m.group(2)) != 0 or nimg == 0:
        failures.append(f"pictures: {m.group(1)} seen of {nimg}, {m.group(2)} not decoded")
    # Every object of the catalog is shown.
    with tempfile.TemporaryDirectory() as t:
        out = os.path.join(t, "objects.geojson")
        subprocess.run([exe, "--db", db, "export", site, "-f", "geojson", "-o", out], check=True,
                       stdout=subprocess.DEVNULL)
        objs = json.load(open(out))["features"]
    rows = len(re.findall(r"<tr class=['\"]object['\"]", dom))
    if rows != len(objs):
        failures.append(f"{rows} object rows for {len(objs)} objects")
    for o in objs:
        q = o["properties"]
        if q.get("confirmed_at") and not q.get("dismissed"):
            if f"id=\"object-{q['id']}\"" not in dom and f"id='object-{q['id']}'" not in dom:
                failures.append(f"no card for confirmed object {q['id']}")
    # The objects to download, as GeoJSON.
    m = re.search(r"download='[^']*' href='data:application/geo\+json;base64,([A-Za-z0-9+/=]+)'", html)
    if not m:
        failures.append("no GeoJSON of the objects to download")
    else:
        import base64
        fc = json.loads(base64.b64decode(m.group(1)))
        if sorted(f["properties"]["id"] for f in fc["features"]) != sorted(o["properties"]["id"] for o in objs):
            failures.append("the embedded GeoJSON's objects are not the catalog's")
    # Each card: its alert as the catalog has it, copyable coordinates, its
    # window on every usable scene.
    alerts = json.loads(subprocess.run([exe, "--db", db, "alerts", "--site", site, "--json"], capture_output=True,
                                       text=True, check=True).stdout)
    by_object = {a["object_id"]: a for a in alerts}
    usable = len(re.findall(r"<td>yes</td><td>", html.split("<table id='scenes'>", 1)[-1]))
    cards = re.findall(r"<section class='card' id='object-(\d+)'>(.*?)</section>", html, re.S)
    for oid, body in cards:
        a = by_object.get(int(oid))
        want = f"Alert #{a['id']}: {a['state']}" if a else "No alert."
        if want not in body:
            failures.append(f"object {oid}: card does not say '{want}'")
        if len(re.findall(r"<button class='copy' data-copy='", body)) != 2 or not re.search(
                r"MGRS <span class='c'>\d{1,2}[C-X][A-Z]{2}\d{10}</span>", body):
            failures.append(f"object {oid}: no copyable degrees and MGRS")
        strip = body.split("<div class='strip'>", 1)[-1]
        if len(re.findall(r"<figure ", strip)) != usable:
            failures.append(f"object {oid}: {len(re.findall(r'<figure ', strip))} strip pictures for {usable} "
                            f"usable scenes")
    if "id='sitepic'" not in html or "addEventListener('wheel'" not in html:
        failures.append("the site picture cannot be zoomed")
    if "@media print" not in html:
        failures.append("no print stylesheet")
    print(f"report: {len(html)} bytes, {nimg} pictures, {rows} objects, {len(cards)} cards; chromium rendered it")
    for f in failures:
        print("FAIL:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
