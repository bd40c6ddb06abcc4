"""Prometheus metrics of live object counts (the seed's method 4, counted in C).

Two ways to export them:

* :func:`prometheus_text` returns the text exposition format, for a plain
  ``/metrics`` endpoint without any dependency::

      @app.get("/metrics")
      def metrics():
          return Response(whyalive.prometheus_text(
              types=["ConversationTranscriber", "SpeechConfig"],
              module_prefixes=["azure"]), media_type="text/plain; version=0.0.4")

* :class:`ObjectCountCollector` is a ``prometheus_client`` collector (when
  that package is importable), registered like any other::

      from prometheus_client import REGISTRY
      REGISTRY.register(whyalive.ObjectCountCollector(types=["ConversationTranscriber"]))

Metrics (``namespace`` defaults to ``whyalive``):

``whyalive_objects{type="..."}``
    live gc-tracked objects of each requested type (``whyalive.type_counts``
    semantics: a name with a dot is a full name, otherwise ``__name__``);
``whyalive_module_objects{module_prefix="..."}``
    live gc-tracked objects whose type's module starts with the prefix;
``whyalive_tracked_objects``
    every gc-tracked object (``len(gc.get_objects())`` without the list);
``whyalive_resident_memory_bytes``
    the process RSS (named apart from prometheus_client's own
    ``process_resident_memory_bytes`` so both can be registered).

One scrape is one C walk of the tracked set: about 10 ms per million objects.
"""

from __future__ import annotations

from typing import Iterable

from . import _core
from .api import rss_bytes

__all__ = ["prometheus_text", "ObjectCountCollector"]

_HELP = {
    "objects": "Live objects per type tracked by the garbage collector (whyalive.type_counts).",
    "module_objects": "Live gc-tracked objects whose type's module starts with the prefix.",
    "tracked_objects": "All objects tracked by the garbage collector.",
    "resident_memory_bytes": "Resident set size of the process in bytes.",
}


def _escape(value: str) -> str:
    # Exposition format: backslash, double quote and newline are escaped in label values.
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _samples(types, module_prefixes, collect):
    types = [types] if isinstance(types, str) else list(types or ())
    prefixes = [module_prefixes] if isinstance(module_prefixes, str) else list(module_prefixes or ())
    by_type, by_prefix, total = _core._census(types, prefixes, collect=collect)
    return by_type, by_prefix, total, rss_bytes()


def prometheus_text(types: "Iterable[str] | str" = (), module_prefixes: "Iterable[str] | str" = (),
                    *, namespace: str = "whyalive", collect: bool = False) -> str:
    """Object counts and RSS in the Prometheus text exposition format
    (version 0.0.4): one gauge sample per requested type and module prefix,
    the number of gc-tracked objects and the RSS. See the module docstring
    for the metric names. ``collect=True`` runs ``gc.collect()`` first."""
    by_type, by_prefix, total, rss = _samples(types, module_prefixes, collect)
    out = []

    def family(name, samples):
        full = f"{namespace}_{name}"
        out.append(f"# HELP {full} {_HELP[name]}")
        out.append(f"# TYPE {full} gauge")
        for labels, value in samples:
            out.append(f"{full}{labels} {value}")

    if by_type:
        family("objects", [(f'{{type="{_escape(t)}"}}', n) for t, n in by_type.items()])
    if by_prefix:
        family("module_objects",
               [(f'{{module_prefix="{_escape(p)}"}}', n) for p, n in by_prefix.items()])
    family("tracked_objects", [("", total)])
    if rss is not None:
        family("resident_memory_bytes", [("", rss)])
    return "\n".join(out) + "\n"


try:  # the collector needs prometheus_client (Debian python3-prometheus-client)
    from prometheus_client.core import GaugeMetricFamily as _Gauge
    from prometheus_client.registry import Collector as _CollectorBase
except Exception:  # pragma: no cover - depends on the environment
    try:
        from prometheus_client.core import GaugeMetricFamily as _Gauge
        _CollectorBase = object
    except Exception:
        _Gauge = None
        _CollectorBase = object


class ObjectCountCollector(_CollectorBase):
    """A ``prometheus_client`` collector exporting the metrics of
    :func:`prometheus_text` at each scrape (one C walk of the heap).

    :param types: type names to count (``type_counts`` rules).
    :param module_prefixes: module prefixes to count (e.g. ``["azure"]``).
    :param namespace: metric name prefix.
    :param collect: ``gc.collect()`` before each scrape (costly on big heaps).
    """

    def __init__(self, types: "Iterable[str]" = (), module_prefixes: "Iterable[str]" = (), *,
                 namespace: str = "whyalive", collect: bool = False) -> None:
        if _Gauge is None:
            raise ImportError("whyalive.ObjectCountCollector needs prometheus_client "
                              "(Debian: apt install python3-prometheus-client)")
        self.types = list(types)
        self.module_prefixes = list(module_prefixes)
        self.namespace = namespace
        self.collect_garbage = collect

    def describe(self):
        # Describing without counting keeps registration cheap.
        return []

    def collect(self):
        by_type, by_prefix, total, rss = _samples(self.types, self.module_prefixes,
                                                  self.collect_garbage)
        ns = self.namespace
        if by_type:
            g = _Gauge(f"{ns}_objects", _HELP["objects"], labels=["type"])
            for t, n in by_type.items():
                g.add_metric([t], n)
            yield g
        if by_prefix:
            g = _Gauge(f"{ns}_module_objects", _HELP["module_objects"], labels=["module_prefix"])
            for p, n in by_prefix.items():
                g.add_metric([p], n)
            yield g
        yield _Gauge(f"{ns}_tracked_objects", _HELP["tracked_objects"], value=total)
        if rss is not None:
            yield _Gauge(f"{ns}_resident_memory_bytes", _HELP["resident_memory_bytes"], value=rss)
