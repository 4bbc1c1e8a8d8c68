"""Callbacks (R4.11): planned calls to a contact at a time, by hand or by batch (CSV) import."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from dialer.contacts.timezones import zone
from dialer.errors import InvalidInput, NotFound

log = logging.getLogger("dialer.dialing")

DEFAULT_PERIOD = timedelta(days=30)  # when the campaign sets no callback period
MAX_IMPORT_ROWS = 50_000
SOURCES = ("manual", "import", "operator", "api")


def _due(raw: Any, tz_name: str) -> datetime:
    if isinstance(raw, datetime):
        value = raw
    else:
        try:
            value = datetime.fromisoformat(str(raw or "").strip())
        except ValueError:
            raise ValueError("a date and time, 2025-03-01T15:30") from None
    # A time without a zone is the campaign's wall time: what the supervisor reads on the clock.
    return value if value.tzinfo else value.replace(tzinfo=zone(tz_name))


async def _clean(
    conn: asyncpg.Connection, campaign: Mapping[str, Any], data: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    e: dict[str, str] = {}
    out: dict[str, Any] = {}
    try:
        out["contact_id"] = int(str(data.get("contact_id") or "").strip())
    except ValueError:
        e["contact_id"] = "must be a whole number"
    try:
        out["due_at"] = _due(data.get("due_at"), campaign["campaign_tz"])
    except ValueError as exc:
        e["due_at"] = str(exc)
    op = data.get("operator_id")
    out["operator_id"] = None
    if op not in (None, ""):
        try:
            out["operator_id"] = int(str(op))
        except ValueError:
            e["operator_id"] = "must be a whole number"
    out["note"] = str(data.get("note") or "").strip()[:1000]
    if e:
        raise InvalidInput(e)
    hours = campaign["callback_hours"]
    period = timedelta(hours=hours) if hours else DEFAULT_PERIOD
    if out["due_at"] < now - timedelta(minutes=1):
        e["due_at"] = "the time has passed"
    elif out["due_at"] > now + period:
        e["due_at"] = f"outside the callback period: at most {period.days} days {period.seconds // 3600} hours ahead"
    contact = await conn.fetchrow(
        "SELECT c.id, cl.position FROM contacts c LEFT JOIN campaign_lists cl "
        "ON cl.list_id = c.list_id AND cl.campaign_id = $2 WHERE c.id = $1",
        out["contact_id"], campaign["id"],
    )
    if contact is None:
        e["contact_id"] = "no such contact"
    elif contact["position"] is None:
        e["contact_id"] = "the contact is not in the campaign's lists"
    else:
        out["list_pos"] = contact["position"] if campaign["list_order"] == "ordered" else 0
        field = str(data.get("phone_field") or "").strip()
        phones = [r[0] for r in await conn.fetch(
            "SELECT field FROM contact_phones WHERE contact_id = $1 ORDER BY field", out["contact_id"]
        )]
        if not phones:
            e["contact_id"] = "the contact has no phone"
        elif field and field not in phones:
            e["phone_field"] = "the contact has no phone in this field"
        out["phone_field"] = field or (phones[0] if phones else "")
    if out["operator_id"] is not None and not await conn.fetchval(
        "SELECT true FROM operators WHERE id = $1", out["operator_id"]
    ):
        e["operator_id"] = "no such operator"
    if e:
        raise InvalidInput(e)
    return out


async def _campaign(conn: asyncpg.Connection, campaign_id: int) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM campaigns WHERE id = $1", campaign_id)
    if row is None:
        raise NotFound(f"campaign {campaign_id}")
    return row


async def _insert(
    conn: asyncpg.Connection, campaign_id: int, v: dict[str, Any], source: str, user_id: int | None
) -> int:
    # The selector leases the contact's dial-state row; make sure it exists before the campaign starts.
    await conn.execute(
        "INSERT INTO campaign_contacts (campaign_id, contact_id, list_pos, phone_field) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT DO NOTHING",
        campaign_id, v["contact_id"], v["list_pos"], v["phone_field"],
    )
    cb_id: int = await conn.fetchval(
        "INSERT INTO callbacks (campaign_id, contact_id, phone_field, due_at, operator_id, note, source, created_by) "
        "VALUES ($1,$2,$3,$4,$5,$6,$7,$8) RETURNING id",
        campaign_id, v["contact_id"], v["phone_field"], v["due_at"], v["operator_id"], v["note"], source, user_id,
    )
    return cb_id


async def create(
    conn: asyncpg.Connection, campaign_id: int, data: Mapping[str, Any], now: datetime,
    source: str = "manual", user_id: int | None = None,
) -> int:
    campaign = await _campaign(conn, campaign_id)
    v = await _clean(conn, campaign, data, now)
    async with conn.transaction():
        cb_id = await _insert(conn, campaign_id, v, source, user_id)
    log.info("campaign %s: callback %s for contact %s at %s", campaign_id, cb_id, v["contact_id"], v["due_at"])
    return cb_id


async def cancel(conn: asyncpg.Connection, campaign_id: int, callback_id: int) -> None:
    done = await conn.fetchval(
        "UPDATE callbacks SET state = 'cancelled', done_at = now() WHERE id = $1 AND campaign_id = $2 "
        "AND state = 'planned' RETURNING id",
        callback_id, campaign_id,
    )
    if done is None:
        raise NotFound(f"planned callback {callback_id}")


async def import_csv(
    conn: asyncpg.Connection, campaign_id: int, text: str, now: datetime, user_id: int | None = None
) -> int:
    """All rows or none: columns contact_id, due_at, and optionally phone_field, operator_id, note.

    Errors name the row (the header is row 1) and the column.
    """
    campaign = await _campaign(conn, campaign_id)
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter)
    if not reader.fieldnames or not {"contact_id", "due_at"} <= {f.strip() for f in reader.fieldnames}:
        raise InvalidInput({"file": "the first row names the columns: contact_id, due_at"})
    rows: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for n, raw in enumerate(reader, 2):
        if n > MAX_IMPORT_ROWS + 1:
            raise InvalidInput({"file": f"at most {MAX_IMPORT_ROWS} rows"})
        data = {(k or "").strip(): (v or "").strip() for k, v in raw.items()}
        try:
            rows.append(await _clean(conn, campaign, data, now))
        except InvalidInput as exc:
            for col, msg in exc.fields.items():
                if len(errors) < 20:
                    errors[f"row {n}, {col}"] = msg
    if errors:
        raise InvalidInput(errors)
    if not rows:
        raise InvalidInput({"file": "no rows"})
    async with conn.transaction():
        for v in rows:
            await _insert(conn, campaign_id, v, "import", user_id)
    log.info("campaign %s: %d callbacks imported", campaign_id, len(rows))
    return len(rows)
