"""The governor in the running engine: abandon windows seeded from stored attempts, updated as calls end."""

from __future__ import annotations

import asyncio
import time

import pytest

from fs_app.calls.call_states import CallState
from fs_app.calls.operator_states import OperatorState
from fs_app.engine.abandons import Tally
from fs_app.engine.store import MemoryAttemptStore
from fs_app.pacing import DialMode
from fs_app.pacing.abandon import DAY_S
from tests.engine.rig import HUMAN, Rig, config, plan, rig, target


def history(store: MemoryAttemptStore, *, age_s: float, live: int, abandoned: int, campaign_id: int = 1) -> None:
    """Answered attempts of an earlier run, ``age_s`` ago: ``abandoned`` of them never reached an operator."""
    now = time.time()
    for i in range(live):
        t = now - age_s + i
        lost = i < abandoned
        store.rows[f"old-{campaign_id}-{i}"] = {
            "uuid": f"old-{campaign_id}-{i}", "campaign_id": campaign_id, "started_at": t - 10, "answered_at": t,
            "connected_at": None if lost else t + 0.5, "wait_to_operator_ms": None if lost else 500,
            "amd_verdict": None, "code": "abandoned_queue" if lost else "answered_human", "state": "done",
            "ended_at": t + 60,
        }


def customer_dials(r: Rig) -> int:
    return sum("sofia/gateway/carrier" in o for o in r.originates)


async def first_burst(store: MemoryAttemptStore, *, loaded: bool) -> tuple[int, str, Tally]:
    """Dials of a predictive campaign (3 calls per free operator while warming up) with two ready operators
    whose calls last long: only the first decisions dial. The contacts arrive once the history is in."""
    cfg = config(dial_mode=DialMode.PREDICTIVE, call_rate=3.0)
    async with rig(cfg, store=store, start=False) as r:
        for n in range(1, 21):
            r.pin(n, HUMAN)
        await r.nailed("7")
        await r.nailed("8")
        r.driver.run(r.core.start_campaign(cfg, time.time()))
        run = r.core.st.campaigns[1]
        if loaded:
            await r.until(lambda: run.abandons.month.total(time.time()).live > 0)
        else:
            await asyncio.sleep(0.3)  # the history read is done: it finds nothing to load
        r.contacts.add(1, [target(n) for n in range(1, 21)])
        await r.until(lambda: r.operator("7").state is OperatorState.TALKING
                      and r.operator("8").state is OperatorState.TALKING)
        await r.until(lambda: not any(c.state in (CallState.DIALING, CallState.RINGING, CallState.ANSWERED)
                                      for c in r.core.st.calls.values()))
        return customer_dials(r), run.last_reason, run.abandons.day.total(time.time())


async def test_a_month_over_the_cap_brakes_the_predictive_pacer() -> None:
    clean = MemoryAttemptStore()
    history(clean, age_s=5 * DAY_S, live=1000, abandoned=0)
    over = MemoryAttemptStore()
    history(over, age_s=5 * DAY_S, live=1000, abandoned=100)  # 10 % abandoned last week: far over 3 %
    n_clean, reason_clean, _ = await first_burst(clean, loaded=True)
    n_over, reason_over, day = await first_burst(over, loaded=True)
    assert n_clean == 6 and reason_clean.startswith("warm-up")
    # Braking: one dial per ready operator, which no customer can be abandoned by.
    assert n_over == 2 and reason_over == "governor braking"
    assert day == Tally()  # the week-old history is outside the 24-hour window


async def test_history_older_than_thirty_days_is_forgotten() -> None:
    old = MemoryAttemptStore()
    history(old, age_s=31 * DAY_S, live=1000, abandoned=500)
    n, reason, _ = await first_burst(old, loaded=False)
    assert n == 6 and reason.startswith("warm-up")


async def test_a_day_over_the_cap_brakes_too_and_new_calls_are_counted() -> None:
    store = MemoryAttemptStore()
    history(store, age_s=3600, live=200, abandoned=20)
    n, reason, day = await first_burst(store, loaded=True)
    assert n == 2 and reason == "governor braking"
    assert day.live == 200 and day.abandoned == 20  # this run's calls are still talking: not counted yet


async def test_calls_ending_in_this_run_update_the_windows() -> None:
    async with rig(targets=[target(1), target(2)]) as r:
        r.pin(1, HUMAN)
        r.pin(2, plan("human", patience_s=0.3))
        await r.nailed("7")
        r.control.set_call_rate(1, 2.0)
        await r.result(2, within_s=5)  # hung up in the queue: abandoned
        r.switch.core.hangup(r.operator("7").call_id)
        await r.until(lambda: r.operator("7").state is OperatorState.WRAP_UP)
        r.control.wrap_up("7", "sale")
        await r.result(1)
        day, month = r.core.st.campaigns[1].abandons.counts(time.time())
        assert (day.live, day.abandoned) == (2, 1) and (month.live, month.abandoned) == (2, 1)


async def test_machine_verdicts_the_lever_routes_count_as_live_and_hang_ups_as_estimated_people() -> None:
    async with rig(config(amd=True, amd_false_positive_rate=0.05), targets=[target(1)], amd=True) as r:
        r.pin(1, plan("voicemail", machine_s=20.0))
        await r.nailed("7")
        await r.until(lambda: r.operator("7").call_id is not None
                      and r.core.st.calls[r.operator("7").call_id].state is CallState.TALKING, within_s=12)
        r.switch.core.hangup(r.operator("7").call_id)
        await r.until(lambda: r.operator("7").state is OperatorState.WRAP_UP)
        r.control.wrap_up("7", "answering_machine")
        res = await r.result(1)
        assert res.amd_verdict in ("machine", "robot") and res.connected_at is not None
        tally = r.core.st.campaigns[1].abandons.day.total(time.time())
        # Connected like a person: a live answer, not an AMD hang-up (and not a person AMD passed).
        assert tally == Tally(live=1, abandoned=int((res.wait_to_operator_ms or 0) > 2000))


@pytest.mark.parametrize("fp", [0.0, 0.001, 0.01])
async def test_amd_hang_ups_count_as_the_estimated_share_of_people(fp: float) -> None:
    store = MemoryAttemptStore()
    history(store, age_s=3600, live=500, abandoned=0)
    for row in store.rows.values():
        row["amd_verdict"] = "human"
    async with rig(config(amd=True, amd_false_positive_rate=fp), targets=[target(1)], store=store,
                   amd=True) as r:
        r.pin(1, plan("voicemail", machine_s=20.0))
        await r.nailed("7")
        res = await r.result(1, within_s=12)
        assert res.system_code in ("answering_machine", "robot")
        run = r.core.st.campaigns[1]
        assert run.abandons.day.total(time.time()) == Tally(live=500, amd_passed=500, amd_hung_up=1)
        day, _ = run.abandons.counts(time.time(), fp)
        # For the 500 people AMD passed, 500 * fp / (1 - fp) were hung up on -- at most the one hang-up.
        people = min(500 * fp / (1 - fp), 1.0)
        assert day.live == pytest.approx(500 + people) and day.abandoned == pytest.approx(people)
