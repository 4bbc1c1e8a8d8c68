"""Organizations partition users and, later, campaigns, lists and report data (R1.5)."""

from __future__ import annotations

from typing import Any

import asyncpg

from dialer.errors import Conflict, InvalidInput, NotFound


def validate_org(data: dict[str, Any]) -> dict[str, str]:
    name = str(data.get("name", "") or "").strip()
    errors = {}
    if not name:
        errors["name"] = "required"
    elif len(name) > 200:
        errors["name"] = "at most 200 characters"
    if errors:
        raise InvalidInput(errors)
    return {"name": name, "description": str(data.get("description", "") or "").strip()}


async def save_org(conn: asyncpg.Connection, data: dict[str, Any], org_id: int | None = None) -> int:
    clean = validate_org(data)
    try:
        if org_id is None:
            new_id: int = await conn.fetchval(
                "INSERT INTO organizations (name, description) VALUES ($1,$2) RETURNING id",
                clean["name"],
                clean["description"],
            )
            return new_id
        done = await conn.fetchval(
            "UPDATE organizations SET name=$2, description=$3 WHERE id=$1 RETURNING id",
            org_id,
            clean["name"],
            clean["description"],
        )
        if done is None:
            raise NotFound(f"organization {org_id}")
        return org_id
    except asyncpg.UniqueViolationError:
        raise InvalidInput({"name": "an organization with this name exists"}) from None


async def get_org(conn: asyncpg.Connection, org_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM organizations WHERE id=$1", org_id)
    if row is None:
        raise NotFound(f"organization {org_id}")
    return dict(row)


async def delete_org(conn: asyncpg.Connection, org_id: int) -> None:
    await get_org(conn, org_id)
    users = await conn.fetch(
        "SELECT login FROM users WHERE organization_id=$1 ORDER BY login LIMIT 5", org_id
    )
    if users:
        raise Conflict("the organization has users: " + ", ".join(r["login"] for r in users))
    try:
        await conn.execute("DELETE FROM organizations WHERE id=$1", org_id)
    except asyncpg.ForeignKeyViolationError as exc:
        raise Conflict(f"the organization is in use: {exc.detail or exc}") from None


async def org_choices(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch("SELECT id, name FROM organizations ORDER BY name")]
