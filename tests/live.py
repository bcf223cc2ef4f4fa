"""Real `kefu serve` processes on loopback, for tests that cross process boundaries
(SSE, Redis between servers, browsers). Each uses its own database: a SQLite file, or a
fresh database on the PostgreSQL server named by KEFU_TEST_DATABASE_URL."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def fresh_database_url(tmp: Path) -> str:
    base = os.environ.get("KEFU_TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tmp / 'live.sqlite3'}"
    import psycopg

    name = f"kefu_live_{secrets.token_hex(4)}"
    parts = urlsplit(base)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}"))


def base_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("KEFU_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update({
        "KEFU_CONFIG": str(data_dir / "kefu.toml"),
        "KEFU_DATA_DIR": str(data_dir),
        "KEFU_DATABASE_URL": database_url,
        "KEFU_SECRET_KEY": "live-test-secret-" + "y" * 32,
        "KEFU_DEBUG": "0",  # the real production path: static files served, no debug pages
        "KEFU_EVENT_HEARTBEAT_SECONDS": "1",
        "PYTHONUNBUFFERED": "1",
    })
    env.update(extra)
    (data_dir / "kefu.toml").write_text("# live test server\n")
    return env


def run_cli(env: dict[str, str], *args: str, check: bool = True,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "kefu", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=120, input=input)
    if check and proc.returncode != 0:
        raise AssertionError(f"kefu {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


class LiveServer:
    def __init__(self, env: dict[str, str], workers: int = 1) -> None:
        self.env = env
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workers = workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = Path(env["KEFU_DATA_DIR"]) / f"serve-{self.port}.log"

    def start(self) -> LiveServer:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "kefu", "serve", "--port", str(self.port),
                 "--workers", str(self.workers)],
                env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"kefu serve exited:\n{self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"kefu serve did not start:\n{self.log.read_text()}")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_cli(self.env, *args, check=check)


class LiveSite:
    """A migrated database with one organization, its owner and an API token."""

    def __init__(self, tmp: Path, **extra_env: str) -> None:
        self.data_dir = tmp
        self.env = base_env(tmp, fresh_database_url(tmp), **extra_env)
        run_cli(self.env, "migrate")
        run_cli(self.env, "org", "create", "live", "--name", "直播店")
        run_cli(self.env, "member", "add", "live", "owner", "--role", "owner",
                "--password", "live-pass-1234")
        self.token = run_cli(self.env, "token", "create", "live", "owner").stdout.strip()
        self.servers: list[LiveServer] = []

    def server(self, workers: int = 1, **extra_env: str) -> LiveServer:
        srv = LiveServer({**self.env, **extra_env}, workers=workers).start()
        self.servers.append(srv)
        return srv

    def client(self, server: LiveServer, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=server.url, timeout=10,
                            headers={"Authorization": f"Bearer {token or self.token}"})

    def close(self) -> None:
        for srv in self.servers:
            srv.stop()


@pytest.fixture
def redis_url() -> Iterator[str]:
    url = os.environ.get("KEFU_TEST_REDIS_URL")
    if not url:
        pytest.skip("KEFU_TEST_REDIS_URL is not set (make test starts a Redis)")
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., LiveSite]]:
    """Factory: live_site(**env) -> a fresh LiveSite; its servers stop after the test."""
    sites: list[LiveSite] = []

    def make(**extra_env: str) -> LiveSite:
        site = LiveSite(tmp_path_factory.mktemp("live"), **extra_env)
        sites.append(site)
        return site

    yield make
    for site in sites:
        site.close()


def read_sse(client: httpx.Client, path: str, count: int, headers: dict[str, str] | None = None,
             timeout: float = 10.0) -> list[dict[str, Any]]:
    """Read `count` data events (skipping heartbeats) from an SSE endpoint."""
    import json

    out: list[dict[str, Any]] = []
    with client.stream("GET", path, headers=headers or {}, timeout=timeout) as resp:
        assert resp.status_code == 200, resp.read()
        event: dict[str, Any] = {}
        for line in resp.iter_lines():
            if line.startswith("id: "):
                event["id"] = line[4:]
            elif line.startswith("data: "):
                event["data"] = json.loads(line[6:])
            elif line == "" and "data" in event:
                out.append(event)
                event = {}
                if len(out) >= count:
                    break
    return out
