"""`whyalive dump --pid` and whyalive.dump_pid(): attach to processes that
never imported whyalive (docs/python-dumper.md, "Attaching").

Each interpreter the build made an extension for gets a small target; every
refusal is checked for its message, exit status 2 and a target that is still
running and unchanged. Needs gdb and the right to ptrace (root here); the
sanitizer build skips (its extension cannot load into a plain interpreter).
"""

import os
import shutil
import subprocess
import sys
import time

import pytest

import attach_support as at
from attach_support import Target, attach

_REFUSED = at.ptrace_refused()
pytestmark = [
    pytest.mark.skipif(os.environ.get("WA_SANITIZED") == "1",
                       reason="the ASan extension cannot be loaded into a plain interpreter"),
    pytest.mark.skipif(bool(_REFUSED), reason=_REFUSED or "ptrace works"),
]

PYS = at.interpreters()
# Under a fetched interpreter's venv (py3.X.test_attach) only its own
# version: the main run covers the others.
if os.environ.get("WA_PY_PACKAGE"):
    own = "%d.%d" % sys.version_info[:2]
    PYS = {v: p for v, p in PYS.items() if v == own}
MAIN = PYS.get("%d.%d" % sys.version_info[:2]) or next(iter(PYS.values()))

sys.path.insert(0, os.environ.get("WA_PY_PACKAGE") or os.path.join(at.WA_BUILD, "python"))
import whyalive  # noqa: E402  (the caller's own package, for loading the dumps)


def leaks_in(path):
    return len(whyalive.load(path).select("type=Leak"))


@pytest.mark.parametrize("version", sorted(PYS, key=lambda v: int(v.split(".")[1])))
def test_attach_each_interpreter(version, tmp_path):
    out = tmp_path / "d.wa"
    with Target(PYS[version], leaks=123) as t:
        before = t.state()
        p = attach(t.pid, "-o", out, "--json")
        assert p.returncode == 0, p.stderr
        doc = __import__("json").loads(p.stdout)
        assert doc["python"] == version and doc["mode"] == "background"
        assert doc["objects"] > 1000 and doc["output"] == str(out)
        after = t.settled_state(before["tasks"])
        assert after == before, "the target's state changed"
        assert after["whyalive"] == []
    assert leaks_in(out) == 123
    st = os.stat(out)
    assert st.st_mode & 0o777 == 0o600


def test_foreground_jsonl_values_default_name(tmp_path):
    with Target(MAIN, leaks=7) as t:
        before = t.state()
        p = subprocess.run([at.WA_BIN, "dump", "--pid", str(t.pid), "--foreground", "--format",
                            "jsonl", "--values", "5"], capture_output=True, text=True,
                           cwd=tmp_path, timeout=120)
        assert p.returncode == 0, p.stderr
        assert "stopped" in p.stdout and "ms by gdb" in p.stdout and "foreground dump" in p.stdout
        assert "sys.modules is unchanged" in p.stderr
        assert t.settled_state(before["tasks"]) == before
    (name,) = os.listdir(tmp_path)
    assert name.startswith(f"whyalive-{t.pid}-") and name.endswith(".jsonl")
    assert leaks_in(tmp_path / name) == 7


@pytest.mark.parametrize("version", sorted(PYS, key=lambda v: int(v.split(".")[1])))
def test_compressed(version, tmp_path):
    # --compress zstd: the default name gets .wa.zst, the target writes zstd
    with Target(PYS[version], leaks=9) as t:
        p = subprocess.run([at.WA_BIN, "dump", "--pid", str(t.pid), "--compress", "zstd", "--json"],
                           capture_output=True, text=True, cwd=tmp_path, timeout=120)
        assert p.returncode == 0, p.stderr
        doc = __import__("json").loads(p.stdout)
        assert doc["compression"] == "zstd" and doc["format"] == "binary"
        # -o NAME.jsonl.gz: JSON Lines, gzip, from the name alone
        p = attach(t.pid, "-o", tmp_path / "named.jsonl.gz", "--foreground")
        assert p.returncode == 0, p.stderr
    (name,) = [n for n in os.listdir(tmp_path) if n.startswith("whyalive-")]
    assert name.startswith(f"whyalive-{t.pid}-") and name.endswith(".wa.zst")
    for n, magic in ((name, b"\x28\xb5\x2f\xfd"), ("named.jsonl.gz", b"\x1f\x8b")):
        with open(tmp_path / n, "rb") as f:
            assert f.read(len(magic)) == magic, n
        assert leaks_in(tmp_path / n) == 9
        assert whyalive.load(tmp_path / n).n_objects == doc["objects"] or n != name
        assert os.stat(tmp_path / n).st_mode & 0o777 == 0o600


def test_python_api(tmp_path):
    with Target(MAIN, leaks=11) as t:
        info = whyalive.dump_pid(t.pid, tmp_path / "api.wa", timeout=20)
        assert info.path == str(tmp_path / "api.wa") and info.objects > 1000
        assert info.pid is None
    assert leaks_in(tmp_path / "api.wa") == 11
    with Target(MAIN, leaks=5) as t:
        info = whyalive.dump_pid(t.pid, tmp_path / "api.wa", timeout=20, compress="gzip")
        assert info.compression == "gzip"
    with open(tmp_path / "api.wa", "rb") as f:
        assert f.read(2) == b"\x1f\x8b"
    assert leaks_in(tmp_path / "api.wa") == 5
    with pytest.raises(ValueError, match="unknown compress"):
        whyalive.dump_pid(1, compress="xz")
    with pytest.raises(whyalive.AttachError, match="no process with pid"):
        whyalive.dump_pid(_dead_pid())


# --- refusals: exit 2, the target running and as it was ------------------------

def _dead_pid():
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def _refused(p, *needles):
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    first = p.stderr.splitlines()[0]
    assert first.startswith("whyalive: error: "), p.stderr
    for n in needles:
        assert n in p.stderr, p.stderr


def test_no_such_pid():
    _refused(attach(_dead_pid()), "no process with pid")


def test_not_python(tmp_path):
    s = subprocess.Popen(["sleep", "30"])
    try:
        _refused(attach(s.pid), "is not a CPython process")
        assert s.poll() is None
    finally:
        s.kill()
        s.wait()


@pytest.mark.parametrize("name,needle", [("python3.8", "runs Python 3.8"),
                                         ("python3.13t", "free-threaded")])
def test_unsupported_python(tmp_path, name, needle):
    fake = tmp_path / name
    shutil.copy("/bin/sleep", fake)
    s = subprocess.Popen([str(fake), "30"])
    try:
        _refused(attach(s.pid), needle)
        assert s.poll() is None
    finally:
        s.kill()
        s.wait()


def _unchanged(t, before):
    assert t.alive()
    assert t.settled_state(before["tasks"]) == before


def test_gdb_missing():
    with Target(MAIN) as t:
        before = t.state()
        env = dict(os.environ, PATH="/nonexistent")
        _refused(attach(t.pid, env=env), "gdb is not installed", "apt-get install gdb")
        _unchanged(t, before)


needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (to run as another user)")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


@needs_root
def test_ptrace_other_user_refused():
    with Target(MAIN) as t:
        before = t.state()
        p = subprocess.run([*NOBODY, at.WA_BIN, "dump", "--pid", str(t.pid)],
                           capture_output=True, text=True, timeout=60, cwd="/tmp")
        _refused(p, "ptrace may not attach", "CAP_SYS_PTRACE", "--cap-add=SYS_PTRACE")
        _unchanged(t, before)


def test_yama_scope_3_refused():
    # This machine may have no Yama: WA_TEST_YAMA_PTRACE_SCOPE stands in for
    # /proc/sys/kernel/yama/ptrace_scope.
    with Target(MAIN) as t:
        before = t.state()
        env = dict(os.environ, WA_TEST_YAMA_PTRACE_SCOPE="3")
        _refused(attach(t.pid, env=env), "kernel.yama.ptrace_scope=3")
        _unchanged(t, before)


@needs_root
def test_yama_scope_1_refuses_a_non_child():
    # the same user, no CAP_SYS_PTRACE, not a descendant: only Yama refuses
    with Target("/usr/bin/python3", prefix=NOBODY) as t:
        before = t.state()
        env = dict(os.environ, WA_TEST_YAMA_PTRACE_SCOPE="1")
        p = subprocess.run([*NOBODY, at.WA_BIN, "dump", "--pid", str(t.pid)], capture_output=True,
                           text=True, timeout=60, env=env, cwd="/tmp")
        _refused(p, "kernel.yama.ptrace_scope=1 allows tracing only descendants")
        _unchanged(t, before)


# Another tracer: PTRACE_SEIZE (does not stop the target); the kernel
# detaches it when the tracer exits.
SEIZER = r"""
import ctypes, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
if libc.ptrace(0x4206, int(sys.argv[1]), None, None) != 0:
    sys.exit("seize failed: errno %d" % ctypes.get_errno())
print("seized", flush=True)
time.sleep(120)
"""


def test_already_traced():
    with Target(MAIN) as t:
        before = t.state()
        tracer = subprocess.Popen(["/usr/bin/python3", "-c", SEIZER, str(t.pid)],
                                  stdout=subprocess.PIPE, text=True)
        try:
            assert tracer.stdout.readline().strip() == "seized"
            _refused(attach(t.pid), "already traced by process", "detach that debugger first")
        finally:
            tracer.kill()
            tracer.wait(timeout=20)
        assert t.alive()
        _unchanged(t, before)


def test_no_extension(tmp_path):
    # a copy of the CLI away from the build tree, a target whose
    # site-packages has no whyalive
    cli = tmp_path / "whyalive"
    shutil.copy(at.WA_BIN, cli)
    with Target(MAIN) as t:
        before = t.state()
        env = {k: v for k, v in os.environ.items() if k != "WHYALIVE_EXTENSION"}
        p = subprocess.run([str(cli), "dump", "--pid", str(t.pid)], capture_output=True,
                           text=True, timeout=60, env=env)
        if p.returncode == 0:
            pytest.skip("whyalive is installed in the target interpreter's site-packages")
        _refused(p, "no whyalive extension for the target's Python", "pip install whyalive",
                 "--extension")
        e = tmp_path / "empty"
        e.mkdir()
        _refused(attach(t.pid, "--extension", e), "no whyalive extension for Python")
        _unchanged(t, before)


def test_extension_for_another_version(tmp_path):
    others = [v for v in PYS if PYS[v] != MAIN]
    if not others:
        pytest.skip("one interpreter only")
    so = next(p for p in os.listdir(os.path.join(at.WA_BUILD, "python-" + others[0], "whyalive"))
              if p.startswith("_core."))
    src = os.path.join(at.WA_BUILD, "python-" + others[0], "whyalive", so)
    with Target(MAIN) as t:
        before = t.state()
        _refused(attach(t.pid, "--extension", src), "built for another Python")
        # renamed so the name says nothing: the target refuses it at load
        # or at start, and runs on
        anon = tmp_path / "anon.so"
        shutil.copy(src, anon)
        _refused(attach(t.pid, "--extension", anon))
        _unchanged(t, before)


GIL_HOG = r"""
import sys, os, json
print(json.dumps({"ready": os.getpid()}), flush=True)
print(sum(range(int(sys.argv[1]))), flush=True)
"""


def test_gil_timeout(tmp_path):
    out = tmp_path / "never.wa"
    # sum() over a range holds the GIL in one C call for seconds: long enough
    # (4-12 s here) to outlast the attach and the 1 s timeout on the fastest
    # interpreter (120M took 0.87 s on 3.11: the dump then ran, and the
    # target exited under it)
    with Target(MAIN, code=GIL_HOG, args=["600000000"]) as t:
        time.sleep(0.2)
        p = attach(t.pid, "-o", out, "--timeout", "1")
        _refused(p, "did not let the dump thread take the GIL within 1 s", "nothing was dumped")
        assert t.proc.stdout.readline().strip() == str(600000000 * 599999999 // 2)
        t.proc.wait(timeout=60)
        assert t.proc.returncode == 0
    assert not out.exists()
    assert not [n for n in os.listdir(tmp_path) if "never" in n]


def test_usage_errors():
    p = subprocess.run([at.WA_BIN, "dump"], capture_output=True, text=True)
    _refused(p, "--pid PID is required")
    p = subprocess.run([at.WA_BIN, "dump", "--pid", "1", "--format", "xml"], capture_output=True,
                       text=True)
    _refused(p, "unknown --format")
    p = subprocess.run([at.WA_BIN, "dump", "--pid", "1", "--compress", "xz"], capture_output=True,
                       text=True)
    _refused(p, "unknown --compress 'xz' (expected none, gzip or zstd)")


UNSHARE = ["unshare", "-m", "--propagation", "private", "sh", "-c",
           'mount -t tmpfs whyalive-test /tmp && exec "$0" "$@"']


@needs_root
@pytest.mark.skipif(shutil.which("unshare") is None, reason="no unshare")
def test_other_mount_namespace(tmp_path):
    # a container's view: its own /tmp, which the caller's paths are not in
    out = tmp_path / "ns.wa"
    with Target(MAIN, leaks=17, prefix=UNSHARE) as t:
        assert os.readlink(f"/proc/{t.pid}/ns/mnt") != os.readlink("/proc/self/ns/mnt")
        before = t.state()
        p = attach(t.pid, "-o", out, "--json")
        assert p.returncode == 0, p.stderr
        doc = __import__("json").loads(p.stdout)
        assert doc["extension_copied"] is True
        assert t.settled_state(before["tasks"]) == before
        # nothing left in the target's /tmp (extension, status, dump)
        assert os.listdir(f"/proc/{t.pid}/root/tmp") == []
    assert leaks_in(out) == 17
    assert os.stat(out).st_mode & 0o777 == 0o600


def test_unwritable_output_exit_3(tmp_path):
    with Target(MAIN) as t:
        before = t.state()
        p = attach(t.pid, "-o", tmp_path / "missing-dir" / "x.wa")
        assert p.returncode == 3, p.stderr
        assert "the dump in process" in p.stderr and "failed" in p.stderr
        _unchanged(t, before)
    assert not (tmp_path / "missing-dir").exists()


def test_help_lists_the_options():
    p = subprocess.run([at.WA_BIN, "dump", "--help"], capture_output=True, text=True)
    assert p.returncode == 0
    for opt in ("--pid", "--output", "--format", "--compress", "--values", "--tracemalloc", "--foreground",
                "--timeout", "--extension", "--gdb"):
        assert opt in p.stdout


@needs_root
def test_target_of_another_user():
    # root dumps nobody's process: the extension is copied where nobody can
    # read it, the file is written by nobody, mode 0600
    import tempfile
    d = tempfile.mkdtemp(prefix="wa-attach-other-")
    try:
        os.chmod(d, 0o777)
        out = os.path.join(d, "other.wa")
        with Target("/usr/bin/python3", leaks=5, prefix=NOBODY) as t:
            before = t.state()
            p = attach(t.pid, "-o", out, "--json")
            assert p.returncode == 0, p.stderr
            assert __import__("json").loads(p.stdout)["extension_copied"] is True
            _unchanged(t, before)
        st = os.stat(out)
        assert st.st_uid == 65534 and st.st_mode & 0o777 == 0o600
        assert leaks_in(out) == 5
    finally:
        shutil.rmtree(d, ignore_errors=True)
