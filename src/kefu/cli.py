"""The ``kefu`` command: everything an operator types.

Each app contributes its subcommands through a ``register(subparsers)`` function in its own
``cli.py``; this module owns start-up (configuration, Django) and error reporting, so every
command fails the same way: one line on stderr and a non-zero exit status.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

Handler = Callable[[argparse.Namespace], int | None]

# Modules that add subcommands; each has register(subparsers) -> None.
COMMAND_MODULES = ["kefu.core.cli", "kefu.replies.cli", "kefu.replies.search.cli",
                   "kefu.suggestions.cli"]


class CommandError(Exception):
    """A command failed for a reason the operator can fix; the message says how."""


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kefu.settings")
    import django

    django.setup()


def build_parser() -> argparse.ArgumentParser:
    from importlib import import_module

    parser = argparse.ArgumentParser(
        prog="kefu", description="客服台 kefu — customer-service workbench. "
        "Configuration: kefu.toml or KEFU_* environment variables (see kefu.example.toml).")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        import_module(name).register(sub)
    return parser


def _version() -> str:
    from kefu import __version__

    return f"kefu {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        if getattr(args, "needs_django", True):
            setup_django()
        return int(handler(args) or 0)
    except CommandError as exc:
        print(f"kefu: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from django.db import Error as DatabaseError

        from kefu.core.errors import KefuError

        if isinstance(exc, KefuError):
            print(f"kefu: error: {exc.message}", file=sys.stderr)
            return 1
        if isinstance(exc, DatabaseError):  # unreachable, unmigrated...: one line, no trace
            print(f"kefu: error: database: {exc}".splitlines()[0], file=sys.stderr)
            return 1
        raise


def command(sub: Any, name: str, handler: Handler, help: str,
            needs_django: bool = True) -> argparse.ArgumentParser:
    """Add a subcommand whose arguments the caller then declares."""
    p: argparse.ArgumentParser = sub.add_parser(name, help=help, description=help)
    p.set_defaults(handler=handler, needs_django=needs_django)
    return p


if __name__ == "__main__":
    sys.exit(main())
