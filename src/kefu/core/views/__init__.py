"""Web pages of the core app, one module per page; the names below are the public surface."""

from kefu.core.views.account import account, account_language, home
from kefu.core.views.audit import audit_list
from kefu.core.views.auth import (
    LoginView,
    PasswordChangeView,
    ThrottledAuthenticationForm,
    client_ip,
    healthz,
    switch_org,
)
from kefu.core.views.common import member_context, member_page
from kefu.core.views.departments import (
    department_create,
    department_delete,
    department_edit,
    department_list,
)
from kefu.core.views.members import member_add, member_edit, member_list, member_set_active
from kefu.core.views.nav import Page, register_page
from kefu.core.views.tokens import token_create, token_list, token_revoke

__all__ = [
    "LoginView", "Page", "PasswordChangeView", "ThrottledAuthenticationForm", "account",
    "account_language", "audit_list", "client_ip", "department_create", "department_delete",
    "department_edit", "department_list", "healthz", "home", "member_add", "member_context",
    "member_edit", "member_list", "member_page", "member_set_active", "register_page",
    "switch_org", "token_create", "token_list", "token_revoke",
]
