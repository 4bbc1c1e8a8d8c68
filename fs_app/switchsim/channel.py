"""A simulated channel and the FreeSWITCH-shaped headers of its events."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

# The Channel-State-Number FreeSWITCH reports with each state in the recorded traffic.
_STATE_NUMBER = {
    "CS_NEW": "0", "CS_INIT": "2", "CS_ROUTING": "2", "CS_SOFT_EXECUTE": "3", "CS_EXECUTE": "4",
    "CS_EXCHANGE_MEDIA": "5", "CS_PARK": "6", "CS_CONSUME_MEDIA": "7", "CS_HIBERNATE": "8",
    "CS_RESET": "9", "CS_HANGUP": "10", "CS_REPORTING": "11", "CS_DESTROY": "12",
}


@dataclass(eq=False)
class Channel:
    uuid: str
    name: str  # Channel-Name, e.g. sofia/external/79990000001
    destination: str
    caller_id: str
    role: str  # customer | operator | supervisor | loopback
    variables: dict[str, str]
    created_us: int
    state: str = "CS_INIT"
    call_state: str = "DOWN"
    answer_state: str = "ringing"
    hangup_cause: str = ""
    answered_us: int = 0
    bridged_us: int = 0
    other_leg: str = ""
    app: tuple[str, str] | None = None  # the running application and its argument
    app_uuid: str = ""
    state_parked: bool = False  # parked by park_after_bridge (CS_PARK), not by the park app
    broadcast_tainted: bool = False  # uuid_broadcast was used: later bridges never complete
    stuck_in_reset: bool = False
    held: bool = False
    plan: Any = None  # population.CallPlan for customer legs
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    audio_stop: Any = None  # callable that stops a unicast stream
    gateway: str = ""
    job: tuple[str, str, str, str] | None = None  # (job uuid, originate arg, app, app arg) until answered
    job_app: tuple[str, str] = ("park", "")
    bridged: bool = False
    overlay: list[tuple[str, str]] = field(default_factory=list)  # apps run by sendmsg over park

    @property
    def alive(self) -> bool:
        return self.answer_state != "hangup"

    @property
    def park_after_bridge(self) -> bool:
        return self.variables.get("park_after_bridge", "false") == "true"

    def cancel_timers(self) -> None:
        for handle in self.timers:
            handle.cancel()
        self.timers.clear()


class HeaderFactory:
    """Builds event header dicts; the switch-wide part is computed once."""

    def __init__(self, core_uuid: str, hostname: str = "dialer-sim") -> None:
        self.sequence = 0
        self._static = {
            "Core-UUID": core_uuid, "FreeSWITCH-Hostname": hostname, "FreeSWITCH-Switchname": hostname,
            "FreeSWITCH-IPv4": "127.0.0.1", "FreeSWITCH-IPv6": "::1",
        }
        self._date_second = -1
        self._date_local = self._date_gmt = ""

    def base(self, name: str) -> dict[str, str]:
        now = time.time()
        second = int(now)
        if second != self._date_second:  # strftime is the costly part: once per second
            self._date_second = second
            self._date_local = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(second))
            self._date_gmt = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(second))
        self.sequence += 1
        headers = {"Event-Name": name}
        headers.update(self._static)
        headers["Event-Date-Local"] = self._date_local
        headers["Event-Date-GMT"] = self._date_gmt
        headers["Event-Date-Timestamp"] = str(int(now * 1_000_000))
        headers["Event-Calling-File"] = "switchsim.py"
        headers["Event-Calling-Function"] = "sim"
        headers["Event-Calling-Line-Number"] = "0"
        headers["Event-Sequence"] = str(self.sequence)
        return headers

    def channel(self, name: str, ch: Channel, other: Channel | None = None) -> dict[str, str]:
        h = self.base(name)
        number = _STATE_NUMBER.get(ch.state, "0")
        if not ch.alive and ch.state not in ("CS_REPORTING", "CS_DESTROY"):
            number = "10"
        h["Channel-State"] = ch.state
        h["Channel-Call-State"] = ch.call_state
        h["Channel-State-Number"] = number
        h["Channel-Name"] = ch.name
        h["Unique-ID"] = ch.uuid
        h["Call-Direction"] = "outbound"
        h["Presence-Call-Direction"] = "outbound"
        h["Channel-HIT-Dialplan"] = "false"
        h["Channel-Call-UUID"] = ch.uuid
        h["Answer-State"] = ch.answer_state
        if ch.hangup_cause:
            h["Hangup-Cause"] = ch.hangup_cause
        h["Caller-Direction"] = "outbound"
        h["Caller-Caller-ID-Number"] = ch.caller_id
        h["Caller-Orig-Caller-ID-Number"] = ch.caller_id
        h["Caller-Callee-ID-Name"] = "Outbound Call"
        h["Caller-Callee-ID-Number"] = ch.destination
        h["Caller-ANI"] = ch.caller_id
        h["Caller-Destination-Number"] = ch.destination
        h["Caller-Unique-ID"] = ch.uuid
        h["Caller-Context"] = "default"
        h["Caller-Channel-Name"] = ch.name
        h["Caller-Channel-Created-Time"] = str(ch.created_us)
        h["Caller-Channel-Answered-Time"] = str(ch.answered_us)
        h["Caller-Channel-Bridged-Time"] = str(ch.bridged_us)
        if ch.answered_us:
            for key in ("Read", "Write"):
                h[f"Channel-{key}-Codec-Name"] = "PCMU"
                h[f"Channel-{key}-Codec-Rate"] = "8000"
                h[f"Channel-{key}-Codec-Bit-Rate"] = "64000"
        if other is not None:
            h["Other-Type"] = "originatee"
            h["Other-Leg-Unique-ID"] = other.uuid
            h["Other-Leg-Channel-Name"] = other.name
            h["Other-Leg-Destination-Number"] = other.destination
        for key, value in ch.variables.items():
            h["variable_" + key] = value
        return h
