"""The time-zone service (R2.5, R2.6): a zone for every PHONE value of every contact.

A zone comes from the number range holding the number (its region's zone) or from the
longest matching phone code, as the ``tz_method`` setting says. Bulk work uses an
in-memory index (sorted range starts, numpy) so a million numbers resolve in seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import asyncpg
import numpy as np
import numpy.typing as npt

from dialer.errors import InvalidInput

log = logging.getLogger("dialer.contacts")

TZ_METHODS = ("range", "code", "range_code")
BATCH = 50_000
SPREAD = 5  # transactions per batch of changes; see reassign


def offset_tz(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h:02d}:{m:02d}"


def zone(name: str) -> tzinfo:
    """The tzinfo of a stored zone text: an IANA name or "UTC+05:30"."""
    if name.startswith("UTC") and len(name) == 9:
        sign = 1 if name[3] == "+" else -1
        return timezone(sign * timedelta(hours=int(name[4:6]), minutes=int(name[7:9])))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput({"tz": f"unknown time zone {name!r}"}) from None


@dataclass(frozen=True)
class TzResolver:
    method: str
    starts: npt.NDArray[np.int64]
    ends: npt.NDArray[np.int64]
    zone_idx: npt.NDArray[np.int32]  # index into zones; -1: the range has no zone
    zones: tuple[str, ...]
    codes: dict[str, str]  # digit prefix -> zone text
    code_lengths: tuple[int, ...]  # longest first

    def by_range(self, e164: str) -> str | None:
        if not len(self.starts):
            return None
        n = int(e164[1:])
        i = int(np.searchsorted(self.starts, n, side="right")) - 1
        if i < 0 or n > self.ends[i] or self.zone_idx[i] < 0:
            return None
        return self.zones[self.zone_idx[i]]

    def by_code(self, e164: str) -> str | None:
        digits = e164[1:]
        for length in self.code_lengths:
            found = self.codes.get(digits[:length])
            if found is not None:
                return found
        return None

    def resolve(self, e164: str) -> tuple[str | None, str | None]:
        if self.method in ("range", "range_code"):
            found = self.by_range(e164)
            if found is not None:
                return found, "range"
        if self.method in ("code", "range_code"):
            found = self.by_code(e164)
            if found is not None:
                return found, "code"
        return None, None

    def resolve_many(self, numbers: Sequence[str]) -> list[tuple[str | None, str | None]]:
        """Vectorised ``resolve``: one numpy search for the whole batch."""
        out: list[tuple[str | None, str | None]] = [(None, None)] * len(numbers)
        if not numbers:
            return out
        if self.method in ("range", "range_code") and len(self.starts):
            ints = np.fromiter((int(x[1:]) for x in numbers), dtype=np.int64, count=len(numbers))
            idx = np.searchsorted(self.starts, ints, side="right") - 1
            safe = np.clip(idx, 0, None)
            hit = (idx >= 0) & (ints <= self.ends[safe]) & (self.zone_idx[safe] >= 0)
            zi = self.zone_idx[safe]
            for i in np.flatnonzero(hit).tolist():
                out[i] = (self.zones[zi[i]], "range")
        if self.method in ("code", "range_code") and self.codes:
            for i, num in enumerate(numbers):
                if out[i][0] is None:
                    found = self.by_code(num)
                    if found is not None:
                        out[i] = (found, "code")
        return out


async def tz_method(conn: asyncpg.Connection) -> str:
    value = await conn.fetchval("SELECT value FROM directory_settings WHERE key='tz_method'")
    return str(value or "range_code")


async def set_tz_method(conn: asyncpg.Connection, method: str) -> None:
    if method not in TZ_METHODS:
        raise InvalidInput({"tz_method": "choose range, code or range_code"})
    await conn.execute(
        "INSERT INTO directory_settings (key, value) VALUES ('tz_method', $1) "
        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
        method,
    )


async def load_resolver(conn: asyncpg.Connection) -> TzResolver:
    method = await tz_method(conn)
    rows = await conn.fetch(
        "SELECT range_from, range_to, tz FROM number_ranges ORDER BY range_from, range_to"
    )
    zones: dict[str, int] = {}
    starts = np.empty(len(rows), dtype=np.int64)
    ends = np.empty(len(rows), dtype=np.int64)
    zone_idx = np.empty(len(rows), dtype=np.int32)
    for i, r in enumerate(rows):
        starts[i] = r["range_from"]
        ends[i] = r["range_to"]
        tz = r["tz"]
        zone_idx[i] = -1 if tz is None else zones.setdefault(tz, len(zones))
    codes = {
        r["code"]: r["tz"] or offset_tz(r["utc_offset_min"])
        for r in await conn.fetch("SELECT code, tz, utc_offset_min FROM phone_codes")
    }
    lengths = tuple(sorted({len(c) for c in codes}, reverse=True))
    return TzResolver(method, starts, ends, zone_idx, tuple(zones), codes, lengths)


async def resolve_one(conn: asyncpg.Connection, e164: str) -> tuple[str | None, str | None]:
    """One number, straight from the tables (for hand edits: no index to build)."""
    method = await tz_method(conn)
    if method in ("range", "range_code"):
        tz = await conn.fetchval(
            "SELECT tz FROM (SELECT range_to, tz FROM number_ranges WHERE range_from <= $1 "
            "ORDER BY range_from DESC LIMIT 1) r WHERE r.range_to >= $1",
            int(e164[1:]),
        )
        if tz is not None:
            return str(tz), "range"
    if method in ("code", "range_code"):
        row = await conn.fetchrow(
            "SELECT tz, utc_offset_min FROM phone_codes WHERE $1 LIKE code || '%' "
            "ORDER BY length(code) DESC LIMIT 1",
            e164[1:],
        )
        if row is not None:
            return str(row["tz"] or offset_tz(row["utc_offset_min"])), "code"
    return None, None


async def reassign(conn: asyncpg.Connection, prefixes: Sequence[str] | None = None) -> dict[str, Any]:
    """Recompute zones of stored phones (those starting with ``prefixes``, else all).

    Reads the phones in key order, a batch at a time, and writes back only the rows whose
    zone changed, so an edit of one code touches only its numbers. Every change is a
    complete, correct zone, so batches commit one by one (a failure leaves the
    rest to a rerun rather than undoing all); the statements stay short for the pool's
    command timeout.
    """
    resolver = await load_resolver(conn)
    args: list[Any] = []
    where = ""
    if prefixes is not None:
        if not prefixes:
            return {"checked": 0, "changed": 0}
        args.append(["+" + p.lstrip("+") + "%" for p in prefixes])
        where = " AND e164 LIKE ANY($3)"
    checked = changed = 0
    last: tuple[int, str] = (-1, "")
    while True:
        rows = await conn.fetch(
            f"SELECT contact_id, field, e164, tz FROM contact_phones WHERE (contact_id, field) > ($1, $2)"
            f"{where} ORDER BY contact_id, field LIMIT {BATCH}",
            *last,
            *args,
        )
        if not rows:
            break
        last = (rows[-1][0], rows[-1][1])
        checked += len(rows)
        found = resolver.resolve_many([r[2] for r in rows])
        diff = [(r[0], r[1], tz, src) for r, (tz, src) in zip(rows, found, strict=True) if tz != r[3]]
        changed += len(diff)
        # A page holds ~80 phones and keeps 20% free (fillfactor 80): rewriting all its
        # rows in one transaction leaves room for only a quarter of the new versions on
        # the page; the rest move away and add entries to all three indexes. A fifth of
        # the rows per transaction fits, and the next one finds the old versions pruned.
        for part in (diff[i::SPREAD] for i in range(SPREAD)):
            if part:
                async with conn.transaction():
                    await conn.execute(
                        "UPDATE contact_phones p SET tz = c.tz, tz_source = c.src "
                        "FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS c(id, field, tz, src) "
                        "WHERE p.contact_id = c.id AND p.field = c.field AND p.contact_id BETWEEN $5 AND $6",
                        [d[0] for d in part],
                        [d[1] for d in part],
                        [d[2] for d in part],
                        [d[3] for d in part],
                        part[0][0],
                        part[-1][0],
                    )
    log.info("time zones: %d phones checked, %d changed", checked, changed)
    return {"checked": checked, "changed": changed}
