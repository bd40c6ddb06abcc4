"""whyalive.pytest: "this test must not leak objects of type X".

A pytest plugin. Enable it with ``-p whyalive.pytest`` on the command line
or ``pytest_plugins = ["whyalive.pytest"]`` in a conftest.py, then mark a
test::

    @pytest.mark.no_leaks("type=ConversationTranscriber")
    def test_request_cycle(client):
        for _ in range(10):
            client.post("/transcribe", content=b"...")

The heap is dumped before and after the test's body (after a
``gc.collect()``); when the objects the selector matches grew by more than
``max_growth`` (default 0), the test fails with the retention routes of the
new objects, as ``whyalive diff before.wa after.wa --fail-on SEL`` prints
them, and the two dumps are kept for ``whyalive paths``/``graph``.

Without the marker: the ``whyalive_no_leaks`` fixture, or the context
manager itself, in any code::

    with whyalive.pytest.no_leaks("type=StreamSession", max_growth=0):
        run_one_request()

Each check costs two dumps of the whole heap and a diff: well under a second
for a test process, more for a big one.
"""
import contextlib
import gc
import os
import shutil
import tempfile

import whyalive

__all__ = ["LeakError", "no_leaks"]


class LeakError(AssertionError):
    """The objects a no_leaks() selector matches grew by more than allowed.

    ``check`` is the diff's "check" dict (docs/json.md); ``before`` and
    ``after`` the dumps, kept for inspection.
    """

    def __init__(self, message: str, check: dict, before: str, after: str) -> None:
        super().__init__(message)
        self.check = check
        self.before = before
        self.after = after


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _message(check: dict, before: str, after: str) -> str:
    counts = " -> ".join(str(c) for c in check["counts"])
    lines = [f"whyalive: {check['fail_on']!r} grew by +{check['value']} during the test "
             f"({counts}), more than max_growth={check['max']}; "
             f"{check.get('offending', 0)} new objects kept alive by:"]
    for c in check.get("clusters", []):
        lines.append(f"  {c['count']} {c['qualname']} ({_size(c['retained'])} retained) via {c['path']}")
    more = check.get("clusters_total", 0) - len(check.get("clusters", []))
    if more > 0:
        lines.append(f"  ... {more} more routes")
    lines.append(f"dumps kept: {before} {after} "
                 f"(whyalive diff {before} {after} --fail-on {check['fail_on']!r})")
    return "\n".join(lines)


@contextlib.contextmanager
def no_leaks(selector: str, max_growth: int = 0, *, directory=None, keep: bool = False):
    """Fail (raise :class:`LeakError`) when the objects ``selector`` matches
    grew by more than ``max_growth`` while the block ran.

    :param selector: a selector (docs/selectors.md), e.g.
        ``"type=ConversationTranscriber"``; it may not test retained sizes.
    :param directory: where the two dumps go (default: a new temporary
        directory, removed when the check passes unless ``keep``).
    :param keep: keep the dumps when the check passes too.
    """
    if not isinstance(selector, str):
        raise TypeError("no_leaks: selector must be a selector str")
    own = directory is None
    where = tempfile.mkdtemp(prefix="whyalive-no-leaks-") if own else os.fspath(directory)
    before = os.path.join(where, "before.wa")
    after = os.path.join(where, "after.wa")
    gc.collect()
    whyalive.dump(before)
    failed = False
    try:
        yield
        gc.collect()
        whyalive.dump(after)
        with whyalive.load(before) as snap:
            doc = snap.diff(after, fail_on=selector, max_growth=max_growth, limit=5)
        check = doc["check"]
        if check["failed"]:
            failed = True
            raise LeakError(_message(check, before, after), check, before, after)
    finally:
        if own and not failed and not keep:
            shutil.rmtree(where, ignore_errors=True)


# ---------------------------------------------------------------- pytest

try:
    import pytest as _pytest
except ImportError:  # the context manager works without pytest
    _pytest = None

if _pytest is not None:

    def pytest_configure(config):
        config.addinivalue_line(
            "markers",
            "no_leaks(selector, max_growth=0): fail when the objects the whyalive selector "
            "matches grow during the test (whyalive.pytest)")

    def _new_style_wrappers() -> bool:
        try:
            import pluggy
            major, minor = (int(x) for x in pluggy.__version__.split(".")[:2])
            return (major, minor) >= (1, 2)
        except Exception:
            return False

    if _new_style_wrappers():
        @_pytest.hookimpl(wrapper=True)
        def pytest_runtest_call(item):
            marker = item.get_closest_marker("no_leaks")
            if marker is None:
                return (yield)
            check = no_leaks(*marker.args, **marker.kwargs)
            with check:  # the test's own failure passes through first
                result = yield
            return result
    else:  # pluggy < 1.2 (Debian 12's pytest 7.2): an old-style wrapper
        @_pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_call(item):
            marker = item.get_closest_marker("no_leaks")
            if marker is None:
                yield
                return
            check = no_leaks(*marker.args, **marker.kwargs)
            check.__enter__()
            outcome = yield
            if outcome.excinfo is not None:
                check.__exit__(*outcome.excinfo)
                return
            message = None
            try:
                check.__exit__(None, None, None)
            except LeakError as exc:
                message = str(exc)
            if message is not None:
                _pytest.fail(message, pytrace=False)

    @_pytest.fixture
    def whyalive_no_leaks():
        """The :func:`no_leaks` context manager, as a fixture."""
        return no_leaks
