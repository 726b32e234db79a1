#!/usr/bin/env python3
"""The source tree keeps its shape: each file's includes run to its own
layer or lower ones (core <- io <- engine/methods <- catalog <- site <- cli),
only src/io/ includes GDAL, only src/catalog/ includes SQLite, and no source
file is over 800 lines. Prints each breach; exit 1 when there is one."""
import os
import re
import sys

ROOT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
ROOT = os.path.abspath(ROOT)
# Layers by path under src/ (longest prefix wins); the public headers are
# declarations every layer may see.
LAYERS = [
    ("include/", 0), ("src/sw_int.h", 0), ("src/core/", 0), ("src/threshold/", 0), ("src/morph/", 0),
    ("src/tile/", 0), ("src/screen/", 0), ("src/coreg/coreg", 0), ("src/learn/", 0),
    ("src/io/", 1),
    ("src/coreg/align", 2), ("src/methods/", 2), ("src/engine/", 2), ("src/sinks/", 2), ("src/eval/", 2),
    ("src/synth/", 2),
    ("src/catalog/", 3),
    ("src/site/", 4), ("src/report/", 4), ("src/version.c", 4),
    ("cli/", 5),
]
NAMES = {0: "core", 1: "io", 2: "engine", 3: "catalog", 4: "site", 5: "cli"}
GDAL = re.compile(r'#include\s*<(gdal[^>]*|cpl_[^>]*|ogr_[^>]*)>')
SQLITE = re.compile(r'#include\s*<sqlite3\.h>')
LIBPQ = re.compile(r'#include\s*<libpq-fe\.h>')
LOCAL = re.compile(r'#include\s*"([^"]+)"')


def layer(rel):
    best = None
    for prefix, n in LAYERS:
        if rel.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, n)
    return None if best is None else best[1]


def main():
    bad = 0
    for top in ("src", "cli", "include"):
        for dirpath, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if not f.endswith((".c", ".h")):
                    continue
                path = os.path.join(dirpath, f)
                rel = os.path.relpath(path, ROOT)
                text = open(path, encoding="utf-8").read()
                lines = text.count("\n")
                if lines > 800:
                    print(f"{rel}: {lines} lines (at most 800)")
                    bad += 1
                if GDAL.search(text) and not rel.startswith("src/io/"):
                    print(f"{rel}: includes GDAL outside src/io/")
                    bad += 1
                if SQLITE.search(text) and not rel.startswith("src/catalog/"):
                    print(f"{rel}: includes SQLite outside src/catalog/")
                    bad += 1
                if LIBPQ.search(text) and not rel.startswith("src/catalog/"):
                    print(f"{rel}: includes libpq outside src/catalog/")
                    bad += 1
                mine = layer(rel)
                for inc in LOCAL.findall(text):
                    target = os.path.normpath(os.path.join(dirpath, inc))
                    if not os.path.exists(target):
                        target = os.path.join(ROOT, "include", inc)
                    if not os.path.exists(target):
                        target = os.path.join(ROOT, "src", inc)
                    theirs = layer(os.path.relpath(target, ROOT))
                    if mine is None or theirs is None:
                        print(f"{rel}: includes {inc}, whose layer is unknown")
                        bad += 1
                    elif theirs > mine:
                        print(f"{rel} ({NAMES[mine]}) includes {inc} ({NAMES[theirs]}): a lower layer calls up")
                        bad += 1
    print(f"{0 if bad else 1} passed, {1 if bad else 0} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
