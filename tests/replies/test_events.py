"""Live events of the reply library: typed, sent after commit only, to the right people only,
and enough to keep a screen's copy of the library current (STYLE.md, convention 4)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from kefu.core.models import Member, Role
from kefu.replies import actions
from kefu.replies.event_types import CategoryEvent, ReplyEvent, VariableEvent
from kefu.replies.models import Category, Library, Reply, Scope
from tests.replies.conftest import library_of
from tests.sse import EventRecorder, apply_events, by_id

EVENT_MODELS = {"replies": ReplyEvent, "reply_categories": CategoryEvent,
                "reply_variables": VariableEvent}


@pytest.fixture
def listen() -> Iterator[Callable[[Member], EventRecorder]]:
    recorders: list[EventRecorder] = []

    def make(member: Member) -> EventRecorder:
        recorders.append(EventRecorder(member))
        return recorders[-1]

    yield make
    for rec in recorders:
        rec.close()


@dataclass
class World:
    """A small library: company (categories 售前 > 尺码, and 售后), 售前's and 售后's
    libraries, the 售前 agent's personal library, a variable; one reply in most places."""

    supervisor: Member
    presales_agent: Member
    aftersales_agent: Member
    company: Library
    presales: Library
    aftersales: Library
    personal: Library
    pre: Category
    size: Category
    post: Category
    replies: dict[str, Reply]
    variable_id: int


@pytest.fixture
def world(org: Any, owner: Member, agent: Member, aftersales_agent: Member,
          make_member: Any) -> World:
    sup = make_member(org, Role.SUPERVISOR, "zhijian", departments=("质检",))
    company = library_of(owner, Scope.COMPANY)
    pre = actions.do_create_category(owner, company, "售前")
    size = actions.do_create_category(owner, company, "尺码", pre)
    post = actions.do_create_category(owner, company, "售后")
    presales = library_of(owner, Scope.DEPARTMENT, "售前")
    aftersales = library_of(owner, Scope.DEPARTMENT, "售后")
    personal = library_of(agent, Scope.PERSONAL)

    def reply(lib: Library, title: str, cat: Category | None = None,
              by: Member = owner) -> Reply:
        return actions.do_create_reply(by, lib, {"title": title, "body": f"{title}的回复"}, cat)

    replies = {
        "pre1": reply(company, "在吗", pre), "pre2": reply(company, "有货吗", pre),
        "size": reply(company, "尺码推荐", size), "loose": reply(company, "欢迎光临"),
        "presales": reply(presales, "售前专用"), "aftersales": reply(aftersales, "售后专用"),
        "personal": reply(personal, "我的话术", by=agent),
    }
    var = actions.do_save_variable(owner, org.id, "活动.满减", "满300减50")
    return World(sup, agent, aftersales_agent, company, presales, aftersales, personal,
                 pre, size, post, replies, var.id)


# --- what each emitting action sends ---------------------------------------------------

Action = Callable[[World, Any], Any]


def _patch(path: str, body: dict[str, Any]) -> Callable[[Any], Any]:
    return lambda c: c.patch(path, body)


ACTIONS: dict[str, tuple[Action, list[tuple[str, str]]]] = {
    # name: (the API call, as the supervisor or the personal library's owner,
    #        [(type, op)] the 售前 agent receives)
    "create": (lambda w, c: c["sup"].post("replies", {"library_id": w.company.id,
                                                      "title": "新话术", "body": "亲~"}),
               [("replies", "add")]),
    "edit": (lambda w, c: c["sup"].patch(f"replies/{w.replies['pre1'].id}",
                                         {"version": 1, "body": "在的亲"}),
             [("replies", "update")]),
    "delete": (lambda w, c: c["sup"].delete(f"replies/{w.replies['pre1'].id}"),
               [("replies", "remove")]),
    "undelete": (lambda w, c: c["sup"].post(f"replies/{w.replies['deleted'].id}/undelete"),
                 [("replies", "add")]),
    "restore": (lambda w, c: c["sup"].post(f"replies/{w.replies['edited'].id}"
                                           "/revisions/1/restore", {"version": 2}),
                [("replies", "update")]),
    "move department to company": (
        lambda w, c: c["sup"].patch(f"replies/{w.replies['presales'].id}",
                                    {"version": 1, "library_id": w.company.id}),
        [("replies", "remove"), ("replies", "update")]),
    "move company to other department": (
        lambda w, c: c["sup"].patch(f"replies/{w.replies['loose'].id}",
                                    {"version": 1, "library_id": w.aftersales.id}),
        [("replies", "remove")]),
    "move to another category": (
        lambda w, c: c["sup"].patch(f"replies/{w.replies['pre1'].id}",
                                    {"version": 1, "category_id": w.post.id}),
        [("replies", "update")]),
    "reorder replies": (
        lambda w, c: c["sup"].post("replies/reorder", {
            "library_id": w.company.id, "category_id": w.pre.id,
            "ids": [w.replies["pre2"].id, w.replies["pre1"].id]}),
        [("replies", "update"), ("replies", "update")]),
    "personal create": (lambda w, c: c["agent"].post("replies", {"scope": "personal",
                                                                 "title": "私", "body": "私"}),
                        [("replies", "add")]),
    "category create": (lambda w, c: c["sup"].post("categories", {"library_id": w.company.id,
                                                                  "name": "物流"}),
                        [("reply_categories", "add")]),
    "category rename": (lambda w, c: c["sup"].patch(f"categories/{w.pre.id}",
                                                    {"name": "售前咨询"}),
                        # the category, then its replies' new category paths
                        [("reply_categories", "update")] + [("replies", "update")] * 3),
    "category move": (lambda w, c: c["sup"].patch(f"categories/{w.size.id}",
                                                  {"parent_id": w.post.id}),
                      [("reply_categories", "update"), ("replies", "update")]),
    "category reorder": (lambda w, c: c["sup"].post("categories/reorder", {
        "library_id": w.company.id, "ids": [w.post.id, w.pre.id]}),
        [("reply_categories", "update"), ("reply_categories", "update")]),
    "category delete": (lambda w, c: c["sup"].delete(f"categories/{w.post.id}"),
                        [("reply_categories", "remove")]),
    "category delete moving replies": (
        lambda w, c: c["sup"].delete(f"categories/{w.pre.id}?move_to={w.post.id}"),
        [("replies", "update")] * 3
        + [("reply_categories", "remove"), ("reply_categories", "remove")]),
    "variable create": (lambda w, c: c["sup"].post("variables", {"name": "活动.赠品",
                                                                 "value": "小样"}),
                        [("reply_variables", "add")]),
    "variable update": (lambda w, c: c["sup"].patch(f"variables/{w.variable_id}", {
        "name": "活动.满减", "value": "满200减30", "version": 1}),
        [("reply_variables", "update")]),
    "variable delete": (lambda w, c: c["sup"].delete(f"variables/{w.variable_id}"),
                        [("reply_variables", "remove")]),
}


def _prepare(world: World, owner: Member) -> None:
    """State some actions start from: a deleted reply, and a reply edited once."""
    deleted = actions.do_create_reply(owner, world.company, {"title": "误删", "body": "误删"})
    world.replies["deleted"] = actions.do_delete_reply(owner, deleted)
    edited = actions.do_create_reply(owner, world.company, {"title": "改过", "body": "v1"})
    world.replies["edited"] = actions.do_edit_reply(owner, edited, 1, {"body": "v2"})


@pytest.mark.parametrize("name", list(ACTIONS))
@pytest.mark.django_db
def test_each_action_sends_its_typed_events_after_commit_only(
        world: World, owner: Member, api: Any, listen: Any,
        django_capture_on_commit_callbacks: Any, name: str):
    # Given the 售前 agent's screen listening
    _prepare(world, owner)
    call, expected = ACTIONS[name]
    clients = {"sup": api(world.supervisor), "agent": api(world.presales_agent)}
    screen = listen(world.presales_agent)

    # When the action runs, nothing is sent before its transaction commits
    with django_capture_on_commit_callbacks(execute=True):
        resp = call(world, clients)
        assert resp.status_code in (200, 201, 204), resp.content
        assert screen.events() == []

    # Then after commit, exactly the expected events arrive, each valid for its type
    events = screen.events()
    assert [(e["type"], e["op"]) for e in events] == expected
    for event in events:
        model = EVENT_MODELS[event["type"]]
        assert model.model_validate(event).model_dump(mode="json") == event


@pytest.mark.django_db
def test_no_event_is_sent_when_the_transaction_rolls_back(
        world: World, owner: Member, listen: Any, django_capture_on_commit_callbacks: Any):
    screen = listen(world.presales_agent)

    def work_that_fails() -> None:
        with transaction.atomic():
            actions.do_create_reply(owner, world.company, {"title": "回滚", "body": "回滚"})
            actions.do_create_category(owner, world.company, "回滚")
            raise RuntimeError("the surrounding work failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        work_that_fails()

    assert screen.events() == []
    assert not Reply.objects.filter(title="回滚").exists()


@pytest.mark.django_db
def test_failed_action_sends_nothing(
        world: World, api: Any, listen: Any, django_capture_on_commit_callbacks: Any):
    screen = listen(world.supervisor)

    with django_capture_on_commit_callbacks(execute=True):
        stale = api(world.supervisor).patch(f"replies/{world.replies['pre1'].id}",
                                            {"version": 9, "title": "过期"})
        full = api(world.supervisor).delete(f"categories/{world.pre.id}")

    assert (stale.status_code, full.status_code) == (409, 400)
    assert screen.events() == []


# --- who receives what -------------------------------------------------------------------

def _received(screens: dict[str, EventRecorder]) -> dict[str, list[tuple[str, int]]]:
    return {who: [(e["op"], e["id"]) for e in rec.events()] for who, rec in screens.items()}


@pytest.fixture
def screens(world: World, owner: Member, admin: Member, outsider: Member,
            listen: Any) -> dict[str, EventRecorder]:
    return {"owner": listen(owner), "admin": listen(admin),
            "supervisor": listen(world.supervisor), "presales": listen(world.presales_agent),
            "aftersales": listen(world.aftersales_agent), "outsider": listen(outsider)}


@pytest.mark.django_db
def test_personal_reply_events_reach_only_its_owner(
        world: World, screens: dict[str, EventRecorder], api: Any,
        django_capture_on_commit_callbacks: Any):
    reply = world.replies["personal"]

    with django_capture_on_commit_callbacks(execute=True):
        api(world.presales_agent).patch(f"replies/{reply.id}", {"version": 1, "body": "改"})

    assert _received(screens) == {"owner": [], "admin": [], "supervisor": [],
                                  "presales": [("update", reply.id)], "aftersales": [],
                                  "outsider": []}


@pytest.mark.django_db
def test_department_reply_events_reach_its_agents_and_all_managers_only(
        world: World, screens: dict[str, EventRecorder], api: Any,
        django_capture_on_commit_callbacks: Any):
    reply = world.replies["presales"]

    with django_capture_on_commit_callbacks(execute=True):
        api(world.supervisor).patch(f"replies/{reply.id}", {"version": 1, "body": "改"})

    got = ("update", reply.id)
    assert _received(screens) == {"owner": [got], "admin": [got], "supervisor": [got],
                                  "presales": [got], "aftersales": [], "outsider": []}


@pytest.mark.django_db
def test_company_reply_events_reach_the_whole_organization_only(
        world: World, screens: dict[str, EventRecorder], api: Any,
        django_capture_on_commit_callbacks: Any):
    reply = world.replies["loose"]

    with django_capture_on_commit_callbacks(execute=True):
        api(world.supervisor).delete(f"replies/{reply.id}")

    got = [("remove", reply.id)]
    assert _received(screens) == {"owner": got, "admin": got, "supervisor": got,
                                  "presales": got, "aftersales": got, "outsider": []}


@pytest.mark.django_db
def test_moving_a_department_reply_to_the_company_tells_old_and_new_audiences(
        world: World, screens: dict[str, EventRecorder], api: Any,
        django_capture_on_commit_callbacks: Any):
    reply = world.replies["presales"]

    with django_capture_on_commit_callbacks(execute=True):
        api(world.supervisor).patch(f"replies/{reply.id}",
                                    {"version": 1, "library_id": world.company.id})

    # Everyone who could see it is told it left 售前 (remove), then everyone who can see it
    # now gets it (update); the 售后 agent, who never saw it, only gets it.
    both = [("remove", reply.id), ("update", reply.id)]
    assert _received(screens) == {"owner": both, "admin": both, "supervisor": both,
                                  "presales": both, "aftersales": [("update", reply.id)],
                                  "outsider": []}


@pytest.mark.django_db
def test_categories_of_a_personal_library_are_announced_to_its_owner_only(
        world: World, screens: dict[str, EventRecorder], api: Any,
        django_capture_on_commit_callbacks: Any):
    with django_capture_on_commit_callbacks(execute=True):
        resp = api(world.presales_agent).post("categories", {"library_id": world.personal.id,
                                                             "name": "我的分类"})

    got = [("add", resp.json()["id"])]
    assert _received(screens) == {"owner": [], "admin": [], "supervisor": [],
                                  "presales": got, "aftersales": [], "outsider": []}


@pytest.mark.django_db
def test_variable_events_reach_the_whole_organization_only(
        world: World, screens: dict[str, EventRecorder], api: Any,
        django_capture_on_commit_callbacks: Any):
    with django_capture_on_commit_callbacks(execute=True):
        api(world.supervisor).delete(f"variables/{world.variable_id}")

    got = [("remove", world.variable_id)]
    assert _received(screens) == {"owner": got, "admin": got, "supervisor": got,
                                  "presales": got, "aftersales": got, "outsider": []}


# --- a stale copy plus the events equals a fresh fetch -----------------------------------

def _snapshot(client: Any) -> dict[str, list[dict[str, Any]]]:
    """What a screen shows: the replies, the categories of every library, the variables."""
    replies = client.get("replies?limit=500")
    variables = client.get("variables?limit=500")
    libraries = client.get("libraries")
    assert replies.status_code == variables.status_code == libraries.status_code == 200
    categories = []
    for lib in libraries.json():
        for top in lib["categories"]:
            categories.append({k: v for k, v in top.items()
                               if k not in ("children", "reply_count")})
            categories.extend(top["children"])
    return {"replies": by_id(replies.json()["items"]), "categories": by_id(categories),
            "variables": by_id(variables.json()["items"])}


SNAPSHOT_EVENTS = {"replies": ("replies", "reply"),
                   "categories": ("reply_categories", "category"),
                   "variables": ("reply_variables", "variable")}


@pytest.mark.parametrize("viewer", ["supervisor", "presales", "aftersales"])
@pytest.mark.parametrize("name", list(ACTIONS))
@pytest.mark.django_db
def test_applying_the_events_to_a_stale_copy_equals_a_fresh_fetch(
        world: World, owner: Member, api: Any, listen: Any,
        django_capture_on_commit_callbacks: Any, name: str, viewer: str):
    # Given a screen that fetched everything and then listened
    _prepare(world, owner)
    member = {"supervisor": world.supervisor, "presales": world.presales_agent,
              "aftersales": world.aftersales_agent}[viewer]
    client = api(member)
    stale = _snapshot(client)
    screen = listen(member)

    # When the action happens
    call, _expected = ACTIONS[name]
    with django_capture_on_commit_callbacks(execute=True):
        resp = call(world, {"sup": api(world.supervisor), "agent": api(world.presales_agent)})
    assert resp.status_code in (200, 201, 204), resp.content

    # Then the stale copy with the events applied is what a fresh fetch shows
    events = screen.events()
    fresh = _snapshot(client)
    for part, (type_, noun) in SNAPSHOT_EVENTS.items():
        assert apply_events(stale[part], events, type_, noun) == fresh[part], part
