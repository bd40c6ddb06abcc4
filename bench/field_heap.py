#!/usr/bin/env python3
"""A service-like heap for the `field` row of bench/run.sh (issue 15).

Builds N handler objects, each with a transcriber, a dict, a list, a
bytearray and a bound method that a fake native callback registry holds
(a leaked reference, as a C SDK's registry would keep it: `external` roots),
and dumps the heap with whyalive three times as it grows: A at 60%, B at
80% and C at 100% of N (C is the field heap; A and B feed `diff` and
`suspects --baseline`). With N = 250,000 the last dump has about 2.3M
objects.

Usage: PYTHONPATH=BUILD/python python3 bench/field_heap.py OUTDIR [--handlers N]
Prints one line per dump: path, objects, edges, bytes, seconds.
"""

import argparse
import ctypes
import gc
import os
import sys
import time

import whyalive


class Transcriber:
    def __init__(self, i):
        self.session_id = f"s{i}"
        self.language = "en-US"
        self.results = []


class Handler:
    def __init__(self, i):
        self.transcriber = Transcriber(i)
        self.meta = {"id": i, "retries": 0}
        self.chunks = [i]
        self.buffer = bytearray(64 + i % 64)

    def on_transcribed(self, event):
        self.transcriber.results.append(event)


class Service:
    def __init__(self):
        self.handlers = []


_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


def grow(service, start, stop):
    for i in range(start, stop):
        h = Handler(i)
        service.handlers.append(h)
        # The native registry keeps the callback: a reference no dump sees.
        cb = h.on_transcribed
        h.callback = cb
        _incref(cb)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--handlers", type=int, default=250_000)
    args = ap.parse_args()
    n = args.handlers
    service = Service()
    sys.modules[__name__].SERVICE = service
    done = 0
    for name, share in (("A", 0.6), ("B", 0.8), ("C", 1.0)):
        upto = int(n * share)
        grow(service, done, upto)
        done = upto
        gc.collect()
        path = os.path.join(args.outdir, f"field-{name}.wa")
        t0 = time.perf_counter()
        info = whyalive.dump(path)
        dt = time.perf_counter() - t0
        print(f"{path} {info.objects} {info.edges} {info.bytes} {dt:.3f}")


if __name__ == "__main__":
    main()
