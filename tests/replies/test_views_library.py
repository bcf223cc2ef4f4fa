"""The library page (tree + list), reply delete/restore/move and category management pages."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kefu.core.models import Member, Role
from kefu.replies import actions
from kefu.replies.access import get_library
from kefu.replies.models import Category, Library, Reply, Scope
from tests.replies.conftest import MakeReply
from tests.replies.web import XSS_BODY, XSS_TITLE, assert_escaped, client_for, html


@pytest.fixture
def sup(supervisor: Member) -> Client:
    return client_for(supervisor)


@pytest.fixture
def agent_client(agent: Member) -> Client:
    return client_for(agent)


# --- the page -------------------------------------------------------------------------

def test_library_page_shows_tree_and_replies_of_the_selected_category(
        sup: Client, company_lib: Library, owner: Member, make_reply: MakeReply):
    # Given a company library with 售后 > 退款 and a reply in each level
    top = actions.do_create_category(owner, company_lib, "售后")
    child = actions.do_create_category(owner, company_lib, "退款", top)
    make_reply(company_lib, "退款多久到账", category=child, shortcut="/tk1", tags=["退款"])
    make_reply(company_lib, "欢迎语")
    # When the supervisor opens the first-level category
    resp = sup.get(f"/library/?lib={company_lib.id}&cat={top.id}")
    # Then the tree names both levels and the list holds the reply of the subcategory only
    assert resp.status_code == 200
    page = html(resp)
    assert "售后" in page
    assert "退款" in page
    assert "退款多久到账" in page
    assert "/tk1" in page
    assert "欢迎语" not in page
    assert f'href="/library/replies/{Reply.objects.get(title="退款多久到账").id}/edit"' in page


def test_agent_sees_shared_libraries_read_only_and_manages_their_own(
        agent_client: Client, agent: Member, company_lib: Library, presales_lib: Library,
        make_reply: MakeReply):
    shared = make_reply(company_lib, "公司话术一")
    dept = make_reply(presales_lib, "售前话术一")
    mine = make_reply(get_library(agent, Scope.PERSONAL), "我的话术一")
    page = html(agent_client.get("/library/?lib=all"))
    assert "公司话术一" in page
    assert "售前话术一" in page
    assert "我的话术一" in page
    assert f"/library/replies/{shared.id}/edit" not in page
    assert f"/library/replies/{dept.id}/edit" not in page
    assert f"/library/replies/{mine.id}/edit" in page
    company_page = html(agent_client.get(f"/library/?lib={company_lib.id}"))
    assert "Read-only" in company_page
    assert "/library/replies/new" not in company_page


def test_agent_does_not_see_another_departments_library(
        agent_client: Client, aftersales_lib: Library, make_reply: MakeReply):
    make_reply(aftersales_lib, "售后内部话术")
    assert agent_client.get(f"/library/?lib={aftersales_lib.id}").status_code == 404
    assert "售后内部话术" not in html(agent_client.get("/library/?lib=all"))


def test_filters_by_text_tag_and_state(sup: Client, supervisor: Member, company_lib: Library,
                                       make_reply: MakeReply):
    make_reply(company_lib, "发货时间", tags=["发货"])
    make_reply(company_lib, "退款流程", tags=["退款"])
    off = make_reply(company_lib, "旧活动")
    actions.do_edit_reply(supervisor, off, off.version, {"is_active": False})
    gone = make_reply(company_lib, "已删除的话术")
    actions.do_delete_reply(supervisor, gone)
    base = f"/library/?lib={company_lib.id}"
    by_text = html(sup.get(base + "&q=退款"))
    assert "退款流程" in by_text
    assert "发货时间" not in by_text
    by_tag = html(sup.get(base + "&tag=发货"))
    assert "发货时间" in by_tag
    assert "退款流程" not in by_tag
    inactive = html(sup.get(base + "&state=inactive"))
    assert "旧活动" in inactive
    assert "发货时间" not in inactive
    assert "已删除的话术" not in html(sup.get(base))
    deleted = html(sup.get(base + "&state=deleted"))
    assert "已删除的话术" in deleted
    assert f"/library/replies/{gone.id}/undelete" in deleted


def test_reply_text_is_escaped_on_the_list(sup: Client, company_lib: Library,
                                           make_reply: MakeReply):
    make_reply(company_lib, XSS_TITLE, XSS_BODY)
    assert_escaped(html(sup.get(f"/library/?lib={company_lib.id}")))


def _count_queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_library_page_uses_a_fixed_number_of_queries(
        sup: Client, owner: Member, company_lib: Library, make_reply: MakeReply,
        django_assert_max_num_queries: Any):
    # Given a few replies in two categories, then many more
    cats = [actions.do_create_category(owner, company_lib, name) for name in ("售前", "售后")]
    for i in range(3):
        make_reply(company_lib, category=cats[i % 2], tags=["a", "b"])
    url = f"/library/?lib={company_lib.id}"
    sup.get(url)  # first visit creates the personal and department libraries
    sup.get(url)  # and after it the member resolved for the session is remembered
    few = _count_queries(sup, url)
    for i in range(40):
        make_reply(company_lib, category=cats[i % 2], tags=["a"])
    # Then the page costs the same, and stays under a pinned budget
    assert _count_queries(sup, url) == few
    with django_assert_max_num_queries(14):
        sup.get(url)
    with django_assert_max_num_queries(14):
        sup.get("/library/?lib=all")


# --- delete, restore, move ------------------------------------------------------------

def test_supervisor_deletes_and_restores_a_reply(sup: Client, company_lib: Library,
                                                 make_reply: MakeReply):
    reply = make_reply(company_lib, "要删除的")
    resp = sup.post(f"/library/replies/{reply.id}/delete")
    assert resp.status_code == 302
    reply.refresh_from_db()
    assert reply.deleted_at is not None
    assert sup.post(f"/library/replies/{reply.id}/undelete").status_code == 302
    reply.refresh_from_db()
    assert reply.deleted_at is None


def test_delete_redirects_only_to_a_local_next(sup: Client, company_lib: Library,
                                               make_reply: MakeReply):
    reply = make_reply(company_lib)
    resp = sup.post(f"/library/replies/{reply.id}/delete", {"next": "https://evil.example/"})
    assert resp["Location"].startswith("/library/?lib=")


def test_move_buttons_reorder_replies_without_javascript(
        sup: Client, company_lib: Library, make_reply: MakeReply):
    _a, _b, c = (make_reply(company_lib, t) for t in ("甲", "乙", "丙"))
    assert sup.post(f"/library/replies/{c.id}/move", {"direction": "up"}).status_code == 302
    order = list(Reply.objects.filter(library=company_lib).order_by("position")
                 .values_list("title", flat=True))
    assert order == ["甲", "丙", "乙"]


def test_library_page_marks_a_whole_category_reorderable(
        sup: Client, owner: Member, company_lib: Library, make_reply: MakeReply):
    cat = actions.do_create_category(owner, company_lib, "售前")
    make_reply(company_lib, category=cat)
    page = html(sup.get(f"/library/?lib={company_lib.id}&cat={cat.id}"))
    assert f'data-reorder="replies" data-library="{company_lib.id}" data-category="{cat.id}"' \
        in page
    assert 'data-reorder="categories"' in page
    filtered = html(sup.get(f"/library/?lib={company_lib.id}&cat={cat.id}&q=x"))
    assert 'data-reorder="replies"' not in filtered


# --- categories -------------------------------------------------------------------------

def test_supervisor_creates_renames_and_deletes_categories(
        sup: Client, company_lib: Library, make_reply: MakeReply):
    resp = sup.post("/library/categories/new", {"library": company_lib.id, "name": "催付"})
    assert resp.status_code == 302
    top = Category.objects.get(library=company_lib, name="催付")
    sup.post("/library/categories/new", {"library": company_lib.id, "name": "话术A",
                                         "parent": top.id})
    assert Category.objects.get(name="话术A").parent_id == top.id
    sup.post(f"/library/categories/{top.id}/rename", {"name": "催付款"})
    top.refresh_from_db()
    assert top.name == "催付款"
    # A non-empty category: deleting without a target shows the refusal and keeps it
    reply = make_reply(company_lib, "催付一", category=top)
    page = sup.get(f"/library/categories/{top.id}/delete")
    assert "It holds 1 reply" in html(page)
    refused = sup.post(f"/library/categories/{top.id}/delete", {"move_to": ""})
    assert refused.status_code == 400
    assert "still has 1 replies" in html(refused)
    assert Category.objects.filter(pk=top.id).exists()
    # With "uncategorized" as the target it goes, and the reply stays
    assert sup.post(f"/library/categories/{top.id}/delete", {"move_to": "0"}).status_code == 302
    assert not Category.objects.filter(pk=top.id).exists()
    reply.refresh_from_db()
    assert reply.category_id is None
    assert reply.deleted_at is None


def test_duplicate_category_name_shows_the_actions_message(
        sup: Client, owner: Member, company_lib: Library):
    actions.do_create_category(owner, company_lib, "售前")
    resp = sup.post("/library/categories/new", {"library": company_lib.id, "name": "售前"},
                    follow=True)
    assert "already exists" in html(resp)
    assert Category.objects.filter(library=company_lib, name="售前").count() == 1


def test_category_move_buttons_reorder_siblings(sup: Client, owner: Member,
                                                company_lib: Library):
    _a, b = (actions.do_create_category(owner, company_lib, n) for n in ("一", "二"))
    sup.post(f"/library/categories/{b.id}/move", {"direction": "up"})
    assert list(Category.objects.filter(library=company_lib).order_by("position")
                .values_list("name", flat=True)) == ["二", "一"]


# --- who may do what ----------------------------------------------------------------------

def test_agent_gets_403_for_management_actions_on_shared_libraries(
        agent_client: Client, owner: Member, company_lib: Library, presales_lib: Library,
        make_reply: MakeReply):
    reply = make_reply(company_lib, "公司话术")
    cat = actions.do_create_category(owner, company_lib, "售前")
    dept_reply = make_reply(presales_lib, "部门话术")
    forbidden = [
        ("get", f"/library/replies/{reply.id}/edit", {}),
        ("post", f"/library/replies/{reply.id}/edit", {"title": "x", "body": "y"}),
        ("get", f"/library/replies/{dept_reply.id}/edit", {}),
        ("get", f"/library/replies/new?library={company_lib.id}", {}),
        ("post", f"/library/replies/{reply.id}/delete", {}),
        ("post", f"/library/replies/{reply.id}/move", {"direction": "up"}),
        ("post", f"/library/replies/{reply.id}/restore", {"revision": 1, "version": 1}),
        ("post", "/library/categories/new", {"library": company_lib.id, "name": "新"}),
        ("post", f"/library/categories/{cat.id}/rename", {"name": "改"}),
        ("get", f"/library/categories/{cat.id}/delete", {}),
        ("post", f"/library/categories/{cat.id}/delete", {"move_to": "0"}),
        ("post", f"/library/categories/{cat.id}/move", {"direction": "down"}),
    ]
    for method, url, data in forbidden:
        resp = getattr(agent_client, method)(url, data)
        assert resp.status_code == 403, (method, url, resp.status_code)
    reply.refresh_from_db()
    cat.refresh_from_db()
    assert reply.deleted_at is None
    assert reply.title == "公司话术"
    assert cat.name == "售前"


def test_agent_manages_their_personal_library(agent_client: Client, agent: Member):
    personal = get_library(agent, Scope.PERSONAL)
    assert agent_client.post("/library/categories/new",
                             {"library": personal.id, "name": "我的分类"}).status_code == 302
    cat = Category.objects.get(library=personal)
    resp = agent_client.post("/library/replies/new", {
        "title": "我的话术", "body": "亲，马上为您处理~", "place": f"cat:{cat.id}",
        "is_active": "on"})
    assert resp.status_code == 302, html(resp)
    reply = Reply.objects.get(library=personal)
    assert reply.category_id == cat.id
    assert agent_client.get(f"/library/replies/{reply.id}/edit").status_code == 200
    assert agent_client.post(f"/library/replies/{reply.id}/delete").status_code == 302


def test_another_organizations_ids_are_404_on_every_page(
        outsider: Member, owner: Member, company_lib: Library, make_reply: MakeReply):
    reply = make_reply(company_lib, "本店话术")
    cat = actions.do_create_category(owner, company_lib, "售前")
    client = client_for(outsider)
    for method, url in [
        ("get", f"/library/?lib={company_lib.id}"),
        ("get", f"/library/?lib={company_lib.id}&cat={cat.id}"),
        ("get", f"/library/replies/{reply.id}/edit"),
        ("post", f"/library/replies/{reply.id}/edit"),
        ("get", f"/library/replies/{reply.id}/history"),
        ("post", f"/library/replies/{reply.id}/restore"),
        ("post", f"/library/replies/{reply.id}/delete"),
        ("post", f"/library/replies/{reply.id}/undelete"),
        ("post", f"/library/replies/{reply.id}/move"),
        ("get", f"/library/replies/new?library={company_lib.id}"),
        ("post", f"/library/categories/{cat.id}/rename"),
        ("get", f"/library/categories/{cat.id}/delete"),
        ("post", f"/library/categories/{cat.id}/move"),
        ("post", "/library/categories/new?x=1"),
    ]:
        data = {"library": company_lib.id, "name": "x"} if url.endswith("x=1") else {}
        resp = getattr(client, method)(url, data)
        assert resp.status_code == 404, (method, url, resp.status_code)
    outsider_own = get_library(outsider, Scope.COMPANY)
    assert client.get(f"/library/?lib={outsider_own.id}&cat={cat.id}").status_code == 404


def test_pages_need_a_login(client: Client):
    resp = client.get("/library/")
    assert resp.status_code == 302
    assert "/login/" in resp["Location"]


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.SUPERVISOR, Role.AGENT])
def test_every_role_can_open_the_library_pages(role: str, org: Any, make_member: Any,
                                               company_lib: Library, make_reply: MakeReply):
    member = make_member(org, role)
    reply = make_reply(company_lib)
    client = client_for(member)
    for url in ("/library/", "/library/?lib=all", f"/library/replies/{reply.id}/history",
                "/library/variables/", "/library/import/", "/library/replies/new"):
        assert client.get(url).status_code == 200, (role, url)
    can_edit = client.get(f"/library/replies/{reply.id}/edit").status_code
    assert can_edit == (403 if role == Role.AGENT else 200)
