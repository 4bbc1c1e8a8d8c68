"""Test stores: the PostgreSQL and Redis on 127.0.0.1, one fresh database per test.

A template database is migrated once per session; each test gets a copy made with
CREATE DATABASE ... TEMPLATE (tens of milliseconds), so tests never see each other's rows.
Redis keys carry a per-test prefix that is deleted afterwards.
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from dialer.access.roles import sync_presets
from dialer.db import connect, create_pool
from dialer.kv import LiveStore, connect_live_store
from dialer.migrations import migrate
from dialer.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def _reachable(host: str, port: int) -> bool:
    import socket

    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def _admin_dsn() -> str:
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        return explicit
    if _reachable("127.0.0.1", 5432):
        return "postgresql://postgres@127.0.0.1:5432/postgres"
    # A machine without PostgreSQL (a newcomer's laptop): the same embedded server as the demo.
    from dialer.embedded import EmbeddedPostgres

    return EmbeddedPostgres(ROOT / "var" / "test").start()


def _redis_url() -> str | None:
    explicit = os.environ.get("TEST_REDIS_URL")
    if explicit:
        return explicit
    return "redis://127.0.0.1:6379/15" if _reachable("127.0.0.1", 6379) else None


ADMIN_DSN = _admin_dsn()
REDIS_URL = _redis_url()


def _dsn_for(dbname: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(ADMIN_DSN)
    return urlunsplit(parts._replace(path="/" + dbname))


async def _admin_exec(sql: str) -> None:
    conn = await asyncpg.connect(ADMIN_DSN)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_db() -> Iterator[str]:
    name = f"dialer_tpl_{os.getpid()}"

    async def build() -> None:
        await _admin_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await _admin_exec(f"CREATE DATABASE {name}")
        dsn = _dsn_for(name)
        await migrate(dsn, ROOT / "sql")
        conn = await connect(dsn)
        try:
            await sync_presets(conn)
        finally:
            await conn.close()

    asyncio.run(build())
    yield name
    asyncio.run(_admin_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture
async def db_dsn(template_db: str) -> AsyncIterator[str]:
    name = f"dialer_t_{secrets.token_hex(6)}"
    await _admin_exec(f"CREATE DATABASE {name} TEMPLATE {template_db}")
    try:
        yield _dsn_for(name)
    finally:
        await _admin_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
async def pool(db_dsn: str) -> AsyncIterator[asyncpg.Pool]:
    p = await create_pool(db_dsn, 1, 5)
    try:
        yield p
    finally:
        await p.close()


@pytest.fixture
async def live() -> AsyncIterator[LiveStore]:
    store = connect_live_store(REDIS_URL, f"test:{secrets.token_hex(6)}:")
    try:
        yield store
    finally:
        await store.delete_prefix()
        await store.close()


@pytest.fixture
def settings(db_dsn: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=db_dsn,
        redis_url=REDIS_URL,
        secret_key="k" * 40,
        data_dir=tmp_path / "var",
        login_max_attempts=5,
    )


@pytest.fixture
async def app_context(settings: Settings, pool: asyncpg.Pool, live: LiveStore) -> object:
    from dialer.directory import LdapDirectory
    from dialer.secretbox import SecretBox
    from web.context import AppContext

    return AppContext(
        settings=settings, pool=pool, live=live, directory=LdapDirectory(settings),
        box=SecretBox(settings.effective_secret_key()),
    )


@pytest.fixture
async def client(aiohttp_client, app_context):  # type: ignore[no-untyped-def]
    from web.app import create_app

    return await aiohttp_client(create_app(app_context))


from tests.fixtures_servers import slapd_server, smtp_server, smtp_server_auth_required  # noqa: E402

__all__ = ["slapd_server", "smtp_server", "smtp_server_auth_required"]
