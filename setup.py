"""The compiled parts of kefu, built by ``pip install`` (Cython): the search engine's
operations on sorted lists (search/_sorted.pyx), its pinyin chain matching and posting
lookups (search/_chains.pyx) and its search in packed texts (search/_texts.pyx).
Everything else is in pyproject.toml; setuptools reads both."""

import numpy
from setuptools import Extension, setup


def kernel(name: str) -> Extension:
    return Extension(f"kefu.replies.search.{name}", [f"src/kefu/replies/search/{name}.pyx"],
                     include_dirs=[numpy.get_include(), "src/kefu/replies/search"],
                     define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                     extra_compile_args=["-O2"])


setup(ext_modules=[kernel("_sorted"), kernel("_chains"), kernel("_texts")])
