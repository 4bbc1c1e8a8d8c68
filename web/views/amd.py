"""Settings → Detection module: the AMD sample library and classifier versions (R6.2-R6.4)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dialer import amd_store, amd_training
from dialer.amd_store import ImportResult
from dialer.errors import InvalidInput
from web import sessions
from web.amd_library import changed, library
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language

PAGE = "/settings/amd"


async def _page(request: web.Request, results: list[ImportResult] | None = None,
                errors: dict[str, str] | None = None, status: int = 200) -> web.Response:
    async with ctx(request).pool.acquire() as conn:
        samples = await amd_store.list_samples(conn)
        usage = await amd_store.usage(conn)
        models = await amd_training.list_models(conn)
    return render(request, "amd/library.html", {
        "samples": samples, "usage": usage, "models": models, "results": results or [],
        "errors": errors or {}, "statuses": amd_store.STATUSES}, status=status)


async def library_page(request: web.Request) -> web.StreamResponse:
    return await _page(request)


async def _upload(request: web.Request) -> tuple[str, bytes] | None:
    form = await request.post()
    field: Any = form.get("file")
    if field is None or isinstance(field, str) or not getattr(field, "filename", ""):
        return None
    return str(field.filename), field.file.read()


async def import_submit(request: web.Request) -> web.StreamResponse:
    upload = await _upload(request)
    if upload is None:
        return await _page(request, errors={"file": "choose a WAV, MP3 or ZIP file"}, status=422)
    principal = request[sessions.PRINCIPAL]
    try:
        async with ctx(request).pool.acquire() as conn:
            results = await amd_store.import_upload(conn, library(request), *upload, principal.user_id)
    except InvalidInput as exc:
        return await _page(request, errors=exc.fields, status=422)
    await changed(request)
    return await _page(request, results=results)


async def status_submit(request: web.Request) -> web.StreamResponse:
    data = await form_data(request)
    async with ctx(request).pool.acquire() as conn:
        await amd_store.set_status(conn, int_param(request), str(data.get("status", "")))
    await changed(request)
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound(PAGE)


async def delete_submit(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await amd_store.delete_sample(conn, int_param(request))
    await changed(request)
    flash(request, "success", translate(language(request), "Sample deleted"))
    raise web.HTTPFound(PAGE)


async def sample_audio(request: web.Request) -> web.StreamResponse:
    """WAV for download and for the page's <audio> player."""
    async with ctx(request).pool.acquire() as conn:
        name, wav = await amd_store.sample_wav(conn, int_param(request))
    disposition = "attachment" if request.query.get("download") else "inline"
    return web.Response(body=wav, content_type="audio/wav",
                        headers={"Content-Disposition": f'{disposition}; filename="{name}"'})


async def retrain_submit(request: web.Request) -> web.StreamResponse:
    lang = language(request)
    try:
        async with ctx(request).pool.acquire() as conn:
            outcome = await amd_training.retrain(conn)
    except InvalidInput as exc:
        flash(request, "error", translate(lang, "Retraining was not started") + ": " + "; ".join(exc.fields.values()))
        raise web.HTTPFound(PAGE) from exc
    msg = "The new model is active" if outcome.promoted else "The new model was kept inactive"
    flash(request, "success" if outcome.promoted else "info", translate(lang, msg) + f" ({outcome.note})")
    raise web.HTTPFound(PAGE)
