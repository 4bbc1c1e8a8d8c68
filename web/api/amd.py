"""/api/v1/amd: the sample library, operator candidates and classifier versions (R6.2-R6.4).

Uploads are multipart (`file`, and `call_id` for candidates), as audio does not belong in JSON.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from aiohttp import web

from dialer import amd_store, amd_training
from dialer.errors import InvalidInput
from web import sessions
from web.amd_library import changed, library
from web.api.common import body, ok
from web.api.schemas_amd import SampleStatusIn
from web.context import ctx
from web.forms import int_param


async def _multipart(request: web.Request) -> tuple[str, bytes, dict[str, str]]:
    form = await request.post()
    field: Any = form.get("file")
    if field is None or isinstance(field, str) or not getattr(field, "filename", ""):
        raise InvalidInput({"file": "send the audio as a multipart field named file"})
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return str(field.filename), field.file.read(), fields


async def samples_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok({"samples": await amd_store.list_samples(conn, request.query.get("status")),
                   "usage": await amd_store.usage(conn)})


async def samples_import(request: web.Request) -> web.StreamResponse:
    name, data, _ = await _multipart(request)
    async with ctx(request).pool.acquire() as conn:
        results = await amd_store.import_upload(conn, library(request), name, data,
                                                request[sessions.PRINCIPAL].user_id)
    await changed(request)
    return ok({"results": [asdict(r) for r in results]}, 201 if any(r.ok for r in results) else 422)


async def sample_get(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok(await amd_store.get_sample(conn, int_param(request)))


async def sample_update(request: web.Request) -> web.StreamResponse:
    data = await body(request, SampleStatusIn)
    sid = int_param(request)
    async with ctx(request).pool.acquire() as conn:
        await amd_store.set_status(conn, sid, data.status)
        sample = await amd_store.get_sample(conn, sid)
    await changed(request)
    return ok(sample)


async def sample_delete(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        await amd_store.delete_sample(conn, int_param(request))
    await changed(request)
    return ok({"deleted": True})


async def sample_audio(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        name, wav = await amd_store.sample_wav(conn, int_param(request))
    return web.Response(body=wav, content_type="audio/wav",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


async def candidate_create(request: web.Request) -> web.StreamResponse:
    """The operator heard a robot: its recording becomes a candidate for a supervisor to verify."""
    name, data, fields = await _multipart(request)
    call_id = fields.get("call_id", "").strip()
    if not call_id:
        raise InvalidInput({"call_id": "the call the recording comes from"})
    async with ctx(request).pool.acquire() as conn:
        result = await amd_store.add_sample(conn, library(request), f"call {call_id}: {name}", data,
                                            source="operator", user_id=request[sessions.PRINCIPAL].user_id,
                                            call_id=call_id)
    if not result.ok:
        raise InvalidInput({"file": result.message})
    await changed(request)
    return ok(asdict(result), 201)


async def models_list(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        return ok({"models": await amd_training.list_models(conn)})


async def models_retrain(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        outcome = await amd_training.retrain(conn)
    return ok(asdict(outcome), 201)
