"""REST handlers of the directories: phone codes, number ranges, time zones, calendar,
and of the contact lists' data sources."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

from aiohttp import web

from dialer.access.policy import org_condition
from dialer.contacts import calendar, directories, jobs, sources, timezones
from dialer.errors import InvalidInput, NotFound
from web.api.common import body, int_query, ok
from web.api.schemas_contacts import (
    CalendarOverrideIn,
    DataSourceIn,
    NumberRangesDeleteIn,
    PhoneCodeIn,
    TzMethodIn,
)
from web.context import ctx
from web.forms import int_param
from web.table import TableParams, fetch_page
from web.views.contacts.common import principal, region, scoped_list
from web.views.contacts.directories import RANGE_TABLE
from web.views.contacts.imports import save_upload

# --- phone codes ------------------------------------------------------------------------------


async def _code(conn: Any, code_id: int) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM phone_codes WHERE id=$1", code_id)
    if row is None:
        raise NotFound(f"phone code {code_id}")
    return dict(row)


async def codes_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok([dict(r) for r in await conn.fetch("SELECT * FROM phone_codes ORDER BY code")])


async def codes_create(request: web.Request) -> web.StreamResponse:
    data = await body(request, PhoneCodeIn)
    async with ctx(request).pool.acquire() as conn:
        cid = await directories.save_code(conn, data.model_dump())
        return ok(await _code(conn, cid), 201)


async def codes_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok(await _code(conn, int_param(request)))


async def codes_update(request: web.Request) -> web.StreamResponse:
    data = await body(request, PhoneCodeIn)
    async with ctx(request).pool.acquire() as conn:
        cid = await directories.save_code(conn, data.model_dump(), int_param(request))
        return ok(await _code(conn, cid))


async def codes_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await directories.delete_code(conn, int_param(request))
    return ok({"deleted": True})


# --- registry imports (background jobs) -------------------------------------------------------


async def _import(request: web.Request, target: str) -> web.StreamResponse:
    """multipart: file, wait (1/true: answer when the job is done, with its row errors)."""
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField) or not upload.filename:
        raise InvalidInput({"file": "send the file in the field 'file'"})
    path = await save_upload(request, upload)
    pool = ctx(request).pool
    async with pool.acquire() as conn:
        try:
            job_id = await directories.start_import(
                conn, target, path, str(upload.filename), principal(request).user_id
            )
        except InvalidInput:
            path.unlink(missing_ok=True)
            raise
    task = jobs.start(pool, job_id)
    if form.get("wait") in ("1", "true", "on"):
        await asyncio.shield(task)
        async with pool.acquire() as conn:
            return ok(await directories.import_result(conn, target, job_id))
    async with pool.acquire() as conn:
        return ok(await directories.import_result(conn, target, job_id), 202)


async def _import_get(request: web.Request, target: str) -> web.StreamResponse:
    limit = int_query(request, "limit", 200, 1, 10_000)
    offset = int_query(request, "offset", 0, 0, 2**31)
    async with ctx(request).pool.acquire() as conn:
        return ok(await directories.import_result(conn, target, int_param(request), limit, offset))


async def codes_import(request: web.Request) -> web.StreamResponse:
    return await _import(request, "phone_codes")


async def codes_import_get(request: web.Request) -> web.StreamResponse:
    return await _import_get(request, "phone_codes")


async def ranges_import(request: web.Request) -> web.StreamResponse:
    return await _import(request, "number_ranges")


async def ranges_import_get(request: web.Request) -> web.StreamResponse:
    return await _import_get(request, "number_ranges")


# --- number ranges ----------------------------------------------------------------------------


async def ranges_list(request: web.Request) -> web.StreamResponse:
    """Paginated (page, per, sort, dir, q); code: ABC/DEF code, region: part of the region."""
    where: list[str] = []
    args: list[Any] = []
    code = request.query.get("code", "").strip()
    if code:
        if not code.isdigit():
            raise InvalidInput({"code": "digits of an ABC/DEF code, e.g. 916"})
        args.append(code)
        where.append(f"r.code = ${len(args)}")
    reg = request.query.get("region", "").strip()
    if reg:
        args.append("%" + reg.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        where.append(f"r.region ILIKE ${len(args)}")
    query = {k: v for k, v in request.query.items() if k not in ("code", "region")}
    async with ctx(request).pool.acquire() as conn:
        page = await fetch_page(conn, RANGE_TABLE, TableParams.parse(RANGE_TABLE, query), where, args)
    return ok(
        {"total": page.total, "page": page.params.page, "per": page.params.per_page, "items": page.rows}
    )


async def ranges_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok(await directories.get_range(conn, int_param(request)))


async def ranges_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok(await directories.delete_range(conn, int_param(request)))


async def ranges_delete_many(request: web.Request) -> web.StreamResponse:
    data = await body(request, NumberRangesDeleteIn)
    if data.code is None and not data.all:
        raise InvalidInput({"code": "give a code, or all=true to delete every range"})
    async with ctx(request).pool.acquire() as conn:
        return ok(await directories.delete_ranges(conn, data.code))


async def tz_lookup(request: web.Request) -> web.StreamResponse:
    phone = request.query.get("phone", "").strip()
    if not phone:
        raise InvalidInput({"phone": "required, e.g. ?phone=%2B79161234567"})
    async with ctx(request).pool.acquire() as conn:
        return ok(await directories.lookup(conn, phone, region(request)))


async def tz_method(request: web.Request) -> web.StreamResponse:
    data = await body(request, TzMethodIn)
    async with ctx(request).pool.acquire() as conn:
        await timezones.set_tz_method(conn, data.tz_method)
        return ok(await timezones.reassign(conn))


# --- production calendar ----------------------------------------------------------------------


def _day(raw: str) -> date:
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput({"day": "a date as YYYY-MM-DD"}) from None


async def calendar_day(request: web.Request) -> web.StreamResponse:
    day = _day(request.match_info["day"])
    async with ctx(request).pool.acquire() as conn:
        working = await calendar.is_working_day(conn, day)
    return ok({"day": day, "working": working, "holiday": calendar.holiday_name(day)})


async def calendar_overrides(request: web.Request) -> web.StreamResponse:
    year = int_query(request, "year", ctx(request).clock().year, 1900, 2200)
    async with ctx(request).pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT day, working, note FROM calendar_overrides WHERE day >= $1 AND day < $2 ORDER BY day",
            date(year, 1, 1),
            date(year + 1, 1, 1),
        )
    return ok(
        {
            "year": year,
            "items": [{**dict(r), "holiday": calendar.holiday_name(r["day"])} for r in rows],
        }
    )


async def calendar_override(request: web.Request) -> web.StreamResponse:
    data = await body(request, CalendarOverrideIn)
    async with ctx(request).pool.acquire() as conn:
        await calendar.set_override(conn, data.day, data.working, data.note)
    return ok({"day": data.day, "working": data.working})


async def calendar_override_delete(request: web.Request) -> web.StreamResponse:
    day = _day(request.match_info["day"])
    async with ctx(request).pool.acquire() as conn:
        if await conn.fetchval("SELECT 1 FROM calendar_overrides WHERE day=$1", day) is None:
            raise NotFound(f"calendar override {day}")
        await calendar.clear_override(conn, day)
        working = await calendar.is_working_day(conn, day)
    return ok({"deleted": True, "day": day, "working": working})


# --- data sources -----------------------------------------------------------------------------


async def sources_list(request: web.Request) -> web.StreamResponse:
    args: list[object] = []
    cond = org_condition(principal(request), "l.organization_id", args)
    async with ctx(request).pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT s.id, s.name, s.kind, s.list_id, s.schedule, s.last_run_at, s.last_status, s.last_message, "
            f"s.last_job_id FROM data_sources s JOIN contact_lists l ON l.id = s.list_id WHERE {cond} ORDER BY s.name",
            *args,
        )
    return ok([dict(r) for r in rows])


async def _scoped_source(conn: Any, request: web.Request, sid: int) -> dict[str, Any]:
    src = await sources.get_source(conn, sid)
    await scoped_list(conn, request, src["list_id"])
    return src


async def _check_list(conn: Any, request: web.Request, list_id: int) -> None:
    try:
        await scoped_list(conn, request, list_id)
    except NotFound:
        raise InvalidInput({"list_id": "no such contact list"}) from None


async def sources_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok(sources.public_source(await _scoped_source(conn, request, int_param(request))))


async def sources_create(request: web.Request) -> web.StreamResponse:
    data = await body(request, DataSourceIn)
    app = ctx(request)
    async with app.pool.acquire() as conn:
        await _check_list(conn, request, data.list_id)
        sid = await sources.save_source(conn, data.model_dump(), app.box)
        return ok(sources.public_source(await sources.get_source(conn, sid)), 201)


async def sources_update(request: web.Request) -> web.StreamResponse:
    data = await body(request, DataSourceIn)
    app = ctx(request)
    sid = int_param(request)
    async with app.pool.acquire() as conn:
        await _scoped_source(conn, request, sid)
        await _check_list(conn, request, data.list_id)
        await sources.save_source(conn, data.model_dump(), app.box, sid)
        return ok(sources.public_source(await sources.get_source(conn, sid)))


async def sources_delete(request: web.Request) -> web.StreamResponse:
    sid = int_param(request)
    async with ctx(request).pool.acquire() as conn:
        await _scoped_source(conn, request, sid)
        await sources.delete_source(conn, sid)
    return ok({"deleted": True})


async def sources_run(request: web.Request) -> web.StreamResponse:
    app = ctx(request)
    sid = int_param(request)
    async with app.pool.acquire() as conn:
        await _scoped_source(conn, request, sid)
    return ok(await sources.run_source(app.pool, sid, app.settings.data_dir, app.box))
