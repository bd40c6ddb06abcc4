"""Helpers for the attach tests (test_attach*.py): targets that never import
whyalive, run under any interpreter, and the CLI's `dump --pid`."""

import glob
import json
import os
import subprocess
import time

WA_BIN = os.environ.get("WA_BIN", "")
WA_BUILD = os.environ.get("WA_BUILD", "")

# A target: holds LEAKS instances of Leak, then answers each line on stdin
# with its state (blocked in a read between lines).
TARGET = r"""
import json, os, signal, sys, threading
class Leak: pass
keep = [Leak() for _ in range(int(sys.argv[1]))]
def state():
    return {"modules": sorted(sys.modules), "threads": threading.active_count(),
            "tasks": len(os.listdir("/proc/self/task")),
            "fds": sorted(os.listdir("/proc/self/fd")),
            "handlers": [repr(signal.getsignal(s)) for s in range(1, signal.NSIG)
                         if s not in (signal.SIGKILL, signal.SIGSTOP) and s < 32],
            "whyalive": [m for m in sys.modules if "whyalive" in m]}
print(json.dumps({"ready": os.getpid()}), flush=True)
for line in sys.stdin:
    if line.strip() == "quit":
        break
    print(json.dumps(state()), flush=True)
"""


def interpreters():
    """{"3.X": python} for every interpreter this build made an extension
    for (BUILD/python-3.X, plus the main one in BUILD/python)."""
    found = {}
    main = glob.glob(os.path.join(WA_BUILD, "python", "whyalive", "_core.cpython-3*.so"))
    if main:
        found[_ver(main[0])] = "/usr/bin/python3"
    candidates = {
        "3.9": "/root/.pyenv/versions/3.9.18/bin/python3",
        "3.10": "/root/.pyenv/versions/3.10.13/bin/python3",
        "3.12": "/root/.pyenv/versions/3.12.1/bin/python3",
        "3.13": "/root/.pyenv/versions/3.13.0/bin/python3",
    }
    cache = os.environ.get("WA_PYTHONS_CACHE") or os.path.expanduser("~/.cache/whyalive/pythons")
    for v in ("3.14", "3.15"):
        candidates[v] = os.path.join(cache, v, "bin", "python" + v)
    for v, py in candidates.items():
        if os.path.isdir(os.path.join(WA_BUILD, "python-" + v)) and os.access(py, os.X_OK):
            found[v] = py
    return found


def _ver(so):
    tag = os.path.basename(so).split(".")[1]  # cpython-311-x86_64-linux-gnu
    digits = tag.split("-")[1]
    return digits[0] + "." + digits[1:]


class Target:
    """A target process (never imports whyalive); a context manager that
    always ends it (by its own pid)."""

    def __init__(self, python, leaks=100, code=TARGET, args=None, env=None, prefix=()):
        e = dict(os.environ if env is None else env)
        for k in ("PYTHONPATH", "LD_PRELOAD", "PYTHONHOME"):
            e.pop(k, None)
        self.proc = subprocess.Popen([*prefix, python, "-c", code, *(args or [str(leaks)])],
                                     env=e, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     text=True, cwd="/tmp")
        first = self.proc.stdout.readline()
        assert first, f"target {python} did not start"
        self.pid = self.proc.pid

    def state(self):
        self.proc.stdin.write("state\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def settled_state(self, want_tasks, timeout=10):
        """The state once the dump thread has left (its task count back)."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.state()
            if s["tasks"] == want_tasks or time.monotonic() > deadline:
                return s
            time.sleep(0.05)

    def alive(self):
        return self.proc.poll() is None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def attach(pid, *args, env=None, timeout=120):
    """`whyalive dump --pid PID ARGS`: the CompletedProcess (text)."""
    return subprocess.run([WA_BIN, "dump", "--pid", str(pid), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env)


def ptrace_refused():
    """Why this machine cannot ptrace a process it started (a container
    without CAP_SYS_PTRACE, Yama 3), or "" when it can: the attach tests skip
    with that reason rather than fail on the environment."""
    import shutil
    if shutil.which("gdb") is None:
        return "gdb is not installed"
    s = subprocess.Popen(["sleep", "30"])
    try:
        p = subprocess.run(["gdb", "-nx", "-q", "--batch", "-p", str(s.pid), "-ex", "detach"],
                           capture_output=True, text=True, timeout=60)
        text = p.stdout + p.stderr
        if "not permitted" in text or "ptrace:" in text:
            return "this machine refuses ptrace: " + text.strip().splitlines()[-1]
        return ""
    finally:
        s.kill()
        s.wait()
