"""Reply images: upload, reorder, remove, and the file itself.

The file is served only through this route, after the same visibility check as the reply
(another organization's image, or one of a department the caller is not in, is the same
404 as a missing one). Nothing under MEDIA_ROOT is served directly.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.utils.translation import gettext as _
from ninja import Field, File, Router, Schema, UploadedFile
from ninja.decorators import decorate_view
from ninja.responses import Status

from kefu.core.errors import KefuError, NotFound
from kefu.core.models import Member
from kefu.replies import actions
from kefu.replies.access import access_reply_by_id, visible_libraries_q
from kefu.replies.api import ImageOut
from kefu.replies.images import inline_disposition
from kefu.replies.models import ReplyImage

router = Router(tags=["replies: images"])

# Room for the multipart envelope around a file of the largest allowed size. A request
# announcing more is refused before its body is read, so a huge upload is never spooled to
# disk only to be refused; files just over the limit are refused by the action, same message.
MAX_REQUEST_BYTES = ReplyImage.MAX_BYTES + 64 * 1024


def me(request: HttpRequest) -> Member:
    return request.auth  # type: ignore[attr-defined]


def refuse_oversized(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @wraps(run)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > MAX_REQUEST_BYTES:
            from kefu.api import api

            return api.on_exception(request, KefuError(actions.image_too_large_message(),
                                                       field="file"))
        return run(request, *args, **kwargs)

    return guarded


class ImageReorderIn(Schema):
    ids: list[int] = Field(max_length=ReplyImage.MAX_PER_REPLY)


def access_image_by_id(member: Member, reply_id: int, image_id: int,
                       include_deleted: bool = False) -> ReplyImage:
    """An image of a reply the member may see; one 404 for a missing image, a missing
    reply and someone else's, so probing ids reveals nothing."""
    qs = ReplyImage.objects.filter(visible_libraries_q(member, "reply__library__"),
                                   pk=image_id, reply_id=reply_id)
    if not include_deleted:
        qs = qs.filter(reply__deleted_at__isnull=True)
    image = qs.select_related("reply__library").first()
    if image is None:
        raise NotFound(_("Image not found."))
    return image


@router.post(
    "/replies/{reply_id}/images", response={201: ImageOut},
    summary="Add an image to a reply (multipart, field 'file')",
    description="PNG, JPEG, GIF or WebP, recognised by content (not by name or declared type), "
                f"at most {ReplyImage.MAX_BYTES // (1024 * 1024)} MB, at most "
                f"{ReplyImage.MAX_PER_REPLY} per reply. Same permission as editing the reply.")
@decorate_view(refuse_oversized)
def add_image(request: HttpRequest, reply_id: int,
              file: File[UploadedFile | None] = None) -> Status[Any]:
    # The file is optional in the signature so the reply is looked up first: aiming at
    # someone else's reply answers the same 404 with or without a file.
    m = me(request)
    reply = access_reply_by_id(m, reply_id)
    if file is None:
        raise KefuError(_("Choose an image to upload (form field “file”)."), field="file")
    return Status(201, actions.do_add_image(m, reply, file).to_api_dict())


# Before /images/{image_id}: "reorder" is not an id.
@router.post("/replies/{reply_id}/images/reorder", response=list[ImageOut],
             summary="Set the order of all images of a reply")
def reorder_images(request: HttpRequest, reply_id: int,
                   body: ImageReorderIn) -> list[dict[str, Any]]:
    m = me(request)
    reply = access_reply_by_id(m, reply_id)
    return [i.to_api_dict() for i in actions.do_reorder_images(m, reply, body.ids)]


@router.get(
    "/replies/{reply_id}/images/{image_id}", response={200: None},
    summary="The image file",
    openapi_extra={"responses": {200: {"description": "The image", "content": {
        "image/*": {"schema": {"type": "string", "format": "binary"}}}}}})
def get_image(request: HttpRequest, reply_id: int, image_id: int) -> FileResponse:
    # A deleted reply can still be seen (and restored) for 30 days: so can its images.
    image = access_image_by_id(me(request), reply_id, image_id, include_deleted=True)
    try:
        handle = image.file.open("rb")
    except FileNotFoundError:
        raise NotFound(_("Image not found.")) from None
    response = FileResponse(handle, content_type=image.content_type)
    response["Content-Disposition"] = inline_disposition(image.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@router.delete("/replies/{reply_id}/images/{image_id}", response={204: None},
               summary="Remove an image (the file is deleted)")
def remove_image(request: HttpRequest, reply_id: int, image_id: int) -> Status[Any]:
    m = me(request)
    actions.do_remove_image(m, access_image_by_id(m, reply_id, image_id))
    return Status(204, None)
