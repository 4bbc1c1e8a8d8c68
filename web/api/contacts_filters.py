"""REST handlers of contact filters: stored filters and the live preview (R3.5)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer.access.policy import org_condition
from dialer.contacts import filters
from dialer.errors import NotFound
from web.api.common import body, ok
from web.api.contacts import _check_org
from web.api.schemas_contacts import FilterIn, FilterPreviewIn
from web.context import ctx
from web.forms import int_param
from web.views.contacts.common import policy, principal, scoped_list


async def filters_list(request: web.Request) -> web.StreamResponse:
    args: list[Any] = []
    cond = org_condition(principal(request), "organization_id", args)
    async with ctx(request).pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT * FROM contact_filters WHERE {cond} ORDER BY name", *args)
    return ok([{**dict(r), "conditions": r["conditions"]} for r in rows])


async def filters_create(request: web.Request) -> web.StreamResponse:
    data = await body(request, FilterIn)
    _check_org(request, data.organization_id)
    async with ctx(request).pool.acquire() as conn:
        if data.list_id is not None:
            await scoped_list(conn, request, data.list_id)
        fid = await filters.save_filter(conn, data.model_dump())
        return ok(await filters.get_filter(conn, fid), 201)


async def filters_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        found = await filters.get_filter(conn, int_param(request))
    if not principal(request).sees_org(found["organization_id"]):
        raise NotFound(f"filter {found['id']}")
    return ok(found)


async def filters_update(request: web.Request) -> web.StreamResponse:
    data = await body(request, FilterIn)
    _check_org(request, data.organization_id)
    async with ctx(request).pool.acquire() as conn:
        old = await filters.get_filter(conn, int_param(request))
        if not principal(request).sees_org(old["organization_id"]):
            raise NotFound(f"filter {old['id']}")
        fid = await filters.save_filter(conn, data.model_dump(), old["id"])
        return ok(await filters.get_filter(conn, fid))


async def filters_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        old = await filters.get_filter(conn, int_param(request))
        if not principal(request).sees_org(old["organization_id"]):
            raise NotFound(f"filter {old['id']}")
        await filters.delete_filter(conn, old["id"])
    return ok({"deleted": True})


async def filters_preview(request: web.Request) -> web.StreamResponse:
    data = await body(request, FilterPreviewIn)
    who = principal(request)
    async with ctx(request).pool.acquire() as conn:
        if data.list_id is not None:
            await scoped_list(conn, request, data.list_id)
        found = await filters.preview(
            conn,
            [c.model_dump() for c in data.conditions],
            data.list_id,
            lambda args: org_condition(who, "c.organization_id", args),
        )
    show = policy(request)
    found["sample"] = [{**s, "attrs": show(s["attrs"])} for s in found["sample"]]
    return ok(found)
