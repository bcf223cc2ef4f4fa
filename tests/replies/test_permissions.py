"""Who reads and who manages each library: company, department, personal, for every role.

The matrix's people: the organization's owner, an admin, a supervisor of 质检 (neither 售前
nor 售后), an agent of 售前 and an agent of 售后. The department library under test is 售前's;
the personal library under test is the 售前 agent's.
"""

from __future__ import annotations

from typing import Any

import pytest

from kefu.core.models import Member, Organization, Role
from kefu.replies.models import Library, Reply, Scope
from tests.replies.conftest import MakeReply, ids, library_of

ROLES = ["owner", "admin", "supervisor", "presales_agent", "aftersales_agent"]


@pytest.fixture
def people(org: Organization, owner: Member, admin: Member, agent: Member,
           aftersales_agent: Member, make_member: Any) -> dict[str, Member]:
    return {"owner": owner, "admin": admin,
            "supervisor": make_member(org, Role.SUPERVISOR, "zhijian", departments=("质检",)),
            "presales_agent": agent, "aftersales_agent": aftersales_agent}


@pytest.fixture
def libraries(owner: Member, agent: Member, aftersales_agent: Member) -> dict[str, Library]:
    return {"company": library_of(owner, Scope.COMPANY),
            "department": library_of(owner, Scope.DEPARTMENT, "售前"),
            "personal": library_of(agent, Scope.PERSONAL)}


# Expected status of reading one reply, per (scope, role).
READ = {
    "company": dict.fromkeys(ROLES, 200),
    "department": {"owner": 200, "admin": 200, "supervisor": 200, "presales_agent": 200,
                   "aftersales_agent": 404},
    "personal": {"owner": 404, "admin": 404, "supervisor": 404, "presales_agent": 200,
                 "aftersales_agent": 404},
}
# Expected status of changing one (create/edit/delete), per (scope, role): 403 when the reply
# is visible but not theirs to manage, 404 when it is not even visible.
MANAGE = {
    "company": {"owner": 200, "admin": 200, "supervisor": 200, "presales_agent": 403,
                "aftersales_agent": 403},
    "department": {"owner": 200, "admin": 200, "supervisor": 200, "presales_agent": 403,
                   "aftersales_agent": 404},
    "personal": {"owner": 404, "admin": 404, "supervisor": 404, "presales_agent": 200,
                 "aftersales_agent": 404},
}
MATRIX = [(scope, role) for scope in READ for role in ROLES]


def _target(library: Library) -> dict[str, Any]:
    """How the API names the library to create in."""
    return {"library_id": library.id}


@pytest.mark.parametrize(("scope", "role"), MATRIX)
@pytest.mark.django_db
def test_reading_a_reply_depends_on_scope_and_role(
        people: dict[str, Member], libraries: dict[str, Library], make_reply: MakeReply,
        api: Any, scope: str, role: str):
    # Given a reply in the library of this scope
    reply = make_reply(libraries[scope], title="发货时间")

    # When the member of this role opens it
    resp = api(people[role]).get(f"replies/{reply.id}")

    # Then they see it, or get the same 404 as for a reply that does not exist
    assert resp.status_code == READ[scope][role], resp.content
    if resp.status_code == 200:
        assert resp.json()["title"] == "发货时间"
    else:
        missing = api(people[role]).get("replies/987654321")
        assert resp.json() == missing.json()


@pytest.mark.parametrize(("scope", "role"), MATRIX)
@pytest.mark.django_db
def test_creating_a_reply_depends_on_scope_and_role(
        people: dict[str, Member], libraries: dict[str, Library], api: Any,
        scope: str, role: str):
    # Given the library of this scope
    library = libraries[scope]

    # When the member of this role creates a reply in it
    resp = api(people[role]).post("replies", {**_target(library), "title": "新话术",
                                              "body": "亲，欢迎光临~"})

    # Then it is created only if they manage the library; otherwise nothing is written
    expected = MANAGE[scope][role]
    assert resp.status_code == (201 if expected == 200 else expected), resp.content
    if expected == 200:
        assert resp.json()["library"]["id"] == library.id
        assert Reply.objects.filter(library=library).count() == 1
    else:
        assert resp.json()["detail"]
        assert not Reply.objects.filter(library=library).exists()


@pytest.mark.parametrize(("scope", "role"), MATRIX)
@pytest.mark.django_db
def test_editing_a_reply_depends_on_scope_and_role(
        people: dict[str, Member], libraries: dict[str, Library], make_reply: MakeReply,
        api: Any, scope: str, role: str):
    # Given a reply in the library of this scope
    reply = make_reply(libraries[scope], title="原标题")

    # When the member of this role edits it
    resp = api(people[role]).patch(f"replies/{reply.id}", {"version": 1, "title": "新标题"})

    # Then only a manager of the library changes it
    assert resp.status_code == MANAGE[scope][role], resp.content
    reply.refresh_from_db()
    if resp.status_code == 200:
        assert (reply.title, reply.version) == ("新标题", 2)
    else:
        assert (reply.title, reply.version) == ("原标题", 1)
        assert reply.revisions.count() == 1


@pytest.mark.parametrize(("scope", "role"), MATRIX)
@pytest.mark.django_db
def test_deleting_a_reply_depends_on_scope_and_role(
        people: dict[str, Member], libraries: dict[str, Library], make_reply: MakeReply,
        api: Any, scope: str, role: str):
    reply = make_reply(libraries[scope])

    resp = api(people[role]).delete(f"replies/{reply.id}")

    assert resp.status_code == MANAGE[scope][role], resp.content
    reply.refresh_from_db()
    assert (reply.deleted_at is not None) == (resp.status_code == 200)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.django_db
def test_every_member_manages_their_own_personal_library(
        people: dict[str, Member], api: Any, role: str):
    # Given any member
    client = api(people[role])

    # When they save, edit and delete a reply in their personal library
    created = client.post("replies", {"scope": "personal", "title": "我的常用语",
                                      "body": "好的亲，马上为您处理"})
    assert created.status_code == 201, created.content
    rid = created.json()["id"]
    edited = client.patch(f"replies/{rid}", {"version": 1, "body": "好的亲，这就处理"})
    deleted = client.delete(f"replies/{rid}")

    # Then all of it works, in their own library
    assert created.json()["library"]["scope"] == "personal"
    assert created.json()["library"]["owner_id"] == people[role].id
    assert edited.status_code == 200
    assert deleted.status_code == 200


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.django_db
def test_listing_replies_returns_exactly_what_the_member_may_see(
        people: dict[str, Member], owner: Member, make_reply: MakeReply, api: Any, role: str):
    # Given a reply in the company library, in each department's library, and in every
    # member's personal library
    company = make_reply(library_of(owner, Scope.COMPANY))
    presales = make_reply(library_of(owner, Scope.DEPARTMENT, "售前"))
    aftersales = make_reply(library_of(owner, Scope.DEPARTMENT, "售后"))
    quality = make_reply(library_of(owner, Scope.DEPARTMENT, "质检"))
    personal = {name: make_reply(library_of(m, Scope.PERSONAL)) for name, m in people.items()}

    # When the member lists replies
    seen = ids(api(people[role]).get("replies?limit=500"))

    # Then they get the company's, their departments' (managers: all departments') and
    # their own personal replies, and nothing else
    shared = {company.id}
    if role in ("owner", "admin", "supervisor"):
        shared |= {presales.id, aftersales.id, quality.id}
    elif role == "presales_agent":
        shared |= {presales.id}
    else:
        shared |= {aftersales.id}
    assert seen == shared | {personal[role].id}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.django_db
def test_libraries_list_shows_visible_libraries_and_what_the_member_may_manage(
        people: dict[str, Member], owner: Member, make_reply: MakeReply, api: Any, role: str):
    # Given the company library and both department libraries in use
    for scope, dept in ((Scope.COMPANY, None), (Scope.DEPARTMENT, "售前"),
                        (Scope.DEPARTMENT, "售后")):
        make_reply(library_of(owner, scope, dept))

    # When the member lists libraries
    resp = api(people[role]).get("libraries")

    # Then they see the company library, their departments' (managers: all) and their own
    # personal library, each saying whether they may change it
    assert resp.status_code == 200
    got = {(lib["scope"], lib["label"]): lib["can_manage"] for lib in resp.json()}
    manager = role in ("owner", "admin", "supervisor")
    me = people[role]
    expected = {("company", "Company"): manager, ("personal", me.name): True}
    if manager or role == "presales_agent":
        expected[("department", "售前")] = manager
    if manager or role == "aftersales_agent":
        expected[("department", "售后")] = manager
    assert {(scope, label if scope != "company" else "Company"): v
            for (scope, label), v in got.items()} == expected


@pytest.mark.django_db
def test_agent_cannot_create_in_a_department_library_they_do_not_belong_to_by_department_id(
        aftersales_agent: Member, agent: Member, api: Any):
    # Given the 售前 department, which the 售后 agent is not in
    presales = agent.departments.get()

    # When the 售后 agent names it to create a reply
    resp = api(aftersales_agent).post("replies", {"scope": "department",
                                                  "department_id": presales.id,
                                                  "title": "越权", "body": "不该成功"})

    # Then the department is as good as missing, and nothing is written
    assert resp.status_code == 404
    assert not Reply.objects.exists()


@pytest.mark.django_db
def test_agent_cannot_move_their_personal_reply_into_the_company_library(
        agent: Member, owner: Member, make_reply: MakeReply, api: Any):
    # Given a reply in the agent's personal library
    reply = make_reply(library_of(agent, Scope.PERSONAL))
    company = library_of(owner, Scope.COMPANY)

    # When the agent tries to publish it to the company library
    resp = api(agent).patch(f"replies/{reply.id}", {"version": 1, "library_id": company.id})

    # Then they are refused and it stays personal
    assert resp.status_code == 403
    reply.refresh_from_db()
    assert reply.library_id != company.id


@pytest.mark.django_db
def test_agent_with_a_stale_version_is_refused_for_permission_not_for_staleness(
        owner: Member, agent: Member, make_reply: MakeReply, api: Any):
    # Given a company reply edited once by a supervisor
    reply = make_reply(library_of(owner, Scope.COMPANY))
    api(owner).patch(f"replies/{reply.id}", {"version": 1, "title": "改过"})

    # When an agent sends an edit from the old version
    resp = api(agent).patch(f"replies/{reply.id}", {"version": 1, "title": "越权"})

    # Then the answer is that they may not edit it at all
    assert resp.status_code == 403


@pytest.mark.parametrize(("scope", "role"), MATRIX)
@pytest.mark.django_db(transaction=True)  # the in-memory structures learn on commit
def test_search_and_suggestions_read_the_same_libraries_as_the_api(
        people: dict[str, Member], libraries: dict[str, Library], make_reply: MakeReply,
        api: Any, scope: str, role: str):
    # Given a reply in the library of this scope, with a title nothing else has
    from kefu.replies.search.registry import REGISTRY

    REGISTRY.clear()
    reply = make_reply(libraries[scope], title="鹦鹉螺发货说明", body="鹦鹉螺今天发货")
    client = api(people[role])
    readable = READ[scope][role] == 200

    # Then search and suggestions (in-memory, no query per reply) find it exactly when the
    # API lets this member read it
    found = {r["id"] for r in client.get("replies/search", data={"q": "鹦鹉螺"}).json()["results"]}
    assert (reply.id in found) == readable
    suggested = client.post("suggest", {"message": "鹦鹉螺发货说明", "limit": 10}).json()
    assert (reply.id in {s["reply_id"] for s in suggested["suggestions"]}) == readable
