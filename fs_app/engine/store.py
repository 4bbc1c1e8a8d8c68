"""Attempt rows (sql/030_calls.sql): inserted before the originate, updated in the background.

Inserts are awaited (the row must exist before the switch hears of the call); updates go into
a queue that one writer flushes in batches, so a slow database never delays an event's command.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import asyncpg

from fs_app.engine.abandons import Attempt

log = logging.getLogger("dialer.engine")

_TIME_COLUMNS = frozenset({"started_at", "answered_at", "connected_at", "ended_at"})
_COLUMNS = frozenset({"state", "answered_at", "connected_at", "ended_at", "hangup_cause", "sip_status",
                      "amd_verdict", "code", "operator_code", "operator_id", "wait_to_operator_ms"})


@dataclass(frozen=True)
class AttemptRow:
    uuid: str
    campaign_id: int
    contact_id: int
    phone: str
    phone_field: str
    lease_id: str
    connector: str
    caller_id: str
    started_at: float


class AttemptStore(Protocol):
    async def insert(self, rows: Sequence[AttemptRow]) -> None: ...

    def update(self, uuid: str, values: Mapping[str, Any]) -> None: ...

    async def open_attempts(self) -> list[tuple[str, str]]:
        """(uuid, state) of rows with no ended_at: calls a previous run did not close."""
        ...

    async def flush(self) -> None: ...

    async def answered_attempts(self, campaign_id: int, since: float, before: float) -> list[Attempt]:
        """The campaign's attempts answered at or after ``since`` and started before ``before``: the
        abandon history a new engine run starts its rolling windows from."""
        ...


def _ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


class MemoryAttemptStore:
    def __init__(self) -> None:
        self.rows: dict[str, dict[str, Any]] = {}

    async def insert(self, rows: Sequence[AttemptRow]) -> None:
        for r in rows:
            self.rows[r.uuid] = {**r.__dict__, "state": "dialing", "ended_at": None}

    def update(self, uuid: str, values: Mapping[str, Any]) -> None:
        if uuid in self.rows:
            self.rows[uuid].update(values)

    async def open_attempts(self) -> list[tuple[str, str]]:
        return [(u, r["state"]) for u, r in self.rows.items() if r.get("ended_at") is None]

    async def flush(self) -> None:
        return None

    async def answered_attempts(self, campaign_id: int, since: float, before: float) -> list[Attempt]:
        return [Attempt(campaign_id, r["answered_at"], r.get("connected_at"), r.get("wait_to_operator_ms"),
                        r.get("amd_verdict"), r.get("code"))
                for r in self.rows.values()
                if r["campaign_id"] == campaign_id and r.get("answered_at") is not None
                and r["answered_at"] >= since and r["started_at"] < before]


class PgAttemptStore:
    def __init__(self, pool: asyncpg.Pool, batch: int = 500) -> None:
        self.pool = pool
        self.batch = batch
        self._queue: asyncio.Queue[tuple[str, dict[str, Any]]] = asyncio.Queue()
        self._writer: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    async def insert(self, rows: Sequence[AttemptRow]) -> None:
        async with self.pool.acquire() as conn:
            await conn.executemany(
                "INSERT INTO call_attempts (uuid, campaign_id, contact_id, phone, phone_field, lease_id,"
                " connector, caller_id, started_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                [(r.uuid, r.campaign_id, r.contact_id, r.phone, r.phone_field, r.lease_id, r.connector,
                  r.caller_id, _ts(r.started_at)) for r in rows],
            )

    def update(self, uuid: str, values: Mapping[str, Any]) -> None:
        clean = {k: (_ts(v) if k in _TIME_COLUMNS else v) for k, v in values.items() if k in _COLUMNS}
        if clean:
            self._idle.clear()
            self._queue.put_nowait((uuid, clean))
            if self._writer is None or self._writer.done():
                self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        while not self._queue.empty():
            batch: list[tuple[str, dict[str, Any]]] = []
            while not self._queue.empty() and len(batch) < self.batch:
                batch.append(self._queue.get_nowait())
            try:
                async with self.pool.acquire() as conn, conn.transaction():
                    for uuid, values in batch:
                        cols = list(values)
                        sets = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(cols))
                        await conn.execute(f"UPDATE call_attempts SET {sets} WHERE uuid = $1",
                                           uuid, *[values[c] for c in cols])
            except (asyncpg.PostgresError, OSError) as exc:
                log.error("attempt updates lost (%d rows): %s", len(batch), exc)
        self._idle.set()

    async def open_attempts(self) -> list[tuple[str, str]]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch("SELECT uuid::text, state FROM call_attempts WHERE ended_at IS NULL")
        return [(r["uuid"], r["state"]) for r in rows]

    async def answered_attempts(self, campaign_id: int, since: float, before: float) -> list[Attempt]:
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT extract(epoch FROM answered_at)::float8 AS answered, extract(epoch FROM connected_at)::float8"
                " AS connected, wait_to_operator_ms, amd_verdict, code FROM call_attempts WHERE campaign_id = $1"
                " AND answered_at >= $2 AND started_at < $3", campaign_id, _ts(since), _ts(before))
        return [Attempt(campaign_id, r["answered"], r["connected"], r["wait_to_operator_ms"], r["amd_verdict"],
                        r["code"]) for r in rows]

    async def flush(self) -> None:
        await self._idle.wait()
        if self._writer is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._writer
