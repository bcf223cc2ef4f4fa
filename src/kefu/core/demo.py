"""The demo organization: people first; each app adds its own content through DEMO_LOADERS.

Running it again changes nothing that is already there (and resets the demo passwords, so
the printed logins always work).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import import_module

from django.contrib.auth import get_user_model
from django.db import transaction

from kefu.core import actions
from kefu.core.models import Department, Member, Organization, Role

DEMO_SLUG = "demo"
DEMO_PASSWORD = "kefu-demo-2026"  # printed by `kefu demo` and `make run`; demo use only
DEPARTMENTS = ["售前", "售后"]
PEOPLE = [
    ("admin", Role.OWNER, [], "店长"),
    ("zhuguan", Role.SUPERVISOR, ["售前", "售后"], "主管小王"),
    ("kefu1", Role.AGENT, ["售前"], "小美"),
    ("kefu2", Role.AGENT, ["售后"], "小林"),
]
# "module:function" loaders called with the organization after the people exist.
DEMO_LOADERS: list[str] = ["kefu.replies.demo:load"]


def load_demo() -> Iterator[str]:
    User = get_user_model()
    with transaction.atomic():
        org = Organization.objects.filter(slug=DEMO_SLUG).first()
        if org is None:
            org = actions.do_create_organization(DEMO_SLUG, "演示店铺")
        for name in DEPARTMENTS:
            if not Department.objects.filter(organization=org, name=name).exists():
                actions.do_create_department(org, name, None)
        for username, role, depts, display in PEOPLE:
            if not Member.objects.filter(organization=org, user__username=username).exists():
                actions.do_add_member(org, username, role, None, departments=depts,
                                      display_name=display)
            user = User.objects.get(username=username)
            user.set_password(DEMO_PASSWORD)  # bypasses validators on purpose: demo only
            user.save(update_fields=["password"])
        for ref in DEMO_LOADERS:
            module, _, func = ref.partition(":")
            loader: Callable[[Organization], Iterator[str]] = getattr(import_module(module), func)
            yield from loader(org)
    yield f"demo organization: {org.slug} ({org.name})"
    yield from demo_logins()


def demo_logins() -> Iterator[str]:
    for username, role, _depts, _display in PEOPLE:
        yield f"  login: {username:<8} password: {DEMO_PASSWORD}  ({role.label})"
