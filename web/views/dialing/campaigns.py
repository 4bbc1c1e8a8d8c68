"""Campaigns: list, form with every R4.10 field, delete, lifecycle buttons, status."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer.access.policy import org_condition
from dialer.dialing import campaigns, clock, lifecycle
from dialer.errors import Conflict, InvalidInput
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.table import Column, TableParams, TableSpec, fetch_page
from web.views.dialing.common import check_org, options, principal_of, visible_campaign

URL = "/campaigns/campaigns"
TABLE = TableSpec(
    name="campaigns",
    columns=(
        Column("name", "Name", "c.name", searchable=True),
        Column("state", "State", "c.state"),
        Column("strategy", "Strategy", "s.name", searchable=True),
        Column("weight", "Weight", "c.weight"),
        Column("state_reason", "Waiting for", "c.state_reason", sortable=False),
        Column("created_at", "Created", "c.created_at"),
    ),
    from_sql="FROM campaigns c LEFT JOIN strategies s ON s.id = c.strategy_id",
    default_sort="name",
    select_extra=("c.id AS id",),
    tiebreak="c.id",
)
ACTIONS = ("start", "pause", "resume", "stop")
DEFAULTS = {"list_order": "any", "finite": True, "weight": 1, "tz_mode": "customer", "call_days": "all",
            "start_tz": "Europe/Moscow", "campaign_tz": "Europe/Moscow"}


async def campaign_list(request: web.Request) -> web.StreamResponse:
    args: list[Any] = []
    where = [org_condition(principal_of(request), "c.organization_id", args)]
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, TABLE, TableParams.parse(TABLE, request.query), where, args)
    return render(request, "dialing/campaign_list.html", {"page": page})


async def _show(request: web.Request, values: dict[str, Any], errors: dict[str, str], status: int = 200
                ) -> web.Response:
    async with ctx(request).pool.acquire() as conn:
        opts = await options(conn, request)
    return render(request, "dialing/campaign_form.html",
                  {"values": values, "errors": errors, "options": opts}, status=status)


async def campaign_form(request: web.Request) -> web.StreamResponse:
    if "id" not in request.match_info:
        return await _show(request, dict(DEFAULTS), {})
    async with ctx(request).pool.acquire() as conn:
        row = await visible_campaign(conn, request, int_param(request))
    return await _show(request, campaigns.form_values(row), {})


async def campaign_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    data.setdefault("finite", "")  # an unticked checkbox sends nothing
    campaign_id = int_param(request) if "id" in request.match_info else None
    try:
        async with ctx(request).pool.acquire() as conn:
            if campaign_id is not None:
                await visible_campaign(conn, request, campaign_id)
            check_org(request, data)
            campaign_id = await campaigns.save(conn, data, campaign_id)
    except InvalidInput as exc:
        return await _show(request, {**data, "id": campaign_id}, exc.fields, 422)
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound(f"{URL}/{campaign_id}/status")


async def campaign_delete(request: web.Request) -> web.StreamResponse:
    lang = language(request)
    try:
        async with ctx(request).pool.acquire() as conn:
            await visible_campaign(conn, request, int_param(request))
            await campaigns.delete(conn, int_param(request))
        flash(request, "success", translate(lang, "Deleted"))
    except Conflict as exc:
        flash(request, "error", translate(lang, "Not deleted") + ": " + str(exc))
    raise web.HTTPFound(URL)


async def campaign_status(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        row = await visible_campaign(conn, request, int_param(request))
        figures = await lifecycle.counts(conn, row["id"])
        strategy = None
        if row["strategy_id"] is not None:
            strategy = await conn.fetchrow("SELECT * FROM strategies WHERE id = $1", row["strategy_id"])
        reason = await lifecycle.block_reason(conn, row, strategy, lifecycle.utcnow())
    window = None
    if strategy is not None:
        window = {
            "start": strategy["window_start"].strftime("%H:%M"),
            "end": strategy["window_end"].strftime("%H:%M"),
            "crosses": clock.crosses_midnight(strategy["window_start"], strategy["window_end"]),
        }
    return render(request, "dialing/campaign_status.html", {
        "c": row, "figures": figures, "reason": reason, "window": window, "strategy": strategy,
        "actions": [a for a in ACTIONS if row["state"] in lifecycle.TRANSITIONS[a]],
    })


async def campaign_state(request: web.Request) -> web.StreamResponse:
    lang = language(request)
    campaign_id = int_param(request)
    action = str((await form_data(request)).get("action", ""))
    try:
        async with ctx(request).pool.acquire() as conn:
            await visible_campaign(conn, request, campaign_id)
            state = await lifecycle.change_state(conn, campaign_id, action)
        flash(request, "success", translate(lang, "Campaign state") + ": " + translate(lang, state))
    except InvalidInput as exc:
        flash(request, "error", translate(lang, "Not changed") + ": "
              + "; ".join(translate(lang, m) for m in exc.fields.values()))
    except Conflict as exc:
        flash(request, "error", translate(lang, "Not changed") + ": " + str(exc))
    raise web.HTTPFound(f"{URL}/{campaign_id}/status")
