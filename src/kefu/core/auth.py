"""Who is calling: a session (web UI, CSRF-checked) or a bearer token (API clients).

Both resolve to a :class:`Member`, i.e. a user *inside one organization*; everything after
that is scoped to ``member.organization``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer
from ninja.security.base import AuthBase
from ninja.utils import check_csrf

from kefu.core.errors import CsrfFailed
from kefu.core.membercache import members
from kefu.core.models import ApiToken, Member, hash_token

SESSION_ORG_KEY = "kefu_org"
# last_used_at is written at most this often per token, so busy bots don't write every call.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def member_queryset() -> Any:
    return Member.objects.select_related("organization", "user").prefetch_related("departments")


def member_from_token(raw: str) -> Member | None:
    raw = raw.strip()
    if not raw.startswith(ApiToken.PREFIX):
        return None
    digest = hash_token(raw)
    # Cheap SQL re-reads every row the member depends on; the ORM only runs when one of them
    # changed since the last request with this token (core/membercache.py).
    fingerprint = members.token_fingerprint(digest)
    if fingerprint is None:
        return None
    member = members.get(digest, fingerprint)
    fresh = member is None
    if member is None:
        member = _resolve_token(digest)
        if member is None:
            return None
    token_id, last_used = member.token_last_used
    now = timezone.now()
    if last_used is None or now - last_used > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token_id).update(last_used_at=now)
        member.token_last_used = (token_id, now)
        fingerprint, fresh = members.token_fingerprint(digest), True
    if fresh and fingerprint is not None:
        members.put(digest, fingerprint, member)
    return member


def _resolve_token(digest: str) -> Member | None:
    token = (
        ApiToken.objects.select_related("member__organization", "member__user")
        .filter(digest=digest, revoked_at__isnull=True,
                member__is_active=True, member__user__is_active=True)
        .first()
    )
    if token is None:
        return None
    member = token.member
    prefetch_related_objects([member], "departments")
    member.token_last_used = (token.pk, token.last_used_at)  # type: ignore[attr-defined]
    return member


def memberships(user: Any) -> Any:
    return member_queryset().filter(user=user, is_active=True).order_by("organization__slug")


def member_from_session(request: HttpRequest, remember: bool = True) -> Member | None:
    """The member the session acts as; ``remember`` stores the default organization choice."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    org_id = request.session.get(SESSION_ORG_KEY)
    if org_id:
        member = _session_member(user.pk, org_id)
        if member is not None:
            return member
    member = memberships(user).first()
    if member is not None and remember:
        request.session[SESSION_ORG_KEY] = member.organization_id
    return member


def _session_member(user_id: int, org_id: int) -> Member | None:
    """The user's active member in the organization, through the member cache (the panel
    asks on every keystroke)."""
    fingerprint = members.member_fingerprint(user_id, org_id)
    if fingerprint is None:
        return None
    member: Member | None = members.get_or_build(
        ("session", user_id, org_id), fingerprint,
        lambda: member_queryset().filter(user_id=user_id, organization_id=org_id,
                                         is_active=True).first())
    return member


def bearer_from_header(request: HttpRequest) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    return value if scheme.lower() == "bearer" and value else None


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Member | None:
        return member_from_token(token)


class SessionMemberAuth(AuthBase):
    """Session cookie auth for the web UI's own API calls; unsafe methods need the CSRF token."""

    openapi_type = "apiKey"
    openapi_name = "sessionid"
    openapi_in = "cookie"

    def __call__(self, request: HttpRequest) -> Member | None:
        member = member_from_session(request)
        if member is None:
            return None
        unsafe = request.method not in ("GET", "HEAD", "OPTIONS", "TRACE")
        if unsafe and check_csrf(request) is not None:
            raise CsrfFailed()
        return member


API_AUTH = [TokenAuth(), SessionMemberAuth()]


def authenticate_request(request: HttpRequest) -> Member | None:
    """The member behind a request, by bearer token or session (no CSRF: read-only callers).

    Never writes the session: a changed session is saved when the response starts, which
    would open a database connection that an SSE stream then keeps for its whole life.
    """
    raw = bearer_from_header(request)
    if raw is not None:
        return member_from_token(raw)
    return member_from_session(request, remember=False)
