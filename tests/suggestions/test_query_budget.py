"""Suggestions read the in-memory model, not the database: a fixed, small number of queries
per call however many replies and examples there are (STYLE.md, 8)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kefu.core.models import Member
from kefu.replies.models import Reply
from kefu.suggestions.actions import do_learn_example

# Pinned. The caller (token with its member in one row, departments); the example list then
# counts and fetches one page with its replies and authors. A suggestion adds nothing once
# the model is built (a reply with {variables} reads the organization's variables: one more).
SUGGEST_QUERIES = 2
SUGGEST_WITH_VARIABLES_QUERIES = 3
EXAMPLES_LIST_QUERIES = 4


def _queries(call: Any) -> int:
    call()  # builds the model; the token's last-use stamp is written on the first call only
    with CaptureQueriesContext(connection) as ctx:
        resp = call()
    assert resp.status_code == 200, resp.content
    return len(ctx.captured_queries)


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 30])
def test_suggest_uses_a_fixed_number_of_queries(library: dict[str, Reply], agent: Member,
                                                api: Any, n: int) -> None:
    for i in range(n):
        do_learn_example(agent, library["JS-01"], f"好的谢谢{i}")
    client = api(agent)
    plain = _queries(lambda: client.post("suggest", {"message": "什么时候发货"}))
    filled = _queries(lambda: client.post("suggest", {"message": "快递到哪了 帮我查下快递"}))
    assert plain == SUGGEST_QUERIES
    assert filled == SUGGEST_WITH_VARIABLES_QUERIES


@pytest.mark.django_db
@pytest.mark.parametrize("n", [2, 40])
def test_the_example_list_uses_a_fixed_number_of_queries(
        library: dict[str, Reply], agent: Member, supervisor: Member, api: Any, n: int) -> None:
    for i in range(n):
        do_learn_example(agent if i % 2 else supervisor, library["FH-02"], f"快递到哪了{i}")
    client = api(supervisor)
    assert _queries(lambda: client.get("suggestions/examples")) == EXAMPLES_LIST_QUERIES
