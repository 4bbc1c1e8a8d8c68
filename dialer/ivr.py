"""What the IVR scripts (fs_app/ivr/) read and write through the API: contact attributes, survey scores."""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import asyncpg

from dialer.errors import InvalidInput, NotFound

log = logging.getLogger("dialer.ivr")

# The call id is the customer leg's uuid (``dialer_call`` on the channel); the survey falls
# back to the channel's own uuid, so accept any uuid-shaped text rather than known attempts only.
CALL_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")


async def contact(conn: asyncpg.Connection, contact_id: int) -> tuple[int | None, dict[str, Any]]:
    """The contact's organization and attributes; NotFound when there is no such contact."""
    row = await conn.fetchrow("SELECT organization_id, attrs FROM contacts WHERE id = $1", contact_id)
    if row is None:
        raise NotFound(f"contact {contact_id}")
    attrs = row["attrs"]
    return row["organization_id"], json.loads(attrs) if isinstance(attrs, str) else dict(attrs or {})


async def save_survey(conn: asyncpg.Connection, call_id: str, score: int, contact_id: int | None,
                      user_id: int | None) -> dict[str, Any]:
    """Store a call's survey score; a repeated post for the same call (a script's retry) replaces it."""
    if not CALL_ID.match(call_id):
        raise InvalidInput({"call_id": "the call's uuid"})
    if not 1 <= score <= 5:
        raise InvalidInput({"score": "from 1 to 5"})
    attempt = await conn.fetchrow(
        "SELECT id, contact_id FROM call_attempts WHERE uuid::text = lower($1)", call_id
    )
    if contact_id is None and attempt is not None:
        contact_id = attempt["contact_id"]
    if contact_id is not None and not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM contacts WHERE id = $1)",
                                                          contact_id):
        raise InvalidInput({"contact_id": "no such contact"})
    row = await conn.fetchrow(
        "INSERT INTO ivr_surveys (call_id, attempt_id, contact_id, score, user_id) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (call_id) DO UPDATE SET score = EXCLUDED.score, contact_id = EXCLUDED.contact_id, "
        "attempt_id = EXCLUDED.attempt_id, user_id = EXCLUDED.user_id, created_at = now() "
        "RETURNING id, call_id, attempt_id, contact_id, score, created_at",
        call_id, attempt["id"] if attempt else None, contact_id, score, user_id,
    )
    log.info("survey for call %s: score %d", call_id, score)
    return dict(row)
