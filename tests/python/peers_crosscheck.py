"""whyalive's numbers against the real peers on the same heap (issue 13):
per-type counts and sizes against guppy3's heap(), retained sizes against
guppy3's domisize, shallow sizes against sys.getsizeof, type counts against
objgraph. The heap is the peers benchmark's (bench/bench_peers.py), small.

Every difference is explained, and checked to be exactly that:

* on CPython 3.11+ an instance keeps its attributes inline, with no dict,
  until something asks for its __dict__. guppy3 asks, for every instance it
  walks, so its heap() counts a materialized dict per Handler and per
  Transcriber, and its domisize of a handler includes the handler's and its
  transcriber's dicts. A dump taken before guppy3 ran has none of them; a
  dump taken after has them all, and then the retained sizes are equal to
  the byte;
* bound methods: the heap's N callbacks plus the few that the test runner
  makes and drops between the dump and heap(), so equal within a handful;
* the other builtin types (str, tuple, function, code, type, ...) differ by
  what each tool's own import and bookkeeping allocate, so only the types the
  heap is made of are compared exactly.

Runs in the venv of scripts/get-peers-venv.sh (ctest py.peers_crosscheck).
"""
import gc
import json
import os
import subprocess
import sys

import pytest

guppy = pytest.importorskip("guppy")
objgraph = pytest.importorskip("objgraph")

import whyalive  # noqa: E402

SRC = os.environ.get("WA_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(SRC, "bench"))
import bench_peers as bp  # noqa: E402

WA = os.environ["WA_BIN"]
N = 3000
INLINE_VALUES = sys.version_info >= (3, 11)


def wa_json(*args):
    p = subprocess.run([WA, *map(str, args), "--json", "--quiet"], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def by_type(path):
    return {r["type"]: (r["count"], r["shallow"]) for r in wa_json("summary", path, "--limit", "0")["rows"]}


def wa_object(path, obj):
    return wa_json("dominators", path, "--select", f"addr={hex(id(obj))}")["objects"][0]["object"]


@pytest.fixture(scope="module")
def heap(tmp_path_factory):
    """The heap, a dump taken before any peer looked at it, and guppy3."""
    handlers = bp.build(N)
    gc.collect()
    before = str(tmp_path_factory.mktemp("peers") / "before.wa")
    whyalive.dump(before)
    return handlers, before, guppy.hpy()


def guppy_rows(hp):
    return {str(r.name): (r.count, r.size) for r in hp.heap().bytype.stat.get_rows()}


def test_counts_and_sizes_per_type_against_guppy3(heap, tmp_path):
    handlers, before, hp = heap
    ours = by_type(before)
    theirs = guppy_rows(hp)
    # the types the heap is made of: equal counts and equal bytes
    for wa_name, guppy_name in (("bench_peers.Handler", "bench_peers.Handler"),
                                ("bench_peers.Transcriber", "bench_peers.Transcriber"),
                                ("builtins.bytearray", "bytearray")):
        assert ours[wa_name] == theirs[guppy_name], wa_name
    assert ours["bench_peers.Handler"][0] == N and ours["builtins.bytearray"][0] >= 2 * N
    # bound methods: the N callbacks plus the few the test runner itself makes
    # and drops between the dump and heap() (64 bytes each)
    (wc, ws), (gc_, gs) = ours["builtins.method"], theirs["types.MethodType"]
    assert wc >= N and gc_ >= N and abs(wc - gc_) <= 5 and ws - wc * 64 == gs - gc_ * 64 == 0
    # dicts: guppy3 materialized one per instance; a dump taken now sees them
    after = str(tmp_path / "after.wa")
    gc.collect()
    whyalive.dump(after)
    now = by_type(after)
    materialized = now["builtins.dict"][0] - ours["builtins.dict"][0]
    if INLINE_VALUES:
        assert materialized >= 2 * N, (ours["builtins.dict"], now["builtins.dict"])
        assert theirs["dict"][0] - ours["builtins.dict"][0] >= 2 * N
    # and the dicts both count are within what each tool's own imports add
    assert abs(theirs["dict"][0] - now["builtins.dict"][0]) < 0.1 * now["builtins.dict"][0]


def test_retained_sizes_against_guppy3_domisize(heap, tmp_path):
    handlers, before, hp = heap
    chosen = [handlers[7], handlers[N // 2].transcriber, handlers[-1]]
    dominated = [hp.iso(o).domisize for o in chosen]  # materializes their dicts
    for o, d in zip(chosen, dominated):
        r = wa_object(before, o)["retained"]
        if INLINE_VALUES:
            # before guppy3 ran: the same objects minus the instance dicts it made
            extra = sum(sys.getsizeof(x.__dict__) for x in ([o, o.transcriber] if isinstance(o, bp.Handler) else [o]))
            assert r + extra == d, (type(o).__name__, r, extra, d)
        else:
            assert r == d
    after = str(tmp_path / "after.wa")
    gc.collect()
    whyalive.dump(after)
    for o, d in zip(chosen, dominated):
        assert wa_object(after, o)["retained"] == d, type(o).__name__
    # a set: the whole handler list dominates every handler's objects
    whole = hp.iso(handlers).domisize
    assert wa_object(after, handlers)["retained"] == whole


def test_shallow_sizes_against_sys_getsizeof(heap):
    handlers, before, _ = heap
    h = handlers[11]
    for obj in (h, h.transcriber, h.meta, h.segments, h.buffer, h.callback, h.transcriber.config,
                h.transcriber.decoder, handlers):
        assert wa_object(before, obj)["size"] == sys.getsizeof(obj), type(obj).__name__


def test_type_counts_against_objgraph(heap):
    handlers, _, _ = heap
    gc.collect()
    ours = whyalive.type_counts()
    stats = objgraph.typestats(shortnames=False)
    for name in ("bench_peers.Handler", "bench_peers.Transcriber", "builtins.method"):
        assert ours.get(name) == stats.get(name) or ours.get(name) == stats.get(name.split(".", 1)[1]), name
    assert ours["bench_peers.Handler"] == N
