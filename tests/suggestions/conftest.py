"""Fixtures of suggestions: a small shop library with categories, example questions and a
calming reply, made through the reply actions as a supervisor would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kefu.core.models import Member
from kefu.replies import actions
from kefu.replies.access import get_library
from kefu.replies.models import Reply, Scope
from kefu.suggestions.registry import REGISTRY
from kefu.suggestions.semantic import set_encoder
from kefu.suggestions.semantic_scores import _VECTORS

LIBRARY = [
    # key, category, title, body, questions
    ("FH-01", "发货物流", "发货时间",
     "亲，付款后48小时内发货哦，发货后物流信息会同步到订单里。",
     ["什么时候发货", "多久能发货", "今天能发吗"]),
    ("FH-02", "发货物流", "查询物流",
     "亲，您的订单{订单号}已经在路上了，物流显示正常派送中，请耐心等待哦。",
     ["快递到哪了", "物流怎么不动了", "帮我查下快递"]),
    ("TK-01", "退款", "退款到账时间", "退款审核通过后，1-3个工作日原路退回到您的支付账户。",
     ["退款多久到账", "钱什么时候退回来", "退款怎么还没到"]),
    ("TH-01", "售后退换", "七天无理由退货",
     "亲，签收后7天内支持无理由退货，商品不影响二次销售就可以哦。",
     ["可以退货吗", "不喜欢能退吗", "七天无理由吗"]),
    ("CM-01", "尺码推荐", "尺码推荐", "亲，麻烦告诉我您的身高体重，帮您推荐合适的尺码~",
     ["穿多大码", "170穿什么码", "尺码偏大吗"]),
    ("AF-01", "投诉安抚", "安抚生气的买家",
     "非常抱歉给您带来不好的体验，您先别着急，我马上为您处理。",
     ["我要投诉", "你们太过分了"]),
    ("JS-01", "欢迎语与结束语", "结束语", "感谢您的支持，祝您生活愉快，有问题随时找我哦~",
     ["好的谢谢", "没有了"]),
]


@pytest.fixture(autouse=True)
def _fresh_models() -> Iterator[None]:
    REGISTRY.clear()
    set_encoder(None)
    _VECTORS.clear()
    yield
    REGISTRY.clear()
    set_encoder(None)
    _VECTORS.clear()


@pytest.fixture
def library(supervisor: Member) -> dict[str, Reply]:
    lib = get_library(supervisor, Scope.COMPANY)
    out = {}
    for key, cat, title, body, questions in LIBRARY:
        category = actions.find_or_create_category_path(supervisor, lib, [cat])
        out[key] = actions.do_create_reply(supervisor, lib, {
            "key": key, "title": title, "body": body, "questions": questions}, category)
    return out


def keys(resp: Any) -> list[str]:
    assert resp.status_code == 200, resp.content
    return [s["key"] for s in resp.json()["suggestions"]]
