# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Reading a ``Postings`` in place, compiled: pinyin chains matched against the positional
postings, and the lookups and intersections of a term's character pairs (``rarest`` for
engine.rarest_gram, ``holding`` and ``rarest_size`` for AND's bodies).

pinyin.py says what a chain is and how it matches: the rarest pair's occurrences, shifted
back to where the chain would start, looked up in the other pairs' lists. In Python each
unit pair was a dict lookup and a slice per token combination (an unfinished syllable
carries a dozen tokens), then numpy steps per list; a chain here is one call. ``Lists``
reads a ``Postings``' arrays directly: a key is found by binary search in its sorted keys,
a bitmap in its ``dense``, and a key with documents added since the build (``delta``)
through ``Postings.get``.
"""

import numpy as np

cimport numpy as cnp
from cpython.mem cimport PyMem_Free, PyMem_Malloc
from cpython.unicode cimport Py_UNICODE_ISSPACE
from libc.string cimport memcmp, memcpy, memset

from kefu.replies.search._sorted cimport _compress, _gallop, _i32, _mark_in, _merge

cnp.import_array()

EMPTY = np.empty(0, dtype=np.int32)


cdef struct Run:
    const int* data
    Py_ssize_t n


cdef struct Dense:
    const unsigned char* bits
    Py_ssize_t nbytes
    Py_ssize_t size  # its documents, with those added since the build
    const int* extra  # those added since the build, sorted
    Py_ssize_t nextra


cdef class Lists:
    """A Postings for lookups from C. ``get`` reads sorted lists only (the pinyin
    postings have no bitmaps); ``_lookup`` reads bitmaps too."""

    cdef object postings, delta, dense, _keys, _starts, _docs
    cdef const unsigned long long* keys
    cdef const long long* starts
    cdef const int* docs
    cdef Py_ssize_t nkeys

    def __init__(self, postings):
        self.postings = postings
        self.delta = postings.delta
        self.dense = postings.dense
        self._keys = np.ascontiguousarray(postings.keys, dtype=np.uint64)
        self._starts = np.ascontiguousarray(postings.starts, dtype=np.int64)
        self._docs = _i32(postings.docs)
        self.keys = <const unsigned long long*>cnp.PyArray_DATA(self._keys)
        self.starts = <const long long*>cnp.PyArray_DATA(self._starts)
        self.docs = <const int*>cnp.PyArray_DATA(self._docs)
        self.nkeys = cnp.PyArray_SIZE(self._keys)

    cdef Run get(self, unsigned long long key, list keep) except *:
        cdef Run r
        cdef Py_ssize_t lo = 0, hi = self.nkeys, mid
        cdef cnp.ndarray arr
        r.data = NULL
        r.n = 0
        if self.delta and key in self.delta:  # added since the build: Postings joins them
            arr = _i32(self.postings.get(key))
            keep.append(arr)
            r.data = <const int*>cnp.PyArray_DATA(arr)
            r.n = cnp.PyArray_SIZE(arr)
            return r
        while lo < hi:
            mid = (lo + hi) >> 1
            if self.keys[mid] < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < self.nkeys and self.keys[lo] == key:
            r.data = self.docs + self.starts[lo]
            r.n = self.starts[lo + 1] - self.starts[lo]
        return r

    cdef bint _lookup(self, unsigned long long key, Run* run, Dense* dense, list keep) except -1:
        """The list under ``key`` in ``run``, or, for a bitmap, False and it in ``dense``."""
        cdef cnp.ndarray bits, extra
        if self.dense:
            packed = self.dense.get(key)
            if packed is not None:
                bits = packed[0]
                extra = _i32(self.delta.get(key) or EMPTY) if self.delta else EMPTY
                keep.append(bits)
                keep.append(extra)
                dense.bits = <const unsigned char*>cnp.PyArray_DATA(bits)
                dense.nbytes = cnp.PyArray_SIZE(bits)
                dense.extra = <const int*>cnp.PyArray_DATA(extra)
                dense.nextra = cnp.PyArray_SIZE(extra)
                dense.size = packed[1] + dense.nextra
                return False
        run[0] = self.get(key, keep)
        return True


cdef class _Runs:
    """A growable array of runs, grouped (one group per unit pair)."""

    cdef Run* runs
    cdef Py_ssize_t n, cap
    cdef list keep  # arrays the runs point into that nothing else holds

    def __cinit__(self):
        self.cap = 64
        self.n = 0
        self.runs = <Run*>PyMem_Malloc(self.cap * sizeof(Run))
        if self.runs == NULL:
            raise MemoryError()
        self.keep = []

    def __dealloc__(self):
        PyMem_Free(self.runs)

    cdef void add(self, Run r, Py_ssize_t group_start, bint distinct) except *:
        """Append ``r`` unless it is empty or, with ``distinct``, a run of the group holds
        the same values (polyphones: 重磅 read zhong/chong then bang/pang gives four keys,
        one list)."""
        cdef Py_ssize_t i
        cdef Run* grown
        if r.n == 0:
            return
        for i in range(group_start, self.n if distinct else group_start):
            if self.runs[i].n == r.n and (self.runs[i].data == r.data or memcmp(
                    self.runs[i].data, r.data, r.n * sizeof(int)) == 0):
                return
        if self.n == self.cap:
            grown = <Run*>PyMem_Malloc(2 * self.cap * sizeof(Run))
            if grown == NULL:
                raise MemoryError()
            memcpy(grown, self.runs, self.n * sizeof(Run))
            PyMem_Free(self.runs)
            self.runs = grown
            self.cap *= 2
        self.runs[self.n] = r
        self.n += 1


cdef Py_ssize_t _pairs(Lists lists, object a, object b, int token_bits, _Runs out) except -1:
    """Append the distinct non-empty lists of every token pair of units ``a`` then ``b``
    (``b`` None: the non-empty lists of every token of ``a`` alone, repeats kept, as
    Python's matcher summed them); their total length."""
    cdef Py_ssize_t start = out.n, total = 0, i
    cdef unsigned long long x
    if b is None:
        for t in a:
            out.add(lists.get((<unsigned long long>t) << token_bits, out.keep), start, False)
    else:
        for t in a:
            x = (<unsigned long long>t) << token_bits
            for u in b:
                out.add(lists.get(x | <unsigned long long>u, out.keep), start, True)
    for i in range(start, out.n):
        total += out.runs[i].n
    return total


cdef Run _popular_run(Run r, long long top, const int* extra, Py_ssize_t nextra,
                      int pos_bits, list keep) except *:
    """The entries of an occurrence run whose document is below ``top`` or in ``extra``
    (sorted, all at least ``top``): the most used replies and the member's own."""
    cdef Py_ssize_t head = _gallop(r.data, 0, r.n, top << pos_bits), i, lo, hi, m
    cdef Run out
    if nextra == 0 or head == r.n:
        out.data = r.data
        out.n = head
        return out
    cdef cnp.ndarray arr = np.empty(r.n, dtype=np.int32)
    cdef int* w = <int*>cnp.PyArray_DATA(arr)
    memcpy(w, r.data, head * sizeof(int))
    m = head
    lo = head
    for i in range(nextra):
        lo = _gallop(r.data, lo, r.n, (<long long>extra[i]) << pos_bits)
        hi = _gallop(r.data, lo, r.n, (<long long>extra[i] + 1) << pos_bits)
        memcpy(w + m, r.data + lo, (hi - lo) * sizeof(int))
        m += hi - lo
        lo = hi
    keep.append(arr)
    out.data = w
    out.n = m
    return out


cdef cnp.ndarray _union(Run* runs, Py_ssize_t m, long long minus):
    """Sorted distinct values of the runs (each sorted, distinct), each less ``minus``."""
    cdef Py_ssize_t total = 0, i, n0
    for i in range(m):
        total += runs[i].n
    cdef cnp.ndarray acc = np.empty(total, dtype=np.int32)
    cdef cnp.ndarray other = np.empty(total, dtype=np.int32)
    cdef int* c = <int*>cnp.PyArray_DATA(acc)
    cdef int* o = <int*>cnp.PyArray_DATA(other)
    cdef int* t
    n0 = 0
    for i in range(m):
        n0 = _merge(c, n0, runs[i].data, runs[i].n, o)
        t = c
        c = o
        o = t
        acc, other = other, acc
    for i in range(n0):
        c[i] -= minus
    return acc[:n0]


def anywhere(Lists lists, chain, popular, Py_ssize_t big, int token_bits, int pos_bits):
    """Occurrences of ``chain`` (units, each with its ``tokens`` first) anywhere in the
    postings, as pinyin.Matcher.anywhere computes them without the 汉字 checks; and
    whether they were narrowed to ``popular`` (its rarest pair has over ``big`` entries)."""
    cdef Py_ssize_t k = len(chain), i, j, g, best
    cdef _Runs runs = _Runs()
    cdef Py_ssize_t starts[65]
    cdef Py_ssize_t sizes[64]
    if k == 0 or k > 64:
        raise ValueError("a chain of 1 to 64 units")
    sizes[0] = 0
    if k == 1:
        sizes[0] = _pairs(lists, chain[0][0], None, token_bits, runs)
        starts[0], starts[1] = 0, runs.n
        g = 1
    else:
        g = k - 1
        for i in range(g):
            starts[i] = runs.n
            sizes[i] = _pairs(lists, chain[i][0], chain[i + 1][0], token_bits, runs)
        starts[g] = runs.n
    best = 0
    for i in range(1, g):
        if sizes[i] < sizes[best]:
            best = i
    j = best
    if sizes[j] == 0:
        return EMPTY, False
    narrowed = popular is not None and sizes[j] > big
    cdef long long top = 0
    cdef cnp.ndarray extra
    if narrowed:
        top = popular.top
        extra = _i32(popular.extra)
        for i in range(runs.n):
            runs.runs[i] = _popular_run(runs.runs[i], top, <const int*>cnp.PyArray_DATA(extra),
                                        cnp.PyArray_SIZE(extra), pos_bits, runs.keep)
    cdef cnp.ndarray occ = _union(runs.runs + starts[j], starts[j + 1] - starts[j], j)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(occ), r
    cdef bytearray found
    for i in range(g):
        if i == j or n == 0:
            continue
        found = bytearray(n)
        for r in range(starts[i], starts[i + 1]):
            _mark_in(<const int*>cnp.PyArray_DATA(occ), n, runs.runs[r].data, runs.runs[r].n,
                     0, i, <char*>found)
        occ = _compress(occ, <char*>found, n)
        n = cnp.PyArray_SIZE(occ)
    return occ, narrowed


def at_start(Lists lists, Lists start, chain, popular, Py_ssize_t big, int token_bits,
             int pos_bits):
    """Occurrences of ``chain`` at the start of a title (position 0), as
    pinyin.Matcher.at_start computes them without the 汉字 checks: the documents whose title
    starts with its first two units (``start``: documents by key), then those with each
    next pair at its place; narrowed to ``popular`` when over ``big`` documents start so."""
    cdef Py_ssize_t k = len(chain), i, r, n, m
    cdef _Runs first = _Runs()
    if k == 0:
        raise ValueError("an empty chain")
    _pairs(start, chain[0][0], chain[1][0] if k > 1 else None, token_bits, first)
    cdef cnp.ndarray docs = _union(first.runs, first.n, 0)
    n = cnp.PyArray_SIZE(docs)
    narrowed = popular is not None and n > big
    cdef long long top = 0
    cdef cnp.ndarray extra = EMPTY
    cdef int* d
    cdef const int* e
    cdef Py_ssize_t nextra = 0, at = 0, w = 0
    if narrowed:
        top = popular.top
        extra = _i32(popular.extra)
        nextra = cnp.PyArray_SIZE(extra)
        e = <const int*>cnp.PyArray_DATA(extra)
        d = <int*>cnp.PyArray_DATA(docs)
        for i in range(n):  # below top, or among the extra (sorted, all at least top)
            if d[i] < top:
                d[w] = d[i]
                w += 1
            elif nextra:
                at = _gallop(e, at, nextra, d[i])
                if at < nextra and e[at] == d[i]:
                    d[w] = d[i]
                    w += 1
        docs = docs[:w]
        n = w
    cdef _Runs pairs
    cdef bytearray found
    for i in range(1, k - 1):
        if n == 0:
            break
        pairs = _Runs()
        _pairs(lists, chain[i][0], chain[i + 1][0], token_bits, pairs)
        if narrowed:
            for r in range(pairs.n):
                pairs.runs[r] = _popular_run(pairs.runs[r], top,
                                             <const int*>cnp.PyArray_DATA(extra), nextra,
                                             pos_bits, pairs.keep)
        found = bytearray(n)
        for r in range(pairs.n):
            _mark_in(<const int*>cnp.PyArray_DATA(docs), n, pairs.runs[r].data,
                     pairs.runs[r].n, pos_bits, i, <char*>found)
        docs = _compress(docs, <char*>found, n)
        n = cnp.PyArray_SIZE(docs)
    cdef cnp.ndarray occ = np.empty(n, dtype=np.int32)
    cdef int* o = <int*>cnp.PyArray_DATA(occ)
    d = <int*>cnp.PyArray_DATA(docs)
    for m in range(n):
        o[m] = d[m] << pos_bits
    return occ, narrowed


def pair_sizes(Lists lists, chain, int token_bits):
    """The entries of each unit pair of ``chain`` (of its one unit's tokens if it has one
    unit), repeated lists counted once: what ``anywhere`` chooses its rarest pair by."""
    cdef Py_ssize_t k = len(chain), i
    cdef _Runs runs = _Runs()
    if k == 1:
        return [_pairs(lists, chain[0][0], None, token_bits, runs)]
    return [_pairs(lists, chain[i][0], chain[i + 1][0], token_bits, runs)
            for i in range(k - 1)]


def possible(Lists lists, chain, int token_bits):
    """Whether every unit pair of ``chain`` occurs somewhere (its one unit's tokens, if it
    has one), looked up from the end: what was typed past a word is there (fhsj2x)."""
    cdef Py_ssize_t k = len(chain), i
    cdef _Runs runs = _Runs()
    if k == 1:
        return _pairs(lists, chain[0][0], None, token_bits, runs) > 0
    for i in range(k - 2, -1, -1):
        if _pairs(lists, chain[i][0], chain[i + 1][0], token_bits, runs) == 0:
            return False
    return True


cdef void _shortest_first(Run* runs, Py_ssize_t n) noexcept nogil:
    """Sort runs by length, ties in their order (insertion: they are a few)."""
    cdef Py_ssize_t i, j
    cdef Run r
    for i in range(1, n):
        r = runs[i]
        j = i
        while j > 0 and runs[j - 1].n > r.n:
            runs[j] = runs[j - 1]
            j -= 1
        runs[j] = r


cdef bint _in_dense(Dense* d, int doc) noexcept nogil:
    if doc >= 0 and (doc >> 3) < d.nbytes and (d.bits[doc >> 3] >> (doc & 7)) & 1:
        return True
    cdef Py_ssize_t at = _gallop(d.extra, 0, d.nextra, doc)
    return at < d.nextra and d.extra[at] == doc


cdef Py_ssize_t _gram_keys(str term, long long trigram_base, unsigned long long* out):
    """The keys engine._gram_keys gives (at most 40): the bigrams of ``term`` (of its
    first and last nine characters when longer than 18), pairs with a space skipped, then
    the trigrams of its ASCII letters and digits (build.trigram_key), up to eight."""
    cdef Py_ssize_t n = len(term), k = 0, i, e, lo, hi
    cdef Py_UCS4 a, b, c
    cdef Py_ssize_t ends[4]
    if n > 18:
        ends[0], ends[1], ends[2], ends[3] = 0, 9, max(9, n - 9), n
    else:
        ends[0], ends[1], ends[2], ends[3] = 0, n, n, n
    for e in range(2):
        lo, hi = ends[2 * e], ends[2 * e + 1]
        for i in range(lo, hi - 1):
            a, b = term[i], term[i + 1]
            if not Py_UNICODE_ISSPACE(a) and not Py_UNICODE_ISSPACE(b):
                out[k] = ((<unsigned long long>a) << 21) | <unsigned long long>b
                k += 1
    if n > 2 and term.isascii():
        for i in range(min(n - 2, 8)):
            a, b, c = term[i], term[i + 1], term[i + 2]
            if _lower_alnum(a) and _lower_alnum(b) and _lower_alnum(c):
                out[k] = trigram_base + ((<unsigned long long>a) << 14
                                          | (<unsigned long long>b) << 7
                                          | <unsigned long long>c)
                k += 1
    return k


cdef inline bint _digit(Py_UCS4 c) noexcept nogil:
    return 48 <= c <= 57


cdef inline bint _lower_alnum(Py_UCS4 c) noexcept nogil:
    return _digit(c) or 97 <= c <= 122


def rarest(Lists lists, str term, Py_ssize_t settled, long long trigram_base):
    """engine.rarest_gram for a term of two characters or more: the documents holding
    every bigram (and ASCII trigram) of ``term``, the lists intersected shortest first
    (after two, only while more than ``settled`` documents are left), then the bitmaps
    read for those left. None when every gram is a bitmap: the caller decodes them."""
    cdef unsigned long long keys[40]
    cdef Py_ssize_t nk = _gram_keys(term, trigram_base, keys), i, j, nl = 0, nd = 0
    cdef Run runs[40]
    cdef Dense dense[40]
    cdef list keep = []
    if nk == 0:
        return EMPTY
    for i in range(nk):
        if lists._lookup(keys[i], &runs[nl], &dense[nd], keep):
            if runs[nl].n == 0:
                return EMPTY  # a missing gram ends the search
            nl += 1
        else:
            if dense[nd].size == 0:
                return EMPTY
            nd += 1
    if nl == 0:
        return None
    _shortest_first(runs, nl)
    cdef cnp.ndarray docs = np.empty(runs[0].n, dtype=np.int32)
    cdef int* d = <int*>cnp.PyArray_DATA(docs)
    memcpy(d, runs[0].data, runs[0].n * sizeof(int))
    cdef Py_ssize_t n = runs[0].n, m
    cdef bytearray found
    for i in range(1, nl):
        if i >= 3 and n <= settled:
            break
        if n == 0:
            break
        found = bytearray(n)
        _mark_in(d, n, runs[i].data, runs[i].n, 0, 0, <char*>found)
        m = 0
        for j in range(n):
            if found[j]:
                d[m] = d[j]
                m += 1
        n = m
    if nd and n:
        m = 0
        for j in range(n):
            for i in range(nd):
                if not _in_dense(&dense[i], d[j]):
                    break
            else:
                d[m] = d[j]
                m += 1
        n = m
    return docs[:n]


def holding(Lists lists, str text, within):
    """Which of sorted distinct ``within`` hold every bigram of ``text`` (pairs with a
    space skipped; every pair, however long the text): a bool mask, all True when
    ``text`` has no such pair. The lists are read shortest first, each for the documents
    the ones before left (a long term's first bigram may be common: 尺码的规 among the
    96,757 bodies holding 您 at 100k replies), then the bitmaps."""
    cdef cnp.ndarray w = _i32(within)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(w), nt = len(text), i, j, m, nl = 0, nd = 0
    cdef cnp.ndarray out = np.zeros(n, dtype=bool)
    cdef char* ok = <char*>cnp.PyArray_DATA(out)
    cdef Py_UCS4 a, b
    cdef list keep = []
    cdef Run* runs = <Run*>PyMem_Malloc((nt + 1) * sizeof(Run))
    cdef Dense* dense = <Dense*>PyMem_Malloc((nt + 1) * sizeof(Dense))
    cdef int* left = <int*>PyMem_Malloc((n + 1) * sizeof(int))
    cdef Py_ssize_t* at = <Py_ssize_t*>PyMem_Malloc((n + 1) * sizeof(Py_ssize_t))
    cdef char* found = <char*>PyMem_Malloc(n + 1)
    try:
        if runs == NULL or dense == NULL or left == NULL or at == NULL or found == NULL:
            raise MemoryError()
        for i in range(nt - 1):
            a, b = text[i], text[i + 1]
            if Py_UNICODE_ISSPACE(a) or Py_UNICODE_ISSPACE(b):
                continue
            if lists._lookup(((<unsigned long long>a) << 21) | <unsigned long long>b,
                             &runs[nl], &dense[nd], keep):
                nl += 1
            else:
                nd += 1
        _shortest_first(runs, nl)
        memcpy(left, cnp.PyArray_DATA(w), n * sizeof(int))
        for j in range(n):
            at[j] = j
        for i in range(nl):
            if n == 0:
                break
            memset(found, 0, n)
            _mark_in(left, n, runs[i].data, runs[i].n, 0, 0, found)
            m = 0
            for j in range(n):
                if found[j]:
                    left[m] = left[j]
                    at[m] = at[j]
                    m += 1
            n = m
        for j in range(n):
            for i in range(nd):
                if not _in_dense(&dense[i], left[j]):
                    break
            else:
                ok[at[j]] = 1
    finally:
        PyMem_Free(runs)
        PyMem_Free(dense)
        PyMem_Free(left)
        PyMem_Free(at)
        PyMem_Free(found)
    return out


def rarest_size(Lists lists, str text):
    """The length of the shortest list among the bigrams of ``text`` (pairs with a space
    skipped; a bitmap's documents), or -1 if it has no such pair: how many documents at
    most may hold it, without reading a list."""
    cdef Py_ssize_t nt = len(text), i, size, best = -1
    cdef Py_UCS4 a, b
    cdef Run run
    cdef Dense dense
    cdef list keep = []
    for i in range(nt - 1):
        a, b = text[i], text[i + 1]
        if Py_UNICODE_ISSPACE(a) or Py_UNICODE_ISSPACE(b):
            continue
        if lists._lookup(((<unsigned long long>a) << 21) | <unsigned long long>b, &run,
                         &dense, keep):
            size = run.n
        else:
            size = dense.size
        if best < 0 or size < best:
            best = size
    return best
