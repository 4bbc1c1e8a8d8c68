"""The simulated switch's TCP side: the event-socket protocol spoken by FreeSWITCH's mod_event_socket."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid as uuidlib
from dataclasses import dataclass, field
from pathlib import Path

from fs_app.esl.parser import encode_frame
from fs_app.switchsim.apps import Actions
from fs_app.switchsim.audio import AudioHub
from fs_app.switchsim.core import Headers, SimCore
from fs_app.switchsim.population import CallPlan, Population

log = logging.getLogger("dialer.switchsim")

DISCONNECT = encode_frame(
    [("Content-Type", "text/disconnect-notice")],
    b"Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n",
)


def reply(text: str, extra: tuple[tuple[str, str], ...] = ()) -> bytes:
    return encode_frame([("Content-Type", "command/reply"), ("Reply-Text", text), *extra])


def api_response(body: str) -> bytes:
    data = body.encode()
    return b"Content-Type: api/response\nContent-Length: %d\n\n%s" % (len(data), data)


SHIPPED_CLIPS = Path(__file__).resolve().parents[2] / "amd" / "data" / "sim"


@dataclass
class SwitchConfig:
    host: str = "127.0.0.1"
    port: int = 8021  # 0 picks a free port
    password: str = "ClueCon"
    population: Population = field(default_factory=Population)
    operator_answer_s: float = 0.05
    progress_s: float = 0.02
    # Absolute: the demo and the engine may run from any directory, and a relative path would silently
    # fall back to synthesised audio there.
    audio_dir: str = str(SHIPPED_CLIPS)


class EslConnection(asyncio.Protocol):
    def __init__(self, switch: SimSwitch) -> None:
        self.switch = switch
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.authed = False
        self.events: set[str] = set()
        self.all_events = False
        self.filters: list[tuple[str, str]] = []
        self._held: list[bytes] | None = None

    # -- listener ------------------------------------------------------------------------------
    def wants(self, name: str, headers: Headers) -> bool:
        if not (self.all_events or name in self.events):
            return False
        return not self.filters or any(headers.get(h) == v for h, v in self.filters)

    def send_event(self, payload: bytes) -> None:
        if self._held is not None:
            self._held.append(payload)
        elif self.transport is not None:
            self.transport.write(payload)

    # -- protocol ------------------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(encode_frame([("Content-Type", "auth/request")]))

    def connection_lost(self, exc: Exception | None) -> None:
        self.switch.core.listeners.discard(self)
        self.switch.connections.discard(self)
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while self.transport is not None:
            end = self.buf.find(b"\n\n")
            if end < 0:
                return
            lines = self.buf[:end].decode("utf-8", errors="replace").split("\n")
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            length = int(headers.get("content-length", "0") or 0)
            if len(self.buf) < end + 2 + length:
                return
            body = bytes(self.buf[end + 2 : end + 2 + length])
            del self.buf[: end + 2 + length]
            self._command(lines[0].strip(), headers, body)

    def _write(self, data: bytes) -> None:
        if self.transport is not None:
            self.transport.write(data)

    def _close(self) -> None:
        self._write(DISCONNECT)
        if self.transport is not None:
            self.transport.close()

    def _command(self, line: str, headers: dict[str, str], body: bytes) -> None:
        verb, _, rest = line.partition(" ")
        if not self.authed:
            if verb == "auth" and rest == self.switch.config.password:
                self.authed = True
                self.switch.core.listeners.add(self)
                self._write(reply("+OK accepted"))
            else:
                self._write(reply("-ERR invalid"))
                self._close()
            return
        # Events caused by this command reach this connection after the reply, as on FreeSWITCH.
        self._held = []
        try:
            self._write(self._dispatch(verb, rest, headers))
        finally:
            held, self._held = self._held, None
            for payload in held:
                self._write(payload)

    def _dispatch(self, verb: str, rest: str, headers: dict[str, str]) -> bytes:
        sw = self.switch
        if verb == "event":
            fmt, _, names = rest.partition(" ")
            if fmt != "json":
                return reply(f"-ERR the simulated switch speaks 'event json' only, not {fmt!r}")
            for name in names.split():
                if name == "ALL":
                    self.all_events = True
                elif name != "CUSTOM" and "::" not in name:
                    self.events.add(name)
            return reply("+OK event listener enabled json")
        if verb == "noevents":
            self.events.clear()
            self.all_events = False
            return reply("+OK no longer listening for events")
        if verb == "filter":
            header, _, value = rest.partition(" ")
            if header == "delete":
                self.filters = [f for f in self.filters if f[0] != value.split(" ")[0]]
                return reply("+OK filter deleted.")
            self.filters.append((header, value))
            return reply(f"+OK filter added. [{header}]=[{value}]")
        if verb == "api":
            return api_response(sw.api(rest))
        if verb == "bgapi":
            job = headers.get("job-uuid") or str(uuidlib.uuid4())
            sw.bgapi(rest, job)
            return reply(f"+OK Job-UUID: {job}", (("Job-UUID", job),))
        if verb == "sendmsg":
            return reply(sw.sendmsg(rest.strip(), headers))
        if verb in ("exit", "quit"):
            self._write(reply("+OK bye"))
            self._close()
            return b""
        if verb == "nixevent":
            self.events.difference_update(rest.split())
            return reply("+OK events removed")
        return reply("-ERR command not found")


class SimSwitch:
    """A TCP server that behaves like FreeSWITCH's event socket over a simulated population."""

    def __init__(self, config: SwitchConfig | None = None) -> None:
        self.config = config or SwitchConfig()
        self.connections: set[EslConnection] = set()
        self._server: asyncio.Server | None = None
        self._core: SimCore | None = None
        self.audio: AudioHub | None = None
        self.started_at = time.time()

    @property
    def core(self) -> SimCore:
        if self._core is None:
            raise RuntimeError("SimSwitch.start() first")
        return self._core

    @property
    def port(self) -> int:
        assert self._server is not None
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> SimSwitch:
        cfg = self.config
        self._core = SimCore(cfg.population, operator_answer_s=cfg.operator_answer_s,
                             progress_s=cfg.progress_s)
        self.actions = Actions(self._core)
        self.audio = AudioHub(self._core, cfg.audio_dir)
        self._server = await asyncio.get_running_loop().create_server(
            lambda: self._track(EslConnection(self)), cfg.host, cfg.port)
        log.info("simulated switch listening on %s:%d", cfg.host, self.port)
        return self

    def _track(self, conn: EslConnection) -> EslConnection:
        self.connections.add(conn)
        return conn

    async def stop(self) -> None:
        if self._core is not None:
            self._core.hupall("SYSTEM_SHUTDOWN")
        if self.audio is not None:
            self.audio.close()
        for conn in list(self.connections):
            if conn.transport is not None:
                conn.transport.close()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def __aenter__(self) -> SimSwitch:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- test / demo hooks ---------------------------------------------------------------------
    def pin(self, number: str, plan: CallPlan) -> None:
        """The next call to ``number`` follows ``plan`` instead of a sampled one."""
        self.core.pinned[number] = plan

    def add_nailed_operator(self, extension: str, operator_id: str | int) -> str:
        """Create an answered, parked operator leg (``park_after_bridge=true``); returns its uuid."""
        uuid = str(uuidlib.uuid4())
        arg = (f"{{origination_uuid={uuid},park_after_bridge=true,hangup_after_bridge=false,"
               f"dialer_role=agent,dialer_operator={operator_id}}}user/{extension} &park()")
        self.bgapi(f"originate {arg}", str(uuidlib.uuid4()))
        return uuid

    # -- commands ---------------------------------------------------------------------------------
    def bgapi(self, command: str, job_uuid: str) -> None:
        name, _, arg = command.partition(" ")
        if name == "originate":
            self.core.originate(arg, job_uuid)
            return
        result = self.api(command)
        asyncio.get_running_loop().call_soon(self.core.emit_job, job_uuid, name, arg, result)

    def sendmsg(self, uuid: str, headers: dict[str, str]) -> str:
        cmd = headers.get("call-command", "")
        if cmd == "execute":
            return self.actions.execute(uuid, headers.get("execute-app-name", ""),
                                        headers.get("execute-app-arg", ""))
        if cmd == "hangup":
            ok = self.core.hangup(uuid, headers.get("hangup-cause", "NORMAL_CLEARING"))
            return "+OK" if ok else f"-ERR invalid session id [{uuid}]"
        if cmd == "unicast":
            ch = self.core.channels.get(uuid)
            if ch is None or self.audio is None:
                return f"-ERR invalid session id [{uuid}]"
            try:
                remote = (headers.get("remote-ip", "127.0.0.1"), int(headers.get("remote-port", "")))
                local = (headers.get("local-ip", "127.0.0.1"), int(headers.get("local-port", "0") or 0))
            except ValueError:
                return "-ERR invalid unicast ports"
            self.audio.start(ch, local, remote)
            return "+OK"
        return f"-ERR unsupported call-command {cmd!r}"

    def api(self, command: str) -> str:
        name, _, arg = command.strip().partition(" ")
        args = arg.split()
        act, core = self.actions, self.core
        try:
            if name == "originate":
                return "-ERR the simulated switch refuses blocking 'api originate'; use bgapi\n"
            if name == "uuid_kill":
                if args[0] not in core.channels:
                    return "-ERR No such channel!\n"
                cause = args[1] if len(args) > 1 else "NORMAL_CLEARING"
                core.loop.call_soon(core.hangup, args[0], cause)
                return "+OK\n"
            if name == "uuid_bridge":
                return act.bridge(args[0], args[1])
            if name == "uuid_transfer":
                ext = args[1][2:] if args[1].startswith("-") else args[1]
                return act.transfer(args[0], ext, args[3] if len(args) > 3 else "default")
            if name == "uuid_break":
                return act.break_(args[0])
            if name == "uuid_broadcast":
                return act.broadcast(args[0])
            if name == "uuid_park":
                return act.park(args[0])
            if name == "uuid_recv_dtmf":
                return act.recv_dtmf(args[0], args[1])
            if name == "uuid_setvar":
                return act.setvar(args[0], args[1], " ".join(args[2:]) if len(args) > 2 else None)
            if name == "uuid_hold":
                off = args[0] in ("off", "toggle") and len(args) > 1
                return act.hold(args[-1], off)
            if name == "uuid_exists":
                return "true" if args[0] in core.channels else "false"
            if name == "hupall":
                cause = args[0] if args else "MANAGER_REQUEST"
                core.loop.call_soon(core.hupall, cause)
                return "+OK\n"
            if name == "fsctl" and args[:1] == ["sps"]:
                core.set_sps(int(args[1]))
                return f"+OK sessions per second: {core.sps}\n"
            if name == "status":
                return self._status()
            if name == "show" and args[:1] == ["channels"]:
                return self._show_channels()
        except (IndexError, ValueError):
            return f"-ERR usage error for {name}\n"
        return f"-ERR {name} Command not found!\n"

    def _status(self) -> str:
        up = int(time.time() - self.started_at)
        n = len(self.core.channels)
        return (f"UP 0 years, 0 days, {up // 3600} hours, {up // 60 % 60} minutes, {up % 60} seconds\n"
                f"FreeSWITCH (dialer switchsim) is ready\n{self.core.stats['originated']} session(s) since startup\n"
                f"{n} session(s) - peak {n}, last 5min {n}\n{self.core.sps} session(s) per Sec out of max "
                f"{self.core.sps}, peak 0, last 5min 0\n1000 session(s) max\nmin idle cpu 0.00/100.00\n")

    def _show_channels(self) -> str:
        rows = []
        for ch in self.core.channels.values():
            if not ch.alive:
                continue
            app = ch.app or ("", "")
            rows.append({
                "uuid": ch.uuid, "direction": "outbound",
                "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(ch.created_us / 1e6)),
                "created_epoch": str(ch.created_us // 1_000_000), "name": ch.name,
                "state": "CS_PARK" if ch.state_parked else ch.state, "cid_name": "", "cid_num": ch.caller_id,
                "dest": ch.destination, "application": app[0], "application_data": app[1],
                "callstate": ch.call_state, "callee_num": ch.destination,
                "call_uuid": ch.uuid, "hostname": "dialer-sim",
            })
        if not rows:
            return json.dumps({"row_count": 0}) + "\n"
        return json.dumps({"row_count": len(rows), "rows": rows}) + "\n"
