#!/usr/bin/env python3
"""Export the top dominators of a snapshot as CSV.

    examples/scripts/top_dominators_csv.py SNAP [-n 50] [-o top.csv]

One row per top-level dominator (an object only the roots keep alive),
largest retained size first: rank, address, type, name, shallow size,
retained size, share of the reachable heap, refcount, and the retention path
from its root. Freeing the object in a row frees its whole retained size.
Writes to stdout unless -o is given. Exit status 0, or 2 on bad input.
"""
import argparse
import csv
import sys

import whyalive

FIELDS = ["rank", "address", "type", "name", "size", "retained", "share", "refcount", "path"]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("snapshot")
    ap.add_argument("-n", "--limit", type=int, default=50, help="rows (0 = all)")
    ap.add_argument("-o", "--output", help="CSV file (default stdout)")
    args = ap.parse_args(argv)
    try:
        snap = whyalive.load(args.snapshot)
    except (OSError, ValueError) as e:
        print(f"top_dominators_csv: {e}", file=sys.stderr)
        return 2
    with snap:
        doc = snap.dominators(limit=args.limit)
        reachable = doc["reachable_bytes"] or 1
        out = open(args.output, "w", newline="") if args.output else sys.stdout
        try:
            w = csv.DictWriter(out, fieldnames=FIELDS)
            w.writeheader()
            for rank, o in enumerate(doc["top"], 1):
                obj = snap.find(int(o["addr"], 16))
                clusters = snap.clusters([obj])["clusters"]
                w.writerow({"rank": rank, "address": o["addr"], "type": o["type"],
                            "name": o.get("name", ""), "size": o["size"],
                            "retained": o["retained"],
                            "share": f"{o['retained'] / reachable:.4f}",
                            "refcount": o["refcount"],
                            "path": clusters[0]["path"] if clusters else ""})
        finally:
            if out is not sys.stdout:
                out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
