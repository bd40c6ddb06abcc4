"""``python -m whyalive`` and the ``whyalive`` command that pip installs.

Both run the C command-line tool shipped inside the package
(``whyalive/bin/whyalive``), with the same arguments and so the same output
and exit codes (the process is replaced, not wrapped). Importing the package
first checks what the binary needs as well: the system libraries (one line
naming the Debian package when one is missing, exit 4) and, for the
extension, the interpreter it was built for.
"""

from __future__ import annotations

import os
import sys


def binary() -> str:
    """The path of the CLI binary: in this package (installed), else the build
    tree's (BUILD/python/whyalive -> BUILD/whyalive)."""
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "bin", "whyalive")
    build_tree = os.path.join(here, os.pardir, os.pardir, "whyalive")
    if not os.access(installed, os.X_OK) and os.access(build_tree, os.X_OK) \
            and os.path.isfile(build_tree):
        return os.path.normpath(build_tree)
    return installed


def main(argv: "list[str] | None" = None) -> int:
    exe = binary()
    args = sys.argv[1:] if argv is None else list(argv)
    if not os.access(exe, os.X_OK):
        sys.stderr.write(
            f"whyalive: no command-line tool in this package ({exe}): it comes with the "
            f"installed package (pip install whyalive, or pip install . in a checkout); "
            f"in a build tree run BUILD/whyalive\n")
        return 4
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(exe, ["whyalive", *args])
    return 4  # not reached


if __name__ == "__main__":
    sys.exit(main())
