"""The compiled part of kefu: search/_sorted.pyx (Cython), built by ``pip install``.

Everything else is in pyproject.toml; setuptools reads both."""

import numpy
from setuptools import Extension, setup

setup(ext_modules=[Extension(
    "kefu.replies.search._sorted", ["src/kefu/replies/search/_sorted.pyx"],
    include_dirs=[numpy.get_include()],
    define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
    extra_compile_args=["-O2"])])
