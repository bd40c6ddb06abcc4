#!/usr/bin/env python3
"""Dumper speed and memory (issue 3).

Builds a heap of about 1M objects (250k instances, each with a dict, a list
and strings), then measures in the same process:
  - whyalive.dump to .wa and to .jsonl: seconds, objects/s, extra peak RSS;
  - a plain-Python dump (gc.get_objects + gc.get_referents + json, one line
    per object): seconds and extra peak RSS;
  - the pause of dump(background=True) once the process is grown to ~1 GB.

Usage: PYTHONPATH=build/python python3 bench/bench_dump.py [--instances N] [--ballast-mb MB]
Targets: >= 2M objects/s, >= 6x the plain-Python dump, extra memory <= 15%
of RSS, background pause <= 50 ms.
"""

import argparse
import gc
import json
import os
import sys
import tempfile
import time

import whyalive


def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def reset_peak():
    # Linux: writing 5 to clear_refs resets VmHWM (the peak RSS) to VmRSS.
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def measure(fn):
    gc.collect()
    ok = reset_peak()
    before = status("VmRSS")
    t0 = time.perf_counter()
    res = fn()
    dt = time.perf_counter() - t0
    extra = status("VmHWM") - before if ok else float("nan")
    return res, dt, extra, before


class Rec:
    def __init__(self, i):
        self.name = f"rec-{i}"
        self.attrs = {"id": f"id-{i}", "kind": "k"}
        self.items = [f"item-{i}", i * 7]


def plain_python_dump(path):
    objs = gc.get_objects()
    n = 0
    with open(path, "w") as f:
        for o in objs:
            f.write(json.dumps({"id": id(o), "type": type(o).__qualname__,
                                "refs": [id(r) for r in gc.get_referents(o)]}))
            f.write("\n")
            n += 1
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", type=int, default=250_000)
    ap.add_argument("--ballast-mb", type=int, default=900)
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(dir=args.dir)
    heap = [Rec(i) for i in range(args.instances)]
    gc.collect()
    print(f"python {sys.version.split()[0]}; heap: {args.instances} instances, "
          f"{len(gc.get_objects())} gc-tracked objects, RSS {status('VmRSS') / 2**20:.0f} MiB")

    results = {}
    for ext in ("wa", "jsonl"):
        path = os.path.join(tmp.name, f"heap.{ext}")
        info, dt, extra, rss = measure(lambda: whyalive.dump(path))
        results[ext] = (info, dt)
        print(f"whyalive.dump .{ext:5s}: {info.objects:>9,} objects, {info.edges:>9,} edges, "
              f"{dt:.3f} s = {info.objects / dt / 1e6:.2f} M objects/s, "
              f"file {info.bytes / 2**20:.0f} MiB, extra peak {extra / 2**20:.1f} MiB "
              f"= {100 * extra / rss:.1f}% of RSS {rss / 2**20:.0f} MiB")
        os.unlink(path)

    path = os.path.join(tmp.name, "plain.jsonl")
    n, dt_plain, extra, rss = measure(lambda: plain_python_dump(path))
    print(f"plain-Python dump    : {n:>9,} tracked objects, {dt_plain:.3f} s = {n / dt_plain / 1e6:.2f} M objects/s, "
          f"extra peak {extra / 2**20:.1f} MiB = {100 * extra / rss:.1f}% of RSS")
    os.unlink(path)
    for ext in ("wa", "jsonl"):
        info, dt = results[ext]
        per_obj = (info.objects / dt) / (n / dt_plain)
        print(f"speed-up .{ext}: {per_obj:.1f}x the plain-Python dump per object "
              f"({dt_plain / dt:.1f}x in wall time: the plain dump writes only the "
              f"{n:,} tracked objects with unlabeled ids, whyalive all {info.objects:,})")

    if args.ballast_mb:
        ballast = [b"\x01" * (1 << 20) for _ in range(args.ballast_mb)]  # resident pages
        rss = status("VmRSS")
        pauses = []
        for r in range(5):
            path = os.path.join(tmp.name, f"bg{r}.wa")
            info = whyalive.dump(path, background=True)
            pauses.append(info.seconds)
            info.wait()
        print(f"background dump      : process RSS {rss / 2**30:.2f} GiB, pause (fork) "
              f"min {min(pauses) * 1e3:.1f} ms, median {sorted(pauses)[2] * 1e3:.1f} ms, "
              f"max {max(pauses) * 1e3:.1f} ms over 5 dumps")
        del ballast
    del heap


if __name__ == "__main__":
    main()
