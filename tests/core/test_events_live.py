"""Live events across real `kefu serve` processes: SSE over HTTP, resume, Redis between servers.

The in-process tests (test_events.py) pin the rules; these check that they hold on the wire,
between processes and across restarts.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from itertools import count
from typing import Any

import httpx
import pytest

from kefu.core.events.hub import parse_id
from tests.live import LiveServer, LiveSite, LiveStream, free_port, run_cli


@pytest.fixture(scope="module")
def site(shared_live_site: LiveSite) -> LiveSite:
    """The shared site, with a second organization whose owner's token is `rival_token`."""
    shared_live_site.rival_token = shared_live_site.add_org(  # type: ignore[attr-defined]
        "rival-live", "别家小店", "rival-owner")
    return shared_live_site


@pytest.fixture(scope="module")
def server(site: LiveSite, shared_live_server: LiveServer) -> LiveServer:
    return shared_live_server


_n = count(1)


def create_department(client: httpx.Client, name: str) -> dict[str, Any]:
    """Through the API; names get a number, as tests share one site for the whole run."""
    resp = client.post("/api/v1/departments", json={"name": f"{name}{next(_n)}"})
    assert resp.status_code == 201, resp.text
    return dict(resp.json())


def test_sse_client_receives_a_department_created_through_the_api(
        site: LiveSite, server: LiveServer):
    with site.client(server) as api, LiveStream(site.client(server)) as stream:
        # Given a connected client (the hello frame says it is subscribed)
        hello = stream.next_event()
        assert hello["data"] == {"type": "hello", "op": "connected"}
        assert stream.response.headers["content-type"].startswith("text/event-stream")

        # When a department is created through the API
        dept = create_department(api, "直播售前")

        # Then the stream carries it, with an id line and the object's id in the data
        got = stream.next_event()
    assert got["data"] == {"type": "departments", "op": "add", "id": dept["id"],
                           "department": dept}
    assert parse_id(got["id"]) > parse_id(hello["id"])


def test_client_of_another_org_receives_nothing_of_it(site: LiveSite, server: LiveServer):
    rival_token = site.rival_token  # type: ignore[attr-defined]
    with site.client(server) as ours, site.client(server, rival_token) as theirs, \
            LiveStream(site.client(server, rival_token)) as stream:
        stream.next_event()
        create_department(ours, "不外传")
        own = create_department(theirs, "自己的")
        # The first event the rival sees is its own, created after ours.
        got = stream.next_event()
    assert got["data"]["id"] == own["id"]
    assert got["data"]["department"] == own


def test_reconnect_with_last_event_id_receives_the_missed_events(
        site: LiveSite, server: LiveServer):
    with site.client(server) as api:
        with LiveStream(site.client(server)) as stream:
            last_seen = stream.next_event()["id"]
        missed = [create_department(api, "错过一"), create_department(api, "错过二")]
        with LiveStream(site.client(server), last_event_id=last_seen) as stream:
            replayed = [stream.next_event(), stream.next_event()]
            later = create_department(api, "之后")
            live = stream.next_event()
    assert [e["data"]["id"] for e in replayed] == [d["id"] for d in missed]
    assert live["data"]["id"] == later["id"]


def test_heartbeats_keep_a_quiet_stream_alive(site: LiveSite, server: LiveServer):
    # Live servers beat every second (KEFU_EVENT_HEARTBEAT_SECONDS=1 in tests/live.py).
    with LiveStream(site.client(server)) as stream:
        stream.next_event()
        frames = [stream.next_frame(), stream.next_frame()]
    assert frames == [{"comment": "heartbeat"}, {"comment": "heartbeat"}]


def test_in_process_bus_asks_for_a_resync_after_a_restart(site: LiveSite):
    # Given a client that saw an event, on a server that then restarts
    srv = site.server()
    with site.client(srv) as api:
        with LiveStream(site.client(srv)) as stream:
            stream.next_event()
            create_department(api, "重启前")
            last_seen = stream.next_event()["id"]
        srv.restart()
        create_department(api, "重启后")

        # When it resumes: the in-process history died with the process
        with LiveStream(site.client(srv), last_event_id=last_seen) as stream:
            first = stream.next_event()
    srv.stop()

    # Then it is told to refetch rather than silently missing an event
    assert first["data"] == {"type": "resync", "op": "refetch"}


def test_serve_with_several_workers_and_no_redis_refuses_to_start(site: LiveSite):
    proc = run_cli(site.env, "serve", "--workers", "2", "--port", str(free_port()), check=False)
    assert proc.returncode != 0
    assert "KEFU_REDIS_URL" in proc.stderr
    assert proc.stderr.startswith("kefu: error: ")
    assert "Traceback" not in proc.stderr


@pytest.mark.postgres
def test_waiting_sse_connections_hold_no_database_connection(
        site: LiveSite, server: LiveServer):
    if not os.environ.get("KEFU_TEST_DATABASE_URL"):
        pytest.skip("counts PostgreSQL sessions; set KEFU_TEST_DATABASE_URL")
    import psycopg

    def sessions() -> int:
        with psycopg.connect(site.database_url.rsplit("/", 1)[0] + "/postgres") as conn:
            row = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = %s",
                               (site.database_url.rsplit("/", 1)[1],)).fetchone()
        assert row is not None
        return int(row[0])

    # Three clients with tokens, two logged in through the web page
    clients = [site.client(server) for _ in range(3)] + [
        site.web_client(server) for _ in range(2)]
    with site.client(server) as api:
        assert api.get("/api/v1/me").status_code == 200  # the server has used the database
        before = sessions()
        with ExitStack() as stack:
            streams = [stack.enter_context(LiveStream(c)) for c in clients]
            for stream in streams:
                stream.next_event()  # authenticated and waiting
            during = sessions()
            # and they still deliver
            dept = create_department(api, "连接数")
            assert {s.next_event()["data"]["id"] for s in streams} == {dept["id"]}
    assert during <= before


# --- Redis: several processes, one bus ----------------------------------------------------

@pytest.fixture(scope="module")
def redis_site(site: LiveSite) -> LiveSite:
    """The shared site: its Redis-mode servers share its database (and one Redis)."""
    if not os.environ.get("KEFU_TEST_REDIS_URL"):
        pytest.skip("KEFU_TEST_REDIS_URL is not set (make test starts a Redis)")
    return site


@pytest.fixture(scope="module")
def two_servers(redis_site: LiveSite) -> Iterator[tuple[LiveServer, LiveServer]]:
    url = os.environ["KEFU_TEST_REDIS_URL"]
    servers = redis_site.server(KEFU_REDIS_URL=url), redis_site.server(KEFU_REDIS_URL=url)
    yield servers
    for srv in servers:
        srv.stop()


@pytest.mark.redis
def test_event_caused_on_one_process_reaches_a_client_of_another(
        redis_url: str, redis_site: LiveSite, two_servers: tuple[LiveServer, LiveServer]):
    a, b = two_servers
    with redis_site.client(a) as api_a, LiveStream(redis_site.client(b)) as on_b:
        on_b.next_event()
        dept = create_department(api_a, "跨进程")
        got = on_b.next_event()
    assert got["data"]["id"] == dept["id"]
    assert got["data"]["type"] == "departments"


@pytest.mark.redis
def test_client_resumes_on_a_restarted_process_from_the_redis_stream(
        redis_url: str, redis_site: LiveSite, two_servers: tuple[LiveServer, LiveServer]):
    a, b = two_servers
    with redis_site.client(a) as api_a:
        # Given a client of B that saw an event
        with LiveStream(redis_site.client(b)) as on_b:
            on_b.next_event()
            create_department(api_a, "重启前")
            last_seen = on_b.next_event()["id"]
        # When B restarts while A takes writes
        b.stop()
        missed = [create_department(api_a, "停机一"), create_department(api_a, "停机二")]
        b.start()
        # Then resuming on B replays what it missed, from the Redis stream
        with LiveStream(redis_site.client(b), last_event_id=last_seen) as on_b:
            replayed = [on_b.next_event(), on_b.next_event()]
    assert [e["data"]["id"] for e in replayed] == [d["id"] for d in missed]
    assert [e["data"]["type"] for e in replayed] == ["departments", "departments"]


@pytest.mark.redis
def test_every_worker_of_a_multi_worker_server_delivers_events(
        redis_url: str, redis_site: LiveSite):
    srv = redis_site.server(workers=2, KEFU_REDIS_URL=redis_url)
    with redis_site.client(srv) as api, ExitStack() as stack:
        # Several streams, so both workers hold some (the kernel spreads the connections)
        streams = [stack.enter_context(LiveStream(redis_site.client(srv))) for _ in range(6)]
        for stream in streams:
            stream.next_event()
        dept = create_department(api, "多进程")
        got = [stream.next_event()["data"]["id"] for stream in streams]
    srv.stop()
    assert got == [dept["id"]] * 6
