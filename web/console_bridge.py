"""Engine events to the browsers: the web side of the supervisor console and the workplace.

One task per web process reads ``engine.events`` and hands each event, in-process, to the
sockets of the topics it concerns: ``supervisor.events`` (batched every 50 ms, so a busy
engine costs one frame per supervisor per batch, not one per event) and
``operator.<user id>`` for the operator the event is about. Delivering in-process rather
than republishing through Redis means N web processes do not make N copies of each event.
A second task pushes the campaign counters to ``supervisor.campaigns`` while anyone looks.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

from aiohttp import web

from dialer.workplace.counters import campaign_counters, operator_directory
from fs_app.engine.live import EVENTS_CHANNEL
from web.context import CTX
from web.engine_client import ENGINE, EngineClient
from web.live import HUB, LiveHub, register_topic

log = logging.getLogger("dialer.web.console")

SUPERVISOR_EVENTS = "supervisor.events"
SUPERVISOR_CAMPAIGNS = "supervisor.campaigns"
BATCH_S = 0.05
COUNTERS_EVERY_S = 2.0
DIRECTORY_TTL_S = 5.0
BUSY = frozenset({"talking", "on_hold", "wrap_up", "ringing", "reserved"})

# Operators hear only about themselves; the console needs the supervisor page.
register_topic("operator", lambda p, topic: topic == f"operator.{p.user_id}")
register_topic("supervisor", lambda p, topic: p.can_page("supervisor.console"))


class ConsoleBridge:
    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.operators: dict[str, dict[str, Any]] = {}  # engine operator id -> last operator event
        self.calls: dict[str, dict[str, Any]] = {}  # call id -> last call event (in flight only)
        # Preview cards have no attempt row yet: kept here so a reload shows the card again.
        self.previews: dict[str, dict[str, Any]] = {}  # operator id -> preview event
        self.previews_by_call: dict[str, dict[str, Any]] = {}
        self._directory: dict[str, dict[str, Any]] = {}
        self._directory_at = 0.0
        self._batch: list[str] = []
        self._flush: asyncio.TimerHandle | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._sending: set[asyncio.Task[None]] = set()

    @property
    def hub(self) -> LiveHub:
        return self.app[HUB]

    async def start(self) -> None:
        await self._load_snapshot()
        self._tasks = [asyncio.create_task(self._events(), name="console-events"),
                       asyncio.create_task(self._counters(), name="console-counters")]

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await t
        self._tasks = []

    async def _load_snapshot(self) -> None:
        """The engine's live keys: what happened before this process started listening."""
        live = self.app[CTX].live
        for kind, target in (("operator", self.operators), ("call", self.calls)):
            async for name in live.client.scan_iter(match=live.key("engine", kind, "*"), count=500):
                raw = await live.client.get(name)
                if raw:
                    data = json.loads(raw)
                    target[str(data.get("operator_id" if kind == "operator" else "call_id"))] = data

    async def directory(self) -> dict[str, dict[str, Any]]:
        """Operator names, users and numbers, re-read at most every few seconds."""
        if time.monotonic() - self._directory_at > DIRECTORY_TTL_S:
            async with self.app[CTX].pool.acquire() as conn:
                self._directory = await operator_directory(conn)
            self._directory_at = time.monotonic()
        return self._directory

    def forget_directory(self) -> None:
        self._directory_at = 0.0

    async def _events(self) -> None:
        live = self.app[CTX].live
        while True:
            try:
                async for raw in live.subscribe(EVENTS_CHANNEL):
                    await self.handle(raw)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("engine event stream failed; resubscribing in 1 s")
                await asyncio.sleep(1.0)

    async def handle(self, raw: str) -> None:
        try:
            event = json.loads(raw)
        except ValueError:
            return
        kind = event.get("kind")
        if kind == "operator":
            op_id = str(event.get("operator_id"))
            self.operators[op_id] = event
            if event.get("state") != "reserved" and op_id in self.previews:
                self.previews_by_call.pop(str(self.previews.pop(op_id).get("call_id")), None)
        elif kind == "preview":
            self.previews[str(event.get("operator_id"))] = event
            self.previews_by_call[str(event.get("call_id"))] = event
        elif kind == "call":
            self.calls[str(event.get("call_id"))] = event
        elif kind == "call_ended":
            self.calls.pop(str(event.get("call_id")), None)
        self._queue(raw)
        op_ids = {str(event[k]) for k in ("operator_id", "from", "to") if event.get(k)}
        if op_ids:
            directory = await self.directory()
            for op_id in op_ids:
                entry = directory.get(op_id)
                if entry is not None:
                    await self.hub.deliver(f"operator.{entry['user_id']}", raw)

    def _queue(self, raw: str) -> None:
        if not self.hub.listeners(SUPERVISOR_EVENTS):
            return
        self._batch.append(raw)
        if self._flush is None:
            self._flush = asyncio.get_running_loop().call_later(BATCH_S, self._send_batch)

    def _send_batch(self) -> None:
        self._flush = None
        batch, self._batch = self._batch, []
        if batch:
            # Held until done: the loop keeps only weak references to tasks.
            task = asyncio.get_running_loop().create_task(self.hub.deliver(SUPERVISOR_EVENTS,
                                                                           "[" + ",".join(batch) + "]"))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    async def counters(self) -> list[dict[str, Any]]:
        async with self.app[CTX].pool.acquire() as conn:
            rows = await campaign_counters(conn, None)
        in_flight: dict[int, int] = {}
        busy: dict[int, int] = {}
        for call in self.calls.values():
            cid = int(call.get("campaign_id") or 0)
            in_flight[cid] = in_flight.get(cid, 0) + 1
            if call.get("operator_id"):
                busy[cid] = busy.get(cid, 0) + 1
        signed_in = sum(1 for o in self.operators.values() if o.get("state") != "logged_out")
        for row in rows:
            row["in_flight"] = in_flight.get(row["id"], 0)
            # Occupancy: the share of signed-in operators busy with this campaign's calls now.
            row["occupancy_pct"] = round(100.0 * busy.get(row["id"], 0) / signed_in, 1) if signed_in else 0.0
        return rows

    async def _counters(self) -> None:
        while True:
            await asyncio.sleep(COUNTERS_EVERY_S)
            if not self.hub.listeners(SUPERVISOR_CAMPAIGNS):
                continue
            try:
                rows = await self.counters()
            except Exception:
                log.exception("campaign counters failed")
                continue
            await self.hub.deliver(SUPERVISOR_CAMPAIGNS, json.dumps(rows, default=str))


BRIDGE = web.AppKey("console_bridge", ConsoleBridge)


async def _lifecycle(app: web.Application):  # type: ignore[no-untyped-def]
    await app[ENGINE].start()
    await app[BRIDGE].start()
    yield
    await app[BRIDGE].stop()
    await app[ENGINE].stop()


def install(app: web.Application) -> None:
    app[ENGINE] = EngineClient(app[CTX].live)
    app[BRIDGE] = ConsoleBridge(app)
    app.cleanup_ctx.append(_lifecycle)
