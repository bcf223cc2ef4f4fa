"""Who is calling, without the ORM on the hot path.

Every API call authenticates: by bearer token, or by session for the web UI and the agent
panel (which searches on every keystroke). Resolving the member through the ORM (token or
user + member + organization, then the member's departments) cost ~2 ms of CPU per
request, almost all of it Django compiling the queries; the same rows fetched with plain
SQL take tens of microseconds. So a resolved member is kept, and every request re-reads
the rows it was built from with plain SQL statements prepared once: if any column of the
token, member, user, organization or the member's departments differs (a revoke, a role
change, a deactivated user, a renamed department...), the member is resolved afresh
through the ORM. Nothing is ever served stale, and there is no invalidation to forget:
the database is asked every time, only more cheaply.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from django.db import connection

from kefu.core.models import ApiToken, Department, Member, Organization

MAX_ENTRIES = 4096


def _columns(model: Any, alias: str) -> list[str]:
    qn = connection.ops.quote_name
    return [f"{alias}.{qn(f.column)}" for f in model._meta.concrete_fields]


class _Statements:
    """The SQL, built from the models' metadata on first use (quoting is per backend)."""

    def __init__(self) -> None:
        from django.contrib.auth import get_user_model

        qn = connection.ops.quote_name
        user = get_user_model()
        through = Member.departments.through
        member_cols = ", ".join(_columns(Member, "m") + _columns(user, "u")
                                + _columns(Organization, "o"))
        joins = (f"JOIN {qn(user._meta.db_table)} u ON u.{qn('id')} = m.{qn('user_id')} "
                 f"JOIN {qn(Organization._meta.db_table)} o "
                 f"ON o.{qn('id')} = m.{qn('organization_id')} ")
        self.token_columns = len(ApiToken._meta.concrete_fields)
        self.by_token = (
            f"SELECT {', '.join(_columns(ApiToken, 't'))}, {member_cols} "
            f"FROM {qn(ApiToken._meta.db_table)} t "
            f"JOIN {qn(Member._meta.db_table)} m ON m.{qn('id')} = t.{qn('member_id')} "
            f"{joins}WHERE t.{qn('digest')} = %s")
        self.by_user_org = (
            f"SELECT {member_cols} FROM {qn(Member._meta.db_table)} m {joins}"
            f"WHERE m.{qn('user_id')} = %s AND m.{qn('organization_id')} = %s")
        self.departments = (
            f"SELECT {', '.join(_columns(Department, 'd'))} "
            f"FROM {qn(Department._meta.db_table)} d "
            f"JOIN {qn(through._meta.db_table)} x "
            f"ON x.{qn(through._meta.get_field('department').column)} = d.{qn('id')} "
            f"WHERE x.{qn(through._meta.get_field('member').column)} = %s "
            f"ORDER BY d.{qn('id')}")


class FingerprintCache:
    """Objects built by the ORM, each kept with the plain-SQL rows it came from; handed out
    (as a copy) only while the rows read now are the same."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Any, tuple[Any, Any]] = OrderedDict()

    def get(self, key: Any, fingerprint: Any) -> Any:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != fingerprint:
                return None
            self._entries.move_to_end(key)
            cached = entry[1]
        # Each request gets its own instance: views may set attributes on request.auth.
        return copy.copy(cached)

    def get_or_build(self, key: Any, fingerprint: Any, build: Callable[[], Any]) -> Any:
        """The kept object while the rows are unchanged, else ``build()`` (kept unless
        None)."""
        obj = self.get(key, fingerprint)
        if obj is None:
            obj = build()
            if obj is not None:
                self.put(key, fingerprint, obj)
        return obj

    def put(self, key: Any, fingerprint: Any, obj: Any) -> None:
        with self._lock:
            self._entries[key] = (fingerprint, copy.copy(obj))
            self._entries.move_to_end(key)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)


class MemberCache(FingerprintCache):
    def __init__(self) -> None:
        super().__init__()
        self._sql: _Statements | None = None

    def _statements(self) -> _Statements:
        if self._sql is None:
            self._sql = _Statements()
        return self._sql

    def _read(self, sql: str, params: list[Any], member_id_at: int) -> tuple[Any, ...] | None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            row = cursor.fetchone()
            if row is None:
                return None
            cursor.execute(self._statements().departments, [row[member_id_at]])
            return (tuple(row), tuple(map(tuple, cursor.fetchall())))

    def token_fingerprint(self, digest: str) -> tuple[Any, ...] | None:
        """Every column a token's member was built from, or None if there is no token."""
        sql = self._statements()
        return self._read(sql.by_token, [digest], sql.token_columns)  # m.id follows t.*

    def member_fingerprint(self, user_id: int, org_id: int) -> tuple[Any, ...] | None:
        """Every column a user's member in an organization was built from, or None."""
        return self._read(self._statements().by_user_org, [user_id, org_id], 0)


members = MemberCache()
