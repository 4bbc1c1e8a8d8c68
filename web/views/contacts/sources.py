"""Contacts → Data sources pages: connection, query, mapping, schedule, last run."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer.access.policy import org_condition
from dialer.contacts import sources
from dialer.errors import InvalidInput
from dialer.scheduler import KINDS as SCHEDULE_KINDS
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.table import Column, TableParams, TableSpec, fetch_page
from web.views.contacts.common import list_options, principal, scoped_list

SOURCE_TABLE = TableSpec(
    name="data_sources",
    columns=(
        Column("name", "Name", "s.name", searchable=True),
        Column("kind", "Kind", "s.kind"),
        Column("list", "Contact list", "l.name", searchable=True),
        Column("schedule", "Schedule", "s.schedule->>'kind'"),
        Column("last_run_at", "Last run", "s.last_run_at"),
        Column("last_status", "Status", "s.last_status"),
        Column("last_message", "Message", "s.last_message"),
    ),
    from_sql="FROM data_sources s JOIN contact_lists l ON l.id = s.list_id",
    default_sort="name",
    select_extra=("s.id AS id",),
    tiebreak="s.id",
)


def _box(request: web.Request) -> Any:
    return ctx(request).box


async def source_index(request: web.Request) -> web.StreamResponse:
    args: list[Any] = []
    cond = org_condition(principal(request), "l.organization_id", args)
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(
            conn, SOURCE_TABLE, TableParams.parse(SOURCE_TABLE, request.query), [cond], args
        )
    return render(
        request,
        "contacts/index.html",
        {
            "title": "Data sources",
            "page": page,
            "obj": "data_sources",
            "add_url": "/contacts/sources/new",
            "row_url": "/contacts/sources/{id}",
            "delete_url": "/contacts/sources/{id}/delete",
            "links": [],
        },
    )


def _values(src: dict[str, Any]) -> dict[str, Any]:
    cfg = dict(src.get("config") or {})
    cfg.pop("password_sealed", None)
    sched = src.get("schedule") or {}
    try:
        fingerprint = sources.key_fingerprint(str(cfg.get("host_key") or ""))
    except ValueError:
        fingerprint = ""
    return {
        **src,
        **cfg,
        "host_key_fingerprint": fingerprint,
        "mapping": "\n".join(f"{k} = {v}" for k, v in (src.get("mapping") or {}).items()),
        "schedule_kind": sched.get("kind"),
        "schedule_at": sched.get("at"),
        "schedule_day": sched.get("day"),
        "schedule_every": sched.get("every_minutes"),
    }


async def _page(
    request: web.Request,
    values: dict[str, Any],
    errors: dict[str, str],
    detected: list[str] | None = None,
    status: int = 200,
) -> web.Response:
    async with ctx(request).pool.acquire() as conn:
        lists = await list_options(conn, request)
    return render(
        request,
        "contacts/source.html",
        {
            "values": values,
            "errors": errors,
            "lists": lists,
            "kinds": sources.KINDS,
            "schedule_kinds": SCHEDULE_KINDS,
            "detected": detected,
        },
        status=status,
    )


async def source_form(request: web.Request) -> web.StreamResponse:
    values: dict[str, Any] = {"kind": "postgres", "schedule_kind": "manual", "pattern": "*"}
    if "id" in request.match_info:
        async with ctx(request).pool.acquire() as conn:
            src = await sources.get_source(conn, int_param(request))
            await scoped_list(conn, request, src["list_id"])
        values = _values(src)
    return await _page(request, values, {})


async def source_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    sid = int_param(request) if "id" in request.match_info else None
    try:
        async with ctx(request).pool.acquire() as conn:
            if data.get("list_id"):
                await scoped_list(conn, request, int(data["list_id"]))
            if sid is not None:
                await scoped_list(conn, request, (await sources.get_source(conn, sid))["list_id"])
            if data.get("action") == "detect":
                clean = sources.clean_source(data, _box(request))
                if sid is not None and not data.get("password"):
                    clean["config"]["password_sealed"] = (await sources.get_source(conn, sid))["config"].get(
                        "password_sealed", ""
                    )
                detected = await sources.detect_fields(clean, _box(request))
                return await _page(request, {**data, "id": sid}, {}, detected)
            if not principal(request).can("data_sources", "write"):
                raise web.HTTPForbidden()
            sid = await sources.save_source(conn, data, _box(request), sid)
    except InvalidInput as exc:
        return await _page(request, {**data, "id": sid}, exc.fields, None, 422)
    except (OSError, ValueError) as exc:
        return await _page(request, {**data, "id": sid}, {"__all__": str(exc)}, None, 422)
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound(f"/contacts/sources/{sid}")


async def source_run(request: web.Request) -> web.StreamResponse:
    sid = int_param(request)
    app = ctx(request)
    async with app.pool.acquire() as conn:
        await scoped_list(conn, request, (await sources.get_source(conn, sid))["list_id"])
    result = await sources.run_source(app.pool, sid, app.settings.data_dir, app.box)
    level = "success" if result["status"] in ("done", "skipped") else "error"
    flash(request, level, f"{result['status']}: {result['message']}")
    raise web.HTTPFound(f"/contacts/sources/{sid}")


async def source_delete(request: web.Request) -> web.StreamResponse:
    sid = int_param(request)
    async with ctx(request).pool.acquire() as conn:
        await scoped_list(conn, request, (await sources.get_source(conn, sid))["list_id"])
        await conn.execute("DELETE FROM data_sources WHERE id=$1", sid)
    flash(request, "success", translate(language(request), "Deleted"))
    raise web.HTTPFound("/contacts/sources")
