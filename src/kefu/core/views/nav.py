"""The pages a member may open: one list feeds the top navigation and the home-page tiles.

Later apps add their pages from their ``AppConfig.ready()``::

    register_page(Page("replies:library", _("Reply library"), _("Shared reply scripts."),
                       order=10))

so neither base.html nor the home page needs editing when an app arrives.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from kefu.core.models import Member


def everyone(member: Member) -> bool:
    return True


def admins(member: Member) -> bool:
    return member.is_admin


def managers(member: Member) -> bool:
    return member.is_manager


@dataclass(frozen=True)
class Page:
    url_name: str
    label: Any  # a lazy translation
    description: Any
    allowed: Callable[[Member], bool] = everyone
    order: int = 100
    tile: bool = True  # shown as a tile on the home page


PAGES: dict[str, Page] = {}


def register_page(page: Page) -> None:
    # Keyed by URL name, so registering twice (tests, autoreload) replaces instead of doubling.
    PAGES[page.url_name] = page


def pages_for(member: Member, path: str) -> list[dict[str, Any]]:
    """The pages ``member`` may open, in order, each marked ``active`` when ``path`` is in it."""
    out = []
    for page in sorted(PAGES.values(), key=lambda p: (p.order, p.url_name)):
        if not page.allowed(member):
            continue
        try:
            url = reverse(page.url_name)
        except NoReverseMatch:  # an app registered a page but its URLs are not mounted
            continue
        active = path == url if url == "/" else path.startswith(url)
        out.append({"url": url, "label": page.label, "description": page.description,
                    "tile": page.tile, "active": active})
    return out


for _page in (
    Page("home", _("Home"), "", order=0, tile=False),
    Page("members", _("Members"), _("Colleagues, their roles and departments."), order=80),
    Page("departments", _("Departments"), _("The teams in this organization."), order=81),
    Page("tokens", _("API tokens"), _("Keys for scripts and integrations."), admins, order=90),
    Page("audit", _("Audit log"), _("Who changed what, and when."), admins, order=91),
    Page("account", _("My account"), _("Display name, language and password."), order=99),
):
    register_page(_page)
