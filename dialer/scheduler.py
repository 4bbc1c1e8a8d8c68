"""Schedules of data sources (R3.4): daily, monthly, quarterly, every N minutes.

``next_run`` is pure (tested without a clock); ``run_scheduler`` is the background
service the runtime starts for roles all and engine. Times of day are in the schedule's
zone (Moscow by default), since a supervisor writes "at 06:00" meaning local time.
"""

from __future__ import annotations

import asyncio
import calendar
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dialer.errors import InvalidInput

log = logging.getLogger("dialer.scheduler")
KINDS = ("manual", "daily", "monthly", "quarterly", "every")
TICK_S = 20.0


@dataclass(frozen=True)
class Schedule:
    kind: str = "manual"
    at: time = time(6, 0)
    day: int = 1  # day of the month (monthly, quarterly); past the month's end: its last day
    every_minutes: int = 60
    tz: str = "Europe/Moscow"


def parse_schedule(raw: dict[str, Any] | None) -> Schedule:
    raw = raw or {}
    kind = str(raw.get("kind") or "manual")
    if kind not in KINDS:
        raise InvalidInput({"schedule": "manual, daily, monthly, quarterly or every"})
    try:
        at = time.fromisoformat(str(raw.get("at") or "06:00"))
    except ValueError:
        raise InvalidInput({"schedule_at": "a time as HH:MM"}) from None
    try:
        day = int(raw.get("day") or 1)
        every = int(raw.get("every_minutes") or 60)
    except (TypeError, ValueError):
        raise InvalidInput({"schedule": "day and every_minutes are whole numbers"}) from None
    if not 1 <= day <= 31:
        raise InvalidInput({"schedule_day": "a day of the month, 1-31"})
    if not 1 <= every <= 60 * 24 * 31:
        raise InvalidInput({"schedule_every": "minutes, 1 or more"})
    tz = str(raw.get("tz") or "Europe/Moscow")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput({"schedule": f"unknown time zone {tz!r}"}) from None
    return Schedule(kind, at, day, every, tz)


def schedule_dict(s: Schedule) -> dict[str, Any]:
    return {
        "kind": s.kind,
        "at": s.at.strftime("%H:%M"),
        "day": s.day,
        "every_minutes": s.every_minutes,
        "tz": s.tz,
    }


def _slot(year: int, month: int, s: Schedule, zone: ZoneInfo) -> datetime:
    day = min(s.day, calendar.monthrange(year, month)[1])
    return datetime(year, month, day, s.at.hour, s.at.minute, tzinfo=zone)


def next_run(s: Schedule, last_run: datetime | None, now: datetime) -> datetime | None:
    """When the source runs next: the first slot after its last run (never run: the first
    slot from now on). ``every`` with no last run is due at once."""
    if s.kind == "manual":
        return None
    if s.kind == "every":
        return now if last_run is None else last_run + timedelta(minutes=s.every_minutes)
    zone = ZoneInfo(s.tz)
    after = (last_run if last_run is not None else now - timedelta(microseconds=1)).astimezone(zone)
    if s.kind == "daily":
        cand = datetime.combine(after.date(), s.at, tzinfo=zone)
        if cand <= after:
            cand = datetime.combine(after.date() + timedelta(days=1), s.at, tzinfo=zone)
        return cand.astimezone(UTC)
    months = range(1, 13) if s.kind == "monthly" else (1, 4, 7, 10)
    year = after.year
    for _ in range(3):
        for m in months:
            cand = _slot(year, m, s, zone)
            if cand > after:
                return cand.astimezone(UTC)
        year += 1
    return None


Runner = Callable[[int], Awaitable[None]]


async def due_sources(conn: Any, now: datetime) -> list[int]:
    rows = await conn.fetch(
        "SELECT id, schedule, last_run_at FROM data_sources WHERE schedule->>'kind' <> 'manual' ORDER BY id"
    )
    due = []
    for r in rows:
        try:
            when = next_run(parse_schedule(r["schedule"]), r["last_run_at"], now)
        except InvalidInput:
            continue
        if when is not None and when <= now:
            due.append(int(r["id"]))
    return due


async def run_scheduler(stores: Any) -> None:
    """The background service: every tick, run the sources that are due, one at a time.

    An advisory lock per source keeps two engine processes from loading the same list twice.
    """
    from dialer.contacts.sources import run_source
    from dialer.secretbox import SecretBox

    box = SecretBox(stores.settings.effective_secret_key())
    log.info("data source scheduler started")
    while True:
        try:
            async with stores.pool.acquire() as conn:
                due = await due_sources(conn, datetime.now(UTC))
            for source_id in due:
                async with stores.pool.acquire() as conn:
                    if not await conn.fetchval("SELECT pg_try_advisory_lock(7041982100, $1)", source_id):
                        continue
                    try:
                        await run_source(stores.pool, source_id, stores.settings.data_dir, box)
                    finally:
                        await conn.execute("SELECT pg_advisory_unlock(7041982100, $1)", source_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("scheduler tick failed")
        await asyncio.sleep(TICK_S)
