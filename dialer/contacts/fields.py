"""Contact fields (R3.1): name, title, type, description, mask, client-identifier flag."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import asyncpg

from dialer.contacts.values import FIELD_TYPES
from dialer.errors import Conflict, InvalidInput, NotFound

_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass(frozen=True)
class Field:
    id: int
    name: str
    title: str
    type: str

    @property
    def label(self) -> str:
        return self.title or self.name


def validate_field(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    kind = str(data.get("type") or "").strip().lower()
    if not _NAME.match(name):
        errors["name"] = "latin letters, digits and _, starting with a letter"
    if kind not in FIELD_TYPES:
        errors["type"] = "choose a type"
    if errors:
        raise InvalidInput(errors)
    flag = data.get("is_client_id")
    return {
        "name": name,
        "type": kind,
        "title": str(data.get("title") or "").strip()[:200],
        "description": str(data.get("description") or "").strip(),
        "mask": str(data.get("mask") or "").strip()[:200],
        "is_client_id": flag in (True, "on", "true", "1", 1),
    }


async def save_field(conn: asyncpg.Connection, data: dict[str, Any], field_id: int | None = None) -> int:
    clean = validate_field(data)
    cols = ("name", "type", "title", "description", "mask", "is_client_id")
    values = [clean[c] for c in cols]
    try:
        if field_id is None:
            new_id: int = await conn.fetchval(
                "INSERT INTO contact_fields (name, type, title, description, mask, is_client_id) "
                "VALUES ($1,$2,$3,$4,$5,$6) RETURNING id",
                *values,
            )
            return new_id
        old = await get_field(conn, field_id)
        if old["name"] != clean["name"] or old["type"] != clean["type"]:
            # Stored attrs are keyed by name and canonical for the type: changing either
            # would orphan or misread them.
            used = await conn.fetchval("SELECT count(*) FROM contact_list_fields WHERE field_id=$1", field_id)
            if used:
                raise InvalidInput({"name": "name and type cannot change while lists use the field"})
        await conn.execute(
            "UPDATE contact_fields SET name=$2, type=$3, title=$4, description=$5, mask=$6, "
            "is_client_id=$7 WHERE id=$1",
            field_id,
            *values,
        )
        return field_id
    except asyncpg.UniqueViolationError:
        raise InvalidInput({"name": "a field with this name exists"}) from None


async def get_field(conn: asyncpg.Connection, field_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM contact_fields WHERE id=$1", field_id)
    if row is None:
        raise NotFound(f"field {field_id}")
    return dict(row)


async def all_fields(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch("SELECT * FROM contact_fields ORDER BY name")]


async def delete_field(conn: asyncpg.Connection, field_id: int) -> None:
    await get_field(conn, field_id)
    lists = await conn.fetch(
        "SELECT l.name FROM contact_list_fields lf JOIN contact_lists l ON l.id = lf.list_id "
        "WHERE lf.field_id=$1 ORDER BY l.name LIMIT 5",
        field_id,
    )
    if lists:
        raise Conflict("the field is used by lists: " + ", ".join(r["name"] for r in lists))
    await conn.execute("DELETE FROM contact_fields WHERE id=$1", field_id)


async def list_fields(conn: asyncpg.Connection, list_id: int) -> list[Field]:
    rows = await conn.fetch(
        "SELECT f.id, f.name, f.title, f.type FROM contact_list_fields lf "
        "JOIN contact_fields f ON f.id = lf.field_id WHERE lf.list_id=$1 ORDER BY lf.position, f.name",
        list_id,
    )
    return [Field(r["id"], r["name"], r["title"], r["type"]) for r in rows]
