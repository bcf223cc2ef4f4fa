"""Every write to the reply library. One transaction each, an audit row, events on commit.

Edits are optimistic: the caller passes the ``version`` it started from and a stale one is
refused with Conflict (HTTP 409) carrying the current reply, so two supervisors never
overwrite each other silently (docs/adr/0003-reply-versions.md).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files import File
from django.db import IntegrityError, transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kefu.core.access import require_manager
from kefu.core.actions import audit
from kefu.core.errors import Conflict, KefuError, NotFound
from kefu.core.events import Audience, send_event_on_commit
from kefu.core.models import Member
from kefu.replies.access import library_audience, require_manage, visible_libraries_q
from kefu.replies.event_types import CategoryEvent, ReplyEvent, ReplyUseEvent, VariableEvent
from kefu.replies.images import HEAD_BYTES, clean_image_name, sniff_image_type, storage_name
from kefu.replies.models import (
    Category,
    Library,
    MemberReplyStat,
    Reply,
    ReplyImage,
    ReplyUse,
    Revision,
    Scope,
    Variable,
)
from kefu.replies.search.keys import search_keys_for
from kefu.replies.validation import clean_category_name, clean_or_raise, normalize_text
from kefu.replies.variables import BUILTIN_VARIABLES, NAME_RE

RESTORE_DAYS = 30
REPLY_FIELDS = ("key", "title", "body", "shortcut", "tags", "questions")


def _fresh(reply_id: int) -> Reply:
    return (Reply.objects.select_related("category__parent", "library__department",
                                         "library__owner__user", "organization")
            .prefetch_related("images").get(pk=reply_id))


def emit_reply(reply: Reply, op: str, old_library: Library | None = None) -> None:
    """Announce a reply change to everyone who can see it (and, on a move, to those who no
    longer can, so their copies drop it)."""
    if old_library is not None and old_library.id != reply.library_id:
        send_event_on_commit(reply.organization_id, ReplyEvent(op="remove", id=reply.id),
                             library_audience(old_library))
    if op == "remove" or reply.deleted_at is not None:
        send_event_on_commit(reply.organization_id, ReplyEvent(op="remove", id=reply.id),
                             library_audience(reply.library))
    else:
        send_event_on_commit(reply.organization_id, ReplyEvent(
            op=op, id=reply.id, reply=reply.to_api_dict()),  # type: ignore[arg-type]
            library_audience(reply.library))


def _store_revision(reply: Reply, actor: Member | None, action: str) -> None:
    Revision.objects.create(reply=reply, version=reply.version, content=reply.content(),
                            action=action, author=actor,
                            author_label=actor.user.username if actor else "cli")


# --- checks ----------------------------------------------------------------------------

def _check_key(org_id: int, key: str, exclude_id: int | None = None) -> None:
    if not key:
        return
    clash = Reply.objects.filter(organization_id=org_id, key=key)
    if exclude_id:
        clash = clash.exclude(pk=exclude_id)
    if clash.exists():
        raise KefuError(_("Another reply already has the key %(key)s.") % {"key": key},
                        field="key")


def shortcut_clash(library: Library, shortcut: str, exclude_id: int | None = None) -> bool:
    """Shared shortcuts are unique across all shared libraries (managers see them all); a
    personal shortcut must not clash with anything its owner sees."""
    if not shortcut:
        return False
    qs = Reply.objects.filter(organization_id=library.organization_id, shortcut=shortcut,
                              deleted_at__isnull=True)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    if library.scope == Scope.PERSONAL and library.owner is not None:
        return qs.filter(visible_libraries_q(library.owner, "library__")).exists()
    return qs.exclude(library__scope=Scope.PERSONAL).exists()


def _check_shortcut(library: Library, shortcut: str, exclude_id: int | None = None) -> None:
    if shortcut_clash(library, shortcut, exclude_id):
        raise KefuError(_("The shortcut %(code)s is already used by another reply.")
                        % {"code": shortcut}, field="shortcut")


def _check_category(library: Library, category: Category | None) -> None:
    if category is not None and category.library_id != library.id:
        raise KefuError(_("The category belongs to another library."), field="category_id")


def _next_position(library: Library, category: Category | None) -> int:
    top = Reply.objects.filter(library=library, category=category).aggregate(m=Max("position"))
    return (top["m"] if top["m"] is not None else -1) + 1


# --- replies ---------------------------------------------------------------------------

def do_create_reply(actor: Member | None, library: Library, fields: dict[str, Any],
                    category: Category | None = None, *, is_active: bool = True,
                    action: str = "create") -> Reply:
    if actor is not None:
        require_manage(actor, library)
    data = clean_or_raise({"key": "", "shortcut": "", "tags": [], "questions": [], **fields})
    for required in ("title", "body"):
        if required not in data:
            raise KefuError(_("The %(field)s is required.") % {"field": required},
                            field=required)
    _check_category(library, category)
    with transaction.atomic():
        _check_key(library.organization_id, data["key"])
        _check_shortcut(library, data["shortcut"])
        reply = Reply(
            organization_id=library.organization_id, library=library, category=category,
            position=_next_position(library, category), is_active=is_active,
            created_by=actor, updated_by=actor, **data)
        reply.search_keys = search_keys_for(reply)
        reply.save()
        _store_revision(reply, actor, action)
        audit(library.organization_id, actor, f"reply.{action}", reply, title=reply.title)
        reply = _fresh(reply.id)
        emit_reply(reply, "add")
    return reply


def do_edit_reply(actor: Member | None, reply: Reply, version: int | None,
                  changes: dict[str, Any], *, action: str = "edit") -> Reply:
    """Apply ``changes`` (reply fields, ``category``, ``library``, ``is_active``) if
    ``version`` is still current. ``version=None`` is for trusted bulk paths (import)."""
    with transaction.atomic():
        current = Reply.objects.select_for_update().get(pk=reply.pk)
        old_library = current.library
        if actor is not None:  # before the version: a reader learns nothing from a 409
            require_manage(actor, old_library)
        if version is not None and current.version != version:
            raise Conflict(_("Someone else changed this reply (now version %(v)d); your edit "
                             "was not saved.") % {"v": current.version},
                           current=_fresh(current.id).to_api_dict())
        data = clean_or_raise({k: v for k, v in changes.items() if k in REPLY_FIELDS})
        library = changes.get("library", current.library)
        if actor is not None and library.id != old_library.id:
            require_manage(actor, library)
        category = changes.get("category", current.category if library.id == old_library.id
                               else None)
        _check_category(library, category)
        if "key" in data:
            _check_key(current.organization_id, data["key"], current.id)
        _check_shortcut(library, data.get("shortcut", current.shortcut), current.id)
        before = current.content()
        for name, value in data.items():
            setattr(current, name, value)
        if "is_active" in changes:
            current.is_active = bool(changes["is_active"])
        moved = category != current.category or library.id != current.library_id
        current.library, current.category = library, category
        if moved:
            current.position = _next_position(library, category)
        if current.content() == before:
            return _fresh(current.id)  # nothing changed: no revision, no event
        current.version = F("version") + 1
        current.updated_by = actor
        current.search_keys = search_keys_for(current)
        current.save()
        current.refresh_from_db(fields=["version"])
        _store_revision(current, actor, action)
        changed = sorted(k for k, v in current.content().items() if before.get(k) != v)
        audit(current.organization_id, actor, f"reply.{action}", current,
              version=current.version, fields=changed)
        fresh = _fresh(current.id)
        emit_reply(fresh, "update", old_library)
    return fresh


def do_delete_reply(actor: Member | None, reply: Reply) -> Reply:
    with transaction.atomic():
        if actor is not None:
            require_manage(actor, reply.library)
        Reply.objects.filter(pk=reply.pk, deleted_at__isnull=True).update(
            deleted_at=timezone.now(), updated_by=actor)
        audit(reply.organization_id, actor, "reply.delete", reply, title=reply.title)
        fresh = _fresh(reply.id)
        emit_reply(fresh, "remove")
    return fresh


def do_undelete_reply(actor: Member | None, reply: Reply) -> Reply:
    if reply.deleted_at is None:
        return reply
    if reply.deleted_at < timezone.now() - timedelta(days=RESTORE_DAYS):
        raise NotFound(_("Reply not found."))
    with transaction.atomic():
        if actor is not None:
            require_manage(actor, reply.library)
        if shortcut_clash(reply.library, reply.shortcut, reply.id):
            Reply.objects.filter(pk=reply.pk).update(shortcut="")  # keep the reply, drop code
        Reply.objects.filter(pk=reply.pk).update(deleted_at=None, updated_by=actor)
        audit(reply.organization_id, actor, "reply.undelete", reply, title=reply.title)
        fresh = _fresh(reply.id)
        emit_reply(fresh, "add")
    return fresh


def do_restore_revision(actor: Member | None, reply: Reply, revision: Revision,
                        version: int | None) -> Reply:
    """Bring back an old revision's content as a new edit (history is never rewritten)."""
    content = revision.content
    changes: dict[str, Any] = {k: content[k] for k in REPLY_FIELDS if k in content}
    changes["is_active"] = content.get("is_active", True)
    category = Category.objects.filter(pk=content.get("category_id"),
                                       library_id=reply.library_id).first()
    changes["category"] = category  # a category deleted since falls back to uncategorized
    return do_edit_reply(actor, reply, version, changes,
                         action="restore")


def purge_deleted(now: Any = None) -> int:
    """Remove replies deleted more than RESTORE_DAYS ago; returns how many."""
    horizon = (now or timezone.now()) - timedelta(days=RESTORE_DAYS)
    expired = Reply.objects.filter(deleted_at__lt=horizon)
    files = [img.file for img in ReplyImage.objects.filter(reply__in=expired)]
    with transaction.atomic():
        # delete() counts cascaded rows (revisions, uses...) too; report replies only.
        _total, per_model = expired.delete()
    for file in files:  # images are files too; a deleted reply's must not linger
        file.storage.delete(file.name)
    return per_model.get(Reply._meta.label, 0)


def do_reorder_replies(actor: Member | None, library: Library, category: Category | None,
                       ordered_ids: list[int]) -> list[Reply]:
    if actor is not None:
        require_manage(actor, library)
    _check_category(library, category)
    with transaction.atomic():
        rows = {r.id: r for r in Reply.objects.select_for_update().filter(
            library=library, category=category, deleted_at__isnull=True)}
        if set(ordered_ids) != set(rows) or len(ordered_ids) != len(rows):
            raise KefuError(_("The list must contain every reply of the category exactly "
                              "once; reload and try again."))
        changed = []
        for pos, rid in enumerate(ordered_ids):
            if rows[rid].position != pos:
                rows[rid].position = pos
                changed.append(rows[rid])
        Reply.objects.bulk_update(changed, ["position"])
        audit(library.organization_id, actor, "reply.reorder", category,
              library=library.id, order=ordered_ids)
        fresh = [_fresh(r.id) for r in changed]
        for reply in fresh:
            emit_reply(reply, "update")
    return fresh


# --- usage -----------------------------------------------------------------------------

def do_record_use(member: Member, reply: Reply, source: str, message: str = "",
                  conversation: str = "") -> ReplyUse:
    """Count a use (the panel calls this when a reply is copied). Not audited: it is
    usage data, not a change, and reports read ReplyUse directly. ``conversation`` (the
    chat's id) lets suggestions learn which reply follows which."""
    from kefu.replies.text import mask_personal_data
    from kefu.suggestions.actions import learn_from_use

    now = timezone.now()
    with transaction.atomic():
        use = ReplyUse.objects.create(organization_id=member.organization_id, reply=reply,
                                      member=member, source=source,
                                      message=mask_personal_data(message)[:ReplyUse.MESSAGE_MAX])
        Reply.objects.filter(pk=reply.pk).update(usage_count=F("usage_count") + 1,
                                                 last_used_at=now)
        stat = MemberReplyStat.objects.filter(member=member, reply=reply)
        if not stat.update(count=F("count") + 1, last_used_at=now):
            try:
                with transaction.atomic():
                    MemberReplyStat.objects.create(member=member, reply=reply, count=1,
                                                   last_used_at=now)
            except IntegrityError:  # a double click: the other request created it first
                stat.update(count=F("count") + 1, last_used_at=now)
        learn_from_use(use, conversation)  # the buyer's message and this reply: an example
        send_event_on_commit(member.organization_id, ReplyUseEvent(
            id=reply.id, member_id=member.id, at=now.timestamp()),
            Audience(member_ids=(member.id,)))
    return use


# --- categories ------------------------------------------------------------------------

def _emit_category(cat: Category, op: str, library: Library) -> None:
    send_event_on_commit(library.organization_id, CategoryEvent(
        op=op, id=cat.id,  # type: ignore[arg-type]
        category=cat.to_api_dict() if op != "remove" else None), library_audience(library))


def _check_sibling_name(library: Library, parent: Category | None, name: str,
                        exclude_id: int | None = None) -> None:
    qs = Category.objects.filter(library=library, name=name)
    qs = qs.filter(parent=parent) if parent is not None else qs.filter(parent__isnull=True)
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    if qs.exists():
        raise KefuError(_("A category named %(name)s already exists here.") % {"name": name},
                        field="name")


def _check_parent(library: Library, parent: Category | None, moving: Category | None = None
                  ) -> None:
    if parent is None:
        return
    if parent.library_id != library.id:
        raise KefuError(_("The parent category belongs to another library."), field="parent_id")
    if parent.parent_id is not None:
        raise KefuError(_("Categories have two levels: a second-level category cannot have "
                          "children."), field="parent_id")
    if moving is not None and (parent.id == moving.id or moving.children.exists()):
        raise KefuError(_("A category with subcategories cannot become a subcategory."),
                        field="parent_id")


def _next_category_position(library: Library, parent: Category | None) -> int:
    top = Category.objects.filter(library=library, parent=parent).aggregate(m=Max("position"))
    return (top["m"] if top["m"] is not None else -1) + 1


def do_create_category(actor: Member | None, library: Library, name: str,
                       parent: Category | None = None) -> Category:
    if actor is not None:
        require_manage(actor, library)
    name = clean_category_name(name)
    with transaction.atomic():
        _check_parent(library, parent)
        _check_sibling_name(library, parent, name)
        cat = Category.objects.create(library=library, parent=parent, name=name,
                                      position=_next_category_position(library, parent))
        audit(library.organization_id, actor, "category.create", cat, name=name,
              parent=parent.name if parent else None)
        _emit_category(cat, "add", library)
    return cat


def do_update_category(actor: Member | None, cat: Category, *, name: str | None = None,
                       parent: Category | bool | None = False) -> Category:
    """Rename and/or move under another parent (``parent=None`` makes it first-level;
    the default False leaves the parent alone)."""
    library = cat.library
    if actor is not None:
        require_manage(actor, library)
    with transaction.atomic():
        new_parent = cat.parent if parent is False else parent
        assert new_parent is None or isinstance(new_parent, Category)
        new_name = clean_category_name(name) if name is not None else cat.name
        if new_parent != cat.parent:
            _check_parent(library, new_parent, moving=cat)
        _check_sibling_name(library, new_parent, new_name, exclude_id=cat.id)
        old = {"name": cat.name, "parent": cat.parent_id}
        if new_parent != cat.parent:  # a moved category goes last among its new siblings
            cat.position = _next_category_position(library, new_parent)
        cat.name, cat.parent = new_name, new_parent
        cat.save()
        audit(library.organization_id, actor, "category.update", cat, old=old,
              new={"name": cat.name, "parent": cat.parent_id})
        _emit_category(cat, "update", library)
        # Replies show their category path; tell screens about the new name.
        for reply in Reply.objects.filter(Q(category=cat) | Q(category__parent=cat),
                                           deleted_at__isnull=True).values_list("id", flat=True):
            emit_reply(_fresh(reply), "update")
    return cat


def do_reorder_categories(actor: Member | None, library: Library, parent: Category | None,
                          ordered_ids: list[int]) -> None:
    if actor is not None:
        require_manage(actor, library)
    with transaction.atomic():
        rows = {c.id: c for c in Category.objects.select_for_update().filter(
            library=library, parent=parent)}
        if set(ordered_ids) != set(rows) or len(ordered_ids) != len(rows):
            raise KefuError(_("The list must contain every category at this level exactly "
                              "once; reload and try again."))
        changed = []
        for pos, cid in enumerate(ordered_ids):
            if rows[cid].position != pos:
                rows[cid].position = pos
                changed.append(rows[cid])
        Category.objects.bulk_update(changed, ["position"])
        audit(library.organization_id, actor, "category.reorder", parent, order=ordered_ids)
        for cat in changed:
            _emit_category(cat, "update", library)


def do_delete_category(actor: Member | None, cat: Category,
                       move_to: Category | bool | None = False) -> None:
    """Delete an empty category. A non-empty one is refused unless ``move_to`` says where
    its replies go (a category of the same library, or None for 'uncategorized')."""
    library = cat.library
    if actor is not None:
        require_manage(actor, library)
    with transaction.atomic():
        in_tree = Reply.objects.filter(Q(category=cat) | Q(category__parent=cat))
        live = in_tree.filter(deleted_at__isnull=True).count()
        if live and move_to is False:
            raise KefuError(_("The category still has %(n)d replies: move them first, or "
                              "choose where they should go.") % {"n": live})
        target = None if move_to is False else move_to
        if isinstance(target, Category):
            if target.library_id != library.id:
                raise KefuError(_("The target category belongs to another library."))
            if target.id == cat.id or target.parent_id == cat.id:
                raise KefuError(_("Choose a target outside the category being deleted."))
        moved_ids = list(in_tree.values_list("id", flat=True))
        for reply in Reply.objects.filter(pk__in=moved_ids, deleted_at__isnull=True):
            do_edit_reply(actor, reply, None, {"category": target}, action="move")
        # Deleted replies follow quietly, so they stay restorable.
        Reply.objects.filter(pk__in=moved_ids).update(category=target)
        removed = [c.id for c in cat.children.all()] + [cat.id]
        audit(library.organization_id, actor, "category.delete", cat, name=cat.name,
              moved=len(moved_ids))
        cat.delete()
        for cid in removed:
            send_event_on_commit(library.organization_id, CategoryEvent(op="remove", id=cid),
                                 library_audience(library))


def find_or_create_category_path(actor: Member | None, library: Library,
                                 path: list[str]) -> Category | None:
    """The category for ["一级", "二级"] (or ["一级"]), created when missing (importer)."""
    parent = None
    for name in path[:2]:
        if not name:
            break
        found = Category.objects.filter(library=library, parent=parent, name=name).first()
        parent = found or do_create_category(actor, library, name, parent)
    return parent


# --- organization variables ------------------------------------------------------------

def do_save_variable(actor: Member | None, org_id: int, name: str, value: str,
                     description: str = "", *, variable: Variable | None = None,
                     version: int | None = None) -> Variable:
    """Create a variable, or update ``variable`` if ``version`` is still current."""
    if actor is not None:
        require_manager(actor)
    name = normalize_text(name).strip("{}")
    if not NAME_RE.match(name):
        raise KefuError(_("A variable name is 1-40 letters, digits, Chinese characters, "
                          "dots or dashes, like 活动.满减."), field="name")
    if name in BUILTIN_VARIABLES:
        raise KefuError(_("%(name)s is a built-in variable and cannot be redefined.")
                        % {"name": name}, field="name")
    value = normalize_text(value)
    if len(value) > Variable.VALUE_MAX:
        raise KefuError(_("The value is longer than %(n)d characters.")
                        % {"n": Variable.VALUE_MAX}, field="value")
    with transaction.atomic():
        clash = Variable.objects.filter(organization_id=org_id, name=name)
        if variable is not None:
            clash = clash.exclude(pk=variable.pk)
        if clash.exists():
            raise KefuError(_("A variable named %(name)s already exists.") % {"name": name},
                            field="name")
        if variable is None:
            var = Variable.objects.create(organization_id=org_id, name=name, value=value,
                                          description=description[:200], updated_by=actor)
            op = "add"
        else:
            var = Variable.objects.select_for_update().get(pk=variable.pk)
            if version is not None and var.version != version:
                raise Conflict(_("Someone else changed this variable; your change was not "
                                 "saved."), current=var.to_api_dict())
            var.name, var.value, var.description = name, value, description[:200]
            var.version += 1
            var.updated_by = actor
            var.save()
            op = "update"
        audit(org_id, actor, f"variable.{op}", var, name=name, value=value)
        send_event_on_commit(org_id, VariableEvent(op=op, id=var.id,  # type: ignore[arg-type]
                                                   variable=var.to_api_dict()), Audience.all())
    return var


def do_delete_variable(actor: Member | None, variable: Variable) -> None:
    if actor is not None:
        require_manager(actor)
    with transaction.atomic():
        var_id, org_id = variable.id, variable.organization_id
        audit(org_id, actor, "variable.delete", variable, name=variable.name)
        variable.delete()
        send_event_on_commit(org_id, VariableEvent(op="remove", id=var_id), Audience.all())


def org_variable_values(org_id: int) -> dict[str, str]:
    return dict(Variable.objects.filter(organization_id=org_id).values_list("name", "value"))


# --- images ----------------------------------------------------------------------------
# Images are not part of a reply's content: no revision and no new version (an edit that
# started before an upload is not stale), but an audit row, and an "update" event carrying
# the reply with its images so every screen shows them.

def image_too_large_message() -> str:
    return _("The image is larger than %(mb)d MB; make it smaller and try again.") % {
        "mb": ReplyImage.MAX_BYTES // (1024 * 1024)}


def _check_image_room(reply_id: int) -> None:
    if ReplyImage.objects.filter(reply_id=reply_id).count() >= ReplyImage.MAX_PER_REPLY:
        raise KefuError(_("A reply can have at most %(n)d images; remove one first.")
                        % {"n": ReplyImage.MAX_PER_REPLY}, field="file")


def do_add_image(actor: Member | None, reply: Reply, uploaded: File) -> ReplyImage:
    """Store ``uploaded`` as the reply's last image, if it is a PNG, JPEG, GIF or WebP
    (by its bytes) of at most MAX_BYTES and the reply has room."""
    if actor is not None:
        require_manage(actor, reply.library)
    if reply.deleted_at is not None:
        raise NotFound(_("Reply not found."))
    size = uploaded.size or 0
    if size > ReplyImage.MAX_BYTES:
        raise KefuError(image_too_large_message(), field="file")
    uploaded.seek(0)
    content_type = sniff_image_type(uploaded.read(HEAD_BYTES))
    if content_type is None:
        raise KefuError(_("%(name)s is not an image kefu accepts: use PNG, JPEG, GIF or WebP.")
                        % {"name": clean_image_name(uploaded.name or "", "image/png")},
                        field="file")
    _check_image_room(reply.id)  # before writing a file a full reply would not take
    uploaded.seek(0)
    image = ReplyImage(reply=reply, name=clean_image_name(uploaded.name or "", content_type),
                       content_type=content_type, size=size)
    image.file.save(storage_name(content_type), uploaded, save=False)
    try:
        with transaction.atomic():
            # Lock the reply: two uploads at once must not both take the last place.
            Reply.objects.select_for_update().filter(pk=reply.pk).exists()
            _check_image_room(reply.id)
            top = ReplyImage.objects.filter(reply_id=reply.id).aggregate(m=Max("position"))
            image.position = (top["m"] if top["m"] is not None else -1) + 1
            image.save()
            audit(reply.organization_id, actor, "reply.image_add", reply, image=image.id,
                  name=image.name, content_type=content_type, size=size)
            emit_reply(_fresh(reply.id), "update")
    except BaseException:
        image.file.storage.delete(image.file.name)  # the row is not there: neither is the file
        raise
    return image


def do_remove_image(actor: Member | None, image: ReplyImage) -> None:
    """Delete an image; its file goes once the deletion is committed."""
    reply = image.reply
    if actor is not None:
        require_manage(actor, reply.library)
    storage, path = image.file.storage, image.file.name
    with transaction.atomic():
        ReplyImage.objects.filter(pk=image.pk).delete()
        audit(reply.organization_id, actor, "reply.image_remove", reply, image=image.id,
              name=image.name)
        emit_reply(_fresh(reply.id), "update")
        if path:
            transaction.on_commit(lambda: storage.delete(path))


def do_reorder_images(actor: Member | None, reply: Reply,
                      ordered_ids: list[int]) -> list[ReplyImage]:
    if actor is not None:
        require_manage(actor, reply.library)
    with transaction.atomic():
        Reply.objects.select_for_update().filter(pk=reply.pk).exists()
        rows = {img.id: img for img in ReplyImage.objects.filter(reply_id=reply.id)}
        if set(ordered_ids) != set(rows) or len(ordered_ids) != len(rows):
            raise KefuError(_("The list must contain every image of the reply exactly once; "
                              "reload and try again."))
        for pos, image_id in enumerate(ordered_ids):
            rows[image_id].position = pos
        ReplyImage.objects.bulk_update(list(rows.values()), ["position"])
        audit(reply.organization_id, actor, "reply.image_reorder", reply, order=ordered_ids)
        emit_reply(_fresh(reply.id), "update")
    return [rows[i] for i in ordered_ids]
