"""A simulated switch + the engine through our event-socket client, with short timings."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from fs_app.engine.control import EngineControl
from fs_app.engine.core import EngineCore
from fs_app.engine.driver import AmdSettings, Driver
from fs_app.engine.memory import MemoryContacts, MemoryResults
from fs_app.engine.ports import CampaignConfig, Connector, DialTarget
from fs_app.engine.store import AttemptStore, MemoryAttemptStore
from fs_app.esl import Backoff, EslClient
from fs_app.switchsim import CallPlan, Population, SimSwitch, SwitchConfig

HUMAN = CallPlan("human", ring_s=0.05, early_media=False, talk_s=30.0, patience_s=30.0, machine_s=1.0)


def plan(kind: str, **kw: Any) -> CallPlan:
    return dataclasses.replace(HUMAN, kind=kind, **kw)


def target(n: int) -> DialTarget:
    return DialTarget(n, "phone", f"+7999{n:07d}", f"lease-{n}", {"name": f"Contact {n}"})


def number(n: int) -> str:
    return f"7999{n:07d}"


@dataclass
class Rig:
    switch: SimSwitch
    core: EngineCore
    driver: Driver
    control: EngineControl
    contacts: MemoryContacts
    results: MemoryResults
    store: AttemptStore
    originates: list[str] = field(default_factory=list)

    def pin(self, n: int, p: CallPlan) -> None:
        self.switch.pin(number(n), p)

    async def until(self, pred: Callable[[], bool], within_s: float = 5.0) -> None:
        async with asyncio.timeout(within_s):
            while not pred():  # noqa: ASYNC110 (engine state changes have no event to await)
                await asyncio.sleep(0.01)

    async def result(self, contact_id: int, within_s: float = 5.0) -> Any:
        await self.until(lambda: bool(self.results.by_contact(contact_id)), within_s)
        return self.results.by_contact(contact_id)[0]

    def operator(self, op_id: str) -> Any:
        return self.core.st.operators[op_id]

    async def nailed(self, op_id: str, ready: bool = True, skills: dict[str, int] | None = None) -> str:
        self.control.login(op_id, ready=ready, skills=skills)
        leg = self.switch.add_nailed_operator(f"10{op_id}", op_id)
        await self.until(lambda: self.operator(op_id).leg == leg)
        return leg


def config(**kw: Any) -> CampaignConfig:
    base: dict[str, Any] = {"campaign_id": 1, "ring_timeout_s": 15, "wrap_up_s": 0.3, "preview_s": 0.5,
                            "connectors": (Connector("carrier", "carrier", capacity=50, cps=50),),
                            "greeting_sound": "tone_stream://%(100,0,440);loops=1", "wait_sound": "",
                            "hold_music": "tone_stream://%(1000,0,350);loops=-1"}
    base.update(kw)
    return CampaignConfig(**base)


@asynccontextmanager
async def rig(cfg: CampaignConfig | None = None, *, targets: list[DialTarget] = (),  # type: ignore[assignment]
              store: AttemptStore | None = None, population: Population | None = None,
              amd: bool = False, start: bool = True) -> AsyncIterator[Rig]:
    pop = population or Population(shares={"human": 1.0}, answer_by_hour=(1.0,) * 24, seed=5)
    switch = SimSwitch(SwitchConfig(port=0, population=pop, operator_answer_s=0.02, progress_s=0.01))
    await switch.start()
    originates: list[str] = []
    real = switch.core.originate

    def counting(arg: str, job: str) -> None:
        originates.append(arg)
        real(arg, job)

    switch.core.originate = counting  # type: ignore[method-assign]
    client = EslClient("127.0.0.1", switch.port, backoff=Backoff(0.2, 2.0, 1.0, 0.0), command_timeout=5,
                       queue_events=False)
    core = EngineCore(seed=1)
    contacts = MemoryContacts(targets)
    results = MemoryResults()
    attempts = store or MemoryAttemptStore()
    driver = Driver(core, client, attempts, contacts, results, amd=AmdSettings() if amd else None, tick_s=0.05)
    control = EngineControl(core, driver.run, time.time)
    r = Rig(switch, core, driver, control, contacts, results, attempts, originates)
    try:
        await driver.start()
        if start:
            driver.run(core.start_campaign(cfg or config(), time.time()))
        yield r
    finally:
        await driver.stop()
        await switch.stop()
