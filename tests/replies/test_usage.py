"""Recording that a member used (copied) a reply."""

from __future__ import annotations

from typing import Any

import pytest

from kefu.core.models import Member
from kefu.replies.models import MemberReplyStat, Reply, ReplyUse, Scope
from kefu.replies.text import mask_personal_data
from tests.replies.conftest import MakeReply, library_of


@pytest.mark.django_db
def test_use_counts_for_the_reply_and_for_the_member(
        owner: Member, agent: Member, supervisor: Member, make_reply: MakeReply, api: Any):
    # Given a company reply
    reply = make_reply(library_of(owner, Scope.COMPANY))

    # When the agent uses it twice and the supervisor once
    first = api(agent).post(f"replies/{reply.id}/uses", {"source": "search"})
    api(agent).post(f"replies/{reply.id}/uses", {"source": "suggest"})
    last = api(supervisor).post(f"replies/{reply.id}/uses", {"source": "browse"})

    # Then the reply counts three uses, each member their own, and the reply shows when
    assert first.status_code == last.status_code == 201
    assert (first.json()["usage_count"], last.json()["usage_count"]) == (1, 3)
    got = api(agent).get(f"replies/{reply.id}").json()
    assert got["usage_count"] == 3
    assert got["last_used_at"] is not None
    stats = dict(MemberReplyStat.objects.filter(reply=reply).values_list("member_id", "count"))
    assert stats == {agent.id: 2, supervisor.id: 1}
    assert sorted(ReplyUse.objects.filter(reply=reply).values_list("source", flat=True)) == [
        "browse", "search", "suggest"]


@pytest.mark.django_db
def test_use_stores_the_buyer_message_with_phone_and_address_masked(
        owner: Member, agent: Member, make_reply: MakeReply, api: Any):
    reply = make_reply(library_of(owner, Scope.COMPANY))

    api(agent).post(f"replies/{reply.id}/uses", {
        "source": "suggest",
        "message": "我电话13812345678，地址浙江省杭州市西湖区文三路90号3幢502室，什么时候发货？"})

    stored = ReplyUse.objects.get(reply=reply).message
    assert stored == "我电话[电话]，地址[地址]，什么时候发货？"


@pytest.mark.parametrize(("message", "masked"), [
    ("手机 138-1234-5678 联系我", "手机 [电话] 联系我"),
    ("+86 139 1234 5678", "[电话]"),
    ("座机0571-88886666", "座机[电话]"),
    ("寄到上海市浦东新区世纪大道100号吧", "寄到[地址]吧"),
    ("北京市朝阳区建国路88号SOHO现代城5号楼1201室明天能到吗", "[地址]明天能到吗"),
    ("订单号2024110112345678能查吗", "订单号2024110112345678能查吗"),
    ("尺码偏大吗", "尺码偏大吗"),
    ("发到杭州市西湖区文三路90号，谢谢", "发到[地址]，谢谢"),
    ("广东深圳市南山区科技园路1号", "[地址]"),
])
def test_masking_hides_phones_and_addresses_but_keeps_the_question(message: str, masked: str):
    assert mask_personal_data(message) == masked


@pytest.mark.django_db
def test_use_of_a_reply_the_member_cannot_see_is_404_and_not_counted(
        owner: Member, agent: Member, aftersales_agent: Member, make_reply: MakeReply, api: Any):
    reply = make_reply(library_of(owner, Scope.DEPARTMENT, "售前"))

    resp = api(aftersales_agent).post(f"replies/{reply.id}/uses", {"source": "browse"})

    assert resp.status_code == 404
    assert Reply.objects.get(pk=reply.id).usage_count == 0
    assert not ReplyUse.objects.exists()


@pytest.mark.django_db
def test_use_with_an_unknown_source_is_refused(
        owner: Member, agent: Member, make_reply: MakeReply, api: Any):
    reply = make_reply(library_of(owner, Scope.COMPANY))

    resp = api(agent).post(f"replies/{reply.id}/uses", {"source": "clipboard"})

    assert resp.status_code == 422
    assert resp.json()["detail"]
    assert not ReplyUse.objects.exists()
