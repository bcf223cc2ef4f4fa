"""`kefu suggest`, `kefu suggestions learn` and `kefu eval suggest`: suggestions from a
terminal, history import, and measuring them on a file of labelled queries."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kefu.cli import CommandError, command


def register(sub: Any) -> None:
    p = command(sub, "suggest", cmd_suggest,
                "Suggest replies for a buyer's message, as a member would get them.")
    p.add_argument("org", help="organization slug")
    p.add_argument("message", help="the buyer's message")
    p.add_argument("--as", dest="username", help="member whose view to use (default: the "
                   "first owner); they only get replies they may see")
    p.add_argument("--limit", type=int, default=5)
    p.add_argument("--json", action="store_true", help="print the API's JSON answer")
    p.add_argument("--context", type=Path, metavar="FILE",
                   help="earlier turns of the conversation, oldest first, as the API's "
                   "\"context\" takes them: a JSON list, or JSONL with one turn a line "
                   "({\"from\": \"buyer\", \"text\": ...} or {\"from\": \"agent\", "
                   "\"reply_id\": ...}); an empty list: the conversation has just begun")

    group = sub.add_parser("suggestions", help="Teach suggestions from chat history."
                           ).add_subparsers(dest="suggestions_command", metavar="ACTION",
                                            required=True)
    p = command(group, "learn", cmd_learn,
                "Learn from history in JSONL: one {\"message\": ..., \"reply_key\": ...} or "
                "{\"message\": ..., \"reply_text\": ...} per line (reply_text is matched to the "
                "closest reply), optionally with \"session\": rows of one session, in file "
                "order, also teach which reply follows which. Lines that match no reply are "
                "reported and skipped.")
    p.add_argument("org", help="organization slug")
    p.add_argument("file", type=Path, help="a .jsonl file (UTF-8)")
    p.add_argument("--dry-run", action="store_true", help="match and report; learn nothing")

    evals = sub.add_parser("eval", help="Measure kefu on labelled data."
                           ).add_subparsers(dest="eval_command", metavar="WHAT", required=True)
    p = command(evals, "suggest", cmd_eval_suggest,
                "Ask suggestions for every {\"query\": ..., \"gold_ids\": [...]} line and print "
                "acc@1, acc@5 and MRR@10 (gold_ids are reply keys).")
    p.add_argument("org", help="organization slug")
    p.add_argument("queries", type=Path, help="a .jsonl file of labelled queries")
    p.add_argument("--learn", type=Path, metavar="HISTORY",
                   help="first learn this history file (kept, as with `suggestions learn`)")
    p.add_argument("--as", dest="username", help="member whose view to use")


def _org(slug: str) -> Any:
    from kefu.core.models import Organization

    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise CommandError(f"no organization with slug {slug!r} (see `kefu org list`).")
    return org


def _member(org: Any, username: str | None) -> Any:
    from kefu.core.models import Member, Role

    members = Member.objects.filter(organization=org, is_active=True).select_related(
        "organization", "user").prefetch_related("departments")
    if username:
        member = members.filter(user__username=username).first()
        if member is None:
            raise CommandError(f"{username!r} is not an active member of {org.slug}.")
        return member
    member = members.filter(role=Role.OWNER).first() or members.first()
    if member is None:
        raise CommandError(f"{org.slug} has no active members.")
    return member


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise CommandError(f"cannot read {path}: {exc.strerror}.") from None


class ContextFileError(Exception):
    """The --context file is not a context the API would take (exit status 2, as for
    other bad arguments)."""


def _parse_turns(path: Path) -> Any:
    """The file's turns as JSON values: a JSON list, or one JSON value per line."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ContextFileError(f"cannot read {path}: {exc.strerror}.") from None
    except UnicodeDecodeError:
        raise ContextFileError(f"{path.name}: not UTF-8 text.") from None
    if text.lstrip().startswith("["):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ContextFileError(f"{path.name}: not valid JSON (line {exc.lineno}, column "
                                   f"{exc.colno}: {exc.msg}).") from None
    turns = []
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                turns.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise ContextFileError(f"{path.name}: line {number} is not valid JSON "
                                       f"({exc.msg}).") from None
    return turns


def read_context(path: Path) -> list[dict[str, Any]]:
    """A --context file checked exactly as POST /api/v1/suggest checks its body, with the
    API's messages."""
    from pydantic import ValidationError

    from kefu.api import _explain  # the API's wording of a schema error
    from kefu.core.errors import KefuError
    from kefu.suggestions.api import SuggestIn, context_turns

    raw = _parse_turns(path)
    try:
        # The request schema itself, so the turns obey the very limits the API sets; the
        # message stands in (the command checks its own).
        body = SuggestIn.model_validate({"message": "-", "context": raw})
        turns = context_turns(body.context)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = list(err.get("loc", ()))
            if len(loc) > 1 and isinstance(loc[1], int):
                where = f"turn {loc[1] + 1}" + "".join(f", {p}" for p in loc[2:])
            else:
                where = "context"
            problems.append(f"{where}: {_explain(dict(err))}")
        raise ContextFileError(f"{path.name}: " + "; ".join(problems)) from None
    except KefuError as exc:
        raise ContextFileError(f"{path.name}: {exc.message}") from None
    assert turns is not None
    return turns


def cmd_suggest(args: argparse.Namespace) -> int:
    from kefu.suggestions.service import MAX_LIMIT, suggest

    if not args.message.strip():
        raise CommandError("the message is empty.")
    if not 1 <= args.limit <= MAX_LIMIT:
        raise CommandError(f"--limit must be between 1 and {MAX_LIMIT}.")
    context = None
    if args.context is not None:
        try:
            context = read_context(args.context)
        except ContextFileError as exc:
            print(f"kefu: error: {exc}", file=sys.stderr)
            return 2
    member = _member(_org(args.org), args.username)
    answer = suggest(member, args.message, args.limit, context)
    if args.json:
        print(json.dumps(answer, ensure_ascii=False, indent=2, default=str))
        return 0
    intent = answer["intent"]
    print(f"intent: {intent['category'] or '-'} ({intent['confidence']:.2f})"
          + ("   ESCALATE: calm the buyer first" if answer["escalate"] else ""))
    entities = {k: v for k, v in answer["entities"].items() if v}
    if entities:
        print("entities: " + json.dumps(entities, ensure_ascii=False))
    if not answer["suggestions"]:
        print("(no suggestions)")
    for rank, s in enumerate(answer["suggestions"], 1):
        key = f" [{s['key']}]" if s["key"] else ""
        print(f"{rank:>2}. {s['title']}{key}  score={s['score']:.3f} ({s['why']['match']})")
        text = s["text"].replace("\n", " ")
        print(f"    {text[:80]}{'…' if len(text) > 80 else ''}")
    print(f"({answer['took_ms']} ms)")
    return 0


def _learn(org: Any, path: Path, dry_run: bool = False) -> tuple[int, int]:
    from kefu.suggestions.actions import do_import_history
    from kefu.suggestions.history import parse_history

    parsed = parse_history(org, _read(path))
    for problem in parsed.problems[:20]:
        where = f"line {problem['line']}: " if problem["line"] else ""
        print(f"{path.name}: {where}{problem['message']}", file=sys.stderr)
    if len(parsed.problems) > 20:
        print(f"… and {len(parsed.problems) - 20} more problems", file=sys.stderr)
    if dry_run or not parsed.rows:
        return len(parsed.rows), len(parsed.problems)
    result = do_import_history(None, org, parsed.rows)
    return result.learned, len(parsed.problems) + result.skipped


def cmd_learn(args: argparse.Namespace) -> int:
    org = _org(args.org)
    learned, skipped = _learn(org, args.file, args.dry_run)
    verb = "would learn" if args.dry_run else "learned"
    print(f"{verb} {learned} examples, skipped {skipped} lines")
    return 0 if learned or not skipped else 1


def cmd_eval_suggest(args: argparse.Namespace) -> int:
    from kefu.suggestions.service import suggest

    org = _org(args.org)
    member = _member(org, args.username)
    if args.learn:
        learned, skipped = _learn(org, args.learn)
        print(f"learned {learned} examples from {args.learn.name} (skipped {skipped})")
    ranks: list[int | None] = []
    for number, line in enumerate(_read(args.queries).decode("utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            query, gold = str(row["query"]), {str(g) for g in row["gold_ids"]}
        except (json.JSONDecodeError, KeyError, TypeError):
            raise CommandError(f"{args.queries.name} line {number}: expected "
                               '{"query": ..., "gold_ids": [...]}.') from None
        keys = [s["key"] for s in suggest(member, query, 10)["suggestions"]]
        ranks.append(next((i for i, k in enumerate(keys, 1) if k in gold), None))
    if not ranks:
        raise CommandError(f"{args.queries.name} has no queries.")
    n = len(ranks)
    print(f"queries  {n}")
    print(f"acc@1    {sum(r == 1 for r in ranks) / n:.3f}")
    print(f"acc@5    {sum(1 for r in ranks if r and r <= 5) / n:.3f}")
    print(f"MRR@10   {sum(1 / r for r in ranks if r) / n:.3f}")
    return 0
