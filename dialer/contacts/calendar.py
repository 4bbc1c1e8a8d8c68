"""The production calendar (R2.7): Russian public holidays and weekends from the
``holidays`` package, with editable overrides (transferred working days, extra days off).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Any

import asyncpg
import holidays

from dialer.errors import InvalidInput


@cache
def _holidays(year: int) -> dict[date, str]:
    return dict(holidays.country_holidays("RU", years=year))


def holiday_name(day: date) -> str | None:
    return _holidays(day.year).get(day)


@dataclass(frozen=True)
class Calendar:
    overrides: dict[date, bool] = field(default_factory=dict)

    def is_working_day(self, day: date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        return day.weekday() < 5 and day not in _holidays(day.year)


async def load_calendar(conn: asyncpg.Connection) -> Calendar:
    rows = await conn.fetch("SELECT day, working FROM calendar_overrides")
    return Calendar({r["day"]: r["working"] for r in rows})


async def is_working_day(conn: asyncpg.Connection, day: date) -> bool:
    """The one question call windows and result rules ask."""
    working = await conn.fetchval("SELECT working FROM calendar_overrides WHERE day=$1", day)
    if working is not None:
        return bool(working)
    return Calendar().is_working_day(day)


async def set_override(conn: asyncpg.Connection, day: Any, working: Any, note: str = "") -> None:
    try:
        parsed = day if isinstance(day, date) else date.fromisoformat(str(day))
    except ValueError:
        raise InvalidInput({"day": "a date as YYYY-MM-DD"}) from None
    await conn.execute(
        "INSERT INTO calendar_overrides (day, working, note) VALUES ($1,$2,$3) "
        "ON CONFLICT (day) DO UPDATE SET working=EXCLUDED.working, note=EXCLUDED.note",
        parsed,
        working in (True, "on", "true", "1", 1),
        note,
    )


async def clear_override(conn: asyncpg.Connection, day: date) -> None:
    await conn.execute("DELETE FROM calendar_overrides WHERE day=$1", day)


def month_grid(year: int, month: int, cal: Calendar) -> list[list[dict[str, Any] | None]]:
    """Weeks of a month for the page: each day with its kind and holiday name."""
    import calendar as stdcal

    weeks = []
    for week in stdcal.Calendar().monthdatescalendar(year, month):
        weeks.append(
            [
                None
                if d.month != month
                else {
                    "day": d,
                    "working": cal.is_working_day(d),
                    "holiday": holiday_name(d),
                    "override": d in cal.overrides,
                }
                for d in week
            ]
        )
    return weeks
