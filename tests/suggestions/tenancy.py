"""Objects the suggestions API's path parameters name (see tests/tenancy_registry.py)."""

from __future__ import annotations

from itertools import count
from typing import Any

from kefu.core.models import Member, Organization
from kefu.replies.access import get_library
from kefu.replies.actions import do_create_reply
from kefu.replies.models import Scope
from kefu.suggestions.actions import do_learn_example
from tests.tenancy_registry import register

_n = count(1)


@register("/suggestions/examples/{example_id}")
def learned_example(org: Organization, owner: Member) -> dict[str, Any]:
    i = next(_n)
    reply = do_create_reply(owner, get_library(owner, Scope.COMPANY),
                            {"title": f"示例话术{i}", "body": "亲，马上为您查询~"})
    example = do_learn_example(owner, reply, f"我的快递到哪了{i}")
    assert example is not None
    return {"example_id": example.id}
