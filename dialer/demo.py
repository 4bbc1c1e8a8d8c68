"""``dialer demo``: embedded stores, sample data and the portal, ready to click through.

The sample campaign lives in the database (dialer.demo_data) and is dialed like any other
through dialer.engine_wiring; robot operators (dialer.demo_robots) take its calls.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import asyncpg

from dialer.demo_data import ensure_demo_data
from dialer.demo_robots import robots_starter
from dialer.passwords import generate_password, verify_password
from dialer.runtime import ENGINE_PREPARE, Stores, run_service
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


def _demo_population() -> object:
    from fs_app.switchsim import Population
    from fs_app.switchsim.population import Distribution

    # Shorter conversations than the default population so the console changes while one watches.
    return Population(talk=Distribution(20.0, 0.5, 5.0, 120.0), ring=Distribution(4.0, 0.5, 0.5, 20.0))


async def run_demo(settings: Settings) -> None:
    from fs_app.engine.service import WIRING

    simulated = settings.switch == "simulated"
    if simulated:
        WIRING.population = _demo_population()

    async def sample_data(stores: Stores) -> None:
        # Before the engine's wiring reads the running campaigns, so the sample one is among them.
        async with stores.pool.acquire() as conn:
            data = await ensure_demo_data(conn)
        if simulated:
            WIRING.on_started = robots_starter(stores.pool, data.operator_ids)

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

    ENGINE_PREPARE.insert(0, sample_data)
    try:
        await run_service(settings, "all", allow_embedded=True, on_ready=ready)
    finally:
        ENGINE_PREPARE.remove(sample_data)
