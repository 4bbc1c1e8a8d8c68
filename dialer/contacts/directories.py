"""Phone codes (R2.5) and number ranges (R2.6), with their imports.

Both imports run as background import jobs (``import_jobs`` rows with target
``phone_codes`` or ``number_ranges``; ``dialer.contacts.jobs`` runs them): progress per
batch, per-row errors with the file's row number, good rows land. The range import reads
the national numbering-plan registry (``АВС/ DEF;От;До;Емкость;Оператор;Регион``), replaces
ranges that match on (from, to), gives each a zone from its region, and then re-zones only
the stored phones under the codes it touched.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import asyncpg

from dialer.contacts.readers import TableFile, open_table
from dialer.contacts.regions import region_zone
from dialer.contacts.timezones import reassign, resolve_one, tz_method, zone
from dialer.errors import InvalidInput, NotFound

BATCH = 20_000
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
    prefixes = [c["code"]]
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
            if old != c["code"]:
                prefixes.append(old)  # its numbers fall back to a shorter code, or to none
            await conn.execute(
                "UPDATE phone_codes SET code=$2, name=$3, description=$4, utc_offset_min=$5, tz=$6 WHERE id=$1",
                code_id,
                *values,
            )
            new_id = code_id
    except asyncpg.UniqueViolationError:
        raise InvalidInput({"code": "this code exists"}) from None
    await reassign(conn, prefixes)
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


# --- registry imports: background jobs (import_jobs rows with target phone_codes / number_ranges)

IMPORT_TARGETS = ("phone_codes", "number_ranges")
_CODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("code", "код"),
    "name": ("name", "название", "наименование"),
    "description": ("description", "описание"),
    "utc_offset_min": ("utc", "offset", "смещение"),
    "tz": ("tz", "зона", "timezone"),
}
_RANGE_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("АВС/DEF", "ABC/DEF", "ABC", "DEF", "код"),
    "from": ("От", "from"),
    "to": ("До", "to"),
    "capacity": ("Емкость", "Ёмкость", "capacity"),
    "operator": ("Оператор", "operator"),
    "region": ("Регион", "region"),
}


def import_columns(target: str, header: tuple[str, ...]) -> dict[str, int | None]:
    """File columns of a registry import; a missing required column is a ``file`` error."""
    if target == "phone_codes":
        cols = {k: _column(header, *names) for k, names in _CODE_COLUMNS.items()}
        if cols["code"] is None or cols["utc_offset_min"] is None:
            raise InvalidInput({"file": "the file needs columns code and utc offset"})
        return cols
    if target != "number_ranges":
        raise InvalidInput({"target": "phone_codes or number_ranges"})
    cols = {k: _column(header, *names) for k, names in _RANGE_COLUMNS.items()}
    missing = [k for k in ("code", "from", "to") if cols[k] is None]
    if missing:
        raise InvalidInput(
            {"file": "the registry file needs columns АВС/ DEF, От, До (missing: " + ", ".join(missing) + ")"}
        )
    return cols


def check_file(target: str, path: Path) -> None:
    """Read the header only, so a wrong file is refused before a job is made for it."""
    from dialer.contacts.readers import FileProblem

    try:
        table = open_table(path)
    except FileProblem as exc:
        raise InvalidInput({"file": str(exc)}) from None
    import_columns(target, table.header)


def _code_record(row: list[Any], cols: dict[str, int | None]) -> tuple[Any, ...]:
    data = {k: (row[i] if i is not None and i < len(row) else None) for k, i in cols.items()}
    raw = str(data["utc_offset_min"] or "").strip()
    if re.match(r"^[+-]?\d{1,2}:\d{2}$", raw):
        sign = -1 if raw.startswith("-") else 1
        h, m = raw.lstrip("+-").split(":")
        data["utc_offset_min"] = sign * (int(h) * 60 + int(m))
    c = clean_code(data)
    return (c["code"], c["name"], c["description"], c["utc_offset_min"], c["tz"])


def _prepare(
    target: str, rows: Iterator[list[Any]], cols: dict[str, int | None], row_no: int
) -> tuple[int, list[tuple[Any, ...]], list[tuple[int, str]]]:
    """The next batch: rows seen, good records (row number first), errors (row number, message)."""
    seen = 0
    good: list[tuple[Any, ...]] = []
    bad: list[tuple[int, str]] = []
    for row in islice(rows, BATCH):
        n = row_no + seen
        seen += 1
        if not any(str(c).strip() for c in row if c is not None):
            continue  # a blank line: counted as done, neither loaded nor an error
        try:
            rec = _code_record(row, cols) if target == "phone_codes" else parse_range(row, cols)
        except InvalidInput as exc:
            bad.append((n, "; ".join(f"{k}: {v}" for k, v in exc.fields.items())))
            continue
        except ValueError as exc:
            bad.append((n, str(exc)))
            continue
        good.append((n, *rec))
    return seen, good, bad


async def _upsert(conn: asyncpg.Connection, target: str, good: list[tuple[Any, ...]]) -> None:
    """Stage a batch, then insert it; a row matching a stored one replaces it (the file's
    last row wins when the file repeats a key)."""
    if target == "phone_codes":
        await conn.execute(
            "CREATE TEMP TABLE IF NOT EXISTS code_stage (row_no int, code text, name text, description text, "
            "utc_offset_min int, tz text) ON COMMIT DELETE ROWS"
        )
        await conn.copy_records_to_table("code_stage", records=good)
        await conn.execute(
            "INSERT INTO phone_codes (code, name, description, utc_offset_min, tz) "
            "SELECT DISTINCT ON (code) code, name, description, utc_offset_min, tz FROM code_stage "
            "ORDER BY code, row_no DESC "
            "ON CONFLICT (code) DO UPDATE SET name=EXCLUDED.name, description=EXCLUDED.description, "
            "utc_offset_min=EXCLUDED.utc_offset_min, tz=EXCLUDED.tz"
        )
        return
    await conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS range_stage2 (row_no int, code text, range_from bigint, range_to bigint, "
        "capacity bigint, operator text, region text, tz text) ON COMMIT DELETE ROWS"
    )
    await conn.copy_records_to_table("range_stage2", records=good)
    await conn.execute(
        "INSERT INTO number_ranges (code, range_from, range_to, capacity, operator, region, tz) "
        "SELECT DISTINCT ON (range_from, range_to) code, range_from, range_to, capacity, operator, region, tz "
        "FROM range_stage2 ORDER BY range_from, range_to, row_no DESC "
        "ON CONFLICT (range_from, range_to) DO UPDATE SET code=EXCLUDED.code, capacity=EXCLUDED.capacity, "
        "operator=EXCLUDED.operator, region=EXCLUDED.region, tz=EXCLUDED.tz"
    )


async def run_import(conn: asyncpg.Connection, job: dict[str, Any], table: TableFile, skip: int) -> list[str]:
    """Load a phone-code file or the numbering-plan registry for an import job.

    Each batch commits with the job's progress, so good rows land whatever follows and a
    resumed job skips exactly what is stored. Afterwards only the phones under the codes
    the file touched are re-zoned (all phones when a resumed job cannot know them).
    Returns notes for the job's message; the details go to ``options.result``.
    """
    target = job["target"]
    cols = import_columns(target, table.header)
    rows = _skip_rows(table.rows, skip)
    row_no = skip + 2  # file row numbers: the header is row 1
    prefixes: set[str] = set()
    unknown: set[str] = set()
    while True:
        seen, good, bad = await asyncio.to_thread(_prepare, target, rows, cols, row_no)
        if not seen:
            break
        row_no += seen
        for rec in good:
            if target == "phone_codes":
                prefixes.add(rec[1])
            else:
                prefixes.add("7" + rec[1])
                if rec[7] is None and rec[6]:
                    unknown.add(rec[6])
        async with conn.transaction():
            if good:
                await _upsert(conn, target, good)
            if bad:
                await conn.copy_records_to_table(
                    "import_job_rows",
                    columns=["job_id", "row_no", "status", "message"],
                    records=[(job["id"], n, "error", m[:2000]) for n, m in bad],
                )
            await conn.execute(
                "UPDATE import_jobs SET rows_done = rows_done + $2, rows_ok = rows_ok + $3, "
                "rows_failed = rows_failed + $4 WHERE id=$1",
                job["id"],
                seen,
                len(good),
                len(bad),
            )
    zones = await reassign(conn, None if skip else sorted(prefixes))
    result = {"unknown_regions": sorted(unknown)[:50], "rezoned": zones["changed"]}
    await conn.execute(
        "UPDATE import_jobs SET options = options || jsonb_build_object('result', $2::jsonb) WHERE id=$1",
        job["id"],
        result,
    )
    notes = [f"time zones changed: {zones['changed']}"]
    if unknown:
        notes.append("regions without a time zone: " + ", ".join(sorted(unknown)[:10]))
    return notes


def _skip_rows(rows: Iterator[list[Any]], n: int) -> Iterator[list[Any]]:
    if n:
        next(islice(rows, n - 1, n), None)
    return rows


async def start_import(
    conn: asyncpg.Connection, target: str, path: Path, source_name: str, user_id: int | None
) -> int:
    """Check the file's header and make a queued job for it (the caller starts it)."""
    from dialer.contacts import jobs

    await asyncio.to_thread(check_file, target, path)
    return await jobs.create_job(
        conn, target=target, file_path=path, source_name=source_name, user_id=user_id, status="queued"
    )


async def import_job(conn: asyncpg.Connection, target: str, job_id: int) -> dict[str, Any]:
    from dialer.contacts import jobs

    job = await jobs.get_job(conn, job_id)
    if job["target"] != target:
        raise NotFound(f"import job {job_id}")
    return job


async def import_result(
    conn: asyncpg.Connection, target: str, job_id: int, limit: int = 200, offset: int = 0
) -> dict[str, Any]:
    """A registry import job: progress, outcome, and its row errors (row number, message)."""
    from dialer.contacts import jobs

    job = await import_job(conn, target, job_id)
    result = dict((job["options"] or {}).get("result") or {})
    return {
        **jobs.job_public(job),
        "unknown_regions": result.get("unknown_regions", []),
        "rezoned": result.get("rezoned"),
        "errors": [
            {"row_no": r["row_no"], "message": r["message"]}
            for r in await jobs.job_rows(conn, job_id, limit, offset)
        ],
    }


async def recent_imports(conn: asyncpg.Connection, target: str, limit: int = 5) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT id, source_name, status, message, rows_total, rows_done, rows_ok, rows_failed, created_at "
        "FROM import_jobs WHERE target=$1 ORDER BY id DESC LIMIT $2",
        target,
        limit,
    )
    return [dict(r) for r in rows]


# --- number ranges: one, delete, lookup


async def get_range(conn: asyncpg.Connection, range_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM number_ranges WHERE id=$1", range_id)
    if row is None:
        raise NotFound(f"number range {range_id}")
    return dict(row)


async def delete_range(conn: asyncpg.Connection, range_id: int) -> dict[str, Any]:
    code = await conn.fetchval("DELETE FROM number_ranges WHERE id=$1 RETURNING code", range_id)
    if code is None:
        raise NotFound(f"number range {range_id}")
    zones = await reassign(conn, ["7" + code])
    return {"deleted": 1, "rezoned": zones["changed"]}


async def delete_ranges(conn: asyncpg.Connection, code: str | None = None) -> dict[str, Any]:
    """Delete every range, or those of one ABC/DEF code; re-zone the phones they held."""
    if code is not None:
        code = re.sub(r"\D", "", code)
        if not code:
            raise InvalidInput({"code": "digits of an ABC/DEF code, e.g. 916"})
        codes = [
            r[0] for r in await conn.fetch("DELETE FROM number_ranges WHERE code=$1 RETURNING code", code)
        ]
    else:
        codes = [r[0] for r in await conn.fetch("DELETE FROM number_ranges RETURNING code")]
    if not codes:
        return {"deleted": 0, "rezoned": 0}
    zones = await reassign(conn, ["7" + c for c in sorted(set(codes))])
    return {"deleted": len(codes), "rezoned": zones["changed"]}


async def lookup(conn: asyncpg.Connection, phone: str, region: str = "RU") -> dict[str, Any]:
    """What zone a number gets, from which source (range or code), and the range and code seen."""
    from dialer.contacts.phones import PhoneError, normalize

    try:
        e164 = normalize(phone, region)
    except PhoneError as exc:
        raise InvalidInput({"phone": str(exc)}) from None
    tz, source = await resolve_one(conn, e164)
    rng = await conn.fetchrow(
        "SELECT * FROM (SELECT * FROM number_ranges WHERE range_from <= $1 ORDER BY range_from DESC LIMIT 1) r "
        "WHERE r.range_to >= $1",
        int(e164[1:]),
    )
    code = await conn.fetchrow(
        "SELECT * FROM phone_codes WHERE $1 LIKE code || '%' ORDER BY length(code) DESC LIMIT 1", e164[1:]
    )
    return {
        "phone": phone,
        "e164": e164,
        "tz": tz,
        "source": source,
        "method": await tz_method(conn),
        "range": dict(rng) if rng else None,
        "code": dict(code) if code else None,
    }
