"""Contact import (R3.3): validate rows in Python in batches, COPY the good ones in.

Each batch is one transaction holding its contacts, their phones, the rows that failed
and the job's progress, so a crash never loses stored rows and ``rows_done`` says exactly
where to resume. Bad rows are reported with their file row number; good rows land.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from dialer.contacts.fields import Field
from dialer.contacts.timezones import TzResolver
from dialer.contacts.values import ValueProblem, clean_value

BATCH_ROWS = 10_000
Converter = Callable[[Any], str | None]


@dataclass(frozen=True)
class Column:
    index: int  # position in the file row
    header: str
    name: str  # attr name
    kind: str  # field type


def build_columns(header: Sequence[str], mapping: dict[str, str], fields: Sequence[Field]) -> list[Column]:
    """Columns to load: ``mapping`` is file header -> field name (or a new text attr)."""
    by_name = {f.name: f for f in fields}
    out = []
    for i, head in enumerate(header):
        target = (mapping.get(head) or "").strip()
        if not target:
            continue
        f = by_name.get(target)
        out.append(Column(i, head, target, f.type if f else "text"))
    return out


def auto_mapping(header: Sequence[str], fields: Sequence[Field]) -> dict[str, str]:
    """Header cells equal to a field's name or title (any case) map to it."""
    keys = {f.name.lower(): f.name for f in fields} | {f.title.lower(): f.name for f in fields if f.title}
    return {h: keys[h.strip().lower()] for h in header if h.strip().lower() in keys}


@dataclass
class Prepared:
    rows_seen: int = 0
    good: list[tuple[int, dict[str, str], list[tuple[str, str, str | None, str | None]]]] = field(
        default_factory=list
    )
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # row_no, status, message


def _converter(kind: str, region: str) -> Converter:
    if kind == "text":

        def text(v: Any) -> str | None:
            if v is None:
                return None
            s = (str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)).strip()
            return s or None

        return text
    return lambda v: clean_value(kind, v, region)


class RowValidator:
    """Turns raw file rows into attrs JSON and phone rows; pure, runs in a worker thread."""

    def __init__(self, columns: Sequence[Column], width: int, region: str, resolver: TzResolver) -> None:
        self.columns = [(c, _converter(c.kind, region)) for c in columns]
        self.width = width
        self.resolver = resolver

    def prepare(self, rows: Iterator[list[Any]], first_row_no: int, limit: int = BATCH_ROWS) -> Prepared:
        out = Prepared()
        pending_phones: list[str] = []
        row_no = first_row_no - 1
        for row in rows:
            row_no += 1
            out.rows_seen += 1
            if len(row) > self.width and any(str(c).strip() for c in row[self.width :] if c is not None):
                out.bad.append(
                    (row_no, "error", f"the row has {len(row)} cells, the header has {self.width}")
                )
            elif not any(c is not None and str(c).strip() for c in row):
                out.bad.append((row_no, "skipped", "empty row"))
            else:
                self._row(out, row, row_no, pending_phones)
            if out.rows_seen >= limit:
                break
        self._zones(out, pending_phones)
        return out

    def _row(self, out: Prepared, row: list[Any], row_no: int, pending: list[str]) -> None:
        attrs: dict[str, str] = {}
        phones: list[tuple[str, str, str | None, str | None]] = []
        problems = []
        for col, conv in self.columns:
            raw = row[col.index] if col.index < len(row) else None
            try:
                value = conv(raw)
            except ValueProblem as exc:
                problems.append(f"{col.header} → {col.name}: {exc}")
                continue
            if value is None:
                continue
            attrs[col.name] = value
            if col.kind == "phone":
                phones.append((col.name, value, None, None))
                pending.append(value)
        if problems:
            out.bad.append((row_no, "error", "; ".join(problems)))
        elif not attrs:
            out.bad.append((row_no, "error", "no values in the mapped columns"))
        else:
            out.good.append((row_no, attrs, phones))

    def _zones(self, out: Prepared, numbers: list[str]) -> None:
        if not numbers:
            return
        zones = iter(self.resolver.resolve_many(numbers))
        for _, _, phones in out.good:
            for i, (name, e164, _, _) in enumerate(phones):
                tz, src = next(zones)
                phones[i] = (name, e164, tz, src)


def _jsonb_out(value: Any) -> bytes:
    return b"\x01" + json.dumps(value, ensure_ascii=False).encode()


def _jsonb_in(data: bytes) -> Any:
    return json.loads(data[1:])


async def binary_jsonb(conn: asyncpg.Connection) -> None:
    """COPY speaks the binary format; the pool registers jsonb as text only. The binary
    codec gives the same Python values (dicts in, dicts out), so the connection can go
    back to the pool with it."""
    await conn.set_type_codec(
        "jsonb", encoder=_jsonb_out, decoder=_jsonb_in, schema="pg_catalog", format="binary"
    )


async def write_contacts(
    conn: asyncpg.Connection,
    job: dict[str, Any],
    batch: Prepared,
    dedupe: bool,
) -> tuple[int, int]:
    """One batch in one transaction: contacts, phones, failed rows, job progress."""
    list_id, org_id = job["list_id"], job["organization_id"]
    good = batch.good
    bad = list(batch.bad)
    async with conn.transaction():
        # A crash may lose the last batches, but their progress row goes with them (same
        # transaction), so a resume reloads exactly those rows; no fsync wait per batch.
        await conn.execute("SET LOCAL synchronous_commit TO OFF")
        if dedupe and good:
            numbers = list({p[1] for _, _, phones in good for p in phones})
            known = {
                r["e164"]
                for r in await conn.fetch(
                    "SELECT DISTINCT e164 FROM contact_phones WHERE list_id=$1 AND e164 = ANY($2::text[])",
                    list_id,
                    numbers,
                )
            }
            kept = []
            for item in good:
                dup = next((p[1] for p in item[2] if p[1] in known), None)
                if dup is not None:
                    bad.append((item[0], "skipped", f"duplicate: {dup} is already in the list"))
                    continue
                known.update(p[1] for p in item[2])
                kept.append(item)
            good = kept
        if good:
            ids = [
                r[0]
                for r in await conn.fetch(
                    "SELECT nextval('contacts_id_seq') FROM generate_series(1, $1)", len(good)
                )
            ]
            await conn.copy_records_to_table(
                "contacts",
                columns=["id", "list_id", "organization_id", "attrs"],
                records=[(cid, list_id, org_id, item[1]) for cid, item in zip(ids, good, strict=True)],
            )
            phone_rows = [
                (cid, list_id, name, e164, tz, src)
                for cid, item in zip(ids, good, strict=True)
                for name, e164, tz, src in item[2]
            ]
            if phone_rows:
                await conn.copy_records_to_table(
                    "contact_phones",
                    columns=["contact_id", "list_id", "field", "e164", "tz", "tz_source"],
                    records=phone_rows,
                )
        await record_batch(conn, job["id"], batch.rows_seen, len(good), bad)
    return len(good), len(bad)


async def record_batch(
    conn: asyncpg.Connection, job_id: int, seen: int, ok: int, bad: list[tuple[int, str, str]]
) -> None:
    if bad:
        await conn.copy_records_to_table(
            "import_job_rows",
            columns=["job_id", "row_no", "status", "message"],
            records=[(job_id, n, s, m[:2000]) for n, s, m in bad],
        )
    failed = sum(1 for _, s, _ in bad if s == "error")
    await conn.execute(
        "UPDATE import_jobs SET rows_done = rows_done + $2, rows_ok = rows_ok + $3, "
        "rows_failed = rows_failed + $4 WHERE id=$1",
        job_id,
        seen,
        ok,
        failed,
    )
