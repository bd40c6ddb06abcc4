"""whyalive: find out why a Python object is still alive.

This package runs inside the service you want to inspect. It writes a
snapshot of the interpreter's heap (every object, its type, size and
refcount, and every reference between objects with its name: attribute,
dict key, index, closure variable, frame local) that the ``whyalive`` command
line tool analyses offline::

    import whyalive
    whyalive.dump("/tmp/heap.wa")              # binary format
    whyalive.dump("/tmp/heap.jsonl")           # JSON Lines, one object a line
    whyalive.install_signal_handler()          # kill -USR2 <pid> writes a dump

Privacy: by default a dump carries no values (no str/bytes contents, no
numbers); attribute names and dict keys are kept, since they are what makes a
retention path readable. See ``dump(values=...)``.
"""

from __future__ import annotations

import os
import signal as _signal
import tempfile as _tempfile
import time as _time

try:
    from . import _core
except ImportError as _exc:  # a missing system library, another interpreter's build
    from . import _runtime

    _why = _runtime.explain(_exc, os.path.dirname(os.path.abspath(__file__)))
    if _why is None:
        raise
    if _runtime.running_as_cli():  # the `whyalive` command: one line, exit 4
        raise _runtime.cli_fail(_why) from None
    raise ImportError(_why) from None

__all__ = ["dump", "dump_pid", "AttachError", "DumpInfo", "install_signal_handler", "__version__"]
__version__ = _core.__version__

# Children of background dumps, reaped opportunistically so none is left a
# zombie when the caller never waits.
_children: "set[int]" = set()


def _reap() -> None:
    for pid in list(_children):
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            done = pid
        if done:
            _children.discard(pid)


class DumpInfo:
    """What a dump wrote.

    Attributes: ``path``, ``format`` (``"jsonl"`` or ``"binary"``),
    ``compression`` (``"none"``, ``"gzip"`` or ``"zstd"``), ``objects``, ``edges``, ``roots``, ``external_roots`` (objects held from
    outside the Python heap), ``bytes`` (file size), ``seconds`` (time the
    dump took; for ``background=True``: the pause of the calling process),
    ``pid`` (the child writing a background dump, else ``None``). For a
    background dump the counts are 0 until the child is done: :meth:`wait`
    fills them in from the child.
    """

    __slots__ = ("path", "format", "compression", "objects", "edges", "roots", "external_roots",
                 "dropped_edges", "bytes", "seconds", "pid", "_counts_fd")

    def __init__(self, raw: dict) -> None:
        for k in self.__slots__:
            setattr(self, k, raw.get(k))
        self._counts_fd = raw.get("counts_fd")

    def _take_counts(self, read: bool) -> None:
        """Read the background child's counts (one line: objects, edges,
        roots, external roots, dropped edges) and close the pipe."""
        fd, self._counts_fd = self._counts_fd, None
        if fd is None:
            return
        try:
            data = b""
            while read:
                chunk = os.read(fd, 256)
                if not chunk:
                    break
                data += chunk
        finally:
            os.close(fd)
        fields = data.split()
        if len(fields) == 5:
            (self.objects, self.edges, self.roots, self.external_roots,
             self.dropped_edges) = (int(f) for f in fields)

    def __del__(self) -> None:
        fd = getattr(self, "_counts_fd", None)
        if fd is not None:
            try:
                os.close(fd)
            except OSError:
                pass

    def wait(self, timeout: "float | None" = None) -> "DumpInfo":
        """For a background dump: wait for the child; raise OSError if it
        failed (its reason is on the child's stderr). Returns self."""
        if self.pid is None:
            return self
        deadline = None if timeout is None else _time.monotonic() + timeout
        while True:
            try:
                pid, status = os.waitpid(self.pid, 0 if deadline is None else os.WNOHANG)
            except ChildProcessError:
                # already reaped by a later dump(): judge by the file
                pid, status = self.pid, 0 if os.path.exists(self.path) else 1 << 8
            if pid:
                break
            if _time.monotonic() > deadline:
                raise TimeoutError(f"background dump {self.pid} still running")
            _time.sleep(0.01)
        _children.discard(self.pid)
        code = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8
        self._take_counts(read=code == 0)
        if code != 0:
            raise OSError(f"whyalive: background dump to {self.path!r} failed (exit status {code})")
        try:
            self.bytes = os.stat(self.path).st_size
        except OSError:
            pass
        return self

    def __repr__(self) -> str:
        return (f"DumpInfo(path={self.path!r}, format={self.format!r}, objects={self.objects}, "
                f"edges={self.edges}, roots={self.roots}, bytes={self.bytes}, "
                f"seconds={self.seconds:.3f}, pid={self.pid})")


def dump(path: "str | os.PathLike[str]", *, format: "str | None" = None, values: int = 0,
         tracemalloc: "bool | None" = None, background: bool = False,
         compress: "str | None" = None) -> DumpInfo:
    """Write a snapshot of this interpreter's heap to ``path``.

    The walk holds the GIL, so the snapshot is consistent; it runs no Python
    code of the dumped objects (no ``__getattr__``, ``__eq__``, ``__hash__``,
    ``__repr__``, ``__sizeof__``) and never recurses, so hostile objects and
    million-long chains are safe.

    :param path: target file. Written atomically: a temporary file in the
        same directory, fsync, rename; mode 0600. On failure nothing is left
        at ``path`` and ``OSError`` / ``ValueError`` is raised.
    :param format: ``"jsonl"`` or ``"binary"``; by default from the
        extension (``.jsonl``/``.json``: JSON Lines, anything else: binary).
    :param values: 0 (default) writes no values at all: no str/bytes
        contents, no numbers. ``N > 0`` adds the first N characters of str
        and bytes objects and the values of ints, floats and bools. Attribute
        names and dict keys (str keys up to 64 characters, int keys) are
        always written: they are the labels of the retention paths.
    :param tracemalloc: record each object's allocation site (file:line, up
        to tracemalloc's frame limit). ``None``: when tracemalloc is tracing;
        ``True``: require it (``ValueError`` if it is not tracing); ``False``:
        never.
    :param background: fork; the child writes the dump and exits, the caller
        continues after the fork (its pause is ``info.seconds``). Costs the
        fork itself (page tables: a few ms per GB) and copy-on-write memory
        while the child runs. POSIX only. Call ``info.wait()`` for the
        outcome.
    :param compress: ``"zstd"`` or ``"gzip"`` compress the file as it is
        written (on a second thread; memory stays bounded), ``"none"`` does
        not; ``None`` (default): as ``path`` ends, ``.zst``/``.zstd`` or
        ``.gz`` (``heap.wa.zst``). The format is named by the extension
        before it. Every reader (``whyalive.load``, the CLI) decompresses
        transparently. ``ValueError`` for any other value.
    :returns: a :class:`DumpInfo`.
    """
    _reap()
    if background and not hasattr(os, "fork"):
        raise OSError("whyalive.dump(background=True) needs os.fork(), not available here")
    raw = _core.dump(path, format=format, values=values, tracemalloc=tracemalloc,
                     background=bool(background), compress=compress)
    info = DumpInfo(raw)
    if info.pid is not None:
        _children.add(info.pid)
    return info


_core._set_wrapper(dump)


class AttachError(RuntimeError):
    """:func:`dump_pid` could not dump the process; the message says why and
    how to fix it. The target was left running. ``detail`` holds more lines
    (the places searched for the extension, gdb's output), ``status`` the
    library's error kind."""

    def __init__(self, message: str, status: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.detail = detail


def dump_pid(pid: int, path: "str | os.PathLike[str] | None" = None, *, format: "str | None" = None,
             values: int = 0, tracemalloc: bool = False, foreground: bool = False,
             timeout: float = 30.0, extension: "str | os.PathLike[str] | None" = None,
             gdb: "str | None" = None, compress: "str | None" = None) -> DumpInfo:
    """Dump the heap of another running CPython process (3.9 or later), one
    that never imported whyalive, as ``whyalive dump --pid`` does: gdb
    attaches, loads whyalive's extension built for the target's Python and
    starts a thread there that takes the GIL and forks; the child writes the
    dump (``foreground=True``: the target writes it itself, paused). The
    target's ``sys.modules``, threads, signal handlers and files are left as
    they were; the extension stays mapped in it (never imported).
    docs/python-dumper.md describes each step and its limits.

    :param path: the dump (default ``whyalive-PID-TIME.wa`` in the current
        directory), written by the target's user with mode 0600.
    :param compress: ``"none"``, ``"gzip"`` or ``"zstd"``, as for
        :func:`dump`; ``None``: from ``path``'s name (``.gz``, ``.zst``).
    :param tracemalloc: require allocation sites (the target must trace).
    :param timeout: seconds to reach a safe point and take the GIL.
    :param extension: the extension to load (file or directory); default:
        ``$WHYALIVE_EXTENSION``, this package's build tree, the target's
        site-packages.
    :returns: a :class:`DumpInfo` (``seconds``: the dump's time in the
        child; ``pid``: None, the child is the target's).
    :raises AttachError: when the process cannot be dumped.
    """
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    raw = _core._dump_pid(int(pid), None if path is None else os.fspath(path), format, int(values),
                          1 if tracemalloc else -1, bool(foreground), float(timeout),
                          None if extension is None else os.fspath(extension), gdb,
                          [here, os.path.dirname(here)], compress)
    if "error" in raw:
        raise AttachError(raw["error"], raw.get("status", ""), raw.get("detail", ""))
    from_name = {".gz": "gzip", ".zst": "zstd", ".zstd": "zstd"}.get(os.path.splitext(raw["path"])[1], "none")
    raw = dict(raw, pid=None, external_roots=None, dropped_edges=None,
               compression=compress if compress is not None else from_name)
    return DumpInfo(raw)


def install_signal_handler(signum: int = _signal.SIGUSR2, directory: "str | os.PathLike[str] | None" = None,
                           **dump_options):
    """Write a dump whenever the process receives ``signum`` (default
    SIGUSR2): ``kill -USR2 <pid>``.

    Each dump goes to ``<directory>/whyalive-<pid>-<YYYYmmdd-HHMMSS>.<ext>``
    (``directory`` defaults to the system temporary directory; ``ext`` is
    ``jsonl`` when ``format="jsonl"``, else ``wa``, then ``.zst`` or ``.gz``
    with ``compress="zstd"`` or ``"gzip"``). ``dump_options`` are
    passed to :func:`dump` (``values``, ``format``, ``tracemalloc``,
    ``background``, ``compress``). Each dump is reported with one line on stderr
    (``whyalive: signal 12: wrote PATH (N objects, B bytes, S s)``, or
    ``writing PATH in the background (pid P)``); errors are reported there
    too, never raised into the interrupted code. Must be called from the main thread. Returns the
    previous handler.
    """
    directory = os.fspath(directory) if directory is not None else _tempfile.gettempdir()
    if not os.path.isdir(directory):
        raise OSError(f"whyalive.install_signal_handler: {directory!r} is not a directory")
    unknown = set(dump_options) - {"format", "values", "tracemalloc", "background", "compress"}
    if unknown:
        raise TypeError(f"install_signal_handler: unknown dump option(s) {sorted(unknown)}")
    ext = "jsonl" if dump_options.get("format") == "jsonl" else "wa"
    compress = dump_options.get("compress")
    if compress not in (None, "none", "gzip", "zstd"):
        raise ValueError(f"install_signal_handler: unknown compress {compress!r} "
                         "(expected None, 'none', 'gzip' or 'zstd')")
    ext += {"zstd": ".zst", "gzip": ".gz"}.get(compress, "")

    def _handler(signo, frame):
        del frame  # the interrupted frame is in the dump through its thread
        stamp = _time.strftime("%Y%m%d-%H%M%S", _time.gmtime())
        target = os.path.join(directory, f"whyalive-{os.getpid()}-{stamp}.{ext}")
        try:
            info = dump(target, **dump_options)
            if info.pid is not None:
                line = f"whyalive: signal {signo}: writing {target} in the background (pid {info.pid})\n"
            else:
                line = (f"whyalive: signal {signo}: wrote {target} ({info.objects} objects, "
                        f"{info.bytes} bytes, {info.seconds:.2f} s)\n")
            try:
                os.write(2, line.encode(errors="replace"))
            except OSError:
                pass
        except Exception as exc:  # never break the service over a dump
            try:
                os.write(2, f"whyalive: dump on signal {signo} failed: {exc}\n".encode())
            except OSError:
                pass

    return _signal.signal(signum, _handler)


# Offline analysis and in-process helpers: docs/python.md.
from .api import (Object, Selection, SelectorError, Snapshot, load,  # noqa: E402
                  growth, most_common_types, rss_bytes, show_growth, type_counts)
from .prometheus import ObjectCountCollector, prometheus_text  # noqa: E402
from .track import Leak, Report, Tracker, track  # noqa: E402

__all__ += ["load", "Snapshot", "Object", "Selection", "SelectorError", "type_counts",
            "most_common_types", "growth", "show_growth", "rss_bytes", "prometheus_text", "ObjectCountCollector",
            "track", "Tracker", "Report", "Leak"]
