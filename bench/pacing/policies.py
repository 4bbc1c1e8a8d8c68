"""Policies run in the simulator: ours (``predictive``, the real :class:`fs_app.pacing.Pacer`), the
baselines, and the parameter-aware oracle used for the upper reference."""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field, fields

import numpy as np

from bench.pacing.scenario import BUSY_SHARE, INVALID_SHARE, MACHINE_SHARE, Scenario
from bench.pacing.sim import MACHINE_WRAP_S, Sim
from fs_app.pacing import DialMode, Pacer, PacerConfig, PacingParams
from fs_app.pacing.estimator import DurationView, LogNormal, RateMeter, ResolutionModel
from fs_app.pacing.governor import MAX_HEADROOM, abandon_target
from fs_app.pacing.pacer import ModelState, decide

CAP = 0.03
ABANDON_MARGIN = 0.005
ADAPT_INTERVAL_S = 15.0


@dataclass(frozen=True)
class _Truths:
    talk: DurationView
    wrap: DurationView
    # Resolution model by refresh phase of the day.
    states: dict[int, ModelState] = field(default_factory=dict)
    # The sampled dials behind every phase's resolution model (see ``Oracle._sample_truth``).
    draws: dict[str, np.ndarray] = field(default_factory=dict)


# Oracle truths of the scenario being evaluated (one scenario per process at a time).
_TRUTH_CACHE: dict[tuple[Scenario, float], _Truths] = {}


def connect_share(s: Scenario) -> float:
    """Nominal share of dials that need an operator (the strategy's configured hit rate)."""
    if s.amd_accuracy is None:
        return s.live_rate + MACHINE_SHARE
    a = s.amd_accuracy
    return s.live_rate * a + MACHINE_SHARE * (1 - a)


def _amd_always_off(s: Scenario) -> bool:
    """AMD so inaccurate that its false positives alone exceed the most the governor ever allows: the AMD
    lever keeps machine verdicts going to operators all the time, so the truths mix in every machine."""
    if s.amd_accuracy is None:
        return False
    # Live answers in a day when every operator is busy: what the pacer's aim is sized for.
    live_per_day = s.operators / s.handle_s * s.day_s
    ceiling = min((CAP - ABANDON_MARGIN) * MAX_HEADROOM, abandon_target(CAP, ABANDON_MARGIN, live_per_day))
    return 1.0 - s.amd_accuracy > ceiling


class BasePolicy(abc.ABC):
    """Hooks default to doing nothing; every policy must say how many calls to place."""

    name = "base"
    # Baselines as published have no AMD lever: machine verdicts are always hung up on.
    amd_hangup = True

    def on_dial(self, age_s: float, to_operator: bool, now: float, machine_verdict: bool = False) -> None:
        return None

    def on_customer(self, wait_s: float | None, now: float) -> None:
        return None

    def on_live(self, now: float) -> None:
        return None

    def on_talk(self, duration_s: float, now: float, machine_verdict: bool = False) -> None:
        return None

    def on_wrap(self, duration_s: float, now: float, machine_verdict: bool = False) -> None:
        return None

    @abc.abstractmethod
    def calls(self, sim: Sim, now: float) -> int: ...


class Progressive(BasePolicy):
    """One dial per ready operator not already covered by a dial or a queued customer."""

    name = "progressive"

    def calls(self, sim: Sim, now: float) -> int:
        return max(sim.ready - len(sim.queued) - len(sim.ringing), 0)


class FixedRatio(BasePolicy):
    """Lines = level x operators - calls in progress, with a constant level (tuned in hindsight)."""

    def __init__(self, level: float) -> None:
        self.level = level
        self.name = f"fixed_ratio@{level:.2f}"

    def calls(self, sim: Sim, now: float) -> int:
        return max(math.floor(self.level * sim.active_operators) - sim.calls_in_progress, 0)


class VicidialAdapt(BasePolicy):
    """VICIdial's adaptive modes as described in its manual: every 15 s the dial level is multiplied by
    1 + (idle operators - waiting customers) / operators, scaled by the intensity and clamped to
    [1, max level]; lines = level x operators - calls in progress. Drop brakes use today's drop %:
    HARD_LIMIT drops to level 1 while over the limit; TAPERED allows up to twice the limit at the start of
    the shift, tapering to the limit at mid-shift; AVERAGE halves the excess level while over the limit."""

    def __init__(self, variant: str, max_level: float, intensity: float = 0.0,
                 drop_limit: float = CAP) -> None:
        self.variant = variant
        self.name = f"vicidial_{variant.lower()}"
        self.level = 1.0
        self.max_level = max_level
        self.intensity = intensity
        self.drop_limit = drop_limit
        self._next_adapt = 0.0

    def _adapt(self, sim: Sim, now: float) -> None:
        ops = max(sim.active_operators, 1)
        diff = (sim.ready - len(sim.queued)) / ops
        factor = 1.0 + self.intensity / 100.0
        self.level *= 1.0 + diff * factor
        self.level = min(max(self.level, 1.0), self.max_level)
        drop = sim.today_drop_rate()
        if sim.today_live < 20:
            return
        limit = self.drop_limit
        if self.variant == "ADAPT_TAPERED":
            x = (now - sim.day_start) / sim.s.day_s
            limit = self.drop_limit * (1.0 + max(0.0, 1.0 - 2.0 * x))
        if drop >= limit:
            if self.variant == "ADAPT_AVERAGE":
                self.level = max(1.0, (self.level + 1.0) / 2.0)
            else:
                self.level = 1.0

    def calls(self, sim: Sim, now: float) -> int:
        if now >= self._next_adapt:
            self._adapt(sim, now)
            self._next_adapt = now + ADAPT_INTERVAL_S
        return max(math.floor(self.level * sim.active_operators) - sim.calls_in_progress, 0)


class IssabelStyle(BasePolicy):
    """Expected-free-operator predictor in the style of Issabel's call-center dialer: operators free now
    plus talking ones whose elapsed talk + mean answer delay reaches the mean talk time, divided by the
    measured answer probability, minus dials already ringing."""

    name = "issabel"

    def __init__(self, prior_p: float) -> None:
        self._dials = 20.0
        self._connects = 20.0 * prior_p
        self._answer_delay = 10.0
        self._talk_mean = 120.0
        self._talks = 0

    def on_dial(self, age_s: float, to_operator: bool, now: float, machine_verdict: bool = False) -> None:
        self._dials += 1
        if to_operator:
            self._connects += 1
            self._answer_delay += (age_s - self._answer_delay) * 0.02

    def on_talk(self, duration_s: float, now: float, machine_verdict: bool = False) -> None:
        self._talks += 1
        self._talk_mean += (duration_s - self._talk_mean) / min(self._talks, 200)

    def calls(self, sim: Sim, now: float) -> int:
        soon = sum(1 for t in sim.talking.values() if now - t + self._answer_delay >= self._talk_mean)
        free = sim.ready - len(sim.queued) + soon
        if free <= 0:
            return 0
        p = max(self._connects / self._dials, 0.01)
        return max(math.ceil(free / p) - len(sim.ringing), 0)


class PIAbandon(BasePolicy):
    """PI controller on the recent abandon rate aimed at 2.8 %, acting on the log of the dial level
    (lines = level x operators - calls in progress)."""

    name = "pi_abandon"

    def __init__(self, max_level: float, target: float = 0.028, kp: float = 0.3, ki: float = 0.05) -> None:
        self.target = target
        self.kp = kp
        self.ki = ki
        self.max_level = max_level
        self.integral = 0.0
        self.level = 1.0
        self._late = 0.0
        self._n = 0.0
        self._next = 0.0

    def on_customer(self, wait_s: float | None, now: float) -> None:
        late = wait_s is None or wait_s > 2.0
        self._late = self._late * 0.995 + (1.0 if late else 0.0)
        self._n = self._n * 0.995 + 1.0

    def calls(self, sim: Sim, now: float) -> int:
        if now >= self._next:
            self._next = now + ADAPT_INTERVAL_S
            rate = self._late / self._n if self._n > 5 else 0.0
            err = (self.target - rate) / self.target
            self.integral = min(max(self.integral + self.ki * err, 0.0), math.log(self.max_level))
            self.level = min(max(math.exp(self.integral + self.kp * err), 1.0), self.max_level)
        return max(math.floor(self.level * sim.active_operators) - sim.calls_in_progress, 0)


def pacer_params(s: Scenario, **overrides: object) -> PacingParams:
    base: dict[str, object] = {
        "mode": DialMode.PREDICTIVE,
        "call_rate": 1.0,
        "hit_rate": connect_share(s),
        "service_level": 0.97,
        "abandon_cap": CAP,
        "abandon_margin": ABANDON_MARGIN,
        "amd_false_positive_rate": 0.0 if s.amd_accuracy is None else 1.0 - s.amd_accuracy,
        # A simulated day of dialing stands for 24 h.
        "abandon_window_s": s.day_s,
    }
    base.update(overrides)
    return PacingParams(**base)  # type: ignore[arg-type]


class Predictive(BasePolicy):
    """Our pacer, through its public interface."""

    name = "predictive"

    def __init__(self, s: Scenario, **overrides: object) -> None:
        self.params = pacer_params(s, **overrides)
        self.pacer = Pacer(self.params, PacerConfig(horizon_s=int(s.ring_timeout_s + 15)))

    def on_dial(self, age_s: float, to_operator: bool, now: float, machine_verdict: bool = False) -> None:
        self.pacer.observe_dial(age_s, to_operator, now, machine_verdict)

    def on_customer(self, wait_s: float | None, now: float) -> None:
        self.pacer.observe_customer(wait_s, now)

    def on_live(self, now: float) -> None:
        self.pacer.observe_live_answer(now)

    def on_talk(self, duration_s: float, now: float, machine_verdict: bool = False) -> None:
        # As the engine does (fs_app.engine.lifecycle.machine_handled).
        self.pacer.observe_talk(duration_s, now, machine_verdict)

    def on_wrap(self, duration_s: float, now: float, machine_verdict: bool = False) -> None:
        self.pacer.observe_wrap(duration_s, now, machine_verdict)

    def calls(self, sim: Sim, now: float) -> int:
        decision = self.pacer.decide(sim.snapshot(), now)
        self.amd_hangup = decision.amd_hangup
        return decision.calls_to_place


class Oracle(BasePolicy):
    """The same model fed the scenario's true parameters (answer-time distribution at the current time
    of day, talk and wrap-up distributions), with a fixed aggressiveness; the reference searches that
    aggressiveness in hindsight. It has the same AMD lever as ``predictive`` (the decision function is the
    same), with the true forecast for either setting."""

    def __init__(self, s: Scenario, intensity: float, refresh_s: float = 120.0) -> None:
        self.s = s
        self.name = f"oracle@{intensity:.2f}"
        self.params = pacer_params(s, intensity=intensity, cruise_control=False)
        self.horizon = int(s.ring_timeout_s + 15)
        self.refresh_s = refresh_s
        self._state: ModelState | None = None
        self._fields: dict[str, object] = {}
        self._next = 0.0
        # Its own recent dial rate, as the pacer keeps it: policy state, not a truth of the scenario.
        self._dials = RateMeter(PacerConfig().dial_rate_memory_s)
        key = (s, refresh_s)
        # The truth depends only on the scenario and the time of day: the reference search runs several
        # intensities, and they share it instead of re-sampling it (40 000 draws per refresh).
        if key not in _TRUTH_CACHE:
            _TRUTH_CACHE.clear()
            _TRUTH_CACHE[key] = _Truths(talk=self._talk_truth(s), wrap=self._wrap_truth(s))
        self._cache = _TRUTH_CACHE[key]
        self.talk = self._cache.talk
        self.wrap = self._cache.wrap

    @staticmethod
    def _machine_share(s: Scenario) -> float:
        if s.amd_accuracy is None or _amd_always_off(s):
            return MACHINE_SHARE / (MACHINE_SHARE + s.live_rate)
        a = s.amd_accuracy
        return MACHINE_SHARE * (1 - a) / (MACHINE_SHARE * (1 - a) + s.live_rate * a)

    def _talk_truth(self, s: Scenario) -> DurationView:
        """Talk mixes conversations with machines that reached operators, in their true proportion."""
        human = DurationView.from_lognormal(LogNormal.from_mean_cv(s.talk_mean_s, s.talk_cv), self.horizon)
        machine = DurationView.from_lognormal(LogNormal.from_mean_cv(s.machine_handle_s, 0.5), self.horizon)
        m = self._machine_share(s)
        pmf = (1 - m) * np.diff(human.cdf, prepend=0.0) + m * np.diff(machine.cdf, prepend=0.0)
        return DurationView.from_pmf(pmf, self.horizon)

    def _wrap_truth(self, s: Scenario) -> DurationView:
        human = DurationView.from_lognormal(LogNormal.from_mean_cv(s.wrap_mean_s, s.wrap_cv), self.horizon)
        m = self._machine_share(s)
        pmf = (1 - m) * np.diff(human.cdf, prepend=0.0)
        pmf[int(MACHINE_WRAP_S)] += m
        return DurationView.from_pmf(pmf, self.horizon)

    def _truth(self, now: float) -> ModelState:
        s = self.s
        # Refresh on a fixed grid of the day so that every intensity (and every day) sees the same truth.
        phase = int((now % s.day_s) // self.refresh_s) if s.dynamics == "drift" else 0
        cached = self._cache.states.get(phase)
        if cached is not None:
            return cached
        state = self._sample_truth(phase * self.refresh_s)
        self._cache.states[phase] = state
        return state

    def _draws(self) -> dict[str, np.ndarray]:
        """40 000 sampled dials, drawn once per scenario: a drifting scenario's phases differ only in the
        answer rate the draws are classified with (they were drawn afresh per phase, most of the reference's
        set-up time). Drawn in the order of the first phase's former stream, so stationary truths are
        unchanged."""
        c = self._cache.draws
        if c:
            return c
        s = self.s
        n = 40000
        rng = np.random.default_rng([s.seed, 999, 0])

        def lognormal(mean: float, cv: float) -> np.ndarray:
            s2 = math.log(1 + cv * cv)
            return rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), n)

        c["u"] = rng.random(n)
        c["ring_l"] = lognormal(s.live_ring_mean_s, 0.6)
        c["ring_m"] = lognormal(s.machine_ring_mean_s, 0.6)
        c["amd_u"] = rng.random(n)
        if s.amd_accuracy is not None:
            c["amd_l"] = lognormal(s.amd_live_delay_s, 0.4)
            c["amd_m"] = lognormal(s.amd_machine_delay_s, 0.4)
        c["busy"] = rng.uniform(2.0, 6.0, n)
        c["invalid"] = rng.uniform(1.0, 4.0, n)
        c["noans"] = rng.uniform(15.0, s.ring_timeout_s, n)
        return c

    def _sample_truth(self, now: float) -> ModelState:
        s = self.s
        c = self._draws()
        live = min(s.live_rate * s.live_multiplier(now), 0.9)
        others = (1.0 - live) / (1.0 - s.live_rate)
        u, ring_l, ring_m, amd_u = c["u"], c["ring_l"], c["ring_m"], c["amd_u"]
        pm, pb, pi = (MACHINE_SHARE * others, BUSY_SHARE * others, INVALID_SHARE * others)
        is_live = u < live
        is_mach = (u >= live) & (u < live + pm)
        ring = np.where(is_live, ring_l, ring_m)
        answered = (is_live | is_mach) & (ring <= s.ring_timeout_s)
        t = np.where(is_live | is_mach, np.minimum(ring, s.ring_timeout_s), 0.0)
        if s.amd_accuracy is None:
            to_op = answered
        else:
            t = t + answered * np.where(is_live, c["amd_l"], c["amd_m"])
            correct = amd_u < s.amd_accuracy
            to_op = answered & np.where(is_live, correct, ~correct)
        t = np.where(u >= live + pm, c["busy"], t)
        t = np.where(u >= live + pm + pb, c["invalid"], t)
        t = np.where(u >= live + pm + pb + pi, c["noans"], t)
        machine_verdict = answered & ~to_op if s.amd_accuracy is not None else np.zeros(len(u), dtype=bool)
        other = ~to_op & ~machine_verdict
        model = ResolutionModel.from_samples(t[to_op], t[other], max_age_s=self.horizon,
                                             machine_verdict_ages=t[machine_verdict])
        machines = MACHINE_SHARE * others if s.amd_accuracy is None or _amd_always_off(s) else 0.0
        rate = s.operators / s.handle_s * live / max(live + machines, 1e-3)
        amd = s.amd_accuracy is not None
        return ModelState(resolution=model.view(), talk=self.talk, wrap=self.wrap, answers_seen=10**9,
                          live_rate_per_s=rate, horizon_s=self.horizon,
                          resolution_amd_off=model.view(False) if amd else None)

    def calls(self, sim: Sim, now: float) -> int:
        if self._state is None or (now >= self._next and self.s.dynamics == "drift"):
            self._state = self._truth(now)
            self._next = (math.floor(now / self.refresh_s) + 1) * self.refresh_s
            # ``dataclasses.replace`` re-reads every field on each decision; keep them at hand instead.
            self._fields = {f.name: getattr(self._state, f.name) for f in fields(ModelState)
                            if f.name not in ("dial_rate_per_s", "amd_hangup_now")}
        state = ModelState(**self._fields, dial_rate_per_s=self._dials.rate(now), amd_hangup_now=self.amd_hangup)
        decision = decide(sim.snapshot(), self.params, now, state)
        self.amd_hangup = decision.amd_hangup
        self._dials.add(decision.calls_to_place, now)
        return decision.calls_to_place
