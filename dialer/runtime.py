"""Builds the running service from settings: stores, the web application, background services."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass
from typing import Any, Literal

import asyncpg
from aiohttp import web

from dialer.access.roles import sync_presets
from dialer.db import create_pool
from dialer.directory import LdapDirectory
from dialer.embedded import EmbeddedPostgres
from dialer.kv import LiveStore, connect_live_store
from dialer.migrations import migrate
from dialer.secretbox import SecretBox
from dialer.settings import Settings

log = logging.getLogger("dialer.runtime")

Role = Literal["all", "web", "engine"]
# A background service gets the stores and runs until cancelled (the call engine, schedulers).
BackgroundService = Callable[["Stores"], Coroutine[Any, Any, None]]
ENGINE_SERVICES: list[tuple[str, BackgroundService]] = []
# Steps awaited in order before the engine services start: the engine reads its wiring
# (fs_app.engine.service.WIRING) once, at start, so whatever sets it must have finished.
ENGINE_PREPARE: list[Callable[[Stores], Awaitable[object]]] = []


class StartupError(Exception):
    pass


@dataclass
class Stores:
    settings: Settings
    dsn: str
    pool: asyncpg.Pool
    live: LiveStore


async def open_stores(settings: Settings, stack: AsyncExitStack, allow_embedded: bool) -> Stores:
    dsn = settings.database_url
    if dsn is None:
        if not allow_embedded:
            raise StartupError("setting database_url (DIALER_DATABASE_URL or DATABASE_URL) is required")
        embedded = EmbeddedPostgres(settings.data_dir)
        dsn = await asyncio.to_thread(embedded.start)
        stack.callback(embedded.stop)
    applied = await migrate(dsn, settings.migrations_dir)
    for mig in applied:
        log.info("migration %03d %s applied", mig.version, mig.name)
    pool = await create_pool(dsn, settings.db_pool_min, settings.db_pool_max)
    stack.push_async_callback(pool.close)
    async with pool.acquire() as conn:
        await sync_presets(conn)
    live = connect_live_store(settings.redis_url, settings.redis_prefix)
    stack.push_async_callback(live.close)
    return Stores(settings, dsn, pool, live)


def build_web_app(stores: Stores) -> web.Application:
    from web.app import create_app
    from web.context import AppContext

    settings = stores.settings
    context = AppContext(
        settings=settings,
        pool=stores.pool,
        live=stores.live,
        directory=LdapDirectory(settings),
        box=SecretBox(settings.effective_secret_key()),
    )
    return create_app(context)


async def run_service(
    settings: Settings,
    role: Role,
    allow_embedded: bool,
    on_ready: Callable[[Stores], Awaitable[None]] | None = None,
) -> None:
    if role != "all" and settings.redis_url is None:
        raise StartupError(
            "setting redis_url (REDIS_URL) is required when web and engine run as separate processes"
        )
    if role == "engine" and not ENGINE_SERVICES:
        raise StartupError("this build has no call engine yet: run `dialer serve` with --role web or all")
    async with AsyncExitStack() as stack:
        stores = await open_stores(settings, stack, allow_embedded)
        tasks: list[asyncio.Task[None]] = []
        runner = None
        if role in ("all", "web"):
            runner = web.AppRunner(build_web_app(stores), access_log=None)
            await runner.setup()
            site = web.TCPSite(runner, settings.host, settings.port)
            try:
                await site.start()
            except OSError as exc:
                raise StartupError(
                    f"cannot listen on {settings.host}:{settings.port} (setting port): {exc}"
                ) from exc
            stack.push_async_callback(runner.cleanup)
            log.info("portal on %s", settings.portal_url())
        if role in ("all", "engine"):
            for step in ENGINE_PREPARE:
                await step(stores)
            for name, service in ENGINE_SERVICES:
                tasks.append(asyncio.create_task(service(stores), name=name))
        if on_ready is not None:
            await on_ready(stores)
        try:
            if tasks:
                await asyncio.gather(*tasks)
            else:
                await asyncio.Event().wait()
        finally:
            for t in tasks:
                t.cancel()


# What the engine dials: the running campaigns of the database (set before it starts).
from dialer.engine_wiring import wire_engine  # noqa: E402

ENGINE_PREPARE.append(wire_engine)

# The call engine (issue #5); other services (schedulers) append themselves the same way.
from fs_app.engine.service import run_engine  # noqa: E402 (needs Stores defined above)

ENGINE_SERVICES.append(("call-engine", run_engine))

# Data-source schedules (issue #3): loads contact lists on their schedules.
from dialer.scheduler import run_scheduler  # noqa: E402

ENGINE_SERVICES.append(("data-source-scheduler", run_scheduler))

# AMD self-learning (issue #8, R6.4): retrains the classifier on the schedule amd_retrain_schedule.
from dialer.amd_training import run_retrain_scheduler  # noqa: E402

ENGINE_SERVICES.append(("amd-retrain-scheduler", run_retrain_scheduler))
