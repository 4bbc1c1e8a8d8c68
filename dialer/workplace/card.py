"""What the operator's card shows for a call: campaign, contact (masked), script, codes (R7.2, R7.3, R7.7).

Calls from campaigns that are not in the database (the demo's in-memory campaign) still get a
card: the phone, the operator codes and no script, rather than an error in the middle of a call.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from dialer.access.policy import Principal, apply_field_policy
from dialer.campaigns.scripts import answers_of, missing_mandatory, save_answers
from dialer.errors import InvalidInput

DEFAULT_WRAPUP_S = 30


async def _campaign(conn: asyncpg.Connection, campaign_id: int) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT c.id, c.name, c.code_group_id, s.script_id, s.wrapup_seconds, s.preview_seconds, d.key AS default_code "
        "FROM campaigns c LEFT JOIN strategies s ON s.id = c.strategy_id "
        "LEFT JOIN completion_codes d ON d.id = s.default_code_id WHERE c.id = $1",
        campaign_id,
    )


async def codes_for(conn: asyncpg.Connection, code_group_id: int | None) -> list[dict[str, str]]:
    if code_group_id is None:
        rows = await conn.fetch("SELECT key, name FROM completion_codes WHERE used_by = 'operator' ORDER BY name")
    else:
        rows = await conn.fetch(
            "SELECT c.key, c.name FROM code_group_members m JOIN completion_codes c ON c.id = m.code_id "
            "WHERE m.group_id = $1 AND c.used_by = 'operator' ORDER BY c.name", code_group_id)
    return [{"key": r["key"], "name": r["name"]} for r in rows]


async def questions_of(conn: asyncpg.Connection, script_id: int | None) -> list[dict[str, Any]]:
    if script_id is None:
        return []
    rows = await conn.fetch("SELECT identifier, text, mandatory FROM script_questions WHERE script_id = $1 "
                            "ORDER BY position", script_id)
    return [dict(r) for r in rows]


async def contact_card(conn: asyncpg.Connection, principal: Principal, contact_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT attrs FROM contacts WHERE id = $1", contact_id)
    if row is None:
        return {}
    attrs = row["attrs"]
    if isinstance(attrs, str):
        attrs = json.loads(attrs)
    return apply_field_policy(principal, dict(attrs))


async def call_card(conn: asyncpg.Connection, principal: Principal, call: dict[str, Any]) -> dict[str, Any]:
    """Everything the page needs about one call, ready to send to the operator's browser."""
    campaign_id = int(call.get("campaign_id") or 0)
    camp = await _campaign(conn, campaign_id)
    contact_id = int(call.get("contact_id") or 0)
    card = await contact_card(conn, principal, contact_id)
    phone = str(call.get("phone") or "")
    masked_phone = apply_field_policy(principal, {"phone": phone}).get("phone", "")
    attempt = await conn.fetchval("SELECT id FROM call_attempts WHERE uuid::text = $1", str(call.get("call_id")))
    answers = await answers_of(conn, attempt) if attempt else {}
    return {
        "call_id": call.get("call_id"), "campaign_id": campaign_id,
        "campaign": camp["name"] if camp else f"#{campaign_id}", "contact_id": contact_id,
        "phone": masked_phone, "contact": card,
        "questions": await questions_of(conn, camp["script_id"] if camp else None), "answers": answers,
        "codes": await codes_for(conn, camp["code_group_id"] if camp else None),
        "default_code": (camp["default_code"] if camp else None) or "wrapup_timeout",
        "wrapup_s": (camp["wrapup_seconds"] if camp and camp["wrapup_seconds"] is not None else DEFAULT_WRAPUP_S),
        "preview_s": camp["preview_seconds"] if camp else None,
    }


async def submit_answers(conn: asyncpg.Connection, call_id: str, campaign_id: int, answers: dict[str, str],
                         final: bool) -> None:
    """Store answers during the call; ``final`` (the wrap-up) also demands the mandatory ones."""
    camp = await _campaign(conn, campaign_id)
    if camp is None or camp["script_id"] is None:
        return
    questions = await questions_of(conn, camp["script_id"])
    if final:
        missing = missing_mandatory(questions, answers)
        if missing:
            raise InvalidInput({f"q_{k}": "required" for k in missing})
    attempt = await conn.fetchrow("SELECT id, contact_id FROM call_attempts WHERE uuid::text = $1", call_id)
    if attempt is None:
        return
    given = {k: v for k, v in answers.items() if str(v).strip()}
    if final:
        try:
            await save_answers(conn, attempt["id"], attempt["contact_id"], camp["script_id"], given)
        except InvalidInput as exc:
            raise InvalidInput({f"q_{k}": v for k, v in exc.fields.items()}) from None
        return
    # Progress during the call: kept without the mandatory check, which applies at wrap-up.
    await conn.executemany(
            "INSERT INTO script_answers (call_attempt_id, contact_id, script_id, question, answer) "
            "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (call_attempt_id, question) "
            "DO UPDATE SET answer = EXCLUDED.answer, answered_at = now()",
        [(attempt["id"], attempt["contact_id"], camp["script_id"], k, str(v)) for k, v in given.items()])
