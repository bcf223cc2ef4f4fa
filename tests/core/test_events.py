"""The in-process event bus and the SSE view: commit, rollback, tenants, audiences, resume.

Tests that need real commits use ``transaction=True`` and read the real ``/api/v1/events``
view in-process; tests of event *content* record from the hub inside the test transaction.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from django.test import Client

from kefu.core import actions
from kefu.core.events import Audience, reset_bus, send_event_on_commit
from kefu.core.events.hub import parse_id
from kefu.core.models import Department, Member, Organization, Role
from tests.sse import EventRecorder, SseStream, apply_events, by_id, run


def token_of(member: Member) -> str:
    return actions.do_create_token(member, "sse", None)[1]


create_department = sync_to_async(actions.do_create_department)


class Rollback(Exception):
    pass


# --- typed events: a stale copy plus the events equals a fresh fetch ----------------------

@pytest.fixture
def recorder(owner: Member) -> Any:
    rec = EventRecorder(owner)
    yield rec
    rec.close()


@pytest.mark.django_db
def test_member_events_bring_a_stale_member_list_up_to_date(
        owner: Member, agent: Member, supervisor: Member, api: Any, recorder: EventRecorder,
        django_capture_on_commit_callbacks: Any):
    # Given a screen that fetched the member list
    client = api(owner)
    stale = client.get("members?limit=500").json()["items"]
    depts = {d["name"]: d["id"] for d in client.get("departments").json()["items"]}

    # When members are added, changed and deactivated
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("members", {"username": "kefu9", "role": "agent",
                                       "departments": [depts["售后"]]}).status_code == 201
        assert client.patch(f"members/{agent.id}", {
            "role": "supervisor", "display_name": "小美", "departments": [depts["售后"]],
        }).status_code == 200
        assert client.patch(f"members/{supervisor.id}", {"is_active": False}).status_code == 200

    # Then applying the events gives what a fresh fetch gives
    events = recorder.events()
    assert [(e["type"], e["op"]) for e in events] == [
        ("members", "add"), ("members", "update"), ("members", "update")]
    fresh = client.get("members?limit=500").json()["items"]
    assert apply_events(stale, events, "members", "member") == by_id(fresh)


@pytest.mark.django_db
def test_department_events_bring_stale_department_and_member_lists_up_to_date(
        owner: Member, agent: Member, supervisor: Member, api: Any, recorder: EventRecorder,
        django_capture_on_commit_callbacks: Any):
    # Given a screen showing departments and members (whose rows name their departments)
    client = api(owner)
    stale_depts = client.get("departments").json()["items"]
    stale_members = client.get("members?limit=500").json()["items"]
    depts = {d["name"]: d["id"] for d in stale_depts}

    # When departments are created, renamed and deleted
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("departments", {"name": "售中"}).status_code == 201
        assert client.patch(f"departments/{depts['售前']}", {"name": "咨询"}).status_code == 200
        assert client.delete(f"departments/{depts['售后']}").status_code == 204

    # Then both lists, brought up to date by the events, equal fresh fetches
    events = recorder.events()
    assert apply_events(stale_depts, events, "departments", "department") == by_id(
        client.get("departments").json()["items"])
    assert apply_events(stale_members, events, "members", "member") == by_id(
        client.get("members?limit=500").json()["items"])


@pytest.mark.django_db
def test_every_event_carries_its_object_id(owner: Member, recorder: EventRecorder,
                                           django_capture_on_commit_callbacks: Any):
    with django_capture_on_commit_callbacks(execute=True):
        dept = actions.do_create_department(owner.organization, "售中", owner)
        member = actions.do_add_member(owner.organization, "new", Role.AGENT, owner)
        dept_id = dept.id
        actions.do_delete_department(dept, owner)
    assert [(e["type"], e["op"], e["id"]) for e in recorder.events()] == [
        ("departments", "add", dept_id), ("members", "add", member.id),
        ("departments", "remove", dept_id)]


@pytest.mark.django_db
def test_a_failed_action_sends_no_event(owner: Member, recorder: EventRecorder, api: Any,
                                        django_capture_on_commit_callbacks: Any):
    client = api(owner)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post("departments", {"name": "售中"}).status_code == 201
        dup = client.post("departments", {"name": "售中"})
    assert dup.status_code == 400
    assert dup.json()["detail"]
    assert [e["op"] for e in recorder.events()] == ["add"]


@pytest.mark.django_db
def test_audiences_reach_only_the_members_they_name(
        org: Organization, admin: Member, agent: Member, supervisor: Member,
        django_capture_on_commit_callbacks: Any):
    # Given three subscribers: an agent in 售前, a supervisor in 售前 and 售后, an admin in none
    pre, post = (Department.objects.get(organization=org, name=n) for n in ("售前", "售后"))
    recorders = {m.user.username: EventRecorder(m) for m in (agent, supervisor, admin)}

    # When events are sent to various audiences
    audiences = {
        1: Audience(member_ids=(agent.id,)),
        2: Audience(roles=(Role.SUPERVISOR,)),
        3: Audience(department_ids=(post.id,)),
        4: Audience(department_ids=(pre.id,)),
        5: Audience(roles=(Role.OWNER, Role.ADMIN)),
        6: Audience(member_ids=(admin.id,), department_ids=(pre.id,)),
        7: Audience.all(),
    }
    with django_capture_on_commit_callbacks(execute=True):
        for n, audience in audiences.items():
            send_event_on_commit(org, {"type": "test", "op": "add", "id": n}, audience)

    # Then each receives exactly the events meant for it
    got = {name: [e["id"] for e in rec.events()] for name, rec in recorders.items()}
    assert got == {"kefu1": [1, 4, 6, 7], "zhuguan": [2, 3, 4, 6, 7], "admin1": [5, 6, 7]}
    for rec in recorders.values():
        rec.close()


def test_an_event_without_type_or_op_is_refused():
    with pytest.raises(ValueError):
        send_event_on_commit(1, {"type": "x"}, Audience.all())


# --- the real SSE view, with real commits --------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_committed_event_reaches_a_subscriber_of_the_same_org(
        org: Organization, owner: Member, agent: Member):
    token = token_of(agent)

    async def scenario() -> Any:
        async with SseStream(token) as stream:
            hello = await stream.next_event()  # subscribed from here on
            dept = await create_department(org, "售中", owner)
            return hello, dept, await stream.next_event(), stream.response

    hello, dept, got, response = run(scenario)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/event-stream")
    assert hello["data"] == {"type": "hello", "op": "connected"}
    assert got["data"] == {"type": "departments", "op": "add", "id": dept.id,
                           "department": {"id": dept.id, "name": "售中"}}
    assert parse_id(got["id"]) > parse_id(hello["id"])


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transaction_sends_nothing(org: Organization, owner: Member):
    token = token_of(owner)

    def roll_back_then_commit() -> Department:
        try:
            with transaction.atomic():
                actions.do_create_department(org, "回滚", owner)
                raise Rollback
        except Rollback:
            pass
        return actions.do_create_department(org, "提交", owner)

    async def scenario() -> Any:
        async with SseStream(token) as stream:
            await stream.next_event()
            committed = await sync_to_async(roll_back_then_commit)()
            return committed, await stream.next_event()

    committed, got = run(scenario)
    # The first event after connecting is the committed one: the rolled-back one never came.
    assert got["data"]["id"] == committed.id
    assert got["data"]["department"]["name"] == "提交"
    assert not Department.objects.filter(name="回滚").exists()


@pytest.mark.django_db(transaction=True)
def test_subscriber_of_another_org_gets_nothing(
        org: Organization, other_org: Organization, owner: Member, outsider: Member):
    token = token_of(outsider)

    async def scenario() -> Any:
        async with SseStream(token) as stream:
            hello = await stream.next_event()
            await create_department(org, "别人看不到", owner)
            own = await create_department(other_org, "自己的", outsider)
            live = await stream.next_event()
        # Nor through a resume from before both events
        async with SseStream(token, last_event_id=hello["id"]) as stream:
            replayed = await stream.next_event()
        return own, live, replayed

    own, live, replayed = run(scenario)
    assert live["data"]["id"] == own.id
    assert replayed["data"]["id"] == own.id
    assert replayed["id"] == live["id"]


@pytest.mark.django_db(transaction=True)
def test_reconnect_with_last_event_id_receives_exactly_what_was_missed(
        org: Organization, owner: Member, agent: Member):
    token = token_of(agent)

    async def scenario() -> Any:
        # Given a client that saw the hello and one event, then lost its connection
        async with SseStream(token) as stream:
            await stream.next_event()
            first = await create_department(org, "一", owner)
            seen = await stream.next_event()
        # While it was away, two more events
        missed = [await create_department(org, "二", owner),
                  await create_department(org, "三", owner)]
        # When it reconnects with the id of the last event it saw
        async with SseStream(token, last_event_id=seen["id"]) as stream:
            replayed = [await stream.next_event(), await stream.next_event()]
            later = await create_department(org, "四", owner)
            live = await stream.next_event()
        return first, seen, missed, replayed, later, live

    first, seen, missed, replayed, later, live = run(scenario)
    # Then it gets the missed ones in order, nothing twice, and live events after them
    assert seen["data"]["id"] == first.id
    assert [e["data"]["id"] for e in replayed] == [d.id for d in missed]
    assert live["data"]["id"] == later.id
    ids = [parse_id(e["id"]) for e in (seen, *replayed, live)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 4


@pytest.mark.django_db(transaction=True)
def test_resume_accepts_the_id_as_a_query_parameter(org: Organization, owner: Member):
    # EventSource cannot set headers on its first connection; ?last_event_id= does it.
    token = token_of(owner)

    async def scenario() -> Any:
        async with SseStream(token) as stream:
            hello = await stream.next_event()
        dept = await create_department(org, "一", owner)
        async with SseStream(token, path=f"/api/v1/events?last_event_id={hello['id']}") as s:
            return dept, await s.next_event()

    dept, got = run(scenario)
    assert got["data"]["id"] == dept.id


@pytest.mark.django_db(transaction=True)
def test_resume_from_before_a_restart_asks_the_client_to_resync(
        org: Organization, owner: Member):
    token = token_of(owner)

    async def scenario() -> Any:
        async with SseStream(token) as stream:
            hello = await stream.next_event()
        time.sleep(0.002)  # the restarted process starts in a later millisecond
        reset_bus()  # what a restart does to the in-process bus: its history is gone
        await create_department(org, "重启后", owner)
        async with SseStream(token, last_event_id=hello["id"]) as stream:
            first = await stream.next_event()
            dept = await create_department(org, "再之后", owner)
            return first, dept, await stream.next_event()

    first, dept, after = run(scenario)
    assert first["data"] == {"type": "resync", "op": "refetch"}
    assert after["data"]["id"] == dept.id  # and live events continue after the resync
    assert parse_id(after["id"]) > parse_id(first["id"])


@pytest.mark.django_db(transaction=True)
def test_resume_from_beyond_the_retention_window_asks_the_client_to_resync(
        org: Organization, owner: Member, settings: Any):
    # Given a bus that keeps events for one millisecond
    settings.KEFU_EVENT_RETENTION_SECONDS = 0.001
    reset_bus()
    token = token_of(owner)

    async def scenario() -> Any:
        async with SseStream(token) as stream:
            hello = await stream.next_event()
        await create_department(org, "一", owner)
        time.sleep(0.005)  # "一" is now older than the window
        await create_department(org, "二", owner)
        async with SseStream(token, last_event_id=hello["id"]) as stream:
            return await stream.next_event()

    got = run(scenario)
    assert got["data"] == {"type": "resync", "op": "refetch"}


@pytest.mark.django_db(transaction=True)
def test_events_stream_accepts_a_web_session(org: Organization, owner: Member,
                                             agent: Member):
    # Given an agent logged in through the web page
    web = Client()
    web.force_login(agent.user)
    cookie = web.cookies["sessionid"].value

    async def scenario() -> Any:
        async with SseStream(None, session_cookie=cookie) as stream:
            await stream.next_event()
            dept = await create_department(org, "售中", owner)
            return dept, await stream.next_event()

    dept, got = run(scenario)
    assert got["data"]["id"] == dept.id


@pytest.mark.django_db(transaction=True)
def test_events_stream_needs_authentication(db: Any):
    async def scenario() -> Any:
        async with SseStream("kefu_wrong") as bad, SseStream(None) as anonymous:
            return bad.response, anonymous.response

    bad, anonymous = run(scenario)
    assert bad.status_code == anonymous.status_code == 401
    assert bad.json()["detail"]


# --- the Redis bus, in-process (test_events_live.py covers several processes) --------------

@pytest.fixture
def redis_bus(redis_url: str, settings: Any) -> str:
    settings.KEFU_REDIS_URL = redis_url
    reset_bus()
    return redis_url


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_redis_bus_delivers_and_replays(redis_bus: str, org: Organization, owner: Member):
    token = token_of(owner)

    async def scenario() -> Any:
        async with SseStream(token) as stream:
            hello = await stream.next_event()
            first = await create_department(org, "一", owner)
            live = await stream.next_event()
        missed = await create_department(org, "二", owner)
        async with SseStream(token, last_event_id=hello["id"]) as stream:
            replayed = [await stream.next_event(), await stream.next_event()]
        return first, live, missed, replayed

    first, live, missed, replayed = run(scenario)
    assert live["data"]["id"] == first.id
    assert [e["data"]["id"] for e in replayed] == [first.id, missed.id]
    assert replayed[0]["id"] == live["id"]  # the Redis stream id, the same for every process


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_redis_resume_from_beyond_the_retention_window_asks_the_client_to_resync(
        redis_bus: str, org: Organization, owner: Member):
    import redis

    token = token_of(owner)

    async def scenario() -> Any:
        async with SseStream(token) as stream:
            hello = await stream.next_event()
        await create_department(org, "一", owner)
        await create_department(org, "二", owner)
        # Time passes: the retention trim drops the older entries, as XADD MINID does
        client = redis.Redis.from_url(redis_bus)
        client.xtrim("kefu:events", maxlen=1, approximate=False)
        client.close()
        async with SseStream(token, last_event_id=hello["id"]) as stream:
            return await stream.next_event()

    got = run(scenario)
    assert got["data"] == {"type": "resync", "op": "refetch"}


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_redis_resume_after_redis_lost_its_data_asks_the_client_to_resync(
        redis_bus: str, org: Organization, owner: Member):
    import redis

    token = token_of(owner)

    async def scenario() -> Any:
        async with SseStream(token) as stream:
            await stream.next_event()
            await create_department(org, "一", owner)
            seen = await stream.next_event()
        client = redis.Redis.from_url(redis_bus)
        client.flushdb()  # a Redis restart without persistence
        client.close()
        async with SseStream(token, last_event_id=seen["id"]) as stream:
            return await stream.next_event()

    got = run(scenario)
    assert got["data"] == {"type": "resync", "op": "refetch"}
