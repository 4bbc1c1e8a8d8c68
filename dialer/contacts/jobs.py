"""Background import jobs: an ``import_jobs`` row plus an asyncio task in the web process.

A job interrupted by a restart is marked failed on start with the number of rows stored;
resuming it skips exactly those rows (progress commits with each batch).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any

import asyncpg

from dialer.contacts import directories, dnc
from dialer.contacts.fields import list_fields
from dialer.contacts.importer import RowValidator, build_columns, take_ids, write_contacts
from dialer.contacts.readers import FileProblem, TableFile, open_table
from dialer.contacts.timezones import load_resolver
from dialer.errors import InvalidInput, NotFound

log = logging.getLogger("dialer.contacts")
_tasks: set[asyncio.Task[None]] = set()


async def create_job(
    conn: asyncpg.Connection,
    *,
    target: str,
    file_path: Path,
    source_name: str,
    list_id: int | None = None,
    dnc_list_id: int | None = None,
    options: dict[str, Any] | None = None,
    user_id: int | None = None,
    status: str = "draft",
) -> int:
    job_id: int = await conn.fetchval(
        "INSERT INTO import_jobs (target, list_id, dnc_list_id, source_name, file_path, options, status, "
        "created_by) VALUES ($1,$2,$3,$4,$5,$6::jsonb,$7,$8) RETURNING id",
        target,
        list_id,
        dnc_list_id,
        source_name,
        str(file_path),
        options or {},
        status,
        user_id,
    )
    return job_id


async def get_job(conn: asyncpg.Connection, job_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT j.*, l.organization_id AS list_org, d.organization_id AS dnc_org FROM import_jobs j "
        "LEFT JOIN contact_lists l ON l.id = j.list_id LEFT JOIN dnc_lists d ON d.id = j.dnc_list_id "
        "WHERE j.id=$1",
        job_id,
    )
    if row is None:
        raise NotFound(f"import job {job_id}")
    out = dict(row)
    out["options"] = row["options"]
    out["organization_id"] = row["list_org"] if row["target"] == "contacts" else row["dnc_org"]
    out["rows_skipped"] = row["rows_done"] - row["rows_ok"] - row["rows_failed"]
    return out


def job_public(job: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "id",
        "target",
        "list_id",
        "dnc_list_id",
        "source_name",
        "status",
        "message",
        "rows_total",
        "rows_done",
        "rows_ok",
        "rows_failed",
        "rows_skipped",
        "created_at",
        "started_at",
        "finished_at",
    )
    return {k: job.get(k) for k in keys}


async def job_rows(
    conn: asyncpg.Connection, job_id: int, limit: int = 1000, offset: int = 0
) -> list[dict[str, Any]]:
    return [
        dict(r)
        for r in await conn.fetch(
            "SELECT row_no, status, message FROM import_job_rows WHERE job_id=$1 ORDER BY row_no "
            "LIMIT $2 OFFSET $3",
            job_id,
            limit,
            offset,
        )
    ]


async def queue_job(conn: asyncpg.Connection, job_id: int, options: dict[str, Any]) -> None:
    job = await get_job(conn, job_id)
    if job["status"] not in ("draft", "failed"):
        raise InvalidInput({"__all__": "the job has already run"})
    await conn.execute(
        "UPDATE import_jobs SET status='queued', options=$2::jsonb, message='' WHERE id=$1",
        job_id,
        options,
    )


def start(pool: asyncpg.Pool, job_id: int) -> asyncio.Task[None]:
    """Run the job in the background; the task is kept so it is not garbage-collected."""
    task = asyncio.create_task(run_job(pool, job_id), name=f"import-job-{job_id}")
    _tasks.add(task)
    task.add_done_callback(_tasks.discard)
    return task


async def stop_all() -> None:
    for task in list(_tasks):
        task.cancel()
    if _tasks:
        await asyncio.gather(*_tasks, return_exceptions=True)


async def recover(pool: asyncpg.Pool) -> int:
    """Mark jobs a previous process left running as failed and resumable."""
    result = await pool.execute(
        "UPDATE import_jobs SET status='failed', finished_at=now(), message='interrupted by a restart after ' "
        "|| rows_done || ' rows; resume it to load the rest' WHERE status IN ('queued', 'running')"
    )
    count = int(result.split()[-1])
    if count:
        log.warning("%d import jobs were interrupted by a restart", count)
    return count


async def _finish(pool: asyncpg.Pool, job_id: int, status: str, message: str) -> None:
    await pool.execute(
        "UPDATE import_jobs SET status=$2, message=$3, finished_at=now() WHERE id=$1", job_id, status, message
    )


async def run_job(pool: asyncpg.Pool, job_id: int) -> None:
    try:
        async with pool.acquire() as conn:
            job = await get_job(conn, job_id)
            await conn.execute(
                "UPDATE import_jobs SET status='running', started_at=now() WHERE id=$1", job_id
            )
            table = await asyncio.to_thread(open_table, Path(job["file_path"]))
            skip = int(job["rows_done"])
            await conn.execute(
                "UPDATE import_jobs SET rows_total=$2 WHERE id=$1",
                job_id,
                table.total_estimate,
            )
            extra: list[str] = []
            if job["target"] == "contacts":
                await _run_contacts(pool, conn, job, table, skip)
            elif job["target"] == "dnc":
                await dnc.run_dnc_import(conn, job, table, skip)
            else:  # phone_codes, number_ranges: the directories' registry files
                extra = await directories.run_import(conn, job, table, skip)
            done = await conn.fetchrow("SELECT rows_done, rows_ok FROM import_jobs WHERE id=$1", job_id)
        notes = list(table.notes) + extra
        if done["rows_done"] == 0:
            notes.append("the file has a header but no rows")
        await pool.execute("UPDATE import_jobs SET rows_total=rows_done WHERE id=$1", job_id)
        await _finish(pool, job_id, "done", "; ".join(notes))
    except asyncio.CancelledError:
        await asyncio.shield(
            _finish(pool, job_id, "failed", "interrupted by a shutdown; resume it to load the rest")
        )
        raise
    except (FileProblem, InvalidInput, NotFound) as exc:
        await _finish(pool, job_id, "failed", str(exc))
    except Exception as exc:
        log.exception("import job %s failed", job_id)
        await _finish(pool, job_id, "failed", f"internal error: {exc.__class__.__name__}: {exc}")


def _skip(rows: Iterator[list[Any]], n: int) -> Iterator[list[Any]]:
    if n:
        next(islice(rows, n - 1, n), None)
    return rows


async def _run_contacts(
    pool: asyncpg.Pool, conn: asyncpg.Connection, job: dict[str, Any], table: TableFile, skip: int
) -> None:
    options = job["options"]
    fields = await list_fields(conn, job["list_id"])
    columns = build_columns(table.header, options.get("mapping") or {}, fields)
    if not columns:
        raise InvalidInput({"mapping": "map at least one file column to a field"})
    if options.get("clear_before") and skip == 0:
        await conn.execute("DELETE FROM contacts WHERE list_id=$1", job["list_id"])
    validator = RowValidator(
        columns, len(table.header), str(options.get("region") or "RU"), await load_resolver(conn)
    )
    rows = _skip(table.rows, skip)
    dedupe = bool(options.get("dedupe"))
    row_no = skip + 2  # file row numbers: the header is row 1
    other: asyncpg.Connection | None = None
    if not dedupe:  # with dedupe each batch must see the numbers of the ones before it
        try:
            # A short wait: jobs each holding one connection and waiting for a second
            # could otherwise exhaust the pool and wait on each other forever.
            other = await pool.acquire(timeout=1.0)
        except TimeoutError:
            log.info("import job %s: no second connection free, writing batches one at a time", job["id"])
    # Validation of the next batch (a worker thread) overlaps the COPY of this one.
    nxt = asyncio.create_task(asyncio.to_thread(validator.prepare, rows, row_no))
    writers: list[asyncio.Task[tuple[int, int]] | None] = [None, None]
    try:
        if other is None:
            while (batch := await nxt).rows_seen:
                row_no += batch.rows_seen
                nxt = asyncio.create_task(asyncio.to_thread(validator.prepare, rows, row_no))
                await write_contacts(conn, job, batch, dedupe)
            return
        # The server's work per row (jsonb parsing, index and foreign key upkeep) outweighs
        # the validation, so two connections write consecutive batches side by side; each
        # batch commits only after the one before it (see write_contacts).
        turn = 0
        while (batch := await nxt).rows_seen:
            row_no += batch.rows_seen
            nxt = asyncio.create_task(asyncio.to_thread(validator.prepare, rows, row_no))
            slot = turn % 2
            previous, busy = writers[1 - slot], writers[slot]
            if busy is not None:
                await busy  # its connection is free again (and it succeeded)
            writer = (conn, other)[slot]
            taken = await take_ids(writer, len(batch.good_rows)) if batch.good_rows else []
            writers[slot] = asyncio.create_task(write_contacts(writer, job, batch, dedupe, previous, taken))
            turn += 1
        for task in writers:
            if task is not None:
                await task
    finally:
        await _settle([nxt, *(t for t in writers if t is not None)])
        if other is not None:
            await pool.release(other)


async def _settle(tasks: list[asyncio.Task[Any]]) -> None:
    """Stop what is still running after a failure or cancellation and wait for it."""
    for task in tasks:
        if not task.done():
            task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
