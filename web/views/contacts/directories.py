"""Directories → Phone codes, Number ranges, Production calendar pages."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from dialer.contacts import calendar, directories, jobs, timezones
from dialer.errors import InvalidInput
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language
from web.table import Column, TableParams, TableSpec, fetch_page
from web.views.contacts.common import principal
from web.views.contacts.imports import save_upload

CODE_TABLE = TableSpec(
    name="phone_codes",
    columns=(
        Column("code", "Code", "p.code", searchable=True),
        Column("name", "Name", "p.name", searchable=True),
        Column("utc_offset_min", "UTC offset, minutes", "p.utc_offset_min"),
        Column("tz", "Time zone", "p.tz"),
        Column("description", "Description", "p.description", searchable=True),
    ),
    from_sql="FROM phone_codes p",
    default_sort="code",
    select_extra=("p.id AS id",),
    tiebreak="p.id",
)
RANGE_TABLE = TableSpec(
    name="number_ranges",
    columns=(
        Column("code", "ABC/DEF", "r.code", searchable=True),
        Column("range_from", "Range start", "r.range_from"),
        Column("range_to", "Range end", "r.range_to"),
        Column("capacity", "Capacity", "r.capacity"),
        Column("operator", "Operator", "r.operator", searchable=True),
        Column("region", "Region", "r.region", searchable=True),
        Column("tz", "Time zone", "r.tz", searchable=True),
    ),
    from_sql="FROM number_ranges r",
    default_sort="range_from",
    select_extra=("r.id AS id",),
    tiebreak="r.id",
)
CODE_FORM = [
    {"name": "code", "label": "Code (digits of the international prefix)", "required": True},
    {"name": "name", "label": "Name"},
    {"name": "description", "label": "Description"},
    {"name": "utc_offset_min", "label": "UTC offset, minutes", "required": True},
    {"name": "tz", "label": "Time zone (IANA, optional)"},
]


async def code_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, CODE_TABLE, TableParams.parse(CODE_TABLE, request.query))
        recent = await directories.recent_imports(conn, "phone_codes")
    return render(request, "directories/codes.html", {"page": page, "result": None, "imports": recent})


def _code_form(
    request: web.Request, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> web.Response:
    cid = values.get("id")
    return render(
        request,
        "contacts/form.html",
        {
            "title": "Phone code",
            "heading": values.get("code", ""),
            "form": CODE_FORM,
            "values": values,
            "errors": errors,
            "obj": "phone_codes",
            "back": "/directories/phone-codes",
            "multipart": False,
            "submit": None,
            "action": f"/directories/phone-codes/{cid}" if cid else "/directories/phone-codes/new",
        },
        status=status,
    )


async def code_form(request: web.Request) -> web.StreamResponse:
    values: dict[str, Any] = {}
    if "id" in request.match_info:
        async with ctx(request).pool.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM phone_codes WHERE id=$1", int_param(request))
        if row is None:
            raise web.HTTPNotFound()
        values = dict(row)
    return _code_form(request, values, {})


async def code_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    cid = int_param(request) if "id" in request.match_info else None
    try:
        async with ctx(request).pool.acquire() as conn:
            await directories.save_code(conn, data, cid)
    except InvalidInput as exc:
        return _code_form(request, {**data, "id": cid}, exc.fields, 422)
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound("/directories/phone-codes")


async def code_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await directories.delete_code(conn, int_param(request))
    flash(request, "success", translate(language(request), "Deleted"))
    raise web.HTTPFound("/directories/phone-codes")


IMPORT_PAGES = {"phone_codes": "/directories/phone-codes", "number_ranges": "/directories/number-ranges"}


async def _start_import(request: web.Request, target: str) -> web.StreamResponse:
    """Save the upload, check its header, start a background job and show its progress."""
    back = IMPORT_PAGES[target]
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        flash(request, "error", translate(language(request), "Choose a file"))
        raise web.HTTPFound(back)
    path = await save_upload(request, upload)
    pool = ctx(request).pool
    try:
        async with pool.acquire() as conn:
            job_id = await directories.start_import(
                conn, target, path, str(upload.filename), principal(request).user_id
            )
    except InvalidInput as exc:
        path.unlink(missing_ok=True)
        flash(request, "error", "; ".join(exc.fields.values()))
        raise web.HTTPFound(back) from None
    jobs.start(pool, job_id)
    raise web.HTTPFound(f"{back}/imports/{job_id}")


async def code_import(request: web.Request) -> web.StreamResponse:
    return await _start_import(request, "phone_codes")


async def range_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, RANGE_TABLE, TableParams.parse(RANGE_TABLE, request.query))
        method = await timezones.tz_method(conn)
        recent = await directories.recent_imports(conn, "number_ranges")
    return render(
        request,
        "directories/ranges.html",
        {"page": page, "result": None, "method": method, "imports": recent},
    )


async def range_import(request: web.Request) -> web.StreamResponse:
    return await _start_import(request, "number_ranges")


def _target(request: web.Request) -> str:
    return "phone_codes" if request.path.startswith("/directories/phone-codes") else "number_ranges"


async def import_page(request: web.Request) -> web.StreamResponse:
    """Progress of a registry import job and its row errors (the page polls the API)."""
    target = _target(request)
    async with ctx(request).pool.acquire() as conn:
        job = await directories.import_result(conn, target, int_param(request), 200)
    api = "/api/v1/phone-codes/imports/" if target == "phone_codes" else "/api/v1/number-ranges/imports/"
    return render(
        request,
        "directories/import_job.html",
        {
            "job": job,
            "target": target,
            "back": IMPORT_PAGES[target],
            "api": api + str(job["id"]),
            "obj": target,
        },
    )


async def import_resume(request: web.Request) -> web.StreamResponse:
    """Run a failed registry import again from the first row it did not store."""
    target = _target(request)
    job_id = int_param(request)
    pool = ctx(request).pool
    async with pool.acquire() as conn:
        job = await directories.import_job(conn, target, job_id)
        if job["status"] != "failed":
            raise InvalidInput({"__all__": "only a failed job can be resumed"})
        await conn.execute("UPDATE import_jobs SET status='queued', message='' WHERE id=$1", job_id)
    jobs.start(pool, job_id)
    raise web.HTTPFound(f"{IMPORT_PAGES[target]}/imports/{job_id}")


async def tz_method(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    async with ctx(request).pool.acquire() as conn:
        await timezones.set_tz_method(conn, str(data.get("tz_method") or ""))
        result = await timezones.reassign(conn)
    flash(request, "success", translate(language(request), "Time zones updated: {n}", n=result["changed"]))
    raise web.HTTPFound("/directories/number-ranges")


async def calendar_page(request: web.Request) -> web.StreamResponse:
    try:
        year = int(request.query.get("year", str(ctx(request).clock().year)))
    except ValueError:
        year = ctx(request).clock().year
    async with ctx(request).pool.acquire() as conn:
        cal = await calendar.load_calendar(conn)
        overrides = await conn.fetch(
            "SELECT day, working, note FROM calendar_overrides WHERE extract(year FROM day) = $1 ORDER BY day",
            year,
        )
    months = [(m, calendar.month_grid(year, m, cal)) for m in range(1, 13)]
    return render(
        request, "directories/calendar.html", {"year": year, "months": months, "overrides": overrides}
    )


async def calendar_save(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    async with ctx(request).pool.acquire() as conn:
        if data.get("action") == "clear":
            try:
                await calendar.clear_override(conn, date.fromisoformat(str(data.get("day"))))
            except ValueError:
                raise InvalidInput({"day": "a date as YYYY-MM-DD"}) from None
        else:
            await calendar.set_override(
                conn, data.get("day"), data.get("working"), str(data.get("note") or "")
            )
    year = str(data.get("day") or "")[:4]
    raise web.HTTPFound(f"/directories/calendar?year={year}" if year.isdigit() else "/directories/calendar")
