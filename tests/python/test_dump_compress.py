"""whyalive.dump(..., compress=): zstd- and gzip-compressed dumps, written as
the heap is walked, read back by whyalive.load and the CLI with the counts
the dump reported; the compression named by the path's suffix; bad values
refused; the background and signal-handler paths."""

import gzip
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest

import whyalive
from wa_dumpgraph import cli_info

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
GZIP_MAGIC = b"\x1f\x8b"
MAGIC = {"zstd": ZSTD_MAGIC, "gzip": GZIP_MAGIC}


def head(path, n=8):
    with open(path, "rb") as f:
        return f.read(n)


class CompressTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def p(self, name):
        return os.path.join(self.tmp.name, name)

    def check_loads(self, info, compression, fmt):
        self.assertEqual(info.compression, compression)
        self.assertEqual(info.format, fmt)
        self.assertEqual(info.bytes, os.path.getsize(info.path))
        if compression != "none":
            self.assertTrue(head(info.path).startswith(MAGIC[compression]), info.path)
        with whyalive.load(info.path) as snap:
            self.assertEqual(snap.n_objects, info.objects)
            self.assertEqual(snap.n_edges, info.edges)
            self.assertEqual(snap.n_roots, info.roots)
        out = cli_info(info.path)
        if out is not None:
            first = out.splitlines()[0]
            self.assertIn("(%s, %s, format 1," % (fmt, compression) if compression != "none"
                          else "(%s, format 1," % fmt, first)
            self.assertRegex(out, rf"objects\s+{info.objects:,} ")

    def test_zstd_and_gzip(self):
        for fmt, ext in (("binary", "wa"), ("jsonl", "jsonl")):
            for c in ("zstd", "gzip"):
                info = whyalive.dump(self.p(f"a-{c}.{ext}"), compress=c)
                self.check_loads(info, c, fmt)
                self.assertGreater(info.objects, 1000)

    def test_same_counts_as_uncompressed(self):
        """The same heap dumped plain and compressed: the same objects, edges
        and roots (the calls keep no result, and a first dump has done the
        imports and caches, so nothing changes between them); the compressed
        file is smaller."""
        whyalive.dump(self.p("warm.wa"), compress=None)
        # the same call shape each time (a keyword argument is a reference
        # on the caller's stack)
        whyalive.dump(self.p("same.wa"), compress=None)
        whyalive.dump(self.p("same.wa.zst"), compress=None)
        whyalive.dump(self.p("same.jsonl.gz"), compress=None)
        whyalive.dump(self.p("same.jsonl"), compress="zstd")
        counts = []
        for name in ("same.wa", "same.wa.zst", "same.jsonl.gz", "same.jsonl"):
            with whyalive.load(self.p(name)) as snap:
                counts.append((snap.n_objects, snap.n_edges, snap.n_roots))
        self.assertEqual(counts, [counts[0]] * 4)
        self.assertEqual(head(self.p("same.jsonl"), 4), ZSTD_MAGIC)
        self.assertLess(os.path.getsize(self.p("same.wa.zst")), os.path.getsize(self.p("same.wa")) / 2)

    def test_gzip_decompresses_to_a_plain_dump(self):
        for name in ("g.wa.gz", "g.jsonl.gz"):
            info = whyalive.dump(self.p(name))
            self.check_loads(info, "gzip", "jsonl" if "jsonl" in name else "binary")
            with gzip.open(info.path, "rb") as f:
                raw = f.read()
            plain = self.p(name[:-3])
            with open(plain, "wb") as f:
                f.write(raw)
            if name.endswith(".jsonl.gz"):
                self.assertTrue(raw.startswith(b'{"whyalive":1,'))
            else:
                self.assertTrue(raw.startswith(b"WHYALIVE"))
            with whyalive.load(plain) as snap:
                self.assertEqual((snap.n_objects, snap.n_edges, snap.n_roots),
                                 (info.objects, info.edges, info.roots))
        zstd = shutil.which("zstd")
        if zstd:
            info = whyalive.dump(self.p("z.wa.zst"))
            plain = self.p("z.wa")
            subprocess.run([zstd, "-q", "-d", info.path, "-o", plain], check=True)
            self.assertEqual(head(plain), b"WHYALIVE")
            with whyalive.load(plain) as snap:
                self.assertEqual(snap.n_objects, info.objects)

    def test_suffix(self):
        info = whyalive.dump(self.p("s.wa.zst"))
        self.check_loads(info, "zstd", "binary")
        info = whyalive.dump(self.p("s.jsonl.zstd"))
        self.check_loads(info, "zstd", "jsonl")
        info = whyalive.dump(self.p("s.jsonl.gz"))
        self.check_loads(info, "gzip", "jsonl")
        # compress="none" wins over the name; a compress= over a plain name
        info = whyalive.dump(self.p("n.wa.zst"), compress="none")
        self.check_loads(info, "none", "binary")
        self.assertEqual(head(info.path), b"WHYALIVE")
        info = whyalive.dump(self.p("plain.wa"), compress="gzip")
        self.check_loads(info, "gzip", "binary")
        info = whyalive.dump(self.p("plain.wa"))
        self.check_loads(info, "none", "binary")

    def test_bad_values(self):
        for bad in ("xz", "ZSTD", "", 1, True, b"zstd"):
            path = self.p("bad.wa")
            with self.assertRaises(ValueError) as cm:
                whyalive.dump(path, compress=bad)
            self.assertIn("compress", str(cm.exception))
            self.assertFalse(os.path.exists(path))
        self.assertEqual(os.listdir(self.tmp.name), [])
        with self.assertRaises(ValueError):
            whyalive.install_signal_handler(directory=self.tmp.name, compress="lz4")

    def test_disk_full_leaves_nothing(self):
        # a file-size limit fails the compressed writes (a spilled region or
        # the final file) half way, like a full disk: OSError, nothing left
        for name in ("full.wa.zst", "full.jsonl.gz"):
            code = textwrap.dedent(f"""
                import os, resource, signal, sys, whyalive
                signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
                junk = [str(i) * 20 for i in range(300000)]
                resource.setrlimit(resource.RLIMIT_FSIZE, (100000, 100000))
                try:
                    whyalive.dump({self.p(name)!r})
                except OSError as e:
                    print("OSError", e)
                    sys.exit(0)
                sys.exit(3)
            """)
            r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                               env=dict(os.environ), timeout=300)
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
            self.assertIn("OSError", r.stdout)
            self.assertEqual(os.listdir(self.tmp.name), [])

    def test_background(self):
        info = whyalive.dump(self.p("bg.wa"), compress="zstd", background=True)
        self.assertEqual(info.compression, "zstd")
        info.wait(timeout=120)
        self.check_loads(info, "zstd", "binary")

    def test_signal_handler(self):
        saved = os.dup(2)
        self.addCleanup(os.close, saved)
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
        self.addCleanup(os.dup2, saved, 2)
        old = whyalive.install_signal_handler(signal.SIGUSR2, directory=self.tmp.name,
                                              compress="zstd")
        self.addCleanup(signal.signal, signal.SIGUSR2, old)
        os.kill(os.getpid(), signal.SIGUSR2)
        deadline = time.time() + 60
        while time.time() < deadline and not os.listdir(self.tmp.name):
            time.sleep(0.01)
        names = [n for n in os.listdir(self.tmp.name) if not n.startswith(".")]
        self.assertEqual(len(names), 1, names)
        self.assertRegex(names[0], rf"^whyalive-{os.getpid()}-\d{{8}}-\d{{6}}\.wa\.zst$")
        path = os.path.join(self.tmp.name, names[0])
        self.assertEqual(head(path, 4), ZSTD_MAGIC)
        with whyalive.load(path) as snap:
            self.assertGreater(snap.n_objects, 1000)


if __name__ == "__main__":
    unittest.main()
