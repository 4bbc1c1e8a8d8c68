"""Contact import (R3.3): validate rows in Python in batches, COPY the good ones in.

Each batch is one transaction holding its contacts, their phones, the rows that failed
and the job's progress, so a crash never loses stored rows and ``rows_done`` says exactly
where to resume. Bad rows are reported with their file row number; good rows land.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from operator import itemgetter
from typing import Any

import asyncpg

from dialer.contacts.bulk import Bad, clean_column, converter, copy_escape, copy_value, json_fragments
from dialer.contacts.fields import Field
from dialer.contacts.timezones import TzResolver

# 10k rows (~25 MB of Python objects; up to four batches are alive: one being validated,
# one waiting, two being written) keep memory flat, and each COPY big enough that its
# per-statement costs do not show.
BATCH_ROWS = 10_000


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
    """One validated batch: COPY-ready text for the good rows, messages for the bad ones."""

    rows_seen: int = 0
    good_rows: list[int] = field(default_factory=list)  # file row numbers of the good rows
    attrs: list[str] = field(default_factory=list)  # their attrs JSON, COPY-escaped
    # (index into good_rows, field, E.164, tz, tz source), sorted by number: both e164
    # indexes then take the batch's inserts in key order instead of at random pages.
    phones: list[tuple[int, str, str, str | None, str | None]] = field(default_factory=list)
    bad: list[tuple[int, str, str]] = field(default_factory=list)  # row_no, status, message


class RowValidator:
    """Turns raw file rows into attrs JSON and phone rows; pure, runs in a worker thread.

    A batch is cleaned a column at a time (see :mod:`dialer.contacts.bulk`); the per-row
    pass only picks the outcome and joins pre-built JSON fragments.
    """

    def __init__(self, columns: Sequence[Column], width: int, region: str, resolver: TzResolver) -> None:
        self.columns = list(columns)
        self.converters = [converter(c.kind, region) for c in columns]
        self.width = width
        self.need = max((c.index for c in columns), default=-1) + 1
        self.resolver = resolver

    def prepare(self, rows: Iterator[list[Any]], first_row_no: int, limit: int = BATCH_ROWS) -> Prepared:
        batch = list(islice(rows, limit))
        out = Prepared(rows_seen=len(batch))
        if not batch:
            return out
        if min(map(len, batch)) >= self.need:
            raw_cols = [[r[c.index] for r in batch] for c in self.columns]
        else:
            raw_cols = [[r[c.index] if c.index < len(r) else None for r in batch] for c in self.columns]
        cleaned = [clean_column(conv, col) for conv, col in zip(self.converters, raw_cols, strict=True)]
        del raw_cols
        frags = [json_fragments(c.name, vals) for c, vals in zip(self.columns, cleaned, strict=True)]
        with_bad = [
            (c, vals)
            for c, vals in zip(self.columns, cleaned, strict=True)
            if any(type(v) is Bad for v in vals)
        ]
        phone_cols = [
            (c.name, vals) for c, vals in zip(self.columns, cleaned, strict=True) if c.kind == "phone"
        ]
        width = self.width
        phones: list[tuple[int, str, str]] = []
        for k, row in enumerate(batch):
            row_no = first_row_no + k
            if len(row) > width and any(str(c).strip() for c in row[width:] if c is not None):
                out.bad.append((row_no, "error", f"the row has {len(row)} cells, the header has {width}"))
                continue
            problems = [f"{c.header} → {c.name}: {vals[k]}" for c, vals in with_bad if type(vals[k]) is Bad]
            if problems:
                if not any(c is not None and str(c).strip() for c in row):
                    out.bad.append((row_no, "skipped", "empty row"))
                else:
                    out.bad.append((row_no, "error", "; ".join(problems)))
                continue
            parts = [p for f in frags if (p := f[k]) is not None]
            if not parts:
                if not any(c is not None and str(c).strip() for c in row):
                    out.bad.append((row_no, "skipped", "empty row"))
                else:
                    out.bad.append((row_no, "error", "no values in the mapped columns"))
                continue
            gi = len(out.good_rows)
            out.good_rows.append(row_no)
            out.attrs.append("{" + ",".join(parts) + "}")
            for name, vals in phone_cols:
                value = vals[k]
                if value is not None:
                    phones.append((gi, name, value))
        zones = self.resolver.resolve_many([p[2] for p in phones])
        out.phones = sorted(
            ((gi, name, e164, tz, src) for (gi, name, e164), (tz, src) in zip(phones, zones, strict=True)),
            key=itemgetter(2),
        )
        return out


async def take_ids(conn: asyncpg.Connection, count: int) -> list[int]:
    """``count`` new contact ids. Contacts are listed, exported and dialled by id, so ids
    must follow file order: batches written side by side take theirs one after another."""
    return [
        r[0] for r in await conn.fetch("SELECT nextval('contacts_id_seq') FROM generate_series(1, $1)", count)
    ]


async def _known_numbers(conn: asyncpg.Connection, list_id: int, numbers: list[str]) -> set[str]:
    rows = await conn.fetch(
        "SELECT DISTINCT e164 FROM contact_phones WHERE list_id=$1 AND e164 = ANY($2::text[])",
        list_id,
        numbers,
    )
    return {r["e164"] for r in rows}


def _drop_duplicates(batch: Prepared, known: set[str], bad: list[tuple[int, str, str]]) -> set[int]:
    """Good rows (by index) holding a number already in the list or earlier in the file."""
    by_row: dict[int, list[str]] = {}
    for gi, _, e164, _, _ in batch.phones:
        by_row.setdefault(gi, []).append(e164)
    drop: set[int] = set()
    for gi in range(len(batch.good_rows)):
        numbers = by_row.get(gi, [])
        dup = next((n for n in numbers if n in known), None)
        if dup is not None:
            bad.append((batch.good_rows[gi], "skipped", f"duplicate: {dup} is already in the list"))
            drop.add(gi)
            continue
        known.update(numbers)
    return drop


async def write_contacts(
    conn: asyncpg.Connection,
    job: dict[str, Any],
    batch: Prepared,
    dedupe: bool,
    after: asyncio.Task[tuple[int, int]] | None = None,
    taken: list[int] | None = None,
) -> tuple[int, int]:
    """One batch in one transaction: contacts, phones, failed rows, job progress.

    ``after`` is the previous batch's write on another connection: this one's COPYs run
    alongside it, but it records progress and commits only once that one has committed,
    so batches commit in file order and ``rows_done`` stays an exact resume point (if
    the previous batch failed, awaiting it raises and this one rolls back too). Such a
    batch comes with its contact ids ``taken`` (see :func:`take_ids`) in file order.
    """
    list_id, org_id = job["list_id"], job["organization_id"]
    bad = list(batch.bad)
    async with conn.transaction():
        # A crash may lose the last batches, but their progress row goes with them (same
        # transaction), so a resume reloads exactly those rows; no fsync wait per batch.
        await conn.execute("SET LOCAL synchronous_commit TO OFF")
        drop: set[int] = set()
        if dedupe and batch.phones:
            known = await _known_numbers(conn, list_id, list({p[2] for p in batch.phones}))
            drop = _drop_duplicates(batch, known, bad)
        kept = len(batch.good_rows) - len(drop)
        if kept:
            # Ids are taken up front so phone rows can name their contact in the same
            # COPY stream; no RETURNING round trip, no staging table.
            if taken is None:
                taken = await take_ids(conn, kept)
            ids: list[int | None] = [None] * len(batch.good_rows)
            it = iter(taken)
            for gi in range(len(batch.good_rows)):
                if gi not in drop:
                    ids[gi] = next(it)
            head = f"\t{list_id}\t{copy_value(org_id)}\t"
            contacts = "".join(
                [
                    f"{cid}{head}{attrs}\n"
                    for cid, attrs in zip(ids, batch.attrs, strict=True)
                    if cid is not None
                ]
            )
            await conn.copy_to_table(
                "contacts",
                source=io.BytesIO(contacts.encode()),
                columns=["id", "list_id", "organization_id", "attrs"],
                format="text",
            )
            del contacts
            lines = []
            for gi, name, e164, tz, src in batch.phones:
                cid = ids[gi]
                if cid is not None:
                    lines.append(
                        f"{cid}\t{list_id}\t{copy_escape(name)}\t{e164}\t{copy_value(tz)}\t{copy_value(src)}\n"
                    )
            if lines:
                await conn.copy_to_table(
                    "contact_phones",
                    source=io.BytesIO("".join(lines).encode()),
                    columns=["contact_id", "list_id", "field", "e164", "tz", "tz_source"],
                    format="text",
                )
        if after is not None:
            await after
        await record_batch(conn, job["id"], batch.rows_seen, kept, bad)
    return kept, len(bad)


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
