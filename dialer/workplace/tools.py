"""What an operator does to the contact of a call besides talking (R7.4, R7.6, R7.8, R7.9).

Every action names a call, and the call is what decides the contact, the campaign and the
real phone number: the browser only ever holds the masked number, so nothing the page sends
can point an SMS or a DNC entry at a number the operator was not shown.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from dialer.access.policy import Principal, apply_field_policy, org_condition
from dialer.campaigns.integrations import render_url
from dialer.contacts import dnc
from dialer.dialing import callbacks
from dialer.errors import InvalidInput

CALLBACK_KINDS = ("standard", "campaign", "operator")


@dataclass(frozen=True)
class Subject:
    """One call's contact as the server knows it; ``phone`` is the real number, never sent out."""

    call_id: str
    campaign_id: int
    contact_id: int
    phone: str
    phone_field: str


def subject_of(call: Mapping[str, Any]) -> Subject:
    return Subject(
        str(call.get("call_id") or ""),
        int(call.get("campaign_id") or 0),
        int(call.get("contact_id") or 0),
        str(call.get("phone") or ""),
        str(call.get("phone_field") or ""),
    )


async def attempt_of(conn: asyncpg.Connection, operator_id: int, call_id: str) -> Subject:
    """A call this operator took: the history's calls and the one just finished."""
    row = await conn.fetchrow(
        "SELECT uuid::text AS call_id, campaign_id, contact_id, phone, phone_field FROM call_attempts "
        "WHERE uuid::text = lower($1) AND operator_id = $2",
        call_id,
        str(operator_id),
    )
    if row is None:
        raise InvalidInput({"call_id": "not one of your calls"})
    return subject_of(dict(row))


async def _attrs(conn: asyncpg.Connection, contact_id: int) -> dict[str, Any]:
    raw = await conn.fetchval("SELECT attrs FROM contacts WHERE id = $1", contact_id)
    if raw is None:
        return {}
    return dict(json.loads(raw) if isinstance(raw, str) else raw)


async def _e164(conn: asyncpg.Connection, s: Subject) -> str:
    # The dialled string can carry the campaign's prefix; the contact's own number does not.
    found = await conn.fetchval(
        "SELECT e164 FROM contact_phones WHERE contact_id = $1 AND field = $2", s.contact_id, s.phone_field
    )
    return str(found or s.phone)


async def options(conn: asyncpg.Connection, principal: Principal) -> dict[str, Any]:
    """The choices of the workplace's forms: SMS templates, DNC lists, operators for a callback."""
    templates = await conn.fetch(
        "SELECT id, name, body FROM notification_templates WHERE channel = 'sms' ORDER BY name"
    )
    args: list[Any] = []
    cond = org_condition(principal, "organization_id", args)
    lists = await conn.fetch(f"SELECT id, name FROM dnc_lists WHERE {cond} ORDER BY name", *args)
    args = []
    cond = org_condition(principal, "organization_id", args)
    operators = await conn.fetch(f"SELECT id, name FROM operators WHERE {cond} ORDER BY name", *args)
    return {
        "sms_templates": [dict(r) for r in templates],
        "dnc_lists": [dict(r) for r in lists],
        "operators": [dict(r) for r in operators],
        "callback_kinds": list(CALLBACK_KINDS),
    }


def _int(data: Mapping[str, Any], key: str, message: str) -> int:
    try:
        return int(str(data.get(key) or "").strip())
    except ValueError:
        raise InvalidInput({key: message}) from None


async def send_sms(conn: asyncpg.Connection, s: Subject, data: Mapping[str, Any]) -> int:
    """Queue an SMS from a template for the channels worker; the text is the template's, unedited."""
    template_id = _int(data, "template_id", "choose an SMS template")
    found = await conn.fetchval(
        "SELECT id FROM notification_templates WHERE id = $1 AND channel = 'sms'", template_id
    )
    if found is None:
        raise InvalidInput({"template_id": "choose an SMS template"})
    recipient = await _e164(conn, s)
    if not recipient:
        raise InvalidInput({"template_id": "the call has no number to send to"})
    # The same row shape as a strategy's SendMessage action (dialing.results), so one worker sends both.
    out_id: int = await conn.fetchval(
        "INSERT INTO outbox (kind, campaign_id, contact_id, template_id, recipient, url, method, payload, wait_reply) "
        "VALUES ('sms', $1, $2, $3, $4, '', '', $5, false) RETURNING id",
        s.campaign_id or None,
        s.contact_id or None,
        template_id,
        recipient,
        await _attrs(conn, s.contact_id),
    )
    return out_id


async def add_callback(
    conn: asyncpg.Connection,
    s: Subject,
    operator_id: int,
    user_id: int,
    data: Mapping[str, Any],
    now: datetime,
) -> int:
    """Standard: back to this operator; to campaign: any operator of it; to operator: the one chosen."""
    kind = str(data.get("kind") or "").strip()
    if kind not in CALLBACK_KINDS:
        raise InvalidInput({"kind": "choose standard, to campaign or to operator"})
    target: int | None = operator_id if kind == "standard" else None
    if kind == "operator":
        target = _int(data, "operator_id", "choose the operator")
    return await callbacks.create(
        conn,
        s.campaign_id,
        {
            "contact_id": s.contact_id,
            "due_at": data.get("due_at"),
            "operator_id": target,
            "phone_field": s.phone_field,
            "note": data.get("note"),
        },
        now,
        source="operator",
        user_id=user_id,
    )


async def add_to_dnc(
    conn: asyncpg.Connection, principal: Principal, s: Subject, data: Mapping[str, Any]
) -> str:
    """The call's number, unless the operator typed another; the masked number as shown means this one."""
    list_id = _int(data, "dnc_list_id", "choose a DNC list")
    args: list[Any] = [list_id]
    cond = org_condition(principal, "organization_id", args)
    if not await conn.fetchval(f"SELECT true FROM dnc_lists WHERE id = $1 AND {cond}", *args):
        raise InvalidInput({"dnc_list_id": "choose a DNC list"})
    typed = str(data.get("number") or "").strip()
    shown = str(apply_field_policy(principal, {"phone": s.phone}).get("phone") or "")
    raw = await _e164(conn, s) if typed in ("", shown) else typed
    try:
        return await dnc.add_entry(conn, list_id, "phone", raw)
    except InvalidInput as exc:
        raise InvalidInput({"number": exc.fields.get("value", str(exc))}) from None


async def history(conn: asyncpg.Connection, principal: Principal, operator_id: int) -> list[dict[str, Any]]:
    """Today's calls of this operator, newest first, with the completion code the result recorded."""
    rows = await conn.fetch(
        "SELECT a.uuid::text AS call_id, a.campaign_id, coalesce(c.name, '#' || a.campaign_id) AS campaign, "
        "a.contact_id, a.phone, a.started_at, a.connected_at, a.ended_at, "
        "coalesce(r.code, a.operator_code, a.code, a.state) AS code "
        "FROM call_attempts a LEFT JOIN campaigns c ON c.id = a.campaign_id "
        "LEFT JOIN LATERAL (SELECT code FROM dial_results d WHERE d.call_id = a.uuid::text "
        "ORDER BY d.id DESC LIMIT 1) r ON true "
        "WHERE a.operator_id = $1 AND a.started_at >= date_trunc('day', now()) ORDER BY a.started_at DESC LIMIT 200",
        str(operator_id),
    )
    return [
        {**dict(r), "phone": apply_field_policy(principal, {"phone": r["phone"]}).get("phone", "")}
        for r in rows
    ]


def _placeholders(attrs: Mapping[str, Any], s: Subject) -> dict[str, Any]:
    return {**attrs, "phone": attrs.get("phone", s.phone), "contact_id": s.contact_id}


async def links(conn: asyncpg.Connection, principal: Principal, s: Subject) -> list[dict[str, Any]]:
    """Active integrations filled with what the operator may see: a masked field stays masked in the URL."""
    attrs = await _attrs(conn, s.contact_id)
    visible = apply_field_policy(principal, _placeholders(attrs, s))
    default_id = await conn.fetchval("SELECT integration_id FROM campaigns WHERE id = $1", s.campaign_id)
    rows = await conn.fetch(
        "SELECT id, name, url_template, open_by_default FROM integrations WHERE active ORDER BY name"
    )
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "url": render_url(r["url_template"], visible),
            "open_by_default": r["open_by_default"],
            "campaign_default": r["id"] == default_id,
        }
        for r in rows
    ]


async def customer_url(conn: asyncpg.Connection, s: Subject) -> str | None:
    """The campaign's default integration address, filled with real values: fetched by the server only."""
    template = await conn.fetchval(
        "SELECT i.url_template FROM campaigns c JOIN integrations i ON i.id = c.integration_id "
        "WHERE c.id = $1 AND i.active",
        s.campaign_id,
    )
    if template is None:
        return None
    return render_url(str(template), _placeholders(await _attrs(conn, s.contact_id), s))
