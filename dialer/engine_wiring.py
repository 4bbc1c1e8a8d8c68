"""The call engine's wiring from the database: contact source, result sink, running campaigns.

``wire_engine`` runs before the engine service starts (``dialer.runtime.ENGINE_PREPARE``): it
sets :data:`fs_app.engine.service.WIRING` to the database adapters and the campaigns running
now. Once the engine is up, :class:`CampaignFollower` keeps it in step with the database:
every ``refresh_s`` seconds, and at once when a ``dialer_campaigns`` notification says a
campaign, strategy, connector or caller-ID group changed (sql/071_engine_wiring.sql).

Only what changed in the database reaches the engine, field by field: a supervisor's live
call-rate edit (sent straight to the engine) survives an unrelated edit of the strategy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import fields
from typing import TYPE_CHECKING, Any

import asyncpg

from dialer.dialing.engine_adapter import DbContactSource, DbResultSink
from dialer.dialing.engine_config import Loaded, load_running
from fs_app.engine.ports import CampaignConfig
from fs_app.engine.service import WIRING, Engine

if TYPE_CHECKING:
    from amd.library import SampleLibrary
    from dialer.amd_store import MatchRecorder
    from dialer.runtime import Stores

log = logging.getLogger("dialer.engine_wiring")

CHANNEL = "dialer_campaigns"
REFRESH_S = 5.0
DRAIN_S = 2.0


def changed_fields(old: CampaignConfig, new: CampaignConfig) -> dict[str, Any]:
    return {f.name: getattr(new, f.name) for f in fields(CampaignConfig)
            if getattr(new, f.name) != getattr(old, f.name)}


class CampaignFollower:
    """Starts, updates and stops the engine's campaigns to match the database."""

    def __init__(self, pool: asyncpg.Pool, dsn: str, *, refresh_s: float = REFRESH_S,
                 clock: Callable[[], float] = time.time) -> None:
        self.pool, self.dsn, self.refresh_s, self.clock = pool, dsn, refresh_s, clock
        self.engine: Engine | None = None
        self.loaded: dict[int, CampaignConfig] = {}  # the last configuration read per campaign
        self.skipped: dict[int, str] = {}
        self.refreshes = 0
        self._changed = asyncio.Event()

    def remember(self, loaded: Loaded) -> None:
        """The campaigns the engine starts by itself (``WIRING.campaigns``), before it runs."""
        self.loaded = dict(loaded.configs)
        self._log_skipped(loaded.skipped)

    def free_operators(self, campaign_id: int) -> Collection[int]:
        """Operators free now who serve the campaign: their own due callbacks may be dialed."""
        engine = self.engine
        run = engine.core.st.campaigns.get(campaign_id) if engine is not None else None
        if engine is None or run is None:
            return ()
        return [int(s.operator_id) for s in engine.core.st.operators.values()
                if s.operator_id.isdigit() and s.free() and s.serves(run.config)]

    def apply(self, engine: Engine, loaded: Loaded) -> None:
        core, run, now = engine.core, engine.driver.run, self.clock()
        for cid, cfg in loaded.configs.items():
            current = core.st.campaigns.get(cid)
            old = self.loaded.get(cid)
            if current is None or not current.running or old is None:
                run(core.start_campaign(cfg, now))
                log.info("campaign %s: dialing (%s)", cid, cfg.dial_mode.value)
                continue
            changes = changed_fields(old, cfg)
            if not changes:
                continue
            if "connectors" in changes:
                # Only start_campaign registers connectors the engine has not seen yet.
                run(core.start_campaign(type(cfg)(**{**_as_dict(current.config), **changes}), now))
            else:
                run(core.update_campaign(cid, now, **changes))
            log.info("campaign %s: configuration changed (%s)", cid, ", ".join(sorted(changes)))
        for cid in set(self.loaded) - set(loaded.configs):
            current = core.st.campaigns.get(cid)
            if current is not None and current.running:
                run(core.stop_campaign(cid, now))
                log.info("campaign %s: no longer dialing (calls in progress finish)", cid)
        self.loaded = dict(loaded.configs)
        self._log_skipped(loaded.skipped)

    def _log_skipped(self, skipped: dict[int, str]) -> None:
        for cid, why in skipped.items():
            if self.skipped.get(cid) != why:
                log.warning("campaign %s is running but not dialed: %s", cid, why)
        self.skipped = dict(skipped)

    async def refresh(self) -> None:
        async with self.pool.acquire() as conn:
            loaded = await load_running(conn)
        if self.engine is not None:
            self.apply(self.engine, loaded)
        self.refreshes += 1

    def _notified(self, *_: object) -> None:
        self._changed.set()

    async def _listen(self) -> asyncpg.Connection | None:
        try:
            conn: asyncpg.Connection = await asyncpg.connect(self.dsn)
            await conn.add_listener(CHANNEL, self._notified)
            return conn
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("campaign change notifications unavailable (%s): polling every %.0f s", exc, self.refresh_s)
            return None

    async def follow(self, engine: Engine) -> None:
        """Runs until cancelled (with the engine service)."""
        self.engine = engine
        listener: asyncpg.Connection | None = None
        try:
            while True:
                if listener is None or listener.is_closed():
                    listener = await self._listen()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.refresh_s):
                        await self._changed.wait()
                self._changed.clear()
                try:
                    await self.refresh()
                except (OSError, asyncpg.PostgresError):
                    log.exception("reading the running campaigns failed; retrying in %.0f s", self.refresh_s)
        finally:
            if listener is not None and not listener.is_closed():
                await listener.close()


def _as_dict(cfg: CampaignConfig) -> dict[str, Any]:
    return {f.name: getattr(cfg, f.name) for f in fields(CampaignConfig)}


async def engine_library(stores: Stores) -> tuple[SampleLibrary, MatchRecorder]:
    """The AMD sample library of this engine process: the portal's table, read now, with every
    match counted in it. A database error leaves it empty rather than stopping the engine: its
    detectors still tell people from machines, and the next `amd.reload` fills it."""
    from amd.library import SampleLibrary
    from dialer import amd_store

    recorder = amd_store.MatchRecorder(stores.pool)
    library = SampleLibrary(on_match=recorder)
    try:
        async with stores.pool.acquire() as conn:
            await amd_store.reload_library(conn, library)
    except (OSError, asyncpg.PostgresError):
        log.exception("the AMD sample library could not be read: no robot matches until it is reloaded")
    return library, recorder


async def _keep_library_current(stores: Stores, library: SampleLibrary, recorder: MatchRecorder) -> None:
    from dialer import amd_store

    try:
        await amd_store.follow_reloads(stores.pool, stores.live, library)
    finally:
        library.on_match(None)
        # Shutdown must not wait on a database that is closing too: a lost count fails nothing.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(DRAIN_S):
                await recorder.drain()


async def wire_engine(stores: Stores) -> CampaignFollower:
    """Point the engine at the database; keeps an ``on_started`` set earlier (the demo's robots)."""
    follower = CampaignFollower(stores.pool, stores.dsn)
    async with stores.pool.acquire() as conn:
        loaded = await load_running(conn)
    follower.remember(loaded)
    WIRING.source = DbContactSource(stores.pool, free_operators=follower.free_operators)
    WIRING.sink = DbResultSink(stores.pool)
    WIRING.campaigns = list(loaded.configs.values())
    WIRING.amd = WIRING.amd or loaded.any_amd
    # Only an engine that starts the AMD receiver has detectors to give the library to.
    amd = await engine_library(stores) if WIRING.amd else None
    WIRING.amd_library = amd[0] if amd is not None else None
    earlier = WIRING.on_started

    async def on_started(engine: Engine) -> None:
        if earlier is not None:
            await earlier(engine)
        if amd is None:
            await follower.follow(engine)
            return
        reloads = asyncio.create_task(_keep_library_current(stores, *amd), name="amd-library-reload")
        try:
            await follower.follow(engine)
        finally:
            reloads.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reloads

    WIRING.on_started = on_started
    log.info("engine wired to the database: %d running campaigns", len(loaded.configs))
    return follower
