"""Contacts → Fields pages."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer.contacts import fields
from dialer.contacts.values import FIELD_TYPES
from dialer.errors import Conflict, InvalidInput
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.table import Column, TableParams, TableSpec, fetch_page

FIELD_TABLE = TableSpec(
    name="contact_fields",
    columns=(
        Column("name", "Name", "f.name", searchable=True),
        Column("title", "Title", "f.title", searchable=True),
        Column("type", "Type", "f.type"),
        Column("is_client_id", "Client identifier", "f.is_client_id"),
        Column("description", "Description", "f.description", searchable=True),
    ),
    from_sql="FROM contact_fields f",
    default_sort="name",
    select_extra=("f.id AS id",),
    tiebreak="f.id",
)


def _form() -> list[dict[str, Any]]:
    return [
        {"name": "name", "label": "Name (latin, used in files and the API)", "required": True},
        {"name": "title", "label": "Title"},
        {"name": "type", "label": "Type", "kind": "select", "options": [(t, t.upper()) for t in FIELD_TYPES]},
        {"name": "description", "label": "Description"},
        {"name": "mask", "label": "Input mask"},
        {"name": "is_client_id", "label": "Client identifier", "kind": "checkbox"},
    ]


def _render(
    request: web.Request, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> web.Response:
    fid = values.get("id")
    return render(
        request,
        "contacts/form.html",
        {
            "title": "Field",
            "heading": values.get("name", ""),
            "form": _form(),
            "values": values,
            "errors": errors,
            "obj": "fields",
            "back": "/contacts/fields",
            "multipart": False,
            "submit": None,
            "action": f"/contacts/fields/{fid}" if fid else "/contacts/fields/new",
        },
        status=status,
    )


async def field_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, FIELD_TABLE, TableParams.parse(FIELD_TABLE, request.query))
    return render(
        request,
        "contacts/index.html",
        {
            "title": "Fields",
            "page": page,
            "obj": "fields",
            "add_url": "/contacts/fields/new",
            "row_url": "/contacts/fields/{id}",
            "delete_url": "/contacts/fields/{id}/delete",
            "links": [],
        },
    )


async def field_form(request: web.Request) -> web.StreamResponse:
    values: dict[str, Any] = {"type": "text"}
    if "id" in request.match_info:
        async with ctx(request).pool.acquire() as conn:
            values = await fields.get_field(conn, int_param(request))
    return _render(request, values, {})


async def field_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    fid = int_param(request) if "id" in request.match_info else None
    try:
        async with ctx(request).pool.acquire() as conn:
            await fields.save_field(conn, data, fid)
    except InvalidInput as exc:
        return _render(request, {**data, "id": fid}, exc.fields, 422)
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound("/contacts/fields")


async def field_delete(request: web.Request) -> web.StreamResponse:
    try:
        async with ctx(request).pool.acquire() as conn:
            await fields.delete_field(conn, int_param(request))
        flash(request, "success", translate(language(request), "Deleted"))
    except Conflict as exc:
        flash(request, "error", translate(language(request), "Not deleted") + f": {exc}")
    raise web.HTTPFound("/contacts/fields")
