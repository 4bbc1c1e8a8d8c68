"""What the dialing pages share: the principal, organization checks, form options."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp import web

from dialer.access.policy import Principal, require_org
from dialer.dialing import campaigns
from dialer.errors import NotFound
from web import sessions

OPTION_SQL = {
    "strategy_id": "SELECT id, name FROM strategies ORDER BY name",
    "code_group_id": "SELECT id, name FROM code_groups ORDER BY name",
    "restriction_id": "SELECT id, name FROM restrictions ORDER BY name",
    "integration_id": "SELECT id, name FROM integrations ORDER BY name",
    "organization_id": "SELECT id, name FROM organizations ORDER BY name",
    "lists": "SELECT id, name FROM contact_lists ORDER BY name",
    "dnc_lists": "SELECT id, name FROM dnc_lists ORDER BY name",
    "filters": "SELECT id, name FROM contact_filters ORDER BY name",
    "operators": "SELECT id, name FROM operators ORDER BY name",
}


def principal_of(request: web.Request) -> Principal:
    p: Principal = request[sessions.PRINCIPAL]
    return p


async def visible_campaign(conn: asyncpg.Connection, request: web.Request, campaign_id: int) -> dict[str, Any]:
    """The campaign, or NotFound when it belongs to an organization the user does not see."""
    row = await campaigns.get(conn, campaign_id)
    if not principal_of(request).sees_org(row["organization_id"]):
        raise NotFound(f"campaign {campaign_id}")
    return row


def check_org(request: web.Request, data: dict[str, Any]) -> None:
    require_org(principal_of(request), data.get("organization_id"))


async def options(conn: asyncpg.Connection, request: web.Request) -> dict[str, list[tuple[str, str]]]:
    out = {k: [(str(r[0]), r[1]) for r in await conn.fetch(sql)] for k, sql in OPTION_SQL.items()}
    allowed = principal_of(request).org_ids()
    if allowed is not None:
        out["organization_id"] = [o for o in out["organization_id"] if int(o[0]) in allowed]
    return out
