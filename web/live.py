"""Live updates: Redis channels fanned out to the browsers' WebSockets (no polling).

Each web process holds one pattern subscription on the live store and hands every message
to the sockets that joined its topic, so a thousand open pages cost one Redis connection.
Topics are authorised by prefix: a feature registers who may listen to what.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import WSMsgType, web

from dialer.access.policy import Principal
from dialer.kv import LiveStore
from web import sessions
from web.context import CTX

log = logging.getLogger("dialer.web.live")

TopicCheck = Callable[[Principal, str], bool]
_topics: dict[str, TopicCheck] = {}
# A browser that cannot take a message within this time is dropped; it reconnects and
# reloads its state, which is better than one slow tab holding up everyone's updates.
SEND_TIMEOUT_S = 2.0
MAX_TOPICS_PER_SOCKET = 50


def register_topic(prefix: str, check: TopicCheck) -> None:
    """Who may listen to topics starting with ``prefix`` (longest prefix wins)."""
    _topics[prefix] = check


def may_listen(principal: Principal, topic: str) -> bool:
    matches = [p for p in _topics if topic == p or topic.startswith(p + ".")]
    if not matches:
        return False
    return _topics[max(matches, key=len)](principal, topic)


class LiveHub:
    def __init__(self, live: LiveStore) -> None:
        self.live = live
        self._members: dict[str, set[web.WebSocketResponse]] = {}
        self._reader: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._reader is None:
            self._reader = asyncio.create_task(self._read(), name="live-hub")

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None

    def join(self, ws: web.WebSocketResponse, topic: str) -> None:
        self._members.setdefault(topic, set()).add(ws)

    def leave_all(self, ws: web.WebSocketResponse) -> None:
        for topic in list(self._members):
            members = self._members[topic]
            members.discard(ws)
            if not members:
                del self._members[topic]

    def listeners(self, topic: str) -> int:
        return len(self._members.get(topic, ()))

    async def _read(self) -> None:
        prefix = self.live.key("ch", "")
        while True:
            pubsub = self.live.client.pubsub()
            try:
                await pubsub.psubscribe(prefix + "*")
                async for msg in pubsub.listen():
                    if msg.get("type") != "pmessage":
                        continue
                    channel = msg["channel"]
                    channel = channel.decode() if isinstance(channel, bytes) else str(channel)
                    data = msg["data"]
                    await self.deliver(channel[len(prefix):], data.decode() if isinstance(data, bytes) else str(data))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("live subscription failed; resubscribing in 1 s")
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    async def deliver(self, topic: str, payload: str) -> None:
        members = self._members.get(topic)
        if not members:
            return
        frame = '{"topic":' + json.dumps(topic) + ',"data":' + payload + "}"
        stale = []
        for ws in list(members):
            try:
                await asyncio.wait_for(ws.send_str(frame), SEND_TIMEOUT_S)
            except (TimeoutError, ConnectionError, RuntimeError):
                stale.append(ws)
        for ws in stale:
            self.leave_all(ws)
            with contextlib.suppress(Exception):
                await ws.close()


HUB = web.AppKey("live_hub", LiveHub)


async def publish(live: LiveStore, topic: str, data: Any) -> None:
    """Send ``data`` (JSON-serialisable) to every browser listening to ``topic``."""
    await live.publish(topic, json.dumps(data, ensure_ascii=False, default=str))


def _same_origin(request: web.Request) -> bool:
    # Browsers send cookies with cross-site WebSocket handshakes; the Origin check is what
    # stops another site from reading a signed-in user's live feed.
    origin = request.headers.get("Origin")
    if origin is None:
        return True  # not a browser
    return urlsplit(origin).netloc == request.host


async def socket(request: web.Request) -> web.StreamResponse:
    principal: Principal = request[sessions.PRINCIPAL]
    if not _same_origin(request):
        raise web.HTTPForbidden(text="cross-origin WebSocket refused")
    hub = request.config_dict[HUB]
    ws = web.WebSocketResponse(heartbeat=20.0, max_msg_size=64 * 1024)
    await ws.prepare(request)
    joined: set[str] = set()
    try:
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                continue
            try:
                command = json.loads(msg.data)
                topics = [str(t) for t in command.get("subscribe", [])]
            except (ValueError, AttributeError, TypeError):
                await ws.send_json({"error": "send {\"subscribe\": [topics]}"})
                continue
            refused = [t for t in topics if not may_listen(principal, t)]
            for topic in topics:
                if topic not in refused and len(joined) < MAX_TOPICS_PER_SOCKET:
                    hub.join(ws, topic)
                    joined.add(topic)
            await ws.send_json({"subscribed": sorted(joined), "refused": refused})
    finally:
        hub.leave_all(ws)
    return ws


async def start_hub(app: web.Application) -> None:
    app[HUB].start()


async def stop_hub(app: web.Application) -> None:
    await app[HUB].stop()


def install_hub(app: web.Application) -> None:
    app[HUB] = LiveHub(app[CTX].live)
    app.on_startup.append(start_hub)
    app.on_cleanup.append(stop_hub)


# --- the platform's topics ---------------------------------------------------------------------
# "user.<id>": messages for one signed-in user (supervisor messages, call offers).
register_topic("user", lambda p, topic: topic == f"user.{p.user_id}")
# "monitoring.*": live counters for whoever may open the monitoring pages.
register_topic("monitoring", lambda p, topic: p.can("monitoring", "read"))
