"""Shared helpers of the tests/python/test_api_*.py files (issue 7)."""
import glob
import json
import math
import os
import subprocess

SRC = os.environ.get("WA_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BUILD = os.environ.get("WA_BUILD", os.path.join(SRC, "build"))
BIN = os.environ.get("WA_BIN", os.path.join(BUILD, "whyalive"))
FIXTURES = os.environ.get("WA_FIXTURES", os.path.join(SRC, "tests", "fixtures"))
STT_LEAK = os.path.join(SRC, "examples", "snapshots", "stt-leak.jsonl")


def fixture_snapshots():
    """Every analysis fixture and the bundled example dump."""
    files = sorted(glob.glob(os.path.join(FIXTURES, "analysis", "*.jsonl")))
    files += sorted(glob.glob(os.path.join(FIXTURES, "*.jsonl")))
    files += sorted(glob.glob(os.path.join(FIXTURES, "graph", "*.jsonl")))
    if os.path.exists(STT_LEAK):
        files.append(STT_LEAK)
    return files


def cli_json(*args):
    """Run `whyalive ARGS --json` and parse its document."""
    out = subprocess.run([BIN, *args, "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"whyalive {' '.join(args)}: exit {out.returncode}: {out.stderr}"
    return json.loads(out.stdout)


def same(a, b, path="$"):
    """Deep equality with floats compared to 1e-12 relative (the CLI prints
    doubles with 15 significant digits). Returns None or where they differ."""
    if isinstance(a, float) or isinstance(b, float):
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and \
                math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300):
            return None
        return f"{path}: {a!r} != {b!r}"
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return f"{path}: keys differ: only python {sorted(set(a) - set(b))}, " \
                   f"only cli {sorted(set(b) - set(a))}"
        for k in a:
            d = same(a[k], b[k], f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: lengths {len(a)} != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            d = same(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    if type(a) is bool or type(b) is bool:
        return None if a is b else f"{path}: {a!r} != {b!r}"
    return None if a == b else f"{path}: {a!r} != {b!r}"
