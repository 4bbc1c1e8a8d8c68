"""Property tests of the pacer's safety rules."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from fs_app.pacing import AbandonCounts, DialMode, PacingParams, PacingSnapshot, decide
from fs_app.pacing.governor import govern
from fs_app.pacing.pacer import ModelState

from .conftest import make_model

MODEL = make_model()
SLOW_MODEL = make_model(talk_mean=900.0, wrap_mean=120.0)

ages = st.floats(min_value=0.0, max_value=80.0, allow_nan=False)


@st.composite
def snapshots(draw: st.DrawFn) -> PacingSnapshot:
    ready = draw(st.integers(0, 30))
    return PacingSnapshot(
        ready_operator_ids=tuple(f"op{i}" for i in range(ready)),
        talk_elapsed_s=tuple(draw(st.lists(st.floats(0.0, 2000.0), max_size=40))),
        wrap_elapsed_s=tuple(draw(st.lists(st.floats(0.0, 200.0), max_size=10))),
        reserved=draw(st.integers(0, 3)),
        not_ready=draw(st.integers(0, 3)),
        ringing_ages_s=tuple(draw(st.lists(ages, max_size=120))),
        queued_waits_s=tuple(draw(st.lists(st.floats(0.0, 30.0), max_size=5))),
        other_active_calls=draw(st.integers(0, 5)),
        channels_available=draw(st.one_of(st.none(), st.integers(0, 200))),
        abandon_24h=AbandonCounts(live=draw(st.floats(0, 5000)), abandoned=draw(st.floats(0, 200))),
    )


@st.composite
def params(draw: st.DrawFn) -> PacingParams:
    return PacingParams(
        mode=draw(st.sampled_from(list(DialMode))),
        call_rate=draw(st.floats(1.0, 5.0)),
        hit_rate=draw(st.floats(0.05, 1.0)),
        service_level=draw(st.floats(0.8, 1.0)),
        intensity=draw(st.one_of(st.none(), st.floats(0.1, 5.0))),
        max_ports=draw(st.one_of(st.none(), st.integers(0, 300))),
        min_operators=draw(st.integers(0, 5)),
        max_operators=draw(st.one_of(st.none(), st.integers(1, 50))),
        amd_false_positive_rate=draw(st.sampled_from([0.0, 0.01, 0.05])),
        max_calls_per_decision=draw(st.one_of(st.none(), st.integers(0, 50))),
    )


@settings(max_examples=300, deadline=None)
@given(snapshots(), params(), st.sampled_from([None, MODEL, SLOW_MODEL]))
def test_never_exceeds_ports_or_connector(snap: PacingSnapshot, p: PacingParams, model: ModelState | None) -> None:
    d = decide(snap, p, 0.0, model)
    assert d.calls_to_place >= 0
    if p.max_ports is not None:
        assert snap.active_calls + d.calls_to_place <= max(p.max_ports, snap.active_calls)
    if snap.channels_available is not None:
        assert d.calls_to_place <= snap.channels_available
    if p.max_calls_per_decision is not None:
        assert d.calls_to_place <= p.max_calls_per_decision
    assert len(d.reserve_operator_ids) <= snap.ready


@settings(max_examples=300, deadline=None)
@given(
    talk=st.lists(st.floats(0.0, 10.0), max_size=30),
    ringing=st.lists(ages, max_size=50),
    queued=st.integers(0, 5),
    p=params(),
)
def test_predictive_never_dials_without_an_operator_ready_or_about_to_be_free(
    talk: list[float], ringing: list[float], queued: int, p: PacingParams
) -> None:
    # Operators who just started 15-minute calls: none is ready or about to be free within the horizon.
    snap = PacingSnapshot(talk_elapsed_s=tuple(talk), ringing_ages_s=tuple(ringing),
                          queued_waits_s=(1.0,) * queued)
    pred = PacingParams(**{**{f: getattr(p, f) for f in PacingParams.__slots__},
                           "mode": DialMode.PREDICTIVE, "min_operators": 0})
    assert decide(snap, pred, 0.0, SLOW_MODEL).calls_to_place == 0
    assert decide(PacingSnapshot(ringing_ages_s=tuple(ringing)), pred, 0.0, MODEL).calls_to_place == 0


@settings(max_examples=200, deadline=None)
@given(
    live=st.integers(200, 5000),
    burst=st.floats(0.04, 0.3),
    per_hour=st.integers(20, 500),
)
def test_governor_brings_the_rolling_rate_back_under_the_cap(live: int, burst: float, per_hour: int) -> None:
    """After a burst, spend exactly what the governor allows each hour (the worst a compliant pacer can do)
    while the 24-h window slides: the rate falls under the cap and stays there."""
    cap = 0.03
    hours: list[tuple[float, float]] = [(live / 24, live / 24 * burst)] * 24
    rates = []
    for _ in range(72):
        window = AbandonCounts(live=sum(h[0] for h in hours[-24:]), abandoned=sum(h[1] for h in hours[-24:]))
        v = govern(window, window, cap=cap, margin=0.005, amd_false_positive_rate=0.0,
                   expected_live_ahead=per_hour * 6)
        spend = 0.0 if v.braking else v.allowed_rate
        hours.append((per_hour, per_hour * spend))
        last = hours[-24:]
        rates.append(sum(h[1] for h in last) / sum(h[0] for h in last))
    assert all(r <= cap + 1e-9 for r in rates[24:])
    assert rates[-1] <= cap - 0.0025


@settings(max_examples=100, deadline=None)
@given(snapshots(), st.floats(0.05, 0.5))
def test_predictive_brakes_to_one_to_one_over_the_cap(snap: PacingSnapshot, excess: float) -> None:
    # A day of answers at the model's rate (0.5/s) with an excess that 6 h of clean answers cannot repay.
    burst = PacingSnapshot(**{**{f: getattr(snap, f) for f in PacingSnapshot.__slots__},
                              "abandon_24h": AbandonCounts(live=40_000.0, abandoned=40_000.0 * excess)})
    d = decide(burst, PacingParams(min_operators=0), 0.0, MODEL)
    safe = max(burst.ready - len(burst.queued_waits_s) - len(burst.ringing_ages_s), 0)
    assert d.calls_to_place <= safe
    assert d.reason == "governor braking"
