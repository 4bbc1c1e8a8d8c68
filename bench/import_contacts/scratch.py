"""A throw-away migrated database for the benchmarks."""

from __future__ import annotations

import os
import resource
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from dialer.db import create_pool
from dialer.migrations import migrate

ROOT = Path(__file__).resolve().parents[2]


def admin_dsn() -> str:
    return (
        os.environ.get("BENCH_DATABASE_URL")
        or os.environ.get("TEST_DATABASE_URL")
        or "postgresql://postgres@127.0.0.1:5432/postgres"
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@asynccontextmanager
async def scratch_db(tag: str) -> AsyncIterator[tuple[str, asyncpg.Pool]]:
    admin = admin_dsn()
    name = f"dialer_bench_{tag}_{os.getpid()}"
    conn = await asyncpg.connect(admin)
    await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    await conn.execute(f"CREATE DATABASE {name}")
    await conn.close()
    dsn = urlunsplit(urlsplit(admin)._replace(path="/" + name))
    try:
        await migrate(dsn, ROOT / "sql")
        pool = await create_pool(dsn, 1, 4)
        try:
            yield dsn, pool
        finally:
            await pool.close()
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        await conn.close()
