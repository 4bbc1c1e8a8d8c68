"""Contacts (R3.3) edited by hand: typed attributes, normalised phones, deletion."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import asyncpg

from dialer.contacts.fields import Field, list_fields
from dialer.contacts.lists import get_list
from dialer.contacts.timezones import resolve_one
from dialer.contacts.values import ValueProblem, clean_value
from dialer.errors import InvalidInput, NotFound

_ATTR = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


def clean_attrs(
    fields: Sequence[Field], data: dict[str, Any], region: str
) -> tuple[dict[str, str], dict[str, str]]:
    """Typed attrs and the phones among them; InvalidInput names every bad field."""
    by_name = {f.name: f for f in fields}
    attrs: dict[str, str] = {}
    phones: dict[str, str] = {}
    errors: dict[str, str] = {}
    for key, raw in data.items():
        field = by_name.get(key)
        if field is None and not _ATTR.match(key):
            errors[key] = "attribute names are latin letters, digits and _"
            continue
        try:
            value = clean_value(field.type if field else "text", raw, region)
        except ValueProblem as exc:
            errors[key] = str(exc)
            continue
        if value is None:
            continue
        attrs[key] = value
        if field is not None and field.type == "phone":
            phones[key] = value
    if errors:
        raise InvalidInput(errors)
    return attrs, phones


async def save_contact(
    conn: asyncpg.Connection,
    list_id: int,
    data: dict[str, Any],
    contact_id: int | None = None,
    region: str = "RU",
) -> int:
    info = await get_list(conn, list_id)
    fields = await list_fields(conn, list_id)
    attrs, phones = clean_attrs(fields, data, region)
    if not attrs:
        raise InvalidInput({"__all__": "fill in at least one field"})
    async with conn.transaction():
        if contact_id is None:
            contact_id = await conn.fetchval(
                "INSERT INTO contacts (list_id, organization_id, attrs) VALUES ($1,$2,$3::jsonb) RETURNING id",
                list_id,
                info["organization_id"],
                attrs,
            )
        else:
            done = await conn.fetchval(
                "UPDATE contacts SET attrs=$3::jsonb, updated_at=now() WHERE id=$1 AND list_id=$2 RETURNING id",
                contact_id,
                list_id,
                attrs,
            )
            if done is None:
                raise NotFound(f"contact {contact_id}")
            await conn.execute("DELETE FROM contact_phones WHERE contact_id=$1", contact_id)
        for field_name, e164 in phones.items():
            tz, source = await resolve_one(conn, e164)
            await conn.execute(
                "INSERT INTO contact_phones (contact_id, list_id, field, e164, tz, tz_source) "
                "VALUES ($1,$2,$3,$4,$5,$6)",
                contact_id,
                list_id,
                field_name,
                e164,
                tz,
                source,
            )
    assert contact_id is not None
    return contact_id


async def get_contact(conn: asyncpg.Connection, list_id: int, contact_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(
        "SELECT id, list_id, attrs, created_at, updated_at FROM contacts WHERE id=$1 AND list_id=$2",
        contact_id,
        list_id,
    )
    if row is None:
        raise NotFound(f"contact {contact_id}")
    out = dict(row)
    out["attrs"] = row["attrs"]
    out["phones"] = [
        dict(r)
        for r in await conn.fetch(
            "SELECT field, e164, tz, tz_source FROM contact_phones WHERE contact_id=$1 ORDER BY field",
            contact_id,
        )
    ]
    return out


async def delete_contacts(conn: asyncpg.Connection, list_id: int, ids: Sequence[int] | None) -> int:
    """Delete the given contacts of the list, or all of them when ``ids`` is None."""
    await get_list(conn, list_id)
    if ids is None:
        result = await conn.execute("DELETE FROM contacts WHERE list_id=$1", list_id)
    else:
        result = await conn.execute(
            "DELETE FROM contacts WHERE list_id=$1 AND id = ANY($2::bigint[])", list_id, list(ids)
        )
    return int(result.split()[-1])
