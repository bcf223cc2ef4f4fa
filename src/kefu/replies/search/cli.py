"""`kefu search ORG QUERY`: the same search the panel and the API use, from a terminal."""

from __future__ import annotations

import argparse
import json
from typing import Any

from kefu.cli import CommandError, command


def register(sub: Any) -> None:
    p = command(sub, "search", cmd_search, "Search the reply library as a member would.")
    p.add_argument("org", help="the organization's slug")
    p.add_argument("query", help="汉字, pinyin (tuikuan, tuik), initials (tk), mixed (退kuan), "
                   "a /shortcut, several words separated by spaces, or a passage pasted "
                   "from a reply, punctuation and all")
    p.add_argument("--as", dest="username", help="member whose view to search "
                   "(default: the first owner); their usage counts in the ranking")
    p.add_argument("--limit", type=int, default=10, help="results to list (default 10)")
    p.add_argument("--json", action="store_true", help="print the API's JSON answer")


def _highlight(text: str, spans: list[list[int]]) -> str:
    out, last = [], 0
    for start, end in sorted(spans):
        out += [text[last:start], "[", text[start:end], "]"]
        last = end
    out.append(text[last:])
    return "".join(out)


def _snippet(text: str, spans: list[list[int]], width: int = 80) -> str:
    """``width`` characters of a body on one line, its matches in brackets: from the start,
    or from a little before the first match when that lies further in."""
    first = min((start for start, _end in spans), default=0)
    at = first - 20 if first > width - 20 else 0
    shown = [[max(a, at) - at, min(b, at + width) - at] for a, b in spans
             if b > at and a < at + width]
    part = _highlight(text[at:at + width], shown).replace("\n", " ")
    return ("…" if at else "") + part + ("…" if at + width < len(text) else "")


def cmd_search(args: argparse.Namespace) -> int:
    from kefu.core.models import Member, Role
    from kefu.replies.search.service import MAX_LIMIT, search_replies

    members = Member.objects.filter(organization__slug=args.org, is_active=True).select_related(
        "organization", "user").prefetch_related("departments")
    if not Member.objects.filter(organization__slug=args.org).exists():
        raise CommandError(f"no organization {args.org!r} or it has no members.")
    if args.username:
        member = members.filter(user__username=args.username).first()
        if member is None:
            raise CommandError(f"{args.username!r} is not an active member of {args.org}.")
    else:
        member = members.filter(role=Role.OWNER).first() or members.first()
    if not 1 <= args.limit <= MAX_LIMIT:
        raise CommandError(f"--limit must be between 1 and {MAX_LIMIT}.")
    assert member is not None
    answer = search_replies(member, args.query, args.limit)
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2, default=str))
        return 0
    if not answer["results"]:
        print("(no results)")
    for rank, r in enumerate(answer["results"], 1):
        code = f" {r['shortcut']}" if r["shortcut"] else ""
        path = "/".join(r["category"])
        print(f"{rank:>2}. {_highlight(r['title'], r['highlights']['title'])}{code}"
              f"  [{path}]  {r['why']['match']} score={r['score']}")
        print(f"    {_snippet(r['body'], r['highlights']['body'])}")
    print(f"({answer['took_ms']} ms)")
    return 0
