"""Reply images: upload (checked by content, size and count), who may add and remove them,
serving only to members who may see the reply, events, and files leaving the disk."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from kefu.core.errors import KefuError
from kefu.core.models import AuditLog, Member
from kefu.replies import actions
from kefu.replies.images import clean_image_name, sniff_image_type
from kefu.replies.models import Library, ReplyImage
from tests.replies.conftest import MakeReply
from tests.replies.image_files import GIF, jpeg, png, upload
from tests.replies.web import client_for, html
from tests.sse import EventRecorder, apply_events, by_id

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def listen(agent: Member) -> Iterator[EventRecorder]:
    rec = EventRecorder(agent)
    yield rec
    rec.close()


def post_image(client: Any, reply_id: int, name: str, data: bytes,
               content_type: str = "image/png", lang: str = "en") -> Any:
    return client.client.post(f"/api/v1/replies/{reply_id}/images?lang={lang}",
                              {"file": upload(name, data, content_type)})


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- what an image is ------------------------------------------------------------------

@pytest.mark.parametrize(("head", "expected"), [
    (png(), "image/png"), (jpeg(), "image/jpeg"), (GIF, "image/gif"),
    (b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00", "image/webp"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", None),
    (b"<html><body>hi</body></html>", None), (b"%PDF-1.7", None), (b"", None),
    (b"\x89PNG\r\n\x1a\n", None),  # a signature alone is not a PNG
])
def test_the_type_comes_from_the_first_bytes(head: bytes, expected: str | None):
    assert sniff_image_type(head[:16]) == expected


@pytest.mark.parametrize(("raw", "shown"), [
    ("尺码表.png", "尺码表.png"),
    ("C:\\Users\\小美\\Desktop\\发货说明.jpg", "发货说明.jpg"),
    ("../../etc/passwd", "passwd"),
    ("photo\u202egpj.exe", "photogpj.exe"),  # no right-to-left override
    ("..", "image.png"), ("", "image.png"),
    ("长" * 200 + ".png", "长" * 116 + ".png"),
])
def test_the_name_shown_is_the_last_path_part_without_control_characters(raw: str, shown: str):
    assert clean_image_name(raw, "image/png") == shown


# --- upload ----------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize(("name", "data", "declared", "content_type"), [
    ("尺码表.png", png(), "image/png", "image/png"),
    ("实拍图.jpg", jpeg(), "image/jpeg", "image/jpeg"),
    ("动图.gif", GIF, "image/gif", "image/gif"),
    # the declared type and the extension are not trusted, either way
    ("截图", jpeg(), "application/octet-stream", "image/jpeg"),
])
def test_supervisor_adds_an_image_recognised_by_its_content(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, api: Any, media: Path,
        name: str, data: bytes, declared: str, content_type: str):
    # Given a company reply
    reply = make_reply(company_lib, title="尺码推荐")
    client = api(supervisor)

    # When a supervisor uploads an image
    resp = post_image(client, reply.id, name, data, declared)

    # Then it is stored with its real type, under a random name in the reply's folder
    assert resp.status_code == 201, resp.content
    image = ReplyImage.objects.get()
    assert resp.json() == {"id": image.id, "name": name, "content_type": content_type,
                           "size": len(data),
                           "url": f"/api/v1/replies/{reply.id}/images/{image.id}"}
    [stored] = files_under(media)
    assert stored.parent == media / "replies" / str(reply.organization_id) / str(reply.id)
    assert name.split(".")[0] not in stored.name
    assert stored.read_bytes() == data
    # and the reply carries it; its text and version are unchanged (no revision)
    got = client.get(f"replies/{reply.id}").json()
    assert got["images"] == [resp.json()]
    assert got["version"] == 1
    assert reply.revisions.count() == 1
    assert AuditLog.objects.filter(action="reply.image_add", object_id=str(reply.id)).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "data", "declared"), [
    ("说明.png", "亲，这是一段文字，不是图片".encode(), "image/png"),
    ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
     "image/svg+xml"),
    ("page.png", b"<html><script>alert(1)</script></html>", "image/png"),
])
def test_a_file_that_is_not_an_accepted_image_is_refused_whatever_its_name(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, api: Any, media: Path,
        name: str, data: bytes, declared: str):
    reply = make_reply(company_lib)

    resp = post_image(api(supervisor), reply.id, name, data, declared)

    assert resp.status_code == 400
    assert resp.json() == {
        "detail": f"{name} is not an image kefu accepts: use PNG, JPEG, GIF or WebP.",
        "field": "file"}
    assert not ReplyImage.objects.exists()
    assert files_under(media) == []


@pytest.mark.django_db
@pytest.mark.parametrize("size", [6 * MB, ReplyImage.MAX_BYTES + 1])
def test_an_image_over_5_mb_is_refused_with_the_limit_named(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, api: Any, media: Path,
        size: int):
    # Given a real PNG padded past the limit (6 MB: refused before the body is read; just
    # over 5 MB: refused by the action)
    reply = make_reply(company_lib)
    data = png() + b"\x00" * (size - len(png()))

    resp = post_image(api(supervisor), reply.id, "大图.png", data)

    assert resp.status_code == 400
    assert resp.json() == {"detail": "The image is larger than 5 MB; make it smaller and try "
                                     "again.", "field": "file"}
    assert not ReplyImage.objects.exists()
    assert files_under(media) == []


@pytest.mark.django_db
def test_a_request_announcing_more_than_the_limit_is_refused_before_it_is_read(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, api: Any):
    reply = make_reply(company_lib)
    resp = api(supervisor).client.post(
        f"/api/v1/replies/{reply.id}/images?lang=en", {"file": upload("a.png", png())},
        CONTENT_LENGTH=str(200 * MB))
    assert resp.status_code == 400
    assert resp.json()["detail"] == ("The image is larger than 5 MB; make it smaller and try "
                                     "again.")
    assert not ReplyImage.objects.exists()


@pytest.mark.django_db
def test_an_image_of_exactly_5_mb_is_accepted(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, api: Any):
    reply = make_reply(company_lib)
    data = png() + b"\x00" * (ReplyImage.MAX_BYTES - len(png()))
    assert post_image(api(supervisor), reply.id, "刚好.png", data).status_code == 201


@pytest.mark.django_db
def test_the_tenth_image_is_refused(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, api: Any, media: Path):
    # Given a reply with nine images, in upload order
    reply = make_reply(company_lib)
    client = api(supervisor)
    for i in range(9):
        assert post_image(client, reply.id, f"图{i}.png", png()).status_code == 201

    # When a tenth is uploaded
    resp = post_image(client, reply.id, "图9.png", png())

    # Then it is refused, naming the limit, and nothing more is stored
    assert resp.status_code == 400
    assert resp.json() == {"detail": "A reply can have at most 9 images; remove one first.",
                           "field": "file"}
    assert [i["name"] for i in client.get(f"replies/{reply.id}").json()["images"]] == [
        f"图{i}.png" for i in range(9)]
    assert len(files_under(media)) == 9


@pytest.mark.django_db
def test_an_upload_without_a_file_says_what_is_missing(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, api: Any):
    reply = make_reply(company_lib)
    resp = api(supervisor).client.post(f"/api/v1/replies/{reply.id}/images?lang=en", {})
    assert resp.status_code == 400
    assert resp.json()["detail"] == "Choose an image to upload (form field “file”)."


@pytest.mark.django_db
def test_agent_cannot_add_images_to_company_replies_but_can_to_personal_ones(
        agent: Member, company_lib: Library, make_reply: MakeReply, api: Any, media: Path):
    from tests.replies.conftest import library_of

    company_reply = make_reply(company_lib)
    personal_reply = make_reply(library_of(agent, "personal"))
    client = api(agent)

    refused = post_image(client, company_reply.id, "a.png", png())
    assert refused.status_code == 403
    assert refused.json()["detail"] == ("Only a supervisor, admin or owner can change a "
                                        "shared library.")
    assert files_under(media) == []

    assert post_image(client, personal_reply.id, "mine.png", png()).status_code == 201


@pytest.mark.django_db
def test_agent_cannot_remove_images_of_company_replies(
        owner: Member, agent: Member, company_lib: Library, make_reply: MakeReply, api: Any,
        media: Path):
    reply = make_reply(company_lib)
    image = actions.do_add_image(owner, reply, upload("a.png", png()))

    resp = api(agent).delete(f"replies/{reply.id}/images/{image.id}")

    assert resp.status_code == 403
    assert ReplyImage.objects.filter(pk=image.pk).exists()
    assert len(files_under(media)) == 1


# --- serving ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_member_who_may_see_the_reply_gets_the_image(
        owner: Member, agent: Member, presales_lib: Library, make_reply: MakeReply, api: Any):
    # Given an image on a reply of 售前's library, named in Chinese
    reply = make_reply(presales_lib)
    data = jpeg()
    image = actions.do_add_image(owner, reply, upload("实拍 图.png", data, "image/png"))

    # When a 售前 agent fetches it
    resp = api(agent).get(f"replies/{reply.id}/images/{image.id}")

    # Then they get the bytes, typed by content, never sniffed, kept private
    assert resp.status_code == 200
    assert b"".join(resp.streaming_content) == data
    assert resp["Content-Type"] == "image/jpeg"
    assert resp["X-Content-Type-Options"] == "nosniff"
    assert resp["Content-Disposition"] == (
        "inline; filename*=UTF-8''%E5%AE%9E%E6%8B%8D%20%E5%9B%BE.png")
    assert resp["Cache-Control"] == "private, max-age=3600"

    # And while the reply is deleted (restorable), its image is still served
    actions.do_delete_reply(owner, reply)
    assert api(agent).get(f"replies/{reply.id}/images/{image.id}").status_code == 200


@pytest.mark.django_db
def test_the_editor_page_can_load_images_with_the_session(
        supervisor: Member, company_lib: Library, make_reply: MakeReply):
    reply = make_reply(company_lib)
    image = actions.do_add_image(supervisor, reply, upload("a.png", png()))
    resp = client_for(supervisor).get(f"/api/v1/replies/{reply.id}/images/{image.id}")
    assert resp.status_code == 200
    assert resp["Content-Type"] == "image/png"


@pytest.mark.django_db
def test_another_org_or_another_department_gets_the_same_404_as_for_a_missing_image(
        owner: Member, outsider: Member, aftersales_agent: Member, presales_lib: Library,
        make_reply: MakeReply, api: Any):
    reply = make_reply(presales_lib)
    image = actions.do_add_image(owner, reply, upload("a.png", png()))
    url = f"replies/{reply.id}/images/{image.id}"

    missing = api(owner).get(f"replies/{reply.id}/images/987654321")
    assert missing.status_code == 404
    assert api(owner).get(f"replies/987654321/images/{image.id}").json() == missing.json()
    for stranger in (outsider, api(aftersales_agent).member):
        resp = api(stranger).get(url)
        assert (resp.status_code, resp.json()) == (404, missing.json()), stranger
    assert Client().get(f"/api/v1/{url}").status_code == 401


@pytest.mark.django_db
def test_an_image_is_only_found_through_its_own_reply(
        owner: Member, company_lib: Library, make_reply: MakeReply, api: Any):
    mine, other = make_reply(company_lib), make_reply(company_lib)
    image = actions.do_add_image(owner, other, upload("a.png", png()))
    assert api(owner).get(f"replies/{mine.id}/images/{image.id}").status_code == 404


# --- events ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_adding_and_removing_send_the_reply_update_on_commit(
        supervisor: Member, agent: Member, company_lib: Library, make_reply: MakeReply,
        api: Any, listen: EventRecorder, django_capture_on_commit_callbacks: Any):
    # Given the 售前 agent's screen holding the replies it may see
    reply = make_reply(company_lib)
    reader, client = api(agent), api(supervisor)
    stale = reader.get("replies?limit=500").json()["items"]

    # When an image is added, nothing is sent before the commit
    with django_capture_on_commit_callbacks(execute=True):
        added = post_image(client, reply.id, "尺码表.png", png(), lang="zh-hans")
        assert added.status_code == 201
        assert listen.events() == []

    # Then one update arrives, carrying the image, and the screen matches a fresh fetch
    events = listen.events()
    assert [(e["type"], e["op"], e["id"]) for e in events] == [("replies", "update", reply.id)]
    assert events[0]["reply"]["images"] == [added.json()]
    fresh = reader.get("replies?limit=500").json()["items"]
    assert apply_events(stale, events, "replies", "reply") == by_id(fresh)

    # And removing it sends the update without it
    with django_capture_on_commit_callbacks(execute=True):
        removed = client.delete(f"replies/{reply.id}/images/{added.json()['id']}")
        assert removed.status_code == 204
    [event] = listen.events()
    assert (event["op"], event["reply"]["images"]) == ("update", [])


@pytest.mark.django_db
def test_remove_deletes_the_file_after_commit(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, api: Any,
        media: Path, django_capture_on_commit_callbacks: Any):
    reply = make_reply(company_lib)
    image = actions.do_add_image(supervisor, reply, upload("a.png", png()))
    [stored] = files_under(media)

    with django_capture_on_commit_callbacks(execute=True):
        resp = api(supervisor).delete(f"replies/{reply.id}/images/{image.id}")
        assert stored.exists()  # not before the row is gone for good

    assert resp.status_code == 204
    assert not stored.exists()
    assert not ReplyImage.objects.exists()
    assert AuditLog.objects.filter(action="reply.image_remove").count() == 1


@pytest.mark.django_db
def test_a_failed_add_leaves_no_file_behind(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, media: Path,
        monkeypatch: Any):
    reply = make_reply(company_lib)

    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the audit table is gone")

    monkeypatch.setattr(actions, "audit", broken)
    with pytest.raises(RuntimeError):
        actions.do_add_image(supervisor, reply, upload("a.png", png()))
    assert files_under(media) == []
    assert not ReplyImage.objects.exists()


@pytest.mark.django_db
def test_images_can_be_reordered(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, api: Any):
    reply = make_reply(company_lib)
    a, b, c = (actions.do_add_image(supervisor, reply, upload(f"{n}.png", png()))
               for n in "abc")
    client = api(supervisor)

    resp = client.post(f"replies/{reply.id}/images/reorder", {"ids": [c.id, a.id, b.id]})

    assert resp.status_code == 200, resp.content
    assert [i["name"] for i in resp.json()] == ["c.png", "a.png", "b.png"]
    assert [i["name"] for i in client.get(f"replies/{reply.id}").json()["images"]] == [
        "c.png", "a.png", "b.png"]
    partial = client.post(f"replies/{reply.id}/images/reorder?lang=en", {"ids": [a.id]})
    assert partial.status_code == 400


@pytest.mark.django_db
def test_purge_removes_the_image_files_of_replies_deleted_long_ago(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, media: Path):
    # Given a deleted reply with an image, and a live one with an image
    gone, kept = make_reply(company_lib), make_reply(company_lib)
    actions.do_add_image(supervisor, gone, upload("a.png", png()))
    actions.do_add_image(supervisor, kept, upload("b.png", png()))
    actions.do_delete_reply(supervisor, gone)
    kept_file = media / ReplyImage.objects.get(reply=kept).file.name

    # When the purge runs after the restore window
    purged = actions.purge_deleted(timezone.now() + timedelta(days=actions.RESTORE_DAYS + 1))

    # Then the deleted reply's file is gone, and only it
    assert purged == 1
    assert files_under(media) == [kept_file]


@pytest.mark.django_db
def test_an_image_cannot_be_added_to_a_deleted_reply(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, api: Any):
    reply = actions.do_delete_reply(supervisor, make_reply(company_lib))
    with pytest.raises(KefuError):
        actions.do_add_image(supervisor, reply, upload("a.png", png()))
    assert post_image(api(supervisor), reply.id, "a.png", png()).status_code == 404


# --- the editor page -------------------------------------------------------------------

@pytest.mark.django_db
def test_the_edit_page_shows_thumbnails_and_the_upload_form(
        supervisor: Member, company_lib: Library, make_reply: MakeReply):
    reply = make_reply(company_lib)
    image = actions.do_add_image(supervisor, reply, upload("尺码<script>.png", png()))

    page = html(client_for(supervisor).get(f"/library/replies/{reply.id}/edit"))

    url = f"/api/v1/replies/{reply.id}/images/{image.id}"
    assert f'<img src="{url}" alt="尺码&lt;script&gt;.png" loading="lazy">' in page
    assert 'enctype="multipart/form-data"' in page
    assert f'action="/library/replies/{reply.id}/images/add"' in page
    assert 'accept="image/png,image/jpeg,image/gif,image/webp"' in page
    assert f'href="/library/replies/{reply.id}/images/{image.id}/remove"' in page
    assert "1 / 9" in page


@pytest.mark.django_db
def test_the_new_reply_page_says_images_come_after_saving(
        supervisor: Member, company_lib: Library):
    page = html(client_for(supervisor).get("/library/replies/new"))
    assert "Save the reply first; then you can add images to it." in page
    assert 'type="file"' not in page


@pytest.mark.django_db
def test_the_upload_form_works_without_javascript(
        supervisor: Member, company_lib: Library, make_reply: MakeReply):
    reply = make_reply(company_lib)
    browser = client_for(supervisor)

    resp = browser.post(f"/library/replies/{reply.id}/images/add",
                        {"file": upload("尺码表.png", png())})

    assert resp.status_code == 302
    assert resp["Location"] == f"/library/replies/{reply.id}/edit#images"
    assert [i.name for i in ReplyImage.objects.filter(reply=reply)] == ["尺码表.png"]
    assert "Image “尺码表.png” was added." in html(browser.get(resp["Location"]))


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "message"), [
    (b"just text", "x.png is not an image kefu accepts: use PNG, JPEG, GIF or WebP."),
    (png() + b"\x00" * (6 * MB), "The image is larger than 5 MB; make it smaller and try again."),
    (None, "Choose an image to upload."),
])
def test_a_refused_upload_is_shown_on_the_edit_page(
        supervisor: Member, company_lib: Library, make_reply: MakeReply,
        data: bytes | None, message: str):
    reply = make_reply(company_lib)
    form = {"file": upload("x.png", data)} if data is not None else {}

    resp = client_for(supervisor).post(f"/library/replies/{reply.id}/images/add", form)

    assert resp.status_code == 400
    page = html(resp)
    assert f'<div class="alert error" role="alert" data-image-error>{message}</div>' in page
    assert f'value="{reply.title}"' in page  # the editor, not an error page
    assert not ReplyImage.objects.filter(reply=reply).exists()


@pytest.mark.django_db
def test_removing_without_javascript_asks_first(
        supervisor: Member, company_lib: Library, make_reply: MakeReply, media: Path,
        django_capture_on_commit_callbacks: Any):
    reply = make_reply(company_lib)
    image = actions.do_add_image(supervisor, reply, upload("尺码表.png", png()))
    browser = client_for(supervisor)
    url = f"/library/replies/{reply.id}/images/{image.id}/remove"

    confirm = browser.get(url)
    assert confirm.status_code == 200
    assert "Remove image 尺码表.png?" in html(confirm)
    assert ReplyImage.objects.filter(reply=reply).exists()

    with django_capture_on_commit_callbacks(execute=True):
        resp = browser.post(url)
    assert resp.status_code == 302
    assert not ReplyImage.objects.filter(reply=reply).exists()
    assert files_under(media) == []


@pytest.mark.django_db
def test_agent_cannot_use_the_image_pages_of_a_company_reply(
        owner: Member, agent: Member, company_lib: Library, make_reply: MakeReply):
    reply = make_reply(company_lib)
    image = actions.do_add_image(owner, reply, upload("a.png", png()))
    browser = client_for(agent)
    assert browser.post(f"/library/replies/{reply.id}/images/add",
                        {"file": upload("b.png", png())}).status_code == 403
    assert browser.post(f"/library/replies/{reply.id}/images/{image.id}/remove"
                        ).status_code == 403
    assert list(ReplyImage.objects.filter(reply=reply)) == [image]
