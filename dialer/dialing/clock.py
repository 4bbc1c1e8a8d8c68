"""Local time of a customer: the call window and the day type (working day or holiday).

Pure functions; the selector evaluates them once per distinct time zone of a campaign
(a few dozen) instead of once per contact, and hands SQL the list of zones that may be
called now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time
from functools import lru_cache
from typing import Literal

import asyncpg
import holidays

from dialer.contacts.timezones import zone

DayType = Literal["working", "holiday"]
CallDays = Literal["all", "working", "holiday"]
COUNTRY = "RU"  # the production calendar's country; calendar_overrides beats it


@lru_cache(maxsize=64)
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(COUNTRY, years=year).keys())


def day_type(day: date, overrides: Mapping[date, bool]) -> DayType:
    """An override from the directory wins; else public holidays and weekends are holidays."""
    if day in overrides:
        return "working" if overrides[day] else "holiday"
    if day.weekday() >= 5 or day in _holidays(day.year):
        return "holiday"
    return "working"


async def load_overrides(conn: asyncpg.Connection) -> dict[date, bool]:
    """The directory's calendar overrides (a few dozen rows a year)."""
    return {r["day"]: r["working"] for r in await conn.fetch("SELECT day, working FROM calendar_overrides")}


def crosses_midnight(start: time, end: time) -> bool:
    return end < start


def in_window(local: time, start: time, end: time) -> bool:
    """Start inclusive, end exclusive; an end before the start means the window crosses midnight."""
    if start == end:
        return True  # a zero-length window would never dial; read it as "all day"
    if crosses_midnight(start, end):
        return local >= start or local < end
    return start <= local < end


def local_now(now: datetime, tz_name: str) -> datetime:
    return now.astimezone(zone(tz_name))


def day_allowed(kind: DayType, call_days: str) -> bool:
    return call_days == "all" or call_days == kind


def zone_open(
    now: datetime, tz_name: str, start: time, end: time, call_days: str, overrides: Mapping[date, bool]
) -> bool:
    """May a customer in ``tz_name`` be called at ``now`` (aware UTC)?"""
    local = local_now(now, tz_name)
    return in_window(local.time().replace(tzinfo=None), start, end) and day_allowed(
        day_type(local.date(), overrides), call_days
    )


def open_zones(
    zones: Iterable[str | None],
    now: datetime,
    start: time,
    end: time,
    call_days: str,
    overrides: Mapping[date, bool],
    campaign_tz: str,
    tz_mode: str,
) -> list[str]:
    """The stored ``contact_phones.tz`` values that may be called now; '' stands for NULL.

    In campaign mode every phone follows the campaign's zone; in customer mode a phone with
    no known zone falls back to the campaign's zone too (calling it at an unknown local hour
    is the mistake to avoid, not calling it at all).
    """
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    campaign_open = zone_open(now, campaign_tz, start, end, call_days, overrides)
    out: list[str] = []
    for z in zones:
        key = z or ""
        if tz_mode == "campaign" or not z:
            ok = campaign_open
        else:
            try:
                ok = zone_open(now, z, start, end, call_days, overrides)
            except Exception:  # an unparsable stored zone: treat like an unknown one
                ok = campaign_open
        if ok:
            out.append(key)
    return out
