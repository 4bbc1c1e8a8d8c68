"""Helpers for driving the portal in tests: users, sign-in, CSRF tokens."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from dialer.users import create_user

_CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
_META = re.compile(r'name="csrf-token" content="([^"]+)"')


async def make_user(
    pool: asyncpg.Pool, login: str, preset: str | None = "administrator", password: str = "secret-pass-1",
    role_id: int | None = None, org: str | None = None, **extra: Any,
) -> int:
    async with pool.acquire() as conn:
        if role_id is None:
            role_id = await conn.fetchval("SELECT id FROM roles WHERE preset=$1", preset)
        org_id = None
        if org:
            org_id = await conn.fetchval("SELECT id FROM organizations WHERE name=$1", org) or await conn.fetchval(
                "INSERT INTO organizations (name) VALUES ($1) RETURNING id", org
            )
        user_id: int = await create_user(
            conn, {"login": login, "password": password, "role_id": role_id, "organization_id": org_id, **extra}
        )
        return user_id


async def csrf_of(client: TestClient, path: str = "/login") -> str:
    resp = await client.get(path)
    text = await resp.text()
    match = _META.search(text) or _CSRF.search(text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


async def sign_in(client: TestClient, login: str, password: str = "secret-pass-1") -> str:
    """Signs in and returns the session's CSRF token for later posts."""
    token = await csrf_of(client, "/login")
    resp = await client.post(
        "/login", data={"login": login, "password": password, "_csrf": token}, allow_redirects=False
    )
    assert resp.status == 302, await resp.text()
    return await csrf_of(client, "/profile")


async def post_form(client: TestClient, path: str, csrf: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
    return await client.post(path, data={**(data or {}), "_csrf": csrf}, allow_redirects=False, **kw)
