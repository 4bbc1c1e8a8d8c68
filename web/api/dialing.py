"""REST handlers of campaigns, their lifecycle and status, and callbacks."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer.access.policy import org_condition
from dialer.dialing import callbacks, campaigns, lifecycle
from web.api.common import body, int_query, ok
from web.api.schemas_dialing import CallbackImportIn, CallbackIn, CampaignIn, CampaignStateIn
from web.context import ctx
from web.forms import int_param
from web.table import TableParams, fetch_page
from web.views.dialing.callbacks import TABLE as CALLBACK_TABLE
from web.views.dialing.campaigns import TABLE as CAMPAIGN_TABLE
from web.views.dialing.common import check_org, principal_of, visible_campaign


async def campaign_list(request: web.Request) -> web.StreamResponse:
    p = TableParams.parse(CAMPAIGN_TABLE, request.query)
    p = TableParams(p.sort, p.desc, p.q, p.page, int_query(request, "per", 25, 1, 500), p.extra)
    args: list[Any] = []
    where = [org_condition(principal_of(request), "c.organization_id", args)]
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, CAMPAIGN_TABLE, p, where, args)
    return ok({"items": page.rows, "total": page.total, "page": page.params.page, "pages": page.pages})


async def campaign_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok(await visible_campaign(conn, request, int_param(request)))


async def _save(request: web.Request, campaign_id: int | None) -> web.StreamResponse:
    data = (await body(request, CampaignIn)).model_dump()
    check_org(request, data)
    async with ctx(request).pool.acquire() as conn:
        if campaign_id is not None:
            await visible_campaign(conn, request, campaign_id)
        new_id = await campaigns.save(conn, data, campaign_id)
        return ok(await campaigns.get(conn, new_id), 201 if campaign_id is None else 200)


async def campaign_create(request: web.Request) -> web.StreamResponse:
    return await _save(request, None)


async def campaign_update(request: web.Request) -> web.StreamResponse:
    return await _save(request, int_param(request))


async def campaign_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await visible_campaign(conn, request, int_param(request))
        await campaigns.delete(conn, int_param(request))
    return ok({"deleted": int_param(request)})


async def campaign_state(request: web.Request) -> web.StreamResponse:
    action = (await body(request, CampaignStateIn)).action
    async with ctx(request).pool.acquire() as conn:
        await visible_campaign(conn, request, int_param(request))
        state = await lifecycle.change_state(conn, int_param(request), action)
    return ok({"state": state})


async def campaign_status(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        row = await visible_campaign(conn, request, int_param(request))
        figures = await lifecycle.counts(conn, row["id"])
        strategy = None
        if row["strategy_id"] is not None:
            strategy = await conn.fetchrow("SELECT * FROM strategies WHERE id = $1", row["strategy_id"])
        reason = await lifecycle.block_reason(conn, row, strategy, lifecycle.utcnow())
    return ok({"state": row["state"], "waiting_for": reason, **figures})


async def callback_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await visible_campaign(conn, request, int_param(request))
        p = TableParams.parse(CALLBACK_TABLE, request.query)
        page = await fetch_page(conn, CALLBACK_TABLE, p, ["b.campaign_id = $1"], [int_param(request)])
    return ok({"items": page.rows, "total": page.total, "page": page.params.page, "pages": page.pages})


async def callback_create(request: web.Request) -> web.StreamResponse:
    data = (await body(request, CallbackIn)).model_dump()
    async with ctx(request).pool.acquire() as conn:
        await visible_campaign(conn, request, int_param(request))
        cb_id = await callbacks.create(
            conn, int_param(request), data, lifecycle.utcnow(), "api", principal_of(request).user_id
        )
    return ok({"id": cb_id}, 201)


async def callback_import(request: web.Request) -> web.StreamResponse:
    text = (await body(request, CallbackImportIn)).csv
    async with ctx(request).pool.acquire() as conn:
        await visible_campaign(conn, request, int_param(request))
        n = await callbacks.import_csv(conn, int_param(request), text, lifecycle.utcnow(),
                                       principal_of(request).user_id)
    return ok({"imported": n}, 201)


async def callback_cancel(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await visible_campaign(conn, request, int_param(request))
        await callbacks.cancel(conn, int_param(request), int_param(request, "cb"))
    return ok({"cancelled": int_param(request, "cb")})
