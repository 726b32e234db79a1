#!/usr/bin/env python3
"""A real two-date Sentinel-2 city (OSCD's Cupertino) ingested from its band
folders, as Sentinel-2 delivers them (13 single-band files per date, resampled
by OSCD to geographic coordinates): two scenes, not one per band file, on a
10 m grid, and no alert from two dates alone. The second date is read from
its files' names; the first's names are of the old naming, whose only date is
the product's making (2016-10-23), not the sensing: that scene asks for
--date, and gets OSCD's date (dates.txt).
Exit 77 (skipped) without ../shared/data, except under CI."""
import json
import os
import shutil
import subprocess
import sys
import tempfile


def main():
    sw, data = sys.argv[1], sys.argv[2]
    city = os.path.join(data, "oscd-sentinel2", "Onera Satellite Change Detection dataset - Images", "cupertino")
    if not os.path.isdir(city):
        if os.environ.get("CI") == "true":
            print(f"FAIL: {city} is missing under CI")
            return 1
        print(f"skipped: no {city}")
        return 77
    tmp = tempfile.mkdtemp(prefix="sw-s2-")
    failed = []
    try:
        db = os.path.join(tmp, "s2.db")
        subprocess.run([sw, "--db", db, "site", "add", "cupertino", "--aoi", os.path.join(city, "cupertino.geojson")],
                       check=True, stdout=subprocess.DEVNULL)
        dates = dict(line.split(": ") for line in open(os.path.join(city, "dates.txt")).read().split("\n") if line)
        d1 = dates["date_1"]
        r = subprocess.run([sw, "--db", db, "ingest", "cupertino", os.path.join(city, "imgs_1")], capture_output=True,
                           text=True)
        if r.returncode != 2 or "give --date" not in r.stderr:
            failed.append(f"the old naming's making date was taken for the sensing: {r.stdout} {r.stderr}")
        r = subprocess.run([sw, "--db", db, "ingest", "cupertino", os.path.join(city, "imgs_1"), "--date",
                            f"{d1[:4]}-{d1[4:6]}-{d1[6:]}"], capture_output=True, text=True)
        print(r.stdout, end="")
        if r.returncode:
            failed.append(f"ingest imgs_1: exit {r.returncode}: {r.stderr.strip()}")
        r = subprocess.run([sw, "--db", db, "ingest", "cupertino", os.path.join(city, "imgs_2")], capture_output=True,
                           text=True)
        print(r.stdout, end="")
        if r.returncode:
            failed.append(f"ingest imgs_2: exit {r.returncode}: {r.stderr.strip()}")
        tl = json.loads(subprocess.run([sw, "--db", db, "timeline", "cupertino", "--json"], check=True,
                                       capture_output=True, text=True).stdout)
        if [row["date"] for row in tl] != ["2015-09-18", "2018-03-26"]:
            failed.append(f"scenes {[row['date'] for row in tl]}, want two: 2015-09-18 and 2018-03-26")
        if any(row["sensor"] != "Sentinel-2" for row in tl):
            failed.append(f"sensors {[row['sensor'] for row in tl]}")
        show = subprocess.run([sw, "--db", db, "site", "show", "cupertino"], check=True, capture_output=True,
                              text=True).stdout
        if "resolution  10.000 m" not in show:
            failed.append("the site's grid is not 10 m:\n" + show)
        alerts = json.loads(subprocess.run([sw, "--db", db, "alerts", "--json"], check=True, capture_output=True,
                                           text=True).stdout)
        if alerts:
            failed.append(f"{len(alerts)} alerts from two dates (confirmation needs more)")
        chips = [f for f in os.listdir(os.path.join(tmp, "s2.db.chips", "cupertino")) if f.endswith(".tif")]
        if len(chips) != 2:
            failed.append(f"{len(chips)} chips, want 2")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failed:
        print("FAIL:", f)
    print(f"{0 if failed else 1} passed, {1 if failed else 0} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
