"""Batches written side by side still commit in file order (the resume point stays exact)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest

from dialer.contacts import jobs
from dialer.contacts.importer import Prepared, write_contacts
from tests.contacts.helpers import make_list


def _batch() -> Prepared:
    return Prepared(
        rows_seen=3,
        good_rows=[2, 4],
        attrs=['{"name":"a\\\\\\\\b"}', '{"name":"b"}'],  # COPY-escaped JSON of "a\\b"
        phones=[
            (0, "mobile", "+79161234567", "Europe/Moscow", "range"),
            (1, "mobile", "+79161234568", None, None),
        ],
        bad=[(3, "error", "bad phone")],
    )


async def test_a_batch_rolls_back_when_the_one_before_failed(pool: asyncpg.Pool) -> None:
    lid = await make_list(pool)
    async with pool.acquire() as conn:
        job_id = await jobs.create_job(
            conn, target="contacts", file_path=Path("x.csv"), source_name="x", list_id=lid, status="running"
        )
        job = await jobs.get_job(conn, job_id)

        async def failed() -> tuple[int, int]:
            raise RuntimeError("the previous batch failed")

        with pytest.raises(RuntimeError):
            await write_contacts(conn, job, _batch(), False, asyncio.create_task(failed()))
        assert await conn.fetchval("SELECT count(*) FROM contacts WHERE list_id=$1", lid) == 0
        assert (await jobs.get_job(conn, job_id))["rows_done"] == 0

        async def succeeded() -> tuple[int, int]:
            return 1, 0

        assert await write_contacts(conn, job, _batch(), False, asyncio.create_task(succeeded())) == (2, 1)
        rows = await conn.fetch(
            "SELECT c.attrs->>'name' AS name, p.e164, p.tz FROM contacts c "
            "JOIN contact_phones p ON p.contact_id = c.id WHERE c.list_id=$1 ORDER BY p.e164",
            lid,
        )
        assert [tuple(r) for r in rows] == [
            ("a\\b", "+79161234567", "Europe/Moscow"),
            ("b", "+79161234568", None),
        ]
        job = await jobs.get_job(conn, job_id)
        assert (job["rows_done"], job["rows_ok"], job["rows_failed"]) == (3, 2, 1)


async def test_ids_follow_file_order_across_parallel_batches(pool: asyncpg.Pool, tmp_path: Path) -> None:
    lid = await make_list(pool)
    path = tmp_path / "order.csv"
    path.write_text("Телефон;ФИО\n" + "".join(f"7916{i:07d};{i}\n" for i in range(35_000)), encoding="utf-8")
    async with pool.acquire() as conn:
        job_id = await jobs.create_job(
            conn,
            target="contacts",
            file_path=path,
            source_name="order.csv",
            list_id=lid,
            options={"mapping": {"Телефон": "mobile", "ФИО": "name"}},
            status="queued",
        )
    await jobs.run_job(pool, job_id)
    async with pool.acquire() as conn:
        assert (await jobs.get_job(conn, job_id))["rows_ok"] == 35_000
        names = await conn.fetch("SELECT attrs->>'name' FROM contacts WHERE list_id=$1 ORDER BY id", lid)
        assert [int(r[0]) for r in names] == list(range(35_000))
