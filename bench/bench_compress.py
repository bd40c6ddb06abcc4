#!/usr/bin/env python3
"""Compressed dumps (issue 14, item 6): whyalive.dump(compress=) against the
uncompressed dump of the same heap.

Builds the heap of bench/bench_dump.py (250k instances, each with a dict, a
list and strings: about 1.8M objects), then dumps it to .wa (and .jsonl)
uncompressed, with compress="zstd" and with compress="gzip", the variants
alternating, ROUNDS rounds each; zstd and gzip also with the compression
inline (WA_COMPRESS_THREADS=0) rather than on the second thread. Reports the
median time of each, its ratio to the uncompressed dump's median, the file
size and the extra peak RSS.

Usage: PYTHONPATH=build/python python3 bench/bench_compress.py [--instances N] [--rounds R] [--jsonl]
Target: compress="zstd" <= 1.2x the uncompressed dump's time.
"""

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time

import whyalive

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_dump import Rec, measure, status  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--instances", type=int, default=250_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--jsonl", action="store_true", help="also the .jsonl rows")
    ap.add_argument("--dir", default=None)
    args = ap.parse_args()
    tmp = tempfile.TemporaryDirectory(dir=args.dir)
    heap = [Rec(i) for i in range(args.instances)]
    gc.collect()
    print(f"python {sys.version.split()[0]}; heap: {args.instances} instances, "
          f"{len(gc.get_objects())} gc-tracked objects, RSS {status('VmRSS') / 2**20:.0f} MiB")
    variants = [("none", "1"), ("zstd", "1"), ("gzip", "1"), ("zstd", "0"), ("gzip", "0")]
    exts = ["wa"] + (["jsonl"] if args.jsonl else [])
    res = {}
    for r in range(args.rounds):
        for ext in exts:
            for comp, threads in variants:
                os.environ["WA_COMPRESS_THREADS"] = threads
                path = os.path.join(tmp.name, f"heap.{ext}")
                info, dt, extra, rss = measure(lambda: whyalive.dump(path, compress=comp))
                res.setdefault((ext, comp, threads), []).append((dt, info.bytes, info.objects, extra, rss))
                os.unlink(path)
    os.environ.pop("WA_COMPRESS_THREADS", None)
    print(f"{'file':6s} {'compress':8s} {'thread':7s} {'median s':>9s} {'runs':>23s} {'ratio':>6s} "
          f"{'size MiB':>9s} {'x smaller':>9s} {'extra peak MiB':>15s}")
    for ext in exts:
        base = statistics.median(x[0] for x in res[(ext, "none", "1")])
        base_size = res[(ext, "none", "1")][0][1]
        for comp, threads in variants:
            rows = res[(ext, comp, threads)]
            med = statistics.median(x[0] for x in rows)
            size = rows[0][1]
            extra = max(x[3] for x in rows)
            runs = " ".join(f"{x[0]:.3f}" for x in rows)
            print(f".{ext:5s} {comp:8s} {'second' if threads == '1' else 'inline':7s} {med:9.3f} {runs:>23s} "
                  f"{med / base:5.2f}x {size / 2**20:9.1f} {base_size / size:8.1f}x {extra / 2**20:15.1f}")
        print(f"objects: {res[(ext, 'none', '1')][0][2]:,}; RSS before each dump "
              f"{res[(ext, 'none', '1')][0][4] / 2**20:.0f} MiB")
    del heap


if __name__ == "__main__":
    main()
