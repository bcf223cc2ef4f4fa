# cython: language_level=3, boundscheck=False, wraparound=False
"""Finding a term in the documents of a packed column (texts.py), compiled: the part of
match.TextVerify that runs per candidate. Each candidate was a Python call that unpacked
the column, indexed its ranges and called ``str.find``; here a list of candidates is one
call, and a single document (AND's checks) a call without the Python frame.
"""

from cpython cimport array
from cpython.unicode cimport PyUnicode_Find, PyUnicode_Tailmatch

cdef enum:
    _BITS = 9

BLOCK_BITS = _BITS  # texts.BLOCK_BITS: match.py checks they agree


cdef str _text(Py_ssize_t doc, list blocks, array.array start, array.array end,
               Py_ssize_t sealed, list opened, Py_ssize_t* s, Py_ssize_t* e):
    """The string holding a document of the column (its block, or its own string if the
    block is still open), with the document's range in it in ``s`` and ``e``."""
    cdef str text
    if doc < 0:
        raise IndexError(doc)
    if doc < sealed:
        s[0], e[0] = start.data.as_uints[doc], end.data.as_uints[doc]
        return blocks[doc >> _BITS]
    text = opened[doc - sealed]
    s[0], e[0] = 0, len(text)
    return text


cdef class _Finder:
    """What a column's verifier shares: ``first``, the first documents of a list that
    match, with where (``_at``: a position or a span, None if not there)."""

    cdef readonly object texts

    cdef object _at(self, Py_ssize_t doc, list blocks, array.array start, array.array end,
                    Py_ssize_t sealed, list opened):
        raise NotImplementedError

    def first(self, list docs, list usages, Py_ssize_t want, skip):
        """(document, its usage, where it matched) for the first ``want`` of ``docs`` not
        in ``skip`` that match."""
        blocks, start, end, sealed, opened = self.texts.parts
        cdef list out = []
        cdef Py_ssize_t i, n = len(docs)
        if len(usages) != n:
            raise ValueError("a usage per document")
        for i in range(n):
            doc = docs[i]
            if doc in skip:
                continue
            where = self._at(doc, blocks, start, end, sealed, opened)
            if where is not None:
                out.append((doc, usages[i], where))
                if len(out) == want:
                    break
        return out


cdef class TextFind(_Finder):
    """Where ``term`` is in a document of ``texts`` (at its start only, with ``prefix``);
    with the fields of match.TextVerify, which adds its methods in Python (a constructor
    of its own would cost a Python call for each of a query's several verifiers)."""

    cdef readonly str term
    cdef readonly double tier
    cdef readonly str kind, field
    cdef readonly bint prefix
    cdef readonly object shown

    def __init__(self, texts, str term, double tier, str kind, str field,
                 bint prefix=False, shown=None):
        self.texts, self.term, self.tier, self.kind = texts, term, tier, kind
        self.field, self.prefix, self.shown = field, prefix, shown

    cdef Py_ssize_t _find(self, Py_ssize_t doc, list blocks, array.array start,
                          array.array end, Py_ssize_t sealed, list opened) except -2:
        cdef Py_ssize_t s, e, n = len(self.term), pos
        cdef str text = _text(doc, blocks, start, end, sealed, opened, &s, &e)
        if self.prefix:
            if e - s < n:
                return -1
            return 0 if PyUnicode_Tailmatch(text, self.term, s, s + n, -1) else -1
        pos = PyUnicode_Find(text, self.term, s, e, 1)
        return pos - s if pos >= 0 else -1

    cdef void _mark(self, Py_ssize_t doc, Py_ssize_t pos, list title, list body) except *:
        cdef Py_ssize_t n = len(self.term)
        if self.field == "title":
            title.append((pos, pos + n))
        elif self.field == "body":
            body.append((pos, pos + n))
        elif self.shown is not None:  # tags, questions: the term in the body, if there
            pos = self.shown.get(doc).find(self.term)
            if pos >= 0:
                body.append((pos, pos + n))

    def mark(self, Py_ssize_t doc, Py_ssize_t pos, list title, list body):
        """Add the span of the match at ``pos`` to ``title`` or ``body``, where it shows:
        a match in a column results do not show (tags, example questions) is marked in the
        body (``shown``) when the body holds the term too."""
        self._mark(doc, pos, title, body)

    def find(self, Py_ssize_t doc):
        """Where the term is in the document's text (0 or -1 with ``prefix``), -1 if not."""
        blocks, start, end, sealed, opened = self.texts.parts
        return self._find(doc, blocks, start, end, sealed, opened)

    cdef object _at(self, Py_ssize_t doc, list blocks, array.array start, array.array end,
                    Py_ssize_t sealed, list opened):
        cdef Py_ssize_t pos = self._find(doc, blocks, start, end, sealed, opened)
        return pos if pos >= 0 else None


def all_match(list checks, Py_ssize_t doc, match_type):
    """A document's match of every term (conjunction.py): per term, the first of its
    verifiers that matches, or None if one has none. Its tier is the mean of theirs, its
    kind theirs joined by +, its spans all of theirs; ``match_type`` makes it (match.Match).
    Literal verifiers are run here, any other is called."""
    cdef list title = [], body = [], kinds = []
    cdef double tier = 0.0
    cdef TextFind tf
    cdef Py_ssize_t pos
    cdef bint found
    for verifiers in checks:
        found = False
        for verify in verifiers:
            if isinstance(verify, TextFind):
                tf = <TextFind>verify
                blocks, start, end, sealed, opened = tf.texts.parts
                pos = tf._find(doc, blocks, start, end, sealed, opened)
                if pos >= 0:
                    tf._mark(doc, pos, title, body)
                    tier += tf.tier
                    kinds.append(tf.kind)
                    found = True
                    break
            else:
                m = verify(doc)
                if m is not None:
                    title += m.title
                    body += m.body
                    tier += m.tier
                    kinds.append(m.kind)
                    found = True
                    break
        if not found:
            return None
    return match_type(tier / len(checks), "+".join(kinds), title, body)


cdef class GapFind(_Finder):
    """Where a document's text holds ``left`` + one character + ``right`` for one of the
    ``splits`` (a term typed with a character left out: 女马甲 for 女款马甲), as the span
    from ``left`` to the end of ``right``; with the fields of match.GapVerify."""

    cdef readonly list splits
    cdef readonly double tier
    cdef readonly str kind

    def __init__(self, texts, list splits, double tier, str kind):
        self.texts, self.splits, self.tier, self.kind = texts, splits, tier, kind

    cdef tuple _find(self, Py_ssize_t doc, list blocks, array.array start, array.array end,
                     Py_ssize_t sealed, list opened):
        cdef Py_ssize_t s, e, pos, after
        cdef str left, right
        cdef str text = _text(doc, blocks, start, end, sealed, opened, &s, &e)
        for left, right in self.splits:
            pos = PyUnicode_Find(text, left, s, e, 1)
            while pos >= 0:
                after = pos + len(left) + 1  # past the character left out
                if after + len(right) <= e and PyUnicode_Tailmatch(text, right, after,
                                                                    after + len(right), -1):
                    return (pos - s, after + len(right) - s)
                pos = PyUnicode_Find(text, left, pos + 1, e, 1)
        return None

    def find(self, Py_ssize_t doc):
        """The span matched in the document's text, or None."""
        blocks, start, end, sealed, opened = self.texts.parts
        return self._find(doc, blocks, start, end, sealed, opened)

    cdef object _at(self, Py_ssize_t doc, list blocks, array.array start, array.array end,
                    Py_ssize_t sealed, list opened):
        return self._find(doc, blocks, start, end, sealed, opened)
