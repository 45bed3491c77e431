"""The `tagen` command line: serve one context, migrate, create an admin, run the platform,
and the TA engine."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib.util
import logging
import os
import sys
from collections.abc import Coroutine
from typing import Any, TypeVar

from services.kernel.settings import get_settings

T = TypeVar("T")


def run_async(main: Coroutine[Any, Any, T]) -> T:
    """Run a service's main coroutine, on uvloop where it is installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def _serve(args: argparse.Namespace) -> int:
    from services.cli.platform import serve_context

    run_async(serve_context(get_settings(), args.context))
    return 0


def _run(args: argparse.Namespace) -> int:
    from services.cli.platform import run_platform

    run_async(run_platform(get_settings()))
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from services.cli.platform import database_for_cli
    from services.kernel.migrations import available_contexts, upgrade_all

    contexts = [args.context] if args.context else available_contexts()
    with database_for_cli(get_settings()) as url:
        for name in upgrade_all(url, contexts):
            print(f"migrated {name}")
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from services.cli.platform import create_admin_command

    password = args.password or os.environ.get("TAGEN_ADMIN_PASSWORD") or ""
    if not password and sys.stdin.isatty():
        password = getpass.getpass("password: ")
    elif not password:
        password = sys.stdin.readline().rstrip("\n")
    username = asyncio.run(
        create_admin_command(get_settings(), args.username, password, args.email)
    )
    print(f"{username} is an ADMIN")
    return 0


def _cleanup_samples(args: argparse.Namespace) -> int:
    from services.cli.platform import database_for_cli, embedded_keys
    from services.kernel.runtime import Runtime
    from services.requests.app import run_retention_once

    settings = get_settings()
    with database_for_cli(settings) as url:
        runtime = Runtime.from_keys(settings, embedded_keys(settings))
        run = asyncio.run(run_retention_once(runtime, url))
    print(f"deleted {run.deleted} log samples" if run.enabled else "sample retention is disabled")
    return 0


def _openapi(args: argparse.Namespace) -> int:
    import json

    from services.gateway.app import openapi_document

    text = json.dumps(openapi_document(), indent=1, sort_keys=True) + "\n"
    if args.out == "-":
        sys.stdout.write(text)
    else:
        with open(args.out, "w", encoding="utf-8") as out:
            out.write(text)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tagen", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start the whole platform (embedded default)")
    run.set_defaults(func=_run)

    serve = commands.add_parser("serve", help="serve one context's gRPC service")
    serve.add_argument(
        "context", choices=["identity", "requests", "validation", "knowledge", "audit", "gateway"]
    )
    serve.set_defaults(func=_serve)

    migrate = commands.add_parser("migrate", help="apply database migrations")
    migrate.add_argument("--context", help="only this context (default: every context)")
    migrate.set_defaults(func=_migrate)

    admin = commands.add_parser("create-admin", help="create or promote a local ADMIN")
    admin.add_argument("--username", required=True)
    admin.add_argument("--email", default="")
    admin.add_argument(
        "--password", default="", help="else TAGEN_ADMIN_PASSWORD, a prompt, or one stdin line"
    )
    admin.set_defaults(func=_create_admin)

    cleanup = commands.add_parser(
        "cleanup-samples", help="delete log samples past their retention (SAMPLE_RETENTION_*)"
    )
    cleanup.set_defaults(func=_cleanup_samples)

    openapi = commands.add_parser(
        "openapi", help="write the gateway's OpenAPI document (no server is started)"
    )
    openapi.add_argument("--out", default="-", help="file to write (default: stdout)")
    openapi.set_defaults(func=_openapi)

    if importlib.util.find_spec("services.cli.ta"):
        from services.cli import ta

        ta.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    from services.kernel.logs import configure_logging

    args = build_parser().parse_args(argv)
    configure_logging(level=logging.DEBUG if args.verbose else logging.INFO)
    for noisy in ("pgserver", "alembic"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if args.verbose else logging.WARNING)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        from services.kernel.errors import DomainError

        if isinstance(exc, DomainError | RuntimeError):
            print(f"tagen: {exc}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
