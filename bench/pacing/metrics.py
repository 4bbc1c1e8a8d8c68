"""Figures of one simulated run, computed with the shared abandon-accounting rule."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bench.pacing.scenario import Scenario
from bench.pacing.sim import Result
from fs_app.pacing.abandon import abandoned_mask

CAP = 0.03


@dataclass(frozen=True)
class RunFigures:
    occupancy: float
    occupancy_with_wrap: float
    wait_mean_s: float
    wait_p95_s: float
    abandon_rate: float
    abandon_30d_max: float
    share_24h_over_cap: float
    hold_mean_s: float
    hold_p95_s: float
    dials_per_live: float
    dials: int
    live: int

    @property
    def feasible(self) -> bool:
        """The abandon goals: every 30-day window <= cap and >= 95 % of 24-h windows <= cap."""
        return self.abandon_30d_max <= CAP and self.share_24h_over_cap <= 0.05


def _window_rates(times: np.ndarray, prefix: np.ndarray, *, window_s: float, step_s: float, start: float,
                  end: float) -> tuple[np.ndarray, np.ndarray]:
    """Live answers and abandons in every window of :func:`fs_app.pacing.abandon.rolling_rates` (same
    window ends, accumulated the same way), by binary search over the sorted answer times instead of a
    Python walk over every answer: the figures of 13 runs per scenario were a tenth of the grid's time."""
    ends: list[float] = []
    t = start + window_s
    while t <= end + 1e-9:
        ends.append(t)
        t += step_s
    te = np.asarray(ends)
    hi = np.searchsorted(times, te, side="left")
    lo = np.searchsorted(times, te - window_s, side="left")
    return (hi - lo).astype(float), (prefix[hi] - prefix[lo]).astype(float)


def figures(s: Scenario, res: Result, grace_s: float = 2.0) -> RunFigures:
    answered = np.asarray(res.answered_at, dtype=float)
    connected = np.array([math.nan if c is None else c for c in res.connected_at], dtype=float)
    # The shared rule, vectorised (person-answered calls only: the simulator records no others here).
    flags = abandoned_mask(answered, connected, grace_s)
    order = np.argsort(answered, kind="stable")
    times = answered[order]
    prefix = np.concatenate(([0], np.cumsum(flags[order])))
    day = s.day_s
    # 24-h windows (one day of dialing) every simulated "hour" (1/24 day) once a full day has passed.
    live_d, ab_d = _window_rates(times, prefix, window_s=day, step_s=day / 24, start=0.0, end=s.horizon_s)
    seen = live_d > 0
    over = ab_d[seen] / live_d[seen] > CAP
    live_m, ab_m = _window_rates(times, prefix, window_s=30 * day, step_s=day, start=0.0,
                                 end=max(s.horizon_s, 30 * day))
    # The horizon is shorter than 30 days, so the one 30-day window holds every answer.
    month = [float(a / n) if n > 0 else 0.0 for a, n in zip(ab_m.tolist(), live_m.tolist(), strict=True)]
    month_max = max(month, default=0.0)
    live = len(answered)
    aband = int(flags.sum())
    holds = (connected - answered)[~np.isnan(connected)]
    idle = res.idle_periods
    logged = max(res.logged_in_s, 1e-9)
    return RunFigures(
        occupancy=res.human_talk_s / logged,
        occupancy_with_wrap=(res.human_talk_s + res.human_wrap_s) / logged,
        wait_mean_s=float(np.mean(idle)) if idle else 0.0,
        wait_p95_s=float(np.percentile(idle, 95)) if idle else 0.0,
        abandon_rate=aband / live if live else 0.0,
        abandon_30d_max=month_max,
        share_24h_over_cap=float(over.sum() / len(over)) if len(over) else 0.0,
        hold_mean_s=float(np.mean(holds)) if holds.size else 0.0,
        hold_p95_s=float(np.percentile(holds, 95)) if holds.size else 0.0,
        dials_per_live=res.dials / live if live else float("inf"),
        dials=res.dials,
        live=live,
    )
