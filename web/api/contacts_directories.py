"""REST handlers of the directories: phone codes, number ranges, time zones, calendar."""

from __future__ import annotations

from datetime import date

from aiohttp import web

from dialer.contacts import calendar, directories, timezones
from dialer.errors import InvalidInput
from web.api.common import body, ok
from web.api.schemas_contacts import CalendarOverrideIn, PhoneCodeIn, TzMethodIn
from web.context import ctx
from web.forms import int_param
from web.views.contacts.imports import save_upload


async def codes_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok([dict(r) for r in await conn.fetch("SELECT * FROM phone_codes ORDER BY code")])


async def codes_create(request: web.Request) -> web.StreamResponse:
    data = await body(request, PhoneCodeIn)
    async with ctx(request).pool.acquire() as conn:
        cid = await directories.save_code(conn, data.model_dump())
        return ok(dict(await conn.fetchrow("SELECT * FROM phone_codes WHERE id=$1", cid)), 201)


async def codes_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await directories.delete_code(conn, int_param(request))
    return ok({"deleted": True})


async def ranges_import(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    upload = form.get("file")
    if not isinstance(upload, web.FileField):
        raise InvalidInput({"file": "send the file in the field 'file'"})
    path = await save_upload(request, upload)
    async with ctx(request).pool.acquire() as conn:
        return ok(await directories.import_ranges(conn, path))


async def tz_method(request: web.Request) -> web.StreamResponse:
    data = await body(request, TzMethodIn)
    async with ctx(request).pool.acquire() as conn:
        await timezones.set_tz_method(conn, data.tz_method)
        return ok(await timezones.reassign(conn))


async def calendar_day(request: web.Request) -> web.StreamResponse:
    try:
        day = date.fromisoformat(request.match_info["day"])
    except ValueError:
        raise InvalidInput({"day": "a date as YYYY-MM-DD"}) from None
    async with ctx(request).pool.acquire() as conn:
        working = await calendar.is_working_day(conn, day)
    return ok({"day": day, "working": working, "holiday": calendar.holiday_name(day)})


async def calendar_override(request: web.Request) -> web.StreamResponse:
    data = await body(request, CalendarOverrideIn)
    async with ctx(request).pool.acquire() as conn:
        await calendar.set_override(conn, data.day, data.working, data.note)
    return ok({"day": data.day, "working": data.working})


async def sources_list(request: web.Request) -> web.StreamResponse:
    from dialer.access.policy import org_condition
    from web.views.contacts.common import principal

    args: list[object] = []
    cond = org_condition(principal(request), "l.organization_id", args)
    async with ctx(request).pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT s.id, s.name, s.kind, s.list_id, s.schedule, s.last_run_at, s.last_status, s.last_message, "
            f"s.last_job_id FROM data_sources s JOIN contact_lists l ON l.id = s.list_id WHERE {cond} ORDER BY s.name",
            *args,
        )
    return ok([dict(r) for r in rows])


async def sources_run(request: web.Request) -> web.StreamResponse:
    from dialer.contacts import sources
    from web.views.contacts.common import scoped_list

    app = ctx(request)
    sid = int_param(request)
    async with app.pool.acquire() as conn:
        await scoped_list(conn, request, (await sources.get_source(conn, sid))["list_id"])
    return ok(await sources.run_source(app.pool, sid, app.settings.data_dir, app.box))
