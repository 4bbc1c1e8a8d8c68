"""The engine's I/O: event socket in, commands out, attempt rows, AMD audio, live state, timers.

Events are handled in the event-socket client's reader callback (no queue in between), so the
time from an event to the command it causes is measured honestly: ``latencies_ms``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fs_app.engine.commands import (
    Api,
    Command,
    Dial,
    Execute,
    FetchTargets,
    LoadAbandonHistory,
    OriginateLeg,
    Publish,
    RecordResult,
    SetLive,
    StartAmd,
    StopAmd,
    UpdateAttempt,
)
from fs_app.engine.core import EngineCore
from fs_app.engine.live import LiveWriter
from fs_app.engine.ports import ContactSource, ResultSink
from fs_app.engine.store import AttemptRow, AttemptStore
from fs_app.esl import CommandError, EslClient, EslError, Event

if TYPE_CHECKING:
    from amd.library import SampleLibrary

log = logging.getLogger("dialer.engine")

# Calls of these states found still up at start-up are somebody's conversation: left alone.
_TALKING_STATES = frozenset({"talking", "on_hold"})
# Retries of a failed abandon-history read (the governor runs on this run's calls alone meanwhile).
HISTORY_RETRY_S = (1.0, 5.0, 30.0)


@dataclass(frozen=True)
class AmdSettings:
    listen_host: str = "127.0.0.1"
    listen_port: int = 0  # 0: any free port
    switch_host: str = "127.0.0.1"  # the address FreeSWITCH sends from (its side of the stream)
    first_local_port: int = 41000
    ports: int = 4000


class Driver:
    def __init__(self, core: EngineCore, client: EslClient, store: AttemptStore, source: ContactSource,
                 sink: ResultSink, *, live: LiveWriter | None = None, amd: AmdSettings | None = None,
                 amd_library: SampleLibrary | None = None, tick_s: float = 0.1,
                 clock: Callable[[], float] = time.time) -> None:
        self.core, self.client, self.store = core, client, store
        self.source, self.sink, self.live = source, sink, live
        self.amd_settings, self.tick_s, self.clock = amd, tick_s, clock
        # Shared by every call's detector: the owner reloads it in place (amd.reload) and it counts
        # matches, so a sample verified in the portal hangs up robots here without a restart.
        self.amd_library = amd_library
        self.latencies_ms: list[float] = []
        self.events_seen = 0
        self.originates = 0
        self._paused = False
        self._stopping = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self._ticker: asyncio.Task[None] | None = None
        self._amd_transport: asyncio.DatagramTransport | None = None
        self._amd: Any = None  # amd.unicast.UnicastReceiver, imported only when a campaign uses AMD
        self._amd_ports: dict[str, int] = {}
        self._next_port = 0
        self.started = asyncio.Event()
        client.add_event_handler(self._on_event)
        client.on_reconnect(self._after_reconnect)

    # -- lifecycle ------------------------------------------------------------------------------------
    async def start(self) -> None:
        if not self.client.connected:
            await self.client.connect()
        if self.amd_settings is not None:
            await self._start_amd(self.amd_settings)
        await self._startup_reconcile()
        self._ticker = asyncio.get_running_loop().create_task(self._tick_loop())
        self.started.set()

    async def stop(self) -> None:
        self._stopping = True  # events still arriving must not start commands we would cut off
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.store.flush()
        if self.live is not None:
            await self.live.flush()
        if self._amd_transport is not None:
            self._amd_transport.close()
        await self.client.close()

    async def _startup_reconcile(self) -> None:
        """Rows a previous run left open vs the switch's live channels (crash safety)."""
        live = await self.live_channels()
        now = self.clock()
        for uuid, state in await self.store.open_attempts():
            if uuid in live and state not in _TALKING_STATES:
                # Nobody controls this leg any more (a customer parked, ringing or queued): end it.
                with contextlib.suppress(EslError):
                    await self.client.api(f"uuid_kill {uuid}")
            if uuid not in live or state not in _TALKING_STATES:
                self.store.update(uuid, {"ended_at": now, "code": "network_failure",
                                         "hangup_cause": "ENGINE_RESTART", "state": "failed"})
                log.warning("attempt %s (%s) left open by a previous run: closed", uuid, state)

    async def live_channels(self) -> set[str]:
        body = await self.client.api("show channels as json", check=False)
        try:
            data = json.loads(body)
        except ValueError:
            log.error("show channels: unreadable answer %r", body[:200])
            return set()
        return {str(row.get("uuid")) for row in data.get("rows", []) or []}

    async def _after_reconnect(self) -> None:
        live = await self.live_channels()
        now = self.clock()
        self.run(self.core.reconcile(live, now))
        self._paused = False
        self.run(self.core.set_connected(True, now))
        log.info("event socket back: %d live channels, dialing resumed", len(live))

    async def _tick_loop(self) -> None:
        while True:
            await asyncio.sleep(self.tick_s)
            try:
                if not self.client.connected and not self._paused:
                    self._paused = True
                    log.warning("event socket lost: dialing paused")
                    self.run(self.core.set_connected(False, self.clock()))
                self.run(self.core.tick(self.clock()))
                if self._amd is not None:
                    self._amd.expire_idle()
            except Exception:
                log.exception("engine tick failed")

    # -- events in --------------------------------------------------------------------------------------
    def _on_event(self, event: Event) -> None:
        if self._stopping:
            return
        t0 = time.perf_counter()
        self.events_seen += 1
        self.run(self.core.on_event(event, self.clock()), t0)

    def _on_verdict(self, call_id: str, verdict: Any) -> None:
        self._amd_ports.pop(call_id, None)
        if verdict.sample_id is not None:
            log.info("call %s: robot of library sample %s", call_id, verdict.sample_id)
        self.run(self.core.on_verdict(call_id, str(verdict.kind.value), self.clock()), time.perf_counter())

    # -- commands out -----------------------------------------------------------------------------------
    def run(self, commands: Sequence[Command], t0: float | None = None) -> None:
        dials: list[Dial] = []
        for cmd in commands:
            if isinstance(cmd, Dial):
                dials.append(cmd)
            elif isinstance(cmd, Api):
                self._spawn(self._api(cmd.command, t0))
            elif isinstance(cmd, Execute):
                self._spawn(self._execute(cmd, t0))
            elif isinstance(cmd, OriginateLeg):
                self._spawn(self._originate_leg(cmd, t0))
            elif isinstance(cmd, UpdateAttempt):
                self.store.update(cmd.call_id, cmd.values)
            elif isinstance(cmd, RecordResult):
                self._spawn(self.sink.record_result(cmd.result))
            elif isinstance(cmd, FetchTargets):
                self._spawn(self._fetch(cmd))
            elif isinstance(cmd, LoadAbandonHistory):
                self._spawn(self._load_history(cmd))
            elif isinstance(cmd, StartAmd):
                self._spawn(self._start_stream(cmd.uuid, t0))
            elif isinstance(cmd, StopAmd):
                port = self._amd_ports.pop(cmd.uuid, None)
                if port is not None and self._amd is not None:
                    self._amd.unregister(port)
            elif isinstance(cmd, (SetLive, Publish)):
                if self.live is not None:
                    self.live.push(cmd)
        if dials:
            self._spawn(self._dial(dials, t0))

    def _spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("engine command failed: %r", task.exception())

    def _mark(self, t0: float | None) -> None:
        if t0 is not None:
            self.latencies_ms.append((time.perf_counter() - t0) * 1000.0)

    async def _api(self, command: str, t0: float | None) -> None:
        self._mark(t0)
        try:
            reply = await self.client.api(command, check=False)
        except EslError as exc:
            log.warning("%s: %s", command, exc)
            return
        if reply.startswith("-ERR"):
            log.info("%s: %s", command, reply.strip())  # the leg is usually gone already

    async def _execute(self, cmd: Execute, t0: float | None) -> None:
        self._mark(t0)
        with contextlib.suppress(EslError):
            await self.client.execute(cmd.uuid, cmd.app, cmd.arg)

    async def _originate_leg(self, cmd: OriginateLeg, t0: float | None) -> None:
        self._mark(t0)
        try:
            await self.client.bgapi(cmd.originate.command(), job_uuid=cmd.originate.uuid)
        except EslError as exc:
            log.error("originate of %s failed: %s", cmd.originate.endpoint, exc)

    async def _dial(self, dials: list[Dial], t0: float | None) -> None:
        now = self.clock()
        calls = self.core.st.calls
        rows = []
        for d in dials:
            call = calls.get(d.call_id)
            phone_field, lease = (call.target.phone_field, call.target.lease_id) if call else ("", "")
            rows.append(AttemptRow(d.call_id, d.campaign_id, d.contact_id, d.phone, phone_field, lease,
                                   d.connector, d.caller_id, call.started_at if call else now))
        try:
            await self.store.insert(rows)  # the row exists before the switch hears of the call
        except Exception as exc:
            log.error("attempt rows not written, %d dials dropped: %s", len(rows), exc)
            for d in dials:
                self._job_error(d.call_id, "ATTEMPT_NOT_RECORDED")
            return
        for d in dials:
            self._mark(t0)
            self.originates += 1
            try:
                await self.client.bgapi(d.originate.command(), job_uuid=d.call_id)
            except CommandError as exc:
                self._job_error(d.call_id, exc.reply.removeprefix("-ERR").strip() or "REFUSED")
            except EslError as exc:
                # Sent or not, we cannot tell: the reconnect's `show channels` decides, and the
                # number is never originated a second time by the engine.
                log.warning("originate %s: %s", d.call_id, exc)

    def _job_error(self, call_id: str, cause: str) -> None:
        event = Event("BACKGROUND_JOB", {"Job-UUID": call_id}, f"-ERR {cause}\n")
        self.run(self.core.on_event(event, self.clock()))

    async def _fetch(self, cmd: FetchTargets) -> None:
        try:
            targets = await self.source.next_targets(cmd.campaign_id, cmd.n, self.clock())
        except Exception:
            log.exception("contact source failed for campaign %s", cmd.campaign_id)
            self.core.fetch_failed(cmd.campaign_id)
            return
        self.run(self.core.deliver(cmd.campaign_id, targets, cmd.for_operators, self.clock()))

    async def _load_history(self, cmd: LoadAbandonHistory) -> None:
        """Once per campaign run, so no pacing tick ever reads the database for abandon counts."""
        for delay in (*HISTORY_RETRY_S, None):
            try:
                attempts = await self.store.answered_attempts(cmd.campaign_id, cmd.since, cmd.before)
            except Exception as exc:
                if delay is None:
                    log.error("campaign %s: abandon history unreadable (%s); the governor counts this run's "
                              "calls only", cmd.campaign_id, exc)
                    return
                log.warning("campaign %s: abandon history not read (%s); retrying in %.0f s", cmd.campaign_id,
                            exc, delay)
                await asyncio.sleep(delay)
                continue
            self.core.seed_abandons(cmd.campaign_id, attempts, self.clock())
            log.info("campaign %s: abandon history of %d answered attempts", cmd.campaign_id, len(attempts))
            return

    # -- AMD ----------------------------------------------------------------------------------------------
    async def _start_amd(self, cfg: AmdSettings) -> None:
        from amd.unicast import start_receiver

        self._amd_transport, self._amd = await start_receiver(self._on_verdict, cfg.listen_host, cfg.listen_port)

    async def _start_stream(self, uuid: str, t0: float | None) -> None:
        cfg = self.amd_settings
        if self._amd is None or cfg is None or self._amd_transport is None:
            self.run(self.core.on_verdict(uuid, "notsure", self.clock()))  # no AMD here: treat as a person
            return
        from amd.detector import Detector

        port = cfg.first_local_port + self._next_port
        self._next_port = (self._next_port + 1) % cfg.ports
        self._amd_ports[uuid] = port
        self._amd.register(port, uuid, Detector(self.amd_library))
        remote = self._amd_transport.get_extra_info("sockname")
        self._mark(t0)
        try:
            await self.client.unicast(uuid, (cfg.switch_host, port), (str(remote[0]), int(remote[1])))
        except EslError as exc:
            log.warning("unicast for %s: %s", uuid, exc)
            self._amd.unregister(port)
