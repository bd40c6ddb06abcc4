#!/usr/bin/env python3
"""Fail a CI job when types grow between two dumps.

    examples/scripts/ci_growth_check.py BEFORE AFTER --type ConversationTranscriber
        [--type SpeechConfig] [--max-growth 0] [--max-bytes SIZE] [--json]

Compares the instance counts (and shallow bytes) of the watched types
between BEFORE and AFTER (dumps taken before and after a bounded load, e.g.
N requests). Without --type, every type is watched. A type fails when its
instance count grew by more than --max-growth (default 0) or its bytes by more
than --max-bytes (default: unchecked). For each failing type the survivors'
retention paths in AFTER are printed, so the CI log says who holds them.

Exit status: 0 no growth beyond the limits, 1 growth found, 2 bad input.
"""
import argparse
import fnmatch
import json
import sys

import whyalive


def parse_size(text):
    units = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9,
             "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}
    t = text.strip().upper()
    num = t.rstrip("KMGIB")
    return int(float(num) * units[t[len(num):]])


def watched(type_name, patterns):
    if not patterns:
        return True
    short = type_name.rsplit(".", 1)[-1]
    return any(fnmatch.fnmatchcase(type_name, p) or fnmatch.fnmatchcase(short, p)
               for p in patterns)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("before")
    ap.add_argument("after")
    ap.add_argument("--type", action="append", default=[],
                    help="type to watch (full or short name, globs allowed); repeatable")
    ap.add_argument("--max-growth", type=int, default=0, help="allowed instance growth")
    ap.add_argument("--max-bytes", type=parse_size, default=None, help="allowed byte growth")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    try:
        before = whyalive.load(args.before)
        after = whyalive.load(args.after)
    except (OSError, ValueError) as e:
        print(f"ci_growth_check: {e}", file=sys.stderr)
        return 2
    with before, after:
        diff = before.diff(after, limit=0)
        failing = [r for r in diff["rows"] if watched(r["type"], args.type) and (
            r["dcount"] > args.max_growth or
            (args.max_bytes is not None and r["dbytes"] > args.max_bytes))]
        paths = {}
        for r in failing:
            sel = after.select(f"type={r['type']}")
            if len(sel):
                paths[r["type"]] = [{"count": c["count"], "path": c["path"]}
                                    for c in after.clusters(sel, limit=3)["clusters"]]
        if args.json:
            json.dump({"ok": not failing, "failing": failing, "paths": paths,
                       "identity_note": diff["identity_note"]}, sys.stdout, indent=2)
            print()
        else:
            for r in failing:
                print(f"FAIL {r['type']}: {r['count'][0]} -> {r['count'][-1]} instances "
                      f"({r['dcount']:+d}), {r['dbytes']:+d} bytes")
                for p in paths.get(r["type"], []):
                    print(f"       {p['count']} held via {p['path']}")
            if not failing:
                what = ", ".join(args.type) if args.type else "any type"
                print(f"ok: {what} within limits (growth <= {args.max_growth})")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
