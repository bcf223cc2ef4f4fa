"""Helpers of the library page tests: a logged-in browser and the page text."""

from __future__ import annotations

from typing import Any

from django.test import Client

from kefu.core.models import Member

XSS_TITLE = "<script>alert(1)</script>"
XSS_BODY = "亲<img src=x onerror=alert(1)>您好"


def client_for(member: Member) -> Client:
    """A logged-in browser reading English, so assertions do not depend on translations."""
    client = Client()
    client.force_login(member.user)
    client.cookies["kefu_lang"] = "en"
    return client


def html(resp: Any) -> str:
    return resp.content.decode()


def assert_escaped(page: str) -> None:
    assert "<script>alert(1)</script>" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
