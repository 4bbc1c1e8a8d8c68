"""Directory pages beyond list and form: caller-ID batch import and bulk delete, connector mode."""

from __future__ import annotations

from aiohttp import web

from dialer.campaigns import telephony
from dialer.errors import InvalidInput
from web.context import ctx
from web.forms import flash, form_data, render
from web.i18n import translate
from web.middleware import language

_IMPORT = "directories/caller_id_import.html"


async def import_form(request: web.Request) -> web.StreamResponse:
    return render(request, _IMPORT, {"values": {}, "errors": {}})


async def import_submit(request: web.Request) -> web.StreamResponse:
    post = await request.post()
    text = str(post.get("numbers") or "")
    upload = post.get("file")
    if isinstance(upload, web.FileField):
        # A file wins over the text box; registry exports are often in Windows-1251.
        raw = upload.file.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1251", errors="replace")
    request["audit_input"] = {"lines": len(text.splitlines())}
    try:
        async with ctx(request).pool.acquire() as conn:
            count = await telephony.import_caller_ids(conn, text)
    except InvalidInput as exc:
        return render(request, _IMPORT, {"values": {"numbers": text}, "errors": exc.fields}, status=422)
    flash(request, "success", translate(language(request), "Imported: {n}", n=str(count)))
    raise web.HTTPFound("/directories/caller-ids")


async def bulk_delete(request: web.Request) -> web.StreamResponse:
    """Deletes the checked numbers, or every number when the form says scope=all."""
    data = await form_data(request)
    if data.get("scope") == "all":
        ids = None
    else:
        try:
            ids = [int(v) for v in data.get("ids", [])]
        except ValueError:
            raise web.HTTPBadRequest() from None
    async with ctx(request).pool.acquire() as conn:
        count = await telephony.delete_caller_ids(conn, ids)
    flash(request, "success", translate(language(request), "Deleted: {n}", n=str(count)))
    raise web.HTTPFound("/directories/caller-ids")


async def connector_mode(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    lang = language(request)
    try:
        async with ctx(request).pool.acquire() as conn:
            await telephony.set_connector_mode(conn, str(data.get("mode", "")))
        flash(request, "success", translate(lang, "Saved"))
    except InvalidInput:
        flash(request, "error", translate(lang, "Choose a selection mode"))
    raise web.HTTPFound("/directories/connectors")


async def current_connector_mode(request: web.Request) -> str:
    async with ctx(request).pool.acquire() as conn:
        mode: str = await conn.fetchval("SELECT mode FROM connector_settings")
    return mode
