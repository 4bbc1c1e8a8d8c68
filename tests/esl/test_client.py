"""The asyncio client against fake switches that replay the recorded FreeSWITCH traffic."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from fs_app.esl import Backoff, EslClient, Event
from fs_app.esl.errors import AuthError, CommandError, ConnectionLost
from tests.esl.fixtures import FIXTURES
from tests.esl.replay import ReplayServer, read_command

FAST = Backoff(initial_s=0.05, factor=2.0, max_s=0.2, jitter=0.0)


def fixture_events(server: ReplayServer) -> list[str]:
    line = next(c for c in server.expected_commands if c.startswith(b"event json"))
    return line.decode().split("\n")[0].split()[2:]


def fixture_job(server: ReplayServer, index: int = 0) -> tuple[str, str]:
    bg = [c.decode() for c in server.expected_commands if c.startswith(b"bgapi")][index]
    first, *rest = bg.strip("\n").split("\n")
    job = rest[0].split(": ", 1)[1] if rest else ""
    return first[len("bgapi ") :], job


async def collect_until(client: EslClient, stop: Callable[[Event], bool]) -> list[Event]:
    got: list[Event] = []
    async with asyncio.timeout(5):
        async for event in client.events():
            got.append(event)
            if stop(event):
                return got
    return got


async def replay(name: str) -> tuple[ReplayServer, EslClient]:
    server = ReplayServer(FIXTURES / f"{name}.esl")
    port = await server.start()
    client = EslClient("127.0.0.1", port, "ClueCon", events=fixture_events(server), reconnect=False)
    await client.connect()
    return server, client


async def test_busy_bgapi_job_resolved_after_hangup_complete() -> None:
    server, client = await replay("busy_486")
    command, job_uuid = fixture_job(server)
    job = await client.bgapi(command, job_uuid=job_uuid)
    async with asyncio.timeout(5):
        result = await job.result()
    assert not result.ok and result.text == "USER_BUSY"
    events = await collect_until(client, lambda e: e.name == "CHANNEL_DESTROY")
    names = [e.name for e in events]
    assert names.index("CHANNEL_HANGUP_COMPLETE") < names.index("BACKGROUND_JOB")
    hc = events[names.index("CHANNEL_HANGUP_COMPLETE")]
    assert hc.get("Hangup-Cause") == "USER_BUSY" and hc.var("sip_term_status") == "486"
    assert hc.var("dialer_contact") == "4242"
    # byte-for-byte the same commands as the real client that made the recording
    assert server.received == server.expected_commands
    await client.close()
    await server.stop()


async def test_answered_then_killed_api_reply_and_events() -> None:
    server, client = await replay("answered_then_killed")
    command, job_uuid = fixture_job(server)
    job = await client.bgapi(command, job_uuid=job_uuid)
    result = await job.result()
    assert result.ok and result.text == "1a8e8299-4bd8-4f6f-b6d1-7aefc9b21568"
    await collect_until(client, lambda e: e.name == "CHANNEL_PARK")
    reply = await client.api("uuid_kill 1a8e8299-4bd8-4f6f-b6d1-7aefc9b21568 NORMAL_CLEARING")
    assert reply == "+OK\n"
    events = await collect_until(client, lambda e: e.name == "CHANNEL_DESTROY")
    assert [e.name for e in events] == [
        "CHANNEL_HANGUP", "CHANNEL_EXECUTE_COMPLETE", "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY",
    ]
    await client.close()
    await server.stop()


async def test_invalid_gateway_job_error() -> None:
    server, client = await replay("invalid_gateway")
    command = fixture_job(server)[0]
    job = await client.bgapi(command, job_uuid="0881110f-931f-4ee2-8602-91d5d173db89")
    result = await job.result()
    assert result.text == "INVALID_GATEWAY"
    await client.close()
    await server.stop()


async def test_wrong_password_raises_auth_error() -> None:
    server = ReplayServer(FIXTURES / "auth_wrong_password.esl")
    port = await server.start()
    client = EslClient("127.0.0.1", port, "wrong", events=[], reconnect=False)
    with pytest.raises(AuthError):
        await client.connect()
    assert server.received == [b"auth wrong\n\n"]
    await server.stop()


async def test_api_originate_is_refused() -> None:
    server, client = await replay("invalid_gateway")
    with pytest.raises(ValueError):
        await client.api("originate sofia/gateway/x/1 &park()")
    await client.close()
    await server.stop()


# -- a scripted switch for reconnect behaviour ----------------------------------------------

Handler = Callable[[int, asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class ScriptedSwitch:
    """Accepts connections, does the handshake and hands each one to ``handler``."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.commands: list[list[bytes]] = []
        self.accept_times: list[float] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        index = self.connections
        self.connections += 1
        self.accept_times.append(time.monotonic())
        self.commands.append([])
        writer.write(b"Content-Type: auth/request\n\n")
        try:
            while True:
                cmd = await read_command(reader)
                self.commands[index].append(cmd)
                writer.write(b"Content-Type: command/reply\nReply-Text: +OK accepted\n\n")
                if cmd.startswith(b"filter"):  # every test client has one filter: the last step
                    break
            await self.handler(index, reader, writer)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def stop(self) -> None:
        self.server.close()
        await self.server.wait_closed()


async def test_reconnect_resubscribes_with_backoff_and_calls_hook() -> None:
    async def handler(index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if index < 2:
            return  # drop the connection right after the handshake
        await reader.read()

    switch = ScriptedSwitch(handler)
    port = await switch.start()
    client = EslClient("127.0.0.1", port, events=["CHANNEL_ANSWER", "BACKGROUND_JOB"],
                       filters=[("variable_dialer_campaign", "7")], backoff=FAST)
    hooks: list[int] = []
    two_hooks = asyncio.Event()

    async def hook() -> None:
        hooks.append(switch.connections)
        if len(hooks) == 2:
            two_hooks.set()

    client.on_reconnect(hook)
    await client.connect()
    async with asyncio.timeout(5):
        await two_hooks.wait()
    assert switch.connections == 3 and client.reconnects == 2
    for cmds in switch.commands:
        assert cmds == [
            b"auth ClueCon\n\n",
            b"event json CHANNEL_ANSWER BACKGROUND_JOB\n\n",
            b"filter variable_dialer_campaign 7\n\n",
        ]
    gaps = [b - a for a, b in zip(switch.accept_times, switch.accept_times[1:], strict=False)]
    assert all(gap >= 0.045 for gap in gaps)  # waited for the backoff: no hot loop
    await client.close()
    await switch.stop()


async def test_malformed_frame_closes_and_reconnects_and_fails_inflight_command() -> None:
    async def handler(index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if index == 0:
            await read_command(reader)  # the api command below
            writer.write(b"this is not a header\n\n")
            await reader.read()
            return
        cmd = await read_command(reader)
        writer.write(b"Content-Type: api/response\nContent-Length: 4\n\n+OK\n")
        assert cmd == b"api status\n\n"
        await reader.read()

    switch = ScriptedSwitch(handler)
    port = await switch.start()
    client = EslClient("127.0.0.1", port, filters=[("Event-Name", "X")], backoff=FAST)
    await client.connect()
    with pytest.raises(ConnectionLost):
        await client.api("status")
    async with asyncio.timeout(5):
        await client.wait_connected()
    assert await client.api("status") == "+OK\n"
    assert switch.connections == 2
    await client.close()
    await switch.stop()


async def test_unknown_frames_and_events_are_passed_or_ignored() -> None:
    async def handler(index: int, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"Content-Type: log/data\nContent-Length: 3\n\nabc")
        body = b'{"Event-Name":"SOMETHING_NEW","X":"1"}'
        writer.write(b"Content-Type: text/event-json\nContent-Length: %d\n\n%s" % (len(body), body))
        cmd = await read_command(reader)
        assert cmd.startswith(b"api")
        writer.write(b"Content-Type: api/response\nContent-Length: 14\n\n-ERR no such\n\n")
        await reader.read()

    switch = ScriptedSwitch(handler)
    port = await switch.start()
    client = EslClient("127.0.0.1", port, filters=[("a", "b")], backoff=FAST)
    await client.connect()
    events = await collect_until(client, lambda e: True)
    assert events[0].name == "SOMETHING_NEW"
    with pytest.raises(CommandError):
        await client.api("bogus")
    await client.close()
    await switch.stop()
