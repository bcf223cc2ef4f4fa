"""The panel's own Simplified Chinese catalogue is complete and compiled."""

from __future__ import annotations

import gettext
from pathlib import Path
from typing import Any

import polib

import kefu.panel

LC_MESSAGES = Path(kefu.panel.__file__).parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def entries() -> list[polib.POEntry]:
    return [e for e in polib.pofile(str(LC_MESSAGES / "django.po")) if not e.obsolete]


def test_every_panel_message_is_translated_and_none_is_fuzzy():
    assert [e.msgid for e in entries() if not e.msgstr.strip()] == []
    assert [e.msgid for e in entries() if "fuzzy" in e.flags] == []


def test_the_compiled_panel_catalogue_matches_the_po_file():
    with (LC_MESSAGES / "django.mo").open("rb") as fh:
        compiled: dict[Any, str] = dict(gettext.GNUTranslations(fh)._catalog)  # type: ignore[attr-defined]
    compiled.pop("", None)

    assert compiled == {e.msgid: e.msgstr for e in entries()}


def test_the_panel_says_reply_the_way_the_rest_of_kefu_does():
    off = [e.msgid for e in entries()
           if "repl" in e.msgid.lower() and "话术" not in e.msgstr]
    assert off == []
