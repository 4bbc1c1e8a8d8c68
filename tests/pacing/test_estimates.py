"""Warm-up, small-team targets, adaptive memory, and the simulator's vectorised dial outcomes."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import numpy as np
import pytest

from bench.pacing.metrics import figures
from bench.pacing.policies import FixedRatio
from bench.pacing.scenario import Scenario
from bench.pacing.sim import Draws, Sim
from fs_app.pacing import Pacer, PacingParams, PacingSnapshot
from fs_app.pacing.estimator import ResolutionModel
from fs_app.pacing.governor import abandon_target


def test_abandon_target_is_lower_for_small_windows_and_never_above_cap_minus_margin() -> None:
    targets = [abandon_target(0.03, 0.005, n) for n in (30, 90, 300, 1000, 3000, 100_000)]
    assert targets == sorted(targets)
    assert all(0.0 <= t <= 0.025 for t in targets)
    # 90 answers a day: two abandons stay under 3 %, three do not; aim well below the cap.
    assert targets[1] < 0.012


def test_warm_up_lasts_until_calls_have_ended() -> None:
    pacer = Pacer(PacingParams(call_rate=1.0, warmup_answers=5))
    t = 0.0
    for i in range(400):
        t += 0.2
        pacer.observe_dial(10.0, i % 3 == 0, t)
        if i % 3 == 0:
            pacer.observe_customer(0.0, t)
    snap = PacingSnapshot(ready_operator_ids=tuple("abcde"))
    # Many answers but no call has ended yet: the talk estimate is still the prior.
    assert pacer.decide(snap, t).reason.startswith("warm-up")
    for _ in range(400):
        pacer.observe_talk(60.0, t)
        pacer.observe_wrap(10.0, t)
    assert pacer.decide(snap, t).reason.startswith("predictive")


def test_resolution_memory_follows_the_dial_rate() -> None:
    fast = ResolutionModel(hit_rate=0.3, half_life_s=1800.0, half_life_obs=2000.0, min_half_life_s=300.0)
    slow = ResolutionModel(hit_rate=0.3, half_life_s=1800.0, half_life_obs=2000.0, min_half_life_s=300.0)
    for i in range(3000):
        fast.observe(5.0, i % 2 == 0, i * 0.1)  # 10 dials/s: 200 s, clamped to 300 s
        slow.observe(5.0, i % 2 == 0, i * 10.0)  # 0.1 dials/s: capped at 1800 s
    assert fast._fade.half_life_s == 300.0
    assert slow._fade.half_life_s == 1800.0
    assert abs(fast.p_connect() - 0.5) < 0.02


def test_vectorised_dial_outcomes_match_the_per_dial_path() -> None:
    for amd in (None, 0.95):
        s = Scenario(name="v", operators=8, live_rate=0.2, handle_s=60.0, amd_accuracy=amd, days=1,
                     day_s=900.0, seed=4)
        runs = []
        for stationary in (True, False):
            draws = Draws(s)
            draws.stationary = stationary
            runs.append(figures(s, Sim(s, FixedRatio(2.0), draws).run()))
        assert runs[0] == runs[1]
    drift = replace(s, dynamics="drift")
    assert not Draws(drift).stationary


def _fed(share_at: Callable[[float], float], seed: int, hours: float) -> ResolutionModel:
    """A model fed dials (5 a second) whose connect share at time t is ``share_at(t)``."""
    model = ResolutionModel(hit_rate=0.1, max_age_s=45, half_life_s=600.0)
    rng = np.random.default_rng(seed)
    for i in range(round(hours * 18_000)):
        t = i * 0.2
        model.observe(10.0, bool(rng.random() < share_at(t)), t)
    return model


def test_connect_share_keeps_up_with_a_drifting_answer_rate() -> None:
    rising = _fed(lambda t: 0.1 + 0.4 * t / 7200.0, seed=3, hours=2.0)
    # The faded average trails the rise by about 5 points (half-life / ln 2 = 866 s of a 0.2-per-hour
    # slope); the trend correction takes most of that back, and the forecast tables follow it.
    assert rising.effective_dials == pytest.approx(5 * 600 / math.log(2), rel=0.01)
    assert 0.5 - rising.p_connect() > 0.03
    assert abs(rising.p_connect_now() - 0.5) < 0.5 * (0.5 - rising.p_connect())
    assert rising.view().p_connect == rising.p_connect_now()
    steady = _fed(lambda t: 0.2, seed=4, hours=1.0)
    # A steady campaign's noise is not amplified.
    assert abs(steady.p_connect_now() - steady.p_connect()) < 0.005
