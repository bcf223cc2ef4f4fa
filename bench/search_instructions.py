"""Instructions per search query, by kind, for two versions of the engine: a comparison this
machine's clock cannot make. Prints a Markdown table; asserts nothing.

    .venv/bin/python bench/search_instructions.py [REV ...] [--size 10000] [--tails]

REV is a git revision or ``.`` (the working tree); the default compares HEAD with the
working tree. Each version runs in its own process under valgrind's callgrind (Debian's
``valgrind`` package), on bench/search.py's library and queries for the same size and seed.
Only the queries are counted: each kind's loop runs inside a call through ctypes, and
callgrind collects inside ``ffi_call`` only and writes a part after each one. The build,
the warm-up pass, imports and teardown are not counted.

Why: this machine's speed swings up to 2× within minutes, more than most changes to the
engine move it, so timings of two versions compare only when run side by side (README). An
instruction count does not depend on the host's spell: two runs of the same code agreed
within 0.05% on every kind. It is not a time (a cache miss costs more than an add, numpy's
loops over long arrays count as many instructions as they take), so a change's time is
still measured with bench/search.py; what this tells is whether a change did less work, per
kind, reliably.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


def engine_of(source: str) -> Any:
    """The benchmark's kefu engine (``_searchengines.Kefu``), imported from the checkout
    at ``source``: its ``src`` first on the path, Django set up, and checked that the
    package came from there."""
    sys.path[:0] = [str(Path(source) / "src"), str(BENCH)]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings_test")
    import django

    django.setup()
    import kefu

    assert Path(kefu.__file__).is_relative_to(Path(source).resolve()), kefu.__file__
    from _searchengines import Kefu

    return Kefu()


def child(data_file: str, source: str) -> None:
    """Under callgrind: build the index, warm up, then run each kind inside one ffi_call."""
    engine = engine_of(source)
    with open(data_file, "rb") as f:
        rows, by_kind, limit = pickle.load(f)
    # As bench/search.py does: the collector leaves the generated rows and queries alone,
    # which a server would not hold (it still scans whatever the engine builds). Left
    # tracked, when a full collection comes depends on every allocation before it: one
    # came during the pinyin queries or not, by the other kinds' warm-up, 935k or 1,756k
    # instructions per query.
    gc.collect()
    gc.freeze()
    engine.build(rows)
    for queries in by_kind.values():  # warm: every query once, as bench/search.py does
        for q in queries:
            engine.search(q, limit)
    for queries in by_kind.values():
        def run(queries: list[str] = queries) -> None:
            for q in queries:
                engine.search(q, limit)
        ctypes.CFUNCTYPE(None)(run)()  # one callgrind part per kind


def valid_revision(rev: str) -> bool:
    """Whether ``rev`` is ``.`` (the working tree) or names a commit."""
    return rev == "." or subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--verify", "-q", f"{rev}^{{commit}}"],
        stdout=subprocess.DEVNULL).returncode == 0


def checkout(rev: str, tmp: Path) -> Path:
    """A worktree of ``rev`` in ``tmp`` with its compiled parts built (the repository
    itself for ``.``); the caller removes it."""
    if rev == ".":
        return ROOT
    path = tmp / f"rev-{len(list(tmp.iterdir()))}"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(path),
                    rev], check=True)
    if (path / "setup.py").exists():  # a revision with compiled parts (search/_sorted.pyx)
        built = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"],
                               cwd=path, capture_output=True, text=True)
        if built.returncode != 0:
            sys.exit(f"{rev}: building its compiled parts failed\n{built.stderr[-2000:]}")
    return path


def count(data_file: Path, source: Path, out: Path) -> subprocess.Popen[bytes]:
    """Start one revision's run; its messages go to ``out``-messages (read if it fails)."""
    env = {**os.environ, "PYTHONHASHSEED": "0", "KEFU_DEBUG": "true"}
    with open(f"{out}-messages", "wb") as log:
        return subprocess.Popen(
            ["valgrind", "--tool=callgrind", "--collect-atstart=no",
             "--toggle-collect=ffi_call", "--dump-after=ffi_call",
             f"--callgrind-out-file={out}", sys.executable, __file__, "--child",
             str(data_file), str(source)],
            env=env, stdout=subprocess.DEVNULL, stderr=log)


def parts(out: Path, kinds: int) -> list[int]:
    """Instructions of the last ``kinds`` parts callgrind wrote (``out.1`` … ``out.N``): an
    import may call through ctypes before the kinds do."""
    numbered = sorted((int(p.name.rsplit(".", 1)[1]), p) for p in out.parent.iterdir()
                      if p.name.startswith(out.name + "."))
    found = []
    for _n, path in numbered[-kinds:]:
        found.append(next(int(line.split()[1]) for line in path.read_text().splitlines()
                          if line.startswith("summary:")))
    if len(found) != kinds:
        sys.exit(f"callgrind wrote {len(found)} parts for {kinds} kinds")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("revs", nargs="*", default=["HEAD", "."],
                        help="git revisions, '.' for the working tree")
    parser.add_argument("--size", type=int, default=10000)
    parser.add_argument("--queries", type=int, default=300, help="queries per kind")
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20260501)
    parser.add_argument("--tails", action="store_true", help="also the kinds beyond issue 4's")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is missing: apt-get install valgrind")
    for rev in args.revs:  # before the library is generated: a typo fails at once
        if not valid_revision(rev):
            sys.exit(f"{rev}: not a git revision of {ROOT}")
    import _searchdata as data

    rows = data.library(args.size, args.seed)
    kinds = data.KINDS + (data.TAIL_KINDS if args.tails else ())
    queries = data.query_set(rows, args.queries, args.seed + args.size, kinds)
    by_kind = {k: [q.text for q in queries if q.kind == k] for k in kinds}
    with tempfile.TemporaryDirectory(prefix="kefu-bench-instr-") as tmp_name:
        tmp = Path(tmp_name)
        data_file = tmp / "data.pickle"
        with open(data_file, "wb") as f:
            pickle.dump((rows, by_kind, args.limit), f)
        (tmp / "src").mkdir()
        sources: list[Path] = []
        try:
            for rev in args.revs:  # inside the try: worktrees made are removed whatever fails
                sources.append(checkout(rev, tmp / "src"))
            # Side by side: the counts do not depend on what else runs.
            runs = [count(data_file, src, tmp / f"cg{i}") for i, src in enumerate(sources)]
            for i, (rev, run) in enumerate(zip(args.revs, runs, strict=True)):
                if run.wait() != 0:
                    err = (tmp / f"cg{i}-messages").read_text(errors="replace")
                    sys.exit(f"{rev}: the run failed\n{err[-2000:]}")
            counts = [parts(tmp / f"cg{i}", len(kinds)) for i in range(len(sources))]
        finally:
            for src in sources:
                if src != ROOT:
                    subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                    str(src)], check=False)
    print(f"Instructions per query (thousands), {args.size:,} replies, {args.queries} queries "
          f"per kind, limit {args.limit}, callgrind.\n")
    head = " | ".join(args.revs)
    change = " | change" if len(args.revs) == 2 else ""
    print(f"| kind | {head}{change} |\n|---|" + "---:|" * (len(args.revs) + bool(change)))
    totals = [0] * len(args.revs)
    for i, kind in enumerate(kinds):
        per = [c[i] / len(by_kind[kind]) for c in counts]
        totals = [t + c[i] for t, c in zip(totals, counts, strict=True)]
        cells = " | ".join(f"{p / 1000:,.0f}" for p in per)
        diff = f" | {per[1] / per[0] - 1:+.1%}" if change else ""
        print(f"| {kind} | {cells}{diff} |")
    n = sum(len(v) for v in by_kind.values())
    cells = " | ".join(f"{t / n / 1000:,.0f}" for t in totals)
    diff = f" | {totals[1] / totals[0] - 1:+.1%}" if change else ""
    print(f"| all | {cells}{diff} |")


if __name__ == "__main__":
    main()
