"""The supervisor console's campaign figures (R8.1), computed in SQL in one round trip each.

Abandon rate follows ``fs_app.pacing.abandon``: a person-answered call not connected to an
operator within 2 s of answer, over person-answered calls; ``wait_to_operator_ms`` is what the
engine measured from the moment the person was ready, so no clock of ours is involved.
"""

from __future__ import annotations

from typing import Any

import asyncpg

from dialer.access.policy import Principal, org_condition

GRACE_MS = 2000

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

_ABANDON = """
SELECT campaign_id,
       count(*) FILTER (WHERE answered_at > now() - interval '24 hours') AS live_24h,
       count(*) FILTER (WHERE answered_at > now() - interval '24 hours' AND {aband}) AS aband_24h,
       count(*) AS live_30d,
       count(*) FILTER (WHERE {aband}) AS aband_30d
FROM call_attempts
WHERE campaign_id = ANY($1::int[]) AND answered_at > now() - interval '30 days'
  AND (amd_verdict IS NULL OR amd_verdict = 'human')
GROUP BY campaign_id
""".format(aband=f"(connected_at IS NULL OR wait_to_operator_ms > {GRACE_MS})")


def _rate(abandoned: int, live: int) -> float | None:
    return round(100.0 * abandoned / live, 2) if live else None


async def campaign_counters(conn: asyncpg.Connection, principal: Principal | None) -> list[dict[str, Any]]:
    """Active (running or paused) campaigns with their counts; ``principal`` limits organizations."""
    args: list[Any] = []
    orgs = org_condition(principal, "c.organization_id", args) if principal is not None else "TRUE"
    rows = await conn.fetch(_CAMPAIGNS.format(orgs=orgs), *args)
    ids = [r["id"] for r in rows]
    aband = {r["campaign_id"]: r for r in await conn.fetch(_ABANDON, ids)} if ids else {}
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
            "abandon_24h": _rate(int(a["aband_24h"]), int(a["live_24h"])) if a else None,
            "abandon_30d": _rate(int(a["aband_30d"]), int(a["live_30d"])) if a else None,
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
