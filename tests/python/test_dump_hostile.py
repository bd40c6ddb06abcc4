"""Issue 19: a hostile heap. In a child process: classes whose __sizeof__
raises or returns huge or negative values, whose __getattribute__, __class__
or metaclass __dict__ / __getattribute__ raise, a module whose __module__
is an object with a hostile __str__, a Thread subclass whose _name is a
property; names with control characters, escape sequences, quotes, angle
brackets, non-ASCII, NUL and lone surrogates (types, qualnames, modules,
attributes, dict keys, thread names, sys.modules keys, sys.argv); __slots__
left unset; a 300,000-deep chain and a 200,000-key dict; four threads
creating and dropping objects during the dump. Every hook records (a list
and a marker file) if it ever runs while the dump is on.

Checked: the dump finishes, no hook ran, it loads (whyalive.load), every
planted object is in it with its type and the right counts per type, and
the text output of every CLI command on it is inert (the scan of
tests/fixtures/hostile/inert.py, shared with tests/cli/test_hostile.sh).
Standard library only: runs under every interpreter (python -m unittest)."""

import collections
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import whyalive
from wa_dumpgraph import wa_bin

SRC = os.environ.get("WA_SRC", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "fixtures", "hostile"))
import inert  # noqa: E402

# The thread-name hook: a property _name on a Thread subclass, which the
# dumper must not run (it reads _name only when no class defines it).
THREAD_NAME_HOOK = "Thread._name getter"

CHAIN = 300_000
KEYS = 200_000
N = 50  # instances of each hostile class

CHILD = textwrap.dedent(r'''
    import json, os, sys, threading, time, types
    import whyalive

    out_dir = sys.argv[1]
    MARKER = os.path.join(out_dir, "hook-ran")
    RECORD = []
    DUMPING = [False]

    def record(what):
        """A hook ran: remembered in a list and on disk."""
        if DUMPING[0]:
            RECORD.append(what)
            os.close(os.open(MARKER, os.O_CREAT | os.O_WRONLY, 0o600))

    OSC = "\x1b]0;pwned\x07"
    SGR = "\x1b[31m"
    RLO, LRI, ZW = "\u202e", "\u2066", "\u200b\ufeff"

    class SizeofRaises:
        def __sizeof__(self):
            record("__sizeof__ raises")
            raise RuntimeError("__sizeof__")

    class SizeofHuge:
        def __sizeof__(self):
            record("__sizeof__ huge")
            return 2 ** 100

    class SizeofNegative:
        def __sizeof__(self):
            record("__sizeof__ negative")
            return -(2 ** 40)

    class GetattributeRaises:
        def __getattribute__(self, name):
            record("__getattribute__ " + name)
            raise RuntimeError("__getattribute__")

        def __getattr__(self, name):
            record("__getattr__ " + name)
            raise AttributeError(name)

    class ClassProperty:
        @property
        def __class__(self):
            record("__class__")
            raise RuntimeError("__class__")

        @property
        def __dict__(self):
            record("instance __dict__")
            raise RuntimeError("__dict__")

    class MetaDict(type):
        @property
        def __dict__(cls):
            record("metaclass __dict__")
            raise RuntimeError("metaclass __dict__")

        @property
        def __mro__(cls):
            record("metaclass __mro__")
            raise RuntimeError("metaclass __mro__")

        @property
        def __name__(cls):
            record("metaclass __name__")
            raise RuntimeError("metaclass __name__")

        @property
        def __bases__(cls):
            record("metaclass __bases__")
            raise RuntimeError("metaclass __bases__")

    class WithMetaDict(metaclass=MetaDict):
        pass

    class MetaGetattribute(type):
        def __getattribute__(cls, name):
            if DUMPING[0]:
                record("metaclass __getattribute__ " + name)
                raise RuntimeError("metaclass __getattribute__")
            return type.__getattribute__(cls, name)

    class WithMetaGetattribute(metaclass=MetaGetattribute):
        pass

    class HostileStr:
        """Set as a class's __module__: str() or repr() of it would run code."""
        def __str__(self):
            record("__module__ __str__")
            return "str-ran"
        __repr__ = __str__

        def __eq__(self, other):
            record("__module__ __eq__")
            return False
        __hash__ = object.__hash__

    class ModuleIsAnObject:
        pass
    ModuleIsAnObject.__module__ = HostileStr()

    class Slotted:
        __slots__ = ("a", "b", "\u00e9t\u00e9")

    class Link:
        __slots__ = ("next",)

    # names: control characters, escapes, quotes, angle brackets, non-ASCII
    NAMES = [
        "Evil" + OSC + SGR + "RED",
        "Weird\nName\r\t\b\x7f",
        "Q'uo\"te<script>alert(1)</script>&amp;\\",
        "\u00dcn\u00efc\u00f6d\u00e9\u65e5\u672c\U0001f600" + RLO + "gnp.exe" + LRI + ZW,
        "C1\u009b31m\u009d0;c1\u009c\u0085",
        "Dot.ted" + OSC,
    ]
    named = []
    for i, nm in enumerate(NAMES):
        cls = type(nm, (), {"__module__": "mod" + SGR + RLO + str(i)})
        named.append(cls)
    # a qualname and a module with lone surrogates and NUL (a type's name
    # cannot hold them, its __qualname__ and __module__ can)
    Surrogate = type("Surrogate", (), {"__module__": "sur\udcffmod\x00nul"})
    Surrogate.__qualname__ = "Qual\udcff\ud800" + OSC + "\x00after"
    named.append(Surrogate)

    planted = {}  # class -> instances
    for cls in (SizeofRaises, SizeofHuge, SizeofNegative, GetattributeRaises, ClassProperty,
                WithMetaDict, WithMetaGetattribute, ModuleIsAnObject, *named):
        planted[cls] = [object.__new__(cls) for _ in range(''' + str(N) + r''')]
    # attributes and dict keys with the same kinds of names, NUL and surrogates
    ATTR = "at" + OSC + "tr" + RLO + "\x00nul\udcff"
    KEY = "k" + SGR + "\x1b[2J" + LRI + "\x00\ud800"
    for cls in named:
        for o in planted[cls]:
            setattr(o, ATTR, [type.__dict__["__name__"].__get__(cls)])
            o.__dict__[KEY] = {KEY: (KEY,)}
    slotted = [Slotted() for _ in range(''' + str(N) + r''')]
    for s in slotted[::2]:
        s.a = "set"  # b and été are never set
    planted[Slotted] = slotted

    head = Link()
    cur = head
    for _ in range(''' + str(CHAIN) + r''' - 1):
        nxt = Link()
        cur.next = nxt
        cur = nxt
    tail = cur
    planted[Link] = [head, tail]
    big = {"key%d" % i + SGR + ("\x00" if i % 1000 == 0 else "") + RLO: i
           for i in range(''' + str(KEYS) + r''')}

    # a module and argv with hostile names
    MODKEY = "evil" + OSC + RLO + "\udcff\x00mod"
    sys.modules[MODKEY] = types.ModuleType("evil" + OSC)
    sys.argv[:] = ["app" + OSC + ".py", "--x" + RLO, "\x00nul", "\udcff"]

    # four threads creating and dropping objects while the dump runs
    class Churn:
        def __init__(self, i):
            self.i = i
            self.items = [i, str(i), {"k": i}]

    class PropertyNameThread(threading.Thread):
        """A Thread whose _name is a property: reading it runs code."""
        @property
        def _name(self):
            record("Thread._name getter")
            return self.__dict__.get("_real_name", "?")

        @_name.setter
        def _name(self, v):
            self.__dict__["_real_name"] = v

    stop = threading.Event()
    started = threading.Barrier(5)
    def churn(seed):
        keep = {}
        started.wait()
        n = 0
        while not stop.is_set():
            n += 1
            keep[n % 500] = Churn(n)
            if n % 3 == 0:
                keep.pop((n * 7) % 500, None)
            if n % 1000 == 0:
                time.sleep(0)
    THREADS = ["thr" + OSC + RLO + "\n", "T\x00nul" + SGR, "\u65e5\u672c" * 60, "t\udcff" + LRI]
    threads = [threading.Thread(target=churn, args=(i,), name=nm) for i, nm in enumerate(THREADS[:3])]
    threads.append(PropertyNameThread(target=churn, args=(3,), name=THREADS[3]))
    for t in threads:
        t.start()
    started.wait()
    time.sleep(0.05)

    paths = [os.path.join(out_dir, "a.wa"), os.path.join(out_dir, "b.wa")]
    infos = []
    t0 = time.monotonic()
    DUMPING[0] = True
    try:
        infos.append(whyalive.dump(paths[0]))
        extra = [object.__new__(SizeofRaises) for _ in range(25)]  # growth for diff/--baseline
        infos.append(whyalive.dump(paths[1]))
    finally:
        DUMPING[0] = False
    seconds = time.monotonic() - t0
    stop.set()
    for t in threads:
        t.join()

    def fix(s):
        """The dump's text for a str: lone surrogates and NUL as U+FFFD (the
        writer API's rule, docs/format.md)."""
        return "".join("\ufffd" if 0xD800 <= ord(c) <= 0xDFFF or c == "\x00" else c for c in s)

    def module_of(cls):
        # through type's own descriptors: the metaclass properties raise
        return type.__dict__["__dict__"].__get__(cls).get("__module__")

    def tname(cls):
        mod = module_of(cls)
        qual = type.__dict__["__qualname__"].__get__(cls)
        return fix((mod if isinstance(mod, str) else "?") + "." + qual)

    print(json.dumps({
        "paths": paths,
        "objects": [i.objects for i in infos],
        "seconds": seconds,
        "record": RECORD,
        "marker": os.path.exists(MARKER),
        "planted": {tname(c): {"count": len(v) if c is not Link else ''' + str(CHAIN) + r''',
                               "class": id(c), "addrs": [id(o) for o in v],
                               "hostile_module": not isinstance(module_of(c), str),
                               "nul": "\x00" in str(module_of(c)) + type.__dict__["__qualname__"].__get__(c),
                               # the name as a C string would cut it, at each NUL
                               "nul_cut": fix(str(module_of(c)).split("\x00")[0] + "." +
                                              type.__dict__["__qualname__"].__get__(c).split("\x00")[0])}
                    for c, v in planted.items()},
        "big": id(big), "head": id(head), "tail": id(tail),
        "attr": fix(ATTR), "key": fix(KEY), "modkey": fix(MODKEY),
        "threads": [fix(t) for t in THREADS], "argv": [fix(a) for a in sys.argv],
        "slotted_set": [id(s) for s in slotted[::2]],
    }))
''')


def _run_cli(args, timeout=600):
    return subprocess.run([wa_bin()] + args, capture_output=True, timeout=timeout)


class TestHostileHeap(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        t0 = time.monotonic()
        r = subprocess.run([sys.executable, "-c", CHILD, cls.tmp.name], capture_output=True,
                           env=dict(os.environ), timeout=900)
        cls.child_seconds = time.monotonic() - t0
        if r.returncode != 0:
            raise AssertionError("the child failed (%d):\n%s" % (r.returncode, r.stderr.decode(errors="replace")[-3000:]))
        cls.m = json.loads(r.stdout.decode().strip().splitlines()[-1])
        cls.snap = whyalive.load(cls.m["paths"][0])

    @classmethod
    def tearDownClass(cls):
        cls.snap.close()
        cls.tmp.cleanup()

    def test_no_hook_ran(self):
        m = self.m
        self.assertEqual(m["record"], [], "Python code of dumped objects ran during the dump")
        self.assertFalse(m["marker"], "a hook touched its marker file")
        self.assertGreater(m["objects"][0], CHAIN + KEYS)
        self.assertLess(m["seconds"], 120)

    def test_thread_name_property_not_run(self):
        self.assertNotIn(THREAD_NAME_HOOK, self.m["record"])

    def test_every_planted_object_is_there(self):
        snap = self.snap
        names = snap.type_names()
        counts = collections.Counter(names[t] for t in snap.column("type"))
        bad = []
        for name, p in self.m["planted"].items():
            cls_obj = snap.find(p["class"])
            if cls_obj is None:
                bad.append((name, "class missing"))
            types = set()
            for a in p["addrs"]:
                o = snap.find(a)
                if o is None:
                    bad.append((name, "instance %#x missing" % a))
                    continue
                types.add(o.type)
                # sizes come from C, never from a Python __sizeof__
                if not 0 < o.size < 1 << 20:
                    bad.append((name, "size %d" % o.size))
            if len(types) != 1:
                bad.append((name, "instances of one class under types %r" % types))
                continue
            t = types.pop()
            if not p["hostile_module"] and t != name and not p["nul"]:
                bad.append((name, "dumped as type %r" % t))
            if counts[t] != p["count"]:
                bad.append((name, "%d objects of the type, %d planted" % (counts[t], p["count"])))
        self.assertEqual(bad, [])

    def test_chain_dict_slots(self):
        snap, m = self.snap, self.m
        head, tail = snap.find(m["head"]), snap.find(m["tail"])
        self.assertIsNotNone(head)
        self.assertIsNotNone(tail)
        self.assertEqual([lab for lab, _ in head.referents() if lab == ".next"], [".next"])
        self.assertEqual([lab for lab, _ in tail.referents() if lab == ".next"], [])
        big = snap.find(m["big"])
        self.assertEqual(big.length, KEYS)
        refs = big.referents()
        self.assertEqual(len(refs), 2 * KEYS)
        # unset slots are no edges; a set one is
        for a in m["slotted_set"][:5]:
            labels = [lab for lab, _ in snap.find(a).referents()]
            self.assertIn(".a", labels)
            self.assertNotIn(".b", labels)

    def test_hostile_names_kept(self):
        """Names reach the dump as they are: control characters and escapes
        kept (the analyzer escapes them for display), lone surrogates and
        NUL as U+FFFD."""
        snap, m = self.snap, self.m
        self.assertEqual(snap.meta["argv"][:2], m["argv"][:2])
        self.assertEqual(snap.meta["argv"][3:], m["argv"][3:])  # a lone surrogate: U+FFFD
        labels = {r.get("label") for r in snap.roots()}
        self.assertIn(m["modkey"], labels)
        thread_labels = [r["label"] for r in snap.roots() if r["kind"] == "thread"]
        self.assertTrue(any(l.startswith(m["threads"][0] + " (") for l in thread_labels), thread_labels)
        self.assertTrue(any(l.startswith(m["threads"][2][:30]) for l in thread_labels), thread_labels)
        # (the fourth thread's name is only behind its class's property: not read)
        p = m["planted"]
        evil = next(n for n in p if "Evil" in n)
        inst = snap.find(p[evil]["addrs"][0])
        d = [o for lab, o in inst.referents() if lab == ".__dict__"]
        self.assertEqual(len(d), 1, inst.referents())
        attrs = [lab for lab, _ in d[0].referents()]
        self.assertIn("." + m["attr"], attrs)  # an instance dict's str keys are attributes
        self.assertIn("." + m["key"], attrs)
        inner = [o for lab, o in d[0].referents() if lab == "." + m["key"]][0]
        self.assertIn("['" + m["key"] + "']", [lab for lab, _ in inner.referents()])

    def test_type_name_with_nul(self):
        """A type whose __module__ or __qualname__ holds a NUL is named whole."""
        p = [(n, x) for n, x in self.m["planted"].items() if x["nul"]]
        self.assertEqual(len(p), 1)
        name, x = p[0]
        got = self.snap.find(x["addrs"][0]).type
        self.assertNotEqual(got, x["nul_cut"], "the type's name was cut at its NUL")
        self.assertEqual(got, name)

    def test_argv_with_nul(self):
        """An argv item with a NUL is written whole, NUL as U+FFFD."""
        got, want = self.snap.meta["argv"][2], self.m["argv"][2]
        self.assertEqual(got, want)

    def test_long_thread_name(self):
        """A long thread name is cut at a character, not inside one."""
        labels = [r["label"] for r in self.snap.roots() if r["kind"] == "thread"]
        long = [l for l in labels if l.startswith("\u65e5\u672c")]
        self.assertTrue(long, labels)
        self.assertNotIn("\ufffd", long[0])

    @unittest.skipIf(wa_bin() is None, "the CLI is not built (WA_BIN)")
    def test_cli_text_is_inert(self):
        a, b = self.m["paths"]
        p = self.m["planted"]
        evil = next(n for n in p if "Evil" in n)
        sel = "module=mod*"
        runs = [
            ["info", a], ["summary", a], ["summary", a, "--by", "module", "--limit", "0"],
            ["paths", a, "--select", sel, "--limit", "0"],
            ["paths", a, "--select", sel, "--each", "--limit", "3"],
            ["paths", a, "--select", "addr=%#x" % p[evil]["addrs"][0], "-k", "2"],
            ["paths", a, "--select", "addr=%#x" % self.m["head"], "--each"],
            ["retainers", a, "--select", sel, "--limit", "3"],
            ["dominators", a], ["dominators", a, "--select", sel, "--limit", "3"],
            ["suspects", a], ["suspects", b, "--baseline", a],
            ["diff", a, b],
            ["graph", a, "--select", "addr=%#x" % p[evil]["addrs"][0]],
        ]
        bad = []
        for args in runs:
            r = _run_cli(args)
            if r.returncode != 0:
                bad.append((args[0], "exit %d" % r.returncode, r.stderr[-500:]))
            for stream, data in (("stdout", r.stdout), ("stderr", r.stderr)):
                probs = inert.problems(data, dot=args[0] == "graph")
                if probs:
                    bad.append((" ".join(args[:1] + args[2:]), stream, probs[:3]))
        self.assertEqual(bad, [])
        # the escapes are visible
        r = _run_cli(["summary", a, "--limit", "0"])
        self.assertIn(b"Evil\\x1b]0;pwned\\x07\\x1b[31mRED", r.stdout)


if __name__ == "__main__":
    unittest.main()
