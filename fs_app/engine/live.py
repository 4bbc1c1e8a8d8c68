"""Live state and events for the supervisor console, written to Redis in pipelined batches.

Keys (under the LiveStore prefix): ``engine:call:<uuid>``, ``engine:operator:<id>``,
``engine:connector:<name>`` (JSON, with a TTL so a dead engine's state fades away).
Events: channel ``engine.events``, one JSON object per message: ``{"kind": ..., "at": ..., ...}``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

from dialer.kv import LiveStore
from fs_app.engine.commands import Publish, SetLive

log = logging.getLogger("dialer.engine")

EVENTS_CHANNEL = "engine.events"
COMMANDS_CHANNEL = "engine.commands"
REPLIES_CHANNEL = "engine.replies"
STATE_TTL_S = 3600


class LiveWriter:
    def __init__(self, live: LiveStore, *, max_batch: int = 1000) -> None:
        self.live = live
        self.max_batch = max_batch
        self._pending: list[SetLive | Publish] = []
        self._task: asyncio.Task[None] | None = None
        self.errors = 0

    def push(self, cmd: SetLive | Publish) -> None:
        self._pending.append(cmd)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch:]
            pipe = self.live.client.pipeline(transaction=False)
            channel = self.live.key("ch", EVENTS_CHANNEL)
            for cmd in batch:
                if isinstance(cmd, SetLive):
                    name = self.live.key(*cmd.key)
                    if cmd.value is None:
                        pipe.delete(name)
                    else:
                        pipe.set(name, json.dumps(cmd.value, default=str), ex=STATE_TTL_S)
                else:
                    pipe.publish(channel, json.dumps({"kind": cmd.kind, "at": time.time(), **cmd.data},
                                                     default=str))
            try:
                await pipe.execute()
            except Exception as exc:  # the console is not worth stopping calls for
                self.errors += 1
                log.warning("live store write failed (%d items): %s", len(batch), exc)

    async def flush(self) -> None:
        while self._task is not None and not self._task.done():
            await self._task
