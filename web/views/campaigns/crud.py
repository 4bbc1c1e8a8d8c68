"""Portal pages of a reference object: list, form, save, delete, driven by its RefKind.

Every campaign-configuration object has the same four pages; the differences (fields,
table columns, extra notes) live in its ``RefPage``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
from aiohttp import web

from dialer.access.policy import Principal, org_condition, require_org
from dialer.campaigns import refs
from dialer.campaigns.refs import InUse, RefKind
from dialer.errors import Conflict, InvalidInput, NotFound
from web import sessions
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.routing import Handler
from web.table import TableParams, TableSpec, fetch_page

Note = tuple[str, dict[str, str]]  # message id and its parameters


@dataclass(frozen=True)
class RefPage:
    kind: RefKind
    url: str  # "/campaigns/codes"
    page_key: str  # access-catalog page key, also the route-name prefix
    table: TableSpec
    org_sql: str = ""  # the table's organization column in table.from_sql ("o.organization_id")
    list_template: str = "campaigns/ref_list.html"
    form_template: str = "campaigns/ref_form.html"
    notes: Callable[[dict[str, Any]], list[Note]] | None = None  # remarks shown above the form
    form_extra: Callable[[dict[str, Any]], dict[str, Any]] | None = None  # more for the form template
    defaults: tuple[tuple[str, Any], ...] = ()  # values of a new object's form
    list_extra: Callable[[web.Request], Awaitable[dict[str, Any]]] | None = None  # more for the list template


@dataclass(frozen=True)
class Handlers:
    list: Handler
    form: Handler
    save: Handler
    delete: Handler


def principal_of(request: web.Request) -> Principal:
    p: Principal = request[sessions.PRINCIPAL]
    return p


async def visible(conn: asyncpg.Connection, request: web.Request, p: RefPage, obj_id: int) -> dict[str, Any]:
    """The object, or NotFound when it belongs to an organization the user does not see."""
    row = await refs.get(conn, p.kind, obj_id)
    if p.kind.org_column and not principal_of(request).sees_org(row.get(p.kind.org_column)):
        raise NotFound(f"{p.kind.key} {obj_id}")
    return row


def check_org(request: web.Request, p: RefPage, data: dict[str, Any]) -> None:
    if p.kind.org_column:
        require_org(principal_of(request), data.get(p.kind.org_column), p.kind.org_column)


async def list_where(request: web.Request, p: RefPage) -> tuple[list[str], list[Any]]:
    args: list[Any] = []
    where = [org_condition(principal_of(request), p.org_sql, args)] if p.org_sql else []
    return where, args


async def field_options(
    conn: asyncpg.Connection, request: web.Request, p: RefPage
) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    allowed = principal_of(request).org_ids()
    for f in p.kind.fields:
        if f.kind in ("choice", "ref", "multi"):
            opts = await refs.options(conn, f)
            if f.ref == "organizations" and allowed is not None:
                opts = [o for o in opts if int(o[0]) in allowed]
            out[f.name] = opts
    return out


def conflict_text(lang: str, exc: Conflict) -> str:
    if isinstance(exc, InUse):
        return (
            translate(lang, "in use by")
            + " "
            + "; ".join(f"{translate(lang, label)}: {names}" for label, names in exc.found)
        )
    return translate(lang, str(exc))


def handlers(p: RefPage) -> Handlers:
    async def show(
        request: web.Request,
        values: dict[str, Any],
        errors: dict[str, str],
        status: int = 200,
        current: dict[str, Any] | None = None,
    ) -> web.Response:
        async with ctx(request).pool.acquire() as conn:
            opts = await field_options(conn, request, p)
        locked = {
            f.name
            for f in p.kind.fields
            if current is not None and f.editable is not None and not f.editable(current)
        }
        return render(
            request,
            p.form_template,
            {
                "ref": p,
                "values": values,
                "errors": errors,
                "options": opts,
                "locked": locked,
                "notes": p.notes(values) if p.notes else [],
                **(p.form_extra(values) if p.form_extra else {}),
            },
            status=status,
        )

    async def list_page(request: web.Request) -> web.StreamResponse:
        where, args = await list_where(request, p)
        async with ctx(request).pool.acquire() as conn:
            page = await fetch_page(conn, p.table, TableParams.parse(p.table, request.query), where, args)
        extra = await p.list_extra(request) if p.list_extra else {}
        return render(request, p.list_template, {"ref": p, "page": page, **extra})

    async def form(request: web.Request) -> web.StreamResponse:
        if "id" not in request.match_info:
            return await show(request, dict(p.defaults), {})
        async with ctx(request).pool.acquire() as conn:
            row = await visible(conn, request, p, int_param(request))
        return await show(request, refs.form_values(p.kind, row), {}, current=row)

    async def save(request: web.Request) -> web.StreamResponse:
        data = await form_data(request)
        obj_id = int_param(request) if "id" in request.match_info else None
        current = None
        try:
            async with ctx(request).pool.acquire() as conn:
                if obj_id is not None:
                    current = await visible(conn, request, p, obj_id)
                check_org(request, p, data)
                await refs.save(conn, p.kind, data, obj_id)
        except InvalidInput as exc:
            # unchecked boxes are not posted: show them unchecked, not as they were stored
            unchecked = {
                f.name: ([] if f.kind == "multi" else "")
                for f in p.kind.fields
                if f.kind in ("multi", "bool") and f.name not in data
            }
            values = {
                **(refs.form_values(p.kind, current) if current else {}),
                **unchecked,
                **data,
                "id": obj_id,
            }
            return await show(request, values, exc.fields, 422, current)
        flash(request, "success", translate(language(request), "Saved"))
        raise web.HTTPFound(p.url)

    async def delete(request: web.Request) -> web.StreamResponse:
        lang = language(request)
        try:
            async with ctx(request).pool.acquire() as conn:
                await visible(conn, request, p, int_param(request))
                await refs.delete(conn, p.kind, int_param(request))
            flash(request, "success", translate(lang, "Deleted"))
        except Conflict as exc:
            flash(request, "error", translate(lang, "Not deleted") + ": " + conflict_text(lang, exc))
        raise web.HTTPFound(p.url)

    return Handlers(list_page, form, save, delete)
