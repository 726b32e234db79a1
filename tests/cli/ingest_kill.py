#!/usr/bin/env python3
"""Ingest survives SIGKILL and concurrency.

Makes a site and six dated scenes (synthetic, georeferenced), then KILLS
times (default 24) starts `sitewatch ingest` of all of them and kills it
with SIGKILL after a random delay within SPREAD (default 0.6) of a whole
run's time (1.0 reaches into the analysis at its end). After every kill the catalog must pass PRAGMA integrity_check,
and every scene it lists must have a whole chip (GDAL reads every pixel).
Then a plain rerun must complete the work (six scenes) and leave no orphan
(temporary chip, analysis folder), and two ingests of the same scenes into
one catalog at once must both succeed. bench/kill_ingest.sh runs it with
100 kills over the whole run.

usage: ingest_kill.py SITEWATCH [KILLS [SPREAD]]
"""
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

from osgeo import gdal, osr

gdal.UseExceptions()


def check(db):
    con = sqlite3.connect(db)
    ok = con.execute("PRAGMA integrity_check").fetchone()[0]
    rows = con.execute("SELECT chip_path, acquired FROM scenes").fetchall()
    con.close()
    if ok != "ok":
        return f"integrity_check: {ok}"
    for chip, date in rows:
        try:
            ds = gdal.Open(chip)
            ds.ReadAsArray()
        except Exception as e:  # noqa: BLE001
            return f"scene of {date}: chip {chip} is not whole: {e}"
    return None


def main():
    sw = sys.argv[1]
    kills = int(sys.argv[2]) if len(sys.argv) > 2 else 24
    spread = float(sys.argv[3]) if len(sys.argv) > 3 else 0.6
    tmp = tempfile.mkdtemp(prefix="sw-kill-")
    failed = 0
    try:
        subprocess.run([sw, "synth", f"{tmp}/syn", "--size", "768", "-q"], check=True)
        scenes = []
        for k, day in enumerate(("20240105", "20240210", "20240318", "20240422", "20240530", "20240704")):
            p = f"{tmp}/{day}_021533_1035_3B_AnalyticMS_SR.tif"
            shutil.copy(f"{tmp}/syn/{'before' if k % 2 == 0 else 'after'}.tif", p)
            # make each scene's content distinct: one pixel differs
            ds = gdal.Open(p, gdal.GA_Update)
            ds.GetRasterBand(1).WriteRaster(k, 0, 1, 1, bytes([k + 1, 0]))
            ds = None
            scenes.append(p)
        utm, wgs = osr.SpatialReference(), osr.SpatialReference()
        utm.ImportFromEPSG(32652)
        wgs.ImportFromEPSG(4326)
        for sr in (utm, wgs):
            sr.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        lon, lat, _ = osr.CoordinateTransformation(utm, wgs).TransformPoint(374192.0, 4420808.0)
        with open(f"{tmp}/aoi.geojson", "w") as f:
            f.write('{"type":"Feature","properties":{},"geometry":{"type":"Point","coordinates":[%.7f,%.7f]}}' % (lon, lat))
        db = f"{tmp}/cat.db"
        subprocess.run([sw, "--db", db, "site", "add", "plant", "--aoi", f"{tmp}/aoi.geojson", "--buffer", "150"],
                       check=True, stdout=subprocess.DEVNULL)
        rng = random.Random(7)
        # how long a whole run takes, to spread the kills over it
        t0 = time.time()
        subprocess.run([sw, "--db", f"{tmp}/probe.db", "site", "add", "p", "--aoi", f"{tmp}/aoi.geojson",
                        "--buffer", "150"], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sw, "--db", f"{tmp}/probe.db", "ingest", "p", *scenes], check=True, stdout=subprocess.DEVNULL)
        full = time.time() - t0
        bad_kills = 0
        for i in range(kills):
            p = subprocess.Popen([sw, "--db", db, "ingest", "plant", *rng.sample(scenes, len(scenes))],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.0, full * spread))
            p.send_signal(signal.SIGKILL)
            p.wait()
            err = check(db)
            if err:
                print(f"FAIL after kill {i + 1}: {err}")
                failed += 1
                bad_kills += 1
        print(f"{kills} kills over {spread:.0%} of a {full:.1f} s run: integrity and whole chips after "
              f"{kills - bad_kills} of them")
        r = subprocess.run([sw, "--db", db, "ingest", "plant", *scenes], capture_output=True, text=True)
        con = sqlite3.connect(db)
        n = con.execute("SELECT count(*) FROM scenes").fetchone()[0]
        con.close()
        # what the killed runs left half-written is gone after the rerun
        orphans = [os.path.join(d, f) for d, dirs, files in os.walk(db + ".chips") for f in dirs + files
                   if f.startswith((".sw-tmp-", ".analysis-")) or ".tmp-" in f]
        if r.returncode != 0 or n != 6 or check(db) or orphans:
            print(f"FAIL rerun: exit {r.returncode}, {n} scenes, {check(db)}, orphans {orphans}: {r.stderr.strip()}")
            failed += 1
        else:
            print(f"ok   {kills} kills, then a rerun completed: 6 scenes, catalog intact, 0 orphans")
        # two ingests at once into a fresh catalog
        db2 = f"{tmp}/two.db"
        subprocess.run([sw, "--db", db2, "site", "add", "plant", "--aoi", f"{tmp}/aoi.geojson", "--buffer", "150"],
                       check=True, stdout=subprocess.DEVNULL)
        a = subprocess.Popen([sw, "--db", db2, "ingest", "plant", *scenes], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        b = subprocess.Popen([sw, "--db", db2, "ingest", "plant", *reversed(scenes)], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        ra, rb = a.wait(), b.wait()
        con = sqlite3.connect(db2)
        n = con.execute("SELECT count(*) FROM scenes").fetchone()[0]
        con.close()
        if ra or rb or n != 6 or check(db2):
            print(f"FAIL concurrent ingests: exits {ra} {rb}, {n} scenes: {a.stderr.read()} {b.stderr.read()}")
            failed += 1
        else:
            print("ok   two ingests at once both succeeded: 6 scenes")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{kills + 2 - failed} passed, {failed} failed")  # the kills, the rerun, the concurrent pair
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
