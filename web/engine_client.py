"""Commands to the call engine over the live store, and its replies matched by ``id``.

The engine listens on ``engine.commands`` and answers on ``engine.replies`` (schema in
``fs_app.engine.control``). One reply subscription per web process serves every request,
so a busy console costs no extra Redis connections per click.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from typing import Any

from aiohttp import web

from dialer.errors import Conflict
from dialer.kv import LiveStore
from fs_app.engine.live import COMMANDS_CHANNEL, REPLIES_CHANNEL

log = logging.getLogger("dialer.web.engine")

REPLY_TIMEOUT_S = 3.0


class EngineUnavailable(Conflict):
    """The engine did not answer in time (not running, or the live store is down)."""


class EngineRefused(Conflict):
    """The engine answered ``ok: false``; the message says why (e.g. the call has just ended)."""


class EngineClient:
    def __init__(self, live: LiveStore) -> None:
        self.live = live
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="engine-replies")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _listen(self) -> None:
        while True:
            pubsub = self.live.client.pubsub()
            try:
                await pubsub.subscribe(self.live.key("ch", REPLIES_CHANNEL))
                self._ready.set()
                async for msg in pubsub.listen():
                    if msg.get("type") == "message":
                        data = msg["data"]
                        self._resolve(data.decode() if isinstance(data, bytes) else str(data))
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("engine reply subscription failed; resubscribing in 1 s")
                self._ready.clear()
                await asyncio.sleep(1.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()

    def _resolve(self, raw: str) -> None:
        try:
            reply = json.loads(raw)
        except ValueError:
            return
        if not isinstance(reply, dict):
            return
        fut = self._waiting.pop(str(reply.get("id")), None)
        if fut is not None and not fut.done():
            fut.set_result(reply)

    async def request(self, action: str, **fields: Any) -> dict[str, Any]:
        """Send one command; returns the reply or raises EngineRefused / EngineUnavailable."""
        await self.start()
        # The first subscribe races the first publish: give it a moment to be registered.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), 1.0)
        msg_id = secrets.token_hex(8)
        fut: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiting[msg_id] = fut
        try:
            await self.live.publish(COMMANDS_CHANNEL, json.dumps({"id": msg_id, "action": action, **fields}))
            reply = await asyncio.wait_for(fut, REPLY_TIMEOUT_S)
        except TimeoutError:
            raise EngineUnavailable("the call engine does not answer; try again in a moment") from None
        finally:
            self._waiting.pop(msg_id, None)
        if not reply.get("ok"):
            raise EngineRefused(str(reply.get("error") or "refused by the call engine"))
        return reply


ENGINE = web.AppKey("engine_client", EngineClient)


def client_of(request: web.Request) -> EngineClient:
    return request.config_dict[ENGINE]
