"""``run_engine(stores)``: the call engine as a background service of ``dialer serve`` / ``demo``.

What to dial comes from :data:`WIRING`: the campaigns code (or the demo) sets the contact
source, the result sink and the running campaigns before the service starts; without them
the engine still connects, follows operators and answers control commands, but dials nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from fs_app.engine.control import EngineControl
from fs_app.engine.core import EngineCore
from fs_app.engine.driver import AmdSettings, Driver
from fs_app.engine.live import COMMANDS_CHANNEL, REPLIES_CHANNEL, LiveWriter
from fs_app.engine.memory import MemoryContacts, MemoryResults
from fs_app.engine.ports import CampaignConfig, ContactSource, ResultSink
from fs_app.engine.store import PgAttemptStore
from fs_app.esl import EslClient, EslError

if TYPE_CHECKING:
    from amd.library import SampleLibrary
    from dialer.runtime import Stores
    from fs_app.switchsim import SimSwitch

log = logging.getLogger("dialer.engine")


@dataclass
class Engine:
    core: EngineCore
    driver: Driver
    control: EngineControl
    switch: SimSwitch | None = None  # the in-process simulated switch (switch=simulated)
    # Closed, in reverse order, when the engine stops and before the simulated switch does: whatever an
    # ``on_started`` hook connected (the demo's robot operators) must let go of the switch first, or its
    # server waits for that connection to close.
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


@dataclass
class Wiring:
    source: ContactSource | None = None
    sink: ResultSink | None = None
    campaigns: list[CampaignConfig] = field(default_factory=list)
    population: object | None = None  # fs_app.switchsim.Population for the simulated switch
    # Start the AMD receiver even when no campaign of ``campaigns`` uses it: campaigns that
    # start later (loaded from the database) may.
    amd: bool = False
    # The sample library the detectors match robots against; its owner (dialer.engine_wiring)
    # loads it from the database and keeps it current. None: no ROBOT verdicts.
    amd_library: SampleLibrary | None = None
    on_started: Callable[[Engine], Awaitable[None]] | None = None


WIRING = Wiring()


async def _simulated_switch(population: object | None) -> SimSwitch:
    from fs_app.switchsim import Population, SimSwitch, SwitchConfig

    pop = population if isinstance(population, Population) else Population()
    return await SimSwitch(SwitchConfig(port=0, population=pop)).start()


async def _commands(engine: Engine, stores: Stores) -> None:
    async for raw in stores.live.subscribe(COMMANDS_CHANNEL):
        reply = engine.control.handle(raw)
        await stores.live.publish(REPLIES_CHANNEL, json.dumps(reply))


async def run_engine(stores: Stores) -> None:
    settings = stores.settings
    wiring = WIRING
    switch = None
    host, port, password = settings.esl_host, settings.esl_port, settings.esl_password
    if settings.switch == "simulated":
        switch = await _simulated_switch(wiring.population)
        host, port, password = "127.0.0.1", switch.port, switch.config.password
    core = EngineCore()
    client = EslClient(host, port, password, queue_events=False)
    amd = AmdSettings() if wiring.amd or any(c.amd for c in wiring.campaigns) else None
    driver = Driver(core, client, PgAttemptStore(stores.pool), wiring.source or MemoryContacts(),
                    wiring.sink or MemoryResults(), live=LiveWriter(stores.live), amd=amd,
                    amd_library=wiring.amd_library)
    control = EngineControl(core, driver.run, time.time)
    engine = Engine(core, driver, control, switch)
    try:
        while True:
            try:
                await driver.start()
                break
            except EslError as exc:
                log.error("call engine: cannot reach the switch at %s:%d (%s); retrying", host, port, exc)
                await asyncio.sleep(5)
        for cfg in wiring.campaigns:
            driver.run(core.start_campaign(cfg, time.time()))
        log.info("call engine running (%s switch at %s:%d, %d campaigns)", settings.switch, host, port,
                 len(wiring.campaigns))
        listener = asyncio.get_running_loop().create_task(_commands(engine, stores))
        try:
            if wiring.on_started is not None:
                await wiring.on_started(engine)
            await asyncio.Event().wait()
        finally:
            listener.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listener
    finally:
        for close in reversed(engine.closers):
            try:
                await close()
            except Exception:  # one failing closer must not keep the switch running
                log.exception("call engine: a closer failed")
        await driver.stop()
        if switch is not None:
            await switch.stop()
