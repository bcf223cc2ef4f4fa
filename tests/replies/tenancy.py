"""Objects the reply library's path parameters name (see tests/tenancy_registry.py)."""

from __future__ import annotations

from itertools import count
from typing import Any

from kefu.core.models import Member, Organization
from kefu.replies import actions
from kefu.replies.access import get_library
from kefu.replies.models import Scope
from tests.tenancy_registry import register, register_list

_n = count(1)  # factories run once per method: names, keys and shortcuts must not repeat

# Search needs a query (the factories' replies are titled 隔离测试N) and pages by at most 50.
register_list("/replies/search", q="隔离测试", limit=50)


def _reply(owner: Member, *, deleted: bool = False) -> int:
    i = next(_n)
    reply = actions.do_create_reply(owner, get_library(owner, Scope.COMPANY),
                                    {"title": f"隔离测试{i}", "body": "亲，在的~"})
    if deleted:
        actions.do_delete_reply(owner, reply)
    return reply.id


@register("/replies/{reply_id}", bodies={"PATCH": {"version": 1, "title": "被改了"}})
def reply(org: Organization, owner: Member) -> dict[str, Any]:
    return {"reply_id": _reply(owner)}


@register("/replies/{reply_id}/undelete")
def deleted_reply(org: Organization, owner: Member) -> dict[str, Any]:
    return {"reply_id": _reply(owner, deleted=True)}


@register("/replies/{reply_id}/revisions")
def reply_with_revisions(org: Organization, owner: Member) -> dict[str, Any]:
    return {"reply_id": _reply(owner)}


@register("/replies/{reply_id}/revisions/{version}/restore", bodies={"POST": {"version": 1}})
def revision(org: Organization, owner: Member) -> dict[str, Any]:
    return {"reply_id": _reply(owner), "version": 1}


@register("/replies/{reply_id}/uses", bodies={"POST": {"source": "browse",
                                                        "message": "在吗"}})
def reply_to_use(org: Organization, owner: Member) -> dict[str, Any]:
    return {"reply_id": _reply(owner)}


@register("/categories/{category_id}", bodies={"PATCH": {"name": "被改名"}})
def category(org: Organization, owner: Member) -> dict[str, Any]:
    cat = actions.do_create_category(owner, get_library(owner, Scope.COMPANY),
                                     f"售前咨询{next(_n)}")
    return {"category_id": cat.id}


@register("/variables/{variable_id}",
          bodies={"PATCH": {"name": "活动.被改", "value": "满999减1", "version": 1}})
def variable(org: Organization, owner: Member) -> dict[str, Any]:
    var = actions.do_save_variable(owner, org.id, f"活动.满减{next(_n)}", "满300减50")
    return {"variable_id": var.id}
