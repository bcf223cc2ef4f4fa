"""Operator commands of the reply library: import, export, purge."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

from kefu.cli import CommandError, command

SCOPE_HELP = "company (default), department:NAME or personal:USERNAME"


def register(sub: Any) -> None:
    replies = sub.add_parser("replies", help="Import, export and purge the reply library."
                             ).add_subparsers(dest="replies_command", metavar="ACTION",
                                              required=True)
    p = command(replies, "import", cmd_import,
                "Import replies from .xlsx, .csv or .jsonl: every row is checked first, and "
                "nothing is written unless all rows are good. Rows whose 编号 (key) matches a "
                "reply update it; the others create replies.")
    p.add_argument("org", help="organization slug")
    p.add_argument("file", help="a .xlsx, .csv (UTF-8 or GBK) or .jsonl file")
    p.add_argument("--scope", default="company", help=f"target library: {SCOPE_HELP}")
    p.add_argument("--dry-run", action="store_true",
                   help="check the file and print what would change; write nothing")
    p.add_argument("--yes", "-y", action="store_true", help="do not ask for confirmation")

    p = command(replies, "export", cmd_export,
                "Export replies to .xlsx, .csv or .jsonl (chosen by the file's extension), "
                "in the columns the import reads.")
    p.add_argument("org", help="organization slug")
    p.add_argument("file", help="where to write: NAME.xlsx, NAME.csv or NAME.jsonl")
    p.add_argument("--scope", default="company",
                   help=f"library to export: {SCOPE_HELP}, or all")
    p.add_argument("--english-headers", action="store_true",
                   help="title the columns key, title, body... instead of 编号, 标题, 内容...")

    command(replies, "purge", cmd_purge,
            "Remove replies deleted more than 30 days ago (run daily, e.g. from cron).")


def _org(slug: str) -> Any:
    from kefu.core.models import Organization

    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise CommandError(f"no organization with slug {slug!r} (see `kefu org list`).")
    return org


class ProgressBar:
    """A one-line text progress bar, redrawn in place on a terminal."""

    WIDTH = 30

    def __init__(self, stream: TextIO, label: str) -> None:
        self.stream, self.label = stream, label

    def __call__(self, done: int, total: int) -> None:
        filled = self.WIDTH * done // total if total else self.WIDTH
        self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (self.WIDTH - filled)}] "
                          f"{done}/{total}")
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


def print_report(plan: Any, out: TextIO) -> None:
    from django.utils.translation import gettext as _

    for column in plan.parsed.unknown_columns:
        print(_("warning: unknown column %(column)s is ignored") % {"column": column},
              file=out)
    for p in plan.problems:
        if p.row is None:
            line = _("file: %(message)s") % {"message": p.message}
        elif p.column:
            line = _("row %(row)d, column %(column)s: %(message)s") % {
                "row": p.row, "column": p.column, "message": p.message}
        else:
            line = _("row %(row)d: %(message)s") % {"row": p.row, "message": p.message}
        print(line, file=out)
    s = plan.summary()
    print(_("%(rows)d rows: %(create)d to create, %(update)d to update, %(unchanged)d "
            "unchanged, %(invalid)d with problems") % s, file=out)


def cmd_import(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from kefu.replies.io.apply import apply_plan
    from kefu.replies.io.plan import plan_import

    org = _org(args.org)
    path = Path(args.file)
    if not path.is_file():
        raise CommandError(f"no such file: {path}")
    plan = plan_import(org, path.read_bytes(), path.name, args.scope, None)
    print(_("Checking %(file)s for the library %(library)s of %(org)s") % {
        "file": path.name, "library": plan.library.label, "org": org.slug})
    print_report(plan, sys.stdout)
    if not plan.ok:
        print(_("%(n)d problems: nothing was imported. Fix the rows above and run the import "
                "again.") % {"n": len(plan.problems)}, file=sys.stderr)
        return 1
    if args.dry_run:
        print(_("Dry run: nothing was written."))
        return 0
    if plan.count("create") + plan.count("update") == 0:
        print(_("Nothing to change."))
        return 0
    if not args.yes and sys.stdin.isatty():
        answer = input(_("Apply these changes? [y/N] ")).strip().lower()
        if answer not in ("y", "yes", "是"):
            print(_("Cancelled: nothing was written."))
            return 1
    bar = ProgressBar(sys.stderr, _("Importing")) if sys.stderr.isatty() else None
    result = apply_plan(plan, None, progress=bar)
    print(_("Imported into %(library)s: %(create)d created, %(update)d updated, "
            "%(unchanged)d unchanged.") % {"library": result.library.label,
                                           **result.to_dict()})
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from kefu.replies.io.export import export_rows
    from kefu.replies.io.formats import format_of, write_rows
    from kefu.replies.io.scopes import libraries_for_export, parse_scope

    org = _org(args.org)
    path = Path(args.file)
    fmt = format_of(path.name)
    if fmt is None:
        raise CommandError("the file name must end in .xlsx, .csv or .jsonl.")
    ref = None if args.scope == "all" else parse_scope(args.scope)
    rows = export_rows(libraries_for_export(org, ref, None))
    path.write_bytes(write_rows(rows, fmt, args.english_headers))
    print(_("Exported %(n)d replies to %(file)s") % {"n": len(rows), "file": path})
    return 0


def cmd_purge(args: argparse.Namespace) -> int:
    from django.utils.translation import gettext as _

    from kefu.replies.actions import purge_deleted

    print(_("Removed %(n)d replies deleted more than 30 days ago.") % {"n": purge_deleted()})
    return 0
