"""One scenario per leak pattern: the dump must show the edge from holder to
held with its label, or the root with its kind (issue 3)."""

import asyncio
import collections
import contextvars
import functools
import gc
import os
import sys
import tempfile
import threading
import unittest

import whyalive
from wa_dumpgraph import Graph

try:
    import _wa_testholder
except ImportError:  # built by CMake into build/tests/python/ext
    _wa_testholder = None


def tname(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


class Payload:
    """The object a scenario leaks."""


class Node:
    pass


class Listener:
    def on_event(self, *args):
        return args


class Cache:
    registry = {}


class Service:
    @functools.lru_cache(maxsize=None)
    def lookup(self, key):
        return Payload()


def failing(n):
    big_local = Payload()
    if n:
        return failing(n - 1)
    raise ValueError("boom")


def make_closure():
    captured = Payload()

    def inner():
        return captured

    return inner, captured


def gen_holding():
    gen_local = Payload()
    yield gen_local
    yield None


async def coro_holding(fut):
    coro_local = Payload()
    await fut
    return coro_local


async def worker_run(fut):
    await fut
    return "ok"


class Worker:
    async def run(self, fut):
        await fut


class HostileTask(asyncio.Task):
    """A Python subclass of the C Task whose properties of the getters'
    names must never run."""
    calls = 0

    @property
    def _coro(self):
        HostileTask.calls += 1
        raise AssertionError("property ran")

    @property
    def _loop(self):
        HostileTask.calls += 1
        raise AssertionError("property ran")


def caught_error():
    """An exception with a traceback that holds this frame, not the test's
    (whose Graph the next test's dump would otherwise carry)."""
    try:
        failing(0)
    except ValueError as e:
        return e


def suspended_here():
    frame = sys._getframe()
    yield frame
    yield None


# contextvars.Context's tp_name: "Context" up to 3.9, then "_contextvars.Context"
CONTEXT_TYPES = ("builtins.Context", "_contextvars.Context")


def unnamed(g, o):
    """o's edges that carry no name (a weak reference's edge has none by design)."""
    return [e for e in g.out[id(o)] if e[2] is None and e[1] != "weak"]


class DumpTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def dump(self, name="heap.jsonl", **kw):
        path = os.path.join(self.tmp.name, name)
        info = whyalive.dump(path, **kw)
        self.assertEqual(info.path, path)
        return Graph(path), info


class TestPatterns(DumpTest):
    def test_cycle(self):
        a, b = Node(), Node()
        a.other, b.other = b, a
        g, _ = self.dump()
        self.assertTrue(g.attr(a, b, "other"))
        self.assertTrue(g.attr(b, a, "other"))
        self.assertEqual(g.rec(a)["type"], tname(Node))

    def test_closure(self):
        fn, captured = make_closure()
        g, _ = self.dump()
        hops = g.path(fn, captured, 4)
        self.assertIsNotNone(hops)
        self.assertEqual(hops[0][2:], ("attr", "__closure__"))
        self.assertEqual(hops[-1][2:], ("closure", "captured"))
        self.assertIn("inner", g.rec(fn).get("name", ""))

    def test_bound_method_in_callback_list(self):
        listener = Listener()
        callbacks = [print, listener.on_event]
        g, _ = self.dump()
        method = callbacks[1]
        self.assertIn(("index", 1), g.edges(callbacks, method))
        self.assertIn(("attr", "__self__"), g.edges(method, listener))
        self.assertIn(("attr", "__func__"), g.edges(method, Listener.on_event))

    def test_class_level_cache(self):
        item = Payload()
        Cache.registry["k1"] = item
        self.addCleanup(Cache.registry.clear)
        g, _ = self.dump()
        self.assertTrue(g.attr(Cache, Cache.registry, "registry"))
        self.assertIn(("dict_value", "'k1'"), g.edges(Cache.registry, item))

    def test_lru_cache_on_method(self):
        svc = Service()
        result = svc.lookup(42)
        self.addCleanup(Service.lookup.cache_clear)
        g, _ = self.dump()
        wrapper = Service.__dict__["lookup"]
        self.assertTrue(g.attr(Service, wrapper, "lookup"))
        # the cache keeps the instance (in its key) and the result alive
        self.assertIsNotNone(g.path(wrapper, svc, 6))
        self.assertIsNotNone(g.path(wrapper, result, 6))

    def test_stored_exception_holds_frames_and_locals(self):
        stored = []
        try:
            failing(2)
        except ValueError as e:
            stored.append(e)
        exc = stored[0]
        tb = exc.__traceback__
        frames = []
        t = tb
        while t is not None:
            frames.append(t.tb_frame)
            t = t.tb_next
        deepest = frames[-1]
        local = deepest.f_locals["big_local"]
        g, _ = self.dump()
        self.assertIn(("attr", "__traceback__"), g.edges(exc, tb))
        self.assertIn(("attr", "tb_next"), g.edges(tb, tb.tb_next))
        self.assertIn(("attr", "tb_frame"), g.edges(tb, tb.tb_frame))
        self.assertIn(("frame_local", "big_local"), g.edges(deepest, local))
        self.assertIn(("attr", "f_back"), g.edges(deepest, frames[-2]))
        self.assertIn("failing", g.rec(deepest).get("name", ""))

    def test_generator(self):
        gen = gen_holding()
        local = next(gen)
        g, _ = self.dump()
        hops = g.path(gen, local, 3)
        self.assertIsNotNone(hops)
        self.assertEqual(hops[-1][2:], ("frame_local", "gen_local"))

    def test_asyncio_task(self):
        loop = asyncio.new_event_loop()
        self.addCleanup(loop.close)
        fut = loop.create_future()
        task = loop.create_task(coro_holding(fut))
        loop.run_until_complete(asyncio.sleep(0))  # task runs to its await
        coro = task.get_coro()
        frame = coro.cr_frame
        local = frame.f_locals["coro_local"]
        del frame
        g, _ = self.dump()
        self.assertIsNotNone(g.path(task, coro, 2), "task -> coroutine")
        hops = g.path(coro, local, 3)
        self.assertIsNotNone(hops)
        self.assertEqual(hops[-1][2:], ("frame_local", "coro_local"))
        fut.set_result(None)
        loop.run_until_complete(task)

    def test_task_and_future_names_and_fields(self):
        loop = asyncio.new_event_loop()
        self.addCleanup(loop.close)
        fut = loop.create_future()
        task = loop.create_task(Worker().run(fut), name="worker-1")
        loop.run_until_complete(asyncio.sleep(0))
        coro = task.get_coro()
        name = task.get_name()
        ctx = task.get_context() if hasattr(task, "get_context") else None
        waiter_cb = [e for e in gc.get_referents(fut) if callable(e) and e is not loop
                     and not isinstance(e, type)]
        g, _ = self.dump()
        self.assertEqual(g.rec(task)["type"], "_asyncio.Task")
        self.assertEqual(g.rec(task).get("name"), "Worker.run (pending)")
        self.assertEqual(g.rec(fut).get("name"), "pending")
        self.assertEqual(g.edges(task, coro), [("attr", "_coro")])
        self.assertEqual(g.edges(task, loop), [("attr", "_loop")])
        self.assertEqual(g.edges(task, fut), [("attr", "_fut_waiter")])
        self.assertEqual(g.edges(task, name), [("attr", "_name")])
        if ctx is not None:
            self.assertEqual(g.edges(task, ctx), [("attr", "_context")])
        ctx_edges = [e for (d, *e) in g.out[id(task)] if g.objects[d]["type"] in CONTEXT_TYPES]
        self.assertEqual(ctx_edges, [["attr", "_context"]])
        # the waiter's one callback: the task's wakeup, and its context
        self.assertEqual(len(waiter_cb), 1)
        self.assertEqual(g.edges(fut, waiter_cb[0]), [("attr", "_callback0")])
        fut_ctx = [e for (d, *e) in g.out[id(fut)] if g.objects[d]["type"] in CONTEXT_TYPES]
        self.assertEqual(fut_ctx, [["attr", "_context0"]])
        self.assertEqual(g.edges(fut, loop), [("attr", "_loop")])
        if sys.version_info >= (3, 11):  # before, the coroutine's frame holds it
            awaited = [d for (d, k, l) in g.out[id(coro)] if (k, l) == ("attr", "cr_await")]
            self.assertEqual(len(awaited), 1)
            self.assertEqual(g.objects[awaited[0]]["type"], "_asyncio.FutureIter")
            self.assertEqual(g.edges(awaited[0], fut), [("attr", "future")])
        # every edge out of a Task and a Future is named
        for o in (task, fut):
            self.assertEqual(unnamed(g, o), [], g.rec(o))
        fut.set_result(None)
        loop.run_until_complete(task)

    def test_finished_futures(self):
        loop = asyncio.new_event_loop()
        self.addCleanup(loop.close)
        loop.set_debug(True)  # source tracebacks
        done = loop.create_future()
        result = [Payload()]
        done.set_result(result)
        cbs = [functools.partial(print, 1), functools.partial(print, 2)]
        failed = loop.create_future()
        exc = caught_error()
        failed.set_exception(exc)
        cancelled = loop.create_future()
        cancelled.cancel("bye")
        task = loop.create_task(worker_run(done))
        loop.run_until_complete(asyncio.sleep(0))
        g, _ = self.dump()
        self.assertEqual(g.rec(done).get("name"), "done")
        self.assertEqual(g.rec(cancelled).get("name"), "cancelled")
        self.assertEqual(g.rec(task).get("name"), "worker_run (done)")
        self.assertEqual(g.edges(done, result), [("attr", "_result")])
        self.assertEqual(g.edges(done, done._source_traceback), [("attr", "_source_traceback")])
        self.assertEqual(g.edges(failed, exc), [("attr", "_exception")])
        if sys.version_info >= (3, 10):
            self.assertEqual(g.edges(failed, exc.__traceback__), [("attr", "_exception_tb")])
        for o in (done, failed, cancelled, task):
            self.assertEqual(unnamed(g, o), [], g.rec(o))
        # several callbacks: the first two fields and the list of the rest
        del g  # a Graph is a large heap to dump again
        many = loop.create_future()
        for cb in cbs:
            many.add_done_callback(cb)
        g, _ = self.dump("many.jsonl")
        self.assertEqual(g.edges(many, cbs[0]), [("attr", "_callback0")])
        lists = [l for (d, k, l) in g.out[id(many)] if g.objects[d]["type"] == "builtins.list"]
        self.assertEqual(lists, ["_callbacks"])
        many.remove_done_callback(cbs[0])
        del g
        g, _ = self.dump("rest.jsonl")  # the first removed: only the list is left
        self.assertEqual(g.edges(many, cbs[0]), [])
        lists = [l for (d, k, l) in g.out[id(many)] if g.objects[d]["type"] == "builtins.list"]
        self.assertEqual(lists, ["_callbacks"])
        self.assertEqual(unnamed(g, many), [])
        many.cancel()
        failed.exception()
        loop.run_until_complete(asyncio.sleep(0))

    def test_task_subclass_properties_never_run(self):
        loop = asyncio.new_event_loop()
        self.addCleanup(loop.close)
        fut = loop.create_future()
        coro = Worker().run(fut)
        task = HostileTask(coro, loop=loop)
        loop.run_until_complete(asyncio.sleep(0))
        g, _ = self.dump()
        self.assertEqual(HostileTask.calls, 0)
        self.assertEqual(g.rec(task).get("name"), "Worker.run (pending)")
        self.assertEqual(g.edges(task, coro), [("attr", "_coro")])
        self.assertEqual(g.edges(task, loop), [("attr", "_loop")])
        fut.set_result(None)
        loop.run_until_complete(task)

    def test_pure_python_task(self):
        from asyncio import futures, tasks
        loop = asyncio.new_event_loop()
        self.addCleanup(loop.close)
        fut = futures._PyFuture(loop=loop)
        coro = worker_run(fut)
        task = tasks._PyTask(coro, loop=loop)
        loop.run_until_complete(asyncio.sleep(0))
        g, _ = self.dump()
        self.assertTrue(g.attr(task, coro, "_coro"))
        self.assertTrue(g.attr(task, loop, "_loop"))
        self.assertTrue(g.attr(task, fut, "_fut_waiter"))
        fut.set_result(None)
        loop.run_until_complete(task)

    def test_frame_named_by_function_and_line(self):
        it = suspended_here()
        frame = next(it)
        g, _ = self.dump()
        code = suspended_here.__code__
        self.assertEqual(g.rec(frame).get("name"),
                         f"suspended_here ({code.co_filename}:{frame.f_lineno})")
        self.assertEqual(frame.f_lineno, code.co_firstlineno + 2)

    def test_stdlib_containers(self):
        a, b, c = Payload(), Payload(), Payload()
        dq = collections.deque([a, b, a])
        bounded = collections.deque([a, b, c], maxlen=2)

        class MyDeque(collections.deque):
            pass

        sub = MyDeque([c, a])
        sub.extra = b
        od = collections.OrderedDict([("first", a), ("second", b)])
        dd = collections.defaultdict(list)
        dd["k"].append(a)
        g, _ = self.dump()
        self.assertEqual(g.edges(dq, a), [("index", 0), ("index", 2)])
        self.assertEqual(g.edges(dq, b), [("index", 1)])
        self.assertEqual(g.edges(bounded, b), [("index", 0)])
        self.assertEqual(g.edges(bounded, c), [("index", 1)])
        self.assertEqual(g.edges(sub, c), [("index", 0)])
        self.assertEqual(g.edges(sub, a), [("index", 1)])
        self.assertTrue(g.attr(sub, b, "extra"))
        self.assertEqual(g.edges(od, a), [("dict_value", "'first'")])
        self.assertEqual(g.edges(od, b), [("dict_value", "'second'")])
        self.assertEqual(g.edges(dd, list), [("attr", "default_factory")])
        self.assertEqual(g.edges(dd, dd["k"]), [("dict_value", "'k'")])
        for o in (dq, bounded, sub, od, dd):
            self.assertEqual(unnamed(g, o), [], g.rec(o))

    def test_partial_property_weakref_cell_context(self):
        import weakref
        target, arg, kw = Payload(), Payload(), Payload()
        part = functools.partial(Listener.on_event, arg, key=kw)

        def getter(self):
            return 1

        def setter(self, v):
            pass

        def deleter(self):
            pass

        prop = property(getter, setter, deleter, "the doc")
        doc = prop.__doc__

        def on_dead(r):
            pass

        ref = weakref.ref(target, on_dead)
        var = contextvars.ContextVar("wa_var")
        var.set(arg)
        ctx = contextvars.copy_context()
        g, _ = self.dump()
        self.assertEqual(g.edges(part, Listener.on_event), [("attr", "func")])
        self.assertEqual(g.edges(part, part.args), [("attr", "args")])
        self.assertEqual(g.edges(part, part.keywords), [("attr", "keywords")])
        self.assertEqual(g.edges(part.args, arg), [("index", 0)])
        self.assertEqual(g.edges(part.keywords, kw), [("dict_value", "'key'")])
        self.assertEqual(g.edges(prop, getter), [("attr", "fget")])
        self.assertEqual(g.edges(prop, setter), [("attr", "fset")])
        self.assertEqual(g.edges(prop, deleter), [("attr", "fdel")])
        self.assertEqual(g.edges(prop, doc), [("attr", "__doc__")])
        self.assertEqual(g.edges(ref, target), [("weak", None)])
        self.assertEqual(g.edges(ref, on_dead), [("attr", "__callback__")])
        vars_ = [(k, l) for (d, k, l) in g.out[id(ctx)] if g.objects[d]["type"] == "builtins.hamt"]
        self.assertEqual(vars_, [("attr", "ctx_vars")])
        for o in (part, prop, ref, ctx):
            self.assertEqual(unnamed(g, o), [], g.rec(o))

    def test_lru_cache_fields(self):
        @functools.lru_cache(maxsize=None)
        def cached(x):
            return Payload()

        @functools.lru_cache(maxsize=4)
        def bounded(x):
            return Payload()

        cached(1)
        bounded("a")
        g, _ = self.dump()
        for w in (cached, bounded):
            caches = [d for (d, k, l) in g.out[id(w)] if (k, l) == ("attr", "cache")]
            self.assertEqual(len(caches), 1, w)
            self.assertEqual(g.objects[caches[0]]["type"], "builtins.dict")
            self.assertNotIn(("attr", "cache"), g.edges(w, w.__dict__))
            self.assertEqual(g.edges(w, w.__wrapped__), [("attr", "__wrapped__")])
        self.assertEqual(g.rec(cached.__wrapped__)["type"], "builtins.function")
        # the unbounded cache maps the key to the result
        caches = [d for (d, k, l) in g.out[id(cached)] if (k, l) == ("attr", "cache")]
        self.assertTrue([e for e in g.out[caches[0]] if e[1] == "dict_value"])

    def test_generator_delegate_named(self):
        waiting = outer_gen()
        next(waiting)
        g, _ = self.dump()
        if sys.version_info >= (3, 11):
            self.assertEqual(g.edges(waiting, waiting.gi_yieldfrom), [("attr", "gi_yieldfrom")])
        else:  # the generator's frame holds it
            self.assertIsNotNone(g.path(waiting, waiting.gi_yieldfrom, 2))

    def test_thread_local(self):
        tl = threading.local()
        tl.value = Payload()
        held = tl.value
        g, _ = self.dump()
        hops = g.path(tl, held, 6)
        self.assertIsNotNone(hops, "threading.local -> its per-thread value")
        self.assertIn(hops[-1][2:], [("attr", "value"), ("dict_value", "'value'")])

    def test_thread_frame_root(self):
        started, stop = threading.Event(), threading.Event()
        box = {}

        def worker():
            thread_payload = Payload()
            box["p"] = thread_payload
            started.set()
            stop.wait(30)

        t = threading.Thread(target=worker, name="leaky-worker")
        t.start()
        self.addCleanup(t.join)
        self.addCleanup(stop.set)
        started.wait(10)
        payload = box.pop("p")
        g, _ = self.dump()
        thread_roots = [r for r in g.roots if r["root"] == "thread" and "leaky-worker" in r.get("label", "")]
        self.assertTrue(thread_roots, "a thread root named after the thread")
        self.assertIn(str(t.ident), thread_roots[0]["label"])
        labels = [g.edges(int(r["obj"], 16), payload) for r in thread_roots]
        self.assertTrue(any(("frame_local", "thread_payload") in e for e in labels))

    def test_module_roots(self):
        g, _ = self.dump()
        mods = {r.get("label"): int(r["obj"], 16) for r in g.roots if r["root"] == "module"}
        self.assertEqual(mods.get("os"), id(os))
        self.assertEqual(mods.get(__name__), id(sys.modules[__name__]))
        self.assertTrue(g.attr(sys.modules[__name__], Cache, "Cache"))

    def test_weakref_is_weak(self):
        import weakref
        target = Payload()
        ref = weakref.ref(target)
        g, _ = self.dump()
        self.assertIn(("weak", None), g.edges(ref, target))

    @unittest.skipIf(_wa_testholder is None, "test-only extension _wa_testholder not built")
    def test_held_from_c_is_external_root(self):
        held = Payload()
        inner = Payload()
        held.inner = inner
        _wa_testholder.hold(held)
        self.addCleanup(_wa_testholder.release)
        addr = id(held)
        del held
        g, _ = self.dump()
        roots = g.roots_of(addr)
        self.assertEqual([(r["root"], r.get("excess")) for r in roots], [("external", 1)])
        # its contents are not roots: they are held through it
        self.assertFalse(g.roots_of(inner))
        self.assertTrue(g.attr(addr, inner, "inner"))

    def test_no_external_root_for_plain_objects(self):
        a, b = Node(), Node()
        a.b = b
        keep = [a]
        g, _ = self.dump()
        self.assertFalse(g.roots_of(a))
        self.assertFalse(g.roots_of(b))
        self.assertFalse(g.roots_of(keep))
        # the baseline of external roots stays small (interpreter state)
        ext = [r for r in g.roots if r["root"] == "external"]
        self.assertLess(len(ext), max(120, len(g.objects) // 500), ext[:20])


def dumping_callee(test, x):
    """Dumps while x is its argument (on 3.14+ a reference borrowed from the
    caller's local, not counted in x's refcount). Returns the dump and the
    address of this frame (not the frame: its f_back would keep the caller's
    frame, with the Graph in it, alive until a collection)."""
    return test.dump(), id(sys._getframe())


def overwrite_own_local(test):
    """Replaces its own local through f_locals (PEP 667) while it runs, then
    dumps: 3.14+ keeps the overwritten value in the frame object's
    f_overwritten_fast_locals."""
    x = Payload()
    old = id(x)
    sys._getframe().f_locals["x"] = Node()
    g, _ = test.dump()
    return g, old, id(sys._getframe()), x


def with_empty_locals(test):
    gone = Payload()
    del gone
    if test is None:
        unbound = 1  # never bound
    return test.dump(), id(sys._getframe())


def annotated(a: int) -> str:
    return str(a)


def inner_gen():
    yield 1


def outer_gen():
    yield from inner_gen()


# Up to 3.10 the caller's value stack keeps its own reference to each
# argument of a call in progress, which the dump cannot see (docs: "known
# noise"); from 3.11 the callee's frame takes it over.
IN_FLIGHT = 1 if sys.version_info < (3, 11) else 0


class TestFrames(DumpTest):
    """Frame slots: 3.14+ stores tagged references there, some of them
    borrowed (counted nowhere), and NULL is not 0."""

    def test_walk_reads_the_gc_lists(self):
        from whyalive import _core
        self.assertEqual(_core.GC_WALK, "gc generation lists")

    def test_unsupported_runtimes(self):
        from whyalive import _core
        for v in (0x030E00F0, 0x030E01F0, 0x030E04F0, 0x030E04C1):
            self.assertIn("3.14.0 to 3.14.4", _core._unsupported(v), hex(v))
        for v in (0x030900F0, 0x030D00F0, 0x030E05C1, 0x030E05F0, 0x030E0AF0, 0x030F02F0,
                  sys.hexversion):
            self.assertIsNone(_core._unsupported(v), hex(v))

    @unittest.skipIf(_wa_testholder is None, "test-only extension _wa_testholder not built")
    def test_argument_held_from_c_is_external(self):
        held = Payload()
        _wa_testholder.hold(held)
        self.addCleanup(_wa_testholder.release)
        (g, _), frame = dumping_callee(self, held)
        # held: the caller's local and C; the callee's argument is the
        # caller's reference (borrowed on 3.14+, its own on older versions)
        self.assertEqual([(r["root"], r.get("excess")) for r in g.roots_of(held)],
                         [("external", 1 + IN_FLIGHT)])
        self.assertIn(("frame_local", "x"), g.edges(frame, held))

    @unittest.skipIf(_wa_testholder is None, "test-only extension _wa_testholder not built")
    def test_argument_held_from_c_through_a_generator(self):
        held = Payload()
        _wa_testholder.hold(held)
        self.addCleanup(_wa_testholder.release)
        test = self

        def gen(y):
            yield dumping_callee(test, y)

        it = gen(held)
        (g, _), frame = next(it)
        self.assertEqual([(r["root"], r.get("excess")) for r in g.roots_of(held)],
                         [("external", 1 + IN_FLIGHT)])
        self.assertIn(("frame_local", "x"), g.edges(frame, held))
        self.assertIsNotNone(g.path(it, held, 3))

    def test_plain_argument_is_no_root(self):
        arg = Payload()
        (g, _), frame = dumping_callee(self, arg)
        self.assertEqual([r.get("excess") for r in g.roots_of(arg)], [IN_FLIGHT] if IN_FLIGHT else [])
        self.assertIn(("frame_local", "x"), g.edges(frame, arg))

    def test_empty_and_deleted_locals(self):
        (g, _), frame = with_empty_locals(self)
        labels = {l for (_, k, l) in g.out[frame] if k == "frame_local"}
        self.assertNotIn("gone", labels)
        self.assertNotIn("unbound", labels)
        self.assertIn("test", labels)

    @unittest.skipIf(sys.version_info < (3, 13), "f_locals writes through (PEP 667) from 3.13")
    def test_local_overwritten_through_f_locals(self):
        g, old, frame, x = overwrite_own_local(self)
        self.assertIn(("frame_local", "x"), g.edges(frame, x))
        if sys.version_info >= (3, 14):
            # 3.13 dropped the old value; 3.14 keeps it (borrowed references
            # to it may live in frames above)
            self.assertIn(old, g.objects)
            self.assertFalse(g.roots_of(old))
            hops = g.path(frame, old, 2)
            self.assertIsNotNone(hops)
            self.assertEqual(hops[0][2:], ("attr", "f_overwritten_fast_locals"))

    @unittest.skipIf(sys.version_info < (3, 14), "__annotate__ (PEP 649) from 3.14")
    def test_annotate_function(self):
        fn = annotated.__annotate__
        g, _ = self.dump()
        self.assertIn(("attr", "__annotate__"), g.edges(annotated, fn))

    def test_finished_generators(self):
        done = gen_holding()
        list(done)
        delegated = outer_gen()
        list(delegated)
        waiting = outer_gen()
        next(waiting)
        g, _ = self.dump()
        for it in (done, delegated, waiting):
            self.assertIn("outer_gen" if it is not done else "gen_holding", g.rec(it).get("name", ""))
        self.assertFalse([e for e in g.out[id(done)] if e[1] == "frame_local"])
        # a suspended `yield from` holds its delegate
        self.assertIsNotNone(g.path(waiting, waiting.gi_yieldfrom, 2))

    @unittest.skipIf(sys.version_info < (3, 15), "lazy imports (PEP 810) from 3.15")
    def test_lazy_import(self):
        ns = {}
        exec("lazy import json as lazy_json", ns)  # module level: a lazy object in the dict
        lazy = [v for v in ns.values() if type(v).__name__ == "lazy_import"]
        self.assertEqual(len(lazy), 1)
        g, _ = self.dump()
        self.assertEqual(g.rec(lazy[0])["type"], "builtins.lazy_import")
        self.assertIn(("dict_value", "'lazy_json'"), g.edges(ns, lazy[0]))

    def test_wrapper_called_through_a_local(self):
        d = whyalive.dump
        path = os.path.join(self.tmp.name, "local.jsonl")
        d(path)
        g = Graph(path)
        self.assertFalse([r for r in g.roots_of(whyalive.dump) if r["root"] == "external"])


if __name__ == "__main__":
    unittest.main()
