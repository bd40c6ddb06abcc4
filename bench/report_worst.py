#!/usr/bin/env python3
"""Worst-case dumps for the report's size bound (bench/results/report.md):
long names (3 kB), keys (1 kB) and type names (1-2 kB) everywhere.

usage: report_worst.py wide|deep OUT.jsonl
  wide: 20,000 objects in one dict, each with its own long key and name
  deep: 50 module roots x 20 children x 20 grandchildren, all long-named
"""
import json
import sys


def wide(n=20000):
    out = [{"whyalive": 1, "argv": ["x" * 5000]}]
    key = lambda i: "'" + ("k%05d" % i) + "\u00e9" * 1000 + "'"
    out.append({"addr": "0x10", "type": "builtins.module", "size": 72, "rc": 1, "name": "m" * 3000,
                "refs": [["0x20", "attr", "a" * 3000]]})
    out.append({"addr": "0x20", "type": "builtins.dict", "size": 72, "rc": 1,
                "refs": [[hex(0x100000 + i), "dict_value", key(i)] for i in range(n)]})
    for i in range(n):
        out.append({"addr": hex(0x100000 + i), "type": "app.T%05d" % (i % 5000) + "T" * 2000,
                    "size": 100 + i, "rc": 1, "name": "n" * 3000})
    out.append({"root": "module", "obj": "0x10", "label": "m"})
    return out


def deep():
    out, roots, a = [{"whyalive": 1}], [], [0x100000]

    def nid():
        a[0] += 1
        return hex(a[0])
    for r in range(50):
        m = nid()
        roots.append(m)
        kids = [nid() for _ in range(20)]
        out.append({"addr": m, "type": "builtins.module", "size": 72, "rc": 1, "name": "mod%d" % r + "m" * 3000,
                    "refs": [[k, "attr", "attr%d_" % i + "a" * 1000] for i, k in enumerate(kids)]})
        for i, k in enumerate(kids):
            gk = [nid() for _ in range(20)]
            out.append({"addr": k, "type": "app.Mid%03d" % i + "M" * 1000, "size": 500 + i, "rc": 1,
                        "name": "n" * 3000,
                        "refs": [[g, "dict_value", "'key%d" % j + "\u00e9" * 800 + "'"] for j, g in enumerate(gk)]})
            for j, g in enumerate(gk):
                out.append({"addr": g, "type": "app.Leaf%03d" % (j + 20 * (r % 10)) + "L" * 1000,
                            "size": 100 + j, "rc": 1, "name": "x" * 3000})
    for i, m in enumerate(roots):
        out.append({"root": "module", "obj": m, "label": "mod%d" % i})
    return out


if __name__ == "__main__":
    lines = {"wide": wide, "deep": deep}[sys.argv[1]]()
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(json.dumps(x) for x in lines) + "\n")
