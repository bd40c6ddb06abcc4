"""Offline install of the whyalive Python package:

    pip install --no-build-isolation .      (or: python3 setup.py install)

PyPI is not needed: the build runs CMake (the project's one build) for the
extension target of the running interpreter and packages the result. Needs
cmake, a C compiler, pkg-config and the libraries the C library links
(Graphviz cgraph/gvc, cJSON), as for the CMake build.
"""

import os
import shutil
import subprocess
import sys
import sysconfig

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

ROOT = os.path.dirname(os.path.abspath(__file__))
# Keep setuptools' scratch out of build/ (the default CMake build tree of the
# scripts) and out of the source tree.
SCRATCH = os.path.join(ROOT, "build-pip")
os.makedirs(SCRATCH, exist_ok=True)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build_dir = os.path.abspath(os.path.join(self.build_temp, "cmake"))
        os.makedirs(build_dir, exist_ok=True)
        subprocess.check_call([
            "cmake", "-S", ROOT, "-B", build_dir,
            f"-DPython3_EXECUTABLE={sys.executable}", "-DCMAKE_BUILD_TYPE=Release",
            "-DWA_TESTS=OFF", "-DWA_EXTRA_PYTHONS=",
        ])
        subprocess.check_call(["cmake", "--build", build_dir, "--target", "whyalive_python",
                               "-j", str(os.cpu_count() or 2)])
        built = os.path.join(build_dir, "python", "whyalive",
                             "_core" + sysconfig.get_config_var("EXT_SUFFIX"))
        dest = self.get_ext_fullpath(ext.name)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        shutil.copyfile(built, dest)


setup(
    name="whyalive",
    version="0.1.0",
    description="Heap dumper for CPython: why is this object still alive?",
    packages=["whyalive"],
    package_dir={"whyalive": "src/python/whyalive"},
    package_data={"whyalive": ["py.typed", "*.pyi"]},
    ext_modules=[Extension("whyalive._core", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    python_requires=">=3.9",
    zip_safe=False,
    options={"build": {"build_base": SCRATCH}, "egg_info": {"egg_base": SCRATCH}},
)
