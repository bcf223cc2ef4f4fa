"""The three engines of bench/search.py behind one interface: build(rows), search(q, limit)
→ reply ids, sizes() → {label: bytes}.

The peers are set up as an app would set them up, and rank like kefu does where they can:
match score weighted by usage (tantivy's weight_by_field formula, score × log2(2 + uses),
applied to FTS5's bm25 too), title weighted above other fields. The query side does only
routing: /codes to an exact shortcut lookup, latin input to the pinyin columns, short input
(< 3 characters) in FTS5 to LIKE scans; no query rewriting (no OpenCC, no pinyin of the
query), so what a peer misses is what the engine itself cannot do.
"""

from __future__ import annotations

import math
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

from kefu.replies.libraryset import LibraryInfo
from kefu.replies.search import engine as kefu_engine
from kefu.replies.search.index import OrgIndex

_LATIN = re.compile(r"^[a-z0-9]+$")


def _kind(term: str) -> str:
    if term.startswith("/"):
        return "code"
    return "latin" if _LATIN.match(term) else "literal"


def dir_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


class Kefu:
    name = "kefu"

    def build(self, rows: list[dict[str, Any]]) -> None:
        self.ix = OrgIndex(1)
        self.ix.set_libraries([LibraryInfo(1, "company", None, None)])
        self.ix.build(rows)
        self.viewer = kefu_engine.Viewer(1, frozenset({1}))

    def search(self, q: str, limit: int) -> list[int]:
        ids = self.ix.reply_id
        return [ids[h.doc] for h in kefu_engine.search(self.ix, self.viewer, q, limit)]

    def sizes(self) -> dict[str, int]:
        return {"ix.nbytes()": self.ix.nbytes()}


class Fts5:
    """SQLite FTS5, trigram tokenizer, external content; LIKE for terms under 3 chars."""

    name = "fts5"
    LITERAL = "{title body shortcut tags}"
    LATIN = "{py ini title shortcut tags}"

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / "fts5.sqlite3"

    def build(self, rows: list[dict[str, Any]]) -> None:
        if self.path.exists():
            self.path.unlink()
        db = sqlite3.connect(self.path)
        db.executescript("""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
            CREATE TABLE replies (id INTEGER PRIMARY KEY, title TEXT, body TEXT,
                shortcut TEXT, tags TEXT, py TEXT, ini TEXT, usage INTEGER, uw REAL);
            CREATE INDEX replies_shortcut ON replies (shortcut);
            CREATE VIRTUAL TABLE fts USING fts5 (title, body, shortcut, tags, py, ini,
                uw UNINDEXED, content = 'replies', content_rowid = 'id',
                tokenize = 'trigram');
        """)
        db.executemany(
            "INSERT INTO replies VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((r["id"], r["title"], r["body"], r["shortcut"], " ".join(r["tags"]), r["py"],
              r["ini"], r["usage_count"], math.log2(2 + r["usage_count"])) for r in rows))
        db.execute("INSERT INTO fts (fts) VALUES ('rebuild')")
        db.commit()
        db.close()
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        self.db.execute("PRAGMA mmap_size = 1073741824")
        self.db.execute("PRAGMA cache_size = -262144")

    def _match(self, term: str) -> str:
        cols = self.LATIN if _kind(term) == "latin" else self.LITERAL
        return cols + ' : "' + term.replace('"', '""') + '"'

    def _like(self, term: str) -> tuple[str, str, list[str]]:
        pattern = "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        cols = ("py", "ini", "title", "shortcut", "tags") if _kind(term) == "latin" else (
            "title", "body", "shortcut", "tags")
        where = "(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in cols) + ")"
        first = "(" + " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in cols
                                  if c in ("py", "ini", "title")) + ")"
        return where, first, [pattern]

    def search(self, q: str, limit: int) -> list[int]:
        terms = q.lower().split()
        if not terms:
            return []
        if len(terms) == 1 and _kind(terms[0]) == "code":
            found = [r[0] for r in self.db.execute(
                "SELECT id FROM replies WHERE shortcut = ? ORDER BY usage DESC LIMIT ?",
                (terms[0], limit))]
            if found:
                return found
        if all(len(t) >= 3 for t in terms):
            sql = ("SELECT rowid FROM fts WHERE fts MATCH ? "
                   "ORDER BY bm25(fts, 4.0, 1.0, 2.0, 2.0, 4.0, 4.0) * uw LIMIT ?")
            return [r[0] for r in self.db.execute(
                sql, (" AND ".join(self._match(t) for t in terms), limit))]
        # A real app's fallback: terms under 3 characters cannot use the trigram index, so
        # they are LIKE filters, over the rows the longer terms' MATCH found if there are any.
        long_terms = [t for t in terms if len(t) >= 3]
        wheres, firsts, params, first_params = [], [], [], []
        if long_terms:
            wheres.append("id IN (SELECT rowid FROM fts WHERE fts MATCH ?)")
            params.append(" AND ".join(self._match(t) for t in long_terms))
        for t in terms:
            where, first, pattern = self._like(t)
            if len(t) < 3:
                wheres.append(where)
                params += pattern * where.count("?")
            firsts.append(first)
            first_params += pattern * first.count("?")
        sql = (f"SELECT id FROM replies WHERE {' AND '.join(wheres)} "
               f"ORDER BY ({' + '.join(firsts)}) DESC, usage DESC LIMIT ?")
        return [r[0] for r in self.db.execute(sql, (*params, *first_params, limit))]

    def sizes(self) -> dict[str, int]:
        return {"database file": self.path.stat().st_size}


class Tantivy:
    """tantivy with a 1-3 character n-gram analyzer; a term of more than 3 characters must
    contain all its trigrams (the n-gram tokenizer gives no positions for phrases)."""

    name = "tantivy"
    FIELDS = (("title", 4.0), ("body", 1.0), ("shortcut", 2.0), ("tags", 2.0))
    LATIN_FIELDS = (("py", 4.0), ("ini", 4.0), ("title", 4.0), ("shortcut", 2.0),
                    ("tags", 2.0))

    def __init__(self, workdir: Path) -> None:
        self.path = workdir / "tantivy"

    def build(self, rows: list[dict[str, Any]]) -> None:
        import tantivy as T

        self.T = T
        sb = T.SchemaBuilder()
        sb.add_integer_field("id", fast=True)
        sb.add_integer_field("usage", fast=True)
        for name in ("title", "body", "shortcut", "tags", "py", "ini"):
            sb.add_text_field(name, tokenizer_name="ngram13")
        sb.add_text_field("code", tokenizer_name="raw")
        self.schema = sb.build()
        self.path.mkdir(parents=True, exist_ok=True)
        for f in self.path.iterdir():
            f.unlink()
        index = T.Index(self.schema, path=str(self.path))
        index.register_tokenizer("ngram13", T.TextAnalyzerBuilder(T.Tokenizer.ngram(1, 3))
                                 .filter(T.Filter.lowercase()).build())
        writer = index.writer(heap_size=512_000_000)
        for r in rows:
            writer.add_document(T.Document(
                id=r["id"], usage=r["usage_count"], title=r["title"], body=r["body"],
                shortcut=r["shortcut"], tags=" ".join(r["tags"]), py=r["py"], ini=r["ini"],
                code=r["shortcut"]))
        writer.commit()
        writer.wait_merging_threads()
        del writer
        index.reload()
        self.index = index
        self.searcher = index.searcher()

    def _field_query(self, field: str, term: str) -> Any:
        T = self.T
        grams = [term] if len(term) <= 3 else list(dict.fromkeys(
            term[i:i + 3] for i in range(len(term) - 2)))
        if len(grams) == 1:
            return T.Query.term_query(self.schema, field, grams[0])
        return T.Query.boolean_query(
            [(T.Occur.Must, T.Query.term_query(self.schema, field, g)) for g in grams])

    def _term_query(self, term: str) -> Any:
        T = self.T
        fields = self.LATIN_FIELDS if _kind(term) == "latin" else self.FIELDS
        return T.Query.boolean_query([
            (T.Occur.Should, T.Query.boost_query(self._field_query(f, term), w))
            for f, w in fields])

    def _run(self, query: Any, limit: int) -> list[int]:
        hits = self.searcher.search(query, limit, count=False, weight_by_field="usage").hits
        if not hits:
            return []
        return self.searcher.fast_field_values("id", [a for _s, a in hits])

    def search(self, q: str, limit: int) -> list[int]:
        T = self.T
        terms = q.lower().split()
        if not terms:
            return []
        if len(terms) == 1 and _kind(terms[0]) == "code":
            found = self._run(T.Query.term_query(self.schema, "code", terms[0]), limit)
            if found:
                return found
        if len(terms) == 1:
            return self._run(self._term_query(terms[0]), limit)
        return self._run(T.Query.boolean_query(
            [(T.Occur.Must, self._term_query(t)) for t in terms]), limit)

    def sizes(self) -> dict[str, int]:
        return {"index directory": dir_size(self.path)}


def make(name: str, workdir: Path) -> Kefu | Fts5 | Tantivy:
    os.makedirs(workdir, exist_ok=True)
    if name == "kefu":
        return Kefu()
    if name == "fts5":
        return Fts5(workdir)
    return Tantivy(workdir)
