"""The results of two versions of the search engine, compared query by query: which
replies, in which order, with which match kind, tier and highlights. A change meant to be
faster only must leave them all as they were.

    .venv/bin/python bench/search_results.py [REV REV] [--size 100000] [--tails]

REV is a git revision or ``.`` (the working tree); the default compares HEAD with the
working tree. The queries are bench/search.py's for the size and seed (300 per kind, every
input kind of issue 4, with --tails the fallbacks' kinds too), plus a few named ones that
exercise the engine's floods and fallbacks. Each version builds its index in a process of
its own, in a worktree of its own (search_instructions.checkout). Scores are not
compared: usage decays with the time of the run. Prints the differing queries, at most
``--show``; exits 1 if any differ.
"""

from __future__ import annotations

import argparse
import os
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
NAMED = ["退款", "tk", "错发货", "退 发 地 快", "七天无理由", "7天无理由", "zzqqxx", "按抚",
         "退kuan", "t款", "/tk1", "退 款", "亲，您的订单已发货"]


def child(data_file: str, source: str, out: str) -> None:
    from search_instructions import engine_of

    eng = engine_of(source)
    from kefu.replies.search import engine

    with open(data_file, "rb") as f:
        rows, queries, limit = pickle.load(f)
    eng.build(rows)
    found = []
    for q in queries:
        hits = engine.search(eng.ix, eng.viewer, q, limit)
        found.append([(int(eng.ix.reply_id[h.doc]), h.match.kind, round(h.match.tier, 4),
                       h.match.title, h.match.body) for h in hits])
    with open(out, "wb") as f:
        pickle.dump(found, f)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revs", nargs="*", default=["HEAD", "."])
    parser.add_argument("--size", type=int, default=100000)
    parser.add_argument("--queries", type=int, default=300, help="queries per kind")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20260501)
    parser.add_argument("--tails", action="store_true", help="also the kinds beyond issue 4's")
    parser.add_argument("--show", type=int, default=10, help="differing queries to print")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if len(args.revs) != 2:
        sys.exit("two revisions to compare")
    from search_instructions import checkout, valid_revision

    for rev in args.revs:
        if not valid_revision(rev):
            sys.exit(f"{rev}: not a git revision of {ROOT}")
    import _searchdata as data

    rows = data.library(args.size, args.seed)
    kinds = data.KINDS + (data.TAIL_KINDS if args.tails else ())
    queries = [q.text for q in data.query_set(rows, args.queries, args.seed + args.size,
                                              kinds)] + NAMED
    with tempfile.TemporaryDirectory(prefix="kefu-bench-results-") as tmp_name:
        tmp = Path(tmp_name)
        with open(tmp / "data.pickle", "wb") as f:
            pickle.dump((rows, queries, args.limit), f)
        (tmp / "src").mkdir()
        sources: list[Path] = []
        found = []
        try:
            for rev in args.revs:
                sources.append(checkout(rev, tmp / "src"))
            for i, src in enumerate(sources):
                out = tmp / f"found{i}.pickle"
                env = {**os.environ, "KEFU_DEBUG": "true"}
                subprocess.run([sys.executable, __file__, "--child", str(tmp / "data.pickle"),
                                str(src), str(out)], check=True, env=env)
                with open(out, "rb") as f:
                    found.append(pickle.load(f))
        finally:
            for src in sources:
                if src != ROOT:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                    str(src)], check=False)
    differ = [(q, a, b) for q, a, b in zip(queries, *found, strict=True) if a != b]
    for q, a, b in differ[: args.show]:
        print(f"{q!r}\n  {args.revs[0]}: {a[:3]}\n  {args.revs[1]}: {b[:3]}")
    print(f"{len(queries):,} queries at {args.size:,} replies: {len(differ)} differ "
          f"({args.revs[0]} against {args.revs[1]}).")
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
