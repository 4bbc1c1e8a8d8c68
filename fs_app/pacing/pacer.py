"""The pacing decision: a pure function of (snapshot, params, model state, now), and a stateful
:class:`Pacer` that keeps the running estimates and feeds them to it."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, replace

from fs_app.pacing.cruise import CruiseControl
from fs_app.pacing.estimator import DurationModel, DurationView, RateMeter, ResolutionModel, ResolutionView
from fs_app.pacing.forecast import (
    customer_demand,
    expected_wait,
    largest_batch,
    operator_supply,
)
from fs_app.pacing.governor import abandon_target, govern
from fs_app.pacing.types import DialMode, PacingDecision, PacingParams, PacingSnapshot

log = logging.getLogger("dialer.pacing")

# An operator counts as "about to be free" when the model expects at least this many frees in the
# horizon; below it predictive never dials without a ready operator.
MIN_EXPECTED_FREES = 0.5


@dataclass(frozen=True, slots=True)
class ModelState:
    """Everything the predictive model has learned, frozen for one decision."""

    resolution: ResolutionView
    talk: DurationView
    wrap: DurationView
    answers_seen: int
    # Live answers per second recently (for the governor's look-ahead).
    live_rate_per_s: float = 0.0
    cruise_gain: float = 1.0
    cruise_paused: bool = False
    horizon_s: int = 60
    # False while the estimates are still biased by the start (see ``Pacer.model_state``): predictive keeps
    # the progressive warm-up ratio, whose observations seed the model.
    warm: bool = True
    # Relative error of the estimated connect rate, shared by all dials in flight (see
    # ``forecast.marginal_late_probability``); 0 for a model that knows the true rate.
    connect_cv: float = 0.0
    # The same forecast when machine verdicts go to operators (``PacingDecision.amd_hangup`` False); None
    # without AMD, when both are the same.
    resolution_amd_off: ResolutionView | None = None
    connect_cv_amd_off: float = 0.0
    # Dials the pacer has been placing per second lately: they go on while the new dial rings, and the
    # ones that answer first are served first (see ``forecast.customer_demand``).
    dial_rate_per_s: float = 0.0
    # The AMD lever the engine applies now (the last decision's ``amd_hangup``).
    amd_hangup_now: bool = True
    # Talk and wrap-up of every call operators took, machine verdicts the lever sent them included; None
    # until such a call was seen. ``talk``/``wrap`` above are people's calls only.
    talk_all: DurationView | None = None
    wrap_all: DurationView | None = None
    # ``warm`` for the forecast with every operator call (see ``durations``).
    warm_all: bool = True

    def durations(self, amd_never: bool) -> tuple[DurationView, DurationView]:
        """Talk and wrap-up to forecast operators with. People's calls only, unless hang-ups are off for the
        whole run: machines handled in seconds would otherwise make a lever that flips back on dial for
        operators who are still talking (a burst of abandons), and a lever that is off only for a while is
        better forecast a little slow than fast."""
        if amd_never and self.talk_all is not None and self.wrap_all is not None:
            return self.talk_all, self.wrap_all
        return self.talk, self.wrap

    def for_amd(self, amd_hangup: bool) -> tuple[ResolutionView, float]:
        """Resolution forecast and its connect-rate error under the given AMD lever."""
        if amd_hangup or self.resolution_amd_off is None:
            return self.resolution, self.connect_cv
        return self.resolution_amd_off, self.connect_cv_amd_off


def _capacity(snapshot: PacingSnapshot, params: PacingParams) -> int:
    cap = math.inf
    if params.max_ports is not None:
        cap = params.max_ports - snapshot.active_calls
    if snapshot.channels_available is not None:
        cap = min(cap, snapshot.channels_available)
    if params.max_calls_per_decision is not None:
        cap = min(cap, params.max_calls_per_decision)
    if cap == math.inf:
        # Without any limit a model error could not run away further than this per decision.
        cap = 1000
    return max(int(cap), 0)


def _operators_counted(snapshot: PacingSnapshot, params: PacingParams) -> int:
    n = snapshot.logged_in
    return min(n, params.max_operators) if params.max_operators is not None else n


def _one_to_one(snapshot: PacingSnapshot) -> int:
    """Dials that can never be abandoned: one per ready operator not already claimed."""
    return max(snapshot.ready - len(snapshot.queued_waits_s) - len(snapshot.ringing_ages_s), 0)


def _progressive_rate(params: PacingParams, model: ModelState | None, amd_hangup: bool) -> float:
    rate = params.call_rate
    if model is not None and model.answers_seen >= params.warmup_answers:
        measured = model.for_amd(amd_hangup)[0].p_connect
        if measured > 0 and params.hit_rate > 0:
            # Keep the supervisor's intended connects per free operator as the connect rate moves.
            rate = params.call_rate * params.hit_rate / measured
    return min(max(rate, 1.0), params.max_call_rate)


def _progressive_calls(snapshot: PacingSnapshot, rate: float) -> int:
    free = snapshot.ready - len(snapshot.queued_waits_s)
    if free <= 0:
        return 0
    return max(round(rate * free) - len(snapshot.ringing_ages_s), 0)


def _simple_wait(snapshot: PacingSnapshot, model: ModelState | None) -> float:
    if snapshot.ready > len(snapshot.queued_waits_s):
        return 0.0
    handle = (model.talk.mean + model.wrap.mean) if model is not None else 120.0
    busy = max(snapshot.busy, 1)
    return (len(snapshot.queued_waits_s) + 1 - snapshot.ready) * handle / busy


def _live_per_window(params: PacingParams, model: ModelState | None) -> float:
    return model.live_rate_per_s * params.abandon_window_s if model is not None else 0.0


def _live_ahead(params: PacingParams, model: ModelState | None) -> float:
    """Live answers expected in the next quarter of the short window (6 h): an excess is repaid over
    that span rather than by braking hard for an hour."""
    return _live_per_window(params, model) / 4.0


def decide(
    snapshot: PacingSnapshot,
    params: PacingParams,
    now: float,
    model: ModelState | None = None,
) -> PacingDecision:
    """How many dials to place now. Pure: same inputs, same answer; ``now`` is only used for logging
    context by callers and kept in the signature so time-dependent policies stay pure."""
    del now
    capacity = _capacity(snapshot, params)
    if params.mode is DialMode.AGENTLESS:
        if params.max_ports is None and snapshot.channels_available is None:
            return PacingDecision(0, reason="agentless needs max ports")
        return PacingDecision(capacity, reason="agentless fill")
    if _operators_counted(snapshot, params) < params.min_operators:
        return PacingDecision(0, reason="below min operators")
    if params.mode is DialMode.PREVIEW:
        ids = snapshot.ready_operator_ids[: min(capacity, snapshot.ready)]
        return PacingDecision(len(ids), reserve_operator_ids=ids, reason="preview reservation")

    # The long-run aim is lower for small teams, whose windows are noisy (the governor guards the windows).
    aim = abandon_target(params.abandon_cap, params.abandon_margin,
                         max(_live_per_window(params, model), snapshot.abandon_24h.live))
    governor = govern(
        snapshot.abandon_24h,
        snapshot.abandon_30d,
        cap=params.abandon_cap,
        margin=params.abandon_margin,
        amd_false_positive_rate=params.amd_false_positive_rate,
        expected_live_ahead=_live_ahead(params, model),
        amd_fallback=params.amd_fallback,
        amd_affordable=aim,
    )
    amd = governor.amd_hangup
    # Turning hang-ups off triples what the calls in flight will need from operators at a low live rate
    # (every machine verdict now joins the people), and they were dialed for the lower rate: keep hanging
    # up and brake to one-to-one until each of them has a ready operator. Turning it back on only leaves
    # operators idle.
    in_flight = len(snapshot.ringing_ages_s) + len(snapshot.queued_waits_s)
    amd_now = model.amd_hangup_now if model is not None else True
    if not amd and amd_now and in_flight > snapshot.ready:
        amd = True
        governor = replace(governor, amd_hangup=True, braking=True)
    if params.mode is DialMode.PROGRESSIVE:
        rate = 1.0 if governor.braking else _progressive_rate(params, model, amd)
        n = min(_progressive_calls(snapshot, rate), capacity)
        reason = "governor braking" if governor.braking else "progressive"
        return PacingDecision(n, expected_wait_s=_simple_wait(snapshot, model), reason=reason,
                              call_rate=rate, amd_hangup=amd)

    safe = min(_one_to_one(snapshot), capacity)
    warm = model is not None and (model.warm_all if governor.amd_never else model.warm)
    if model is None or model.answers_seen < params.warmup_answers or not warm:
        rate = params.call_rate
        if governor.braking:
            return PacingDecision(safe, expected_wait_s=_simple_wait(snapshot, model),
                                  reason="governor braking", call_rate=1.0, amd_hangup=amd)
        n = min(_progressive_calls(snapshot, rate), capacity)
        return PacingDecision(n, expected_wait_s=_simple_wait(snapshot, model),
                              reason="warm-up (progressive)", call_rate=rate, amd_hangup=amd)

    resolution, connect_cv = model.for_amd(amd)
    talk, wrap = model.durations(governor.amd_never)
    horizon = model.horizon_s
    supply = operator_supply(snapshot.ready, snapshot.talk_elapsed_s, snapshot.wrap_elapsed_s, talk, wrap,
                             horizon)
    queued = len(snapshot.queued_waits_s)
    wait = expected_wait(supply, queued, talk.mean + wrap.mean)
    if governor.braking:
        return PacingDecision(safe, expected_wait_s=wait, reason="governor braking", call_rate=1.0,
                              amd_hangup=amd)
    # Cruise control's pause brakes to one-to-one only while the abandon windows have no headroom: with clean
    # windows a short burst of late customers is absorbed there, and the gain cut that came with the pause
    # already slows the dialing. Pausing regardless cost 0.017-0.020 occupancy on average over the benchmark
    # grid (seeds 1 and 2) for no gain in the abandon goals (529 and 534 of 540 scenarios met them; 531 and
    # 532 without) and only +0.05 points of abandons.
    if params.cruise_control and params.intensity is None and model.cruise_paused and not governor.headroom:
        return PacingDecision(safe, expected_wait_s=wait, reason="cruise control paused", call_rate=1.0,
                              amd_hangup=amd)
    if snapshot.ready - queued <= 0 and supply.frees_within_horizon < MIN_EXPECTED_FREES:
        return PacingDecision(0, expected_wait_s=wait, reason="no operator ready or about to be free",
                              amd_hangup=amd)

    fp = params.amd_false_positive_rate if amd else 0.0
    budget = min(1.0 - params.service_level, governor.allowed_rate, aim) - fp
    if budget <= 0:
        return PacingDecision(safe, expected_wait_s=wait, reason="service level leaves no budget",
                              call_rate=1.0, amd_hangup=amd)
    gain = params.intensity if params.intensity is not None else (
        model.cruise_gain if params.cruise_control else 1.0)
    threshold = min(budget * gain, 0.5)
    demand = customer_demand(queued, snapshot.ringing_ages_s, resolution, horizon, model.dial_rate_per_s)
    grace = max(round(params.connect_grace_s), 0)
    n = largest_batch(threshold, capacity, supply, demand, resolution, grace, connect_cv)
    n = max(n, safe)
    p = resolution.p_connect
    expected_free = snapshot.ready - queued + supply.frees_within_horizon
    rate = (len(snapshot.ringing_ages_s) + n) / expected_free if expected_free > 0 else 0.0
    return PacingDecision(n, expected_wait_s=wait, reason=f"predictive p={p:.3f}", call_rate=rate,
                          amd_hangup=amd)


@dataclass(frozen=True, slots=True)
class PacerConfig:
    horizon_s: int = 60
    resolution_half_life_s: float = 1800.0
    duration_half_life_s: float = 3600.0
    prior_talk_s: float = 120.0
    prior_wrap_s: float = 20.0
    # Time constant of the live-answer rate used by the governor's look-ahead.
    rate_memory_s: float = 900.0
    # Talk and wrap-up completions to observe before leaving the warm-up (the priors are generic guesses).
    warmup_handles: int = 20
    # Resolution half-life in dials: big fast teams forget by the minute and follow drifting answer rates,
    # small teams keep up to ``resolution_half_life_s`` (see ``ResolutionModel``).
    resolution_half_life_dials: float = 2000.0
    resolution_min_half_life_s: float = 300.0
    # Least relative error assumed for the learned connect rate (see ``Pacer._connect_cv``).
    connect_rate_cv: float = 0.03
    # Memory of the recent dial rate that forecasts the dials still to come (``ModelState.dial_rate_per_s``).
    dial_rate_memory_s: float = 30.0


class Pacer:
    """Stateful wrapper: feed it what happens (``observe_*``), ask it what to do (``decide``)."""

    def __init__(self, params: PacingParams, config: PacerConfig | None = None) -> None:
        self.config = config or PacerConfig()
        self.params = params
        self.resolution = ResolutionModel(hit_rate=params.hit_rate, max_age_s=self.config.horizon_s,
                                          half_life_s=self.config.resolution_half_life_s,
                                          half_life_obs=self.config.resolution_half_life_dials,
                                          min_half_life_s=self.config.resolution_min_half_life_s)
        self.talk = self._duration_model(self.config.prior_talk_s)
        self.wrap = self._duration_model(self.config.prior_wrap_s)
        # Every operator call, machine verdicts the lever sent them included (see ``ModelState.durations``).
        self.talk_all = self._duration_model(self.config.prior_talk_s)
        self.wrap_all = self._duration_model(self.config.prior_wrap_s)
        self._machine_handles = False
        self.cruise = CruiseControl()
        self._live_rate = 0.0
        self._rate_t: float | None = None
        self._rate_start: float | None = None
        self._first_dial: float | None = None
        self._handles = 0  # operator calls with people finished (wrap-up ended)
        self._handles_all = 0  # every operator call finished, machine verdicts the lever sent included
        self._connects = 0
        self._last_reason = ""
        self._warmed = False
        self._warmed_all = False
        # The AMD lever of the last decision: whether AMD false positives are being spent right now.
        self._amd_hangup = True
        self.dials = RateMeter(self.config.dial_rate_memory_s)

    def _duration_model(self, prior_mean_s: float) -> DurationModel:
        return DurationModel(prior_mean_s=prior_mean_s, half_life_s=self.config.duration_half_life_s,
                             horizon_s=self.config.horizon_s)

    def _target_late(self, params: PacingParams, now: float) -> float:
        per_window = self._current_rate(now) * params.abandon_window_s
        target = abandon_target(params.abandon_cap, params.abandon_margin, per_window)
        fp = params.amd_false_positive_rate if self._amd_hangup else 0.0
        return max(min(1.0 - params.service_level, target) - fp, 1e-3)

    def _current_rate(self, now: float) -> float:
        if self._rate_t is None or self._rate_start is None:
            return 0.0
        tau = self.config.rate_memory_s
        rate = self._live_rate * math.exp(-max(now - self._rate_t, 0.0) / tau)
        # The average starts at zero: divide by the weight it has accumulated so far (as in bias-corrected
        # moving averages), or the first quarter-hour would look like a tiny campaign and the governor's
        # look-ahead and the abandon target would be sized for it.
        # Not before a minute of answers, when one answer more or less would swing the estimate.
        elapsed = now - self._rate_start
        if elapsed < 60.0:
            return rate
        return rate / (1.0 - math.exp(-elapsed / tau))

    def observe_dial(self, age_s: float, to_operator: bool, now: float, machine_verdict: bool = False) -> None:
        """A dial resolved ``age_s`` after it was placed; ``to_operator``: it needs an operator (a person,
        or a machine AMD let through); ``machine_verdict``: AMD labelled it a machine (hung up, or sent to
        an operator while ``amd_hangup`` is off) -- the model keeps those apart to forecast either way."""
        self.resolution.observe(age_s, to_operator, now, machine_verdict)
        if self._first_dial is None:
            self._first_dial = now - age_s

    def observe_live_answer(self, now: float) -> None:
        """A person answered (a call the abandon accounting counts as live); sizes the abandon target."""
        self._bump_rate(now)

    def observe_customer(self, wait_s: float | None, now: float) -> None:
        """A customer offered to operators reached one after ``wait_s`` (None: hung up or dropped first).
        AMD false positives are not reported here; the governor sees them through the abandon counts."""
        late = wait_s is None or wait_s > self.params.connect_grace_s
        if wait_s is not None:
            self._connects += 1
        self.cruise.observe(late, self._target_late(self.params, now),
                            learn=self._last_reason.startswith("predictive"))

    def observe_talk(self, duration_s: float, now: float, machine_verdict: bool = False) -> None:
        """An operator's call ended after ``duration_s``; ``machine_verdict``: AMD called it a machine and the
        lever sent it to the operator anyway (learned only into the forecast for hang-ups off for good)."""
        self.talk_all.observe(duration_s, now)
        if machine_verdict:
            self._machine_handles = True
        else:
            self.talk.observe(duration_s, now)

    def observe_wrap(self, duration_s: float, now: float, machine_verdict: bool = False) -> None:
        self.wrap_all.observe(duration_s, now)
        self._handles_all += 1
        if not machine_verdict:
            # Only people's calls make the talk estimate stand on its own (see ``_warm``).
            self.wrap.observe(duration_s, now)
            self._handles += 1

    def _warm(self, now: float) -> bool:
        """The estimates stand on their own: operators have finished calls (talk and wrap-up are no longer
        the priors) and at least three times as many as are still in progress -- the first calls to end are
        the short ones (machines, hang-ups), so a young talk estimate is far too short and would overdial --
        and the first dials are older than the horizon, so slow outcomes (no answer after the ring timeout)
        have been seen and the answer-time table is not skewed towards fast ones."""
        # Once warm, stay warm: the test compares counts since the start, so a refill burst (many calls
        # connected, few ended yet) would otherwise drop a big team back to the warm-up ratio mid-day, idle
        # its operators, and the next predictive decision would refill them all at once.
        self._warmed = self._warmed or self._stands_on_its_own(self._handles, now)
        return self._warmed

    def _warm_all(self, now: float) -> bool:
        """:meth:`_warm` for the forecast with every operator call (hang-ups off for good): machine verdicts
        the lever sent to operators count as finished calls too."""
        self._warmed_all = self._warmed_all or self._stands_on_its_own(self._handles_all, now)
        return self._warmed_all

    def _stands_on_its_own(self, handles: int, now: float) -> bool:
        ongoing = max(self._connects - self._handles_all, 0)
        if self._first_dial is None or handles < max(self.config.warmup_handles, 3 * ongoing):
            return False
        return now - self._first_dial >= self.config.horizon_s

    def _bump_rate(self, now: float) -> None:
        if self._rate_t is None:
            self._rate_t = now
            self._rate_start = now
        dt = max(now - self._rate_t, 0.0)
        self._live_rate *= math.exp(-dt / self.config.rate_memory_s)
        self._live_rate += 1.0 / self.config.rate_memory_s
        self._rate_t = now

    def model_state(self, now: float) -> ModelState:
        # The machine-verdict variant only once AMD has labelled some calls (a campaign with AMD).
        amd = self.resolution.machine_verdict_share > 0
        return ModelState(
            resolution=self.resolution.view(),
            talk=self.talk.view(),
            wrap=self.wrap.view(),
            answers_seen=self.resolution.answers_seen,
            live_rate_per_s=self._current_rate(now),
            cruise_gain=self.cruise.gain,
            cruise_paused=self.cruise.paused,
            horizon_s=self.config.horizon_s,
            warm=self._warm(now),
            warm_all=self._warm_all(now),
            connect_cv=self._connect_cv(True),
            resolution_amd_off=self.resolution.view(False) if amd else None,
            connect_cv_amd_off=self._connect_cv(False) if amd else 0.0,
            dial_rate_per_s=self.dials.rate(now),
            amd_hangup_now=self._amd_hangup,
            talk_all=self.talk_all.view() if self._machine_handles else None,
            wrap_all=self.wrap_all.view() if self._machine_handles else None,
        )

    def _connect_cv(self, amd_hangup: bool) -> float:
        """Relative standard error of the connect-rate estimate, sqrt((1 - p) / (p * n)) over its faded
        sample: ~7 % for 2000 dials at 10 % connects, 2 % at 50 %. Low-connect campaigns need many dials per
        operator, so this shared error, not the binomial noise, decides whether a refill bursts."""
        p = self.resolution.p_connect(amd_hangup)
        n = self.resolution.effective_dials
        if p <= 0 or n <= 0:
            return 1.0
        return max(math.sqrt((1.0 - p) / (p * n)), self.config.connect_rate_cv)

    def decide(
        self, snapshot: PacingSnapshot, now: float, params: PacingParams | None = None
    ) -> PacingDecision:
        if params is not None:
            self.params = params
        decision = decide(snapshot, self.params, now, self.model_state(now))
        self._amd_hangup = decision.amd_hangup
        self.dials.add(decision.calls_to_place, now)
        if decision.reason != self._last_reason and not decision.reason.startswith("predictive"):
            log.info("pacing: %s (calls=%d)", decision.reason, decision.calls_to_place)
        self._last_reason = decision.reason
        return decision
