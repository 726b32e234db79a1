#!/usr/bin/env python3
"""Scene-site jobs per minute through the job queue, with 1 and 2 workers,
on PostgreSQL and on SQLite, and the catalog's own cost per job (claim +
the committing transaction) under 16 concurrent workers; side by side in
one run on this machine. Starts its own PostgreSQL (tests/servers/pg.sh).

usage: bench/queue_scale.py [SITEWATCH] [--sites N]   -> bench/queue_scale.md"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "scale"))
import fleet  # noqa: E402


def main():
    sw = sys.argv[1] if len(sys.argv) > 1 and not sys.argv[1].startswith("--") else f"{ROOT}/build/sitewatch"
    nsites = int(sys.argv[sys.argv.index("--sites") + 1]) if "--sites" in sys.argv else 40
    tmp = tempfile.mkdtemp(prefix="sw-qbench-")
    os.chmod(tmp, 0o755)
    pgdir = f"{tmp}/pg"
    subprocess.run(["sh", f"{ROOT}/tests/servers/pg.sh", "start", pgdir], check=True, capture_output=True)
    scenes = fleet.make_scenes(sw, tmp)
    points = fleet.site_points(scenes[0], nsites)
    aois = fleet.write_aois(tmp, points)
    rows, costs = [], {}
    try:
        for backend in ("SQLite", "PostgreSQL"):
            for workers in (1, 2, 16):
                tag = f"{backend.lower()}{workers}"
                if backend == "SQLite":
                    db = f"{tmp}/{tag}.db"
                else:
                    subprocess.run(["psql", "-h", pgdir, "-U", "postgres", "-q", "-c", f"CREATE DATABASE {tag}",
                                    "postgres"], check=True, capture_output=True)
                    db = f"postgresql:///{tag}?host={pgdir}&user=postgres"
                base = [sw, "--db", db, "--chips", f"{tmp}/{tag}.chips"]
                for (name, _, _), aoi in zip(points, aois):
                    subprocess.run([*base, "site", "add", name, "--aoi", aoi, "--buffer", "60", "--method", "irmad"],
                                   check=True, capture_output=True)
                for name, _, _ in points:
                    subprocess.run([*base, "enqueue", name, *scenes, "--margin", "30"], check=True,
                                   capture_output=True)
                t0 = time.time()
                procs = [subprocess.Popen([*base, "worker", "--threads", "1", "--idle", "0"], stdout=subprocess.PIPE,
                                          text=True) for _ in range(workers)]
                outs = [p.communicate()[0] for p in procs]
                wall = time.time() - t0
                claim, commit, per = [], [], []
                for o in outs:
                    m = re.search(r"per job ([0-9.]+) ms in all, of which the catalog's: claim ([0-9.]+) ms, "
                                  r"commit ([0-9.]+) ms", o)
                    if m:
                        per.append(float(m.group(1)))
                        claim.append(float(m.group(2)))
                        commit.append(float(m.group(3)))
                njobs = 4 * nsites
                rows.append((backend, workers, njobs, wall, 60.0 * njobs / wall, statistics.mean(per),
                             statistics.mean(claim), statistics.mean(commit)))
                print(rows[-1], flush=True)
    finally:
        subprocess.run(["sh", f"{ROOT}/tests/servers/pg.sh", "stop", pgdir], capture_output=True)
    cpu = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    ver = subprocess.run([sw, "version"], capture_output=True, text=True).stdout.strip()
    with open(f"{ROOT}/bench/queue_scale.md", "w") as f:
        f.write("# The job queue: scene-site jobs per minute, and the catalog's cost per job\n\n")
        f.write(f"Made by `bench/queue_scale.py` in one run on this machine ({cpu} cores), "
                f"{time.strftime('%Y-%m-%d')}.\n{ver}\n\n")
        f.write(f"{nsites} synthetic sites (points with 60 m around, 3 m pixels, chips of about 50 x 50 px) x 4 "
                "PlanetScope-like scenes = "
                f"{4 * nsites} jobs, each ingest + the site's analysis (IR-MAD, 1 thread), queued first, then "
                "drained by N `sitewatch worker --threads 1` processes started together. The catalog's cost is "
                "what each worker measured of its own jobs: claiming one, and the transaction that commits the "
                "analysis with the job (mean per job over the workers).\n\n")
        f.write("| catalog | workers | jobs | wall s | jobs/min | ms per job (one worker's) | claim ms | commit ms |\n")
        f.write("|---|---:|---:|---:|---:|---:|---:|---:|\n")
        for r in rows:
            f.write(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]:.1f} | {r[4]:.0f} | {r[5]:.1f} | {r[6]:.2f} | {r[7]:.2f} |\n")
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
