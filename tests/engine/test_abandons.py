"""Abandon accounting of the engine's attempts: the mapping onto the shared rule and the rolling windows."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fs_app.engine.abandons import (
    BUCKET_24H_S,
    Attempt,
    CampaignAbandons,
    RollingTally,
    Tally,
    false_positive_share,
)
from fs_app.engine.commands import LoadAbandonHistory
from fs_app.engine.core import EngineCore
from fs_app.engine.dialing import snapshot
from fs_app.pacing import AbandonCounts
from fs_app.pacing.abandon import WINDOW_24H_S, WINDOW_30D_S, AnsweredBy, abandon_counts
from tests.engine.rig import config

T = 1_764_000_000.0  # a realistic epoch: float rounding of the times must not flip a 2.000 s wait


def at(**kw: object) -> Attempt:
    base: dict[str, object] = {"campaign_id": 1, "answered_at": T}
    base.update(kw)
    return Attempt(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("attempt", "tally"),
    [
        (at(answered_at=None, code="no_answer"), Tally()),
        (at(connected_at=T + 1, wait_to_operator_ms=1500, code="answered_human"), Tally(live=1)),
        (at(connected_at=T + 9, wait_to_operator_ms=2000, code="answered_human"), Tally(live=1)),
        (at(connected_at=T + 9, wait_to_operator_ms=2001, code="answered_human"), Tally(live=1, abandoned=1)),
        (at(code="abandoned_queue"), Tally(live=1, abandoned=1)),
        # AMD passed a person (or was not sure: treated as one).
        (at(amd_verdict="human", connected_at=T + 3, wait_to_operator_ms=100, code="answered_human"),
         Tally(live=1, amd_passed=1)),
        (at(amd_verdict="notsure", code="abandoned_queue"), Tally(live=1, abandoned=1, amd_passed=1)),
        # AMD hung up: a person only with the estimated probability.
        (at(amd_verdict="machine", code="answering_machine"), Tally(amd_hung_up=1)),
        (at(amd_verdict="robot", code="robot"), Tally(amd_hung_up=1)),
        # The lever sent the machine verdict to an operator: a live answer like a person's, verdict kept.
        (at(amd_verdict="machine", connected_at=T + 4, wait_to_operator_ms=300, code="answered_human"),
         Tally(live=1)),
        (at(amd_verdict="machine", code="abandoned_queue"), Tally(live=1, abandoned=1)),
        # Hung up while AMD was still listening: a person abandoned, to be safe with the cap.
        (at(code="abandoned_queue"), Tally(live=1, abandoned=1)),
        # Agentless: handed to the IVR, which is where the call was meant to go.
        (at(code="answered_human"), Tally(live=1)),
    ],
)
def test_each_attempt_counts_by_the_shared_rule(attempt: Attempt, tally: Tally) -> None:
    assert Tally.of(attempt) == tally


def test_grace_is_configurable() -> None:
    late = at(connected_at=T + 5, wait_to_operator_ms=2500, code="answered_human")
    assert Tally.of(late, grace_s=2.0).abandoned == 1
    assert Tally.of(late, grace_s=3.0).abandoned == 0


def test_false_positive_share_estimates_people_among_hang_ups() -> None:
    # 5 % of people hung up on: 95 passed people mean 5 more among the 50 hang-ups.
    assert false_positive_share(0.05, 95, 50) == pytest.approx(0.1)
    counts = Tally(live=100, abandoned=1, amd_passed=95, amd_hung_up=50).counts(0.05)
    assert counts.live == pytest.approx(105.0) and counts.abandoned == pytest.approx(6.0)
    assert false_positive_share(0.5, 100, 10) == 1.0  # never more people than hang-ups
    assert false_positive_share(0.0, 100, 10) == 0.0
    assert false_positive_share(0.05, 100, 0) == 0.0


verdicts = st.sampled_from([None, "human", "notsure", "machine", "robot", "silence"])
codes = st.sampled_from(["answered_human", "abandoned_queue", "answering_machine", "robot", "silence", "busy"])
attempts = st.builds(
    Attempt,
    campaign_id=st.sampled_from([1, 2]),
    answered_at=st.one_of(st.none(), st.floats(T, T + 5 * 86_400.0)),
    connected_at=st.one_of(st.none(), st.just(T)),
    wait_to_operator_ms=st.one_of(st.none(), st.integers(0, 6000)),
    amd_verdict=verdicts,
    code=codes,
)


@settings(max_examples=200, deadline=None)
@given(st.lists(attempts, max_size=60), st.sampled_from([0.0, 0.02, 0.3]))
def test_tally_counts_equal_the_shared_abandon_counts(batch: list[Attempt], fp: float) -> None:
    """The engine's counts are what ``abandon_counts`` says for the same attempts and share."""
    for cid in (1, 2):
        mine = [a for a in batch if a.campaign_id == cid]
        total = Tally()
        for a in mine:
            total += Tally.of(a)
        share = false_positive_share(fp, total.amd_passed, total.amd_hung_up)
        shared = abandon_counts([a.record() for a in mine], since=-math.inf, until=math.inf,
                                amd_false_positive_share=share).get(str(cid))
        got = total.counts(fp)
        if shared is None:  # no live answer and no hang-up counted
            assert got.live == 0 and got.abandoned == 0
        else:
            assert got.live == pytest.approx(shared.live) and got.abandoned == pytest.approx(shared.abandoned)


def test_windows_expire_a_day_and_a_month_later() -> None:
    w = CampaignAbandons()
    late = at(code="abandoned_queue")
    w.add(late, T + 10)
    day, month = w.counts(T + 10)
    assert (day.live, day.abandoned, month.live) == (1, 1, 1)
    assert w.counts(T + WINDOW_24H_S - 1)[0].abandoned == 1
    # Gone from the day once its whole bucket is older than 24 h; still in the month.
    day, month = w.counts(T + WINDOW_24H_S + BUCKET_24H_S)
    assert day.live == 0 and month.abandoned == 1
    assert w.counts(T + WINDOW_30D_S + 601)[1].live == 0


def test_late_and_out_of_order_attempts() -> None:
    w = RollingTally(100.0, 10.0)
    w.add(55.0, Tally(live=1), now=60.0)
    w.add(12.0, Tally(live=1, abandoned=1), now=60.0)  # answered earlier, ended later (a long call)
    w.add(-50.0, Tally(live=1), now=60.0)  # already out of the window: ignored
    assert w.total(60.0) == Tally(live=2, abandoned=1)
    assert w.total(125.0) == Tally(live=1)
    assert w.total(170.0) == Tally()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1000), st.booleans()), max_size=80), st.floats(0, 1100),
       st.integers(0, 80))
def test_rolling_total_is_every_bucket_inside_the_window(events: list[tuple[float, bool]], now: float,
                                                         split: int) -> None:
    """Seeded history (merge) plus attempts added one by one equal a count over all of them: everything
    answered in the window, nothing older than one bucket beyond it."""
    w = RollingTally(300.0, 10.0)
    items = [(t, Tally(live=1, abandoned=int(a))) for t, a in events]
    w.merge(items[:split], now)
    for t, tally in items[split:]:
        w.add(t, tally, now)
    expected = Tally()
    for t, tally in items:
        if math.floor(t / 10.0) >= math.floor((now - 300.0) / 10.0):
            expected += tally
            assert t > now - 310.0
        elif t > now - 300.0:
            raise AssertionError("an attempt inside the window was dropped")
    assert w.total(now) == expected


def test_the_seeded_history_and_new_attempts_add_up() -> None:
    w = CampaignAbandons()
    history = [at(answered_at=T - 3 * 86_400 + i, code="abandoned_queue") for i in range(10)]
    history += [at(answered_at=T - 3600 + i, connected_at=T, wait_to_operator_ms=500, code="answered_human")
                for i in range(90)]
    w.seed(history, T)
    w.add(at(answered_at=T + 5, code="abandoned_queue"), T + 6)
    day, month = w.counts(T + 6)
    assert (day.live, day.abandoned) == (91, 1)
    assert (month.live, month.abandoned) == (101, 11)
    assert AnsweredBy.HUMAN is history[0].record().answered_by


def test_a_new_campaign_run_asks_for_its_history_once_and_the_pacer_sees_it() -> None:
    core = EngineCore(seed=1)
    out = core.start_campaign(config(), T)
    assert LoadAbandonHistory(1, T - WINDOW_30D_S, T) in out
    core.stop_campaign(1, T + 1)
    # A restart keeps the run, and with it the counts: nothing to reload.
    assert not [c for c in core.start_campaign(config(), T + 2) if isinstance(c, LoadAbandonHistory)]
    two_days_ago = at(answered_at=T - 2 * 86_400, code="answered_human", connected_at=T, wait_to_operator_ms=0)
    core.seed_abandons(1, [at(code="abandoned_queue"), at(campaign_id=2, code="abandoned_queue"), two_days_ago], T + 2)
    run = core.st.campaigns[1]
    snap = snapshot(core.st, run, T + 3)
    assert snap.abandon_24h == AbandonCounts(1.0, 1.0) and snap.abandon_30d == AbandonCounts(2.0, 1.0)
