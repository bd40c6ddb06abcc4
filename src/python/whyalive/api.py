"""The offline analysis API: load a snapshot and ask it questions.

Everything here is a thin layer over the C library (``whyalive._core``):
the Snapshot, its object handles and every view are computed in C, with the
GIL released for the long parts (loading, dominators, path clustering,
rendering). Views return plain dicts with the schema of the matching CLI
command's ``--json`` output (docs/json.md), so a script can move between
``whyalive summary snap.wa --json`` and ``whyalive.load("snap.wa").summary()``
without a change.

    import whyalive
    with whyalive.load("after.wa") as snap:
        print(snap.summary(limit=10)["rows"])
        leaked = snap.select("type=ConversationTranscriber")
        for c in snap.clusters(leaked)["clusters"]:
            print(c["count"], c["type"], "via", c["path"])
"""

from __future__ import annotations

import os
from typing import Iterable

from . import _core

Snapshot = _core.Snapshot
Object = _core.Object
Selection = _core.Selection
SelectorError = _core.SelectorError

__all__ = ["load", "Snapshot", "Object", "Selection", "SelectorError", "type_counts",
           "most_common_types", "rss_bytes"]


def load(path: "str | os.PathLike[str]", *, index: bool = True) -> Snapshot:
    """Load a snapshot file (binary ``.wa`` or JSON Lines) and return a
    :class:`Snapshot`.

    With ``index`` (the default), the dominators and the shortest paths come
    from the sidecar index ``PATH.wai`` when it holds them for this very
    dump, and what has to be computed is written there for the next load
    (atomically; silently skipped where it cannot be written). ``index=False``
    or ``WHYALIVE_NO_INDEX=1`` in the environment neither reads nor writes
    it. ``Snapshot.index`` says what became of it.

    Use it as a context manager to free the memory at a known point::

        with whyalive.load("heap.wa") as snap:
            ...

    :raises OSError: the file cannot be read.
    :raises ValueError: the file is malformed; the message names the file,
        the line or byte offset, and what was expected.
    """
    return _core.load(os.fspath(path), index=index)


def type_counts(types: "str | Iterable[str] | None" = None,
                module_prefix: "str | Iterable[str] | None" = None, *,
                shortnames: bool = False, collect: bool = False,
                limit: "int | None" = None) -> "dict[str, int]":
    """Count live objects per type in this process, in C.

    Counts the objects the cyclic garbage collector tracks, the set that
    ``gc.get_objects()`` returns and ``objgraph.typestats()`` counts
    (containers and class instances; not ``str``, ``int``, ``float`` or
    tuples of atomic values, which the GC does not track; not objects frozen
    with ``gc.freeze()``), by walking the collector's lists without building a
    list of the heap and without running any code of the counted objects.

    :param types: ``None`` for every type, or the names to count: a name with
        a dot is a full ``module.qualname`` (``"app.stt.Session"``,
        ``"builtins.dict"``), a name without one is matched against the
        class's ``__name__`` (objgraph.count()'s rule); a class stands for its
        full name. The result then has exactly these keys (0 when absent).
    :param module_prefix: count only types whose module starts with this
        prefix (or one of these prefixes), e.g. ``"azure"``.
    :param shortnames: key by ``__name__`` (objgraph's default) instead of
        the full name that dumps and selectors use.
    :param collect: run ``gc.collect()`` first, so garbage awaiting
        collection is not counted.
    :param limit: keep the ``limit`` largest counts.
    :returns: ``{name: count}``, largest first when ``types`` is None.
    """
    return _core.type_counts(types, module_prefix, shortnames=shortnames, collect=collect,
                             limit=limit)


def most_common_types(limit: "int | None" = 10, *, shortnames: bool = True,
                      collect: bool = False) -> "list[tuple[str, int]]":
    """``objgraph.most_common_types()``, counted in C: the ``limit`` types
    with the most live gc-tracked instances, as ``(name, count)`` pairs, most
    first. ``shortnames=True`` (objgraph's default) keys by ``__name__``."""
    return list(_core.type_counts(shortnames=shortnames, collect=collect, limit=limit).items())


def growth(limit: "int | None" = 10, peak_stats: "dict | None" = None, *,
           shortnames: bool = True, collect: bool = True) -> "list[tuple[str, int, int]]":
    """``objgraph.growth()``, counted in C: the types whose live instance
    count rose above its peak of the previous calls (growth since the last
    call), as ``(name, count, increase)``, largest increase first. The peaks
    live in the module between calls (or in ``peak_stats`` when given);
    ``gc.collect()`` runs first unless ``collect=False``."""
    return _core.growth(limit, peak_stats, shortnames=shortnames, collect=collect)


def show_growth(limit: "int | None" = 10, peak_stats: "dict | None" = None, *,
                shortnames: bool = True, collect: bool = True, file=None) -> None:
    """``objgraph.show_growth()``: print :func:`growth`'s rows as objgraph
    does (name, count, +increase), to ``file`` (default ``sys.stdout``)."""
    import sys
    rows = growth(limit, peak_stats, shortnames=shortnames, collect=collect)
    out = file if file is not None else sys.stdout
    width = max((len(name) for name, _, _ in rows), default=0)
    for name, count, delta in rows:
        out.write(f"{name:<{width}} {count:9d} {delta:+9d}\n")


def rss_bytes() -> "int | None":
    """This process's resident set size in bytes (Linux ``/proc``; falls back
    to psutil when installed), or None when neither is available."""
    rss = _core._rss()
    if rss is None:
        try:
            import psutil  # optional
            rss = psutil.Process().memory_info().rss
        except Exception:
            rss = None
    return rss
