"""The ``dialer`` command: migrate, serve, demo, user create, version."""

from __future__ import annotations

import argparse
import asyncio
import sys

from dialer import __version__
from dialer.settings import Settings, SettingsError, load_settings


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        print(f"dialer: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


async def _migrate(settings: Settings, dry_run: bool) -> int:
    from dialer.embedded import EmbeddedPostgres
    from dialer.migrations import MigrationError, migrate

    dsn = settings.database_url
    embedded = None
    if dsn is None:
        embedded = EmbeddedPostgres(settings.data_dir)
        dsn = await asyncio.to_thread(embedded.start)
    try:
        done = await migrate(dsn, settings.migrations_dir, dry_run=dry_run)
    except MigrationError as exc:
        print(f"dialer migrate: {exc}", file=sys.stderr)
        return 1
    finally:
        if embedded is not None:
            embedded.stop()
    verb = "would apply" if dry_run else "applied"
    if not done:
        print("the schema is up to date")
    for mig in done:
        print(f"{verb} {mig.path.name}")
    return 0


async def _user_create(settings: Settings, args: argparse.Namespace) -> int:
    from dialer.access.roles import sync_presets
    from dialer.db import create_pool
    from dialer.embedded import EmbeddedPostgres
    from dialer.errors import InvalidInput
    from dialer.migrations import migrate
    from dialer.passwords import generate_password
    from dialer.users import create_user, set_password

    dsn = settings.database_url
    embedded = None
    if dsn is None:
        embedded = EmbeddedPostgres(settings.data_dir)
        dsn = await asyncio.to_thread(embedded.start)
    await migrate(dsn, settings.migrations_dir)
    pool = await create_pool(dsn, 1, 2)
    try:
        async with pool.acquire() as conn:
            await sync_presets(conn)
            password = args.password or (None if args.ldap else generate_password())
            existing = await conn.fetchval("SELECT id FROM users WHERE lower(login)=lower($1)", args.login)
            if existing is not None:
                if not args.reset_password:
                    print(f"dialer: user {args.login} exists (use --reset-password)", file=sys.stderr)
                    return 1
                await set_password(conn, existing, password or generate_password())
                print(f"password of {args.login} reset: {password}")
                return 0
            role_id = await conn.fetchval(
                "SELECT id FROM roles WHERE preset=$1 OR lower(name)=lower($1)", args.role
            )
            if role_id is None:
                print(f"dialer: no role {args.role!r}", file=sys.stderr)
                return 1
            org_id = None
            if args.org:
                org_id = await conn.fetchval(
                    "SELECT id FROM organizations WHERE lower(name)=lower($1)", args.org
                )
                if org_id is None:
                    org_id = await conn.fetchval(
                        "INSERT INTO organizations (name) VALUES ($1) RETURNING id", args.org
                    )
            try:
                await create_user(
                    conn,
                    {
                        "login": args.login,
                        "source": "ldap" if args.ldap else "local",
                        "password": password,
                        "full_name": args.name or "",
                        "email": args.email or "",
                        "role_id": role_id,
                        "organization_id": org_id,
                    },
                )
            except InvalidInput as exc:
                for field, msg in exc.fields.items():
                    print(f"dialer: {field}: {msg}", file=sys.stderr)
                return 1
            print(
                f"user {args.login} created with role {args.role}"
                + (f"; password: {password}" if password else "")
            )
            return 0
    finally:
        await pool.close()
        if embedded is not None:
            embedded.stop()


def _serve(settings: Settings, role: str) -> int:
    from dialer.logs import setup_logging
    from dialer.runtime import StartupError, run_service

    setup_logging(settings.log_level, settings.log_format)
    try:
        asyncio.run(run_service(settings, role, allow_embedded=False))  # type: ignore[arg-type]
    except StartupError as exc:
        print(f"dialer: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def _demo(settings: Settings) -> int:
    from dialer.demo import run_demo
    from dialer.logs import setup_logging
    from dialer.runtime import StartupError

    setup_logging(settings.log_level, settings.log_format)
    try:
        asyncio.run(run_demo(settings))
    except StartupError as exc:
        print(f"dialer: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dialer", description="Outbound contact-center dialer")
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("migrate", help="apply the SQL migrations in sql/")
    m.add_argument("--dry-run", action="store_true", help="list what would be applied")
    s = sub.add_parser("serve", help="run the portal and the call engine")
    s.add_argument("--role", choices=["all", "web", "engine"], default="all")
    sub.add_parser("demo", help="embedded stores, simulated switch and sample data on localhost")
    u = sub.add_parser("user", help="manage accounts")
    usub = u.add_subparsers(dest="user_command", required=True)
    uc = usub.add_parser("create", help="create an account (or reset its password)")
    uc.add_argument("--login", required=True)
    uc.add_argument(
        "--role", default="administrator", help="preset (administrator, supervisor, ...) or role name"
    )
    uc.add_argument("--password", help="default: generated and printed")
    uc.add_argument("--name")
    uc.add_argument("--email")
    uc.add_argument("--org", help="organization name (created if missing)")
    uc.add_argument("--ldap", action="store_true", help="a domain account (password checked by LDAP)")
    uc.add_argument("--reset-password", action="store_true")
    sub.add_parser("version", help="print the version")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "version":
        print(f"dialer {__version__}")
        return 0
    settings = _settings()
    if args.command == "migrate":
        return asyncio.run(_migrate(settings, args.dry_run))
    if args.command == "serve":
        return _serve(settings, args.role)
    if args.command == "demo":
        return _demo(settings)
    if args.command == "user":
        return asyncio.run(_user_create(settings, args))
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
