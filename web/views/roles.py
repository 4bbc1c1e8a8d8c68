"""Settings → Roles pages: pages, object actions with "set all", organizations, reports, fields."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from dialer import organizations
from dialer.access import catalog
from dialer.access.roles import delete_role, get_role, save_role
from dialer.errors import Conflict, InvalidInput
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.table import Column, TableParams, TableSpec, fetch_page

ROLE_TABLE = TableSpec(
    name="roles",
    columns=(
        Column("name", "Name", "r.name", searchable=True),
        Column("description", "Description", "r.description", searchable=True),
        Column("preset", "Preset", "r.preset"),
        Column("users", "Users", "(SELECT count(*) FROM users u WHERE u.role_id = r.id)"),
    ),
    from_sql="FROM roles r",
    default_sort="name",
    select_extra=("r.id AS id",),
    tiebreak="r.id",
)
_FIELD_ROW = re.compile(r"^field_name_(\d+)$")


def role_from_form(data: dict[str, Any]) -> dict[str, Any]:
    objects = {o.key: data.get(f"obj_{o.key}", "none") for o in catalog.objects()}
    rules: dict[str, dict[str, bool]] = {}
    for key, value in data.items():
        match = _FIELD_ROW.match(key)
        if match and str(value).strip():
            n = match.group(1)
            rules[str(value).strip()] = {
                "visible": data.get(f"field_visible_{n}") == "on",
                "masked": data.get(f"field_masked_{n}") == "on",
            }
    return {
        "name": data.get("name", ""),
        "description": data.get("description", ""),
        "pages": data.get("pages") or [],
        "objects": objects,
        "org_access": data.get("org_access", "own"),
        "org_ids": data.get("org_ids") or [],
        "report_access": data.get("report_access", "list"),
        "report_keys": data.get("report_keys") or [],
        "field_rules": rules,
    }


async def _context(request: web.Request, values: dict[str, Any], errors: dict[str, str]) -> dict[str, Any]:
    async with ctx(request).pool.acquire() as conn:
        orgs = await organizations.org_choices(conn)
    return {
        "values": values,
        "errors": errors,
        "sections": catalog.pages_by_section(),
        "objects": catalog.objects(),
        "reports": catalog.reports(),
        "orgs": orgs,
    }


async def role_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, ROLE_TABLE, TableParams.parse(ROLE_TABLE, request.query))
    return render(request, "settings/role_list.html", {"page": page})


async def role_form(request: web.Request) -> web.StreamResponse:
    values: dict[str, Any] = {
        "pages": [],
        "objects": {},
        "org_access": "own",
        "report_access": "list",
        "org_ids": [],
        "report_keys": [],
        "field_rules": {},
    }
    if "id" in request.match_info:
        async with ctx(request).pool.acquire() as conn:
            values = await get_role(conn, int_param(request))
    return render(request, "settings/role_form.html", await _context(request, values, {}))


async def role_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    role_id = int_param(request) if "id" in request.match_info else None
    role = role_from_form(data)
    try:
        async with ctx(request).pool.acquire() as conn:
            await save_role(conn, role, role_id)
    except InvalidInput as exc:
        values = {**role, "id": role_id}
        return render(
            request, "settings/role_form.html", await _context(request, values, exc.fields), status=422
        )
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound("/settings/roles")


async def role_delete(request: web.Request) -> web.StreamResponse:
    try:
        async with ctx(request).pool.acquire() as conn:
            await delete_role(conn, int_param(request))
        flash(request, "success", translate(language(request), "Deleted"))
    except Conflict as exc:
        flash(request, "error", translate(language(request), "Not deleted") + f": {exc}")
    raise web.HTTPFound("/settings/roles")
