"""Helpers shared by the contacts pages and API: scoping, field policy, options."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp import web

from dialer.access.policy import Principal, apply_field_policy
from dialer.errors import NotFound
from web import sessions
from web.context import ctx


def principal(request: web.Request) -> Principal:
    p: Principal = request[sessions.PRINCIPAL]
    return p


def region(request: web.Request) -> str:
    return ctx(request).settings.phone_region


async def scoped_list(conn: asyncpg.Connection, request: web.Request, list_id: int) -> dict[str, Any]:
    """The list if the principal's organizations include it; otherwise NotFound (not 403,
    so ids of other organizations' lists are not revealed)."""
    from dialer.contacts.lists import get_list

    info = await get_list(conn, list_id)
    if not principal(request).sees_org(info["organization_id"]):
        raise NotFound(f"contact list {list_id}")
    return info


async def scoped_dnc(conn: asyncpg.Connection, request: web.Request, dnc_id: int) -> dict[str, Any]:
    from dialer.contacts.dnc import get_dnc_list

    info = await get_dnc_list(conn, dnc_id)
    if not principal(request).sees_org(info["organization_id"]):
        raise NotFound(f"DNC list {dnc_id}")
    return info


def policy(request: web.Request) -> Any:
    """The field policy of this principal as a function of attrs (R1.3)."""
    who = principal(request)
    return lambda attrs: apply_field_policy(who, attrs)


async def org_options(conn: asyncpg.Connection, request: web.Request) -> list[tuple[int, str]]:
    allowed = principal(request).org_ids()
    rows = await conn.fetch("SELECT id, name FROM organizations ORDER BY name")
    return [(r["id"], r["name"]) for r in rows if allowed is None or r["id"] in allowed]


async def list_options(conn: asyncpg.Connection, request: web.Request) -> list[tuple[int, str]]:
    p = principal(request)
    rows = await conn.fetch("SELECT id, name, organization_id FROM contact_lists ORDER BY name")
    return [(r["id"], r["name"]) for r in rows if p.sees_org(r["organization_id"])]
