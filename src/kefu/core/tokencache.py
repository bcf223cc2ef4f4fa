"""Bearer-token authentication without the ORM on the hot path.

Every API call authenticates. Resolving a token through the ORM (token + member +
organization + user, then the member's departments) cost ~2 ms of CPU per request, almost
all of it Django compiling the two queries; the same rows fetched with plain SQL take tens
of microseconds. So a resolved member is kept per token, and every request re-reads the
rows it was built from with two prepared-once SQL statements: if any column of the token,
member, user, organization or the member's departments differs (a revoke, a role change,
a deactivated user, a renamed department...), the member is resolved afresh through the
ORM. Nothing is ever served stale, and there is no invalidation to forget: the database
is asked every time, only more cheaply.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any

from django.db import connection

from kefu.core.models import ApiToken, Department, Member, Organization

MAX_ENTRIES = 2048


def _columns(model: Any, alias: str) -> list[str]:
    qn = connection.ops.quote_name
    return [f"{alias}.{qn(f.column)}" for f in model._meta.concrete_fields]


class TokenCache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[tuple[Any, ...], Member]] = OrderedDict()
        self._sql: tuple[str, str] | None = None

    def _statements(self) -> tuple[str, str]:
        if self._sql is None:
            from django.contrib.auth import get_user_model

            qn = connection.ops.quote_name
            user = get_user_model()
            through = Member.departments.through
            m2m_member = qn(through._meta.get_field("member").column)
            m2m_dept = qn(through._meta.get_field("department").column)
            row = (
                f"SELECT {', '.join(_columns(ApiToken, 't') + _columns(Member, 'm'))}, "
                f"{', '.join(_columns(user, 'u') + _columns(Organization, 'o'))} "
                f"FROM {qn(ApiToken._meta.db_table)} t "
                f"JOIN {qn(Member._meta.db_table)} m ON m.{qn('id')} = t.{qn('member_id')} "
                f"JOIN {qn(user._meta.db_table)} u ON u.{qn('id')} = m.{qn('user_id')} "
                f"JOIN {qn(Organization._meta.db_table)} o "
                f"ON o.{qn('id')} = m.{qn('organization_id')} "
                f"WHERE t.{qn('digest')} = %s")
            departments = (
                f"SELECT {', '.join(_columns(Department, 'd'))} "
                f"FROM {qn(Department._meta.db_table)} d "
                f"JOIN {qn(through._meta.db_table)} x ON x.{m2m_dept} = d.{qn('id')} "
                f"WHERE x.{m2m_member} = %s ORDER BY d.{qn('id')}")
            self._sql = (row, departments)
        return self._sql

    def fingerprint(self, digest: str) -> tuple[Any, ...] | None:
        """Every column the member was built from, or None if the token does not exist."""
        row_sql, dept_sql = self._statements()
        with connection.cursor() as cursor:
            cursor.execute(row_sql, [digest])
            row = cursor.fetchone()
            if row is None:
                return None
            member_id = row[len(ApiToken._meta.concrete_fields)]  # m.id comes first
            cursor.execute(dept_sql, [member_id])
            return (tuple(row), tuple(map(tuple, cursor.fetchall())))

    def get(self, digest: str, fingerprint: tuple[Any, ...]) -> Member | None:
        with self._lock:
            entry = self._entries.get(digest)
            if entry is None or entry[0] != fingerprint:
                return None
            self._entries.move_to_end(digest)
            cached = entry[1]
        # Each request gets its own instance: views may set attributes on request.auth.
        return copy.copy(cached)

    def put(self, digest: str, fingerprint: tuple[Any, ...], member: Member) -> None:
        with self._lock:
            self._entries[digest] = (fingerprint, copy.copy(member))
            self._entries.move_to_end(digest)
            while len(self._entries) > MAX_ENTRIES:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


tokens = TokenCache()
