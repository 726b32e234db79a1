#!/usr/bin/env python3
"""A site of few dates: the demo's site with only two of its scenes, the
first and the last (the plant grown). Nothing can be confirmed by one
comparison when confirmation needs two usable scenes that show it, so the
report shows the candidates (the demo's method, irmad): drawn dashed
on the site picture, one row each under Candidates, their area as the
chart's bars on an axis whose labels rise; and it states the rule
(--confirm N). Then check_report.py renders it in Chromium.

usage: few_dates.py SITEWATCH DEMO_DIR CHECK_REPORT"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def main():
    sw, demo, check = sys.argv[1:4]
    tmp = tempfile.mkdtemp(prefix="sw-few-")
    failed = []
    try:
        db = f"{tmp}/few.db"
        scenes = sorted(os.listdir(f"{demo}/scenes"))
        scenes = [f"{demo}/scenes/{s}" for s in scenes if s.endswith("AnalyticMS_SR.tif")]
        scenes = [scenes[0], scenes[-1]]
        subprocess.run([sw, "--db", db, "site", "add", "few", "--aoi", f"{demo}/aoi.geojson", "--method", "irmad"],
                       check=True,
                       capture_output=True)
        subprocess.run([sw, "--db", db, "ingest", "few", *scenes], check=True, capture_output=True)
        subprocess.run([sw, "--db", db, "export", "few", "-f", "geojson", "-o", f"{tmp}/o.geojson"], check=True,
                       capture_output=True)
        objs = [f["properties"] for f in json.load(open(f"{tmp}/o.geojson"))["features"]]
        cands = [o for o in objs if not o["confirmed_at"] and not o["dismissed"] and
                 o["status"] not in ("withdrawn", "gone")]
        if any(o["confirmed_at"] for o in objs) or not cands:
            failed.append(f"{len(objs)} objects, {len(cands)} candidates: want candidates and none confirmed")
        subprocess.run([sw, "--db", db, "report", "few", "-o", f"{tmp}/few.html"], check=True, capture_output=True)
        html = open(f"{tmp}/few.html", encoding="utf-8").read()
        rows = re.findall(r"<tr class='cand'><td class='n'>(\d+)</td>", html)
        if sorted(map(int, rows)) != sorted(o["id"] for o in cands):
            failed.append(f"candidate rows {rows}, want the {len(cands)} candidates {[o['id'] for o in cands]}")
        site_pic = html.split("<h2>The site</h2>", 1)[-1].split("<h2>", 1)[0]
        drawn = len(re.findall(r"class='cand'", site_pic))
        if drawn < len(cands):
            failed.append(f"{drawn} dashed outlines on the site picture for {len(cands)} candidates")
        if "seen in 2 consecutive usable scenes" not in html or "--confirm N" not in html:
            failed.append("the confirmation rule (--confirm, default 2) is not stated")
        ticks = [float(t) for t in re.findall(r"class='ax tick'[^>]*>([0-9.]+)</text>", html)]
        if len(ticks) < 2 or any(b <= a for a, b in zip(ticks, ticks[1:])):
            failed.append(f"the chart's axis reads {ticks}")
        if "candbar" not in html.split("<h2>Activity over time</h2>", 1)[-1].split("</svg>", 1)[0].replace(
                "class='bar candbar'/>", ""):
            failed.append("the chart has no bar for the candidates' area")
        print(f"{len(scenes)} scenes: {len(cands)} candidates, {drawn} outlines, axis {ticks}")
        r = subprocess.run([sys.executable, check, sw, db, "few", f"{tmp}/few.html"], capture_output=True, text=True)
        print(r.stdout, end="")
        if r.returncode not in (0, 77):
            failed.append(f"check_report: {r.stdout.strip()[-300:]}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failed:
        print("FAIL:", f)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
