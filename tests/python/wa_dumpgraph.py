"""Test helper: read a whyalive JSON Lines dump with the json module only
(no dependency on the C reader) and answer graph questions by object id."""

import collections
import json
import os
import subprocess


class Graph:
    def __init__(self, path):
        self.meta = None
        self.objects = {}          # addr(int) -> record
        self.out = collections.defaultdict(list)  # addr -> [(dst, kind, label)]
        self.roots = []
        self.sites = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                r = json.loads(line)
                if "whyalive" in r:
                    self.meta = r
                elif "addr" in r:
                    a = int(r["addr"], 16)
                    self.objects[a] = r
                    for e in r.get("refs", ()):
                        self.out[a].append((int(e[0], 16), e[1] if len(e) > 1 else None,
                                            e[2] if len(e) > 2 else None))
                    if "site" in r:
                        self.sites[a] = r["site"]
                elif "root" in r:
                    self.roots.append(r)
                elif "site" in r:
                    self.sites[int(r["obj"], 16)] = r["site"]

    def has(self, obj):
        return id(obj) in self.objects

    def rec(self, obj):
        return self.objects[id(obj)]

    def edges(self, src, dst):
        """(kind, label) of every edge src -> dst (objects or addresses)."""
        s = src if isinstance(src, int) else id(src)
        t = dst if isinstance(dst, int) else id(dst)
        return [(k, l) for (d, k, l) in self.out.get(s, ()) if d == t]

    def attr(self, src, dst, name):
        """src.name is dst: a direct attribute edge (inline values, slots),
        or through the instance's __dict__."""
        if ("attr", name) in self.edges(src, dst):
            return True
        s = src if isinstance(src, int) else id(src)
        for d, k, l in self.out.get(s, ()):
            if k == "attr" and l == "__dict__":
                e = self.edges(d, dst)
                if ("attr", name) in e or ("dict_value", repr(name)) in e:
                    return True
        return False

    def path(self, src, dst, max_depth=12):
        """Shortest path src -> dst as a list of (from, to, kind, label)."""
        s = src if isinstance(src, int) else id(src)
        t = dst if isinstance(dst, int) else id(dst)
        prev = {s: None}
        q = collections.deque([(s, 0)])
        while q:
            a, depth = q.popleft()
            if a == t:
                hops = []
                while prev[a] is not None:
                    p, k, l = prev[a]
                    hops.append((p, a, k, l))
                    a = p
                return hops[::-1]
            if depth >= max_depth:
                continue
            for d, k, l in self.out.get(a, ()):
                if d not in prev:
                    prev[d] = (a, k, l)
                    q.append((d, depth + 1))
        return None

    def roots_of(self, obj):
        a = obj if isinstance(obj, int) else id(obj)
        return [r for r in self.roots if int(r["obj"], 16) == a]

    def count_type(self, name, tracked_only=False):
        return sum(1 for r in self.objects.values()
                   if r["type"] == name and (not tracked_only or "gc" in r.get("flags", ())))


def wa_bin():
    b = os.environ.get("WA_BIN")
    return b if b and os.path.exists(b) else None


def cli_info(path):
    """Run `whyalive info PATH` if the CLI is available; returns its output
    or None when there is no CLI."""
    b = wa_bin()
    if not b:
        return None
    r = subprocess.run([b, "info", path], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError(f"whyalive info {path} failed: {r.stderr}")
    return r.stdout
