"""Campaign records (R4.10): validation, storage with their lists, DNC lists and filters."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import asyncpg

from dialer.contacts.timezones import zone
from dialer.errors import Conflict, InvalidInput, NotFound

log = logging.getLogger("dialer.dialing")

MAX_FILTERS = 4
LIST_ORDERS = ("any", "ordered")
TZ_MODES = ("customer", "campaign")
CALL_DAYS = ("all", "working", "holiday")
STATES = ("draft", "running", "paused", "stopped", "finished")
# Columns stored as given after cleaning; lists, DNC lists and filters are child rows.
COLUMNS = (
    "organization_id", "name", "description", "strategy_id", "code_group_id", "list_order", "finite",
    "weight", "start_at", "start_tz", "tz_mode", "campaign_tz", "call_days", "callback_hours",
    "restriction_id", "prefix", "integration_id", "dnc_ignore_callbacks",
)
_REFS = {  # field -> (table, what the message calls it)
    "strategy_id": "strategies",
    "code_group_id": "code_groups",
    "restriction_id": "restrictions",
    "integration_id": "integrations",
    "organization_id": "organizations",
}


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _int(v: Any, field: str, errors: dict[str, str], lo: int, hi: int, required: bool = False) -> int | None:
    if _blank(v):
        if required:
            errors[field] = "required"
        return None
    try:
        n = int(str(v).strip())
    except ValueError:
        errors[field] = "must be a whole number"
        return None
    if not lo <= n <= hi:
        errors[field] = f"must be between {lo} and {hi}"
        return None
    return n


def _bool(v: Any) -> bool:
    return v in (True, "on", "true", "1", 1, "yes")


def _tz(v: Any, field: str, errors: dict[str, str]) -> str:
    text = str(v or "").strip() or "Europe/Moscow"
    try:
        zone(text)
    except Exception:  # zoneinfo raises several types for a bad key
        errors[field] = "an IANA time zone such as Europe/Moscow"
    return text


def _ids(v: Any, field: str, errors: dict[str, str]) -> list[int]:
    items = v if isinstance(v, list | tuple) else ([] if _blank(v) else str(v).split(","))
    out: list[int] = []
    for item in items:
        try:
            n = int(str(item).strip())
        except ValueError:
            errors[field] = "must be a list of ids"
            return []
        if n not in out:
            out.append(n)
    return out


def _filters(data: Mapping[str, Any], errors: dict[str, str]) -> list[tuple[int, int]]:
    """(filter id, percent) pairs, from the API's list or the form's filter_N / percent_N."""
    raw = data.get("filters")
    pairs: list[tuple[str, Any, Any]] = []
    if isinstance(raw, list):
        for i, item in enumerate(raw, 1):
            item = item if isinstance(item, Mapping) else {}
            pairs.append((f"filters.{i}", item.get("filter_id"), item.get("percent", 100)))
    else:
        pairs = [(f"filter_{i}", data.get(f"filter_{i}"), data.get(f"percent_{i}")) for i in range(1, 5)]
    if len([p for p in pairs if not _blank(p[1])]) > MAX_FILTERS:
        errors["filters"] = f"at most {MAX_FILTERS} filters"
        return []
    out: list[tuple[int, int]] = []
    for name, fid, pct in pairs:
        if _blank(fid):
            continue
        f = _int(fid, name, errors, 1, 2**31 - 1)
        p = _int(pct if not _blank(pct) else 100, name.replace("filter", "percent"), errors, 1, 100)
        if f is not None and p is not None:
            out.append((f, p))
    return out


def clean(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[int], list[int], list[tuple[int, int]]]:
    """Columns, list ids (in order), DNC list ids, filters; InvalidInput names each bad field."""
    e: dict[str, str] = {}
    v: dict[str, Any] = {}
    v["name"] = str(data.get("name") or "").strip()
    if not v["name"]:
        e["name"] = "required"
    elif len(v["name"]) > 200:
        e["name"] = "too long"
    v["description"] = str(data.get("description") or "").strip()[:2000]
    for f in _REFS:
        v[f] = _int(data.get(f), f, e, 1, 2**31 - 1)
    for f, allowed in (("list_order", LIST_ORDERS), ("tz_mode", TZ_MODES), ("call_days", CALL_DAYS)):
        v[f] = str(data.get(f) or allowed[0])
        if v[f] not in allowed:
            e[f] = "one of " + ", ".join(allowed)
    v["finite"] = _bool(data.get("finite", True))
    v["dnc_ignore_callbacks"] = _bool(data.get("dnc_ignore_callbacks"))
    v["weight"] = _int(data.get("weight") if not _blank(data.get("weight")) else 1, "weight", e, 1, 100)
    v["callback_hours"] = _int(data.get("callback_hours"), "callback_hours", e, 1, 8760)
    v["start_tz"] = _tz(data.get("start_tz"), "start_tz", e)
    v["campaign_tz"] = _tz(data.get("campaign_tz"), "campaign_tz", e)
    v["start_at"] = None
    raw_start = data.get("start_at")
    if isinstance(raw_start, datetime):
        v["start_at"] = raw_start.replace(tzinfo=None)
    elif not _blank(raw_start):
        try:
            v["start_at"] = datetime.fromisoformat(str(raw_start).strip()).replace(tzinfo=None)
        except ValueError:
            e["start_at"] = "a date and time, 2025-03-01T09:00"
    v["prefix"] = str(data.get("prefix") or "").strip()
    if len(v["prefix"]) > 10 or any(ch not in "0123456789#*" for ch in v["prefix"]):
        e["prefix"] = "up to 10 digits, # or *"
    lists = _ids(data.get("lists"), "lists", e)
    dnc = _ids(data.get("dnc_lists"), "dnc_lists", e)
    filters = _filters(data, e)
    if e:
        raise InvalidInput(e)
    return v, lists, dnc, filters


async def _check_refs(
    conn: asyncpg.Connection, v: dict[str, Any], lists: list[int], dnc: list[int], filters: list[tuple[int, int]]
) -> None:
    e: dict[str, str] = {}
    for f, table in _REFS.items():
        if v[f] is not None and not await conn.fetchval(f"SELECT true FROM {table} WHERE id = $1", v[f]):
            e[f] = "no such object"
    for field, table, ids in (
        ("lists", "contact_lists", lists),
        ("dnc_lists", "dnc_lists", dnc),
        ("filters", "contact_filters", [f for f, _ in filters]),
    ):
        found = {r[0] for r in await conn.fetch(f"SELECT id FROM {table} WHERE id = ANY($1)", ids)}
        missing = [str(i) for i in ids if i not in found]
        if missing:
            e[field] = "no such objects: " + ", ".join(missing)
    if e:
        raise InvalidInput(e)


async def save(conn: asyncpg.Connection, data: Mapping[str, Any], campaign_id: int | None = None) -> int:
    v, lists, dnc, filters = clean(data)
    async with conn.transaction():
        if campaign_id is not None:
            await get(conn, campaign_id)
        await _check_refs(conn, v, lists, dnc, filters)
        cols = list(COLUMNS)
        args = [v[c] for c in cols]
        try:
            if campaign_id is None:
                marks = ", ".join(f"${i}" for i in range(1, len(cols) + 1))
                campaign_id = await conn.fetchval(
                    f"INSERT INTO campaigns ({', '.join(cols)}) VALUES ({marks}) RETURNING id", *args
                )
            else:
                sets = ", ".join(f"{c} = ${i}" for i, c in enumerate(cols, 1))
                await conn.execute(f"UPDATE campaigns SET {sets} WHERE id = ${len(cols) + 1}", *args, campaign_id)
        except asyncpg.UniqueViolationError:
            raise InvalidInput({"name": "a campaign with this name exists"}) from None
        assert campaign_id is not None
        await conn.execute("DELETE FROM campaign_lists WHERE campaign_id = $1", campaign_id)
        await conn.executemany(
            "INSERT INTO campaign_lists (campaign_id, list_id, position) VALUES ($1, $2, $3)",
            [(campaign_id, lid, pos) for pos, lid in enumerate(lists, 1)],
        )
        await conn.execute("DELETE FROM campaign_dnc_lists WHERE campaign_id = $1", campaign_id)
        await conn.executemany(
            "INSERT INTO campaign_dnc_lists (campaign_id, dnc_list_id) VALUES ($1, $2)",
            [(campaign_id, d) for d in dnc],
        )
        await conn.execute("DELETE FROM campaign_filters WHERE campaign_id = $1", campaign_id)
        await conn.executemany(
            "INSERT INTO campaign_filters (campaign_id, position, filter_id, percent) VALUES ($1, $2, $3, $4)",
            [(campaign_id, pos, f, p) for pos, (f, p) in enumerate(filters, 1)],
        )
    log.info("campaign %s (%s) saved", campaign_id, v["name"])
    return campaign_id


async def get(conn: asyncpg.Connection, campaign_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM campaigns WHERE id = $1", campaign_id)
    if row is None:
        raise NotFound(f"campaign {campaign_id}")
    out = dict(row)
    out["lists"] = [
        r[0]
        for r in await conn.fetch(
            "SELECT list_id FROM campaign_lists WHERE campaign_id = $1 ORDER BY position", campaign_id
        )
    ]
    out["dnc_lists"] = [
        r[0]
        for r in await conn.fetch(
            "SELECT dnc_list_id FROM campaign_dnc_lists WHERE campaign_id = $1 ORDER BY 1", campaign_id
        )
    ]
    out["filters"] = [
        {"filter_id": r["filter_id"], "percent": r["percent"]}
        for r in await conn.fetch(
            "SELECT filter_id, percent FROM campaign_filters WHERE campaign_id = $1 ORDER BY position", campaign_id
        )
    ]
    return out


def form_values(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored campaign as the HTML form's fields."""
    out = {k: v for k, v in row.items() if k not in ("filters",)}
    if isinstance(row.get("start_at"), datetime):
        out["start_at"] = row["start_at"].strftime("%Y-%m-%dT%H:%M")
    for i, f in enumerate(row.get("filters") or [], 1):
        out[f"filter_{i}"], out[f"percent_{i}"] = f["filter_id"], f["percent"]
    return out


async def delete(conn: asyncpg.Connection, campaign_id: int) -> None:
    row = await get(conn, campaign_id)
    if row["state"] in ("running", "paused"):
        raise Conflict(f"the campaign {row['name']} is {row['state']}: stop it first")
    await conn.execute("DELETE FROM campaigns WHERE id = $1", campaign_id)
    log.info("campaign %s (%s) deleted", campaign_id, row["name"])
