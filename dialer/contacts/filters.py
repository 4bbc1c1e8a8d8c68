"""Filters (R3.5): conditions on contact fields; one field's conditions join by OR,
different fields by AND. Stored as JSON and compiled to SQL over ``contacts c``; campaigns
reuse :func:`compile_conditions`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import asyncpg

from dialer.contacts.values import ValueProblem, clean_value
from dialer.errors import InvalidInput, NotFound

OPS = ("eq", "ne", "contains", "starts", "gt", "gte", "lt", "lte", "empty", "not_empty")
_CMP = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
_CAST = {"number": "numeric", "date": "date"}


def validate_conditions(raw: Any, types: dict[str, str]) -> list[dict[str, str]]:
    if not isinstance(raw, list):
        raise InvalidInput({"conditions": "a list of conditions"})
    out = []
    for i, cond in enumerate(raw, start=1):
        if not isinstance(cond, dict):
            raise InvalidInput({"conditions": f"condition {i}: an object with field, op, value"})
        name, op = str(cond.get("field") or ""), str(cond.get("op") or "eq")
        if name not in types:
            raise InvalidInput({"conditions": f"condition {i}: unknown field {name!r}"})
        if op not in OPS:
            raise InvalidInput({"conditions": f"condition {i}: unknown operator {op!r}"})
        value = "" if cond.get("value") is None else str(cond.get("value"))
        if op not in ("empty", "not_empty", "contains", "starts"):
            try:
                value = clean_value(types[name], value) or ""
            except ValueProblem as exc:
                raise InvalidInput({"conditions": f"condition {i} ({name}): {exc}"}) from None
        out.append({"field": name, "op": op, "value": value})
    return out


def compile_conditions(
    conditions: Sequence[dict[str, str]], types: dict[str, str], args: list[Any], alias: str = "c"
) -> str:
    """SQL over ``{alias}.attrs``; parameters are appended to ``args``. Empty: TRUE."""
    groups: dict[str, list[str]] = {}
    for cond in conditions:
        name, op, value = cond["field"], cond["op"], cond["value"]
        args.append(name)
        text = f"({alias}.attrs ->> ${len(args)})"
        if op == "empty":
            sql = f"coalesce({text}, '') = ''"
        elif op == "not_empty":
            sql = f"coalesce({text}, '') <> ''"
        elif op in ("contains", "starts"):
            args.append(
                ("%" if op == "contains" else "") + value.replace("%", r"\%").replace("_", r"\_") + "%"
            )
            sql = f"{text} ILIKE ${len(args)}"
        else:
            args.append(value)
            cast = _CAST.get(types.get(name, "text"))
            left, right = (
                (f"{text}::{cast}", f"${len(args)}::text::{cast}") if cast else (text, f"${len(args)}")
            )
            sql = f"{left} {_CMP.get(op, '=' if op == 'eq' else '<>')} {right}"
            if op == "ne":
                sql = f"({text} IS NULL OR {sql})"
        groups.setdefault(name, []).append(sql)
    if not groups:
        return "TRUE"
    return " AND ".join("(" + " OR ".join(parts) + ")" for parts in groups.values())


async def field_types(conn: asyncpg.Connection) -> dict[str, str]:
    return {r["name"]: r["type"] for r in await conn.fetch("SELECT name, type FROM contact_fields")}


async def save_filter(conn: asyncpg.Connection, data: dict[str, Any], filter_id: int | None = None) -> int:
    name = str(data.get("name") or "").strip()
    if not name:
        raise InvalidInput({"name": "required"})
    conditions = validate_conditions(data.get("conditions") or [], await field_types(conn))
    list_id = int(data["list_id"]) if data.get("list_id") not in (None, "") else None
    org = data.get("organization_id")
    org_id = int(org) if org not in (None, "") else None
    blob = conditions
    try:
        if filter_id is None:
            new_id: int = await conn.fetchval(
                "INSERT INTO contact_filters (name, list_id, organization_id, conditions) "
                "VALUES ($1,$2,$3,$4::jsonb) RETURNING id",
                name,
                list_id,
                org_id,
                blob,
            )
            return new_id
        done = await conn.fetchval(
            "UPDATE contact_filters SET name=$2, list_id=$3, organization_id=$4, conditions=$5::jsonb "
            "WHERE id=$1 RETURNING id",
            filter_id,
            name,
            list_id,
            org_id,
            blob,
        )
    except asyncpg.UniqueViolationError:
        raise InvalidInput({"name": "a filter with this name exists"}) from None
    if done is None:
        raise NotFound(f"filter {filter_id}")
    return filter_id


async def get_filter(conn: asyncpg.Connection, filter_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM contact_filters WHERE id=$1", filter_id)
    if row is None:
        raise NotFound(f"filter {filter_id}")
    out = dict(row)
    out["conditions"] = row["conditions"]
    return out


async def delete_filter(conn: asyncpg.Connection, filter_id: int) -> None:
    await get_filter(conn, filter_id)
    await conn.execute("DELETE FROM contact_filters WHERE id=$1", filter_id)


async def preview(
    conn: asyncpg.Connection,
    conditions: Any,
    list_id: int | None,
    scope: Callable[[list[Any]], str] | None = None,
    sample: int = 10,
) -> dict[str, Any]:
    """Count and a sample of the contacts matching ``conditions`` (validated here)."""
    types = await field_types(conn)
    clean = validate_conditions(conditions, types)
    args: list[Any] = []
    where = [compile_conditions(clean, types, args)]
    if list_id is not None:
        args.append(list_id)
        where.append(f"c.list_id = ${len(args)}")
    if scope is not None:
        where.append(scope(args))
    sql_where = " AND ".join(where)
    count = await conn.fetchval(f"SELECT count(*) FROM contacts c WHERE {sql_where}", *args)
    rows = await conn.fetch(
        f"SELECT c.id, c.list_id, c.attrs FROM contacts c WHERE {sql_where} ORDER BY c.id LIMIT {int(sample)}",
        *args,
    )
    return {
        "count": count,
        "sample": [{"id": r["id"], "list_id": r["list_id"], "attrs": r["attrs"]} for r in rows],
    }
