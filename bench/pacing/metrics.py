"""Figures of one simulated run, computed with the shared abandon-accounting rule."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bench.pacing.scenario import Scenario
from bench.pacing.sim import Result
from fs_app.pacing.abandon import AnsweredBy, CallRecord, is_abandoned, rolling_rates

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


def figures(s: Scenario, res: Result, grace_s: float = 2.0) -> RunFigures:
    records = [
        CallRecord(campaign_id=s.name, answered_by=AnsweredBy.HUMAN, answered_at=a, connected_at=c)
        for a, c in zip(res.answered_at, res.connected_at, strict=True)
    ]
    flags = [is_abandoned(r, grace_s) for r in records]
    order = np.argsort(np.asarray(res.answered_at), kind="stable")
    times = [res.answered_at[i] for i in order]
    sorted_flags = [flags[i] for i in order]
    day = s.day_s
    # 24-h windows (one day of dialing) every simulated "hour" (1/24 day) once a full day has passed.
    day_windows = rolling_rates(times, sorted_flags, window_s=day, step_s=day / 24, start=0.0,
                                end=s.horizon_s)
    over = [w.rate > CAP for w in day_windows if w.live > 0]
    month_windows = rolling_rates(times, sorted_flags, window_s=30 * day, step_s=day, start=0.0,
                                  end=max(s.horizon_s, 30 * day))
    # The horizon is shorter than 30 days, so the one 30-day window holds every answer.
    month_max = max((w.rate for w in month_windows), default=0.0)
    live = len(records)
    aband = sum(flags)
    holds = [c - a for a, c in zip(res.answered_at, res.connected_at, strict=True) if c is not None]
    idle = res.idle_periods
    logged = max(res.logged_in_s, 1e-9)
    return RunFigures(
        occupancy=res.human_talk_s / logged,
        occupancy_with_wrap=(res.human_talk_s + res.human_wrap_s) / logged,
        wait_mean_s=float(np.mean(idle)) if idle else 0.0,
        wait_p95_s=float(np.percentile(idle, 95)) if idle else 0.0,
        abandon_rate=aband / live if live else 0.0,
        abandon_30d_max=month_max,
        share_24h_over_cap=(sum(over) / len(over)) if over else 0.0,
        hold_mean_s=float(np.mean(holds)) if holds else 0.0,
        hold_p95_s=float(np.percentile(holds, 95)) if holds else 0.0,
        dials_per_live=res.dials / live if live else float("inf"),
        dials=res.dials,
        live=live,
    )
