"""whyalive.dump options and the service helpers: formats, background dumps,
the signal handler, tracemalloc sites, the info object."""

import json
import os
import signal
import tempfile
import time
import tracemalloc
import unittest

import whyalive
from wa_dumpgraph import Graph, cli_info


class Thing:
    pass


class ApiTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def p(self, name):
        return os.path.join(self.tmp.name, name)

    def test_info_and_formats(self):
        info = whyalive.dump(self.p("a.jsonl"))
        self.assertEqual(info.format, "jsonl")
        self.assertGreater(info.objects, 1000)
        self.assertGreater(info.edges, info.objects)
        self.assertGreater(info.roots, 10)
        self.assertEqual(info.bytes, os.path.getsize(info.path))
        self.assertIsNone(info.pid)
        self.assertIn("DumpInfo(", repr(info))
        g = Graph(info.path)
        self.assertEqual(g.meta["pid"], os.getpid())
        self.assertEqual(len(g.objects), info.objects)
        info = whyalive.dump(self.p("b.wa"))
        self.assertEqual(info.format, "binary")
        info = whyalive.dump(self.p("c.data"), format="jsonl")
        self.assertEqual(info.format, "jsonl")
        with open(info.path) as f:
            self.assertTrue(f.readline().startswith("{"))
        out = cli_info(self.p("b.wa"))
        if out is not None:
            self.assertIn("objects", out)

    def test_seconds_in_the_file(self):
        """info.seconds is the dump's duration, and the file's metadata
        carries it too. The file's value is taken just before the commit
        (fsync, rename) that info.seconds still includes: never larger, and
        within 50 ms (best of three: fsync latency on a busy disk varies)."""
        for name in ("sec.jsonl", "sec.wa"):
            gaps = []
            for attempt in range(3):
                info = whyalive.dump(self.p(name))
                self.assertGreater(info.seconds, 0)
                if name.endswith(".jsonl"):
                    meta = Graph(info.path).meta  # the header line, read with the json module
                    with open(info.path) as f:
                        self.assertEqual(json.loads(f.readline()), meta)
                else:
                    with whyalive.load(info.path) as snap:
                        meta = snap.meta
                self.assertIsInstance(meta["seconds"], float)
                self.assertGreater(meta["seconds"], 0)
                self.assertLessEqual(meta["seconds"], info.seconds)
                gaps.append(info.seconds - meta["seconds"])
                if gaps[-1] <= 0.05:
                    break
            self.assertLessEqual(min(gaps), 0.05, f"{name}: info.seconds - file seconds: {gaps}")

    def test_bound_method_named(self):
        # a bound method reads as objgraph names it (issue 14): its
        # function's qualname, "(bound)"; a frame keeps function and line
        class Handler:
            def on_partial(self):
                pass
        h = Handler()
        m = h.on_partial
        g = Graph(whyalive.dump(self.p("bm.jsonl")).path)
        self.assertEqual(g.rec(m).get("name"),
                         "ApiTest.test_bound_method_named.<locals>.Handler.on_partial (bound)")

    def test_pathlike(self):
        import pathlib
        info = whyalive.dump(pathlib.Path(self.p("p.wa")))
        self.assertTrue(os.path.exists(info.path))

    @unittest.skipUnless(hasattr(os, "fork"), "needs fork")
    def test_background(self):
        t = Thing()
        info = whyalive.dump(self.p("bg.jsonl"), background=True)
        self.assertIsNotNone(info.pid)
        self.assertLess(info.seconds, 1.0)
        self.assertEqual((info.objects, info.edges), (0, 0))  # not known yet
        self.assertIs(info.wait(timeout=120), info)
        g = Graph(info.path)
        self.assertTrue(g.has(t))
        self.assertEqual(g.meta["pid"], info.pid)  # written by the child
        self.assertGreater(info.bytes, 0)
        # wait() fills in the child's counts (fix: they stayed 0)
        self.assertEqual(info.objects, len(g.objects))
        self.assertEqual(info.edges, sum(len(v) for v in g.out.values()))
        self.assertEqual(info.roots, len(g.roots))
        self.assertGreater(info.objects, 1000)
        self.assertIn(f"objects={info.objects}", repr(info))
        info.wait()  # a second wait is harmless and keeps the counts
        self.assertEqual(info.objects, len(g.objects))

    @unittest.skipUnless(hasattr(os, "fork"), "needs fork")
    def test_background_failure_is_reported(self):
        info = whyalive.dump(self.p("missing/dir/x.wa"), background=True)
        with self.assertRaises(OSError):
            info.wait(timeout=120)

    @unittest.skipUnless(hasattr(signal, "SIGUSR2"), "needs SIGUSR2")
    def test_signal_handler(self):
        # capture fd 2, where the handler writes its line
        import tempfile as _tf
        cap = _tf.TemporaryFile()
        saved = os.dup(2)
        os.dup2(cap.fileno(), 2)

        class _Cap:
            def getvalue(self_inner):
                os.dup2(saved, 2)
                cap.seek(0)
                return cap.read().decode()
        self._stderr = _Cap()
        self.addCleanup(os.close, saved)
        self.addCleanup(os.dup2, saved, 2)
        old = whyalive.install_signal_handler(signal.SIGUSR2, directory=self.tmp.name, format="jsonl")
        self.addCleanup(signal.signal, signal.SIGUSR2, old)
        os.kill(os.getpid(), signal.SIGUSR2)
        deadline = time.time() + 60
        while time.time() < deadline and not os.listdir(self.tmp.name):
            time.sleep(0.01)
        names = os.listdir(self.tmp.name)
        self.assertEqual(len(names), 1)
        self.assertRegex(names[0], rf"^whyalive-{os.getpid()}-\d{{8}}-\d{{6}}\.jsonl$")
        # the handler says on stderr what it wrote (fix: it was silent)
        err = self._stderr.getvalue()
        self.assertIn(f"whyalive: signal {int(signal.SIGUSR2)}: wrote {os.path.join(self.tmp.name, names[0])} (", err)
        Graph(os.path.join(self.tmp.name, names[0]))
        with self.assertRaises(OSError):
            whyalive.install_signal_handler(directory=self.p("nope"))
        with self.assertRaises(TypeError):
            whyalive.install_signal_handler(directory=self.tmp.name, colour="red")

    def test_tracemalloc_sites(self):
        tracemalloc.start(4)
        self.addCleanup(tracemalloc.stop)
        t = Thing()  # allocated on this line
        line = self.test_tracemalloc_sites.__code__.co_firstlineno + 3
        path = whyalive.dump(self.p("tm.jsonl"), tracemalloc=True).path
        path2 = whyalive.dump(self.p("tm2.jsonl"), tracemalloc=False).path
        tracemalloc.stop()  # parsing a dump under tracemalloc is slow
        g = Graph(path)
        site = g.sites.get(id(t))
        self.assertIsNotNone(site)
        self.assertIn(f"test_dump_api.py:{line}", site.split(";")[0])
        self.assertFalse(Graph(path2).sites)

    def test_tracemalloc_required(self):
        if tracemalloc.is_tracing():
            tracemalloc.stop()
        with self.assertRaises(ValueError):
            whyalive.dump(self.p("x.wa"), tracemalloc=True)
        self.assertEqual(os.listdir(self.tmp.name), [])


if __name__ == "__main__":
    unittest.main()
