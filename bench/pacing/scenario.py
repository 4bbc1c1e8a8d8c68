"""Scenarios: what the simulated campaign looks like, the default grid, and YAML/JSON loading."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

import yaml

DYNAMICS = ("stationary", "drift", "staffing")

# Share of dials by outcome apart from live answers; no-answer takes the rest.
MACHINE_SHARE = 0.20
BUSY_SHARE = 0.08
INVALID_SHARE = 0.07


@dataclass(frozen=True)
class Scenario:
    name: str
    operators: int
    live_rate: float
    handle_s: float
    # None: AMD off (machines reach operators); otherwise symmetric accuracy of the verdict.
    amd_accuracy: float | None = None
    dynamics: str = "stationary"
    days: int = 3
    # Dialing seconds in one simulated day (nights carry no calls, so a 24-h window is one day of dialing).
    day_s: float = 8 * 3600.0
    seed: int = 1
    wrap_share: float = 0.15
    talk_cv: float = 0.8
    wrap_cv: float = 0.5
    ring_timeout_s: float = 30.0
    live_ring_mean_s: float = 9.0
    machine_ring_mean_s: float = 7.0
    amd_live_delay_s: float = 1.8
    amd_machine_delay_s: float = 3.0
    patience_mean_s: float = 20.0
    machine_handle_s: float = 6.0

    @property
    def talk_mean_s(self) -> float:
        return self.handle_s * (1 - self.wrap_share)

    @property
    def wrap_mean_s(self) -> float:
        return self.handle_s * self.wrap_share

    @property
    def horizon_s(self) -> float:
        return self.days * self.day_s

    def live_multiplier(self, t: float) -> float:
        if self.dynamics != "drift":
            return 1.0
        x = (t % self.day_s) / self.day_s
        # Answer rate high in the morning and evening, low at midday: 1.4x .. 0.6x of nominal.
        return 1.0 + 0.4 * math.cos(2 * math.pi * x)

    def staffing(self) -> list[tuple[float, int]]:
        """(time, operators logged in) changes over the whole horizon."""
        if self.dynamics != "staffing":
            return [(0.0, self.operators)]
        plan = ((0.0, 0.5), (0.1, 1.0), (0.4, 0.7), (0.55, 1.0), (0.85, 0.6))
        out: list[tuple[float, int]] = []
        for d in range(self.days):
            for x, f in plan:
                out.append((d * self.day_s + x * self.day_s, max(1, round(self.operators * f))))
        return out

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def load_scenarios(path: Path) -> list[Scenario]:
    """A YAML or JSON file holding one scenario mapping or a list of them."""
    text = path.read_text(encoding="utf-8")
    data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    items = data if isinstance(data, list) else data.get("scenarios", [data])
    known = {f.name for f in fields(Scenario)}
    out = []
    for item in items:
        unknown = set(item) - known
        if unknown:
            raise ValueError(f"{path}: unknown scenario keys {sorted(unknown)}")
        out.append(Scenario(**item))
    return out


def expected_dials_per_s(s: Scenario) -> float:
    connects_per_s = s.operators / s.handle_s
    return connects_per_s / max(s.live_rate, 0.05)


def fit_horizon(s: Scenario, *, days: int, max_day_s: float, max_dials_per_day: float,
                min_day_s: float) -> Scenario:
    """Shorten a day so that a day of dialing holds at most ``max_dials_per_day`` dials (large fast teams
    fill a 24-h window with far more calls than a small team's full day; that keeps the grid's cost even)."""
    day = min(max_day_s, max(min_day_s, max_dials_per_day / expected_dials_per_s(s)))
    return replace(s, days=days, day_s=float(round(day)))


def default_grid(*, seed: int, days: int, max_day_s: float, max_dials_per_day: float,
                 min_day_s: float) -> list[Scenario]:
    out = []
    for n, live, handle, amd, dyn in itertools.product(
        (5, 10, 20, 50, 100), (0.1, 0.2, 0.35, 0.5), (60.0, 150.0, 400.0), (None, 0.95, 0.99), DYNAMICS
    ):
        amd_tag = "off" if amd is None else f"{round(amd * 100)}"
        name = f"N{n}-L{round(live * 100)}-H{int(handle)}-AMD{amd_tag}-{dyn}"
        s = Scenario(name=name, operators=n, live_rate=live, handle_s=handle, amd_accuracy=amd,
                     dynamics=dyn, seed=seed)
        out.append(fit_horizon(s, days=days, max_day_s=max_day_s, max_dials_per_day=max_dials_per_day,
                               min_day_s=min_day_s))
    return out


QUICK_NAMES = (
    "N5-L35-H150-AMDoff-stationary",
    "N10-L20-H150-AMD99-drift",
    "N20-L35-H60-AMDoff-stationary",
    "N50-L10-H150-AMD99-staffing",
)
