"""PostgreSQL access: one asyncpg pool per process, JSON codecs registered once."""

from __future__ import annotations

import json
import logging
from typing import Any

import asyncpg

log = logging.getLogger("dialer.db")


async def _init_connection(conn: asyncpg.Connection) -> None:
    # JSON columns come back as Python objects so no caller parses them by hand.
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename, encoder=json.dumps, decoder=json.loads, schema="pg_catalog", format="text"
        )


async def create_pool(dsn: str, min_size: int = 2, max_size: int = 20) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn, min_size=min_size, max_size=max_size, init=_init_connection, command_timeout=60
    )
    assert pool is not None
    log.info("database pool ready (%d..%d connections)", min_size, max_size)
    return pool


def record_to_dict(record: asyncpg.Record | None) -> dict[str, Any] | None:
    return dict(record) if record is not None else None


async def connect(dsn: str) -> asyncpg.Connection:
    """A single connection with the same codecs as the pool's."""
    conn = await asyncpg.connect(dsn)
    await _init_connection(conn)
    return conn
