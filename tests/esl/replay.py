"""A fake switch that replays a fixture's switch bytes in step with the client's commands."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.esl.fixtures import segments


async def read_command(reader: asyncio.StreamReader) -> bytes:
    """One client command: everything up to the blank line (no fixture command has a body)."""
    return await reader.readuntil(b"\n\n")


class ReplayServer:
    def __init__(self, path: Path) -> None:
        self.script = segments(path)
        self.received: list[bytes] = []
        self.server: asyncio.Server | None = None
        self.done = asyncio.Event()

    @property
    def expected_commands(self) -> list[bytes]:
        return [b for d, b in self.script if d == ">>>"]

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            for direction, data in self.script:
                if direction == "<<<":
                    writer.write(data)
                    await writer.drain()
                else:
                    self.received.append(await read_command(reader))
            self.done.set()
            await reader.read()  # hold the connection until the client goes away
        except (asyncio.IncompleteReadError, ConnectionError):
            self.done.set()
        finally:
            writer.close()
