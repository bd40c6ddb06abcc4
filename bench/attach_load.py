#!/usr/bin/env python3
"""Attach to a busy service again and again: `whyalive dump --pid` under load.

Starts the example service (its fixed route, no debug endpoints: it never
imports whyalive) on 127.0.0.1, keeps a bounded request loop running against
it from client threads, and then

1. attaches --attaches times (default 50): every request must succeed; the
   latency of the requests that overlapped an attach is reported against the
   requests that did not; the service's thread count and open descriptors
   must be as before and its RSS back within 5% once the dump children exit;
2. starts --kills more attaches (default 20) and SIGKILLs the `whyalive`
   process at a random moment of each: the service must never die, hang,
   stay stopped or stay traced (gdb, in its own session, finishes and
   detaches by itself).

Exit status 0 when every check holds, 1 otherwise. The figures go to stdout
(and --json FILE). The CI runs a short version (tests/python/test_attach_load.py:
5 and 5); `bench/run.sh attach` runs the full counts into bench/RESULTS.md:

    nice -n 10 python3 bench/attach_load.py --build build-bench
"""

import argparse
import glob
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "python"))


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)


def snapshot(pid):
    st = proc_status(pid)
    return {"threads": int(st["Threads"]), "fds": len(os.listdir(f"/proc/{pid}/fd")),
            "rss_kib": int(st["VmRSS"].split()[0]), "state": st["State"].split()[0],
            "tracer": int(st["TracerPid"])}


class Load:
    """Client threads posting to the service until stopped; each request's
    (start, end, ok)."""

    def __init__(self, url, clients=2):
        self.url = url
        self.stop = threading.Event()
        self.running = threading.Event()
        self.running.set()
        self.busy = 0
        self.records = []
        self.errors = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.run, args=(i,), daemon=True)
                        for i in range(clients)]

    def run(self, i):
        rng = random.Random(i)
        while not self.stop.is_set():
            if not self.running.wait(0.1):
                continue
            with self.lock:
                self.busy += 1
            body = rng.randbytes(8000)
            req = urllib.request.Request(self.url + "/transcriptions", data=body, headers={
                "Content-Type": "application/octet-stream", "Connection": "close"})
            t0 = time.monotonic()
            try:
                with urllib.request.urlopen(req, timeout=60) as r:
                    ok = r.status == 200 and json.loads(r.read())["text"]
            except Exception as e:  # every failure is reported
                ok = False
                with self.lock:
                    self.errors.append(repr(e))
            t1 = time.monotonic()
            with self.lock:
                self.records.append((t0, t1, bool(ok)))
                self.busy -= 1

    def pause(self):
        """Stop sending and wait for the requests in flight (the service's
        descriptors are then its own, not connections)."""
        self.running.clear()
        while True:
            with self.lock:
                if self.busy == 0:
                    break
            time.sleep(0.01)
        time.sleep(0.5)

    def resume(self):
        self.running.set()

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=120)


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))]


def wait_settled(pid, want=None, timeout=30):
    """Until the target is not traced (and, with want, its threads and fds
    are back to want's)."""
    deadline = time.monotonic() + timeout
    while True:
        s = snapshot(pid)
        same = want is None or (s["threads"] == want["threads"] and s["fds"] == want["fds"])
        if (same and s["tracer"] == 0) or time.monotonic() > deadline:
            return s
        time.sleep(0.05)


def kill_phase(a, rng, wa_bin, pid, svc, work, durations, failures, fig):
    """SIGKILL the CLI at random moments of --kills attaches."""
    # SIGKILL the CLI at random moments
    typical = statistics.median(durations) if durations else 1.0
    killed_at = []
    status_before = set(glob.glob("/tmp/whyalive-status-*"))
    for i in range(a.kills):
        at = rng.uniform(0.0, typical * 1.2)
        killed_at.append(at)
        p = subprocess.Popen([wa_bin, "dump", "--pid", str(pid), "-o",
                              os.path.join(work, f"k{i}.wa"), "--timeout", "20"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(at)
        p.send_signal(signal.SIGKILL)
        p.wait()
        s = wait_settled(pid, timeout=40)
        if svc.proc.poll() is not None:
            failures.append(f"kill {i} at {at:.3f}s: the service died ({svc.proc.returncode})")
            break
        if s["tracer"] != 0 or s["state"] in ("T", "t"):
            failures.append(f"kill {i} at {at:.3f}s: the service is left {s}")
            break
        try:
            with urllib.request.urlopen(svc.url + "/healthz", timeout=10) as r:
                if r.status != 200:
                    failures.append(f"kill {i}: /healthz {r.status}")
        except Exception as e:
            failures.append(f"kill {i} at {at:.3f}s: the service does not answer: {e!r}")
            break
    fig["kill_moments_s"] = [round(x, 3) for x in killed_at]
    # the dump threads of killed attaches remove their status files
    deadline = time.monotonic() + 30
    while True:
        left = set(glob.glob("/tmp/whyalive-status-*")) - status_before
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if left:
        failures.append(f"status files left behind: {sorted(left)}")


def markdown(fig):
    """The figures as the body of bench/RESULTS.md's attach section."""
    f = lambda v, d=1: "n/a" if v is None else f"{v:.{d}f}"  # noqa: E731
    b, a = fig["before"], fig["after"]
    lines = [
        f"{fig['attaches']} attaches of `whyalive dump --pid` (background mode) to the example "
        f"service (fixed route, no debug endpoints) while {fig['clients']} client threads post "
        f"8 KB transcriptions on loopback; then {fig['kills']} attaches whose `whyalive` is "
        "SIGKILLed at a random moment (`bench/attach_load.py`).",
        "",
        "| measure | value |",
        "|---|---:|",
        f"| requests / failed | {fig['requests']} / {fig['failed_requests']} |",
        f"| attach wall time, median / max | {f(fig['attach_s_median'], 2)} s / "
        f"{f(fig['attach_s_max'], 2)} s |",
        f"| target stopped by gdb (ptrace), median / max | {f(fig['stopped_ms_median'])} ms / "
        f"{f(fig['stopped_ms_max'])} ms |",
        f"| target paused for the fork (GIL held), median / max | {f(fig['pause_ms_median'])} ms "
        f"/ {f(fig['pause_ms_max'])} ms |",
        f"| request latency p50 / p99, no attach | {f(fig['latency_ms_p50_idle'])} ms / "
        f"{f(fig['latency_ms_p99_idle'])} ms |",
        f"| request latency p50 / p99 / max, overlapping an attach | "
        f"{f(fig['latency_ms_p50_attach'])} ms / {f(fig['latency_ms_p99_attach'])} ms / "
        f"{f(fig['latency_ms_max_attach'])} ms |",
        f"| threads, open fds before -> after | {b['threads']}, {b['fds']} -> {a['threads']}, "
        f"{a['fds']} |",
        f"| RSS before -> after (children exited) | {b['rss_kib']} KiB -> {a['rss_kib']} KiB "
        f"({fig['rss_change_pct']:+.1f}%) |",
        f"| SIGKILLed attaches: service dead / hung / left stopped or traced | "
        f"{'none' if not fig['failures'] else 'see failures'} |",
        "",
        "Checks (exit status 0 only if all hold): every request succeeds; threads and fds "
        "unchanged; RSS within 5%; after each SIGKILL the service is alive, untraced, not "
        "stopped and answers /healthz; no status file left in /tmp. Failures: "
        + ("none." if not fig["failures"] else "; ".join(fig["failures"])),
    ]
    return "\n".join(lines)


def main(argv=None):
    if argv is None and len(sys.argv) == 3 and sys.argv[1] == "--format-md":
        with open(sys.argv[2]) as fh:
            print(markdown(json.load(fh)))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.environ.get("WA_BUILD", os.path.join(HERE, "..", "build")))
    ap.add_argument("--attaches", type=int, default=50)
    ap.add_argument("--kills", type=int, default=20)
    ap.add_argument("--clients", type=int, default=2)
    ap.add_argument("--json", help="write the figures here too")
    ap.add_argument("--seed", type=int, default=16)
    a = ap.parse_args(argv)
    build = os.path.abspath(a.build)
    os.environ.setdefault("WA_BUILD", build)
    os.environ.setdefault("WA_BIN", os.path.join(build, "whyalive"))
    import example_support as ex  # reads WA_BUILD / WA_BIN
    wa_bin = ex.WA_BIN
    rng = random.Random(a.seed)
    failures = []
    fig = {"attaches": a.attaches, "kills": a.kills, "clients": a.clients}
    work = tempfile.mkdtemp(prefix="wa-attach-load-")
    orig_env = ex.service_env

    def no_whyalive_env(**extra):
        env = orig_env(**extra)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in env["PYTHONPATH"].split(os.pathsep) if p != ex.WA_PY_PACKAGE)
        return env
    ex.service_env = no_whyalive_env
    svc = ex.Service(work, leak="none", token=False).__enter__()
    ex.service_env = orig_env
    pid = svc.proc.pid
    try:
        with Load(svc.url, a.clients) as load:
            time.sleep(2.0)  # warm up: first requests import and allocate
            load.pause()
            before = snapshot(pid)
            load.resume()
            windows = []
            durations, pauses, stops = [], [], []
            for i in range(a.attaches):
                out = os.path.join(work, "d.wa")
                t0 = time.monotonic()
                p = subprocess.run([wa_bin, "dump", "--pid", str(pid), "-o", out, "--json",
                                    "--timeout", "60"], capture_output=True, text=True, timeout=300)
                t1 = time.monotonic()
                windows.append((t0, t1))
                if p.returncode != 0:
                    failures.append(f"attach {i}: exit {p.returncode}: {p.stderr.strip()}")
                    continue
                doc = json.loads(p.stdout)
                durations.append(t1 - t0)
                pauses.append(doc["pause_seconds"])
                stops.append(doc["stopped_seconds"])
                os.unlink(out)
                time.sleep(rng.uniform(0.05, 0.3))
            load.pause()
            after = wait_settled(pid, before)
            load.resume()
            kill_phase(a, rng, wa_bin, pid, svc, work, durations, failures, fig)
            load.pause()
            fig["after_kills"] = wait_settled(pid, before)
            for k in ("threads", "fds"):
                if fig["after_kills"][k] != before[k]:
                    failures.append(f"after the kills the service's {k} changed: {before[k]} -> "
                                    f"{fig['after_kills'][k]}")
        in_win, out_win = [], []
        for (s, e, ok) in load.records:
            (in_win if any(s < w1 and e > w0 for w0, w1 in windows) else out_win).append(e - s)
        bad = sum(1 for r in load.records if not r[2])
        fig.update({
            "requests": len(load.records), "failed_requests": bad,
            "attach_s_median": statistics.median(durations) if durations else None,
            "attach_s_max": max(durations) if durations else None,
            "pause_ms_median": 1e3 * statistics.median(pauses) if pauses else None,
            "pause_ms_max": 1e3 * max(pauses) if pauses else None,
            "stopped_ms_median": 1e3 * statistics.median(stops) if stops else None,
            "stopped_ms_max": 1e3 * max(stops) if stops else None,
            "latency_ms_p50_idle": 1e3 * pct(out_win, 0.5),
            "latency_ms_p99_idle": 1e3 * pct(out_win, 0.99),
            "latency_ms_p50_attach": 1e3 * pct(in_win, 0.5),
            "latency_ms_p99_attach": 1e3 * pct(in_win, 0.99),
            "latency_ms_max_attach": 1e3 * max(in_win) if in_win else None,
            "before": before, "after": after,
        })
        if bad:
            failures.append(f"{bad} of {len(load.records)} requests failed: {load.errors[:3]}")
        if not load.records:
            failures.append("no request completed")
        for k in ("threads", "fds"):
            if after[k] != before[k]:
                failures.append(f"the service's {k} changed: {before[k]} -> {after[k]}")
        rss_change = (after["rss_kib"] - before["rss_kib"]) / before["rss_kib"]
        fig["rss_change_pct"] = 100 * rss_change
        if abs(rss_change) > 0.05:
            failures.append(f"RSS {before['rss_kib']} KiB -> {after['rss_kib']} KiB "
                            f"({100 * rss_change:+.1f}%, more than 5%)")

    finally:
        svc.stop()
        shutil.rmtree(work, ignore_errors=True)
    fig["failures"] = failures
    for k, v in fig.items():
        if k not in ("before", "after", "after_kills", "kill_moments_s"):
            print(f"{k:24} {v}")
    print(f"{'before':24} {fig.get('before')}")
    print(f"{'after':24} {fig.get('after')}")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(fig, f, indent=1)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
