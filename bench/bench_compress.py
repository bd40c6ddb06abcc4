#!/usr/bin/env python3
"""Compressed dumps (issue 14, item 6): whyalive.dump(compress=) against the
uncompressed dump of the same heap.

Builds the heap of bench/bench_dump.py (250k instances, each with a dict, a
list and strings: about 1.8M objects), then dumps it to .wa (and .jsonl)
uncompressed, with compress="zstd" and with compress="gzip", the variants
alternating, ROUNDS rounds each; zstd and gzip also with the compression
inline (WA_COMPRESS_THREADS=0) rather than on the second thread. Reports for
each the median and the best wall time and their ratios to the uncompressed
dump's, the CPU time of the dumping thread (time.thread_time: the walk, and
the compression when inline) and of the whole process (both threads), the
file size and the extra peak RSS. On a loaded machine the wall times say
little; the dumping thread's CPU time is what the dump costs the caller when
the second thread has a core of its own.

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
                t0, p0 = time.thread_time(), time.process_time()
                info, dt, extra, rss = measure(lambda: whyalive.dump(path, compress=comp))
                tcpu, pcpu = time.thread_time() - t0, time.process_time() - p0
                res.setdefault((ext, comp, threads), []).append(
                    (dt, info.bytes, info.objects, extra, rss, tcpu, pcpu))
                os.unlink(path)
    os.environ.pop("WA_COMPRESS_THREADS", None)
    print(f"{'file':6s} {'compress':8s} {'thread':7s} {'median s':>8s} {'ratio':>6s} {'best s':>7s} "
          f"{'ratio':>6s} {'dumper CPU s':>12s} {'ratio':>6s} {'all CPU s':>9s} {'size MiB':>9s} "
          f"{'smaller':>8s} {'extra peak MiB':>14s}")
    for ext in exts:
        base_rows = res[(ext, "none", "1")]
        base = statistics.median(x[0] for x in base_rows)
        base_best = min(x[0] for x in base_rows)
        base_cpu = statistics.median(x[5] for x in base_rows)
        base_size = base_rows[0][1]
        for comp, threads in variants:
            rows = res[(ext, comp, threads)]
            med = statistics.median(x[0] for x in rows)
            best = min(x[0] for x in rows)
            tcpu = statistics.median(x[5] for x in rows)
            pcpu = statistics.median(x[6] for x in rows)
            size = rows[0][1]
            extra = max(x[3] for x in rows)
            print(f".{ext:5s} {comp:8s} {'second' if threads == '1' else 'inline':7s} {med:8.3f} "
                  f"{med / base:5.2f}x {best:7.3f} {best / base_best:5.2f}x {tcpu:12.3f} "
                  f"{tcpu / base_cpu:5.2f}x {pcpu:9.3f} {size / 2**20:9.1f} {base_size / size:7.1f}x "
                  f"{extra / 2**20:14.1f}")
        print("wall times, every run: " + "; ".join(
            f"{c}/{'second' if t == '1' else 'inline'} " + " ".join(f"{x[0]:.2f}" for x in res[(ext, c, t)])
            for c, t in variants))
        print(f"objects: {res[(ext, 'none', '1')][0][2]:,}; RSS before each dump "
              f"{res[(ext, 'none', '1')][0][4] / 2**20:.0f} MiB")
    del heap


if __name__ == "__main__":
    main()
