"""Contacts → Filters pages: conditions, stored filters, live preview."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer.access.policy import apply_field_policy, org_condition
from dialer.contacts import filters
from dialer.errors import InvalidInput
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.table import Column, TableParams, TableSpec, fetch_page
from web.views.contacts.common import list_options, principal, scoped_list

ROWS = 8  # condition rows on the form; more conditions go through the API
FILTER_TABLE = TableSpec(
    name="contact_filters",
    columns=(
        Column("name", "Name", "f.name", searchable=True),
        Column("list", "Contact list", "l.name"),
        Column("created_at", "Created", "f.created_at"),
    ),
    from_sql="FROM contact_filters f LEFT JOIN contact_lists l ON l.id = f.list_id",
    default_sort="name",
    select_extra=("f.id AS id",),
    tiebreak="f.id",
)
OP_TITLES = [
    ("eq", "="),
    ("ne", "≠"),
    ("contains", "contains"),
    ("starts", "starts with"),
    ("gt", ">"),
    ("gte", "≥"),
    ("lt", "<"),
    ("lte", "≤"),
    ("empty", "is empty"),
    ("not_empty", "is not empty"),
]


async def filter_index(request: web.Request) -> web.StreamResponse:
    args: list[Any] = []
    cond = org_condition(principal(request), "f.organization_id", args)
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(
            conn, FILTER_TABLE, TableParams.parse(FILTER_TABLE, request.query), [cond], args
        )
    return render(
        request,
        "contacts/index.html",
        {
            "title": "Filters",
            "page": page,
            "obj": "filters",
            "add_url": "/contacts/filters/new",
            "row_url": "/contacts/filters/{id}",
            "delete_url": "/contacts/filters/{id}/delete",
            "links": [],
        },
    )


def _conditions(data: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    for i in range(ROWS):
        name = str(data.get(f"field_{i}") or "")
        if name:
            out.append(
                {
                    "field": name,
                    "op": str(data.get(f"op_{i}") or "eq"),
                    "value": str(data.get(f"value_{i}") or ""),
                }
            )
    return out


async def _page(
    request: web.Request,
    values: dict[str, Any],
    errors: dict[str, str],
    preview: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    async with ctx(request).pool.acquire() as conn:
        fields = await conn.fetch("SELECT name, title, type FROM contact_fields ORDER BY name")
        lists = await list_options(conn, request)
    conds = list(values.get("conditions") or [])
    conds += [{"field": "", "op": "eq", "value": ""}] * (ROWS - len(conds))
    return render(
        request,
        "contacts/filter.html",
        {
            "values": values,
            "errors": errors,
            "conds": conds[:ROWS],
            "fields": fields,
            "lists": lists,
            "ops": OP_TITLES,
            "preview": preview,
        },
        status=status,
    )


async def filter_form(request: web.Request) -> web.StreamResponse:
    values: dict[str, Any] = {}
    if "id" in request.match_info:
        async with ctx(request).pool.acquire() as conn:
            values = await filters.get_filter(conn, int_param(request))
        if not principal(request).sees_org(values["organization_id"]):
            raise web.HTTPNotFound()
    return await _page(request, values, {})


async def filter_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    fid = int_param(request) if "id" in request.match_info else None
    values = {
        "id": fid,
        "name": data.get("name", ""),
        "list_id": data.get("list_id") or None,
        "conditions": _conditions(data),
        "organization_id": principal(request).organization_id
        if principal(request).org_ids() is not None
        else None,
    }
    try:
        async with ctx(request).pool.acquire() as conn:
            list_id = int(values["list_id"]) if values["list_id"] else None
            if list_id is not None:
                await scoped_list(conn, request, list_id)
            if data.get("action") == "preview":
                who = principal(request)
                found = await filters.preview(
                    conn,
                    values["conditions"],
                    list_id,
                    lambda args: org_condition(who, "c.organization_id", args),
                )
                for s in found["sample"]:
                    s["attrs"] = apply_field_policy(who, s["attrs"])
                return await _page(request, values, {}, found)
            if not principal(request).can("filters", "write"):
                raise web.HTTPForbidden()
            await filters.save_filter(conn, values, fid)
    except InvalidInput as exc:
        return await _page(request, values, exc.fields, None, 422)
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound("/contacts/filters")


async def filter_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        found = await filters.get_filter(conn, int_param(request))
        if principal(request).sees_org(found["organization_id"]):
            await filters.delete_filter(conn, found["id"])
    flash(request, "success", translate(language(request), "Deleted"))
    raise web.HTTPFound("/contacts/filters")
