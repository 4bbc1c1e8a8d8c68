"""The AMD lever: when estimated AMD false positives alone would break the abandon cap, machine verdicts go
to operators instead of being hung up on -- decided by the pure pacer, honoured by the simulator."""

from __future__ import annotations

from dataclasses import replace

from bench.pacing.metrics import figures
from bench.pacing.policies import Progressive
from bench.pacing.scenario import Scenario
from bench.pacing.sim import Sim
from fs_app.pacing import AbandonCounts, DialMode, Pacer, PacingParams, PacingSnapshot, decide
from fs_app.pacing.estimator import ResolutionModel
from fs_app.pacing.governor import abandon_target, govern

from .conftest import make_model

CLEAN = AbandonCounts(live=10_000.0, abandoned=0.0)


def _govern(window: AbandonCounts, fp: float, fallback: bool = True) -> tuple[bool, float, bool]:
    v = govern(window, window, cap=0.03, margin=0.005, amd_false_positive_rate=fp, expected_live_ahead=2500.0,
               amd_fallback=fallback)
    return v.amd_hangup, v.pacing_budget, v.braking


def test_accurate_amd_keeps_hanging_up_and_pays_its_false_positives() -> None:
    hangup, budget, braking = _govern(CLEAN, 0.01)
    assert hangup and not braking
    assert abs(budget - (0.0375 - 0.01)) < 1e-9


def test_false_positives_over_the_allowance_turn_hangups_off_and_free_the_budget() -> None:
    hangup, budget, braking = _govern(CLEAN, 0.05)
    assert not hangup and not braking
    assert abs(budget - 0.0375) < 1e-9
    # Without the lever the same AMD leaves nothing to pace with.
    hangup, budget, braking = _govern(CLEAN, 0.05, fallback=False)
    assert hangup and braking and budget == 0.0


def test_after_a_burst_even_accurate_amd_stops_hanging_up_until_the_window_recovers() -> None:
    burst = AbandonCounts(live=10_000.0, abandoned=300.0)  # 3 %: little left to spend on the next answers
    hangup, _, _ = _govern(burst, 0.01)
    assert not hangup
    recovered = AbandonCounts(live=10_000.0, abandoned=150.0)
    assert _govern(recovered, 0.01)[0]


def test_decision_carries_the_lever_in_every_mode_that_dials_people_to_operators() -> None:
    snap = PacingSnapshot(ready_operator_ids=("a", "b", "c"), talk_elapsed_s=(10.0, 50.0), abandon_24h=CLEAN)
    model = make_model()
    for mode in (DialMode.PROGRESSIVE, DialMode.PREDICTIVE):
        for fp, expected in ((0.0, True), (0.01, True), (0.05, False)):
            d = decide(snap, PacingParams(mode=mode, amd_false_positive_rate=fp), 0.0, model)
            assert d.amd_hangup is expected, (mode, fp)
        off = decide(snap, PacingParams(mode=mode, amd_false_positive_rate=0.05, amd_fallback=False), 0.0, model)
        assert off.amd_hangup


def test_predictive_paces_with_the_machine_verdict_forecast_when_hangups_are_off() -> None:
    pacer = Pacer(PacingParams(amd_false_positive_rate=0.05, warmup_answers=5))
    t = 0.0
    for i in range(3000):
        t += 0.1
        # 10 % people (to operators), 20 % machine verdicts, the rest never answer.
        kind = i % 10
        pacer.observe_dial(8.0, kind == 0, t, machine_verdict=kind in (1, 2))
    state = pacer.model_state(t)
    assert abs(state.resolution.p_connect - 0.1) < 0.01
    assert state.resolution_amd_off is not None
    assert abs(state.resolution_amd_off.p_connect - 0.3) < 0.01
    assert state.for_amd(False)[0] is state.resolution_amd_off
    assert state.for_amd(True)[0] is state.resolution


def test_resolution_model_keeps_machine_verdicts_apart() -> None:
    m = ResolutionModel(hit_rate=0.2, prior_dials=0.0)
    for i in range(1000):
        m.observe(5.0 + i % 7, i % 5 == 0, float(i), machine_verdict=i % 5 == 1)
    assert abs(m.p_connect() - 0.2) < 0.01
    assert abs(m.p_connect(False) - 0.4) < 0.01
    assert abs(m.machine_verdict_share - 0.2) < 0.01
    assert m.view(False).new_cdf[-1] > m.view(True).new_cdf[-1]


class _OneToOneAmdOff(Progressive):
    amd_hangup = False


def test_simulator_honours_the_lever_people_reach_operators_and_machines_cost_time() -> None:
    s = Scenario(name="amd", operators=8, live_rate=0.3, handle_s=90.0, amd_accuracy=0.9, days=1,
                 day_s=3600.0, seed=3)
    on_res = Sim(s, Progressive()).run()
    off_res = Sim(s, _OneToOneAmdOff()).run()
    on, off = figures(s, on_res), figures(s, off_res)
    # One call per free operator never makes a person wait: the only abandons are AMD's false positives.
    assert 0.05 < on.abandon_rate < 0.16
    assert off.abandon_rate == 0.0
    # Machines now take operator time (AMD at 90 % lets few through on its own).
    assert off_res.machine_handle_s > 3 * on_res.machine_handle_s


def test_hangups_stay_on_and_the_pacer_brakes_until_the_calls_in_flight_have_an_operator_each() -> None:
    burst = AbandonCounts(live=10_000.0, abandoned=500.0)  # AMD at 99 % no longer affordable for a while
    crowded = PacingSnapshot(ready_operator_ids=("a", "b"), talk_elapsed_s=(10.0,) * 8,
                             ringing_ages_s=(1.0,) * 30, abandon_24h=burst, abandon_30d=burst)
    params = PacingParams(amd_false_positive_rate=0.01)
    on = make_model()
    d = decide(crowded, params, 0.0, on)
    # 30 dials in flight were placed for AMD's connect rate: flipping now would swamp two operators.
    assert d.amd_hangup and d.reason == "governor braking" and d.calls_to_place == 0
    drained = PacingSnapshot(ready_operator_ids=("a", "b"), talk_elapsed_s=(10.0,) * 8,
                             ringing_ages_s=(1.0,), abandon_24h=burst, abandon_30d=burst)
    assert not decide(drained, params, 0.0, on).amd_hangup
    # Once off, it stays off while the budget is short, however many calls are in flight.
    off = replace(on, amd_hangup_now=False)
    assert not decide(crowded, params, 0.0, off).amd_hangup


def test_small_teams_cannot_afford_what_big_ones_can() -> None:
    # ~90 answers a day: even 1 % false positives break 3 % in too many windows (see abandon_target).
    small = govern(CLEAN, CLEAN, cap=0.03, margin=0.005, amd_false_positive_rate=0.01, expected_live_ahead=25.0,
                   amd_fallback=True, amd_affordable=abandon_target(0.03, 0.005, 90))
    big = govern(CLEAN, CLEAN, cap=0.03, margin=0.005, amd_false_positive_rate=0.01, expected_live_ahead=25.0,
                 amd_fallback=True, amd_affordable=abandon_target(0.03, 0.005, 5000))
    assert not small.amd_hangup and big.amd_hangup


def test_machines_handled_by_operators_are_learned_apart_from_peoples_calls() -> None:
    pacer = Pacer(PacingParams(mode=DialMode.PREDICTIVE, amd_false_positive_rate=0.05))
    for i in range(40):
        pacer.observe_talk(60.0, float(i))
        pacer.observe_wrap(10.0, float(i))
    people = pacer.model_state(40.0).talk.mean
    for i in range(40, 200):
        pacer.observe_talk(5.0, float(i), machine_verdict=True)
        pacer.observe_wrap(2.0, float(i), machine_verdict=True)
    state = pacer.model_state(200.0)
    assert state.talk.mean == people  # the lever may flip back on: people's calls stay as they were
    assert state.talk_all is not None and state.talk_all.mean < people / 2
    # Hang-ups off for good (AMD can never be afforded): every machine verdict is an operator's call.
    assert state.durations(amd_never=True)[0] is state.talk_all
    assert state.durations(amd_never=False)[0] is state.talk



def test_warm_up_counts_peoples_calls_unless_every_call_is_forecast() -> None:
    pacer = Pacer(PacingParams(mode=DialMode.PREDICTIVE, amd_false_positive_rate=0.05))
    pacer.observe_dial(5.0, True, 0.0)
    for i in range(10):  # 10 people's calls: fewer than the 20 a talk estimate needs to stand on its own
        pacer.observe_talk(60.0, float(i))
        pacer.observe_wrap(10.0, float(i))
    for i in range(10, 100):
        pacer.observe_talk(5.0, float(i), machine_verdict=True)
        pacer.observe_wrap(2.0, float(i), machine_verdict=True)
    state = pacer.model_state(200.0)
    assert not state.warm and state.warm_all


def test_an_amd_that_can_never_be_afforded_is_off_for_good() -> None:
    assert govern(CLEAN, CLEAN, cap=0.03, margin=0.005, amd_false_positive_rate=0.05, expected_live_ahead=2500.0,
                  amd_fallback=True).amd_never
    burst = AbandonCounts(live=10_000.0, abandoned=300.0)  # off only until the window recovers
    v = govern(burst, burst, cap=0.03, margin=0.005, amd_false_positive_rate=0.01, expected_live_ahead=2500.0,
               amd_fallback=True)
    assert not v.amd_hangup and not v.amd_never
