"""The portal process's AMD sample library: loaded from PostgreSQL at start, reloaded after every
change, and told about changes made by other processes through the live store channel."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import uuid
from collections.abc import AsyncIterator

from aiohttp import web

from amd.library import SampleLibrary
from dialer import amd_store
from web.context import CTX, AppContext

log = logging.getLogger("dialer.web.amd_library")

LIBRARY = web.AppKey("amd_library", SampleLibrary)
# Identifies this process's own reload messages, which need no second reload.
_ORIGIN = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"


def library(request: web.Request) -> SampleLibrary:
    return request.config_dict[LIBRARY]


async def _reload(context: AppContext, lib: SampleLibrary) -> None:
    async with context.pool.acquire() as conn:
        await amd_store.reload_library(conn, lib)


async def changed(request: web.Request) -> None:
    """After a change: this process reloads now, the others on the `amd.reload` message."""
    context = request.config_dict[CTX]
    await _reload(context, library(request))
    try:
        await context.live.publish(amd_store.RELOAD_CHANNEL, _ORIGIN)
    except Exception:  # the live store being down must not undo a saved change
        log.exception("could not announce the AMD library reload")


async def library_ctx(app: web.Application) -> AsyncIterator[None]:
    """cleanup_ctx: the library lives as long as the application."""
    context = app[CTX]
    lib = app[LIBRARY]
    # Detectors sharing this library (the WebSocket audio endpoint) count their matches in the table.
    recorder = amd_store.MatchRecorder(context.pool)
    lib.on_match(recorder)
    await _reload(context, lib)
    task = asyncio.create_task(amd_store.follow_reloads(context.pool, context.live, lib, own_origin=_ORIGIN),
                               name="amd-library-reload")
    yield
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    lib.on_match(None)
    await recorder.drain()


def install(app: web.Application) -> None:
    app[LIBRARY] = SampleLibrary()
    app.cleanup_ctx.append(library_ctx)
