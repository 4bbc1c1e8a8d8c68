"""In-memory ports for tests, the benchmark and the demo (the DB-backed ones replace them later)."""

from __future__ import annotations

import asyncio
import random
from collections import deque
from collections.abc import Iterable

from fs_app.engine.ports import AttemptResult, DialTarget


class MemoryContacts:
    """A queue of targets per campaign; ``generate`` makes numbers for the demo and the benchmark."""

    def __init__(self, targets: Iterable[DialTarget] = (), campaign_id: int = 1) -> None:
        self.queues: dict[int, deque[DialTarget]] = {campaign_id: deque(targets)}
        self.handed_out = 0

    def add(self, campaign_id: int, targets: Iterable[DialTarget]) -> None:
        self.queues.setdefault(campaign_id, deque()).extend(targets)

    async def next_targets(self, campaign_id: int, n: int, now: float) -> list[DialTarget]:
        q = self.queues.get(campaign_id)
        out: list[DialTarget] = []
        while q and len(out) < n:
            out.append(q.popleft())
        self.handed_out += len(out)
        return out

    @staticmethod
    def generate(count: int, *, start_id: int = 1, seed: int = 0, prefix: str = "+7999") -> list[DialTarget]:
        rng = random.Random(seed)
        names = ("Иван Петров", "Анна Смирнова", "Олег Кузнецов", "Мария Иванова", "Павел Соколов")
        return [DialTarget(contact_id=start_id + i, phone_field="phone",
                           number_e164=f"{prefix}{start_id + i:07d}", lease_id=f"lease-{start_id + i}",
                           attrs={"name": rng.choice(names), "amount": str(rng.randint(500, 90000))})
                for i in range(count)]


class MemoryResults:
    def __init__(self) -> None:
        self.results: list[AttemptResult] = []
        self._changed = asyncio.Event()

    async def record_result(self, attempt: AttemptResult) -> None:
        self.results.append(attempt)
        self._changed.set()

    def by_contact(self, contact_id: int) -> list[AttemptResult]:
        return [r for r in self.results if r.contact_id == contact_id]

    async def wait_for(self, count: int, within_s: float = 10.0) -> list[AttemptResult]:
        async with asyncio.timeout(within_s):
            while len(self.results) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.results
