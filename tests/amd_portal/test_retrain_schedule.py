"""Scheduled self-learning (R6.4): the engine's background service retrains on the configured schedule."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import asyncpg
import pytest

from dialer import amd_training
from dialer.errors import InvalidInput
from dialer.settings import Settings


def test_schedule_setting_is_parsed() -> None:
    assert Settings().amd_retrain_schedule == "daily 03:00"
    daily = amd_training.parse_retrain_schedule("daily 03:00")
    assert (daily.kind, daily.at) == ("daily", time(3, 0))
    monthly = amd_training.parse_retrain_schedule("Monthly 15 04:30")
    assert (monthly.kind, monthly.day, monthly.at) == ("monthly", 15, time(4, 30))
    assert amd_training.parse_retrain_schedule("every 90").every_minutes == 90
    assert amd_training.parse_retrain_schedule("off").kind == "manual"
    for bad in ("nightly", "daily 25:00", "every", "every 0", "monthly 40 03:00"):
        with pytest.raises(InvalidInput):
            amd_training.parse_retrain_schedule(bad)


def test_the_engine_runs_the_retrain_scheduler() -> None:
    from dialer.runtime import ENGINE_SERVICES

    assert ("amd-retrain-scheduler", amd_training.run_retrain_scheduler) in ENGINE_SERVICES


async def test_retrain_runs_when_due_and_only_then(pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    runs: list[object] = []

    async def job(p: asyncpg.Pool) -> None:
        runs.append(p)

    monkeypatch.setattr(amd_training, "retrain_job", job)
    schedule = amd_training.parse_retrain_schedule("daily 03:00")
    now = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 04:00 in Moscow
    # Last run yesterday at 03:00 Moscow time: today's 03:00 slot has passed, so it is due.
    yesterday = now - timedelta(days=1)
    last = await amd_training.retrain_tick(pool, schedule, yesterday, now)
    assert runs == [pool] and last == now
    # Just ran: the next slot is tomorrow.
    assert await amd_training.retrain_tick(pool, schedule, last, now + timedelta(minutes=5)) == last
    assert len(runs) == 1
    # Another process holds the lock: this one does not retrain the same slot again.
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", amd_training.RETRAIN_LOCK)
        try:
            assert await amd_training.retrain_tick(pool, schedule, yesterday, now) == now
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", amd_training.RETRAIN_LOCK)
    assert len(runs) == 1


async def test_a_skipped_retrain_waits_for_the_next_slot(pool: asyncpg.Pool) -> None:
    # No verified recordings at all: the real job skips with a log line and the slot counts as done.
    schedule = amd_training.parse_retrain_schedule("every 60")
    now = datetime.now(UTC)
    assert await amd_training.retrain_tick(pool, schedule, None, now) == now
    async with pool.acquire() as conn:
        assert await amd_training.last_retrain_at(conn) is None
