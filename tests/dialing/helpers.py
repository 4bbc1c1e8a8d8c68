"""Building campaigns straight in the database for the dialing tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import time
from typing import Any

import asyncpg

from dialer.dialing import campaigns


async def make_strategy(
    conn: asyncpg.Connection,
    name: str = "S",
    start: time = time(0, 0),
    end: time = time(0, 0),
    max_attempts: int | None = None,
    rules: dict[str, Any] | None = None,
    min_operators: int | None = None,
) -> int:
    sid: int = await conn.fetchval(
        "INSERT INTO strategies (name, window_start, window_end, max_attempts, rules, min_operators) "
        "VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        name, start, end, max_attempts, rules or {}, min_operators,
    )
    return sid


async def make_list(
    conn: asyncpg.Connection, name: str, phones: Sequence[Sequence[tuple[str, str, str | None]]]
) -> tuple[int, list[int]]:
    """A list whose i-th contact has the phones [(field, e164, tz), ...]."""
    list_id: int = await conn.fetchval("INSERT INTO contact_lists (name) VALUES ($1) RETURNING id", name)
    ids = []
    for contact_phones in phones:
        attrs = {f: e for f, e, _ in contact_phones}
        cid = await conn.fetchval(
            "INSERT INTO contacts (list_id, attrs) VALUES ($1, $2) RETURNING id", list_id, attrs
        )
        for f, e, tz in contact_phones:
            await conn.execute(
                "INSERT INTO contact_phones (contact_id, list_id, field, e164, tz) VALUES ($1, $2, $3, $4, $5)",
                cid, list_id, f, e, tz,
            )
        ids.append(cid)
    return list_id, ids


async def make_dnc(conn: asyncpg.Connection, name: str, numbers: Sequence[str]) -> int:
    dnc_id: int = await conn.fetchval("INSERT INTO dnc_lists (name) VALUES ($1) RETURNING id", name)
    await conn.executemany(
        "INSERT INTO dnc_entries (dnc_list_id, kind, value) VALUES ($1, 'phone', $2)", [(dnc_id, n) for n in numbers]
    )
    return dnc_id


async def make_campaign(conn: asyncpg.Connection, name: str = "C", **fields: Any) -> int:
    return await campaigns.save(conn, {"name": name, **fields})
