"""Why ``whyalive._core`` did not import, said in one line.

Two things go wrong outside a developer's build tree, and the loader's own
words for them are no help:

* a system library the extension links (Graphviz's libcgraph/libgvc, cJSON)
  is missing: the answer names the Debian package to install;
* the package was built for another interpreter (a build tree's
  ``BUILD/python-3.12`` on 3.11's path, a copied site-packages): there is no
  ``_core`` for this interpreter's ABI, and Python only says "cannot import
  name '_core' from partially initialized module". The answer says which
  interpreter it was built for and what to do.

Pure Python, standard library only: it runs when ``_core`` cannot.
"""

from __future__ import annotations

import glob
import os
import platform
import re
import sys
import sysconfig

# Libraries the extension and the CLI link, with their Debian packages (the
# same names on Debian 12 and 13). Others are named by Debian's rule:
# libfoo.so.N is in package libfooN.
DEBIAN_PACKAGES = {
    "libcgraph.so.6": "libcgraph6",
    "libgvc.so.6": "libgvc6",
    "libcdt.so.5": "libcdt5",
    "libpathplan.so.4": "libpathplan4",
    "libxdot.so.4": "libxdot4",
    "libcjson.so.1": "libcjson1",
}

_LIB = re.compile(r"(lib[A-Za-z0-9_+.-]*?\.so(?:\.[0-9]+)*)\s*:\s*([^:]*)")


def debian_package(soname: str) -> str:
    """The Debian package that ships `soname` (``libcgraph.so.6`` -> ``libcgraph6``)."""
    if soname in DEBIAN_PACKAGES:
        return DEBIAN_PACKAGES[soname]
    m = re.fullmatch(r"(lib.+?)\.so\.([0-9]+)(?:\.[0-9]+)*", soname)
    if not m:
        return soname.split(".so")[0]
    stem, ver = m.groups()
    return f"{stem}-{ver}" if stem[-1].isdigit() else f"{stem}{ver}"


def this_python() -> str:
    return f"{platform.python_implementation()} {sys.version_info[0]}.{sys.version_info[1]}"


def explain(exc: BaseException, package_dir: str) -> "str | None":
    """One line saying why `_core` failed to import with `exc`, or None when
    it is neither a missing library nor another interpreter's build."""
    text = str(exc)
    m = _LIB.search(text)
    if m and ("shared object" in text or "too short" in text or "cannot open" in text
              or "version" in text or "invalid ELF" in text):
        soname, why = m.group(1), m.group(2).strip().rstrip(".")
        pkg = debian_package(soname)
        return (f"whyalive cannot load the system library {soname} ({why}): "
                f"install the Debian package {pkg} (apt-get install {pkg})")
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    if os.path.exists(os.path.join(package_dir, "_core" + suffix)):
        return None
    others = sorted(os.path.basename(p) for p in glob.glob(os.path.join(package_dir, "_core.*")))
    others = [p for p in others if not p.endswith((".pyi", ".py"))]
    built_for, built_python = None, None
    try:
        from . import _build  # written next to _core by the build

        built_for, built_python = _build.BUILT_FOR, _build.BUILT_PYTHON
    except ImportError:
        pass
    if not others and not built_for:
        return None
    what = built_for or "another interpreter"
    files = f" ({', '.join(others)})" if others else ""
    via = f" at {built_python}" if built_python else ""
    return (f"whyalive in {package_dir} was built for {what}{via}{files}, "
            f"not for this {this_python()} ({sys.executable}): install it with this "
            f"interpreter ({sys.executable} -m pip install whyalive, or pip install . "
            f"in a checkout), or put the build tree's package made for "
            f"{this_python()} on PYTHONPATH instead")


# Exit status of the CLI when it cannot start (docs/cli.md: 4, internal error).
EXIT_CANNOT_START = 4


def running_as_cli() -> bool:
    """Is this process the ``whyalive`` command (the console script pip
    writes, or ``python -m whyalive``) rather than a program importing the
    package? Then a failure is one line on stderr, not a traceback."""
    orig = list(getattr(sys, "orig_argv", []))
    if sys.argv[:1] == ["-m"] and any(a == "-m" and b == "whyalive" for a, b in zip(orig, orig[1:])):
        return True  # `python -m whyalive` while runpy imports the package
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None) or ""
    return bool(sys.argv) and os.path.basename(sys.argv[0]) == "whyalive" and \
        os.path.basename(script) == "whyalive"


def cli_fail(line: str) -> "SystemExit":
    sys.stderr.write(line + "\n")
    sys.stderr.flush()
    return SystemExit(EXIT_CANNOT_START)
