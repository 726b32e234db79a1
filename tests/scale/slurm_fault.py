#!/usr/bin/env python3
"""The queue under faults, on real servers: 100 synthetic sites x 4 scenes
queued in a PostgreSQL catalog, 4 workers run by Slurm as a job array
(contrib/slurm/sitewatch-worker.sbatch); one worker is killed with SIGKILL
in the middle of a job and another array task is scancel'ed. Then every
scene must have been analysed exactly once (400 jobs done, 400 scenes, each
once), no alert twice, and the objects and alerts must be those of a
serial SQLite run of the same data.

usage: slurm_fault.py SITEWATCH PG_DIR SLURM_DIR [--sites N]
(the servers of tests/servers/pg.sh and slurm.sh; skipped, exit 77, when
either is not up)"""
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fleet  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def psql(sock, db, sql):
    out = subprocess.run(["psql", "-h", sock, "-U", "postgres", "-At", "-F", "|", "-c", sql, db],
                         check=True, capture_output=True, text=True).stdout
    return [tuple(l.split("|")) for l in out.splitlines() if l]


OBJECTS = ("SELECT s.name, o.status, coalesce(o.first_seen, ''), coalesce(o.last_seen, ''), "
           "coalesce(o.confirmed_at, ''), round(CAST(o.area_m2 AS numeric), 1) FROM objects o "
           "JOIN sites s ON s.id = o.site_id")
ALERTS = ("SELECT s.name, coalesce(o.first_seen, ''), coalesce(o.confirmed_at, ''), a.state FROM alerts a "
          "JOIN sites s ON s.id = a.site_id LEFT JOIN objects o ON o.id = a.object_id")


def main():
    sw, pgdir, sldir = sys.argv[1:4]
    nsites = int(sys.argv[sys.argv.index("--sites") + 1]) if "--sites" in sys.argv else 100
    for d, what in ((pgdir, "PostgreSQL"), (sldir, "Slurm")):
        if not os.path.exists(f"{d}/up"):
            why = open(f"{d}/down").read().strip() if os.path.exists(f"{d}/down") else "not started"
            print(f"skipped: no test {what} ({why})")
            return 77
    env = dict(os.environ, SLURM_CONF=f"{sldir}/slurm.conf")
    tmp = tempfile.mkdtemp(prefix="sw-fault-")
    os.chmod(tmp, 0o755)
    scenes = fleet.make_scenes(sw, tmp)
    points = fleet.site_points(scenes[0], nsites)
    aois = fleet.write_aois(tmp, points)
    url = f"postgresql:///fault?host={pgdir}&user=postgres"
    subprocess.run(["psql", "-h", pgdir, "-U", "postgres", "-q", "-c", "DROP DATABASE IF EXISTS fault",
                    "-c", "CREATE DATABASE fault", "postgres"], check=True, capture_output=True)

    def run(*args, **kw):
        return subprocess.run([sw, *args], check=True, capture_output=True, text=True, **kw)

    # The serial reference: SQLite, one site after another.
    t0 = time.time()
    ref = f"{tmp}/serial.db"
    for (name, _, _), aoi in zip(points, aois):
        run("--db", ref, "site", "add", name, "--aoi", aoi, "--buffer", "60", "--method", "irmad")
        run("--db", ref, "ingest", name, *scenes, "--margin", "30")
    print(f"serial SQLite run: {nsites} sites x 4 scenes in {time.time() - t0:.1f} s")

    # The same on PostgreSQL through the queue: each site's scenes in date
    # order, the sites shuffled.
    for (name, _, _), aoi in zip(points, aois):
        run("--db", url, "--chips", f"{tmp}/chips", "site", "add", name, "--aoi", aoi, "--buffer", "60",
            "--method", "irmad")
    order = [p[0] for p in points]
    random.Random(3).shuffle(order)
    for s in scenes:
        for name in order:
            run("--db", url, "enqueue", name, s, "--margin", "30")
    njobs = len(psql(pgdir, "fault", "SELECT id FROM jobs WHERE state = 'queued'"))
    assert njobs == 4 * nsites, f"{njobs} jobs queued, want {4 * nsites}"

    t0 = time.time()
    sub = subprocess.run(["sbatch", "--parsable", "--array=0-3", f"--chdir={tmp}", f"--output={tmp}/worker-%a.log",
                          f"{ROOT}/contrib/slurm/sitewatch-worker.sbatch"],
                         check=True, capture_output=True, text=True,
                         env=dict(env, SITEWATCH=sw, SITEWATCH_DB=url, SITEWATCH_IDLE="15",
                                  SITEWATCH_LEASE="6")).stdout.strip()
    array = sub.split(";")[0]
    print(f"Slurm array {array}: 4 workers")
    # Once jobs are flowing, kill one worker with SIGKILL in the middle of
    # its job, and scancel another array task.
    killed = cancelled = None
    deadline = time.time() + 600
    while time.time() < deadline and not killed:
        done = len(psql(pgdir, "fault", "SELECT id FROM jobs WHERE state = 'done'"))
        running = psql(pgdir, "fault", "SELECT id, worker FROM jobs WHERE state = 'running' AND worker LIKE '%slurm%'")
        if done >= 20 and running:
            job, worker = running[0]
            pid = int(worker.split(":")[1].split()[0])
            task = worker.split("_")[-1]
            # stopped first, so that what it holds cannot change before it
            # dies: killed only while it holds a job (the one seen may have
            # finished just before; then try again)
            os.kill(pid, signal.SIGSTOP)
            orphans = [r[0] for r in psql(pgdir, "fault", "SELECT id FROM jobs WHERE state = 'running' AND "
                                                          f"worker = '{worker}'")]
            if not orphans:
                os.kill(pid, signal.SIGCONT)
                time.sleep(0.05)
                continue
            os.kill(pid, signal.SIGKILL)
            killed = (orphans, task, pid)
            print(f"SIGKILL to worker {worker}: it held job(s) {orphans}")
        time.sleep(0.2)
    assert killed, "no job ran"
    for t in ("0", "1", "2", "3"):
        if t != killed[1]:
            subprocess.run(["scancel", f"{array}_{t}"], check=True, env=env)
            cancelled = t
            print(f"scancel {array}_{t}")
            break
    while time.time() < deadline:
        left = subprocess.run(["squeue", "-h", "-j", array], capture_output=True, text=True, env=env).stdout.strip()
        if not left:
            break
        time.sleep(1)
    took = time.time() - t0
    states = dict(psql(pgdir, "fault", "SELECT state, count(*) FROM jobs GROUP BY state"))
    print(f"workers finished in {took:.1f} s: jobs {states}")
    logs = "".join(open(f"{tmp}/worker-{t}.log").read() for t in "0123" if os.path.exists(f"{tmp}/worker-{t}.log"))
    failures = []
    if states != {"done": str(4 * nsites)}:
        failures.append(f"jobs {states}, want all {4 * nsites} done")
        print(logs[-3000:])
    if not killed[0]:
        failures.append("the killed worker held no job: the kill proved nothing")
    for job in killed[0]:
        retried = psql(pgdir, "fault", f"SELECT attempts, state FROM jobs WHERE id = {job}")
        if not retried or int(retried[0][0]) < 2 or retried[0][1] != "done":
            failures.append(f"the killed worker's job {job} was not done by another: {retried}")
    scenes_pg = psql(pgdir, "fault", "SELECT site_id, sha256, count(*) FROM scenes GROUP BY site_id, sha256")
    if len(scenes_pg) != 4 * nsites or any(int(c) != 1 for _, _, c in scenes_pg):
        failures.append(f"{len(scenes_pg)} (site, scene) rows, want {4 * nsites} each once")
    dup = psql(pgdir, "fault", "SELECT object_id FROM alerts GROUP BY object_id HAVING count(*) > 1")
    if dup:
        failures.append(f"objects alerted twice: {dup}")
    con = sqlite3.connect(ref)
    want_obj = sorted((r[0], r[1], r[2], r[3], r[4], f"{r[5]:.1f}") for r in con.execute(OBJECTS.replace(
        "round(CAST(o.area_m2 AS numeric), 1)", "o.area_m2")))
    want_alerts = sorted(tuple(r) for r in con.execute(ALERTS))
    got_obj = sorted((r[0], r[1], r[2], r[3], r[4], f"{float(r[5]):.1f}") for r in psql(pgdir, "fault", OBJECTS))
    got_alerts = sorted(psql(pgdir, "fault", ALERTS))
    if got_obj != want_obj:
        diff = sorted(set(got_obj) ^ set(want_obj))[:10]
        failures.append(f"objects differ from the serial run ({len(got_obj)} vs {len(want_obj)}): {diff}")
    if got_alerts != want_alerts:
        diff = sorted(set(got_alerts) ^ set(want_alerts))[:10]
        failures.append(f"alerts differ from the serial run ({len(got_alerts)} vs {len(want_alerts)}): {diff}")
    print(f"{len(got_obj)} objects, {len(got_alerts)} alerts on {nsites} sites; serial SQLite: {len(want_obj)} "
          f"objects, {len(want_alerts)} alerts")
    if not want_alerts:
        failures.append("the data raised no alert: the comparison proves nothing")
    for f in failures:
        print("FAIL", f)
    if not failures:
        print("ok: every scene analysed once, alerts once, same objects and alerts as the serial run")
        subprocess.run(["rm", "-rf", tmp])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
