"""The HTTP part of bench/search.py: a real kefu server (fresh data dir, SQLite, set up with
the CLI as an operator would) and GET /api/v1/replies/search over keep-alive connections on
loopback, from Python threads and, when installed, from wrk."""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import numpy as np

ORG = "bench"
PY = sys.executable


def seed_usage(path: Path) -> None:
    """Set the generated usage counters on the imported replies (run inside the server's
    environment). The importer has no usage column, and replaying ~100k uses through
    do_record_use would take longer than the benchmark, so this writes the two counter
    columns directly: a fixture step, not a product code path."""
    import django

    django.setup()
    from datetime import datetime

    from kefu.replies.models import Reply

    usage = json.loads(path.read_text(encoding="utf-8"))
    replies = list(Reply.objects.filter(organization__slug=ORG).only("id", "title"))
    for r in replies:
        count, last = usage.get(r.title, (0, None))
        r.usage_count = count
        r.last_used_at = datetime.fromisoformat(last) if last else None
    Reply.objects.bulk_update(replies, ["usage_count", "last_used_at"], batch_size=2000)


def _kefu(env: dict[str, str], cwd: str, *argv: str) -> str:
    done = subprocess.run([PY, "-m", "kefu", *argv], env=env, cwd=cwd, capture_output=True,
                          text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"kefu {' '.join(argv)} failed: {done.stderr.strip()}")
    return done.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Client:
    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> tuple[int, bytes]:
        self.conn.request("GET", path, headers=self.headers)
        resp = self.conn.getresponse()
        return resp.status, resp.read()


def _load(port: int, token: str, paths: list[str], clients: int, seconds: float
          ) -> tuple[float, list[int], int]:
    """Each client thread loops over the paths on its own keep-alive connection."""
    lat: list[list[int]] = [[] for _ in range(clients)]
    bad = [0] * clients
    stop = time.perf_counter() + seconds

    def worker(i: int) -> None:
        c = Client(port, token)
        k = i * 7
        while time.perf_counter() < stop:
            t0 = time.perf_counter_ns()
            status, _body = c.get(paths[k % len(paths)])
            lat[i].append(time.perf_counter_ns() - t0)
            bad[i] += status != 200
            k += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    flat = [x for xs in lat for x in xs]
    return len(flat) / elapsed, flat, sum(bad)


def _wrk(port: int, token: str, paths: list[str], clients: int, seconds: float,
         workdir: Path) -> dict[str, str] | None:
    if not shutil.which("wrk"):
        return None
    script = workdir / "search.lua"
    script.write_text(
        "local paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
        "local i = 0\n"
        "request = function()\n  i = i + 1\n"
        f'  return wrk.format("GET", paths[(i % #paths) + 1], '
        f'{{["Authorization"] = "Bearer {token}"}})\nend\n', encoding="utf-8")
    out = subprocess.run(
        ["wrk", f"-t{min(2, clients)}", f"-c{clients}", f"-d{seconds:.0f}s", "--latency",
         "-s", str(script), f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, check=False).stdout
    found = {"rps": re.search(r"Requests/sec:\s+([\d.]+)", out),
             "p50": re.search(r"\s50%\s+([\d.]+\w+)", out),
             "p99": re.search(r"\s99%\s+([\d.]+\w+)", out),
             "bad": re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)}
    return {k: (m.group(1) if m else ("0" if k == "bad" else "?")) for k, m in found.items()}


def _setup(env: dict[str, str], cwd: str, workdir: Path, rows: list[dict[str, Any]]
           ) -> tuple[str, float, float]:
    """A fresh site with the library imported and its usage seeded; returns the token."""
    started = time.perf_counter()
    _kefu(env, cwd, "migrate")
    _kefu(env, cwd, "org", "create", ORG, "--name", "基准服饰旗舰店")
    _kefu(env, cwd, "member", "add", ORG, "agent1", "--role", "agent", "--password",
          secrets.token_urlsafe(12))
    token = _kefu(env, cwd, "token", "create", ORG, "agent1").strip()
    setup_s = time.perf_counter() - started
    library = workdir / "library.jsonl"
    with library.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"title": r["title"], "body": r["body"],
                                "category": r["category_path"], "shortcut": r["shortcut"],
                                "tags": r["tags"], "questions": r["questions"]},
                               ensure_ascii=False) + "\n")
    started = time.perf_counter()
    _kefu(env, cwd, "replies", "import", ORG, str(library), "--yes")
    import_s = time.perf_counter() - started
    usage = workdir / "usage.json"
    usage.write_text(json.dumps({r["title"]: (r["usage_count"], r["last_used_at"] and
                                              r["last_used_at"].isoformat())
                                 for r in rows}, ensure_ascii=False), encoding="utf-8")
    subprocess.run([PY, str(Path(__file__).with_name("search.py")), "--seed-usage",
                    str(usage)], env={**env, "DJANGO_SETTINGS_MODULE": "kefu.settings"},
                   cwd=cwd, check=True)
    return token, setup_s, import_s


def _redis(workdir: Path) -> tuple[subprocess.Popen[bytes], str] | None:
    """A throwaway redis-server for the multi-worker run (the event bus needs one)."""
    if not shutil.which("redis-server"):
        return None
    port = _free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                             "--save", "", "--appendonly", "no", "--dir", str(workdir)],
                            stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, f"redis://127.0.0.1:{port}/0"
        time.sleep(0.1)
    proc.kill()
    return None


def http_bench(rows: list[dict[str, Any]], queries: list[Any], seconds: float,
               worker_counts: list[int]) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="kefu-bench-http-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KEFU_", "DJANGO_"))}
    env.update(KEFU_DATA_DIR=str(workdir / "data"), KEFU_SECRET_KEY=secrets.token_urlsafe(48),
               KEFU_DEBUG="0")
    cwd = str(workdir)  # no kefu.toml there
    redis: tuple[subprocess.Popen[bytes], str] | None = None
    try:
        token, setup_s, import_s = _setup(env, cwd, workdir, rows)
        paths = ["/api/v1/replies/search?" + urllib.parse.urlencode({"q": q.text})
                 for q in queries]
        print(f"\n## HTTP: GET /api/v1/replies/search, {len(rows):,} replies\n\n"
              f"`kefu serve` (uvicorn, SQLite) on this {os.cpu_count()}-CPU machine; clients "
              f"on the same machine over loopback, keep-alive, cycling through {len(paths)} "
              f"queries of every kind. Set-up with the CLI: migrate + org + member + token "
              f"{setup_s:.1f} s; `kefu replies import` of the {len(rows):,}-reply JSONL "
              f"{import_s:.1f} s.")
        for workers in worker_counts:
            server_env = dict(env)
            if workers > 1:
                redis = redis or _redis(workdir)
                if redis is None:
                    print(f"\n(--workers {workers} skipped: it needs redis-server.)")
                    continue
                server_env["KEFU_REDIS_URL"] = redis[1]
            _serve_and_measure(server_env, cwd, workdir, token, paths, seconds, workers)
        if not shutil.which("wrk"):
            print("\n(wrk is not installed: `apt-get install wrk` adds a client that does "
                  "not share the Python GIL.)")
    finally:
        if redis is not None:
            redis[0].terminate()
            redis[0].wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


def _serve_and_measure(env: dict[str, str], cwd: str, workdir: Path, token: str,
                       paths: list[str], seconds: float, workers: int) -> None:
    port = _free_port()
    server = subprocess.Popen([PY, "-m", "kefu", "serve", "--port", str(port), "--workers",
                               str(workers)], env=env, cwd=cwd, stdout=subprocess.DEVNULL)
    try:
        first_ms = _first_search(port, token, paths[0])
        _load(port, token, paths, 2 * workers, 3.0)  # warm-up: every worker builds its index
        client = Client(port, token)
        took, lat1 = [], []
        for _round in range(4):
            for p in paths:
                t0 = time.perf_counter_ns()
                status, body = client.get(p)
                lat1.append(time.perf_counter_ns() - t0)
                if status == 200:
                    took.append(json.loads(body)["took_ms"])
        base = []  # the same stack without search: token auth, member, a small JSON answer
        for _i in range(len(paths)):
            t0 = time.perf_counter_ns()
            client.get("/api/v1/me")
            base.append(time.perf_counter_ns() - t0)
        bus = "Redis event bus" if workers > 1 else "in-process bus"
        print(f"\n### {workers} worker process{'es' if workers > 1 else ''} ({bus})\n\n"
              f"First search (builds the index from the database): {first_ms:.0f} ms. "
              f"One client, sequential, {len(lat1)} requests: p50 "
              f"{np.percentile(lat1, 50) / 1e6:.2f} ms, p99 {np.percentile(lat1, 99) / 1e6:.2f}"
              f" ms (engine time inside, the response's took_ms: p50 "
              f"{np.percentile(took, 50):.3f} ms, p99 {np.percentile(took, 99):.3f} ms). For "
              f"reference, GET /api/v1/me (token auth and member lookup, no search), same "
              f"client, {len(base)} requests: p50 {np.percentile(base, 50) / 1e6:.2f} ms, p99 "
              f"{np.percentile(base, 99) / 1e6:.2f} ms.\n")
        print("| clients | Python threads: req/s | p50 (ms) | p99 (ms) | non-200 "
              "| wrk: req/s | p50 | p99 | non-2xx |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for clients in (1, 4, 16):
            rps, lat, bad = _load(port, token, paths, clients, seconds)
            w = _wrk(port, token, paths, clients, seconds, workdir)
            wrk_cells = (f"{float(w['rps']):,.0f} | {w['p50']} | {w['p99']} | {w['bad']}"
                         if w else "– | – | – | –")
            print(f"| {clients} | {rps:,.0f} | {np.percentile(lat, 50) / 1e6:.2f} | "
                  f"{np.percentile(lat, 99) / 1e6:.2f} | {bad} | {wrk_cells} |")
    finally:
        server.terminate()
        server.wait(timeout=10)


def _first_search(port: int, token: str, path: str) -> float:
    deadline = time.monotonic() + 60
    while True:
        try:
            client = Client(port, token)
            t0 = time.perf_counter()
            status, body = client.get(path)
            if status != 200:
                raise RuntimeError(f"search answered {status}: {body[:300]!r}")
            return (time.perf_counter() - t0) * 1000
        except (ConnectionError, OSError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
