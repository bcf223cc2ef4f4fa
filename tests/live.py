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
        self.database_url = fresh_database_url(tmp)
        self.env = base_env(tmp, self.database_url, **extra_env)
        run_cli(self.env, "migrate")
        self.token = self.add_org("live", "直播店", "owner")
        self.servers: list[LiveServer] = []

    def add_org(self, slug: str, name: str, owner: str) -> str:
        """Create an organization with an owner; returns the owner's API token."""
        run_cli(self.env, "org", "create", slug, "--name", name)
        run_cli(self.env, "member", "add", slug, owner, "--role", "owner",
                "--password", "live-pass-1234")
        return run_cli(self.env, "token", "create", slug, owner).stdout.strip()

    def server(self, workers: int = 1, **extra_env: str) -> LiveServer:
        srv = LiveServer({**self.env, **extra_env}, workers=workers).start()
        self.servers.append(srv)
        return srv

    def client(self, server: LiveServer, token: str | None = None) -> httpx.Client:
        return httpx.Client(base_url=server.url, timeout=10,
                            headers={"Authorization": f"Bearer {token or self.token}"})

    def web_client(self, server: LiveServer, username: str = "owner",
                   password: str = "live-pass-1234") -> httpx.Client:
        """A client logged in through the login page (session cookie, no token)."""
        client = httpx.Client(base_url=server.url, timeout=10)
        client.get("/login/")
        resp = client.post("/login/", data={"username": username, "password": password,
                                            "csrfmiddlewaretoken": client.cookies["csrftoken"]})
        assert resp.status_code == 302, resp.text
        return client

    def close(self) -> None:
        for srv in self.servers:
            srv.stop()
        drop_database(self.database_url)


def drop_database(url: str) -> None:
    """Drop a PostgreSQL database made by fresh_database_url (SQLite files go with tmp)."""
    if not url.startswith("postgresql"):
        return
    import psycopg

    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{parts.path.lstrip("/")}" WITH (FORCE)')


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


@pytest.fixture(scope="session")
def shared_live_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveSite]:
    """One LiveSite for the whole run, for tests that do not disturb each other: they add
    their own objects and never assume the database is otherwise empty."""
    site = LiveSite(tmp_path_factory.mktemp("live-shared"))
    yield site
    site.close()


@pytest.fixture(scope="session")
def shared_live_server(shared_live_site: LiveSite) -> LiveServer:
    """A `kefu serve` (in-process bus) on the shared site; do not stop or restart it."""
    return shared_live_site.server()


class LiveStream:
    """A blocking SSE client: ``with LiveStream(client) as s: s.next_event()``."""

    def __init__(self, client: httpx.Client, last_event_id: str | None = None,
                 path: str = "/api/v1/events") -> None:
        self.client = client
        self.path = path
        self.headers = {"Last-Event-ID": last_event_id} if last_event_id else {}

    def __enter__(self) -> LiveStream:
        self._cm = self.client.stream("GET", self.path, headers=self.headers)
        self.response = self._cm.__enter__()
        assert self.response.status_code == 200, self.response.read()
        self._lines = self.response.iter_lines()
        return self

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(None, None, None)

    def next_frame(self) -> dict[str, Any]:
        """The next frame: {"id", "data"} for events, {"comment"} for heartbeats."""
        import json

        frame: dict[str, Any] = {}
        for line in self._lines:
            if line == "":
                if frame:
                    return frame
                continue
            if line.startswith("id: "):
                frame["id"] = line[4:]
            elif line.startswith("data: "):
                frame["data"] = json.loads(line[6:])
            elif line.startswith(":"):
                frame["comment"] = line[1:].strip()
            elif line.startswith("retry: "):
                frame["retry"] = int(line[7:])
        raise AssertionError("the event stream ended")

    def next_event(self) -> dict[str, Any]:
        while True:
            frame = self.next_frame()
            if "data" in frame:
                return frame


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
