"""Start, pause, resume, stop; filling a campaign's dial state; why a running campaign waits."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg

from dialer.contacts.filters import compile_conditions, field_types
from dialer.contacts.timezones import zone
from dialer.dialing import campaigns
from dialer.errors import Conflict, InvalidInput

log = logging.getLogger("dialer.dialing")

# state -> the actions allowed from it
TRANSITIONS: dict[str, dict[str, str]] = {
    "start": {"draft": "running", "stopped": "running", "finished": "running"},
    "pause": {"running": "paused"},
    "resume": {"paused": "running"},
    "stop": {"running": "stopped", "paused": "stopped"},
}


async def _filter_sql(conn: asyncpg.Connection, campaign_id: int, args: list[Any]) -> str:
    """A condition on ``c`` keeping, per filter, its percentage of each list's matching contacts."""
    rows = await conn.fetch(
        "SELECT f.conditions, f.list_id, cf.percent FROM campaign_filters cf "
        "JOIN contact_filters f ON f.id = cf.filter_id WHERE cf.campaign_id = $1 ORDER BY cf.position",
        campaign_id,
    )
    if not rows:
        return "TRUE"
    types = await field_types(conn)
    parts = []
    for r in rows:
        raw = r["conditions"]
        cond = compile_conditions(json.loads(raw) if isinstance(raw, str) else raw, types, args, "x")
        args.append(r["list_id"])
        list_arg = len(args)
        args.append(r["percent"])
        pct_arg = len(args)
        # The first N% by contact id: stable, so a restart keeps the same share.
        parts.append(
            f"c.id IN (SELECT id FROM (SELECT x.id, row_number() OVER w AS rn, count(*) OVER w AS n "
            f"FROM contacts x WHERE x.list_id = ANY($2) AND (${list_arg}::int IS NULL OR x.list_id = ${list_arg}) "
            f"AND {cond} WINDOW w AS (PARTITION BY x.list_id)) s WHERE rn <= ceil(n * ${pct_arg} / 100.0))"
        )
    return "(" + " OR ".join(parts) + ")"


async def populate(conn: asyncpg.Connection, campaign_id: int) -> int:
    """Add the lists' contacts not yet in the campaign; returns how many were added.

    Each contact starts on its first phone field in the list's field order; a contact with
    no phone is recorded as done, so the counts show it.
    """
    row = await campaigns.get(conn, campaign_id)
    args: list[Any] = [campaign_id, row["lists"], row["list_order"] == "ordered"]
    where = await _filter_sql(conn, campaign_id, args)
    sql = f"""
        INSERT INTO campaign_contacts (campaign_id, contact_id, list_pos, phone_field, state, finish_reason)
        SELECT $1, c.id, CASE WHEN $3 THEN cl.position ELSE 0 END, coalesce(fp.field, ''),
               CASE WHEN fp.field IS NULL THEN 'done' ELSE 'new' END,
               CASE WHEN fp.field IS NULL THEN 'no phone' ELSE '' END
        FROM campaign_lists cl
        JOIN contacts c ON c.list_id = cl.list_id
        LEFT JOIN LATERAL (
            SELECT p.field FROM contact_phones p
            LEFT JOIN contact_fields f ON f.name = p.field
            LEFT JOIN contact_list_fields lf ON lf.field_id = f.id AND lf.list_id = c.list_id
            WHERE p.contact_id = c.id ORDER BY lf.position NULLS LAST, p.field LIMIT 1
        ) fp ON true
        WHERE cl.campaign_id = $1 AND cl.list_id = ANY($2) AND {where}
        ON CONFLICT DO NOTHING"""
    status = await conn.execute(sql, *args)
    await conn.execute(
        "INSERT INTO campaign_zones (campaign_id, tz) SELECT DISTINCT $1::int, coalesce(p.tz, '') "
        "FROM contact_phones p WHERE p.list_id = ANY($2) ON CONFLICT DO NOTHING",
        campaign_id, row["lists"],
    )
    await conn.execute("UPDATE campaigns SET populated_at = now() WHERE id = $1", campaign_id)
    added = int(status.split()[-1])
    log.info("campaign %s: %s contacts added", campaign_id, added)
    return added


async def _strategy(conn: asyncpg.Connection, strategy_id: int | None) -> asyncpg.Record | None:
    if strategy_id is None:
        return None
    return await conn.fetchrow("SELECT * FROM strategies WHERE id = $1", strategy_id)


async def change_state(conn: asyncpg.Connection, campaign_id: int, action: str) -> str:
    """Apply a lifecycle action; returns the new state. Refusals say what is missing."""
    if action not in TRANSITIONS:
        raise InvalidInput({"action": "one of: " + ", ".join(TRANSITIONS)})
    async with conn.transaction():
        await conn.execute("SELECT 1 FROM campaigns WHERE id = $1 FOR UPDATE", campaign_id)
        row = await campaigns.get(conn, campaign_id)
        target = TRANSITIONS[action].get(row["state"])
        if target is None:
            raise Conflict(f"a {row['state']} campaign cannot {action}")
        if target == "running":
            errors: dict[str, str] = {}
            if await _strategy(conn, row["strategy_id"]) is None:
                errors["strategy_id"] = "choose a strategy before starting"
            if not row["lists"]:
                errors["lists"] = "add at least one contact list before starting"
            if errors:
                raise InvalidInput(errors)
        if action == "start":
            await populate(conn, campaign_id)
        stamp = {"running": "started_at", "stopped": "stopped_at"}.get(target)
        extra = f", {stamp} = now()" if stamp and action != "resume" else ""
        await conn.execute(
            f"UPDATE campaigns SET state = $2, state_reason = ''{extra} WHERE id = $1", campaign_id, target
        )
    log.info("campaign %s: %s -> %s", campaign_id, row["state"], target)
    return target


async def signed_in_operators(conn: asyncpg.Connection, campaign: dict[str, Any], skill_id: int | None) -> int:
    """Operators signed in (a phone session) who may serve the campaign: its organization, the skill."""
    n: int = await conn.fetchval(
        "SELECT count(DISTINCT o.id) FROM operator_phone_sessions s JOIN operators o ON o.id = s.operator_id "
        "WHERE ($1::int IS NULL OR o.organization_id IS NULL OR o.organization_id = $1) AND ($2::int IS NULL "
        "OR EXISTS (SELECT 1 FROM operator_skills k WHERE k.operator_id = o.id AND k.skill_id = $2))",
        campaign["organization_id"], skill_id,
    )
    return n


async def block_reason(
    conn: asyncpg.Connection, campaign: dict[str, Any], strategy: asyncpg.Record | None, now: datetime,
    operators_ready: int | None = None,
) -> str:
    """Why a campaign dials nothing now ('' when it may dial); stored as state_reason when it changes."""
    reason = ""
    if campaign["state"] != "running":
        reason = f"the campaign is {campaign['state']}"
    elif strategy is None:
        reason = "no strategy"
    elif campaign["start_at"] is not None and now < campaign["start_at"].replace(
        tzinfo=zone(campaign["start_tz"])
    ):
        reason = f"starts at {campaign['start_at']:%Y-%m-%d %H:%M} {campaign['start_tz']}"
    elif strategy["min_operators"] and strategy["dial_mode"] != "agentless":
        have = operators_ready
        if have is None:
            have = await signed_in_operators(conn, campaign, strategy["skill_id"])
        if have < strategy["min_operators"]:
            reason = f"waiting for operators: {have} of {strategy['min_operators']} needed"
    if campaign["state"] == "running" and reason != campaign["state_reason"]:
        await conn.execute("UPDATE campaigns SET state_reason = $2 WHERE id = $1", campaign["id"], reason)
        if reason:
            log.info("campaign %s waits: %s", campaign["id"], reason)
    return reason


async def counts(conn: asyncpg.Connection, campaign_id: int) -> dict[str, int]:
    """The status page's figures."""
    row = await conn.fetchrow(
        "SELECT count(*) AS contacts, count(*) FILTER (WHERE attempts > 0) AS called, "
        "count(*) FILTER (WHERE state IN ('new', 'retry', 'leased')) AS remaining, "
        "count(*) FILTER (WHERE state = 'done') AS done, "
        "count(*) FILTER (WHERE state = 'leased' AND lease_until > now()) AS leased "
        "FROM campaign_contacts WHERE campaign_id = $1",
        campaign_id,
    )
    planned = await conn.fetchval(
        "SELECT count(*) FROM callbacks WHERE campaign_id = $1 AND state = 'planned'", campaign_id
    )
    return {**{k: int(v) for k, v in dict(row).items()}, "callbacks_planned": int(planned)}


def utcnow() -> datetime:
    return datetime.now(UTC)
