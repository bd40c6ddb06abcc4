"""The dumper inside a live service: hostile objects, huge chains, privacy,
file mode, atomic failure, and counts/sizes checked against the gc module,
sys.getsizeof and objgraph (issues 3 and 8)."""

import gc
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest
import uuid

import whyalive
from wa_dumpgraph import Graph, cli_info

try:
    import objgraph
except ImportError:
    objgraph = None

CALLS = []


class Hostile:
    """Every dunder the dumper could be tempted to call raises (and is
    counted, so the test sees even a swallowed call)."""

    def __getattr__(self, name):
        CALLS.append(("getattr", name))
        raise RuntimeError("__getattr__ called")

    def __eq__(self, other):
        CALLS.append("eq")
        raise RuntimeError("__eq__ called")

    def __hash__(self):
        CALLS.append("hash")
        return 7  # stable, so it can be a dict key; calls are still counted

    def __repr__(self):
        CALLS.append("repr")
        return repr(self)  # recursive repr

    def __sizeof__(self):
        CALLS.append("sizeof")
        raise RuntimeError("__sizeof__ called")

    def __len__(self):
        CALLS.append("len")
        raise RuntimeError("__len__ called")

    def __del__(self):
        CALLS.append("del")


class HostileGetattribute:
    def __getattribute__(self, name):
        CALLS.append(("getattribute", name))
        raise RuntimeError("__getattribute__ called")


class HostileDict(dict):
    def __getitem__(self, k):
        CALLS.append("dict getitem")
        raise RuntimeError

    def keys(self):
        CALLS.append("dict keys")
        raise RuntimeError


class Link:
    __slots__ = ("next", "__weakref__")


class Marker:
    pass


class Sized:
    def __init__(self):
        self.a, self.b = 1, "x"


class TmpTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def p(self, name):
        return os.path.join(self.tmp.name, name)


class TestHostile(TmpTest):
    def test_hostile_objects_are_never_called(self):
        h = Hostile()
        h.attr = Hostile()
        hg = HostileGetattribute()
        d = {h: Hostile(), "k": hg}
        hd = HostileDict(a=h)
        s = {h}
        keep = [h, hg, d, hd, s]
        del CALLS[:]
        g = Graph(whyalive.dump(self.p("h.jsonl")).path)
        self.assertEqual(CALLS, [])
        self.assertTrue(g.has(h) and g.has(hg))
        # a key with a hostile __repr__ is described by its type
        self.assertIn(("dict_value", f"<{Hostile.__qualname__}>"), g.edges(d, d[h]))
        self.assertIn(("dict_value", "'a'"), g.edges(hd, h))
        self.assertTrue(g.attr(h, h.attr, "attr"))
        # its size comes from the C-level object.__sizeof__, not the override
        self.assertGreater(g.rec(h)["size"], 0)
        del keep

    def test_extension_type_without_traverse(self):
        import array
        import datetime
        a = array.array("d", range(1000))  # no tp_traverse, has C __sizeof__
        dt = datetime.datetime(2020, 1, 1)
        keep = [a, dt]
        g = Graph(whyalive.dump(self.p("x.jsonl")).path)
        self.assertEqual(g.rec(a)["size"], sys.getsizeof(a))
        self.assertTrue(g.has(dt))
        del keep


class TestHuge(TmpTest):
    def test_million_deep_chain(self):
        head = Link()
        cur = head
        for _ in range(1_000_000):
            nxt = Link()
            cur.next = nxt
            cur = nxt
        cur.next = None
        nested = []
        for _ in range(200_000):  # [[[...]]]: deep nesting of containers
            nested = [nested]
        path = self.p("chain.wa")
        info = whyalive.dump(path)
        self.assertGreater(info.objects, 1_200_000)
        out = cli_info(path)
        if out is not None:
            self.assertIn("objects", out)
        path = self.p("chain.jsonl")
        whyalive.dump(path)
        # spot-check the chain in the JSON Lines form
        want = {hex(id(head)), hex(id(head.next)), hex(id(cur))}
        found = {}
        with open(path) as f:
            for line in f:
                a = line[9:40].split('"', 1)[0]  # {"addr":"0x..."
                if a in want:
                    found[a] = line
        self.assertEqual(set(found), want)
        self.assertIn(f'["{hex(id(head.next))}","attr","next"]', found[hex(id(head))])
        # free the chain iteratively (recursive dealloc is Python's problem,
        # not ours, but keep the test process healthy)
        while head is not None:
            nxt = head.next
            head.next = None
            head = nxt
        while nested:
            nested = nested[0]

    def test_huge_container(self):
        big = list(range(2_000_000))
        bigd = {i: i for i in range(300_000)}
        info = whyalive.dump(self.p("big.wa"))
        self.assertGreater(info.objects, 2_000_000)
        del big, bigd


class TestPrivacy(TmpTest):
    def test_secret_absent_by_default(self):
        secret = "s3cr3t-" + uuid.uuid4().hex
        secret_bytes = b"tok-" + uuid.uuid4().hex.encode()
        holder = {"token": secret, "raw": secret_bytes, "n": 123456789123}
        for name in ("d.jsonl", "d.wa"):
            path = self.p(name)
            whyalive.dump(path)
            with open(path, "rb") as f:
                data = f.read()
            self.assertNotIn(secret.encode(), data)
            self.assertNotIn(secret_bytes, data)
            self.assertNotIn(b"123456789123", data)
            self.assertIn(b"token", data)  # labels are kept
        path = self.p("v.jsonl")
        whyalive.dump(path, values=200)
        with open(path, "rb") as f:
            data = f.read()
        self.assertIn(secret.encode(), data)
        self.assertIn(b"123456789123", data)
        g = Graph(path)
        self.assertEqual(g.rec(secret)["value"], secret)
        whyalive.dump(path, values=10)
        self.assertEqual(Graph(path).rec(secret)["value"], secret[:10] + "...")
        del holder

    def test_mode_0600(self):
        old = os.umask(0)
        try:
            for name in ("m.jsonl", "m.wa"):
                path = self.p(name)
                whyalive.dump(path)
                self.assertEqual(stat.S_IMODE(os.stat(path).st_mode), 0o600)
        finally:
            os.umask(old)


class TestFailures(TmpTest):
    def assert_nothing_left(self, before):
        self.assertEqual(sorted(os.listdir(self.tmp.name)), before)

    def test_bad_options(self):
        target = self.p("t.wa")
        with self.assertRaises(ValueError):
            whyalive.dump(target, format="xml")
        with self.assertRaises(ValueError):
            whyalive.dump(target, values=-1)
        with self.assertRaises(TypeError):
            whyalive.dump(target, bogus=1)
        with self.assertRaises(ValueError):
            whyalive.dump("")
        self.assert_nothing_left([])

    def test_unwritable_target(self):
        blocker = self.p("file")
        open(blocker, "w").close()
        with self.assertRaises(OSError) as cm:
            whyalive.dump(os.path.join(blocker, "x.wa"))
        self.assertIn("x.wa", str(cm.exception))
        with self.assertRaises(OSError):
            whyalive.dump(self.p("no/such/dir/x.jsonl"))
        self.assert_nothing_left(["file"])

    def test_previous_file_survives_failure(self):
        target = self.p("keep.wa")
        with open(target, "wb") as f:
            f.write(b"previous")
        with self.assertRaises(ValueError):
            whyalive.dump(target, format="nope")
        with open(target, "rb") as f:
            self.assertEqual(f.read(), b"previous")

    def test_disk_full_leaves_nothing(self):
        # A file-size limit makes the write fail half way, like a full disk.
        code = textwrap.dedent(f"""
            import os, resource, signal, sys, whyalive
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            junk = [str(i) * 20 for i in range(200000)]
            resource.setrlimit(resource.RLIMIT_FSIZE, (200000, 200000))
            try:
                whyalive.dump({self.p('full.jsonl')!r})
            except OSError as e:
                print("OSError", e)
                sys.exit(0)
            sys.exit(3)
        """)
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=dict(os.environ), timeout=300)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("OSError", r.stdout)
        self.assert_nothing_left([])


class TestCounts(TmpTest):
    def test_tracked_set_matches_gc(self):
        markers = [Marker() for _ in range(1234)]
        gc.collect()
        n_tracked = len(gc.get_objects())
        g = Graph(whyalive.dump(self.p("c.jsonl")).path)
        tracked = sum(1 for r in g.objects.values() if "gc" in r.get("flags", ()))
        # the dump also sees the untracked frames of running code, and the
        # few objects the dump call itself creates; nothing else differs
        # (3.12 showed 371 of 15k apart in a full run: allow 3% as well)
        self.assertLess(abs(tracked - n_tracked), max(200, n_tracked * 3 // 100), (tracked, n_tracked))
        mname = f"{Marker.__module__}.{Marker.__qualname__}"
        self.assertEqual(g.count_type(mname), 1234)
        self.assertGreater(len(g.objects), tracked)  # untracked str/int/... too
        del markers

    @unittest.skipIf(objgraph is None, "objgraph not installed")
    def test_typestats_match_objgraph(self):
        markers = [Marker() for _ in range(777)]
        gc.collect()
        stats = objgraph.typestats()
        g = Graph(whyalive.dump(self.p("o.jsonl")).path)
        self.assertEqual(stats["Marker"], 777)
        counts = {}
        for r in g.objects.values():
            if "gc" in r.get("flags", ()):
                short = r["type"].rsplit(".", 1)[-1]
                counts[short] = counts.get(short, 0) + 1
        self.assertEqual(counts.get("Marker"), 777)
        for name in ("function", "dict", "tuple", "type", "list", "cell"):
            want = stats.get(name, 0)
            self.assertLess(abs(counts.get(name, 0) - want), max(50, want // 50), (name, counts.get(name), want))
        del markers

    def test_sizes_match_getsizeof(self):
        import collections
        sample = [0, 1, 2 ** 70, -5, 3.5, "abc", "é" * 10, "\U0001F600", b"xyz" * 9, (), (1, 2),
                  [], [1, 2, 3], {}, {"a": 1}, set(), {1, 2}, frozenset([3]), Marker(), Sized(),
                  Link(), len, Marker, gc, bytearray(b"abc"), collections.deque([1, 2]),
                  collections.OrderedDict(a=1), range(10), slice(1, 2), 1j, True,
                  self.test_sizes_match_getsizeof, (lambda: 0)]
        sample.append(sample[-2].__code__ if hasattr(sample[-2], "__code__") else None)
        g = Graph(whyalive.dump(self.p("s.jsonl")).path)
        bad = []
        for o in sample:
            if o is None or not g.has(o):
                continue
            if g.rec(o)["size"] != sys.getsizeof(o):
                bad.append((type(o).__name__, g.rec(o)["size"], sys.getsizeof(o)))
        self.assertEqual(bad, [])


if __name__ == "__main__":
    unittest.main()
