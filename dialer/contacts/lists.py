"""Contact lists (R3.2): name, description, organization, bound fields, contact counts."""

from __future__ import annotations

from typing import Any

import asyncpg

from dialer.errors import Conflict, InvalidInput, NotFound


def _ids(raw: Any) -> list[int]:
    if raw is None or raw == "":
        return []
    items = raw if isinstance(raw, list) else [raw]
    try:
        return [int(x) for x in items]
    except (TypeError, ValueError):
        raise InvalidInput({"field_ids": "field ids must be whole numbers"}) from None


def validate_list(data: dict[str, Any]) -> dict[str, Any]:
    name = str(data.get("name") or "").strip()
    if not name:
        raise InvalidInput({"name": "required"})
    if len(name) > 200:
        raise InvalidInput({"name": "at most 200 characters"})
    org = data.get("organization_id")
    try:
        org_id = int(org) if org not in (None, "") else None
    except (TypeError, ValueError):
        raise InvalidInput({"organization_id": "choose an organization"}) from None
    return {
        "name": name,
        "description": str(data.get("description") or "").strip(),
        "organization_id": org_id,
        "field_ids": _ids(data.get("field_ids")),
    }


async def save_list(conn: asyncpg.Connection, data: dict[str, Any], list_id: int | None = None) -> int:
    clean = validate_list(data)
    async with conn.transaction():
        try:
            if list_id is None:
                list_id = await conn.fetchval(
                    "INSERT INTO contact_lists (name, description, organization_id) VALUES ($1,$2,$3) "
                    "RETURNING id",
                    clean["name"],
                    clean["description"],
                    clean["organization_id"],
                )
            else:
                done = await conn.fetchval(
                    "UPDATE contact_lists SET name=$2, description=$3, organization_id=$4 WHERE id=$1 "
                    "RETURNING id",
                    list_id,
                    clean["name"],
                    clean["description"],
                    clean["organization_id"],
                )
                if done is None:
                    raise NotFound(f"contact list {list_id}")
                # Contacts carry the list's organization so selections need no join.
                await conn.execute(
                    "UPDATE contacts SET organization_id=$2 WHERE list_id=$1 "
                    "AND organization_id IS DISTINCT FROM $2",
                    list_id,
                    clean["organization_id"],
                )
        except asyncpg.UniqueViolationError:
            raise InvalidInput({"name": "a list with this name exists"}) from None
        except asyncpg.ForeignKeyViolationError:
            raise InvalidInput({"organization_id": "choose an organization"}) from None
        assert list_id is not None
        if "field_ids" in data:
            await set_fields(conn, list_id, clean["field_ids"])
    return list_id


async def set_fields(conn: asyncpg.Connection, list_id: int, field_ids: list[int]) -> None:
    known = {r["id"] for r in await conn.fetch("SELECT id FROM contact_fields WHERE id = ANY($1)", field_ids)}
    missing = [str(i) for i in field_ids if i not in known]
    if missing:
        raise InvalidInput({"field_ids": "unknown fields: " + ", ".join(missing)})
    await conn.execute("DELETE FROM contact_list_fields WHERE list_id=$1", list_id)
    await conn.executemany(
        "INSERT INTO contact_list_fields (list_id, field_id, position) VALUES ($1,$2,$3) ON CONFLICT DO NOTHING",
        [(list_id, fid, pos) for pos, fid in enumerate(field_ids)],
    )


async def copy_fields(conn: asyncpg.Connection, from_list: int, to_list: int) -> int:
    """Bind the fields of ``from_list`` to ``to_list`` too; returns how many were added."""
    await get_list(conn, from_list)
    await get_list(conn, to_list)
    result = await conn.execute(
        "INSERT INTO contact_list_fields (list_id, field_id, position) "
        "SELECT $2, field_id, position + 1000 FROM contact_list_fields WHERE list_id=$1 "
        "ON CONFLICT DO NOTHING",
        from_list,
        to_list,
    )
    return int(result.split()[-1])


async def get_list(conn: asyncpg.Connection, list_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT l.*, (SELECT count(*) FROM contacts c WHERE c.list_id = l.id) AS contacts "
        "FROM contact_lists l WHERE l.id=$1",
        list_id,
    )
    if row is None:
        raise NotFound(f"contact list {list_id}")
    out = dict(row)
    out["field_ids"] = [
        r["field_id"]
        for r in await conn.fetch(
            "SELECT field_id FROM contact_list_fields WHERE list_id=$1 ORDER BY position, field_id", list_id
        )
    ]
    return out


async def delete_list(conn: asyncpg.Connection, list_id: int) -> None:
    await get_list(conn, list_id)
    try:
        async with conn.transaction():
            await conn.execute("DELETE FROM contact_lists WHERE id=$1", list_id)
    except asyncpg.ForeignKeyViolationError as exc:
        raise Conflict(f"the list is in use ({exc.table_name or 'another object'})") from None
