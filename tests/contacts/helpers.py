"""Shared set-up for the contacts tests: an admin client and a list with typed fields."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from dialer.contacts import fields, lists
from tests.webtools import make_user, sign_in

FIELDS = [
    ("mobile", "phone"),
    ("work", "phone"),
    ("email", "email"),
    ("name", "text"),
    ("debt", "number"),
    ("born", "date"),
    ("vip", "boolean"),
]


async def make_list(pool: asyncpg.Pool, name: str = "Clients", org_id: int | None = None) -> int:
    async with pool.acquire() as conn:
        ids = []
        for fname, kind in FIELDS:
            fid = await conn.fetchval("SELECT id FROM contact_fields WHERE name=$1", fname)
            if fid is None:
                fid = await fields.save_field(conn, {"name": fname, "type": kind, "title": fname.title()})
            ids.append(fid)
        return await lists.save_list(conn, {"name": name, "field_ids": ids, "organization_id": org_id})


async def admin(client: TestClient, pool: asyncpg.Pool, login: str = "boss") -> str:
    await make_user(pool, login)
    return await sign_in(client, login)


async def wait_job(client: TestClient, job_id: int, seconds: float = 30) -> dict[str, Any]:
    for _ in range(int(seconds * 20)):
        job: dict[str, Any] = await (await client.get(f"/api/v1/import-jobs/{job_id}")).json()
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


async def wait_directory_job(
    client: TestClient, kind: str, job_id: int, seconds: float = 30
) -> dict[str, Any]:
    """Poll /api/v1/{kind}/imports/{id} (kind: phone-codes or number-ranges) until it ends."""
    for _ in range(int(seconds * 20)):
        job: dict[str, Any] = await (await client.get(f"/api/v1/{kind}/imports/{job_id}")).json()
        if job["status"] in ("done", "failed"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"{kind} import {job_id} did not finish")
