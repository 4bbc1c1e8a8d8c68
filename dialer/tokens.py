"""API tokens: shown once, stored as a hash, revocable, per user."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from typing import Any

import asyncpg

from dialer.errors import InvalidInput, NotFound

TOKEN_PREFIX = "dlr_"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create_token(conn: asyncpg.Connection, user_id: int, name: str) -> tuple[int, str]:
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput({"name": "1-100 characters"})
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token_id: int = await conn.fetchval(
        "INSERT INTO api_tokens (user_id, name, token_hash, prefix) VALUES ($1,$2,$3,$4) RETURNING id",
        user_id,
        name,
        _digest(token),
        token[:10],
    )
    return token_id, token


async def user_for_token(conn: asyncpg.Connection, token: str, now: datetime) -> int | None:
    if not token.startswith(TOKEN_PREFIX):
        return None
    row = await conn.fetchrow(
        "SELECT id, user_id, last_used_at FROM api_tokens WHERE token_hash=$1 AND revoked_at IS NULL",
        _digest(token),
    )
    if row is None:
        return None
    last = row["last_used_at"]
    # Writing on every call would turn each API read into a write; a minute is precise enough.
    if last is None or (now - last).total_seconds() > 60:
        await conn.execute("UPDATE api_tokens SET last_used_at=$2 WHERE id=$1", row["id"], now)
    user_id: int = row["user_id"]
    return user_id


async def list_tokens(conn: asyncpg.Connection, user_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        """SELECT id, name, prefix, created_at, last_used_at, revoked_at FROM api_tokens
           WHERE user_id=$1 ORDER BY created_at DESC""",
        user_id,
    )
    return [dict(r) for r in rows]


async def revoke_token(conn: asyncpg.Connection, user_id: int, token_id: int, now: datetime) -> None:
    done = await conn.fetchval(
        "UPDATE api_tokens SET revoked_at=$3 WHERE id=$1 AND user_id=$2 AND revoked_at IS NULL RETURNING id",
        token_id,
        user_id,
        now,
    )
    if done is None:
        raise NotFound(f"token {token_id}")
