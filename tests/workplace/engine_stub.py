"""The real engine core and control channel without a switch, for the web side's tests.

Commands come from ``engine.commands`` and are answered on ``engine.replies`` exactly as the
engine service does; the console's live state and events go through the real LiveWriter.
Switch commands (originate, uuid_kill) are dropped: these tests have no switch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator

from dialer.kv import LiveStore
from fs_app.engine.commands import Command, Publish, SetLive
from fs_app.engine.control import EngineControl
from fs_app.engine.core import EngineCore
from fs_app.engine.live import COMMANDS_CHANNEL, REPLIES_CHANNEL, LiveWriter


@contextlib.asynccontextmanager
async def running_engine(live: LiveStore) -> AsyncIterator[EngineControl]:
    writer = LiveWriter(live)

    def run(cmds: list[Command]) -> None:
        for c in cmds:
            if isinstance(c, SetLive | Publish):
                writer.push(c)

    control = EngineControl(EngineCore(), run, time.time)
    ready = asyncio.Event()

    async def serve() -> None:
        pubsub = live.client.pubsub()
        await pubsub.subscribe(live.key("ch", COMMANDS_CHANNEL))
        ready.set()
        async for msg in pubsub.listen():
            if msg.get("type") == "message":
                data = msg["data"]
                reply = control.handle(data.decode() if isinstance(data, bytes) else str(data))
                await writer.flush()
                await live.publish(REPLIES_CHANNEL, json.dumps(reply))

    task = asyncio.create_task(serve())
    await ready.wait()
    try:
        yield control
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
