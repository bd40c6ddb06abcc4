#!/usr/bin/env python3
"""Who holds the transcribers? Explain why objects of a type are alive.

    examples/scripts/who_holds_transcribers.py SNAP [--type ConversationTranscriber]
                                                [--depth 3] [--json]

Prints, for the selected type (default ConversationTranscriber, the seed's
leaking Azure Speech SDK object): how many instances and what they retain,
their retention paths grouped into clusters (root, then every attribute, dict
key and index), which roots hold them (a module, a thread's frame, or an
external/native reference with its excess refcount), the nearest single
object that keeps each cluster alive, and the referrer tree of one example.
Exit status: 0 when instances were found, 1 when none, 2 on bad input.
"""
import argparse
import json
import sys

import whyalive


def human(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{n} B"
        n /= 1024


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("snapshot")
    ap.add_argument("--type", default="ConversationTranscriber",
                    help="type name (full, qualified or glob; default %(default)s)")
    ap.add_argument("--depth", type=int, default=3, help="referrer levels for the example")
    ap.add_argument("--json", action="store_true", help="one JSON document on stdout")
    args = ap.parse_args(argv)
    try:
        snap = whyalive.load(args.snapshot)
        sel = snap.select(f"type={args.type}")
    except (OSError, ValueError) as e:
        print(f"who_holds_transcribers: {e}", file=sys.stderr)
        return 2
    with snap:
        if not len(sel):
            print(f"no {args.type} in {args.snapshot}", file=sys.stderr)
            return 1
        clusters = snap.clusters(sel, members=5)
        holders = []
        for c in clusters["clusters"]:
            example = snap.find(int(c["example"], 16))
            dom = example.dominator
            holders.append({
                "path": c["path"], "count": c["count"], "retained": c["retained"],
                "root": c["root"],
                "dominator": dom.to_dict() if dom is not None else None,
            })
        tree = snap.retainers(sel[0], depth=args.depth, limit=1)
        if args.json:
            json.dump({"type": args.type, "instances": sel.total, "holders": holders,
                       "example_retainers": tree["objects"]}, sys.stdout, indent=2)
            print()
            return 0
        retained = sum(c["retained"] for c in clusters["clusters"])
        print(f"{sel.total} {args.type} instance(s) in {args.snapshot}, "
              f"retaining {human(retained)}\n")
        print("held through:")
        for h in holders:
            root = h["root"]
            how = "" if root is None else f"  [root: {root['kind']}" + (
                f", excess refcount {root['excess']} (held from native code)" if root["kind"] == "external"
                else "") + "]"
            print(f"  {h['count']:>6} via {h['path']}{how}")
            if h["dominator"]:
                d = h["dominator"]
                print(f"         kept alive by {d['type']} at {d['addr']} "
                      f"(retains {human(d['retained'])})")
        print(f"\nreferrers of one instance ({sel[0].type} at {hex(sel[0].address)}):")
        stack = [(n, 1) for n in reversed(tree["objects"][0].get("referrers", []))]
        while stack:  # iterative: referrer trees can be deep
            node, level = stack.pop()
            mark = " (cycle)" if node["cycle"] else " (shown above)" if node["shown_above"] else ""
            roots = "".join(f" [root {r['text']}]" for r in node["roots"])
            print(f"  {'  ' * level}{node.get('label', '')} <- {node['type']} {node['addr']}{roots}{mark}")
            stack.extend((k, level + 1) for k in reversed(node.get("referrers", [])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
