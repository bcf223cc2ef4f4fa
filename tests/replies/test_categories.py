"""Categories: two levels, unique sibling names, reorder, move, careful deletion."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.core.models import Member
from kefu.replies.models import Category, Library, Reply, Scope
from tests.replies.conftest import MakeReply, ids, library_of


@pytest.fixture
def company(owner: Member) -> Library:
    return library_of(owner, Scope.COMPANY)


@pytest.fixture
def client(supervisor: Member, api: Any) -> Any:
    return api(supervisor)


def _create(client: Any, library: Library, name: str, parent: int | None = None) -> Any:
    return client.post("categories", {"library_id": library.id, "name": name,
                                      "parent_id": parent})


def _tree(client: Any, library: Library) -> list[Any]:
    """[(name, [child names])] of one library, in display order."""
    libs = client.get("libraries").json()
    lib = next(lib for lib in libs if lib["id"] == library.id)
    return [(c["name"], [k["name"] for k in c["children"]]) for c in lib["categories"]]


@pytest.mark.django_db
def test_categories_have_two_levels_and_a_third_is_refused(company: Library, client: Any):
    # Given a first-level and a second-level category
    top = _create(client, company, "售后退换")
    assert top.status_code == 201, top.content
    child = _create(client, company, "退货运费", top.json()["id"])
    assert child.status_code == 201
    assert child.json()["parent_id"] == top.json()["id"]

    # When a third level is attempted
    resp = _create(client, company, "七天无理由", child.json()["id"])

    # Then it is refused with a message, and the tree still has two levels
    assert resp.status_code == 400
    assert resp.json()["detail"]
    assert resp.json()["field"] == "parent_id"
    assert _tree(client, company) == [("售后退换", ["退货运费"])]


@pytest.mark.django_db
def test_sibling_names_are_unique_but_cousins_may_share_a_name(company: Library, client: Any):
    # Given two first-level categories, one with a child 运费
    a = _create(client, company, "售后退换").json()["id"]
    b = _create(client, company, "发货物流").json()["id"]
    assert _create(client, company, "运费", a).status_code == 201

    # When the same names are created again at the same level, and under another parent
    dup_top = _create(client, company, "售后退换")
    dup_child = _create(client, company, "运费", a)
    cousin = _create(client, company, "运费", b)

    # Then same-level duplicates are refused with a message naming the name
    assert dup_top.status_code == dup_child.status_code == 400
    assert "售后退换" in dup_top.json()["detail"]
    assert "运费" in dup_child.json()["detail"]
    assert cousin.status_code == 201
    assert _tree(client, company) == [("售后退换", ["运费"]), ("发货物流", ["运费"])]


@pytest.mark.django_db
def test_renaming_onto_a_sibling_name_is_refused(company: Library, client: Any):
    _create(client, company, "售前咨询")
    other = _create(client, company, "活动优惠").json()["id"]

    resp = client.patch(f"categories/{other}", {"name": "售前咨询"})

    assert resp.status_code == 400
    assert Category.objects.get(pk=other).name == "活动优惠"


@pytest.mark.django_db
def test_reorder_sets_the_order_of_a_level(company: Library, client: Any):
    # Given three first-level categories in creation order
    a, b, c = (_create(client, company, n).json()["id"] for n in ("售前", "售中", "售后"))

    # When they are reordered
    resp = client.post("categories/reorder", {"library_id": company.id, "ids": [c, a, b]})

    # Then the tree shows the new order
    assert resp.status_code == 204
    assert [name for name, _kids in _tree(client, company)] == ["售后", "售前", "售中"]


@pytest.mark.django_db
def test_reorder_with_a_missing_or_foreign_id_is_refused(company: Library, client: Any):
    a, b = (_create(client, company, n).json()["id"] for n in ("售前", "售后"))

    partial = client.post("categories/reorder", {"library_id": company.id, "ids": [b]})
    foreign = client.post("categories/reorder", {"library_id": company.id,
                                                 "ids": [b, a, 987654]})

    assert partial.status_code == foreign.status_code == 400
    assert partial.json()["detail"]
    assert [name for name, _kids in _tree(client, company)] == ["售前", "售后"]


@pytest.mark.django_db
def test_move_a_category_under_another_and_back_to_first_level(company: Library, client: Any):
    # Given a first-level 退换, then 发货物流 with a child 快递
    returns = _create(client, company, "退换").json()["id"]
    logistics = _create(client, company, "发货物流").json()["id"]
    _create(client, company, "快递", logistics)

    # When 退换 is moved under 发货物流, then back to the first level
    under = client.patch(f"categories/{returns}", {"parent_id": logistics})
    tree_under = _tree(client, company)
    back = client.patch(f"categories/{returns}", {"parent_id": 0})

    # Then it becomes the last child, then the last first-level category
    assert under.status_code == 200, under.content
    assert tree_under == [("发货物流", ["快递", "退换"])]
    assert back.status_code == 200
    assert _tree(client, company) == [("发货物流", ["快递"]), ("退换", [])]


@pytest.mark.django_db
def test_a_category_with_children_cannot_become_a_child(company: Library, client: Any):
    # Given 发货物流 with a child, and 售后
    logistics = _create(client, company, "发货物流").json()["id"]
    _create(client, company, "快递", logistics)
    after = _create(client, company, "售后").json()["id"]

    # When 发货物流 is moved under 售后
    resp = client.patch(f"categories/{logistics}", {"parent_id": after})

    # Then it is refused with a message, and nothing moved
    assert resp.status_code == 400
    assert resp.json()["detail"]
    assert _tree(client, company) == [("发货物流", ["快递"]), ("售后", [])]


@pytest.mark.django_db
def test_moving_a_category_keeps_the_paths_of_its_replies_current(
        company: Library, client: Any, make_reply: MakeReply):
    a = _create(client, company, "物流").json()["id"]
    b = _create(client, company, "快递").json()["id"]
    reply = make_reply(company, category=Category.objects.get(pk=b))

    client.patch(f"categories/{b}", {"parent_id": a, "name": "顺丰"})

    assert client.get(f"replies/{reply.id}").json()["category"] == ["物流", "顺丰"]


@pytest.mark.django_db
def test_deleting_a_non_empty_category_is_refused_with_the_count_and_nothing_changes(
        company: Library, client: Any, make_reply: MakeReply):
    # Given 售后 with a child 退货, holding three live replies and one deleted reply
    after = _create(client, company, "售后").json()["id"]
    child = _create(client, company, "退货", after).json()["id"]
    in_top = make_reply(company, category=Category.objects.get(pk=after))
    in_child = [make_reply(company, category=Category.objects.get(pk=child)) for _ in range(2)]
    client.delete(f"replies/{make_reply(company, category=Category.objects.get(pk=child)).id}")

    # When 售后 is deleted without saying where its replies go
    resp = client.delete(f"categories/{after}")

    # Then it is refused with a message naming the 3 live replies, and nothing changed
    assert resp.status_code == 400
    assert "3" in resp.json()["detail"]
    assert _tree(client, company) == [("售后", ["退货"])]
    assert Reply.objects.get(pk=in_top.id).category_id == after
    assert {Reply.objects.get(pk=r.id).category_id for r in in_child} == {child}


@pytest.mark.django_db
def test_deleting_with_move_to_moves_the_replies_with_a_revision_and_deletes_it(
        company: Library, client: Any, make_reply: MakeReply):
    # Given 售后 (with a child 退货) holding replies, and another category 售前
    after = _create(client, company, "售后").json()["id"]
    child = _create(client, company, "退货", after).json()["id"]
    target = _create(client, company, "售前").json()["id"]
    moved = [make_reply(company, category=Category.objects.get(pk=after)),
             make_reply(company, category=Category.objects.get(pk=child))]

    # When 售后 is deleted, moving its replies to 售前
    resp = client.delete(f"categories/{after}?move_to={target}")

    # Then the category and its child are gone, and every reply is in 售前, at version 2,
    # with a "move" revision
    assert resp.status_code == 204, resp.content
    assert _tree(client, company) == [("售前", [])]
    for reply in moved:
        got = client.get(f"replies/{reply.id}").json()
        assert (got["category"], got["version"]) == (["售前"], 2)
        assert Reply.objects.get(pk=reply.id).revisions.first().action == "move"
    assert ids(client.get(f"replies?category_id={target}")) == {r.id for r in moved}


@pytest.mark.django_db
def test_deleting_with_move_to_zero_leaves_the_replies_uncategorized(
        company: Library, client: Any, make_reply: MakeReply):
    after = _create(client, company, "售后").json()["id"]
    reply = make_reply(company, category=Category.objects.get(pk=after))

    resp = client.delete(f"categories/{after}?move_to=0")

    assert resp.status_code == 204
    assert client.get(f"replies/{reply.id}").json()["category"] == []
    lib = next(lib for lib in client.get("libraries").json() if lib["id"] == company.id)
    assert lib["uncategorized_count"] == 1


@pytest.mark.django_db
def test_deleting_with_move_to_inside_the_deleted_tree_is_refused(
        company: Library, client: Any, make_reply: MakeReply):
    after = _create(client, company, "售后").json()["id"]
    child = _create(client, company, "退货", after).json()["id"]
    make_reply(company, category=Category.objects.get(pk=after))

    resp = client.delete(f"categories/{after}?move_to={child}")

    assert resp.status_code == 400
    assert _tree(client, company) == [("售后", ["退货"])]


@pytest.mark.django_db
def test_empty_category_is_deleted(company: Library, client: Any):
    after = _create(client, company, "售后").json()["id"]

    assert client.delete(f"categories/{after}").status_code == 204
    assert client.get(f"categories/{after}").status_code == 404


@pytest.mark.django_db
def test_a_reply_cannot_be_put_in_another_librarys_category(
        owner: Member, company: Library, client: Any):
    presales = library_of(owner, Scope.DEPARTMENT, "售前")
    theirs = _create(client, presales, "售前话术").json()["id"]

    resp = client.post("replies", {"library_id": company.id, "category_id": theirs,
                                   "title": "错放", "body": "不该成功"})

    assert resp.status_code == 400
    assert not Reply.objects.exists()


@pytest.mark.django_db
def test_agent_cannot_create_categories_in_the_company_library_but_can_in_their_own(
        company: Library, agent: Member, api: Any):
    client = api(agent)
    mine = library_of(agent, Scope.PERSONAL)

    assert _create(client, company, "越权").status_code == 403
    assert _create(client, mine, "我的分类").status_code == 201
    assert list(Category.objects.values_list("name", flat=True)) == ["我的分类"]


@pytest.mark.django_db
def test_list_follows_category_order_first_level_then_its_children(
        company: Library, client: Any, make_reply: MakeReply):
    # Given 售前 (child 尺码) and 售后, a reply in each, and the first level reordered
    pre = _create(client, company, "售前").json()["id"]
    size = _create(client, company, "尺码", pre).json()["id"]
    post = _create(client, company, "售后").json()["id"]
    r_post = make_reply(company, category=Category.objects.get(pk=post))
    r_size = make_reply(company, category=Category.objects.get(pk=size))
    r_pre = make_reply(company, category=Category.objects.get(pk=pre))

    # When the replies are listed
    items = client.get("replies").json()["items"]

    # Then each first-level category comes with its children before the next one
    assert [i["id"] for i in items] == [r_pre.id, r_size.id, r_post.id]
