"""The Simplified Chinese catalogue is complete, compiled, and what people see by default."""

from __future__ import annotations

import gettext
import re
from pathlib import Path
from typing import Any

import polib
import pytest
from django.test import Client

import kefu
from kefu.api import MAX_LIMIT
from kefu.core.models import Member

LC_MESSAGES = Path(kefu.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"
PO = LC_MESSAGES / "django.po"
MO = LC_MESSAGES / "django.mo"

# %(name)s, %(n)d, ... as Python's %-formatting reads them; %% is a literal percent sign.
PLACEHOLDER = re.compile(r"%\((\w+)\)[#0 +-]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]")


def catalogue() -> polib.POFile:
    return polib.pofile(str(PO))


def entries() -> list[polib.POEntry]:
    return [e for e in catalogue() if not e.obsolete]


def label(entry: polib.POEntry) -> str:
    return f"{entry.msgid!r} ({', '.join(f'{f}:{n}' for f, n in entry.occurrences[:2])})"


def test_every_message_is_translated_and_none_is_fuzzy():
    po = catalogue()
    assert not po.metadata_is_fuzzy, "the header is still marked fuzzy"
    assert po.metadata["Plural-Forms"].startswith("nplurals=1;")
    untranslated = [label(e) for e in entries()
                    if not (e.msgstr_plural.get(0) if e.msgid_plural else e.msgstr).strip()]
    fuzzy = [label(e) for e in entries() if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


def test_translations_keep_the_placeholders_of_the_source():
    wrong = []
    for e in entries():
        if e.msgid_plural:
            # zh has one form, used for every count: it takes the plural's placeholders
            # (a singular msgid may leave out %(counter)s).
            expected, got = e.msgid_plural, e.msgstr_plural[0]
        else:
            expected, got = e.msgid, e.msgstr
        if sorted(PLACEHOLDER.findall(expected)) != sorted(PLACEHOLDER.findall(got)):
            wrong.append(label(e))
    assert wrong == []


def test_the_compiled_catalogue_matches_the_po_file():
    # Given the messages as the running app reads them from the .mo
    with MO.open("rb") as fh:
        compiled: dict[Any, str] = dict(gettext.GNUTranslations(fh)._catalog)  # type: ignore[attr-defined]
    compiled.pop("", None)  # the header

    # When the .po's entries are put the same way
    expected: dict[Any, str] = {}
    for e in entries():
        key = f"{e.msgctxt}\x04{e.msgid}" if e.msgctxt else e.msgid
        if e.msgid_plural:
            for index, text in e.msgstr_plural.items():
                expected[(key, int(index))] = text
        else:
            expected[key] = e.msgstr

    # Then they are the same: run `django-admin compilemessages` after editing the .po
    assert compiled == expected


@pytest.mark.parametrize(("term", "word"), [
    (r"\brepl(y|ies)\b", "话术"),
    (r"\btokens?\b", "令牌"),
    (r"\bshortcut\b", "快捷码"),
    (r"\bexample questions?\b", "相似问法"),
])
def test_glossary_terms_are_translated_the_same_way_everywhere(term: str, word: str):
    pattern = re.compile(term, re.IGNORECASE)
    off = [label(e) for e in entries()
           if pattern.search(e.msgid_plural or e.msgid)
           and word not in (e.msgstr_plural.get(0) if e.msgid_plural else e.msgstr)]
    assert off == []


def test_login_page_is_chinese_by_default_even_for_an_english_browser(db: Any):
    resp = Client().get("/login/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert resp.status_code == 200
    page = resp.content.decode()
    assert '<html lang="zh-CN">' in page
    assert "登录" in page
    assert "客服台" in page
    assert "Log in" not in page


def test_login_page_is_english_when_asked_for_and_stays_english(db: Any):
    client = Client()

    resp = client.get("/login/?lang=en")

    assert resp.status_code == 200
    page = resp.content.decode()
    assert '<html lang="en">' in page
    assert "Log in" in page
    assert "登录" not in page
    # the choice is remembered for the next page
    assert "Log in" in client.get("/login/").content.decode()


@pytest.mark.django_db
def test_api_errors_are_chinese_by_default(owner: Member, api: Any):
    client = api(owner)

    bad_limit = client.get("members?limit=0", HTTP_ACCEPT_LANGUAGE="en-US")
    missing = client.get("members/999999", HTTP_ACCEPT_LANGUAGE="en-US")

    assert bad_limit.status_code == 400
    assert bad_limit.json()["detail"] == f"limit 必须在 1 到 {MAX_LIMIT} 之间。"
    assert missing.status_code == 404
    assert missing.json()["detail"] == "成员不存在。"


@pytest.mark.django_db
def test_api_errors_are_english_when_asked_for(owner: Member, api: Any):
    resp = api(owner).get("members?limit=0&lang=en")

    assert resp.status_code == 400
    assert resp.json()["detail"] == f"limit must be between 1 and {MAX_LIMIT}."


def test_unauthenticated_api_call_is_refused_in_chinese(db: Any):
    resp = Client().get("/api/v1/members")

    assert resp.status_code == 401
    assert resp.json()["detail"] == "需要身份验证：请登录，或在请求中携带有效的 API 令牌。"
