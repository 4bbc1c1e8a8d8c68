"""Do-not-call lists (R3.6): phones, e-mails and client accounts; the dial-time lookup."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg

from dialer.contacts.readers import TableFile
from dialer.contacts.values import ValueProblem, clean_value
from dialer.errors import InvalidInput, NotFound

KINDS = ("phone", "email", "account")
BATCH_ROWS = 20_000


def clean_entry(kind: str, raw: Any, region: str = "RU") -> str:
    if kind not in KINDS:
        raise InvalidInput({"kind": "choose phone, email or account"})
    try:
        value = clean_value(kind if kind != "account" else "text", raw, region)
    except ValueProblem as exc:
        raise InvalidInput({"value": str(exc)}) from None
    if value is None:
        raise InvalidInput({"value": "required"})
    return value


async def save_dnc_list(conn: asyncpg.Connection, data: dict[str, Any], dnc_id: int | None = None) -> int:
    name = str(data.get("name") or "").strip()
    if not name:
        raise InvalidInput({"name": "required"})
    org = data.get("organization_id")
    org_id = int(org) if org not in (None, "") else None
    try:
        if dnc_id is None:
            new_id: int = await conn.fetchval(
                "INSERT INTO dnc_lists (name, description, organization_id) VALUES ($1,$2,$3) RETURNING id",
                name,
                str(data.get("description") or ""),
                org_id,
            )
            return new_id
        done = await conn.fetchval(
            "UPDATE dnc_lists SET name=$2, description=$3, organization_id=$4 WHERE id=$1 RETURNING id",
            dnc_id,
            name,
            str(data.get("description") or ""),
            org_id,
        )
    except asyncpg.UniqueViolationError:
        raise InvalidInput({"name": "a DNC list with this name exists"}) from None
    if done is None:
        raise NotFound(f"DNC list {dnc_id}")
    return dnc_id


async def get_dnc_list(conn: asyncpg.Connection, dnc_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT d.*, (SELECT count(*) FROM dnc_entries e WHERE e.dnc_list_id = d.id) AS entries "
        "FROM dnc_lists d WHERE d.id=$1",
        dnc_id,
    )
    if row is None:
        raise NotFound(f"DNC list {dnc_id}")
    return dict(row)


async def delete_dnc_list(conn: asyncpg.Connection, dnc_id: int) -> None:
    await get_dnc_list(conn, dnc_id)
    await conn.execute("DELETE FROM dnc_lists WHERE id=$1", dnc_id)


async def add_entry(conn: asyncpg.Connection, dnc_id: int, kind: str, raw: Any, region: str = "RU") -> str:
    await get_dnc_list(conn, dnc_id)
    value = clean_entry(kind, raw, region)
    await conn.execute(
        "INSERT INTO dnc_entries (dnc_list_id, kind, value) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING",
        dnc_id,
        kind,
        value,
    )
    return value


async def delete_entries(conn: asyncpg.Connection, dnc_id: int, kind: str, values: Sequence[str]) -> int:
    result = await conn.execute(
        "DELETE FROM dnc_entries WHERE dnc_list_id=$1 AND kind=$2 AND value = ANY($3::text[])",
        dnc_id,
        kind,
        list(values),
    )
    return int(result.split()[-1])


async def lookup(
    conn: asyncpg.Connection,
    values: Iterable[str],
    kind: str = "phone",
    dnc_list_ids: Sequence[int] | None = None,
) -> set[str]:
    """Which of ``values`` are on a DNC list (the given lists, else any list).

    Campaigns call this at dial time with a batch of E.164 numbers (or e-mails, accounts);
    one indexed query answers the whole batch.
    """
    batch = list(set(values))
    if not batch:
        return set()
    if dnc_list_ids is None:
        rows = await conn.fetch(
            "SELECT DISTINCT value FROM dnc_entries WHERE kind=$1 AND value = ANY($2::text[])", kind, batch
        )
    else:
        rows = await conn.fetch(
            "SELECT DISTINCT value FROM dnc_entries WHERE kind=$1 AND value = ANY($2::text[]) "
            "AND dnc_list_id = ANY($3::int[])",
            kind,
            batch,
            list(dnc_list_ids),
        )
    return {r["value"] for r in rows}


def _prepare(
    table: TableFile, col: int, kind: str, region: str, first_row: int
) -> tuple[int, list[Any], list[Any]]:
    seen = 0
    good: list[str] = []
    bad: list[tuple[int, str, str]] = []
    for row in table.rows:
        row_no = first_row + seen
        seen += 1
        raw = row[col] if col < len(row) else None
        try:
            good.append(clean_entry(kind, raw, region))
        except InvalidInput as exc:
            bad.append((row_no, "error", exc.fields.get("value", str(exc))))
        if seen >= BATCH_ROWS:
            break
    return seen, good, bad


async def run_dnc_import(conn: asyncpg.Connection, job: dict[str, Any], table: TableFile, skip: int) -> None:
    from dialer.contacts.importer import record_batch
    from dialer.contacts.jobs import _skip

    options = job["options"]
    kind = str(options.get("kind") or "phone")
    column = str(options.get("column") or (table.header[0] if table.header else ""))
    if column not in table.header:
        raise InvalidInput({"column": f"the file has no column {column!r}"})
    col = table.header.index(column)
    region = str(options.get("region") or "RU")
    _skip(table.rows, skip)
    row_no = skip + 2
    while True:
        seen, good, bad = await asyncio.to_thread(_prepare, table, col, kind, region, row_no)
        if not seen:
            break
        row_no += seen
        async with conn.transaction():
            if good:
                await conn.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS dnc_stage (value text) ON COMMIT DELETE ROWS"
                )
                await conn.copy_records_to_table("dnc_stage", records=[(v,) for v in good])
                await conn.execute(
                    "INSERT INTO dnc_entries (dnc_list_id, kind, value) SELECT DISTINCT $1::int, $2::text, value "
                    "FROM dnc_stage ON CONFLICT DO NOTHING",
                    job["dnc_list_id"],
                    kind,
                )
            await record_batch(conn, job["id"], seen, len(good), bad)
