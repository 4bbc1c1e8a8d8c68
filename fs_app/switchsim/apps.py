"""What the simulated switch does for bridge, transfer, sendmsg execute and the other uuid_* APIs."""

from __future__ import annotations

import re
import uuid as uuidlib
import wave
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fs_app.switchsim.channel import Channel
    from fs_app.switchsim.core import SimCore

_TONE = re.compile(r"%\(([0-9]+),([0-9]+)")


def playback_seconds(arg: str, default_s: float) -> float | None:
    """How long ``playback <arg>`` runs; None = endless (a tone_stream without loops)."""
    if arg.startswith("tone_stream://"):
        loops = re.search(r"loops=(-?[0-9]+)", arg)
        if not loops or int(loops.group(1)) < 0:
            return None
        cycle_ms = sum(int(on) + int(off) for on, off in _TONE.findall(arg)) or 1000
        return int(loops.group(1)) * cycle_ms / 1000.0
    if arg.startswith("silence_stream://"):
        ms = arg.removeprefix("silence_stream://").split(",")[0]
        return int(ms) / 1000.0 if ms.isdigit() and int(ms) > 0 else None
    path = Path(arg)
    if path.suffix.lower() == ".wav" and path.is_file():
        try:
            with wave.open(str(path)) as wav:
                return wav.getnframes() / float(wav.getframerate())
        except (wave.Error, OSError):
            return default_s
    return default_s


class Actions:
    """The uuid_* commands and sendmsg, each returning FreeSWITCH's reply text."""

    def __init__(self, core: SimCore) -> None:
        self.core = core

    def _get(self, uuid: str) -> Channel | None:
        ch = self.core.channels.get(uuid)
        return ch if ch is not None and ch.alive else None

    # -- bridge --------------------------------------------------------------------------------
    def bridge(self, a_uuid: str, b_uuid: str) -> str:
        a, b = self._get(a_uuid), self._get(b_uuid)
        if a is None or b is None or a is b:
            return f"-ERR Invalid uuid {a_uuid if a is None else b_uuid}\n"
        core = self.core
        core.loop.call_soon(self._do_bridge, a, b)
        return f"+OK {b.uuid}\n"

    def _leave_apps(self, ch: Channel, other: Channel) -> None:
        ch.other_leg = other.uuid
        core = self.core
        for app, arg in reversed(ch.overlay):
            core.emit_app("CHANNEL_EXECUTE_COMPLETE", ch, app, arg)
        ch.overlay.clear()
        if ch.state_parked or (ch.app is not None and ch.app[0] == "park"):
            core.emit("CHANNEL_UNPARK", ch)
            ch.state_parked = False
        if ch.app is not None:
            core.emit_app("CHANNEL_EXECUTE_COMPLETE", ch, *ch.app)
            ch.app = None

    def _do_bridge(self, a: Channel, b: Channel) -> None:
        if not (a.alive and b.alive):
            return
        core = self.core
        if a.broadcast_tainted or b.broadcast_tainted:
            # Recorded on a real FreeSWITCH: after uuid_broadcast the bridge never completes;
            # the other leg leaves park for CS_HIBERNATE/CS_RESET and stays there.
            victim = b if a.broadcast_tainted else a
            self._leave_apps(victim, a if victim is b else b)
            victim.state, victim.stuck_in_reset = "CS_RESET", True
            return
        for leg in (a, b):
            # A leg already bridged elsewhere (transfer, take-over) leaves that bridge first: its old
            # partner re-parks (park_after_bridge) or hangs up, as FreeSWITCH does.
            if leg.bridged and leg.other_leg not in (a.uuid, b.uuid):
                self._unbridge(leg)
        self._leave_apps(a, b)
        self._leave_apps(b, a)
        a.state, b.state = "CS_SOFT_EXECUTE", "CS_SOFT_EXECUTE"
        for x, y in ((a, b), (b, a)):
            x.app_uuid = str(uuidlib.uuid4())
            core.emit_app("CHANNEL_EXECUTE", x, "uuid_bridge", y.uuid)
        now = core.headers.base("x")["Event-Date-Timestamp"]
        a.bridged = b.bridged = True
        a.bridged_us = b.bridged_us = int(now)
        core.emit("CHANNEL_BRIDGE", a, {"Bridge-A-Unique-ID": a.uuid, "Bridge-B-Unique-ID": b.uuid})
        b.state = "CS_EXCHANGE_MEDIA"
        for leg in (a, b):
            if leg.plan is not None and getattr(leg.plan, "kind", "") == "human":
                leg.cancel_timers()  # patience no longer matters: talk time does
                core.later(leg, leg.plan.talk_s, self._hangup_later(leg))

    def _hangup_later(self, leg: Channel) -> Callable[[], None]:
        def run() -> None:
            self.core.hangup(leg.uuid, "NORMAL_CLEARING")

        return run

    # -- transfer, park, break, broadcast ---------------------------------------------------
    def _unbridge(self, ch: Channel) -> None:
        core = self.core
        peer = core.channels.get(ch.other_leg) if ch.bridged else None
        if peer is None:
            return
        ch.bridged = False
        core._release_peer(peer)
        ch.other_leg = ""
        core.emit("CHANNEL_UNBRIDGE", ch)
        if not peer.park_after_bridge:
            core.hangup(peer.uuid, "NORMAL_CLEARING")

    def transfer(self, uuid: str, extension: str, context: str) -> str:
        ch = self._get(uuid)
        if ch is None:
            return "-ERR No such channel!\n"
        self.core.loop.call_soon(self._do_transfer, ch, extension)
        return "+OK\n"

    def _do_transfer(self, ch: Channel, extension: str) -> None:
        if not ch.alive:
            return
        self._unbridge(ch)
        self._leave_apps(ch, ch)
        ch.other_leg = ""
        apps = list(self.core.pop.dialplan.get(extension, ()))
        if not apps:
            self.core.hangup(ch.uuid, "NO_ROUTE_DESTINATION")
            return
        ch.state = "CS_EXECUTE"
        self._run_sequence(ch, apps)

    def _run_sequence(self, ch: Channel, apps: list[tuple[str, str]]) -> None:
        core = self.core
        if not apps:
            core.hangup(ch.uuid, "NORMAL_CLEARING")  # the dialplan ran out
            return
        app, arg = apps[0]
        if app == "park":
            self.park(ch.uuid)
            return
        if app == "hangup":
            self._hangup_app(ch, arg)
            return
        ch.app, ch.app_uuid = (app, arg), str(uuidlib.uuid4())
        core.emit_app("CHANNEL_EXECUTE", ch, app, arg)
        duration = 0.0 if app == "answer" else self._duration(app, arg)
        if duration is None:
            return

        def done() -> None:
            ch.app = None
            core.emit_app("CHANNEL_EXECUTE_COMPLETE", ch, app, arg)
            self._run_sequence(ch, apps[1:])

        core.later(ch, duration, done)

    def _duration(self, app: str, arg: str) -> float | None:
        if app == "sleep":
            return int(arg) / 1000.0 if arg.isdigit() else 0.0
        if app in ("playback", "speak", "say"):
            return self.core.playback_seconds(arg)
        return 0.0

    def _hangup_app(self, ch: Channel, arg: str) -> None:
        ch.overlay.append(("hangup", arg))
        ch.app_uuid = str(uuidlib.uuid4())
        self.core.emit_app("CHANNEL_EXECUTE", ch, "hangup", arg)
        self.core.hangup(ch.uuid, arg or "NORMAL_CLEARING")

    def park(self, uuid: str) -> str:
        ch = self._get(uuid)
        if ch is None:
            return "-ERR No such channel!\n"
        self._unbridge(ch)
        for app, arg in reversed(ch.overlay):
            self.core.emit_app("CHANNEL_EXECUTE_COMPLETE", ch, app, arg)
        ch.overlay.clear()
        if ch.app is None or ch.app[0] != "park":
            ch.state, ch.app, ch.app_uuid = "CS_EXECUTE", ("park", ""), str(uuidlib.uuid4())
            self.core.emit_app("CHANNEL_EXECUTE", ch, "park", "")
            self.core.emit("CHANNEL_PARK", ch)
        return "+OK\n"

    def break_(self, uuid: str) -> str:
        ch = self._get(uuid)
        if ch is None:
            return "-ERR No such channel!\n"
        for app, arg in reversed(ch.overlay):
            self.core.emit_app("CHANNEL_EXECUTE_COMPLETE", ch, app, arg)
        ch.overlay.clear()
        return "+OK\n"

    def broadcast(self, uuid: str) -> str:
        ch = self._get(uuid)
        if ch is None:
            return "-ERR No such channel!\n"
        ch.broadcast_tainted = True
        return "+OK Message sent\n"

    # -- sendmsg execute ----------------------------------------------------------------------
    def execute(self, uuid: str, app: str, arg: str) -> str:
        ch = self._get(uuid)
        if ch is None:
            return f"-ERR invalid session id [{uuid}]"
        self.core.loop.call_soon(self._do_execute, ch, app, arg)
        return "+OK"

    def _do_execute(self, ch: Channel, app: str, arg: str) -> None:
        core = self.core
        if not ch.alive:
            return
        if app == "park":
            self.park(ch.uuid)
        elif app == "hangup":
            self._hangup_app(ch, arg)
        elif app == "answer":
            ch.app_uuid = str(uuidlib.uuid4())
            core.emit_app("CHANNEL_EXECUTE", ch, "answer", arg)
            core.emit_app("CHANNEL_EXECUTE_COMPLETE", ch, "answer", arg)
        else:
            entry = (app, arg)
            ch.overlay.append(entry)
            ch.app_uuid = str(uuidlib.uuid4())
            core.emit_app("CHANNEL_EXECUTE", ch, app, arg)
            duration = self._duration(app, arg)
            if duration is None:
                return

            def done() -> None:
                if entry in ch.overlay:
                    ch.overlay.remove(entry)
                    core.emit_app("CHANNEL_EXECUTE_COMPLETE", ch, app, arg)

            core.later(ch, duration, done)

    # -- small ones -------------------------------------------------------------------------------
    def recv_dtmf(self, uuid: str, digits: str) -> str:
        ch = self._get(uuid)
        if ch is None:
            return "-ERR no such session\n"
        for digit in digits:
            self.core.emit("DTMF", ch, {"DTMF-Digit": digit, "DTMF-Duration": "2000", "DTMF-Source": "APP"})
        return f"+OK {uuid} received DTMF {digits}.\n"

    def hold(self, uuid: str, off: bool) -> str:
        ch = self._get(uuid)
        if ch is None:
            return "-ERR Operation failed\n"
        if ch.held != (not off):
            ch.held = not off
            self.core.emit("CHANNEL_HOLD" if ch.held else "CHANNEL_UNHOLD", ch)
        return "+OK Success\n"

    def setvar(self, uuid: str, name: str, value: str | None) -> str:
        ch = self._get(uuid)
        if ch is None:
            return "-ERR No such channel!\n"
        if value is None:
            ch.variables.pop(name, None)
        else:
            ch.variables[name] = value
        return "+OK\n"
