"""Supervisor console and workplace over the engine's command channel, live over /ws."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from dialer.kv import LiveStore
from tests.webtools import csrf_of, make_user, sign_in
from tests.workplace.engine_stub import running_engine
from web.live import HUB


async def make_operator(pool: asyncpg.Pool, login: str, name: str, phones: tuple[str, ...] = ()) -> int:
    uid = await make_user(pool, login, preset="specialist")
    async with pool.acquire() as conn:
        op_id: int = await conn.fetchval("INSERT INTO operators (name, user_id) VALUES ($1, $2) RETURNING id",
                                         name, uid)
        for p in phones:
            await conn.execute("INSERT INTO operator_phones (operator_id, number) VALUES ($1, $2)", op_id, p)
    return op_id


async def post_json(client: TestClient, path: str, csrf: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    resp = await client.post(path, json=body, headers={"X-CSRF-Token": csrf})
    return resp.status, await resp.json()


async def _until(ws: Any, pred: Any, within_s: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    while True:
        msg = await ws.receive_json(timeout=max(0.05, deadline - time.monotonic()))
        if pred(msg):
            return dict(msg)


async def test_operator_state_reaches_the_console_and_actions_answer(
        client: TestClient, aiohttp_client: Any, pool: asyncpg.Pool, live: LiveStore) -> None:
    op_id = await make_operator(pool, "anna", "Anna", ("1001",))
    await make_user(pool, "boss", preset="supervisor")
    async with running_engine(live):
        sup = await aiohttp_client(client.app)
        await sign_in(sup, "boss")
        sup_csrf = await csrf_of(sup, "/supervisor/console")
        ws = await sup.ws_connect("/ws")
        await ws.send_json({"subscribe": ["supervisor.events"]})
        assert (await ws.receive_json(timeout=5))["subscribed"] == ["supervisor.events"]
        for _ in range(250):  # the hub registers the socket after the reply is sent
            if client.app[HUB].listeners("supervisor.events"):
                break
            await asyncio.sleep(0.02)

        await sign_in(client, "anna")
        csrf = await csrf_of(client, "/workplace")
        status, body = await post_json(client, "/workplace/login", csrf, {"mode": "simulated", "number": "1001"})
        assert status == 200, body
        status, body = await post_json(client, "/workplace/action", csrf, {"action": "ready"})
        assert status == 200, body
        started = time.monotonic()
        msg = await _until(ws, lambda m: any(e.get("state") == "ready" for e in m.get("data", [])))
        assert time.monotonic() - started < 1.0
        assert msg["topic"] == "supervisor.events"

        snap = await (await sup.get("/supervisor/console/snapshot")).json()
        ops = {o["operator_id"]: o for o in snap["operators"]}
        assert ops[str(op_id)]["state"] == "ready" and ops[str(op_id)]["number"] == "1001"

        # A reason is required to take an operator out of work.
        status, body = await post_json(sup, "/supervisor/console/operator", sup_csrf,
                                       {"operator_id": str(op_id), "action": "not_ready"})
        assert status == 422 and "reason" in body["fields"]
        status, body = await post_json(sup, "/supervisor/console/operator", sup_csrf,
                                       {"operator_id": str(op_id), "action": "not_ready", "reason": "meeting"})
        assert status == 200, body
        await _until(ws, lambda m: any(e.get("state") == "not_ready" for e in m.get("data", [])))

        # Ending a call that is not there (it has just ended) answers with the engine's reason.
        status, body = await post_json(sup, "/supervisor/console/operator", sup_csrf,
                                       {"operator_id": str(op_id), "action": "end"})
        assert status == 409 and body["error"]
        status, body = await post_json(client, "/workplace/action", csrf, {"action": "end"})
        assert status == 409 and body["error"]

        status, body = await post_json(sup, "/supervisor/console/operator", sup_csrf,
                                       {"operator_id": str(op_id), "action": "message", "text": "Перерыв в 15:00"})
        assert status == 200
        state = await (await client.get("/workplace/state")).json()
        assert state["engine"]["state"] == "not_ready"
        assert state["messages"][0]["body"] == "Перерыв в 15:00"
        await ws.close()


async def test_second_login_and_a_number_in_use_are_refused(client: TestClient, aiohttp_client: Any,
                                                            pool: asyncpg.Pool, live: LiveStore) -> None:
    await make_operator(pool, "anna", "Anna", ("1001",))
    await make_operator(pool, "boris", "Boris", ("1001", "1002"))
    async with running_engine(live):
        await sign_in(client, "anna")
        csrf = await csrf_of(client, "/workplace")
        status, body = await post_json(client, "/workplace/login", csrf, {"mode": "simulated", "number": "1001"})
        assert status == 200, body
        again = await aiohttp_client(client.app)
        await sign_in(again, "anna")
        csrf2 = await csrf_of(again, "/workplace")
        status, body = await post_json(again, "/workplace/login", csrf2, {"mode": "simulated", "number": "1001"})
        assert status == 409 and "already signed in" in body["error"]

        other = await aiohttp_client(client.app)
        await sign_in(other, "boris")
        csrf3 = await csrf_of(other, "/workplace")
        status, body = await post_json(other, "/workplace/login", csrf3, {"mode": "simulated", "number": "1001"})
        assert status == 422 and "in use by another signed-in operator" in body["fields"]["number"]
        status, body = await post_json(other, "/workplace/login", csrf3, {"mode": "simulated", "number": "5550000"})
        assert status == 422 and "matches no allowed mask" in body["fields"]["number"]
        status, body = await post_json(other, "/workplace/login", csrf3, {"mode": "simulated", "number": "1002"})
        assert status == 200, body


async def test_engine_down_is_a_clear_message(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_operator(pool, "anna", "Anna", ("1001",))
    await sign_in(client, "anna")
    csrf = await csrf_of(client, "/workplace")
    status, body = await post_json(client, "/workplace/login", csrf, {"mode": "simulated", "number": "1001"})
    assert status == 409 and "does not answer" in body["error"]
    async with pool.acquire() as conn:  # not left signed in when the engine refused
        assert await conn.fetchval("SELECT count(*) FROM workplace_sessions") == 0


async def test_operators_cannot_follow_the_console(client: TestClient, pool: asyncpg.Pool) -> None:
    uid = await make_user(pool, "op", preset="specialist")
    await sign_in(client, "op")
    ws = await client.ws_connect("/ws")
    await ws.send_json({"subscribe": ["supervisor.events", f"operator.{uid}", f"operator.{uid + 1}"]})
    reply = await ws.receive_json(timeout=5)
    assert reply["subscribed"] == [f"operator.{uid}"]
    await ws.close()
