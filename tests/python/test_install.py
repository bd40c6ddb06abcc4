"""whyalive installed the way Python users install tools (issue 13).

One pip build of the checkout (module fixture) into a fresh venv with build
isolation (scikit-build-core from PyPI, pyproject.toml), then: the `whyalive`
command on the venv's PATH, `python -m whyalive` (same output, same exit
codes), `import whyalive`, `whyalive help TOPIC` from the installed package,
no --help pointing at docs/ paths, nothing written into the source tree. A
second build, `pip wheel .`, gives a wheel that installs and runs in another
venv with no compiler on PATH; `python -m build --sdist` gives an sdist that
builds. A missing system library (hidden in a private mount namespace) is one
line naming the Debian package, at import and at CLI start. Importing a build
made for another interpreter says which and what to do.

Registered once (ctest label `pip`, main interpreter only, not under ASan):
the builds are the slow part.
"""
import glob
import os
import re
import shutil
import subprocess
import sys
import venv

import pytest

SRC = os.environ.get("WA_SRC") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("WA_BUILD", "")
# `build` for the sdist (the one tool the test needs beyond pip), pinned.
BUILD_TOOL = "build==1.2.2.post1"


def run(cmd, **kw):
    # the installed package, never the build tree's (ctest puts it on PYTHONPATH)
    kw.setdefault("env", {k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    kw.setdefault("timeout", 900)
    return subprocess.run(cmd, **kw)


def make_venv(path):
    venv.EnvBuilder(with_pip=True, clear=True).create(str(path))
    return os.path.join(str(path), "bin")


def tree_state():
    """The files in the source tree that git does not track (untracked or
    ignored, build*/ trees aside), and its top-level entries: a build that
    writes into the checkout (build-pip/, _skbuild/, *.egg-info) adds some."""
    top = sorted(os.listdir(SRC))
    extra = []
    if shutil.which("git") and os.path.exists(os.path.join(SRC, ".git")):
        out = run(["git", "-C", SRC, "status", "--porcelain", "--ignored", "--untracked-files=all",
                   "--", ".", ":!build*"]).stdout
        extra = sorted(line for line in out.splitlines() if line[:2] in ("??", "!!"))
    return top, extra


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    before = tree_state()
    bindir = make_venv(tmp_path_factory.mktemp("venv") / "v")
    out = run([os.path.join(bindir, "python"), "-m", "pip", "install", "--quiet", SRC])
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert tree_state() == before, "pip install . wrote into the source tree"
    return bindir


def project_version():
    with open(os.path.join(SRC, "CMakeLists.txt")) as f:
        return re.search(r"project\(whyalive\s+VERSION\s+([0-9.]+)", f.read()).group(1)


def test_command_on_path_and_python_m(installed):
    env = dict(os.environ, PATH=installed + os.pathsep + os.environ.get("PATH", ""))
    env.pop("PYTHONPATH", None)
    cli = run(["whyalive", "--help"], env=env)
    assert cli.returncode == 0, cli.stderr
    assert shutil.which("whyalive", path=env["PATH"]) == os.path.join(installed, "whyalive")
    assert "usage: whyalive COMMAND" in cli.stdout and "paths" in cli.stdout
    mod = run([os.path.join(installed, "python"), "-m", "whyalive", "--help"], env=env)
    assert (mod.returncode, mod.stdout) == (0, cli.stdout)
    # the same program: same output and exit code on errors and --version
    for args in (["--version"], ["help", "no-such-topic"], ["summary", "/nonexistent.wa"], []):
        a = run(["whyalive", *args], env=env)
        b = run([os.path.join(installed, "python"), "-m", "whyalive", *args], env=env)
        assert (a.returncode, a.stdout, a.stderr) == (b.returncode, b.stdout, b.stderr), args
    assert run(["whyalive", "help", "no-such-topic"], env=env).returncode == 2
    assert run(["whyalive", "--version"], env=env).stdout.startswith(f"whyalive {project_version()} ")


def test_import_and_one_version(installed):
    out = run([os.path.join(installed, "python"), "-c",
               "import whyalive, importlib.metadata as m; print(whyalive.__version__, m.version('whyalive'),"
               " whyalive.__file__)"], env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"})
    assert out.returncode == 0, out.stderr
    ver, dist, path = out.stdout.split()
    assert ver == dist == project_version()
    assert path.startswith(os.path.dirname(installed)), "imported from outside the venv"


def test_help_documents_from_the_package(installed):
    wa = os.path.join(installed, "whyalive")
    for topic, doc in (("selectors", "selectors.md"), ("json", "json.md"), ("format", "format.md"),
                       ("pictures", "graph.md")):
        out = run([wa, "help", topic])
        assert out.returncode == 0, out.stderr
        with open(os.path.join(SRC, "docs", doc)) as f:
            assert out.stdout == f.read(), topic
    # no --help sends an installed user to a docs/ path
    top = run([wa, "--help"]).stdout
    commands = re.findall(r"^  ([a-z]+) ", top.split("documents")[0], re.M)
    assert len(commands) >= 8
    for c in ["--help"] + [f"{c} --help" for c in commands]:
        text = run([wa, *c.split()]).stdout
        assert "docs/" not in text, f"whyalive {c} mentions docs/"


def test_wheel_installs_without_a_compiler(tmp_path):
    before = tree_state()
    tools = make_venv(tmp_path / "tools")
    wheels = tmp_path / "wheels"
    out = run([os.path.join(tools, "python"), "-m", "pip", "wheel", "--quiet", "--no-deps",
               "-w", str(wheels), SRC])
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert tree_state() == before, "pip wheel . wrote into the source tree"
    (whl,) = glob.glob(str(wheels / "whyalive-*.whl"))
    target = make_venv(tmp_path / "target")
    # no compiler, no cmake: only the venv's own bin/ and the basic tools
    bare = {"PATH": target + os.pathsep + "/usr/bin:/bin", "HOME": str(tmp_path),
            "CC": "/nonexistent/cc", "PIP_NO_INDEX": "1"}
    empty = tmp_path / "nocc"
    empty.mkdir()
    for cc in ("cc", "gcc", "cmake", "clang"):
        (empty / cc).write_text("#!/bin/sh\necho compiler called >&2; exit 99\n")
        (empty / cc).chmod(0o755)
    bare["PATH"] = f"{target}{os.pathsep}{empty}{os.pathsep}/usr/bin:/bin"
    out = run([os.path.join(target, "python"), "-m", "pip", "install", "--quiet", whl], env=bare)
    assert out.returncode == 0, out.stderr
    assert "compiler called" not in out.stderr
    out = run(["whyalive", "--help"], env=bare)
    assert out.returncode == 0 and "usage: whyalive" in out.stdout, out.stderr
    out = run(["python", "-c", "import whyalive; print(whyalive.__version__)"], env=bare)
    assert out.returncode == 0 and out.stdout.strip() == project_version(), out.stderr


def test_sdist_builds(tmp_path):
    tools = make_venv(tmp_path / "tools")
    out = run([os.path.join(tools, "python"), "-m", "pip", "install", "--quiet", BUILD_TOOL])
    assert out.returncode == 0, out.stderr
    before = tree_state()
    out = run([os.path.join(tools, "python"), "-m", "build", "--sdist", "--outdir",
               str(tmp_path / "dist"), SRC])
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert tree_state() == before, "python -m build --sdist wrote into the source tree"
    (sdist,) = glob.glob(str(tmp_path / "dist" / f"whyalive-{project_version()}.tar.gz"))
    out = run([os.path.join(tools, "python"), "-m", "pip", "wheel", "--quiet", "--no-deps",
               "-w", str(tmp_path / "w"), sdist])
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert glob.glob(str(tmp_path / "w" / "whyalive-*.whl"))


def hide_library(soname, argv, env=None):
    """Run argv with `soname` unreadable (a private mount namespace binds
    /dev/null over it), as on a machine without the package."""
    paths = [p for p in glob.glob(f"/usr/lib/*/{soname}") + glob.glob(f"/lib/*/{soname}")
             if os.path.exists(p)]
    if not paths or not shutil.which("unshare"):
        pytest.skip(f"cannot hide {soname}: not found or no unshare")
    script = "".join(f"mount --bind /dev/null {os.path.realpath(p)} && " for p in set(paths))
    probe = run(["unshare", "--mount", "sh", "-c", "true"])
    if probe.returncode != 0:
        pytest.skip(f"no private mount namespace here (unshare: {probe.stderr.strip()})")
    return run(["unshare", "--mount", "sh", "-c", script + 'exec "$@"', "sh", *argv], env=env)


@pytest.mark.parametrize("soname,package", [("libcjson.so.1", "libcjson1"),
                                            ("libcgraph.so.6", "libcgraph6")])
def test_missing_system_library_is_one_line(installed, soname, package):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    py = os.path.join(installed, "python")
    for argv in ([os.path.join(installed, "whyalive"), "--help"], [py, "-m", "whyalive", "--help"]):
        out = hide_library(soname, argv, env)
        assert out.returncode == 4, (argv, out.stderr)
        assert out.stdout == ""
        lines = out.stderr.splitlines()
        assert len(lines) == 1, out.stderr
        assert soname in lines[0] and f"Debian package {package}" in lines[0]
    out = hide_library(soname, [py, "-c", "import whyalive"], env)
    assert out.returncode == 1
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: ") and f"Debian package {package}" in last
    assert "partially initialized" not in out.stderr


def other_interpreter_builds():
    """The packages this build tree made for other interpreters (BUILD/python-3.X)."""
    if not BUILD:
        return []
    mine = "%d.%d" % sys.version_info[:2]
    return sorted(d for d in glob.glob(os.path.join(BUILD, "python-3.*"))
                  if os.path.isfile(os.path.join(d, "whyalive", "_build.py")) and not d.endswith(mine))


def test_wrong_interpreter_says_which_and_what_to_do():
    builds = other_interpreter_builds()
    if not builds:
        pytest.skip("this build tree has no package for another interpreter (WA_EXTRA_PYTHONS, "
                    "scripts/get-pythons.sh)")
    for d in builds:
        ver = d.rsplit("-", 1)[1]
        env = dict(os.environ, PYTHONPATH=d)
        out = run([sys.executable, "-c", "import whyalive"], env=env)
        assert out.returncode == 1
        last = out.stderr.strip().splitlines()[-1]
        assert "partially initialized" not in out.stderr
        assert f"was built for CPython {ver}" in last, last
        assert "CPython %d.%d" % sys.version_info[:2] in last and "-m pip install" in last, last
        # the CLI through that package: one line, exit 4
        out = run([sys.executable, "-m", "whyalive", "--help"], env=env)
        assert out.returncode == 4 and len(out.stderr.splitlines()) == 1, out.stderr
        assert f"was built for CPython {ver}" in out.stderr
