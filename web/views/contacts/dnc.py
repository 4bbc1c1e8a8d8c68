"""Contacts → DNC lists pages: lists, entries, one-by-one and batch additions."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer.access.policy import org_condition, require_org
from dialer.contacts import dnc, jobs
from dialer.errors import InvalidInput
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.table import Column, TableParams, TableSpec, fetch_page
from web.views.contacts.common import org_options, principal, region, scoped_dnc
from web.views.contacts.imports import save_upload

DNC_TABLE = TableSpec(
    name="dnc_lists",
    columns=(
        Column("name", "Name", "d.name", searchable=True),
        Column("description", "Description", "d.description", searchable=True),
        Column("entries", "Entries", "(SELECT count(*) FROM dnc_entries e WHERE e.dnc_list_id = d.id)"),
        Column("created_at", "Created", "d.created_at"),
    ),
    from_sql="FROM dnc_lists d",
    default_sort="name",
    select_extra=("d.id AS id",),
    tiebreak="d.id",
)
ENTRY_TABLE = TableSpec(
    name="dnc_entries",
    columns=(
        Column("kind", "Kind", "e.kind"),
        Column("value", "Value", "e.value", searchable=True),
        Column("created_at", "Added", "e.created_at"),
    ),
    from_sql="FROM dnc_entries e",
    default_sort="created_at",
    default_desc=True,
    tiebreak="e.value",
)
KIND_OPTIONS = [("phone", "Phone"), ("email", "E-mail"), ("account", "Client account")]


async def dnc_index(request: web.Request) -> web.StreamResponse:
    args: list[Any] = []
    cond = org_condition(principal(request), "d.organization_id", args)
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, DNC_TABLE, TableParams.parse(DNC_TABLE, request.query), [cond], args)
    return render(
        request,
        "contacts/index.html",
        {
            "title": "DNC lists",
            "page": page,
            "obj": "dnc_lists",
            "add_url": "/contacts/dnc/new",
            "row_url": "/contacts/dnc/{id}",
            "delete_url": "/contacts/dnc/{id}/delete",
            "links": [],
        },
    )


async def _form(
    request: web.Request, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> web.Response:
    async with ctx(request).pool.acquire() as conn:
        orgs = await org_options(conn, request)
    return render(
        request,
        "contacts/form.html",
        {
            "title": "DNC list",
            "heading": values.get("name", ""),
            "values": values,
            "errors": errors,
            "form": [
                {"name": "name", "label": "Name", "required": True},
                {"name": "description", "label": "Description"},
                {
                    "name": "organization_id",
                    "label": "Organization",
                    "kind": "select",
                    "options": orgs,
                    "empty": "—",
                },
            ],
            "obj": "dnc_lists",
            "back": "/contacts/dnc",
            "multipart": False,
            "submit": None,
            "action": "/contacts/dnc/new",
        },
        status=status,
    )


async def dnc_form(request: web.Request) -> web.StreamResponse:
    return await _form(request, {}, {})


async def dnc_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    try:
        require_org(principal(request), data.get("organization_id"))
        async with ctx(request).pool.acquire() as conn:
            did = await dnc.save_dnc_list(conn, data)
    except InvalidInput as exc:
        return await _form(request, data, exc.fields, 422)
    raise web.HTTPFound(f"/contacts/dnc/{did}")


async def dnc_view(request: web.Request) -> web.StreamResponse:
    did = int_param(request)
    async with ctx(request).pool.acquire() as conn:
        info = await scoped_dnc(conn, request, did)
        page = await fetch_page(
            conn, ENTRY_TABLE, TableParams.parse(ENTRY_TABLE, request.query), ["e.dnc_list_id = $1"], [did]
        )
    return render(
        request,
        "contacts/dnc.html",
        {"info": info, "page": page, "kinds": KIND_OPTIONS, "errors": request.get("dnc_errors", {})},
    )


async def dnc_add(request: web.Request) -> web.StreamResponse:
    did = int_param(request)
    data = await form_data(request)
    try:
        async with ctx(request).pool.acquire() as conn:
            await scoped_dnc(conn, request, did)
            value = await dnc.add_entry(
                conn, did, str(data.get("kind") or "phone"), data.get("value"), region(request)
            )
        flash(request, "success", translate(language(request), "Added: {value}", value=value))
    except InvalidInput as exc:
        flash(request, "error", "; ".join(translate(language(request), m) for m in exc.fields.values()))
    raise web.HTTPFound(f"/contacts/dnc/{did}")


async def dnc_remove(request: web.Request) -> web.StreamResponse:
    did = int_param(request)
    data = await form_data(request)
    async with ctx(request).pool.acquire() as conn:
        await scoped_dnc(conn, request, did)
        await dnc.delete_entries(conn, did, str(data.get("kind") or "phone"), [str(data.get("value") or "")])
    flash(request, "success", translate(language(request), "Deleted"))
    raise web.HTTPFound(f"/contacts/dnc/{did}")


async def dnc_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await scoped_dnc(conn, request, int_param(request))
        await dnc.delete_dnc_list(conn, int_param(request))
    flash(request, "success", translate(language(request), "Deleted"))
    raise web.HTTPFound("/contacts/dnc")


async def dnc_import(request: web.Request) -> web.StreamResponse:
    """Batch import: the first column (or the named one) of a CSV/XLS/XLSX, run as a job."""
    did = int_param(request)
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        flash(request, "error", translate(language(request), "Choose a file"))
        raise web.HTTPFound(f"/contacts/dnc/{did}")
    pool = ctx(request).pool
    async with pool.acquire() as conn:
        await scoped_dnc(conn, request, did)
        path = await save_upload(request, upload)
        options = {
            "kind": str(form.get("kind") or "phone"),
            "column": str(form.get("column") or ""),
            "region": region(request),
        }
        job_id = await jobs.create_job(
            conn,
            target="dnc",
            file_path=path,
            source_name=upload.filename,
            dnc_list_id=did,
            options=options,
            user_id=principal(request).user_id,
            status="queued",
        )
    jobs.start(pool, job_id)
    raise web.HTTPFound(f"/contacts/imports/{job_id}")
