"""Contacts → Lists pages: lists, bound fields, the contacts of a list."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer.access.policy import org_condition, require_org
from dialer.contacts import lists, records
from dialer.contacts.fields import Field, all_fields, list_fields
from dialer.errors import Conflict, InvalidInput
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.table import Column, TableParams, TableSpec, fetch_page
from web.views.contacts.common import org_options, policy, principal, region, scoped_list

LIST_TABLE = TableSpec(
    name="contact_lists",
    columns=(
        Column("name", "Name", "l.name", searchable=True),
        Column("description", "Description", "l.description", searchable=True),
        Column("organization", "Organization", "o.name"),
        Column("contacts", "Contacts", "(SELECT count(*) FROM contacts c WHERE c.list_id = l.id)"),
        Column("created_at", "Created", "l.created_at"),
    ),
    from_sql="FROM contact_lists l LEFT JOIN organizations o ON o.id = l.organization_id",
    default_sort="name",
    select_extra=("l.id AS id",),
    tiebreak="l.id",
)


def contacts_table(visible: list[Field], rules: Any) -> TableSpec:
    cols = [Column("id", "ID", "c.id")]
    for f in visible:
        masked = rules.get(f.name) is not None and rules[f.name].masked
        # Field names are validated (latin, digits, _), so they are safe inside SQL text.
        cols.append(Column(f.name, f.label, f"c.attrs->>'{f.name}'", searchable=not masked))
    return TableSpec(
        "contacts", tuple(cols), "FROM contacts c", "id", select_extra=("c.id AS cid",), tiebreak="c.id"
    )


async def list_index(request: web.Request) -> web.StreamResponse:
    args: list[Any] = []
    cond = org_condition(principal(request), "l.organization_id", args)
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, LIST_TABLE, TableParams.parse(LIST_TABLE, request.query), [cond], args)
    return render(
        request,
        "contacts/index.html",
        {
            "title": "Contact lists",
            "page": page,
            "obj": "contact_lists",
            "add_url": "/contacts/lists/new",
            "row_url": "/contacts/lists/{id}",
            "delete_url": "/contacts/lists/{id}/delete",
            "links": [("/contacts/imports", "Import jobs")],
        },
    )


async def _form_page(
    request: web.Request, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> web.Response:
    async with ctx(request).pool.acquire() as conn:
        orgs = await org_options(conn, request)
        all_f = await all_fields(conn)
    lid = values.get("id")
    values = {**values, "field_ids": [str(x) for x in values.get("field_ids", [])]}
    form = [
        {"name": "name", "label": "Name", "required": True},
        {"name": "description", "label": "Description"},
        {"name": "organization_id", "label": "Organization", "kind": "select", "options": orgs, "empty": "—"},
        {
            "name": "field_ids",
            "label": "Fields",
            "kind": "multi",
            "options": [(str(f["id"]), f"{f['title'] or f['name']} ({f['type'].upper()})") for f in all_f],
        },
    ]
    return render(
        request,
        "contacts/form.html",
        {
            "title": "Contact list",
            "heading": values.get("name", ""),
            "form": form,
            "values": values,
            "errors": errors,
            "obj": "contact_lists",
            "back": f"/contacts/lists/{lid}" if lid else "/contacts/lists",
            "multipart": False,
            "submit": None,
            "action": f"/contacts/lists/{lid}/edit" if lid else "/contacts/lists/new",
        },
        status=status,
    )


async def list_form(request: web.Request) -> web.StreamResponse:
    values: dict[str, Any] = {}
    if "id" in request.match_info:
        async with ctx(request).pool.acquire() as conn:
            values = await scoped_list(conn, request, int_param(request))
    return await _form_page(request, values, {})


async def list_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    data.setdefault("field_ids", [])
    lid = int_param(request) if "id" in request.match_info else None
    try:
        async with ctx(request).pool.acquire() as conn:
            if lid is not None:
                await scoped_list(conn, request, lid)
            require_org(principal(request), data.get("organization_id"))
            if not data.get("organization_id") and principal(request).org_ids() is not None:
                data["organization_id"] = principal(request).organization_id
            lid = await lists.save_list(conn, data, lid)
    except InvalidInput as exc:
        return await _form_page(request, {**data, "id": lid}, exc.fields, 422)
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound(f"/contacts/lists/{lid}")


async def list_view(request: web.Request) -> web.StreamResponse:
    lid = int_param(request)
    who = principal(request)
    rules = who.grant.field_rules
    async with ctx(request).pool.acquire() as conn:
        info = await scoped_list(conn, request, lid)
        bound = await list_fields(conn, lid)
        visible = [f for f in bound if rules.get(f.name) is None or rules[f.name].visible]
        spec = contacts_table(visible, rules)
        page = await fetch_page(conn, spec, TableParams.parse(spec, request.query), ["c.list_id = $1"], [lid])
        others = await conn.fetch(
            "SELECT id, name, organization_id FROM contact_lists WHERE id <> $1 ORDER BY name", lid
        )
    show = policy(request)
    rows = [show(r) for r in page.rows]
    object.__setattr__(page, "rows", rows)
    return render(
        request,
        "contacts/list.html",
        {
            "info": info,
            "page": page,
            "fields": bound,
            "others": [(r["id"], r["name"]) for r in others if who.sees_org(r["organization_id"])],
        },
    )


async def list_delete(request: web.Request) -> web.StreamResponse:
    try:
        async with ctx(request).pool.acquire() as conn:
            await scoped_list(conn, request, int_param(request))
            await lists.delete_list(conn, int_param(request))
        flash(request, "success", translate(language(request), "Deleted"))
    except Conflict as exc:
        flash(request, "error", translate(language(request), "Not deleted") + f": {exc}")
    raise web.HTTPFound("/contacts/lists")


async def copy_fields(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    lid = int_param(request)
    try:
        source = int(data.get("from_list") or 0)
    except ValueError:
        source = 0
    async with ctx(request).pool.acquire() as conn:
        await scoped_list(conn, request, lid)
        await scoped_list(conn, request, source)
        added = await lists.copy_fields(conn, source, lid)
    flash(request, "success", translate(language(request), "Fields added: {n}", n=added))
    raise web.HTTPFound(f"/contacts/lists/{lid}")


async def contacts_delete(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    lid = int_param(request)
    ids: list[int] | None
    if data.get("all") == "1":
        ids = None
    else:
        raw = data.get("ids", [])
        ids = [int(x) for x in (raw if isinstance(raw, list) else [raw]) if str(x).isdigit()]
    async with ctx(request).pool.acquire() as conn:
        await scoped_list(conn, request, lid)
        n = await records.delete_contacts(conn, lid, ids)
    flash(request, "success", translate(language(request), "Contacts deleted: {n}", n=n))
    raise web.HTTPFound(f"/contacts/lists/{lid}")


async def _contact_page(
    request: web.Request,
    lid: int,
    values: dict[str, Any],
    errors: dict[str, str],
    cid: int | None,
    status: int = 200,
) -> web.Response:
    async with ctx(request).pool.acquire() as conn:
        info = await scoped_list(conn, request, lid)
        bound = await list_fields(conn, lid)
    rules = principal(request).grant.field_rules
    form = [
        {
            "name": f.name,
            "raw_label": f"{f.label} ({f.type.upper()})",
            "label": f.name,
            "type": {"email": "email", "date": "date"}.get(f.type, "text"),
        }
        for f in bound
        if rules.get(f.name) is None or (rules[f.name].visible and not rules[f.name].masked)
    ]
    return render(
        request,
        "contacts/form.html",
        {
            "title": "Contact",
            "heading": info["name"],
            "form": form,
            "values": values,
            "errors": errors,
            "obj": "contacts",
            "back": f"/contacts/lists/{lid}",
            "multipart": False,
            "submit": None,
            "action": f"/contacts/lists/{lid}/contacts/{cid}"
            if cid
            else f"/contacts/lists/{lid}/contacts/new",
        },
        status=status,
    )


async def contact_form(request: web.Request) -> web.StreamResponse:
    lid = int_param(request)
    values: dict[str, Any] = {}
    cid = int_param(request, "cid") if "cid" in request.match_info else None
    if cid is not None:
        async with ctx(request).pool.acquire() as conn:
            await scoped_list(conn, request, lid)
            values = policy(request)((await records.get_contact(conn, lid, cid))["attrs"])
    return await _contact_page(request, lid, values, {}, cid)


async def contact_save(request: web.Request) -> web.StreamResponse:
    lid = int_param(request)
    cid = int_param(request, "cid") if "cid" in request.match_info else None
    data = await form_data(request)
    try:
        async with ctx(request).pool.acquire() as conn:
            await scoped_list(conn, request, lid)
            if cid is not None:
                # Attributes the form does not show (hidden, masked) keep their stored values.
                stored = (await records.get_contact(conn, lid, cid))["attrs"]
                data = {**stored, **data}
            await records.save_contact(conn, lid, data, cid, region(request))
    except InvalidInput as exc:
        return await _contact_page(request, lid, data, exc.fields, cid, 422)
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound(f"/contacts/lists/{lid}")
