"""What a simulated run records, and the rolling counters the simulator keeps for its abandon windows."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class Result:
    dials: int = 0
    human_answers: int = 0
    logged_in_s: float = 0.0
    human_talk_s: float = 0.0
    human_wrap_s: float = 0.0
    machine_handle_s: float = 0.0
    # Per human answer: ready time, connect time (None: never), AMD false positive.
    answered_at: list[float] = field(default_factory=list)
    connected_at: list[float | None] = field(default_factory=list)
    # Operator idle periods between calls (ready until the next connect).
    idle_periods: list[float] = field(default_factory=list)
    max_active_calls: int = 0


class _Window:
    """Running count of events in the last ``width`` seconds."""

    def __init__(self, width: float) -> None:
        self.width = width
        self.times: deque[float] = deque()

    def add(self, t: float) -> None:
        self.times.append(t)

    def count(self, now: float) -> int:
        lo = now - self.width
        while self.times and self.times[0] < lo:
            self.times.popleft()
        return len(self.times)
