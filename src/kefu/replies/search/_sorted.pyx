# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Operations on sorted lists of distinct int32 values (documents, or pinyin occurrences
``doc << POS_BITS | position``), compiled.

Each was a handful of numpy calls (searchsorted, a comparison, a gather, a concatenation),
and numpy's fixed cost per call (~1.5 µs here: dispatch, argument checks, allocating the
result) was most of a query's time spent in them: the lists a query meets are mostly a
few dozen to a few thousand entries long. Here each is one call that walks the lists.

Two lists of alike lengths (within 16×) are intersected in one pass over both. Otherwise
each value of the shorter list is looked for from where the last one was found, by steps
that double then a binary search (galloping): a list of 10 against one of 100,000 costs
~10 × 17 steps.

Inputs are numpy arrays of int32; another integer dtype is converted first. Results are
new int32 arrays, except where a function says it may return one of its inputs.
"""

import numpy as np

cimport numpy as cnp

cnp.import_array()

EMPTY = np.empty(0, dtype=np.int32)


cdef cnp.ndarray _i32(object a):
    if isinstance(a, cnp.ndarray) and cnp.PyArray_TYPE(<cnp.ndarray>a) == cnp.NPY_INT32 \
            and cnp.PyArray_IS_C_CONTIGUOUS(<cnp.ndarray>a):
        return <cnp.ndarray>a
    return np.ascontiguousarray(a, dtype=np.int32)


cdef Py_ssize_t _gallop(const int* a, Py_ssize_t lo, Py_ssize_t n, long long x) noexcept nogil:
    """The first index i ≥ lo with a[i] ≥ x (n if none)."""
    cdef Py_ssize_t step = 1, hi = lo, mid
    while hi < n and a[hi] < x:
        lo = hi + 1
        hi += step
        step <<= 1
    if hi > n:
        hi = n
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] < x:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef void _mark_in(const int* vals, Py_ssize_t nv, const int* lst, Py_ssize_t nl,
                   int shift, long long add, char* found) noexcept nogil:
    """found[i] = 1 where (vals[i] << shift) + add is in lst (both sorted ascending)."""
    cdef Py_ssize_t i = 0, j = 0
    cdef long long x
    if nv == 0 or nl == 0:
        return
    if nl < 16 * nv and nv < 16 * nl:  # lengths alike: one pass over both
        while i < nv and j < nl:
            x = ((<long long>vals[i]) << shift) + add
            if lst[j] < x:
                j += 1
            elif lst[j] > x:
                i += 1
            else:
                found[i] = 1
                i += 1
                j += 1
        return
    if nv <= nl:  # each value looked for in the list
        for i in range(nv):
            x = ((<long long>vals[i]) << shift) + add
            j = _gallop(lst, j, nl, x)
            if j == nl:
                return
            if lst[j] == x:
                found[i] = 1
    else:  # each entry of the list looked for among the values
        for j in range(nl):
            # values v with (v << shift) + add == lst[j]
            x = (<long long>lst[j]) - add
            if x < 0 or (x & ((1 << shift) - 1)) != 0:
                continue
            x >>= shift
            i = _gallop(vals, i, nv, x)
            if i == nv:
                return
            if vals[i] == x:
                found[i] = 1


cdef cnp.ndarray _compress(cnp.ndarray vals, const char* found, Py_ssize_t n):
    cdef Py_ssize_t i, m = 0
    for i in range(n):
        m += found[i]
    cdef cnp.ndarray out = np.empty(m, dtype=np.int32)
    cdef int* o = <int*>cnp.PyArray_DATA(out)
    cdef const int* v = <const int*>cnp.PyArray_DATA(vals)
    m = 0
    for i in range(n):
        if found[i]:
            o[m] = v[i]
            m += 1
    return out


def member(docs, sorted_list):
    """Which of sorted distinct ``docs`` are in the sorted distinct list (a bool mask)."""
    cdef cnp.ndarray d = _i32(docs), s = _i32(sorted_list)
    cdef Py_ssize_t nd = cnp.PyArray_SIZE(d)
    cdef cnp.ndarray out = np.zeros(nd, dtype=bool)
    _mark_in(<const int*>cnp.PyArray_DATA(d), nd, <const int*>cnp.PyArray_DATA(s),
             cnp.PyArray_SIZE(s), 0, 0, <char*>cnp.PyArray_DATA(out))
    return out


def intersect(a, b):
    """Sorted distinct values in both sorted distinct lists."""
    cdef cnp.ndarray x = _i32(a), y = _i32(b)
    cdef Py_ssize_t nx = cnp.PyArray_SIZE(x), ny = cnp.PyArray_SIZE(y)
    if nx == 0 or ny == 0:
        return EMPTY
    if nx > ny:
        x, y = y, x
        nx, ny = ny, nx
    cdef bytearray found = bytearray(nx)
    _mark_in(<const int*>cnp.PyArray_DATA(x), nx, <const int*>cnp.PyArray_DATA(y), ny,
             0, 0, <char*>found)
    return _compress(x, <char*>found, nx)


cdef Py_ssize_t _merge(const int* a, Py_ssize_t na, const int* b, Py_ssize_t nb,
                       int* out) noexcept nogil:
    """The sorted distinct values of two sorted distinct runs into ``out``; their count."""
    cdef Py_ssize_t p = 0, q = 0, m = 0
    while p < na and q < nb:
        if a[p] < b[q]:
            out[m] = a[p]
            p += 1
        elif a[p] > b[q]:
            out[m] = b[q]
            q += 1
        else:
            out[m] = a[p]
            p += 1
            q += 1
        m += 1
    while p < na:
        out[m] = a[p]
        p += 1
        m += 1
    while q < nb:
        out[m] = b[q]
        q += 1
        m += 1
    return m


cdef bint _strictly_sorted(const int* a, Py_ssize_t n) noexcept nogil:
    cdef Py_ssize_t i
    for i in range(1, n):
        if a[i] <= a[i - 1]:
            return False
    return True


def union(arrays):
    """Sorted distinct values of any of the arrays. Sorted distinct inputs are merged;
    any other input is sorted first. One non-empty input is returned as it is."""
    cdef list parts = [a for a in arrays if len(a)]
    if not parts:
        return EMPTY
    if len(parts) == 1:
        return parts[0]
    cdef list views = [_i32(a) for a in parts]
    cdef Py_ssize_t k = len(views), total = 0, i
    cdef cnp.ndarray arr
    for i in range(k):
        arr = <cnp.ndarray>views[i]
        total += cnp.PyArray_SIZE(arr)
        if not _strictly_sorted(<const int*>cnp.PyArray_DATA(arr), cnp.PyArray_SIZE(arr)):
            both = np.concatenate(views)
            both.sort()
            return both[np.concatenate(([True], both[1:] != both[:len(both) - 1]))]
    cdef cnp.ndarray out = np.empty(total, dtype=np.int32)
    cdef int* o = <int*>cnp.PyArray_DATA(out)
    cdef Py_ssize_t n0, p
    cdef const int* a0
    # Pairwise merges into out (few lists, usually two or three).
    arr = <cnp.ndarray>views[0]
    n0 = cnp.PyArray_SIZE(arr)
    cdef cnp.ndarray acc = np.empty(total, dtype=np.int32)
    cdef int* c = <int*>cnp.PyArray_DATA(acc)
    a0 = <const int*>cnp.PyArray_DATA(arr)
    for p in range(n0):
        c[p] = a0[p]
    for i in range(1, k):
        arr = <cnp.ndarray>views[i]
        n0 = _merge(c, n0, <const int*>cnp.PyArray_DATA(arr), cnp.PyArray_SIZE(arr), o)
        acc, out = out, acc
        c = <int*>cnp.PyArray_DATA(acc)
        o = <int*>cnp.PyArray_DATA(out)
    return acc[:n0]


def firsts(occs, lengths, int pos_bits):
    """Pinyin occurrences of several chains (each sorted, distinct) → each document's
    first one: (documents, positions, lengths), by document. At one occurrence found by
    several chains, the earlier chain's length is kept."""
    cdef list views = [_i32(o) for o in occs]
    cdef Py_ssize_t k = len(views), i, total = 0, best
    cdef cnp.ndarray arr
    for arr in views:
        total += cnp.PyArray_SIZE(arr)
    cdef cnp.ndarray docs = np.empty(total, dtype=np.int32)
    cdef cnp.ndarray pos = np.empty(total, dtype=np.int32)
    cdef cnp.ndarray lens = np.empty(total, dtype=np.int32)
    cdef int* d = <int*>cnp.PyArray_DATA(docs)
    cdef int* p = <int*>cnp.PyArray_DATA(pos)
    cdef int* ln = <int*>cnp.PyArray_DATA(lens)
    cdef Py_ssize_t at[64]
    cdef Py_ssize_t size[64]
    cdef const int* data[64]
    cdef int length[64]
    if k > 64:
        raise ValueError("at most 64 chains")
    for i in range(k):
        arr = <cnp.ndarray>views[i]
        at[i] = 0
        size[i] = cnp.PyArray_SIZE(arr)
        data[i] = <const int*>cnp.PyArray_DATA(arr)
        length[i] = lengths[i]
    cdef Py_ssize_t m = 0
    cdef int value, doc, last = -1, mask = (1 << pos_bits) - 1
    while True:
        best = -1
        for i in range(k):  # the smallest head; the earliest chain on ties
            if at[i] < size[i] and (best < 0 or data[i][at[i]] < data[best][at[best]]):
                best = i
        if best < 0:
            break
        value = data[best][at[best]]
        at[best] += 1
        doc = value >> pos_bits
        if doc == last:
            continue
        last = doc
        d[m] = doc
        p[m] = value & mask
        ln[m] = length[best]
        m += 1
    return docs[:m], pos[:m], lens[:m]


def where_pos(docs, pos, lengths, int lo, int hi):
    """The entries of (documents, positions, lengths) with lo ≤ position < hi."""
    cdef cnp.ndarray d = _i32(docs), p = _i32(pos), ln = _i32(lengths)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(d), i, m = 0
    cdef const int* pp = <const int*>cnp.PyArray_DATA(p)
    for i in range(n):
        if lo <= pp[i] < hi:
            m += 1
    if m == n:
        return d, p, ln
    cdef cnp.ndarray od = np.empty(m, dtype=np.int32), op = np.empty(m, dtype=np.int32)
    cdef cnp.ndarray ol = np.empty(m, dtype=np.int32)
    cdef int* xd = <int*>cnp.PyArray_DATA(od)
    cdef int* xp = <int*>cnp.PyArray_DATA(op)
    cdef int* xl = <int*>cnp.PyArray_DATA(ol)
    cdef const int* dd = <const int*>cnp.PyArray_DATA(d)
    cdef const int* ll = <const int*>cnp.PyArray_DATA(ln)
    m = 0
    for i in range(n):
        if lo <= pp[i] < hi:
            xd[m] = dd[i]
            xp[m] = pp[i]
            xl[m] = ll[i]
            m += 1
    return od, op, ol


def allowed(cands, mask):
    """Those of ``cands`` (documents) whose entry in the bool array ``mask`` is set."""
    cdef cnp.ndarray c = _i32(cands), m = mask
    if cnp.PyArray_TYPE(m) != cnp.NPY_BOOL or not cnp.PyArray_IS_C_CONTIGUOUS(m):
        raise TypeError("mask: a contiguous bool array")
    cdef Py_ssize_t n = cnp.PyArray_SIZE(c), size = cnp.PyArray_SIZE(m), i, k = 0
    cdef const int* cc = <const int*>cnp.PyArray_DATA(c)
    cdef const char* mm = <const char*>cnp.PyArray_DATA(m)
    for i in range(n):
        if cc[i] < 0 or cc[i] >= size:
            raise IndexError(f"document {cc[i]} outside a mask of {size}")
    cdef cnp.ndarray out = np.empty(n, dtype=np.int32)
    cdef int* o = <int*>cnp.PyArray_DATA(out)
    for i in range(n):
        if mm[cc[i]]:
            o[k] = cc[i]
            k += 1
    return out if k == n else out[:k]


def by_usage(docs, usage, add=None, double cap=9.99):
    """Documents and their scores (``usage`` of each document, plus ``add`` aligned with
    ``docs`` if given, at most ``cap``) as two lists, highest score first; documents of
    equal score keep their order."""
    cdef cnp.ndarray d = _i32(docs)
    cdef cnp.ndarray u = np.ascontiguousarray(usage, dtype=np.float64)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(d), size = cnp.PyArray_SIZE(u), i, j, k, w, lo, mid, hi
    cdef const int* dd = <const int*>cnp.PyArray_DATA(d)
    cdef const double* uu = <const double*>cnp.PyArray_DATA(u)
    cdef cnp.ndarray a
    cdef const double* aa = NULL
    if add is not None:
        a = np.ascontiguousarray(add, dtype=np.float64)
        if cnp.PyArray_SIZE(a) != n:
            raise ValueError("add: one value per document")
        aa = <const double*>cnp.PyArray_DATA(a)
    cdef cnp.ndarray scores = np.empty(n, dtype=np.float64)
    cdef double* s = <double*>cnp.PyArray_DATA(scores)
    for i in range(n):
        if dd[i] < 0 or dd[i] >= size:
            raise IndexError(f"document {dd[i]} outside {size} usages")
        s[i] = uu[dd[i]] + (aa[i] if aa != NULL else 0.0)
        if s[i] > cap:
            s[i] = cap
    # A stable merge sort of positions by descending score, bottom up.
    cdef cnp.ndarray ia = np.arange(n, dtype=np.intp), ib = np.empty(n, dtype=np.intp)
    cdef Py_ssize_t* x = <Py_ssize_t*>cnp.PyArray_DATA(ia)
    cdef Py_ssize_t* y = <Py_ssize_t*>cnp.PyArray_DATA(ib)
    cdef Py_ssize_t* t
    w = 1
    while w < n:
        lo = 0
        while lo < n:
            mid = min(lo + w, n)
            hi = min(lo + 2 * w, n)
            i, j = lo, mid
            for k in range(lo, hi):
                if i < mid and (j >= hi or s[x[i]] >= s[x[j]]):
                    y[k] = x[i]
                    i += 1
                else:
                    y[k] = x[j]
                    j += 1
            lo = hi
        t = x
        x = y
        y = t
        w *= 2
    cdef list out_docs = [None] * n, out_scores = [None] * n
    for i in range(n):
        out_docs[i] = dd[x[i]]
        out_scores[i] = s[x[i]]
    return out_docs, out_scores


def positions(docs, pos, lengths, list wanted):
    """For each document of ``wanted``, its (position, length) in the parallel arrays
    (``docs`` sorted distinct), or (-1, 0) if it is not there: two lists."""
    cdef cnp.ndarray d = _i32(docs), p = _i32(pos), ln = _i32(lengths)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(d), m = len(wanted), i, j
    cdef const int* dd = <const int*>cnp.PyArray_DATA(d)
    cdef const int* pp = <const int*>cnp.PyArray_DATA(p)
    cdef const int* ll = <const int*>cnp.PyArray_DATA(ln)
    cdef list out_pos = [None] * m, out_len = [None] * m
    cdef long long x
    for i in range(m):
        x = wanted[i]
        j = _gallop(dd, 0, n, x)
        if j < n and dd[j] == x:
            out_pos[i] = pp[j]
            out_len[i] = ll[j]
        else:
            out_pos[i] = -1
            out_len[i] = 0
    return out_pos, out_len


def in_bitmaps(list bitmaps, docs):
    """Which of ``docs`` have their bit set in every one of the bitmaps (uint8 arrays of
    one length, bit ``d & 7`` of byte ``d >> 3``); documents past their end are not."""
    cdef cnp.ndarray d = _i32(docs), b
    cdef Py_ssize_t n = cnp.PyArray_SIZE(d), k = len(bitmaps), i, j, nbytes = -1
    cdef const int* dd = <const int*>cnp.PyArray_DATA(d)
    cdef cnp.ndarray out = np.ones(n, dtype=bool)
    cdef char* o = <char*>cnp.PyArray_DATA(out)
    cdef const unsigned char* bb
    cdef int doc
    for j in range(k):
        b = bitmaps[j]
        if cnp.PyArray_TYPE(b) != cnp.NPY_UINT8 or not cnp.PyArray_IS_C_CONTIGUOUS(b):
            raise TypeError("bitmaps: contiguous uint8 arrays")
        nbytes = cnp.PyArray_SIZE(b)
        bb = <const unsigned char*>cnp.PyArray_DATA(b)
        for i in range(n):
            doc = dd[i]
            if o[i] and (doc < 0 or (doc >> 3) >= nbytes or not (bb[doc >> 3] >> (doc & 7)) & 1):
                o[i] = 0
    return out


def with_char(occ, int offset, long long code, title_off, tags_off, codes, int pos_bits,
              int tags_at):
    """Those of the pinyin occurrences ``occ`` (``doc << pos_bits | position``) whose
    character ``offset`` places on is ``code``: positions below ``tags_at`` are in the
    document's title (its characters from ``title_off[doc]`` in ``codes``), the others in
    its tags (from ``tags_off[doc]``)."""
    cdef cnp.ndarray o = _i32(occ)
    cdef cnp.ndarray t = np.ascontiguousarray(title_off, dtype=np.int64)
    cdef cnp.ndarray g = np.ascontiguousarray(tags_off, dtype=np.int64)
    cdef cnp.ndarray c = codes
    cdef int kind = cnp.PyArray_TYPE(c)
    if (kind != cnp.NPY_UINT16 and kind != cnp.NPY_UINT32) or not cnp.PyArray_IS_C_CONTIGUOUS(c):
        raise TypeError("codes: a contiguous uint16 or uint32 array")
    cdef Py_ssize_t n = cnp.PyArray_SIZE(o), ndocs = cnp.PyArray_SIZE(t)
    cdef Py_ssize_t ncodes = cnp.PyArray_SIZE(c), i, m = 0
    cdef const int* oo = <const int*>cnp.PyArray_DATA(o)
    cdef const long long* tt = <const long long*>cnp.PyArray_DATA(t)
    cdef const long long* gg = <const long long*>cnp.PyArray_DATA(g)
    cdef const unsigned short* c16 = <const unsigned short*>cnp.PyArray_DATA(c)
    cdef const unsigned int* c32 = <const unsigned int*>cnp.PyArray_DATA(c)
    cdef long long value, doc, pos, at
    cdef cnp.ndarray out = np.empty(n, dtype=np.int32)
    cdef int* w = <int*>cnp.PyArray_DATA(out)
    for i in range(n):
        value = <long long>oo[i] + offset
        doc = value >> pos_bits
        pos = value & ((1 << pos_bits) - 1)
        if doc < 0 or doc >= ndocs or doc >= cnp.PyArray_SIZE(g):
            raise IndexError(f"occurrence {value} of no document")
        at = tt[doc] + pos if pos < tags_at else gg[doc] + pos - tags_at
        if at < 0 or at >= ncodes:
            raise IndexError(f"occurrence {value} past the characters")
        if (c16[at] if kind == cnp.NPY_UINT16 else c32[at]) == code:
            w[m] = oo[i]
            m += 1
    return out[:m]
