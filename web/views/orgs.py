"""Settings → Organizations pages."""

from __future__ import annotations

from aiohttp import web

from dialer import organizations
from dialer.errors import Conflict, InvalidInput
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.table import Column, TableParams, TableSpec, fetch_page

ORG_TABLE = TableSpec(
    name="organizations",
    columns=(
        Column("name", "Name", "o.name", searchable=True),
        Column("description", "Description", "o.description", searchable=True),
        Column("users", "Users", "(SELECT count(*) FROM users u WHERE u.organization_id = o.id)"),
        Column("created_at", "Created", "o.created_at"),
    ),
    from_sql="FROM organizations o",
    default_sort="name",
    select_extra=("o.id AS id",),
    tiebreak="o.id",
)


async def org_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, ORG_TABLE, TableParams.parse(ORG_TABLE, request.query))
    return render(request, "settings/org_list.html", {"page": page})


async def org_form(request: web.Request) -> web.StreamResponse:
    values = {}
    if "id" in request.match_info:
        async with ctx(request).pool.acquire() as conn:
            values = await organizations.get_org(conn, int_param(request))
    return render(request, "settings/org_form.html", {"values": values, "errors": {}})


async def org_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    org_id = int_param(request) if "id" in request.match_info else None
    try:
        async with ctx(request).pool.acquire() as conn:
            await organizations.save_org(conn, data, org_id)
    except InvalidInput as exc:
        return render(
            request,
            "settings/org_form.html",
            {"values": {**data, "id": org_id}, "errors": exc.fields},
            status=422,
        )
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound("/settings/organizations")


async def org_delete(request: web.Request) -> web.StreamResponse:
    try:
        async with ctx(request).pool.acquire() as conn:
            await organizations.delete_org(conn, int_param(request))
        flash(request, "success", translate(language(request), "Deleted"))
    except Conflict as exc:
        flash(request, "error", translate(language(request), "Not deleted") + f": {exc}")
    raise web.HTTPFound("/settings/organizations")
