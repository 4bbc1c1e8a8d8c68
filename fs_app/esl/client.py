"""Asyncio event-socket client: auth, ``event json``, filters, api/bgapi/sendmsg, reconnect.

Replies to commands arrive in the order the commands were sent, so a FIFO of futures
pairs them; events go to a queue (and to optional synchronous handlers). ``bgapi`` carries a
client-chosen ``Job-UUID`` so its ``BACKGROUND_JOB`` can be matched even if it races the reply.
On any connection loss (EOF, malformed frame, command timeout) the client reconnects with
exponential backoff, re-authenticates, re-subscribes and re-adds filters, then calls the
``on_reconnect`` callbacks so the engine can resynchronise (``show channels as json``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import uuid as uuidlib
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from fs_app.esl.errors import AuthError, CommandError, ConnectionLost, EslError, ProtocolError
from fs_app.esl.events import Event, decode_event, is_event_frame
from fs_app.esl.parser import Frame, FrameParser, encode_command

log = logging.getLogger("dialer.esl")

DEFAULT_EVENTS: tuple[str, ...] = (
    "CHANNEL_CREATE", "CHANNEL_PROGRESS", "CHANNEL_PROGRESS_MEDIA", "CHANNEL_ANSWER",
    "CHANNEL_PARK", "CHANNEL_UNPARK", "CHANNEL_EXECUTE", "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_BRIDGE", "CHANNEL_UNBRIDGE", "CHANNEL_HOLD", "CHANNEL_UNHOLD", "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE", "CHANNEL_DESTROY", "BACKGROUND_JOB", "DTMF",
)


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: initial * factor**n, capped, with +-jitter so many dialers do not stampede."""

    initial_s: float = 0.5
    factor: float = 2.0
    max_s: float = 30.0
    jitter: float = 0.1

    def delay(self, attempt: int, rng: random.Random) -> float:
        base = min(self.max_s, self.initial_s * self.factor ** max(0, attempt))
        return max(0.0, base * (1.0 + self.jitter * (2.0 * rng.random() - 1.0)))


@dataclass(frozen=True)
class JobResult:
    job_uuid: str
    body: str

    @property
    def ok(self) -> bool:
        return self.body.startswith("+OK")

    @property
    def text(self) -> str:
        """The body without ``+OK``/``-ERR`` and the trailing newline (a uuid, a hangup cause)."""
        for prefix in ("+OK", "-ERR"):
            if self.body.startswith(prefix):
                return self.body[len(prefix):].strip()
        return self.body.strip()


@dataclass(frozen=True)
class Job:
    """A submitted ``bgapi`` command; ``await job.result()`` waits for its BACKGROUND_JOB."""

    job_uuid: str
    command: str
    future: asyncio.Future[JobResult]

    async def result(self) -> JobResult:
        """Wrap in ``asyncio.timeout``: a result lost while disconnected never arrives."""
        return await asyncio.shield(self.future)


EventHandler = Callable[[Event], None]
ReconnectHook = Callable[[], Awaitable[None]]


class EslClient:
    def __init__(
        self,
        host: str,
        port: int,
        password: str = "ClueCon",
        *,
        events: Sequence[str] = DEFAULT_EVENTS,
        filters: Iterable[tuple[str, str]] = (),
        reconnect: bool = True,
        backoff: Backoff = Backoff(),
        connect_timeout: float = 5.0,
        command_timeout: float = 10.0,
        rng: random.Random | None = None,
        queue_events: bool = True,
    ) -> None:
        self.host, self.port, self._password = host, port, password
        self._events: list[str] = list(events)
        self._filters: list[tuple[str, str]] = list(filters)
        self._reconnect, self._backoff = reconnect, backoff
        self._connect_timeout, self._command_timeout = connect_timeout, command_timeout
        self._rng = rng or random.Random()
        self._writer: asyncio.StreamWriter | None = None
        self._replies: deque[asyncio.Future[Frame]] = deque()
        self._jobs: dict[str, asyncio.Future[JobResult]] = {}
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self._handlers: list[EventHandler] = []
        self._reconnect_hooks: list[ReconnectHook] = []
        self._connected = asyncio.Event()
        self._closing = False
        self._supervisor: asyncio.Task[None] | None = None
        self._hooks_task: asyncio.Task[None] | None = None
        self._parser = FrameParser()
        self._leftover: deque[Frame] = deque()  # frames read together with the handshake
        self.reconnects = 0  # how many times a lost connection was re-established
        # False for consumers that only use event handlers (the engine): nothing would ever drain
        # the queue, and at 100 calls a second it would grow without bound.
        self._queue_events = queue_events

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def connect(self) -> None:
        """Connect, authenticate and subscribe; raises AuthError / ConnectionLost on failure."""
        reader = await self._open()
        self._supervisor = asyncio.get_running_loop().create_task(self._supervise(reader))

    async def wait_connected(self) -> None:
        await self._connected.wait()

    async def close(self) -> None:
        self._closing = True
        self._drop_connection()
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        for fut in self._jobs.values():
            if not fut.done():
                fut.set_exception(ConnectionLost("client closed"))
                fut.exception()  # mark retrieved: nobody may be waiting for it any more
        self._jobs.clear()
        self._queue.put_nowait(None)

    def on_reconnect(self, hook: ReconnectHook) -> None:
        self._reconnect_hooks.append(hook)

    def add_event_handler(self, handler: EventHandler) -> None:
        """Synchronous per-event callback, run in the reader: keep it quick and non-blocking."""
        self._handlers.append(handler)

    async def events(self) -> AsyncIterator[Event]:
        """All events, in arrival order, across reconnects; ends after close()."""
        while True:
            event = await self._queue.get()
            if event is None:
                return
            yield event

    # -- commands --------------------------------------------------------------------------
    async def api(self, command: str, *, check: bool = True) -> str:
        """Blocking-in-FreeSWITCH API call; never use it for originate (use bgapi)."""
        if command.split(" ", 1)[0] == "originate":
            raise ValueError("originate must go through bgapi: a blocking api originate stalls the socket")
        frame = await self._command(encode_command(f"api {command}"))
        body = frame.body.decode("utf-8", errors="replace")
        if check and body.startswith("-ERR"):
            raise CommandError(command, body.strip())
        return body

    async def bgapi(self, command: str, *, job_uuid: str | None = None) -> Job:
        job_id = job_uuid or str(uuidlib.uuid4())
        fut: asyncio.Future[JobResult] = asyncio.get_running_loop().create_future()
        self._jobs[job_id] = fut
        try:
            frame = await self._command(encode_command(f"bgapi {command}", [("Job-UUID", job_id)]))
        except BaseException:
            self._jobs.pop(job_id, None)
            raise
        if not frame.reply_text.startswith("+OK"):
            self._jobs.pop(job_id, None)
            raise CommandError(command, frame.reply_text)
        return Job(job_id, command, fut)

    async def sendmsg(self, uuid: str, headers: Mapping[str, str], body: bytes = b"") -> str:
        frame = await self._command(encode_command(f"sendmsg {uuid}", list(headers.items()), body))
        if not frame.reply_text.startswith("+OK"):
            raise CommandError(f"sendmsg {uuid}", frame.reply_text)
        return frame.reply_text

    async def execute(self, uuid: str, app: str, arg: str = "") -> str:
        headers = {"call-command": "execute", "execute-app-name": app}
        if arg:
            headers["execute-app-arg"] = arg
        return await self.sendmsg(uuid, headers)

    async def unicast(self, uuid: str, local: tuple[str, int], remote: tuple[str, int]) -> str:
        """Ask the switch to copy the leg's audio as raw L16 8 kHz UDP datagrams to ``remote``."""
        return await self.sendmsg(uuid, {
            "call-command": "unicast", "local-ip": local[0], "local-port": str(local[1]),
            "remote-ip": remote[0], "remote-port": str(remote[1]), "transport": "udp",
        })

    async def subscribe(self, events: Sequence[str]) -> None:
        for name in events:
            if name not in self._events:
                self._events.append(name)
        await self._simple(f"event json {' '.join(self._events)}")

    async def add_filter(self, header: str, value: str) -> None:
        self._filters.append((header, value))
        await self._simple(f"filter {header} {value}")

    async def _simple(self, line: str) -> str:
        frame = await self._command(encode_command(line))
        if not frame.reply_text.startswith("+OK"):
            raise CommandError(line, frame.reply_text)
        return frame.reply_text

    async def _command(self, data: bytes) -> Frame:
        writer = self._writer
        if writer is None or not self._connected.is_set():
            raise ConnectionLost("not connected")
        fut: asyncio.Future[Frame] = asyncio.get_running_loop().create_future()
        # Append and write in one synchronous step so the FIFO order equals the wire order.
        self._replies.append(fut)
        writer.write(data)
        try:
            return await asyncio.wait_for(asyncio.shield(fut), self._command_timeout)
        except TimeoutError:
            # A reply that never comes would shift every later reply onto the wrong
            # command, so the connection is unusable: drop it and let it reconnect.
            log.error("command timed out after %.1fs; dropping the connection", self._command_timeout)
            self._drop_connection()
            raise ConnectionLost("command timed out") from None

    # -- connection handling ---------------------------------------------------------------
    async def _open(self) -> asyncio.StreamReader:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), self._connect_timeout
            )
        except (OSError, TimeoutError) as exc:
            raise ConnectionLost(f"cannot connect to {self.host}:{self.port}: {exc}") from None
        parser = FrameParser()
        pending: deque[Frame] = deque()

        async def next_frame() -> Frame:
            while not pending:
                data = await asyncio.wait_for(reader.read(65536), self._connect_timeout)
                if not data:
                    raise ConnectionLost("connection closed during handshake")
                pending.extend(parser.feed(data))
            return pending.popleft()

        async def command(line: str) -> Frame:
            writer.write(encode_command(line))
            while True:
                frame = await next_frame()
                if frame.content_type in ("command/reply", "api/response"):
                    return frame

        try:
            hello = await next_frame()
            if hello.content_type != "auth/request":
                raise ProtocolError(f"expected auth/request, got {hello.content_type!r}")
            reply = await command(f"auth {self._password}")
            if not reply.reply_text.startswith("+OK"):
                raise AuthError(reply.reply_text or "authentication refused")
            for line in self._subscription_lines():
                reply = await command(line)
                if not reply.reply_text.startswith("+OK"):
                    raise CommandError(line, reply.reply_text)
        except BaseException as exc:
            writer.close()
            if isinstance(exc, (TimeoutError, OSError)):
                raise ConnectionLost(f"handshake failed: {exc!r}") from None
            raise
        self._writer, self._parser, self._leftover = writer, parser, pending
        self._connected.set()
        log.info("connected to %s:%d", self.host, self.port)
        return reader

    def _subscription_lines(self) -> list[str]:
        lines = [f"event json {' '.join(self._events)}"] if self._events else []
        lines += [f"filter {h} {v}" for h, v in self._filters]
        return lines

    async def _supervise(self, reader: asyncio.StreamReader) -> None:
        while True:
            await self._read_loop(reader)
            self._drop_connection()
            if self._closing or not self._reconnect:
                if not self._closing:
                    self._queue.put_nowait(None)  # close() sends its own end marker
                return
            reader = await self._reconnect_with_backoff()
            # The hooks run beside the read loop, not before it: a hook that sends a command
            # (``show channels as json``) needs the reader to deliver the reply.
            self._hooks_task = asyncio.get_running_loop().create_task(self._run_reconnect_hooks())

    async def _run_reconnect_hooks(self) -> None:
        for hook in list(self._reconnect_hooks):
            try:
                await hook()
            except Exception:
                log.exception("on_reconnect hook failed")

    async def _reconnect_with_backoff(self) -> asyncio.StreamReader:
        attempt = 0
        while True:
            delay = self._backoff.delay(attempt, self._rng)
            log.warning("reconnecting to %s:%d in %.2fs", self.host, self.port, delay)
            await asyncio.sleep(delay)
            try:
                reader = await self._open()
            except EslError as exc:
                log.error("reconnect failed: %s", exc)
                attempt += 1
                continue
            self.reconnects += 1
            return reader

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        try:
            for frame in list(self._leftover):
                self._dispatch(frame)
            self._leftover.clear()
            while True:
                data = await reader.read(65536)
                if not data:
                    log.warning("switch closed the connection")
                    return
                for frame in self._parser.feed(data):
                    self._dispatch(frame)
        except ProtocolError as exc:
            log.error("malformed frame, closing the connection: %s", exc)
        except (OSError, ConnectionError) as exc:
            log.warning("connection error: %s", exc)

    def _drop_connection(self) -> None:
        self._connected.clear()
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        while self._replies:
            fut = self._replies.popleft()
            if not fut.done():
                fut.set_exception(ConnectionLost("connection lost before the reply"))
                fut.exception()

    def _dispatch(self, frame: Frame) -> None:
        ctype = frame.content_type
        if ctype in ("command/reply", "api/response"):
            if not self._replies:
                raise ProtocolError(f"unsolicited {ctype}")
            fut = self._replies.popleft()
            if not fut.done():
                fut.set_result(frame)
            return
        if is_event_frame(frame):
            event = decode_event(frame)
            if event.name == "BACKGROUND_JOB":
                job = self._jobs.pop(event.job_uuid, None)
                if job is not None and not job.done():
                    job.set_result(JobResult(event.job_uuid, event.body))
            for handler in self._handlers:
                try:
                    handler(event)
                except Exception:
                    log.exception("event handler failed")
            if self._queue_events:
                self._queue.put_nowait(event)
            return
        if ctype == "text/disconnect-notice":
            log.warning("switch sent disconnect-notice: %s", frame.body[:200])
            return
        log.debug("ignoring frame of type %r", ctype)
