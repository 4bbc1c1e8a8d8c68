"""Live updates: a published message reaches the browsers that may listen, and only them."""

from __future__ import annotations

import asyncio

import asyncpg
from aiohttp.test_utils import TestClient

from dialer.kv import LiveStore
from tests.webtools import make_user, sign_in
from web.live import HUB, publish


async def _wait_listeners(client: TestClient, topic: str, n: int) -> None:
    for _ in range(100):
        if client.app[HUB].listeners(topic) >= n:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"{topic}: fewer than {n} listeners")


async def test_published_message_reaches_subscribed_sockets(client: TestClient, pool: asyncpg.Pool,
                                                            live: LiveStore) -> None:
    uid = await make_user(pool, "watcher")
    await sign_in(client, "watcher")
    ws = await client.ws_connect("/ws")
    await ws.send_json({"subscribe": ["monitoring.campaigns", f"user.{uid}", f"user.{uid + 1}", "nosuch"]})
    reply = await ws.receive_json(timeout=5)
    assert reply["subscribed"] == ["monitoring.campaigns", f"user.{uid}"]
    assert sorted(reply["refused"]) == sorted([f"user.{uid + 1}", "nosuch"])
    await _wait_listeners(client, f"user.{uid}", 1)
    await asyncio.sleep(0.2)  # the hub's pattern subscription is live
    await publish(live, f"user.{uid + 1}", {"secret": True})
    await publish(live, f"user.{uid}", {"text": "Перезвоните клиенту"})
    msg = await ws.receive_json(timeout=5)
    assert msg == {"topic": f"user.{uid}", "data": {"text": "Перезвоните клиенту"}}
    await ws.close()


async def test_roles_without_monitoring_cannot_listen(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "op", preset="specialist")
    await sign_in(client, "op")
    ws = await client.ws_connect("/ws")
    await ws.send_json({"subscribe": ["monitoring.campaigns"]})
    reply = await ws.receive_json(timeout=5)
    assert reply == {"subscribed": [], "refused": ["monitoring.campaigns"]}
    await ws.close()


async def test_cross_origin_socket_is_refused(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "victim2")
    await sign_in(client, "victim2")
    resp = await client.get("/ws", headers={"Origin": "https://evil.example", "Connection": "Upgrade",
                                            "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
                                            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ=="})
    assert resp.status == 403
