"""Robot operators: simulated people who take calls, talk, hang up and pick completion codes.

A RobotOperator acts only through the event socket, as a real operator's actions would reach
the switch: it watches CHANNEL_BRIDGE for its own leg, talks for a sampled time, then ends the
call with ``uuid_kill`` of the customer leg, and after a sampled wrap-up picks a random code.
The demo will drive the same behaviour through the portal APIs later.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from fs_app.esl import EslClient, EslError, Event
from fs_app.esl.commands import uuid_kill
from fs_app.switchsim.population import Distribution

log = logging.getLogger("dialer.switchsim")


@dataclass(frozen=True)
class RobotProfile:
    talk: Distribution = field(default_factory=lambda: Distribution(45.0, 0.5, 3.0, 600.0))
    wrap_up: Distribution = field(default_factory=lambda: Distribution(8.0, 0.4, 1.0, 60.0))
    codes: Sequence[tuple[str, float]] = field(default_factory=lambda: (("sale", 0.2), ("refusal", 0.5),
                                                                        ("callback", 0.3)))


class RobotOperator:
    def __init__(self, client: EslClient, leg_uuid: str, profile: RobotProfile = RobotProfile(), *,
                 seed: int = 0, on_wrapped_up: Callable[[str, str], None] | None = None) -> None:
        self.client, self.leg, self.profile = client, leg_uuid, profile
        self.rng = random.Random(seed)
        self.on_wrapped_up = on_wrapped_up
        self.calls: list[tuple[str, str]] = []  # (customer uuid, code)
        self._tasks: set[asyncio.Task[None]] = set()
        client.add_event_handler(self._on_event)

    def _on_event(self, event: Event) -> None:
        if event.name != "CHANNEL_BRIDGE":
            return
        a, b = event.get("Bridge-A-Unique-ID") or event.uuid, event.get("Bridge-B-Unique-ID")
        other = event.get("Other-Leg-Unique-ID")
        if self.leg in (a, b, other, event.uuid):
            customer = a if a != self.leg else (b or other)
            task = asyncio.get_running_loop().create_task(self._handle(customer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _handle(self, customer: str) -> None:
        await asyncio.sleep(self.profile.talk.sample(self.rng))
        try:
            await self.client.api(uuid_kill(customer))
        except EslError as exc:  # the customer hung up first: nothing to end
            log.debug("robot operator: %s", exc)
        await asyncio.sleep(self.profile.wrap_up.sample(self.rng))
        codes = self.profile.codes
        code = self.rng.choices([c for c, _ in codes], weights=[w for _, w in codes])[0]
        self.calls.append((customer, code))
        if self.on_wrapped_up is not None:
            self.on_wrapped_up(customer, code)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
