"""Row "pyapi" of bench/run.sh (issue 7), run by bench/bench_pyapi.sh.

  offline SNAP    load a snapshot and read every object's type from Python,
                  three ways (bulk list of names, type-index column, handles);
  live N          build a live heap of about N gc-tracked objects and time
                  whyalive.type_counts() next to objgraph.most_common_types()
                  in the same process (best of R runs each).

Prints `key value` lines; the shell script formats the table.
"""
import gc
import sys
import time

import whyalive


def best(fn, runs):
    times = []
    out = None
    for _ in range(runs):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def offline(path, runs):
    def load_types():
        with whyalive.load(path) as snap:
            types = snap.types()
            return len(types)
    t, n = best(load_types, runs)
    print(f"objects {n}")
    print(f"load_types_s {t:.3f}")

    def load_column():
        with whyalive.load(path) as snap:
            names = snap.type_names()
            col = snap.column("type")
            return sum(1 for i in col if names[i])  # touch every object from Python
    t, _ = best(load_column, runs)
    print(f"load_column_s {t:.3f}")
    t, _ = best(lambda: whyalive.load(path).close(), runs)
    print(f"load_only_s {t:.3f}")

    def handles():
        with whyalive.load(path) as snap:
            return sum(1 for o in snap.objects() if o.type)
    t, _ = best(handles, 1)
    print(f"load_handles_s {t:.3f}")


class Request:
    def __init__(self, i):
        # a dict holding only atomic values is untracked: this one holds the list
        self.chunks = [i]
        self.payload = {"chunks": self.chunks}


def live(n, runs):
    import objgraph
    # each Request: the instance, its dict value and its list: 3 tracked objects
    heap = [Request(i) for i in range(n // 3)]
    gc.collect()
    print(f"tracked {len(gc.get_objects())}")
    t_ours, ours = best(lambda: whyalive.type_counts(), runs)
    t_most, _ = best(lambda: whyalive.most_common_types(10), runs)
    t_og, theirs = best(lambda: objgraph.most_common_types(10), runs)
    t_ts, stats = best(lambda: objgraph.typestats(), runs)
    t_getobj, _ = best(lambda: len(gc.get_objects()), runs)
    assert ours[f"{Request.__module__}.Request"] == stats["Request"] == len(heap), "counts differ"
    print(f"type_counts_s {t_ours:.4f}")
    print(f"most_common_types_s {t_most:.4f}")
    print(f"objgraph_most_common_types_s {t_og:.4f}")
    print(f"objgraph_typestats_s {t_ts:.4f}")
    print(f"gc_get_objects_s {t_getobj:.4f}")
    print(f"speedup {t_og / t_most:.1f}")
    print(f"walk {whyalive._core.GC_WALK}")
    t_prom, _ = best(lambda: whyalive.prometheus_text(types=["Request", "dict"],
                                                      module_prefixes=[Request.__module__]), runs)
    print(f"prometheus_text_s {t_prom:.4f}")
    del heap


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "offline":
        offline(sys.argv[2], int(sys.argv[3]) if len(sys.argv) > 3 else 3)
    else:
        live(int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 3)
