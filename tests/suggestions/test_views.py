"""The learned-examples page: supervisors list, search, page and delete; agents may not."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from kefu.core.models import Member
from kefu.replies.models import Reply
from kefu.suggestions.actions import do_learn_example
from kefu.suggestions.models import LearnedExample

URL = "/suggestions/examples/"


def login(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


@pytest.mark.django_db
def test_supervisor_sees_examples_with_their_replies(library: dict[str, Reply],
                                                    agent: Member, supervisor: Member) -> None:
    do_learn_example(agent, library["FH-02"], "快递到哪了")
    do_learn_example(agent, library["TK-01"], "退款怎么还没到")

    resp = login(supervisor).get(URL)

    assert resp.status_code == 200
    html = resp.content.decode()
    assert "快递到哪了" in html
    assert "查询物流" in html
    assert "FH-02" in html
    assert "退款怎么还没到" in html


@pytest.mark.django_db
def test_search_narrows_the_list(library: dict[str, Reply], agent: Member,
                                 supervisor: Member) -> None:
    do_learn_example(agent, library["FH-02"], "快递到哪了")
    do_learn_example(agent, library["TK-01"], "退款怎么还没到")
    html = login(supervisor).get(URL, {"q": "退款"}).content.decode()
    assert "退款怎么还没到" in html
    assert "快递到哪了" not in html


@pytest.mark.django_db
def test_the_list_is_paged_by_fifty(library: dict[str, Reply], agent: Member,
                                    supervisor: Member) -> None:
    for i in range(55):
        do_learn_example(agent, library["FH-02"], f"快递到哪了{i}号")
    first = login(supervisor).get(URL).content.decode()
    second = login(supervisor).get(URL, {"page": 2}).content.decode()
    assert "快递到哪了54号" in first
    assert "快递到哪了4号" not in first
    assert "快递到哪了4号" in second


@pytest.mark.django_db
def test_supervisor_deletes_an_example(library: dict[str, Reply], agent: Member,
                                       supervisor: Member) -> None:
    example = do_learn_example(agent, library["FH-02"], "快递到哪了")
    assert example is not None
    resp = login(supervisor).post(f"{URL}{example.id}/delete/", {"next": URL + "?q=快递"})
    assert resp.status_code == 302
    assert resp["Location"] == URL + "?q=%E5%BF%AB%E9%80%92"
    assert not LearnedExample.objects.exists()


@pytest.mark.django_db
def test_agent_gets_a_403_page_and_cannot_delete(library: dict[str, Reply],
                                                 agent: Member) -> None:
    example = do_learn_example(agent, library["FH-02"], "快递到哪了")
    assert example is not None
    client = login(agent)
    assert client.get(URL).status_code == 403
    assert client.post(f"{URL}{example.id}/delete/").status_code == 403
    assert LearnedExample.objects.count() == 1


@pytest.mark.django_db
def test_another_organizations_example_is_a_404(library: dict[str, Reply], agent: Member,
                                                outsider: Member) -> None:
    example = do_learn_example(agent, library["FH-02"], "快递到哪了")
    assert example is not None
    assert login(outsider).post(f"{URL}{example.id}/delete/").status_code == 404
    assert LearnedExample.objects.count() == 1


@pytest.mark.django_db
def test_the_page_is_in_the_navigation_of_supervisors_only(supervisor: Member,
                                                          agent: Member) -> None:
    assert URL in login(supervisor).get("/").content.decode()
    assert URL not in login(agent).get("/").content.decode()


@pytest.mark.django_db
def test_delete_needs_post(library: dict[str, Reply], agent: Member, supervisor: Member,
                           client: Any) -> None:
    example = do_learn_example(agent, library["FH-02"], "快递到哪了")
    assert example is not None
    assert login(supervisor).get(f"{URL}{example.id}/delete/").status_code == 405
