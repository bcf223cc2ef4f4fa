"""Session and user loading with plain SQL: the two reads every web UI and panel request
makes before it can do anything (see core/membercache.py for why the ORM is avoided on
this path). Behaviour is Django's own; only the queries are written out."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from kefu.core.membercache import FingerprintCache


class SessionStore(db.SessionStore):
    """Django's database sessions (SESSION_ENGINE = "kefu.core.sessions")."""

    def _get_session_from_db(self) -> Any:
        qn = connection.ops.quote_name
        table = qn(self.model._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {qn('session_data')} FROM {table} WHERE {qn('session_key')} = %s "
                f"AND {qn('expire_date')} > %s",
                [self.session_key, connection.ops.adapt_datetimefield_value(timezone.now())])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return self.model(session_key=self.session_key or "", session_data=row[0])


class UserBackend(ModelBackend):
    """ModelBackend whose per-request user lookup is one plain SELECT: the user built by the
    ORM is kept and handed out again while that row reads the same."""

    _sql: str | None = None

    def get_user(self, user_id: Any) -> Any:
        model = get_user_model()
        pk_field = model._meta.pk
        assert pk_field is not None
        try:
            pk = pk_field.to_python(user_id)
        except ValidationError:
            return None
        if UserBackend._sql is None:
            qn = connection.ops.quote_name
            UserBackend._sql = (
                f"SELECT {', '.join(qn(f.column) for f in model._meta.concrete_fields)} "
                f"FROM {qn(model._meta.db_table)} WHERE {qn(pk_field.column)} = %s")
        with connection.cursor() as cursor:
            cursor.execute(UserBackend._sql, [pk])
            row = cursor.fetchone()
        if row is None:
            return None
        user = users.get_or_build(pk, tuple(row), lambda: super(UserBackend, self).get_user(pk))
        return user if user is not None and self.user_can_authenticate(user) else None


users = FingerprintCache()
