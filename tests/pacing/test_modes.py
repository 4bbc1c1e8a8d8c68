from __future__ import annotations

from dataclasses import replace

from fs_app.pacing import (
    AbandonCounts,
    CallState,
    CallView,
    DialMode,
    OperatorStatus,
    OperatorView,
    Pacer,
    PacingParams,
    PacingSnapshot,
    decide,
)
from fs_app.pacing.pacer import ModelState

from .conftest import make_model


def test_from_views_orders_ready_longest_idle_first() -> None:
    snap = PacingSnapshot.from_views(
        [
            OperatorView("a", OperatorStatus.READY, 5.0),
            OperatorView("b", OperatorStatus.READY, 50.0),
            OperatorView("c", OperatorStatus.TALKING, 30.0),
            OperatorView("d", OperatorStatus.WRAP_UP, 3.0),
            OperatorView("e", OperatorStatus.TALKING, 3.0, leaving=True),
        ],
        [CallView(CallState.RINGING, 4.0), CallView(CallState.QUEUED, 10.0, 1.0),
         CallView(CallState.CONNECTED, 40.0)],
    )
    assert snap.ready_operator_ids == ("b", "a")
    assert snap.talk_elapsed_s == (30.0,) and snap.wrap_elapsed_s == (3.0,)
    assert snap.not_ready == 1 and snap.logged_in == 5
    assert snap.ringing_ages_s == (4.0,) and snap.queued_waits_s == (1.0,)


def test_preview_reserves_longest_idle() -> None:
    snap = PacingSnapshot(ready_operator_ids=("b", "a"))
    d = decide(snap, PacingParams(mode=DialMode.PREVIEW), 0.0)
    assert d.reserve_operator_id == "b" and d.calls_to_place == 2


def test_agentless_fills_ports() -> None:
    snap = PacingSnapshot(ringing_ages_s=(1.0, 2.0), other_active_calls=3)
    d = decide(snap, PacingParams(mode=DialMode.AGENTLESS, max_ports=10, min_operators=0), 0.0)
    assert d.calls_to_place == 5


def test_below_min_operators_does_not_dial() -> None:
    snap = PacingSnapshot(ready_operator_ids=("a", "b"))
    d = decide(snap, PacingParams(mode=DialMode.PROGRESSIVE, min_operators=3), 0.0)
    assert d.calls_to_place == 0 and d.reason == "below min operators"


def test_progressive_supervisor_edit_and_connect_adaptation(model: ModelState) -> None:
    snap = PacingSnapshot(ready_operator_ids=("a", "b", "c", "d"))
    base = PacingParams(mode=DialMode.PROGRESSIVE, call_rate=2.0, hit_rate=0.3)
    assert decide(snap, base, 0.0).calls_to_place == 8
    # A supervisor raises the call rate live: the next decision follows.
    raised = PacingParams(mode=DialMode.PROGRESSIVE, call_rate=3.0, hit_rate=0.3)
    assert decide(snap, raised, 0.0).calls_to_place == 12
    # Measured connect probability half the configured hit rate: twice the calls.
    low = replace(model, resolution=replace(model.resolution, p_connect=0.15))
    assert decide(snap, base, 0.0, low).calls_to_place == 16


def test_predictive_warms_up_progressively() -> None:
    pacer = Pacer(PacingParams(call_rate=1.5, warmup_answers=30))
    d = pacer.decide(PacingSnapshot(ready_operator_ids=("a", "b")), 0.0)
    assert d.reason.startswith("warm-up") and d.calls_to_place == 3


def test_predictive_overdials_when_operators_are_free(model: ModelState) -> None:
    snap = PacingSnapshot(ready_operator_ids=tuple("abcdefghij"))
    d = decide(snap, PacingParams(hit_rate=0.3), 0.0, model)
    # Ten free operators at a 30 % connect rate: clearly more than one call each, far fewer than 10 / 0.3 * 3.
    assert 10 < d.calls_to_place < 100
    assert d.expected_wait_s == 0.0


def test_expected_wait_grows_with_queue(model: ModelState) -> None:
    snap1 = PacingSnapshot(talk_elapsed_s=(100.0,) * 10, queued_waits_s=(1.0,))
    snap2 = PacingSnapshot(talk_elapsed_s=(100.0,) * 10, queued_waits_s=(1.0,) * 6)
    w1 = decide(snap1, PacingParams(), 0.0, model).expected_wait_s
    w2 = decide(snap2, PacingParams(), 0.0, model).expected_wait_s
    assert 0 < w1 < w2


def test_pacer_learns_from_observations() -> None:
    pacer = Pacer(PacingParams(hit_rate=0.5, warmup_answers=5))
    t = 0.0
    for i in range(2000):
        t += 0.5
        pacer.observe_dial(8.0 if i % 10 == 0 else 20.0, i % 10 == 0, t)
    for _ in range(200):
        pacer.observe_talk(60.0, t)
        pacer.observe_wrap(10.0, t)
    state = pacer.model_state(t)
    assert abs(state.resolution.p_connect - 0.1) < 0.02
    assert 55 < state.talk.mean < 65 and 8 < state.wrap.mean < 13
    d = pacer.decide(PacingSnapshot(ready_operator_ids=tuple("abcde")), t)
    assert d.reason.startswith("predictive") and d.calls_to_place > 5


def test_shared_connect_rate_error_shrinks_big_refills_most() -> None:
    """The connect-rate error is common to every dial in flight: a 60-operator refill at 10 % connects
    must shrink, and far more than a 3-operator one does."""
    exact = make_model(p_connect=0.1)
    unsure = replace(exact, connect_cv=0.08)
    params = PacingParams(cruise_control=False)

    def calls(model: ModelState, ready: int) -> int:
        snap = PacingSnapshot(ready_operator_ids=tuple(f"op{i}" for i in range(ready)))
        return decide(snap, params, 0.0, model).calls_to_place

    big_exact, big_unsure = calls(exact, 60), calls(unsure, 60)
    small_exact, small_unsure = calls(exact, 3), calls(unsure, 3)
    assert 60 <= big_unsure < big_exact
    assert 3 <= small_unsure <= small_exact
    assert (big_exact - big_unsure) / big_exact > (small_exact - small_unsure) / small_exact


def test_predictive_stays_warm_through_a_refill_burst() -> None:
    pacer = Pacer(PacingParams(hit_rate=0.5, warmup_answers=5))
    t = 0.0
    for i in range(2000):
        t += 0.5
        pacer.observe_dial(8.0, i % 2 == 0, t)
    for _ in range(200):
        pacer.observe_customer(0.0, t)
        pacer.observe_talk(60.0, t)
        pacer.observe_wrap(10.0, t)
    snap = PacingSnapshot(ready_operator_ids=tuple("abcde"))
    assert pacer.decide(snap, t).reason.startswith("predictive")
    # A burst of connects, none ended yet: the start-up bias the warm-up guards against is long gone.
    for _ in range(500):
        pacer.observe_customer(0.0, t)
    assert pacer.decide(snap, t).reason.startswith("predictive")


def test_cruise_pause_brakes_only_when_the_abandon_windows_lack_headroom(model: ModelState) -> None:
    paused = replace(model, cruise_paused=True)
    params = PacingParams(hit_rate=0.3)
    free = tuple("abcdefghij")

    def with_window(abandoned: float) -> PacingSnapshot:
        counts = AbandonCounts(2000.0, abandoned)
        return PacingSnapshot(ready_operator_ids=free, abandon_24h=counts, abandon_30d=counts)

    clean = decide(with_window(20.0), params, 0.0, paused)  # 1 %: a burst is absorbed by the windows
    assert clean.reason.startswith("predictive")
    assert clean.calls_to_place > len(free)
    tight = decide(with_window(80.0), params, 0.0, paused)  # 4 %: over the target, the pause holds
    assert tight.reason == "cruise control paused"
    assert tight.calls_to_place == len(free)
    # Not paused, the same tight windows still allow predictive dialing (the governor is not braking).
    assert decide(with_window(80.0), params, 0.0, model).reason.startswith("predictive")
