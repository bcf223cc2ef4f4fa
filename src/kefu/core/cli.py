"""Operator commands of the core app: migrate, serve, check, organizations, members, tokens."""

from __future__ import annotations

import argparse
import functools
import secrets
import sys
from collections.abc import Callable
from typing import Any

from kefu.cli import CommandError, command

Handler = Callable[[argparse.Namespace], int]


def needs_database(handler: Handler) -> Handler:
    """Refuse with a sentence, not a traceback, when the database is down or not migrated."""
    @functools.wraps(handler)
    def wrapper(args: argparse.Namespace) -> int:
        _require_migrated()
        return handler(args)
    return wrapper


def register(sub: Any) -> None:
    command(sub, "migrate", cmd_migrate, "Create or upgrade the database tables.")

    p = command(sub, "serve", cmd_serve, "Run the web server (ASGI, uvicorn).")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=1,
                   help="worker processes; more than 1 needs KEFU_REDIS_URL")
    p.add_argument("--reload", action="store_true", help="restart on code changes (development)")

    command(sub, "check", cmd_check,
            "Check configuration, database, Redis and the semantic model.")
    command(sub, "secret", cmd_secret, "Print a new random secret key for KEFU_SECRET_KEY.",
            needs_django=False)

    org = sub.add_parser("org", help="Manage organizations.").add_subparsers(
        dest="org_command", metavar="ACTION", required=True)
    p = command(org, "create", cmd_org_create, "Create an organization.")
    p.add_argument("slug")
    p.add_argument("--name", required=True)
    command(org, "list", cmd_org_list, "List organizations.")

    member = sub.add_parser("member", help="Manage members.").add_subparsers(
        dest="member_command", metavar="ACTION", required=True)
    p = command(member, "add", cmd_member_add,
                "Add a user to an organization (creating the user if new).")
    p.add_argument("org")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=["owner", "admin", "supervisor", "agent"])
    p.add_argument("--password", help="for a new user; generated and printed when omitted")
    p.add_argument("--department", action="append", default=[], metavar="NAME",
                   help="department name (created if missing); repeat for several")

    token = sub.add_parser("token", help="Manage API tokens.").add_subparsers(
        dest="token_command", metavar="ACTION", required=True)
    p = command(token, "create", cmd_token_create,
                "Create an API token for a member; prints only the token.")
    p.add_argument("org")
    p.add_argument("username")
    p.add_argument("--name", default="cli")

    p = command(sub, "demo", cmd_demo,
                "Create (or refresh) the demo organization, its people and content.")
    p.add_argument("--if-empty", action="store_true",
                   help="only when the database has no organization yet (used by make run)")


def cmd_migrate(args: argparse.Namespace) -> int:
    from django.core.management import call_command
    from django.db import OperationalError

    try:
        call_command("migrate", interactive=False, verbosity=1)
    except OperationalError as exc:
        raise CommandError(f"the database is not reachable: {one_line(exc)}") from None
    return 0


def one_line(exc: BaseException) -> str:
    """Driver errors span lines (psycopg adds hints); an operator's error is one line."""
    return " ".join(str(exc).split())


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn
    from django.conf import settings

    if args.workers < 1:
        raise CommandError("--workers must be at least 1.")
    if args.workers > 1 and not settings.KEFU_REDIS_URL:
        raise CommandError(
            "--workers greater than 1 needs KEFU_REDIS_URL: without Redis, live events "
            "would reach only the worker they were sent in.")
    _require_migrated()
    print(f"kefu: serving on http://{args.host}:{args.port}/ "
          f"({args.workers} worker{'s' if args.workers > 1 else ''}, "
          f"{'Redis' if settings.KEFU_REDIS_URL else 'in-process'} event bus)", flush=True)
    uvicorn.run(
        "kefu.asgi:application", host=args.host, port=args.port, workers=args.workers,
        reload=args.reload, lifespan="off", log_level="warning", access_log=False,
        # Open SSE streams never finish on their own; don't let them hold up a restart.
        timeout_graceful_shutdown=2,
    )
    return 0


def _require_migrated() -> None:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        raise CommandError(f"the database is not reachable: {one_line(exc)}") from None
    if pending:
        raise CommandError("the database needs migrating: run `kefu migrate` first.")


def cmd_check(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.db import connection

    cfg = settings.CONFIG
    print(f"configuration: ok (data_dir={cfg.data_dir}, debug={cfg.debug}, "
          f"language={cfg.language}, secret from {cfg.sources['secret_key']})")
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    try:
        with connection.cursor() as cur:
            cur.execute("SELECT 1")
    except Exception as exc:
        raise CommandError(f"database ({engine}) is not reachable: {one_line(exc)}") from None
    _require_migrated()
    print(f"database: ok ({engine}, migrated)")
    if settings.KEFU_REDIS_URL:
        import redis

        try:
            redis.Redis.from_url(settings.KEFU_REDIS_URL, socket_connect_timeout=3).ping()
        except Exception as exc:
            raise CommandError(
                f"Redis at KEFU_REDIS_URL is not reachable: {one_line(exc)}") from None
        print("redis: ok")
    else:
        print("redis: not configured (in-process event bus, one worker)")
    _check_semantic_model(settings.KEFU_SEMANTIC_MODEL)
    return 0


def _check_semantic_model(spec: str) -> None:
    """The server logs an unloadable backend once and suggests without it; the operator
    who configured one learns here that it will not load, and why."""
    if not spec:
        print("semantic model: off")
        return
    from kefu.suggestions.semantic import load_encoder

    try:
        encoder = load_encoder(spec)
        if encoder is None:  # a joined name whose parts are all empty
            print("semantic model: off")
            return
        dims = int(encoder.encode(["你好"]).shape[1])
    except Exception as exc:
        raise CommandError(f"semantic_model {spec!r} cannot be loaded: {one_line(exc)}"
                           ) from None
    print(f"semantic model: ok ({encoder.name}, {dims} dimensions)")


def cmd_secret(args: argparse.Namespace) -> int:
    print(secrets.token_urlsafe(48))
    return 0


def _org(slug: str) -> Any:
    from kefu.core.models import Organization

    org = Organization.objects.filter(slug=slug).first()
    if org is None:
        raise CommandError(f"no organization with slug {slug!r} (see `kefu org list`).")
    return org


@needs_database
def cmd_org_create(args: argparse.Namespace) -> int:
    from kefu.core.actions import do_create_organization

    org = do_create_organization(args.slug, args.name)
    print(f"created organization {org.slug} ({org.name})")
    return 0


@needs_database
def cmd_org_list(args: argparse.Namespace) -> int:
    from kefu.core.models import Organization

    for org in Organization.objects.all():
        print(f"{org.slug}\t{org.name}\t{org.members.count()} members")
    return 0


@needs_database
def cmd_member_add(args: argparse.Namespace) -> int:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from kefu.core.actions import do_add_member, do_create_department
    from kefu.core.models import Department

    org = _org(args.org)
    is_new = not get_user_model().objects.filter(username=args.username).exists()
    password = args.password
    if is_new and not password:
        password = secrets.token_urlsafe(9)
    with transaction.atomic():
        for name in args.department:
            if not Department.objects.filter(organization=org, name=name.strip()).exists():
                do_create_department(org, name, None)
        do_add_member(org, args.username, args.role, None,
                      password=password if is_new else None,
                      departments=[d.strip() for d in args.department])
    print(f"added {args.username} to {org.slug} as {args.role}")
    if is_new and not args.password:
        print(f"password: {password}")
    return 0


@needs_database
def cmd_token_create(args: argparse.Namespace) -> int:
    from kefu.core.actions import do_create_token
    from kefu.core.models import Member

    org = _org(args.org)
    member = Member.objects.filter(organization=org, user__username=args.username,
                                   is_active=True).select_related("user").first()
    if member is None:
        raise CommandError(f"{args.username!r} is not an active member of {org.slug}.")
    _token, raw = do_create_token(member, args.name, None)
    sys.stdout.write(raw + "\n")
    return 0


@needs_database
def cmd_demo(args: argparse.Namespace) -> int:
    from kefu.core.demo import demo_logins, load_demo
    from kefu.core.models import Organization

    if args.if_empty and Organization.objects.exists():
        print("kefu: the database already has data; demo not reloaded (run `kefu demo` to).")
        if Organization.objects.filter(slug="demo").exists():
            for line in demo_logins():
                print(line)
        return 0
    for line in load_demo():
        print(line)
    return 0
