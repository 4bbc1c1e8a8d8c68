"""User-defined dashboards and their widgets (R8.3), and the figures each widget kind shows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from dialer.dialing.amd_estimate import campaign_false_positive_rates
from dialer.errors import InvalidInput, NotFound
from fs_app.engine.abandons import sql_tally_select, tally_of_row

KINDS: dict[str, str] = {
    "call_states": "Call statuses by campaign",
    "operator_states": "Operator states",
    "abandon_rate": "Abandon rate over time",
    "calls_per_hour": "Calls per hour",
    "occupancy": "Occupancy",
}


def _int(data: Mapping[str, Any], key: str, lo: int, hi: int, errors: dict[str, str], default: int) -> int:
    raw = str(data.get(key) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        errors[key] = "a whole number"
        return default
    if not lo <= value <= hi:
        errors[key] = f"between {lo} and {hi}"
    return value


def clean_dashboard(data: Mapping[str, Any]) -> dict[str, Any]:
    name = str(data.get("name") or "").strip()
    errors = {}
    if not name:
        errors["name"] = "required"
    elif len(name) > 200:
        errors["name"] = "at most 200 characters"
    if errors:
        raise InvalidInput(errors)
    return {"name": name, "description": str(data.get("description") or "").strip()[:2000],
            "on_home": str(data.get("on_home") or "") in ("1", "on", "true")}


def clean_widget(data: Mapping[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = str(data.get("title") or "").strip()
    kind = str(data.get("kind") or "")
    if not title:
        errors["title"] = "required"
    if kind not in KINDS:
        errors["kind"] = "choose a widget type"
    campaign = _int(data, "campaign_id", 1, 2**31 - 1, errors, 0)
    out = {"title": title[:200], "kind": kind, "campaign_id": campaign or None,
           "position": _int(data, "position", 0, 1000, errors, 0),
           "width": _int(data, "width", 1, 3, errors, 1), "height": _int(data, "height", 1, 3, errors, 1)}
    if errors:
        raise InvalidInput(errors)
    return out


async def list_for(conn: asyncpg.Connection, user_id: int) -> list[dict[str, Any]]:
    rows = await conn.fetch("SELECT id, name, description, on_home FROM dashboards WHERE user_id = $1 ORDER BY name",
                            user_id)
    return [dict(r) for r in rows]


async def get(conn: asyncpg.Connection, user_id: int, dashboard_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT id, name, description, on_home FROM dashboards WHERE id = $1 AND user_id = $2",
                              dashboard_id, user_id)
    if row is None:
        raise NotFound(f"dashboard {dashboard_id}")
    widgets = await conn.fetch("SELECT id, title, kind, campaign_id, position, width, height FROM dashboard_widgets "
                               "WHERE dashboard_id = $1 ORDER BY position, id", dashboard_id)
    return {**dict(row), "widgets": [dict(w) for w in widgets]}


async def create(conn: asyncpg.Connection, user_id: int, data: Mapping[str, Any]) -> int:
    v = clean_dashboard(data)
    new_id: int = await conn.fetchval("INSERT INTO dashboards (user_id, name, description, on_home) "
                                      "VALUES ($1, $2, $3, $4) RETURNING id", user_id, v["name"], v["description"],
                                      v["on_home"])
    return new_id


async def update(conn: asyncpg.Connection, user_id: int, dashboard_id: int, data: Mapping[str, Any]) -> None:
    await get(conn, user_id, dashboard_id)
    v = clean_dashboard(data)
    await conn.execute("UPDATE dashboards SET name = $2, description = $3, on_home = $4 WHERE id = $1",
                       dashboard_id, v["name"], v["description"], v["on_home"])


async def delete(conn: asyncpg.Connection, user_id: int, dashboard_id: int) -> None:
    await get(conn, user_id, dashboard_id)
    await conn.execute("DELETE FROM dashboards WHERE id = $1", dashboard_id)


async def save_widget(conn: asyncpg.Connection, user_id: int, dashboard_id: int, widget_id: int | None,
                      data: Mapping[str, Any]) -> int:
    """Add (``widget_id`` None) or change a widget: move, resize, rename, retype, filter."""
    await get(conn, user_id, dashboard_id)
    v = clean_widget(data)
    if v["campaign_id"] is not None and not await conn.fetchval("SELECT 1 FROM campaigns WHERE id = $1",
                                                                v["campaign_id"]):
        raise InvalidInput({"campaign_id": "no such campaign"})
    if widget_id is None:
        wid: int = await conn.fetchval(
            "INSERT INTO dashboard_widgets (dashboard_id, title, kind, campaign_id, position, width, height) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id", dashboard_id, v["title"], v["kind"],
            v["campaign_id"], v["position"], v["width"], v["height"])
        return wid
    done = await conn.execute(
        "UPDATE dashboard_widgets SET title = $3, kind = $4, campaign_id = $5, position = $6, width = $7, "
        "height = $8 WHERE id = $2 AND dashboard_id = $1", dashboard_id, widget_id, v["title"], v["kind"],
        v["campaign_id"], v["position"], v["width"], v["height"])
    if done.endswith(" 0"):
        raise NotFound(f"widget {widget_id}")
    return widget_id


async def delete_widget(conn: asyncpg.Connection, user_id: int, dashboard_id: int, widget_id: int) -> None:
    await get(conn, user_id, dashboard_id)
    await conn.execute("DELETE FROM dashboard_widgets WHERE id = $1 AND dashboard_id = $2", widget_id, dashboard_id)


# --- figures ----------------------------------------------------------------------------------

async def series(conn: asyncpg.Connection, kind: str, campaign_id: int | None) -> list[tuple[str, float]]:
    """(label, value) pairs of the database-backed kinds; live kinds come from the console bridge."""
    if kind == "call_states":
        rows = await conn.fetch(
            "SELECT coalesce(code, state) AS label, count(*) AS n FROM call_attempts "
            "WHERE started_at > now() - interval '24 hours' AND ($1::int IS NULL OR campaign_id = $1) "
            "GROUP BY 1 ORDER BY 2 DESC LIMIT 12", campaign_id)
        return [(str(r["label"]), float(r["n"])) for r in rows]
    hourly = (
        "SELECT to_char(h, 'HH24') AS label, {value} AS v FROM generate_series(date_trunc('hour', now()) - "
        "interval '23 hours', date_trunc('hour', now()), interval '1 hour') h LEFT JOIN call_attempts a "
        "ON date_trunc('hour', a.{col}) = h AND ($1::int IS NULL OR a.campaign_id = $1) {extra} "
        "GROUP BY h ORDER BY h")
    if kind == "calls_per_hour":
        sql = hourly.format(value="count(a.id)", col="started_at", extra="")
    elif kind == "abandon_rate":
        return await _abandon_series(conn, campaign_id)
    elif kind == "occupancy":
        # Talk time per hour as a share of the hour for one operator-hour: a rough load figure.
        sql = hourly.format(value="coalesce(sum(extract(epoch FROM a.ended_at - a.connected_at)) / 36.0, 0)",
                            col="connected_at", extra="AND a.ended_at IS NOT NULL")
    else:
        return []
    return [(str(r["label"]), float(r["v"])) for r in await conn.fetch(sql, campaign_id)]


async def _abandon_series(conn: asyncpg.Connection, campaign_id: int | None) -> list[tuple[str, float]]:
    """Abandon rate per hour, counted as the engine's governor and the console count it
    (``fs_app.engine.abandons``): per campaign, then summed, each with its AMD false-positive estimate."""
    rows = await conn.fetch(
        "SELECT to_char(h, 'HH24') AS label, h, a.campaign_id, " + sql_tally_select("a") + " FROM generate_series("
        "date_trunc('hour', now()) - interval '23 hours', date_trunc('hour', now()), interval '1 hour') h "
        "LEFT JOIN call_attempts a ON date_trunc('hour', a.answered_at) = h AND ($1::int IS NULL OR "
        "a.campaign_id = $1) GROUP BY h, a.campaign_id ORDER BY h", campaign_id)
    fps = await campaign_false_positive_rates(conn, {r["campaign_id"] for r in rows if r["campaign_id"] is not None})
    hours: dict[str, list[float]] = {}
    for r in rows:
        counts = tally_of_row(r).counts(fps.get(r["campaign_id"], 0.0))
        live_aband = hours.setdefault(r["label"], [0.0, 0.0])
        live_aband[0] += counts.live
        live_aband[1] += counts.abandoned
    return [(label, 100.0 * ab / live if live > 0 else 0.0) for label, (live, ab) in hours.items()]
