"""Instant search: kefu's engine against SQLite FTS5 (trigram) and tantivy (n-grams), on the
same generated libraries and the same queries, in the same run. Prints Markdown tables;
asserts nothing.

    .venv/bin/python bench/search.py [--sizes 1000,10000,100000] [--queries 300] [--http]

Each engine × size is built in a forked child process, so its memory delta is its own; the
engines are then timed kind by kind, every engine on one kind before the next (``measure``).
Latency is per query, single thread, warm (every query is run once before the timed pass),
time.perf_counter_ns around the call that returns the top reply ids.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import multiprocessing as mp
import os
import sys
import tempfile
import time
import tracemalloc
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings_test")

ENGINES = ("kefu", "fts5", "tantivy")
PAGE = os.sysconf("SC_PAGE_SIZE")
MB = 1e6


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


def _own_copy(value: Any) -> Any:
    """A deep copy with strings of its own (a pickle round trip left 43 MB behind)."""
    if isinstance(value, str):
        return value.encode().decode()
    if isinstance(value, list):
        return [_own_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _own_copy(v) for k, v in value.items()}
    return value


def _child(conn: Any, name: str, rows: list[dict[str, Any]], queries: list[Any],
           workdir: Path, limit: int) -> None:
    """One engine in its own process: build it, report build time and memory, then time
    the kinds of queries the parent asks for, one kind at a time, and build twice more
    when told to finish (``Engine``)."""
    from _searchdata import intended
    from _searchengines import Kefu, make
    from kefu.replies.search.build import release_memory

    # The generated rows and queries live on here but would not in a server: keep the
    # collector from scanning them (it still scans whatever the engine builds).
    gc.collect()
    gc.freeze()
    before = rss()
    eng = make(name, workdir)
    # Rows of its own, as a server reads them from its database and drops them after the
    # build: whatever text an engine keeps is then counted, not shared with the generator's.
    fresh = [_own_copy(r) for r in rows]
    started = time.perf_counter()
    eng.build(fresh)
    build_s = time.perf_counter() - started
    del fresh
    gc.collect()
    release_memory()  # as the registry does once the rows are gone
    out: dict[str, Any] = {"build_s": build_s, "rss_delta": rss() - before,
                           "sizes": eng.sizes(), "tracemalloc_peak": None}
    if name == "kefu":  # a second, traced build: tracemalloc slows the first one down
        tracemalloc.start()
        traced = Kefu()
        traced.build(rows)
        out["tracemalloc_peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        del traced
        gc.collect()
    errors: dict[str, list[str]] = defaultdict(list)
    for q in queries:  # warm-up pass
        try:
            eng.search(q.text, limit)
        except Exception as exc:
            errors[q.kind].append(f"{q.text!r}: {type(exc).__name__}: {exc}")
    out["errors"] = dict(errors)
    conn.send(out)
    while (command := conn.recv())[0] == "kind":
        lat: list[int] = []
        ranks: list[int] = []  # 0-based rank of the target, or -1
        intent: list[bool] = []  # top result holds the query's source
        misses: list[tuple[str, int, list[int]]] = []
        of_kind = [q for q in queries if q.kind == command[1]]
        # Every query of the kind once more, untimed, right before its timed pass: the
        # other engines and kinds ran since the first pass, and what an engine keeps per
        # query may be gone (kefu keeps 4,096 queries' pinyin chains; the garbled kind's
        # shorter starts alone made 1,594 at 10k). Twenty queries, as before 2026-12-07,
        # left --tails runs timing the kinds with their chains computed anew.
        for q in of_kind:
            with contextlib.suppress(Exception):  # counted in ``errors`` by the first pass
                eng.search(q.text, limit)
        for q in of_kind:
            t0 = time.perf_counter_ns()
            try:
                ids = eng.search(q.text, limit)
            except Exception:
                ids = []
            lat.append(time.perf_counter_ns() - t0)
            rank = ids.index(q.target) if q.target in ids else -1
            ranks.append(rank)
            intent.append(bool(ids) and intended(rows[ids[0] - 1], q))  # id = row + 1
            if rank < 0 or rank >= 5:
                misses.append((q.text, q.target, ids[:5]))
        conn.send({"lat": lat, "ranks": ranks, "intent": intent, "misses": misses})
    # Two more builds, after everything else: one build's time swings with this machine's
    # host (±20% from run to run), the fastest of three says what the code costs.
    builds = [build_s]
    for _ in range(2):
        again = make(name, workdir)
        t0 = time.perf_counter_ns()
        again.build(rows)
        builds.append((time.perf_counter_ns() - t0) / 1e9)
        del again
        gc.collect()
    conn.send(min(builds))
    conn.close()


class Engine:
    """An engine built in a child process of its own (so its memory delta is its own),
    kept alive to answer the parent's requests: timing a kind of query, then finishing."""

    def __init__(self, name: str, rows: list[dict[str, Any]], queries: list[Any],
                 workdir: Path, limit: int) -> None:
        ctx = mp.get_context("fork")
        self.conn, theirs = ctx.Pipe()
        self.proc = ctx.Process(target=_child, args=(theirs, name, rows, queries, workdir,
                                                     limit))
        self.proc.start()
        theirs.close()
        self.result: dict[str, Any] = self.conn.recv()  # built and warmed up
        for key in ("lat", "ranks", "intent", "misses"):
            self.result[key] = {}

    def time_kind(self, kind: str) -> None:
        self.conn.send(("kind", kind))
        for key, values in self.conn.recv().items():
            self.result[key][kind] = values

    def finish(self) -> dict[str, Any]:
        self.conn.send(("finish",))
        self.result["build_best_s"] = self.conn.recv()
        self.proc.join()
        return self.result


def measure(engines: list[str], kinds: list[str], rows: list[dict[str, Any]],
            queries: list[Any], workdir: Path, limit: int) -> dict[str, dict[str, Any]]:
    """Build each engine in turn, then time one kind of query on every engine before the
    next kind: this machine's speed swings by half within minutes, and an engine timed
    whole after another could land in a faster or slower spell. The order of engines
    rotates from kind to kind."""
    running: dict[str, Engine] = {}
    for name in engines:
        t = time.perf_counter()
        running[name] = Engine(name, rows, queries, workdir / name, limit)
        print(f"({name}: built in {time.perf_counter() - t:.0f} s)", file=sys.stderr)
    t = time.perf_counter()
    for i, kind in enumerate(kinds):
        for name in engines[i % len(engines):] + engines[: i % len(engines)]:
            running[name].time_kind(kind)
    print(f"(queried in {time.perf_counter() - t:.0f} s)", file=sys.stderr)
    return {name: running[name].finish() for name in engines}


def pct(values: list[int], p: float) -> float:
    return float(np.percentile(np.asarray(values, dtype=np.float64), p)) / 1000.0


def fmt_us(us: float) -> str:
    return f"{us:,.0f}" if us >= 100 else f"{us:.1f}"


def print_build_table(size: int, results: dict[str, dict[str, Any]]) -> None:
    print(f"\n**Build and memory, {size:,} replies**\n")
    print("| engine | build (s): first / fastest of 3 | RSS Δ (MB) | tracemalloc peak (MB) "
          "| engine's own size (MB) |")
    print("|---|---:|---:|---:|---|")
    for name, r in results.items():
        peak = f"{r['tracemalloc_peak'] / MB:.1f}" if r["tracemalloc_peak"] else "–"
        own = ", ".join(f"{v / MB:.1f} ({k})" for k, v in r["sizes"].items())
        print(f"| {name} | {r['build_s']:.2f} / {r['build_best_s']:.2f} "
              f"| {r['rss_delta'] / MB:.1f} | {peak} | {own} |")


def print_query_table(size: int, kinds: list[str], results: dict[str, dict[str, Any]],
                      tails: list[str]) -> None:
    """Per kind, then all of ``kinds`` together; the ``tails`` kinds (--tails) after it,
    not counted in all."""
    print(f"\n**Latency (µs per query) and recall, {size:,} replies**\n")
    print("| kind | engine | p50 | p99 | recall@1 | recall@5 | intent@1 "
          "| kefu p50 ÷ best peer p50 |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for kind in [*kinds, "all", *tails]:
        stats = {}
        for name, r in results.items():
            picked = kinds if kind == "all" else [kind]
            lat = [x for k in picked for x in r["lat"][k]]
            ranks = [x for k in picked for x in r["ranks"][k]]
            intent = [x for k in picked for x in r["intent"][k]]
            stats[name] = (pct(lat, 50), pct(lat, 99),
                           sum(1 for x in ranks if x == 0) / len(ranks),
                           sum(1 for x in ranks if 0 <= x < 5) / len(ranks),
                           sum(intent) / len(intent))
        peers = {n: s[0] for n, s in stats.items() if n != "kefu"}
        for i, (name, (p50, p99, r1, r5, i1)) in enumerate(stats.items()):
            ratio = ""
            if name == "kefu" and peers:
                best = min(peers, key=lambda n: peers[n])
                ratio = f"{p50 / peers[best]:.2f}× ({best})"
            print(f"| {kind if i == 0 else ''} | {name} | {fmt_us(p50)} | {fmt_us(p99)} | "
                  f"{r1:.2f} | {r5:.2f} | {i1:.2f} | {ratio} |")


def print_problems(results: dict[str, dict[str, Any]], show: int) -> None:
    r = results.get("kefu")
    if not r:
        return
    for kind, errs in r["errors"].items():
        print(f"\nkefu raised on {len(errs)} {kind} queries, e.g. " + "; ".join(errs[:3]))
    if show:
        for kind, misses in r["misses"].items():
            print(f"\nkefu misses (target not in top 5), {kind}: {len(misses)}")
            for text, target, got in misses[:show]:
                print(f"  {text!r} target {target} got {got}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=300, help="queries per kind")
    parser.add_argument("--engines", default=",".join(ENGINES))
    parser.add_argument("--limit", type=int, default=10)
    parser.add_argument("--seed", type=int, default=20260501)
    parser.add_argument("--http", action="store_true", help="also measure the HTTP endpoint "
                        "of a real server over a 10k library")
    parser.add_argument("--http-size", type=int, default=10000)
    parser.add_argument("--http-seconds", type=float, default=10.0)
    parser.add_argument("--http-workers", default="1,2",
                        help="worker counts to serve with (more than 1 starts a redis-server)")
    parser.add_argument("--tails", action="store_true", help="also time kinds beyond the "
                        "issue's: phrases, pasted passages, pinyin typed past, numbers in "
                        "Chinese (the engine's fallbacks)")
    parser.add_argument("--show-misses", type=int, default=0, metavar="N",
                        help="print N of kefu's misses per kind")
    parser.add_argument("--seed-usage", help=argparse.SUPPRESS)  # used by the HTTP set-up
    args = parser.parse_args()
    if args.seed_usage:
        from _searchhttp import seed_usage

        seed_usage(Path(args.seed_usage))
        return

    import django

    django.setup()
    import sqlite3

    import _searchdata as data

    sizes = [int(s) for s in args.sizes.split(",") if s]
    engines = [e for e in args.engines.split(",") if e]
    bench_started = time.perf_counter()
    started = time.perf_counter()
    everything = data.library(max([*sizes, args.http_size if args.http else 0]), args.seed)
    print(f"# Search benchmark\n\nGenerated {len(everything):,} replies in "
          f"{time.perf_counter() - started:.1f} s (seed {args.seed}; keys and pinyin columns "
          f"computed here, not in any build). SQLite {sqlite3.sqlite_version}, "
          f"{args.queries} queries per kind, limit {args.limit}, "
          f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}. Load average at start: "
          f"{os.getloadavg()[0]:.1f} (anything above ~0.5 means other work shares the CPUs "
          f"and the latencies are inflated).")
    with tempfile.TemporaryDirectory(prefix="kefu-bench-search-") as tmp:
        for size in sizes:
            rows = everything[:size]
            kinds = data.KINDS + (data.TAIL_KINDS if args.tails else ())
            queries = data.query_set(rows, args.queries, args.seed + size, kinds)
            text_mb = sum(len((r["title"] + r["body"] + r["shortcut"] + "".join(r["tags"])
                               + "".join(r["questions"])).encode()) for r in rows) / MB
            ideal1, ideal5, median = data.ideal_recall(rows, queries)
            print(f"\n## {size:,} replies\n\nText of the library: {text_mb:.1f} MB (UTF-8). "
                  f"Hanzi queries match many titles (median {median:.0f} replies contain the "
                  f"query in their title), so recall is bounded by ties: a ranker that orders "
                  f"those replies by usage (ties at random) would reach recall@1 "
                  f"**{ideal1:.2f}** and recall@5 **{ideal5:.2f}** on hanzi queries (ideal "
                  f"recall).")
            results = measure(engines, list(kinds), rows, queries, Path(tmp), args.limit)
            print_build_table(size, results)
            print_query_table(size, list(data.KINDS), results,
                              list(data.TAIL_KINDS) if args.tails else [])
            print_problems(results, args.show_misses)
    if args.http:
        from _searchhttp import http_bench

        rows = everything[: args.http_size]
        http_bench(rows, data.query_set(rows, 50, args.seed + 1), args.http_seconds,
                   [int(w) for w in args.http_workers.split(",")])
    print(f"\nWhole run: {time.perf_counter() - bench_started:.0f} s; load average at the end "
          f"{os.getloadavg()[0]:.1f}.")


if __name__ == "__main__":
    main()
