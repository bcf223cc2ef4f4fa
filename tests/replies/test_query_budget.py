"""List APIs use a fixed number of queries however much there is to list (STYLE.md, 8)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.core.models import Member
from kefu.replies import actions
from kefu.replies.models import Library, Scope
from tests.replies.conftest import library_of

# Pinned. Both start with the caller (the token row with its member, then departments). The
# reply list then counts, fetches the page and prefetches images; the libraries list finds
# the personal library, lists libraries, categories with counts, and uncategorized counts.
# Raise them only with a reason; an N+1 shows up as a count that grows with the library.
REPLIES_LIST_QUERIES = 5
LIBRARIES_QUERIES = 6


def _fill(owner: Member, agent: Member, libraries: list[Library], n: int) -> None:
    """``n`` replies spread over the libraries, in first- and second-level categories."""
    for i in range(n):
        lib = libraries[i % len(libraries)]
        actor = agent if lib.scope == Scope.PERSONAL else owner
        top = actions.find_or_create_category_path(actor, lib, [f"一级{i % 3}", f"二级{i % 2}"]
                                                   if i % 4 else [f"一级{i % 3}"])
        actions.do_create_reply(actor, lib, {"title": f"话术{i}", "body": f"回复{i}",
                                             "tags": ["常用"], "questions": [f"问{i}"]}, top)


def _queries(client: Any, path: str) -> int:
    client.get(path)  # the token's last-use stamp is written on the first call only
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(path)
    assert resp.status_code == 200, resp.content
    return len(ctx.captured_queries)


@pytest.fixture
def libraries(owner: Member, agent: Member) -> list[Library]:
    return [library_of(owner, Scope.COMPANY), library_of(owner, Scope.DEPARTMENT, "售前"),
            library_of(agent, Scope.PERSONAL)]


@pytest.mark.parametrize("who", ["agent", "supervisor"])
@pytest.mark.django_db
def test_reply_list_query_count_does_not_grow_with_the_library(
        owner: Member, agent: Member, supervisor: Member, libraries: list[Library], api: Any,
        django_assert_max_num_queries: Any, who: str):
    # Given a few replies, then 50
    client = api({"agent": agent, "supervisor": supervisor}[who])
    _fill(owner, agent, libraries, 3)
    few = _queries(client, "replies?limit=100")
    _fill(owner, agent, libraries, 47)

    # When the member lists all of them
    many = _queries(client, "replies?limit=100")

    # Then the count of queries is the same, and within the pinned budget
    assert client.get("replies?limit=100").json()["count"] >= (34 if who == "agent" else 33)
    assert many == few
    with django_assert_max_num_queries(REPLIES_LIST_QUERIES):
        client.get("replies?limit=100")


@pytest.mark.django_db
def test_libraries_query_count_does_not_grow_with_libraries_or_categories(
        owner: Member, agent: Member, libraries: list[Library], make_member: Any, org: Any,
        api: Any, django_assert_max_num_queries: Any):
    client = api(owner)
    _fill(owner, agent, libraries, 3)
    few = _queries(client, "libraries")
    # more departments' libraries, more categories, more replies
    for dept in ("售后", "质检", "仓库"):
        make_member(org, "agent", departments=(dept,))
        libraries.append(library_of(owner, Scope.DEPARTMENT, dept))
    _fill(owner, agent, libraries, 50)

    many = _queries(client, "libraries")

    assert len(client.get("libraries").json()) == 6
    assert many == few
    with django_assert_max_num_queries(LIBRARIES_QUERIES):
        client.get("libraries")
