"""The call engine's ``ContactSource`` and ``ResultSink`` over the database.

Only the engine's Protocol and dataclass types are imported; the engine never imports this.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
from collections.abc import Callable, Collection
from datetime import UTC, datetime

import asyncpg

from dialer.dialing import results, selector
from dialer.dialing.config_cache import ConfigCache
from fs_app.engine.ports import AttemptResult, DialTarget

log = logging.getLogger("dialer.dialing")

FreeOperators = Callable[[int], Collection[int]]  # campaign id -> ids of operators free now


def _ts(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


class DbContactSource:
    """Leases contacts for the engine; ``owner`` names this process in ``lease_owner``."""

    def __init__(
        self, pool: asyncpg.Pool, free_operators: FreeOperators | None = None, owner: str | None = None,
        lease_s: int = selector.LEASE_S,
    ) -> None:
        self.pool = pool
        self.free_operators = free_operators
        self.owner = owner or f"{socket.gethostname()}:{os.getpid()}"
        self.lease_s = lease_s
        self.cache = ConfigCache()

    async def next_targets(self, campaign_id: int, n: int, now: float) -> list[DialTarget]:
        free = self.free_operators(campaign_id) if self.free_operators else ()
        async with self.pool.acquire() as conn:
            targets = await selector.select(
                conn, campaign_id, n, datetime.fromtimestamp(now, UTC), self.owner,
                lease_s=self.lease_s, free_operators=free, cache=self.cache,
            )
            prefix = await conn.fetchval("SELECT prefix FROM campaigns WHERE id = $1", campaign_id) or ""
        out = []
        for t in targets:
            attrs = {k: "" if v is None else str(v) for k, v in t.attrs.items()}
            # DialTarget has no prefix field: the campaign's dial prefix travels in attrs.
            attrs["dial_prefix"] = prefix
            if t.callback_id is not None:
                attrs["callback_id"] = str(t.callback_id)
            out.append(DialTarget(t.contact_id, t.phone_field, t.e164, t.lease_id, attrs))
        return out


Pending = tuple[results.Result, datetime, "asyncio.Future[results.Outcome]"]


class DbResultSink:
    """Records results in batches: one transaction for many results (``results.process_many``).

    ``record_result`` returns once its result is committed, as before; results arriving
    within ``max_wait_s`` of each other (or ``max_batch`` of them) share a transaction.
    Batches run concurrently on the pool, so a slow batch does not hold up the next.
    """

    def __init__(
        self, pool: asyncpg.Pool, *, max_batch: int = 200, max_wait_s: float = 0.005,
        cache: ConfigCache | None = None,
    ) -> None:
        self.pool = pool
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.cache = cache or ConfigCache()
        self._pending: list[Pending] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def record_result(self, attempt: AttemptResult) -> None:
        await self.record(_result(attempt), _ts(attempt.ended_at) or datetime.now(UTC))

    async def record(self, r: results.Result, now: datetime) -> results.Outcome:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[results.Outcome] = loop.create_future()
        self._pending.append((r, now, fut))
        if len(self._pending) >= self.max_batch:
            self._flush_now()
        elif self._timer is None:
            self._timer = loop.call_later(self.max_wait_s, self._flush_now)
        return await fut

    def _flush_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if batch:
            task = asyncio.get_running_loop().create_task(self._flush(batch))
            self._tasks.add(task)  # a reference, so the task is not collected mid-flight
            task.add_done_callback(self._tasks.discard)

    async def _flush(self, batch: list[Pending]) -> None:
        try:
            async with self.pool.acquire() as conn:
                outs = await results.process_many(conn, [(r, now) for r, now, _ in batch], self.cache)
        except Exception:
            if len(batch) == 1:
                _settle(batch, exc=sys.exc_info()[1])
                return
            # One bad result must not fail the others that shared its transaction: retry alone.
            log.exception("a batch of %d results failed; applying them one by one", len(batch))
            for item in batch:
                await self._flush([item])
            return
        _settle(batch, outs)


def _settle(batch: list[Pending], outs: list[results.Outcome] | None = None,
            exc: BaseException | None = None) -> None:
    for i, (_, _, fut) in enumerate(batch):
        if fut.done():  # the caller was cancelled; its result is recorded all the same
            continue
        if outs is not None:
            fut.set_result(outs[i])
        else:
            fut.set_exception(exc or RuntimeError("result not recorded"))


def _result(attempt: AttemptResult) -> results.Result:
    return results.Result(
        campaign_id=attempt.campaign_id,
        contact_id=attempt.contact_id,
        lease_id=attempt.lease_id,
        system_code=attempt.system_code,
        operator_code=attempt.operator_code,
        operator_id=attempt.operator_id,
        call_id=attempt.call_id,
        phone=attempt.phone,
        phone_field=attempt.phone_field,
        started_at=_ts(attempt.started_at or None),
        answered_at=_ts(attempt.answered_at),
        connected_at=_ts(attempt.connected_at),
        ended_at=_ts(attempt.ended_at),
    )
