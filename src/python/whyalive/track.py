"""whyalive.track(): what did this block leave behind, and who holds it?

The in-process answer to the seed's tracemalloc ``compare_to`` and
memory_profiler per-call views, with the question they cannot answer (who
holds what) answered too::

    with whyalive.track() as report:
        client.post("/transcriptions", data=audio)
    assert not report.leaked("ConversationTranscriber")   # pytest shows the path

    @whyalive.track(n=5, fail_on=["ConversationTranscriber"])
    def test_no_transcriber_leak():
        client.post("/transcriptions", data=audio)

How it works, and what it costs:

1. start: ``gc.collect()``, per-type counts (a C walk), and a *mark*: the
   address and type of every gc-tracked object, kept in C memory (16 bytes
   an object at most twice over; no reference to any of them, so nothing
   is kept alive by the measurement).
2. the block runs (the decorator and :meth:`Tracker.run` run it ``warmup``
   times before the mark, then ``n`` times).
3. finish: ``gc.collect()``, a C walk listing the tracked objects that are
   not in the mark (created since, still alive), the per-type counts again;
   when anything survived, one dump of the heap to a temporary file, loaded
   back to cluster the survivors' shortest retention paths with the C
   analysis code (the same clusters as ``whyalive paths``), then deleted.

Identity is (address, type): CPython reuses addresses, so an object created
where one of the same type died looks old. Survivors are therefore a lower
bound; the per-type deltas complete the picture. Only gc-tracked objects
(containers, instances) are listed as survivors; a str or int is retained by
one of them. Objects the block stored in local variables of the enclosing
frame survive too, and show with a ``f_locals.name`` path: ``del`` them first
if they are not the point. Other threads allocating meanwhile add noise.
"""

from __future__ import annotations

import functools
import gc
import os
import shutil
import tempfile
from typing import Any, Callable, Iterable

from . import _core

__all__ = ["track", "Tracker", "Report", "Leak"]


def _short(name: str) -> str:
    return name.rsplit(".", 1)[-1]


def _matches(full: str, want: str) -> bool:
    # type_counts()'s rule: a dotted name is a full name, else __name__.
    return full == want if "." in want else _short(full) == want


class Leak:
    """What :meth:`Report.leaked` found for one type: true when at least
    ``min_count`` new instances survived. ``repr()`` (what pytest prints for
    ``assert not report.leaked(...)``) names the count and the retention
    path; ``str()`` is the full multi-line explanation."""

    def __init__(self, type_name: str, count: int, delta: int, clusters: "list[dict]",
                 min_count: int) -> None:
        self.type = type_name
        self.count = count          # new instances that survived (by address)
        self.delta = delta          # change of the live count, start to finish
        self.clusters = clusters    # their retention-path clusters (CLI schema)
        self.min_count = min_count

    def __bool__(self) -> bool:
        return self.count >= self.min_count

    @property
    def paths(self) -> "list[str]":
        """The retention paths of the clusters, largest first."""
        return [c["path"] for c in self.clusters]

    def __repr__(self) -> str:
        if not self:
            return f"Leak({self.type!r}: none)"
        head = f"{self.count} new {self.type} survived"
        if not self.clusters:
            return f"Leak({head})"
        c = self.clusters[0]
        more = f" (+{len(self.clusters) - 1} more paths)" if len(self.clusters) > 1 else ""
        return f"Leak({head}; {c['count']} via {c['path']}{more})"

    def __str__(self) -> str:
        if not self:
            return f"no {self.type} leaked"
        lines = [f"{self.count} new {self.type} instance(s) survived "
                 f"(live count {self.delta:+d}); retention paths:"]
        for c in self.clusters:
            lines.append(f"  {c['count']} x {c['type']} ({c['retained']} bytes retained)")
            lines.append(f"      via {c['path']}")
        if not self.clusters:
            lines.append("  (paths not computed: track(paths=False), or none found)")
        return "\n".join(lines)


class Report:
    """The outcome of a tracked block.

    ``counts_before`` / ``counts_after``: live gc-tracked objects per type
    (full names) at start and finish. ``deltas``: the types whose count
    changed, largest growth first. ``new``: per type, the objects created in
    the block that are still alive; ``new_addresses``: their addresses.
    ``clusters``: the retention-path clusters of those survivors (the
    ``whyalive paths --json`` cluster schema: count, type, retained, path,
    root, hops...), largest retained first. ``iterations``: how many times
    the block ran while tracked.
    """

    def __init__(self) -> None:
        self.iterations = 0
        self.counts_before: "dict[str, int]" = {}
        self.counts_after: "dict[str, int]" = {}
        self.deltas: "dict[str, int]" = {}
        self.new: "dict[str, int]" = {}
        self.new_addresses: "dict[str, list[int]]" = {}
        self.clusters: "list[dict]" = []
        self.dump_path: "str | None" = None
        self.done = False

    def leaked(self, type_name: "str | type", min_count: int = 1) -> Leak:
        """The new instances of a type that survived (a dotted name is a
        full name, otherwise ``__name__``; a class stands for its full
        name). True when at least ``min_count`` did: with ``n`` iterations,
        ``min_count=n`` ignores one-time caches."""
        if not self.done:
            raise RuntimeError("whyalive.track: the report is read after the block ends")
        if isinstance(type_name, type):
            type_name = f"{type_name.__module__}.{type_name.__qualname__}"
        names = [t for t in self.new if _matches(t, type_name)]
        count = sum(self.new[t] for t in names)
        delta = sum(self.counts_after.get(t, 0) - self.counts_before.get(t, 0)
                    for t in set(self.counts_after) | set(self.counts_before)
                    if _matches(t, type_name))
        clusters = [c for c in self.clusters if _matches(c["type"], type_name)]
        return Leak(type_name, count, delta, clusters, min_count)

    def assert_no_leaks(self, *types: "str | type", min_count: int = 1) -> None:
        """Raise AssertionError with every path when any of ``types`` (all
        survivors when none is given) leaked."""
        found = []
        for t in (types or tuple(self.new)):
            leak = self.leaked(t, min_count)
            if leak:
                found.append(str(leak))
        if found:
            raise AssertionError("whyalive.track: objects survived the block\n" + "\n".join(found))

    def growth(self, limit: "int | None" = 20) -> "list[tuple[str, int]]":
        """``(type, delta)`` pairs, largest growth first (objgraph's show_growth)."""
        items = [(t, d) for t, d in self.deltas.items() if d > 0]
        return items[:limit] if limit else items

    def __repr__(self) -> str:
        return (f"<whyalive.track Report: {self.iterations} iteration(s), "
                f"{sum(self.new.values())} new objects survived in {len(self.new)} types, "
                f"{len(self.clusters)} path clusters>")

    def __str__(self) -> str:
        lines = [f"whyalive.track: {self.iterations} iteration(s)"]
        growth = self.growth()
        if growth:
            lines.append("types that grew (live gc-tracked objects):")
            w = max(len(t) for t, _ in growth)
            for t, d in growth:
                lines.append(f"  {t:<{w}}  {self.counts_before.get(t, 0):>8} -> "
                             f"{self.counts_after.get(t, 0):>8}  ({d:+d})")
        else:
            lines.append("no type grew")
        if self.clusters:
            lines.append("new objects that survived, by retention path:")
            for c in self.clusters:
                lines.append(f"  {c['count']} x {c['type']} via {c['path']}")
        return "\n".join(lines)


def _reachable_ids(obj: Any, cap: int = 1_000_000) -> "set[int]":
    """ids of the objects reachable from obj (iteratively, bounded): what a
    tracked call returned is alive because it was returned, not leaked."""
    seen: "set[int]" = set()
    stack = [obj]
    while stack and len(seen) < cap:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if gc.is_tracked(o):
            stack.extend(gc.get_referents(o))
    return seen


def _digest(report: Report, new: "dict[str, list[int]]", after: "dict[str, int]",
            exclude: "set[int] | None") -> None:
    if exclude:
        new = {t: [a for a in addrs if a not in exclude] for t, addrs in new.items()}
    new = {t: a for t, a in new.items() if a}
    report.counts_after = after
    report.new_addresses = new
    report.new = dict(sorted(((t, len(a)) for t, a in new.items()), key=lambda kv: -kv[1]))
    before = report.counts_before
    deltas = {t: after.get(t, 0) - before.get(t, 0) for t in set(before) | set(after)}
    report.deltas = dict(sorted(((t, d) for t, d in deltas.items() if d),
                                key=lambda kv: (-kv[1], kv[0])))


class Tracker:
    """See :func:`track`."""

    def __init__(self, n: int = 1, warmup: int = 0, *, paths: bool = True,
                 types: "Iterable[str] | None" = None, fail_on: "Iterable[str]" = (),
                 min_count: int = 1, report_to: "Callable[[Report], Any] | None" = None,
                 max_objects: int = 200_000, keep_dump: "str | os.PathLike[str] | None" = None
                 ) -> None:
        if n < 1 or warmup < 0:
            raise ValueError("whyalive.track: n must be >= 1 and warmup >= 0")
        self.n = n
        self.warmup = warmup
        self.paths = paths
        self.types = list(types) if types is not None else None
        self.fail_on = list(fail_on)
        self.min_count = min_count
        self.report_to = report_to
        self.max_objects = max_objects
        self.keep_dump = os.fspath(keep_dump) if keep_dump is not None else None
        self._report: "Report | None" = None
        self._mark = None

    # -- the two ends -------------------------------------------------------
    def _start(self, report: Report) -> None:
        self._report = report
        gc.collect()
        report.counts_before = _core.type_counts()
        # The mark comes last, so everything above is "old".
        self._mark = _core.HeapMark(collect=False)

    def _finish(self, keep: Any = None) -> Report:
        # No closure or comprehension before the walk: their cells and
        # frames would be "new" objects of the tracker's own.
        report, mark = self._report, self._mark
        new, after = mark.new_objects(collect=True)
        self._mark = mark = None
        _digest(report, new, after, _reachable_ids(keep) if keep is not None else None)
        if self.paths and report.new_addresses:
            self._cluster(report)
        report.done = True
        if self.report_to is not None:
            self.report_to(report)
        return report

    def _cluster(self, report: Report) -> None:
        from . import dump as _dump  # the package's dumper
        from .api import load
        wanted = [a for t, addrs in report.new_addresses.items()
                  if self.types is None or any(_matches(t, w) for w in self.types)
                  for a in addrs][: self.max_objects]
        if not wanted:
            return
        tmpdir = tempfile.mkdtemp(prefix="whyalive-track-")
        path = self.keep_dump or os.path.join(tmpdir, "after.wa")
        try:
            _dump(path)
            with load(path) as snap:
                handles = [h for h in map(snap.find, wanted) if h is not None]
                if handles:
                    report.clusters = snap.clusters(handles, members=5)["clusters"]
            report.dump_path = self.keep_dump
        finally:
            shutil.rmtree(tmpdir, ignore_errors=True)

    def _check(self, report: Report) -> None:
        if self.fail_on:
            report.assert_no_leaks(*self.fail_on, min_count=self.min_count)

    # -- context manager ----------------------------------------------------
    def __enter__(self) -> Report:
        report = Report()
        report.iterations = 1
        self._start(report)
        return report

    def __exit__(self, exc_type, exc, tb) -> bool:
        del tb  # the traceback would hold the block's frame and its locals
        report = self._finish()
        if exc_type is None:
            self._check(report)
        return False

    # -- decorator and direct call -------------------------------------------
    def run(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Report:
        """Call ``fn(*args, **kwargs)`` ``warmup`` times untracked, then
        ``n`` times tracked, and return the Report (what the calls return is
        dropped)."""
        for _ in range(self.warmup):
            fn(*args, **kwargs)
        report = Report()
        report.iterations = self.n
        self._start(report)
        for _ in range(self.n):
            fn(*args, **kwargs)
        report = self._finish()
        self._check(report)
        return report

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Decorate ``fn``: each call runs it ``warmup`` + ``n`` times, keeps
        the Report in ``wrapper.last_report`` (and passes it to
        ``report_to``), raises AssertionError when a ``fail_on`` type leaked,
        and returns the last call's value (what it references is not counted
        as leaked)."""
        tracker = self

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for _ in range(tracker.warmup):
                fn(*args, **kwargs)
            report = Report()
            report.iterations = tracker.n
            tracker._start(report)
            result = None
            for _ in range(tracker.n):
                result = None
                result = fn(*args, **kwargs)
            report = tracker._finish(result)
            wrapper.last_report = report
            tracker._check(report)
            return result

        wrapper.last_report = None
        return wrapper


def track(n: int = 1, warmup: int = 0, *, paths: bool = True,
          types: "Iterable[str] | None" = None, fail_on: "Iterable[str]" = (),
          min_count: int = 1, report_to: "Callable[[Report], Any] | None" = None,
          max_objects: int = 200_000, keep_dump: "str | os.PathLike[str] | None" = None
          ) -> Tracker:
    """Track what a block leaves alive: a context manager (``with
    whyalive.track() as report:``), a decorator (``@whyalive.track(n=5)``)
    or a runner (``whyalive.track(n=5).run(fn, *args)``).

    :param n: times the decorated function / ``run`` callable runs while
        tracked (a ``with`` block runs once).
    :param warmup: untracked runs first, so one-time caches and lazy imports
        are not reported.
    :param paths: cluster the survivors' retention paths (one heap dump to a
        temporary file when anything survived); False: counts only.
    :param types: compute paths only for survivors of these types.
    :param fail_on: type names: raise AssertionError (with the paths) at the
        end when one of them leaked at least ``min_count`` instances.
    :param report_to: called with the Report after each tracked run (e.g.
        ``lambda r: log.info("%s", r)``).
    :param max_objects: most survivors whose paths are computed.
    :param keep_dump: keep the "after" dump at this path for the CLI.
    :returns: a :class:`Tracker`; as a context manager it yields the
        :class:`Report`, filled in when the block ends.
    """
    return Tracker(n, warmup, paths=paths, types=types, fail_on=fail_on, min_count=min_count,
                   report_to=report_to, max_objects=max_objects, keep_dump=keep_dump)
