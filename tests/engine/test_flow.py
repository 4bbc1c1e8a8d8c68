"""The call engine against the simulated switch, through our own event-socket client."""

from __future__ import annotations

import asyncpg

from fs_app.calls.operator_states import OperatorState
from fs_app.engine.store import PgAttemptStore
from tests.engine.rig import HUMAN, plan, rig, target


async def test_progressive_human_bridged_to_nailed_operator_then_reparked(pool: asyncpg.Pool) -> None:
    store = PgAttemptStore(pool)
    async with rig(targets=[target(1)], store=store) as r:
        r.pin(1, HUMAN)
        leg = await r.nailed("7")
        await r.until(lambda: r.operator("7").state is OperatorState.TALKING)
        call_id = r.operator("7").call_id
        assert r.switch.core.channels[leg].bridged
        # The customer hangs up: the operator wraps up, its leg is parked again (nailed-up).
        r.switch.core.hangup(call_id, "NORMAL_CLEARING")
        await r.until(lambda: r.operator("7").state is OperatorState.WRAP_UP)
        await r.until(lambda: r.switch.core.channels[leg].state_parked)
        r.control.wrap_up("7", "sale")
        res = await r.result(1)
        assert (res.system_code, res.operator_code, res.operator_id) == ("answered_human", "sale", "7")
        assert res.wait_to_operator_ms is not None and res.wait_to_operator_ms < 2000
        assert r.operator("7").state is OperatorState.READY
        assert leg in r.switch.core.channels  # the nailed leg survived the call
        await store.flush()
        row = await pool.fetchrow("SELECT * FROM call_attempts WHERE uuid=$1", call_id)
        assert row["code"] == "answered_human" and row["operator_code"] == "sale"
        assert row["connected_at"] is not None and row["ended_at"] is not None
        assert row["wait_to_operator_ms"] == res.wait_to_operator_ms
        # Exactly one originate for the one contact.
        assert sum("sofia/gateway" in o for o in r.originates) == 1


async def test_network_results_become_codes() -> None:
    async with rig(targets=[target(i) for i in (1, 2, 3, 4)]) as r:
        r.pin(1, plan("busy", ring_s=0.02))
        r.pin(2, plan("unallocated", ring_s=0.02))
        r.pin(3, plan("no_answer", ring_s=99))
        r.pin(4, plan("rejected", ring_s=0.02))
        for op in ("1", "2", "3", "4"):
            await r.nailed(op)
        # no_answer: the ring timeout is at least 15 s, so time the test by hand: kill after ringing.
        await r.until(lambda: len(r.results.results) >= 3)
        codes = {res.contact_id: res.system_code for res in r.results.results}
        assert codes[1] == "busy" and codes[2] == "unallocated" and codes[4] == "rejected"
        ringing = next(c for c in r.core.st.calls.values() if c.target.contact_id == 3)
        r.switch.core.hangup(ringing.call_id, "NO_ANSWER")
        res = await r.result(3)
        assert res.system_code == "no_answer" and res.answered_at is None
        assert all(r.operator(o).state is OperatorState.READY for o in ("1", "2", "3", "4"))
