"""REST handlers of campaign configuration: the same objects and checks as the portal pages."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from dialer.campaigns import refs, telephony
from web.api.common import body, int_query, ok
from web.api.schemas_campaigns import CallerIdDeleteIn, CallerIdImportIn, ConnectorModeIn
from web.context import ctx
from web.forms import int_param
from web.routing import Handler
from web.table import TableParams, fetch_page
from web.views.campaigns.crud import RefPage, check_org, list_where, visible


@dataclass(frozen=True)
class ApiHandlers:
    list: Handler
    get: Handler
    create: Handler
    update: Handler
    delete: Handler


def api_handlers(p: RefPage, model: type[BaseModel]) -> ApiHandlers:
    async def list_(request: web.Request) -> web.StreamResponse:
        params = TableParams.parse(p.table, request.query)
        per = int_query(request, "per", 25, 1, 500)
        params = TableParams(params.sort, params.desc, params.q, params.page, per, params.extra)
        where, args = await list_where(request, p)
        async with ctx(request).pool.acquire() as conn:
            page = await fetch_page(conn, p.table, params, where, args)
        return ok({"items": page.rows, "total": page.total, "page": page.params.page, "pages": page.pages})

    async def get(request: web.Request) -> web.StreamResponse:
        async with ctx(request).pool.acquire() as conn:
            return ok(_public(await visible(conn, request, p, int_param(request))))

    async def save(request: web.Request, obj_id: int | None) -> web.StreamResponse:
        data = (await body(request, model)).model_dump()
        check_org(request, p, data)
        async with ctx(request).pool.acquire() as conn:
            if obj_id is not None:
                await visible(conn, request, p, obj_id)
            new_id = await refs.save(conn, p.kind, data, obj_id)
            return ok(_public(await refs.get(conn, p.kind, new_id)), status=201 if obj_id is None else 200)

    async def create(request: web.Request) -> web.StreamResponse:
        return await save(request, None)

    async def update(request: web.Request) -> web.StreamResponse:
        return await save(request, int_param(request))

    async def delete(request: web.Request) -> web.StreamResponse:
        async with ctx(request).pool.acquire() as conn:
            await visible(conn, request, p, int_param(request))
            await refs.delete(conn, p.kind, int_param(request))
        return ok({"deleted": True})

    return ApiHandlers(list_, get, create, update, delete)


def _public(row: dict[str, Any]) -> dict[str, Any]:
    # A queue's password is write-only: it is sent to the switch, never shown back.
    out = {k: v for k, v in row.items() if k != "password"}
    for key in ("window_start", "window_end"):
        if key in out and out[key] is not None:
            out[key] = out[key].strftime("%H:%M")
    return out


async def caller_ids_import(request: web.Request) -> web.StreamResponse:
    data = await body(request, CallerIdImportIn)
    async with ctx(request).pool.acquire() as conn:
        return ok({"imported": await telephony.import_caller_ids(conn, data.text)})


async def caller_ids_delete(request: web.Request) -> web.StreamResponse:
    data = await body(request, CallerIdDeleteIn)
    async with ctx(request).pool.acquire() as conn:
        return ok({"deleted": await telephony.delete_caller_ids(conn, data.ids)})


async def connector_mode_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok({"mode": await conn.fetchval("SELECT mode FROM connector_settings")})


async def connector_mode_put(request: web.Request) -> web.StreamResponse:
    data = await body(request, ConnectorModeIn)
    async with ctx(request).pool.acquire() as conn:
        await telephony.set_connector_mode(conn, data.mode)
    return ok({"mode": data.mode})
