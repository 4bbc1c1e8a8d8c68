"""The engine dials the database's running campaign through the real adapters (issue #5 wiring)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, fields
from datetime import time

import asyncpg
import pytest

from dialer.demo_robots import robots_starter
from dialer.dialing import lifecycle
from dialer.engine_wiring import CampaignFollower, wire_engine
from dialer.kv import LiveStore
from dialer.runtime import Stores
from dialer.settings import Settings
from fs_app.engine.service import WIRING, Engine, Wiring, run_engine
from fs_app.switchsim import Population
from fs_app.switchsim.population import Distribution
from tests.dialing.helpers import make_campaign, make_list
from tests.webtools import make_user

CONTACTS = 30


async def _campaign(pool: asyncpg.Pool) -> tuple[int, list[int]]:
    """A running progressive campaign with its connector, caller IDs and two operators."""
    async with pool.acquire() as conn:
        list_id, _ = await make_list(conn, "L", [[("phone", f"+7916{i:07d}", "Europe/Moscow")]
                                                 for i in range(CONTACTS)])
        await conn.execute("INSERT INTO connectors (name, address, capacity) VALUES ('carrier', '127.0.0.1', 10)")
        await conn.execute("INSERT INTO connectors (name, address, capacity, active) "
                           "VALUES ('spare', '127.0.0.2', 10, false)")
        group = await conn.fetchval("INSERT INTO caller_id_groups (name) VALUES ('G') RETURNING id")
        number = await conn.fetchval("INSERT INTO caller_ids (number) VALUES ('+74950000001') RETURNING id")
        await conn.execute("INSERT INTO caller_id_group_members VALUES ($1, $2)", group, number)
        strategy = await conn.fetchval(
            "INSERT INTO strategies (name, dial_mode, window_start, window_end, caller_id_group_id, ring_timeout, "
            "wrapup_seconds, max_attempts) VALUES ('S', 'progressive', $1, $1, $2, 15, 1, 3) RETURNING id",
            time(0, 0), group)
        cid = await make_campaign(conn, "C", strategy_id=strategy, lists=[list_id], prefix="9")
        await lifecycle.change_state(conn, cid, "start")
    operators = []
    for i in (1, 2):
        uid = await make_user(pool, f"op{i}", preset="specialist")
        async with pool.acquire() as conn:
            op = await conn.fetchval("INSERT INTO operators (name, user_id) VALUES ($1, $2) RETURNING id",
                                     f"Op {i}", uid)
            await conn.execute("INSERT INTO operator_phones VALUES ($1, $2)", op, f"10{i:02d}")
        operators.append(op)
    return cid, operators


@dataclass
class Running:
    engine: Engine
    follower: CampaignFollower


async def _until(pred: Callable[[], Awaitable[bool]], within_s: float) -> None:
    async with asyncio.timeout(within_s):
        while not await pred():  # noqa: ASYNC110 (database rows and engine state have no event to await)
            await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def _engine(settings: Settings, pool: asyncpg.Pool, live: LiveStore, db_dsn: str,
                  operators: list[int]) -> AsyncIterator[Running]:
    saved = {f.name: getattr(WIRING, f.name) for f in fields(Wiring)}
    started: asyncio.Future[Engine] = asyncio.get_running_loop().create_future()
    robots = robots_starter(pool, operators)

    async def on_started(engine: Engine) -> None:
        await robots(engine)
        started.set_result(engine)

    # Quick outcomes: short rings, half busy, half answered by people who talk briefly.
    WIRING.population = Population(shares={"human": 0.5, "busy": 0.5}, ring=Distribution(0.3, 0.2, 0.1, 1.0),
                                   failure_delay=Distribution(0.1, 0.2, 0.02, 0.5),
                                   talk=Distribution(1.0, 0.2, 0.5, 2.0), answer_by_hour=(1.0,) * 24)
    WIRING.on_started = on_started
    stores = Stores(settings, db_dsn, pool, live)
    follower = await wire_engine(stores)
    follower.refresh_s = 0.5
    task = asyncio.create_task(run_engine(stores))
    try:
        engine = await asyncio.wait_for(asyncio.shield(started), 20)
        yield Running(engine, follower)
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        for name, value in saved.items():
            setattr(WIRING, name, value)


@pytest.mark.slow
async def test_the_running_campaign_is_dialed_and_its_results_applied(
    settings: Settings, pool: asyncpg.Pool, live: LiveStore, db_dsn: str
) -> None:
    cid, operators = await _campaign(pool)

    async with _engine(settings, pool, live, db_dsn, operators) as running:
        run = running.engine.core.st.campaigns[cid]
        assert [c.name for c in run.config.connectors] == ["carrier"]  # the inactive one is left out
        assert run.config.connectors[0].prefix == "9" and run.config.caller_ids == ("74950000001",)

        async def applied() -> bool:
            async with pool.acquire() as conn:
                attempts = await conn.fetchval(
                    "SELECT count(*) FROM call_attempts WHERE campaign_id = $1 AND ended_at IS NOT NULL", cid)
                done = await conn.fetchval(
                    "SELECT count(*) FROM campaign_contacts WHERE campaign_id = $1 AND attempts > 0 "
                    "AND last_code IS NOT NULL", cid)
                return bool(attempts >= 5 and done >= 5)

        await _until(applied, 20)
        async with pool.acquire() as conn:
            results = await conn.fetchval("SELECT count(*) FROM dial_results WHERE campaign_id = $1", cid)
            phone = await conn.fetchval("SELECT phone FROM call_attempts WHERE campaign_id = $1 LIMIT 1", cid)
        assert results >= 5 and phone.startswith("+7916")

        # A supervisor's live call-rate edit survives an unrelated strategy edit ...
        running.engine.control.set_call_rate(cid, 2.5)
        async with pool.acquire() as conn:
            await conn.execute("UPDATE strategies SET ring_timeout = 40")

        async def ring_changed() -> bool:
            return run.config.ring_timeout_s == 40

        await _until(ring_changed, 5)
        assert run.config.call_rate == 2.5

        # ... and a pause stops the dialing at once (the notification, not the next poll).
        running.follower.refresh_s = 60
        async with pool.acquire() as conn:
            await lifecycle.change_state(conn, cid, "pause")

        async def stopped() -> bool:
            return not run.running

        await _until(stopped, 5)
        async with pool.acquire() as conn:
            await lifecycle.change_state(conn, cid, "resume")

        async def resumed() -> bool:
            return run.running

        await _until(resumed, 5)
