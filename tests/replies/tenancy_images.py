"""Objects the reply image routes' path parameters name (see tests/tenancy_registry.py)."""

from __future__ import annotations

from itertools import count
from typing import Any

from kefu.core.models import Member, Organization
from kefu.replies import actions
from kefu.replies.access import get_library
from kefu.replies.models import Scope
from tests.replies.image_files import png, upload
from tests.tenancy_registry import register

_n = count(1)


def _reply_with_image(owner: Member) -> tuple[int, int]:
    reply = actions.do_create_reply(owner, get_library(owner, Scope.COMPANY),
                                    {"title": f"图片隔离{next(_n)}", "body": "亲，看图~"})
    image = actions.do_add_image(owner, reply, upload("尺码表.png", png()))
    return reply.id, image.id


# A JSON body carries no file: the reply is looked up (and refused) before the file is
# asked for, so the outsider's 404 is the same with or without one.
@register("/replies/{reply_id}/images")
def reply_for_images(org: Organization, owner: Member) -> dict[str, Any]:
    return {"reply_id": _reply_with_image(owner)[0]}


@register("/replies/{reply_id}/images/reorder", bodies={"POST": {"ids": [1]}})
def images_to_reorder(org: Organization, owner: Member) -> dict[str, Any]:
    return {"reply_id": _reply_with_image(owner)[0]}


@register("/replies/{reply_id}/images/{image_id}")
def image(org: Organization, owner: Member) -> dict[str, Any]:
    reply_id, image_id = _reply_with_image(owner)
    return {"reply_id": reply_id, "image_id": image_id}
