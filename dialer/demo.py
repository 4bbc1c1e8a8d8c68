"""``dialer demo``: embedded stores, sample data and the portal, ready to click through."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import asyncpg

from dialer.passwords import generate_password, verify_password
from dialer.runtime import Stores, run_service
from dialer.settings import Settings
from dialer.users import create_user

log = logging.getLogger("dialer.demo")

ADMIN_LOGIN = "admin"


def _credentials_file(settings: Settings) -> Path:
    return settings.data_dir / "demo-admin.txt"


async def ensure_admin(conn: asyncpg.Connection, settings: Settings) -> tuple[str, str | None]:
    """The preset administrator; its first-start password is kept (mode 600) for the banner."""
    path = _credentials_file(settings)
    row = await conn.fetchrow("SELECT id, password_hash FROM users WHERE login=$1", ADMIN_LOGIN)
    if row is None:
        password = settings.admin_password or generate_password()
        role_id = await conn.fetchval("SELECT id FROM roles WHERE preset='administrator'")
        org_id = await conn.fetchval(
            "INSERT INTO organizations (name, description) VALUES ('Демо', 'Организация демонстрации') "
            "ON CONFLICT DO NOTHING RETURNING id"
        ) or await conn.fetchval("SELECT id FROM organizations WHERE name='Демо'")
        await create_user(
            conn,
            {
                "login": ADMIN_LOGIN,
                "password": password,
                "full_name": "Администратор",
                "role_id": role_id,
                "organization_id": org_id,
                "language": "ru",
            },
        )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(password)
        return ADMIN_LOGIN, password
    if path.exists():
        stored = path.read_text(encoding="utf-8").strip()
        if verify_password(row["password_hash"], stored):
            return ADMIN_LOGIN, stored
    return ADMIN_LOGIN, None


async def run_demo(settings: Settings) -> None:
    if settings.switch == "simulated":
        from fs_app.engine.demo import wire_demo

        wire_demo()  # an in-memory sample campaign and robot operators on the simulated switch

    async def ready(stores: Stores) -> None:
        async with stores.pool.acquire() as conn:
            login, password = await ensure_admin(conn, settings)
        shown = (
            password
            or "(changed since the first start; reset: dialer user create --login admin --reset-password)"
        )
        banner = (
            "\n"
            "  Dialer demo is running\n"
            f"  Portal:   {settings.portal_url()}\n"
            f"  Login:    {login}\n"
            f"  Password: {shown}\n"
            "  Stop with Ctrl+C.\n"
        )
        print(banner, flush=True)

    await run_service(settings, "all", allow_embedded=True, on_ready=ready)
