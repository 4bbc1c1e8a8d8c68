"""Dashboards (R8.3): the user's own pages of widgets, each an SVG drawn by the server.

The page reloads a widget's image when the console's counters topic pushes an update, so
charts follow the engine without the browser polling.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer.errors import InvalidInput
from dialer.workplace import dashboards as dash
from web import svgcharts
from web.console_bridge import BRIDGE
from web.context import ctx
from web.forms import flash, form_data, int_param, redirect, render
from web.i18n import translate
from web.jsonaction import principal_of
from web.middleware import language


async def _campaign_options(request: web.Request) -> list[tuple[int, str]]:
    async with ctx(request).pool.acquire() as conn:
        return [(r["id"], r["name"]) for r in await conn.fetch("SELECT id, name FROM campaigns ORDER BY name")]


async def dashboard_list(request: web.Request, errors: dict[str, str] | None = None,
                         values: dict[str, Any] | None = None) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        boards = await dash.list_for(conn, principal_of(request).user_id)
    return render(request, "dashboards/list.html", {"boards": boards, "errors": errors or {}, "values": values or {}},
                  status=422 if errors else 200)


async def dashboard_create(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    try:
        async with ctx(request).pool.acquire() as conn:
            new_id = await dash.create(conn, principal_of(request).user_id, data)
    except InvalidInput as exc:
        return await dashboard_list(request, exc.fields, data)
    flash(request, "success", translate(language(request), "Dashboard created"))
    raise redirect(f"/supervisor/dashboards/{new_id}")


async def dashboard_page(request: web.Request, errors: dict[str, str] | None = None,
                         values: dict[str, Any] | None = None, failed: str = "") -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        board = await dash.get(conn, principal_of(request).user_id, int_param(request))
    kinds = [(k, translate(language(request), v)) for k, v in dash.KINDS.items()]
    return render(request, "dashboards/board.html", {
        "board": board, "kinds": kinds, "campaigns": await _campaign_options(request),
        "errors": errors or {}, "values": values or {}, "failed": failed}, status=422 if errors else 200)


async def dashboard_update(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    try:
        async with ctx(request).pool.acquire() as conn:
            await dash.update(conn, principal_of(request).user_id, int_param(request), data)
    except InvalidInput as exc:
        return await dashboard_page(request, exc.fields, data, "board")
    flash(request, "success", translate(language(request), "Saved"))
    raise redirect(f"/supervisor/dashboards/{int_param(request)}")


async def dashboard_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await dash.delete(conn, principal_of(request).user_id, int_param(request))
    raise redirect("/supervisor/dashboards")


async def widget_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    raw_id = str(data.get("widget_id") or "")
    widget_id = int(raw_id) if raw_id.isdigit() else None
    try:
        async with ctx(request).pool.acquire() as conn:
            await dash.save_widget(conn, principal_of(request).user_id, int_param(request), widget_id, data)
    except InvalidInput as exc:
        return await dashboard_page(request, exc.fields, data, raw_id or "new")
    flash(request, "success", translate(language(request), "Saved"))
    raise redirect(f"/supervisor/dashboards/{int_param(request)}")


async def widget_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await dash.delete_widget(conn, principal_of(request).user_id, int_param(request), int_param(request, "wid"))
    raise redirect(f"/supervisor/dashboards/{int_param(request)}")


async def widget_svg(request: web.Request) -> web.StreamResponse:
    lang = language(request)
    async with ctx(request).pool.acquire() as conn:
        board = await dash.get(conn, principal_of(request).user_id, int_param(request))
        widget = next((w for w in board["widgets"] if w["id"] == int_param(request, "wid")), None)
        if widget is None:
            raise web.HTTPNotFound()
        kind, title, empty = widget["kind"], widget["title"], translate(lang, "no data")
        if kind == "operator_states":
            counts: dict[str, float] = {}
            for op in request.config_dict[BRIDGE].operators.values():
                label = translate(lang, str(op.get("state")))
                counts[label] = counts.get(label, 0) + 1
            svg = svgcharts.bars(title, sorted(counts.items()), empty)
        else:
            data = await dash.series(conn, kind, widget["campaign_id"])
            if kind in ("abandon_rate", "occupancy"):
                svg = svgcharts.line(title, data, " %", empty)
            else:
                svg = svgcharts.bars(title, data, empty)
    return web.Response(text=svg, content_type="image/svg+xml", headers={"Cache-Control": "no-store"})
