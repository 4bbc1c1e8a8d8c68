"""Crash safety and bad input: rows before originates, socket loss, reconnect, backoff."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg

from fs_app.calls.operator_states import OperatorState
from fs_app.engine.ports import Connector
from fs_app.engine.store import AttemptRow, MemoryAttemptStore, PgAttemptStore
from fs_app.switchsim import Population
from tests.engine.rig import HUMAN, config, plan, rig, target


class OrderedStore(PgAttemptStore):
    def __init__(self, pool: asyncpg.Pool, log: list[str]) -> None:
        super().__init__(pool)
        self.log = log

    async def insert(self, rows: Sequence[AttemptRow]) -> None:
        await super().insert(rows)
        self.log.extend(f"row {r.uuid}" for r in rows)


async def test_attempt_row_is_written_before_the_originate(pool: asyncpg.Pool) -> None:
    log: list[str] = []
    async with rig(targets=[target(1), target(2)], store=OrderedStore(pool, log)) as r:
        real = r.switch.core.originate

        def seen(arg: str, job: str) -> None:
            if "dialer_role=agent" not in arg:
                log.append(f"originate {job}")
            real(arg, job)

        r.switch.core.originate = seen  # type: ignore[method-assign]
        r.pin(1, plan("busy", ring_s=0.02))
        r.pin(2, plan("busy", ring_s=0.02))
        await r.nailed("7")
        await r.nailed("8")
        await r.until(lambda: len(r.results.results) == 2)
        for entry in [e for e in log if e.startswith("originate")]:
            uuid = entry.split()[1]
            assert log.index(f"row {uuid}") < log.index(entry)
        assert await pool.fetchval("SELECT count(*) FROM call_attempts WHERE code='busy'") == 2


async def test_socket_loss_pauses_dialing_and_reconnect_never_double_dials() -> None:
    targets = [target(i) for i in range(1, 7)]
    async with rig(config(connectors=(Connector("carrier", "carrier", capacity=50, cps=50),)),
                   targets=targets) as r:
        for i in range(1, 7):
            r.pin(i, plan("human", ring_s=0.6))
        await r.nailed("7")
        await r.until(lambda: any("sofia/gateway" in o for o in r.originates))
        ringing = dict(r.core.st.calls)
        assert ringing
        published: list[Any] = []
        real_run = r.driver.run

        def spy(cmds: Sequence[Any], t0: float | None = None) -> None:
            published.extend(c for c in cmds if getattr(c, "kind", "") == "switch")
            real_run(cmds, t0)

        r.driver.run = spy  # type: ignore[method-assign]
        for conn in list(r.switch.connections):
            if conn.transport is not None:
                conn.transport.abort()
        await r.until(lambda: not r.core.st.connected, within_s=3)
        dialled = len(r.originates)
        await asyncio.sleep(0.1)
        assert len(r.originates) == dialled  # paused: nothing dialled while the socket is down
        await r.until(lambda: r.core.st.connected, within_s=5)
        assert [p.data["dialing"] for p in published] == ["paused", "running"]
        # The call that rang across the outage is followed on, not dialled again.
        await r.until(lambda: r.operator("7").state is OperatorState.TALKING, within_s=5)
        numbers = [o.split("/")[-1].split(" ")[0] for o in r.originates if "sofia/gateway" in o]
        assert len(numbers) == len(set(numbers)), numbers
        for call_id in ringing:
            assert call_id in r.core.st.calls or any(res.call_id == call_id for res in r.results.results)


async def test_malformed_frame_closes_the_connection_and_it_reconnects() -> None:
    async with rig(targets=[target(1)]) as r:
        r.pin(1, HUMAN)
        before = r.driver.client.reconnects
        for conn in list(r.switch.connections):
            conn._write(b"Content-Type: text/event-json\nContent-Length: 5\n\n{bad}")
        await r.until(lambda: r.driver.client.reconnects > before, within_s=5)
        await r.nailed("7")
        await r.until(lambda: r.operator("7").state is OperatorState.TALKING)


async def test_invalid_gateway_backs_off_per_connector_without_a_hot_loop() -> None:
    pop = Population(shares={"human": 1.0}, answer_by_hour=(1.0,) * 24, invalid_gateways=("bad",))
    cfg = config(connectors=(Connector("bad", "bad", capacity=50, cps=50),))
    async with rig(cfg, targets=[target(i) for i in range(1, 200)], population=pop) as r:
        await r.nailed("7")
        await asyncio.sleep(1.6)
        dials = [o for o in r.originates if "sofia/gateway" in o]
        # 1 s then 2 s pauses: a handful of originates in 1.6 s, not hundreds.
        assert 1 <= len(dials) <= 4, len(dials)
        conn = r.core.st.connectors["bad"]
        assert conn.last_error == "INVALID_GATEWAY" and conn.backoff_until > time.time()
        assert {res.system_code for res in r.results.results} == {"invalid_gateway"}


async def test_throttling_backs_off_and_is_published(live: Any) -> None:
    from fs_app.engine.live import LiveWriter

    async with rig(targets=[target(i) for i in range(1, 50)], start=False) as r:
        r.driver.live = LiveWriter(live)
        await r.nailed("7")
        r.switch.core.set_sps(1)  # like `fsctl sps 1`: every originate refused as out of order
        r.driver.run(r.core.start_campaign(config(), time.time()))
        await r.until(lambda: r.core.st.connectors["carrier"].last_error == "DESTINATION_OUT_OF_ORDER")
        await r.driver.live.flush()
        state = json.loads(await live.get("engine", "connector", "carrier") or "{}")
        assert state["state"] == "backoff" and state["last_error"] == "DESTINATION_OUT_OF_ORDER"
        await asyncio.sleep(0.5)
        assert len([o for o in r.originates if "sofia/gateway" in o]) <= 2


async def test_startup_closes_attempts_a_previous_run_left_open() -> None:
    store = MemoryAttemptStore()
    await store.insert([AttemptRow("00000000-0000-0000-0000-000000000001", 1, 1, "+79990000001", "phone",
                                   "l", "carrier", "7495", time.time())])
    async with rig(store=store, start=False):
        row: Mapping[str, Any] = store.rows["00000000-0000-0000-0000-000000000001"]
        assert row["ended_at"] is not None and row["hangup_cause"] == "ENGINE_RESTART"
