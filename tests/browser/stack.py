"""A demo-like stack for the browser tests: the real web app, the call engine on the simulated
switch, PostgreSQL and Redis from the test fixtures, and one campaign that always reaches a person."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

import asyncpg
from aiohttp import web

from dialer.kv import LiveStore
from dialer.runtime import Stores
from dialer.settings import Settings
from fs_app.engine.memory import MemoryContacts, MemoryResults
from fs_app.engine.ports import CampaignConfig, Connector, DialTarget
from fs_app.engine.service import WIRING, Wiring, run_engine
from fs_app.pacing import DialMode
from fs_app.switchsim import Population
from fs_app.switchsim.population import Distribution
from tests.webtools import make_user


@dataclass(frozen=True)
class Stack:
    url: str
    operator_id: int
    campaign_id: int


async def seed(pool: asyncpg.Pool) -> tuple[int, int, int]:
    """An operator, a supervisor, a campaign with a script and codes; returns (operator, campaign, contact)."""
    uid = await make_user(pool, "oper", preset="specialist")
    await make_user(pool, "super", preset="supervisor")
    async with pool.acquire() as conn:
        op = await conn.fetchval("INSERT INTO operators (name, user_id) VALUES ('Оператор Анна', $1) RETURNING id", uid)
        await conn.execute("INSERT INTO operator_phones (operator_id, number) VALUES ($1, '1001')", op)
        sale = await conn.fetchval("INSERT INTO completion_codes (key, name) VALUES ('sale', 'Продажа') RETURNING id")
        await conn.execute("INSERT INTO completion_codes (key, name) VALUES ('refusal', 'Отказ')")
        group = await conn.fetchval("INSERT INTO code_groups (name) VALUES ('Продажи') RETURNING id")
        await conn.execute("INSERT INTO code_group_members SELECT $1, id FROM completion_codes WHERE used_by = "
                           "'operator'", group)
        script = await conn.fetchval("INSERT INTO scripts (name) VALUES ('Опрос') RETURNING id")
        await conn.execute("INSERT INTO script_questions (script_id, position, identifier, text, mandatory) VALUES "
                           "($1, 0, 'interest', 'Интересно ли предложение?', true)", script)
        strategy = await conn.fetchval("INSERT INTO strategies (name, script_id, wrapup_seconds, default_code_id) "
                                       "VALUES ('Тест', $1, 120, $2) RETURNING id", script, sale)
        campaign = await conn.fetchval("INSERT INTO campaigns (name, strategy_id, code_group_id, state, started_at) "
                                       "VALUES ('Демо-кампания', $1, $2, 'running', now()) RETURNING id",
                                       strategy, group)
        lst = await conn.fetchval("INSERT INTO contact_lists (name) VALUES ('Тест') RETURNING id")
        contact = await conn.fetchval("INSERT INTO contacts (list_id, attrs) VALUES ($1, $2::jsonb) RETURNING id", lst,
                                      '{"name": "Иван Петров", "phone": "+79990000001", "amount": "1500"}')
    return op, campaign, contact


@contextlib.asynccontextmanager
async def demo_stack(settings: Settings, pool: asyncpg.Pool, live: LiveStore, app: web.Application,
                     operator_id: int, campaign_id: int, contact_id: int) -> AsyncIterator[Stack]:
    saved = replace(WIRING) if isinstance(WIRING, Wiring) else None
    target = DialTarget(contact_id, "phone", "+79990000001", "lease-1", {"name": "Иван Петров"})
    # One contact only: a second call offered the moment the operator is ready again would race the
    # flow's last step (the not-ready click would become "not ready after this call").
    WIRING.source = MemoryContacts([target], campaign_id=campaign_id)
    WIRING.sink = MemoryResults()
    WIRING.campaigns = [CampaignConfig(
        campaign_id=campaign_id, dial_mode=DialMode.PROGRESSIVE, ring_timeout_s=20,
        connectors=(Connector("carrier", "carrier", capacity=5, cps=5.0),), max_ports=2, wrap_up_s=120.0)]
    # Everyone answers at once and talks for ten minutes: the test, not the customer, ends the call.
    WIRING.population = Population(shares={"human": 1.0}, answer_by_hour=(1.0,) * 24,
                                   ring=Distribution(0.5, 0.2, 0.2, 1.0), talk=Distribution(600.0, 0.1, 500.0, 700.0))
    WIRING.on_started = None
    stores = Stores(settings.model_copy(update={"switch": "simulated"}), settings.database_url or "", pool, live)
    engine = asyncio.create_task(run_engine(stores))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield Stack(f"http://127.0.0.1:{port}", operator_id, campaign_id)
    finally:
        await runner.cleanup()
        engine.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await engine
        if saved is not None:
            for name in ("source", "sink", "campaigns", "population", "on_started"):
                setattr(WIRING, name, getattr(saved, name))
