"""Phone codes (R2.5) and number ranges (R2.6), with their imports.

The range import reads the national numbering-plan registry (``АВС/ DEF;От;До;Емкость;
Оператор;Регион``), replaces ranges that match on (from, to), gives each a zone from its
region, and then re-zones only the stored phones under the codes it touched.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import asyncpg

from dialer.contacts.readers import open_table
from dialer.contacts.regions import region_zone
from dialer.contacts.timezones import reassign, zone
from dialer.errors import InvalidInput, NotFound

BATCH = 20_000
MAX_ERRORS = 200
_CODE = re.compile(r"^\d{1,15}$")


def clean_code(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    code = re.sub(r"\D", "", str(data.get("code") or ""))
    if not _CODE.match(code):
        errors["code"] = "digits of the international prefix, e.g. 7495"
    try:
        offset = int(str(data.get("utc_offset_min") if data.get("utc_offset_min") is not None else "x"))
        if not -720 <= offset <= 840:
            raise ValueError
    except ValueError:
        offset = 0
        errors["utc_offset_min"] = "minutes from UTC, -720..840"
    tz = str(data.get("tz") or "").strip() or None
    if tz is not None:
        try:
            zone(tz)
        except InvalidInput:
            errors["tz"] = "unknown time zone"
    if errors:
        raise InvalidInput(errors)
    return {
        "code": code,
        "name": str(data.get("name") or "").strip(),
        "description": str(data.get("description") or "").strip(),
        "utc_offset_min": offset,
        "tz": tz,
    }


async def save_code(conn: asyncpg.Connection, data: dict[str, Any], code_id: int | None = None) -> int:
    c = clean_code(data)
    values = (c["code"], c["name"], c["description"], c["utc_offset_min"], c["tz"])
    try:
        if code_id is None:
            new_id: int = await conn.fetchval(
                "INSERT INTO phone_codes (code, name, description, utc_offset_min, tz) VALUES ($1,$2,$3,$4,$5) "
                "RETURNING id",
                *values,
            )
        else:
            old = await conn.fetchval("SELECT code FROM phone_codes WHERE id=$1", code_id)
            if old is None:
                raise NotFound(f"phone code {code_id}")
            await conn.execute(
                "UPDATE phone_codes SET code=$2, name=$3, description=$4, utc_offset_min=$5, tz=$6 WHERE id=$1",
                code_id,
                *values,
            )
            new_id = code_id
    except asyncpg.UniqueViolationError:
        raise InvalidInput({"code": "this code exists"}) from None
    await reassign(conn, [c["code"]])
    return new_id


async def delete_code(conn: asyncpg.Connection, code_id: int) -> None:
    code = await conn.fetchval("DELETE FROM phone_codes WHERE id=$1 RETURNING code", code_id)
    if code is None:
        raise NotFound(f"phone code {code_id}")
    await reassign(conn, [code])


def _column(header: tuple[str, ...], *names: str) -> int | None:
    simple = [re.sub(r"[\s/]", "", h).lower() for h in header]
    for name in names:
        key = re.sub(r"[\s/]", "", name).lower()
        for i, h in enumerate(simple):
            if h == key or h.startswith(key):
                return i
    return None


async def import_codes(conn: asyncpg.Connection, path: Path) -> dict[str, Any]:
    """CSV/XLSX with columns code, name, description, utc offset (minutes or ±HH:MM)."""
    table = await asyncio.to_thread(open_table, path)
    cols = {
        k: _column(table.header, *names)
        for k, names in {
            "code": ("code", "код"),
            "name": ("name", "название", "наименование"),
            "description": ("description", "описание"),
            "utc_offset_min": ("utc", "offset", "смещение"),
            "tz": ("tz", "зона", "timezone"),
        }.items()
    }
    if cols["code"] is None or cols["utc_offset_min"] is None:
        raise InvalidInput({"file": "the file needs columns code and utc offset"})
    ok = 0
    errors: list[dict[str, Any]] = []
    for row_no, row in enumerate(table.rows, start=2):
        data = {k: (row[i] if i is not None and i < len(row) else None) for k, i in cols.items()}
        raw = str(data["utc_offset_min"] or "").strip()
        if re.match(r"^[+-]?\d{1,2}:\d{2}$", raw):
            sign = -1 if raw.startswith("-") else 1
            h, m = raw.lstrip("+-").split(":")
            data["utc_offset_min"] = sign * (int(h) * 60 + int(m))
        try:
            c = clean_code(data)
        except InvalidInput as exc:
            if len(errors) < MAX_ERRORS:
                errors.append({"row_no": row_no, "message": str(exc)})
            continue
        await conn.execute(
            "INSERT INTO phone_codes (code, name, description, utc_offset_min, tz) VALUES ($1,$2,$3,$4,$5) "
            "ON CONFLICT (code) DO UPDATE SET name=EXCLUDED.name, description=EXCLUDED.description, "
            "utc_offset_min=EXCLUDED.utc_offset_min, tz=EXCLUDED.tz",
            c["code"],
            c["name"],
            c["description"],
            c["utc_offset_min"],
            c["tz"],
        )
        ok += 1
    zones = await reassign(conn)
    return {"ok": ok, "failed": len(errors), "errors": errors, "rezoned": zones["changed"]}


def _int(value: Any) -> int:
    return int(float(str(value).replace(" ", "").replace("\u00a0", "")))


def parse_range(row: list[Any], cols: dict[str, int | None], country: str = "7") -> tuple[Any, ...]:
    def cell(key: str) -> Any:
        i = cols[key]
        return row[i] if i is not None and i < len(row) else None

    code = re.sub(r"\D", "", str(cell("code") or ""))
    if not code:
        raise ValueError("no ABC/DEF code")
    try:
        lo, hi = _int(cell("from")), _int(cell("to"))
    except (TypeError, ValueError):
        raise ValueError("from and to must be numbers") from None
    if lo > hi:
        raise ValueError(f"from {lo} is greater than to {hi}")
    width = 10 - len(code)  # national numbers are 10 digits: the code, then the subscriber part
    if width <= 0 or hi >= 10**width:
        raise ValueError(f"the range {lo}-{hi} does not fit code {code}")
    prefix = int(country + code) * 10**width
    region = str(cell("region") or "").strip()
    capacity = cell("capacity")
    try:
        cap = _int(capacity) if capacity not in (None, "") else None
    except ValueError:
        cap = None
    return (
        code,
        prefix + lo,
        prefix + hi,
        cap,
        str(cell("operator") or "").strip(),
        region,
        region_zone(region),
    )


async def import_ranges(conn: asyncpg.Connection, path: Path) -> dict[str, Any]:
    table = await asyncio.to_thread(open_table, path)
    cols = {
        "code": _column(table.header, "АВС/DEF", "ABC/DEF", "ABC", "DEF", "код"),
        "from": _column(table.header, "От", "from"),
        "to": _column(table.header, "До", "to"),
        "capacity": _column(table.header, "Емкость", "Ёмкость", "capacity"),
        "operator": _column(table.header, "Оператор", "operator"),
        "region": _column(table.header, "Регион", "region"),
    }
    missing = [k for k in ("code", "from", "to") if cols[k] is None]
    if missing:
        raise InvalidInput(
            {"file": "the registry file needs columns АВС/ DEF, От, До (missing: " + ", ".join(missing) + ")"}
        )
    ok = 0
    errors: list[dict[str, Any]] = []
    codes: set[str] = set()
    unknown: set[str] = set()
    batch: list[tuple[Any, ...]] = []
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS range_stage (code text, range_from bigint, range_to bigint, "
        "capacity bigint, operator text, region text, tz text) ON COMMIT DELETE ROWS"
    )

    async def flush() -> None:
        async with conn.transaction():
            await conn.copy_records_to_table("range_stage", records=batch)
            await conn.execute(
                "INSERT INTO number_ranges (code, range_from, range_to, capacity, operator, region, tz) "
                "SELECT DISTINCT ON (range_from, range_to) * FROM range_stage "
                "ON CONFLICT (range_from, range_to) DO UPDATE SET code=EXCLUDED.code, capacity=EXCLUDED.capacity, "
                "operator=EXCLUDED.operator, region=EXCLUDED.region, tz=EXCLUDED.tz"
            )
        batch.clear()

    for row_no, row in enumerate(table.rows, start=2):
        if not any(str(c).strip() for c in row if c is not None):
            continue
        try:
            rec = parse_range(row, cols)
        except ValueError as exc:
            if len(errors) < MAX_ERRORS:
                errors.append({"row_no": row_no, "message": str(exc)})
            continue
        if rec[6] is None and rec[5]:
            unknown.add(rec[5])
        batch.append(rec)
        codes.add(rec[0])
        ok += 1
        if len(batch) >= BATCH:
            await flush()
    if batch:
        await flush()
    zones = await reassign(conn, ["7" + c for c in sorted(codes)])
    return {
        "ok": ok,
        "failed": len(errors),
        "errors": errors,
        "unknown_regions": sorted(unknown)[:50],
        "rezoned": zones["changed"],
    }
