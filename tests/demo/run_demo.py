#!/usr/bin/env python3
"""Runs `sitewatch demo DIR` afresh (DIR is removed first) and checks what it
found against the truth it inserted (check_demo.py).

usage: run_demo.py SITEWATCH DIR [SEED]
"""
import os
import shutil
import subprocess
import sys

exe, d = sys.argv[1], sys.argv[2]
seed = sys.argv[3] if len(sys.argv) > 3 else "1"
shutil.rmtree(d, ignore_errors=True)
p = subprocess.run([exe, "demo", d, "--seed", seed], capture_output=True, text=True)
sys.stdout.write(p.stdout[-3000:])
if p.returncode != 0:
    print(p.stderr)
    print(f"FAIL: sitewatch demo exited {p.returncode}")
    sys.exit(1)
for name in ("aoi.geojson", "truth.geojson", "sitewatch.db", "report.html"):
    if not os.path.exists(os.path.join(d, name)):
        print(f"FAIL: the demo left no {name}")
        sys.exit(1)
if len([f for f in os.listdir(os.path.join(d, "scenes")) if f.endswith(".tif")]) < 8:
    print("FAIL: fewer than 8 scenes")
    sys.exit(1)
sys.exit(subprocess.run([sys.executable, os.path.join(os.path.dirname(__file__), "check_demo.py"), exe, d]).returncode)
