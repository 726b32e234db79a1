#!/usr/bin/env python3
"""The man page, the README and the completion agree with the program:
sitewatch(1) renders without groff warnings and holds every command's
--help text line for line; its exit statuses are the README's and the
program's (0, 1 a failed job, 2 a bad command line); bash completion offers
the commands, each command's options as its --help lists them, and the
methods detect knows."""
import os
import re
import subprocess
import sys


def main():
    sw, man, src = sys.argv[1], sys.argv[2], sys.argv[3]
    failed = []
    r = subprocess.run(["groff", "-man", "-ww", "-z", man], capture_output=True, text=True)
    if r.returncode or r.stderr.strip():
        failed.append(f"groff warns about {man}: {r.stderr.strip()[:300]}")
    text = subprocess.run(["man", "-l", man], capture_output=True, text=True,
                          env=dict(os.environ, MANWIDTH="200", MAN_KEEP_FORMATTING="0")).stdout
    text = re.sub(r".\x08", "", text)
    body = [l.strip() for l in text.splitlines()]
    cmds = ["detect", "eval", "synth", "model", "site", "ingest", "timeline", "alerts", "export", "report",
            "enqueue", "worker", "jobs", "demo"]
    for cmd in [None] + cmds:
        h = subprocess.run([sw] + ([cmd] if cmd else []) + ["--help"], capture_output=True, text=True)
        lines = [l.strip() for l in (h.stdout or h.stderr).splitlines() if l.strip()]
        missing = [l for l in lines if l not in body]
        if not lines or missing:
            failed.append(f"man page lacks 'sitewatch {cmd or ''} --help' lines: {missing[:3]}")
    # exit statuses: the man page's, the README's, and the program's
    m = re.search(r"EXIT STATUS(.*?)ENVIRONMENT", text, re.S)
    codes = re.findall(r"^\s+([0-9])\s", m.group(1), re.M) if m else []
    if codes != ["0", "1", "2"]:
        failed.append(f"man page exit statuses {codes}, want 0, 1, 2")
    readme = open(os.path.join(src, "README.md")).read()
    if "exit status is 0 on success, 1 when the job failed" not in readme or "2 for a bad command line" not in readme:
        failed.append("README no longer states the exit statuses 0, 1, 2")
    if subprocess.run([sw, "detect", "--no-such-option"], capture_output=True).returncode != 2:
        failed.append("a bad command line does not exit 2")
    if subprocess.run([sw, "eval", "/nonexistent.tif", "/nonexistent.tif"], capture_output=True).returncode != 1:
        failed.append("a failed job does not exit 1")
    # bash completion
    comp = os.path.join(src, "contrib", "bash-completion", "sitewatch")

    def complete(*words):
        script = (f"source {comp}; COMP_WORDS=({sw} {' '.join(repr(w) for w in words)}); "
                  f"COMP_CWORD={len(words)}; _sitewatch; printf '%s\\n' \"${{COMPREPLY[@]}}\"")
        return subprocess.run(["bash", "-c", script], capture_output=True, text=True).stdout.split()

    for words, want in ((("",), {"detect", "ingest", "enqueue", "worker", "report"}),
                        (("detect", "--me"), {"--method"}),
                        (("ingest", "plant", "--js"), {"--json"}),
                        (("--db", "x.db", "site", ""), {"add", "list", "show", "set", "rm"}),
                        (("detect", "a.tif", "b.tif", "-m", ""), {"auto", "irmad", "cva", "learned", "texture"})):
        got = set(complete(*words))
        if not want <= got:
            failed.append(f"completing {' '.join(words)!r}: {sorted(got)[:12]}, want {sorted(want)}")
    for f in failed:
        print("FAIL:", f)
    print(f"{len(cmds) + 1} help texts in the man page, exit statuses, completion: "
          f"{'ok' if not failed else f'{len(failed)} failures'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
