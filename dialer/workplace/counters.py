"""The supervisor console's campaign figures (R8.1), computed in SQL in one round trip each.

Abandon rate follows ``fs_app.pacing.abandon`` exactly as the call engine's governor counts it
(``fs_app.engine.abandons``: the SQL twin of its per-attempt rule, then the same arithmetic): a
person-answered call not connected to an operator within 2 s of being ready, over person-answered
calls -- a machine verdict the pacer sent to an operator counts as a person, an AMD hang-up as the
estimated share of one. ``wait_to_operator_ms`` is what the engine measured from the moment the
person was ready, so no clock of ours is involved.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from dialer.access.policy import Principal, org_condition
from dialer.dialing.amd_estimate import campaign_false_positive_rates
from fs_app.engine.abandons import GRACE_S, Tally, sql_tally_select, tally_of_row
from fs_app.pacing import AbandonCounts

GRACE_MS = round(GRACE_S * 1000)

_CAMPAIGNS = """
SELECT c.id, c.name, c.state, c.state_reason, c.started_at,
       count(cc.contact_id) AS contacts,
       count(cc.contact_id) FILTER (WHERE cc.attempts > 0) AS called,
       count(cc.contact_id) FILTER (WHERE cc.state IN ('new', 'retry')) AS remaining,
       count(cc.contact_id) FILTER (WHERE cc.state = 'done') AS done,
       (SELECT count(*) FROM callbacks b WHERE b.campaign_id = c.id AND b.state = 'planned') AS callbacks_planned
FROM campaigns c LEFT JOIN campaign_contacts cc ON cc.campaign_id = c.id
WHERE c.state IN ('running', 'paused') AND {orgs}
GROUP BY c.id ORDER BY c.name
"""

# Per campaign and window part (the last 24 hours, or the rest of the 30 days), the four counts.
_ABANDON = f"""
SELECT a.campaign_id, a.answered_at >= now() - interval '24 hours' AS day, {sql_tally_select("a", GRACE_MS)}
FROM call_attempts a
WHERE a.campaign_id = ANY($1::int[]) AND a.answered_at >= now() - interval '30 days'
GROUP BY 1, 2
"""


def _rate(counts: AbandonCounts) -> float | None:
    return round(100.0 * counts.abandoned / counts.live, 2) if counts.live > 0 else None


async def abandon_windows(conn: asyncpg.Connection, ids: list[int]) -> dict[int, tuple[AbandonCounts, AbandonCounts]]:
    """(last 24 h, last 30 days) per campaign, AMD false positives estimated as the engine does."""
    if not ids:
        return {}
    day: dict[int, Tally] = {}
    month: dict[int, Tally] = {}
    for r in await conn.fetch(_ABANDON, ids):
        tally = tally_of_row(r)
        month[r["campaign_id"]] = month.get(r["campaign_id"], Tally()) + tally
        if r["day"]:
            day[r["campaign_id"]] = day.get(r["campaign_id"], Tally()) + tally
    fps = await campaign_false_positive_rates(conn, list(month))
    return {cid: (day.get(cid, Tally()).counts(fps.get(cid, 0.0)), t.counts(fps.get(cid, 0.0)))
            for cid, t in month.items()}


async def campaign_counters(conn: asyncpg.Connection, principal: Principal | None) -> list[dict[str, Any]]:
    """Active (running or paused) campaigns with their counts; ``principal`` limits organizations."""
    args: list[Any] = []
    orgs = org_condition(principal, "c.organization_id", args) if principal is not None else "TRUE"
    rows = await conn.fetch(_CAMPAIGNS.format(orgs=orgs), *args)
    ids = [r["id"] for r in rows]
    aband = await abandon_windows(conn, ids)
    out = []
    for r in rows:
        a = aband.get(r["id"])
        contacts = int(r["contacts"])
        out.append({
            "id": r["id"], "name": r["name"], "state": r["state"], "state_reason": r["state_reason"],
            "started_at": r["started_at"].isoformat() if r["started_at"] else None,
            "contacts": contacts, "called": int(r["called"]), "remaining": int(r["remaining"]),
            "callbacks_planned": int(r["callbacks_planned"]),
            "processed_pct": round(100.0 * int(r["done"]) / contacts, 1) if contacts else 0.0,
            "abandon_24h": _rate(a[0]) if a else None,
            "abandon_30d": _rate(a[1]) if a else None,
        })
    return out


async def operator_directory(conn: asyncpg.Connection) -> dict[str, dict[str, Any]]:
    """Engine operator id (operators.id as text) -> name, user, skills, signed-in number."""
    rows = await conn.fetch(
        "SELECT o.id, o.name, o.user_id, o.organization_id, w.number, w.mode, "
        "coalesce(string_agg(s.name || '=' || k.level, ', ' ORDER BY s.name), '') AS skills "
        "FROM operators o LEFT JOIN workplace_sessions w ON w.operator_id = o.id "
        "LEFT JOIN operator_skills k ON k.operator_id = o.id LEFT JOIN skills s ON s.id = k.skill_id "
        "GROUP BY o.id, w.number, w.mode"
    )
    return {str(r["id"]): {"name": r["name"], "user_id": r["user_id"], "organization_id": r["organization_id"],
                           "number": r["number"] or "", "mode": r["mode"] or "", "skills": r["skills"]}
            for r in rows}
