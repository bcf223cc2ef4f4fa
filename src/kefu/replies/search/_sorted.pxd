# The kernels of _sorted.pyx that _chains.pyx builds on.
cimport numpy as cnp

cdef cnp.ndarray _i32(object a)
cdef Py_ssize_t _gallop(const int* a, Py_ssize_t lo, Py_ssize_t n, long long x) noexcept nogil
cdef void _mark_in(const int* vals, Py_ssize_t nv, const int* lst, Py_ssize_t nl,
                   int shift, long long add, char* found) noexcept nogil
cdef cnp.ndarray _compress(cnp.ndarray vals, const char* found, Py_ssize_t n)
cdef Py_ssize_t _merge(const int* a, Py_ssize_t na, const int* b, Py_ssize_t nb,
                       int* out) noexcept nogil
