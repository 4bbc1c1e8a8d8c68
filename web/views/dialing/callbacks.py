"""Callbacks (R4.11): list, form, cancel, CSV import."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.web_request import FileField

from dialer.access.policy import org_condition
from dialer.dialing import callbacks
from dialer.dialing.lifecycle import utcnow
from dialer.errors import InvalidInput, NotFound
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.table import Column, TableParams, TableSpec, fetch_page
from web.views.dialing.common import options, principal_of, visible_campaign

URL = "/campaigns/callbacks"
TABLE = TableSpec(
    name="callbacks",
    columns=(
        Column("campaign", "Campaign", "c.name", searchable=True),
        Column("contact_id", "Contact", "b.contact_id"),
        Column("phone_field", "Phone field", "b.phone_field"),
        Column("due_at", "Due", "b.due_at"),
        Column("operator", "Operator", "o.name", searchable=True),
        Column("state", "State", "b.state"),
        Column("note", "Note", "b.note", searchable=True),
    ),
    from_sql="FROM callbacks b JOIN campaigns c ON c.id = b.campaign_id LEFT JOIN operators o ON o.id = b.operator_id",
    default_sort="due_at",
    select_extra=("b.id AS id", "b.campaign_id AS campaign_id"),
    tiebreak="b.id",
)


async def _campaign_options(request: web.Request) -> list[tuple[str, str]]:
    args: list[Any] = []
    cond = org_condition(principal_of(request), "organization_id", args)
    async with ctx(request).pool.acquire() as conn:
        rows = await conn.fetch(f"SELECT id, name FROM campaigns WHERE {cond} ORDER BY name", *args)
    return [(str(r[0]), r[1]) for r in rows]


async def _campaign_id(request: web.Request, data: dict[str, Any]) -> int:
    try:
        campaign_id = int(str(data.get("campaign_id") or ""))
    except ValueError:
        raise InvalidInput({"campaign_id": "choose a campaign"}) from None
    async with ctx(request).pool.acquire() as conn:
        try:
            await visible_campaign(conn, request, campaign_id)
        except NotFound:
            raise InvalidInput({"campaign_id": "choose a campaign"}) from None
    return campaign_id


async def callback_list(request: web.Request) -> web.StreamResponse:
    args: list[Any] = []
    where = [org_condition(principal_of(request), "c.organization_id", args)]
    if request.query.get("campaign", "").isdigit():
        args.append(int(request.query["campaign"]))
        where.append(f"b.campaign_id = ${len(args)}")
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, TABLE, TableParams.parse(TABLE, request.query), where, args)
    return render(request, "dialing/callback_list.html", {"page": page})


async def _form(request: web.Request, values: dict[str, Any], errors: dict[str, str], status: int = 200
                ) -> web.Response:
    async with ctx(request).pool.acquire() as conn:
        ops = (await options(conn, request))["operators"]
    return render(request, "dialing/callback_form.html", {
        "values": values, "errors": errors, "campaigns": await _campaign_options(request), "operators": ops,
    }, status=status)


async def callback_form(request: web.Request) -> web.StreamResponse:
    return await _form(request, {"campaign_id": request.query.get("campaign", "")}, {})


async def callback_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    try:
        campaign_id = await _campaign_id(request, data)
        async with ctx(request).pool.acquire() as conn:
            await callbacks.create(conn, campaign_id, data, utcnow(), "manual", principal_of(request).user_id)
    except InvalidInput as exc:
        return await _form(request, data, exc.fields, 422)
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound(f"{URL}?campaign={campaign_id}")


async def callback_cancel(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        row = await conn.fetchrow("SELECT campaign_id FROM callbacks WHERE id = $1", int_param(request))
        if row is None:
            raise web.HTTPNotFound()
        await visible_campaign(conn, request, row["campaign_id"])
        try:
            await callbacks.cancel(conn, row["campaign_id"], int_param(request))
            flash(request, "success", translate(language(request), "Cancelled"))
        except NotFound:
            flash(request, "error", translate(language(request), "Only a planned callback can be cancelled"))
    raise web.HTTPFound(URL)


async def import_form(request: web.Request) -> web.StreamResponse:
    return render(request, "dialing/callback_import.html", {
        "values": {"campaign_id": request.query.get("campaign", "")}, "errors": {},
        "campaigns": await _campaign_options(request),
    })


async def import_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    data = {"campaign_id": form.get("campaign_id")}
    upload = form.get("file")
    try:
        campaign_id = await _campaign_id(request, data)
        if not isinstance(upload, FileField):
            raise InvalidInput({"file": "choose a CSV file"})
        try:
            text = upload.file.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise InvalidInput({"file": "the file is not UTF-8 text"}) from None
        async with ctx(request).pool.acquire() as conn:
            n = await callbacks.import_csv(conn, campaign_id, text, utcnow(), principal_of(request).user_id)
    except InvalidInput as exc:
        return render(request, "dialing/callback_import.html", {
            "values": data, "errors": exc.fields, "campaigns": await _campaign_options(request),
        }, status=422)
    flash(request, "success", translate(language(request), "Callbacks imported: {n}").replace("{n}", str(n)))
    raise web.HTTPFound(f"{URL}?campaign={campaign_id}")
