"""The simulated switch's call core: channels, their timers and the events they produce.

One asyncio loop, timers via ``loop.call_later`` (the loop's own heap), no task per call.
Event sequences follow the recorded FreeSWITCH traffic (see tests/switchsim).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid as uuidlib
from collections.abc import Callable
from typing import Protocol

from fs_app.switchsim.apps import playback_seconds
from fs_app.switchsim.channel import Channel, HeaderFactory
from fs_app.switchsim.originate import OriginateSyntaxError, parse_originate
from fs_app.switchsim.population import FAILURES, CallPlan, Population, plan_call

log = logging.getLogger("dialer.switchsim")

Headers = dict[str, str]


class Listener(Protocol):
    def wants(self, name: str, headers: Headers) -> bool: ...

    def send_event(self, payload: bytes) -> None: ...


def _now_us() -> int:
    return int(time.time() * 1_000_000)


class SimCore:
    def __init__(self, population: Population, *, operator_answer_s: float = 0.05,
                 progress_s: float = 0.02) -> None:
        self.pop = population
        self.rng = random.Random(population.seed)
        self.loop = asyncio.get_running_loop()
        self.channels: dict[str, Channel] = {}
        self.listeners: set[Listener] = set()
        self.headers = HeaderFactory(str(uuidlib.UUID(int=self.rng.getrandbits(128))))
        self.pinned: dict[str, CallPlan] = {}
        self.sps = population.sps
        self._sps_second, self._sps_left = -1, 0
        self.operator_answer_s, self.progress_s = operator_answer_s, progress_s
        self.stats: dict[str, int] = {"originated": 0, "throttled": 0}
        self.on_unicast: Callable[[Channel, tuple[str, int], tuple[str, int]], None] | None = None
        self.hour: Callable[[], int] = lambda: time.localtime().tm_hour

    # -- events ---------------------------------------------------------------------------
    def _fire(self, headers: Headers, body: str | None = None) -> None:
        name = headers["Event-Name"]
        targets = [lst for lst in self.listeners if lst.wants(name, headers)]
        if not targets:
            return
        if body is not None:
            headers["Content-Length"] = str(len(body.encode()))
            headers["_body"] = body
        data = json.dumps(headers, separators=(",", ":"), ensure_ascii=False).encode()
        payload = b"Content-Length: %d\nContent-Type: text/event-json\n\n%s" % (len(data), data)
        for lst in targets:
            lst.send_event(payload)

    def emit(self, name: str, ch: Channel, extra: Headers | None = None, *, other: bool = True) -> None:
        peer = self.channels.get(ch.other_leg) if (other and ch.other_leg) else None
        headers = self.headers.channel(name, ch, peer)
        if other and ch.other_leg and peer is None:
            headers["Other-Leg-Unique-ID"] = ch.other_leg
        if extra:
            headers.update(extra)
        self._fire(headers)

    def emit_job(self, job_uuid: str, command: str, arg: str, body: str) -> None:
        headers = self.headers.base("BACKGROUND_JOB")
        headers.update({"Job-UUID": job_uuid, "Job-Command": command, "Job-Command-Arg": arg})
        self._fire(headers, body)

    def emit_app(self, name: str, ch: Channel, app: str, arg: str) -> None:
        extra = {"Application": app, "Application-UUID": ch.app_uuid}
        if arg:
            extra["Application-Data"] = arg
        if name == "CHANNEL_EXECUTE_COMPLETE":
            extra["Application-Response"] = "_none_"
        self.emit(name, ch, extra)

    def later(self, ch: Channel, delay: float, fn: Callable[[], object]) -> None:
        def run() -> None:
            if ch.uuid in self.channels:
                fn()

        ch.timers.append(self.loop.call_later(max(0.0, delay), run))

    # -- originate --------------------------------------------------------------------------
    def _throttled(self) -> bool:
        # FreeSWITCH refills its per-second counter each second and pre-decrements it, so a
        # limit of N admits N-1 sessions a second (and "fsctl sps 1" admits none at all).
        second = int(self.loop.time())
        if second != self._sps_second:
            self._sps_second, self._sps_left = second, self.sps
        self._sps_left -= 1
        return self._sps_left <= 0

    def set_sps(self, limit: int) -> None:
        self.sps = limit
        self._sps_left = min(self._sps_left, limit)

    def originate(self, arg: str, job_uuid: str) -> None:
        def fail(cause: str) -> None:
            self.emit_job(job_uuid, "originate", arg, f"-ERR {cause}\n")

        try:
            req = parse_originate(arg)
        except OriginateSyntaxError as exc:
            log.warning("bad originate %r: %s", arg, exc)
            self.loop.call_soon(fail, "INVALID_ARGS")  # hypothetical cause name, clearly not real traffic
            return
        uuid = req.variables.get("origination_uuid") or str(uuidlib.uuid4())
        if uuid in self.channels:
            self.loop.call_soon(fail, "INVALID_ARGS")
            return
        parts = req.endpoint.split("/")
        gateway = ""
        if parts[0] == "sofia" and len(parts) >= 4 and parts[1] == "gateway":
            gateway, number, role = parts[2], parts[3], "customer"
            if gateway in self.pop.invalid_gateways or (
                gateway not in self.pop.gateways and not self.pop.accept_any_gateway
            ):
                self.loop.call_soon(fail, "INVALID_GATEWAY")
                return
            capacity = self.pop.gateways.get(gateway, 1000)
            busy = sum(1 for c in self.channels.values() if c.gateway == gateway)
            if busy >= capacity:
                self.loop.call_soon(fail, "NORMAL_CIRCUIT_CONGESTION")
                return
        elif parts[0] == "loopback" and len(parts) >= 2:
            number, role = parts[1], "loopback"
        elif parts[0] in ("user", "sofia", "verto.rtc") and len(parts) >= 2:
            number, role = parts[-1].split("@")[0], req.variables.get("dialer_role", "operator")
        else:
            self.loop.call_soon(fail, "CHAN_NOT_IMPLEMENTED")
            return
        if self._throttled():
            self.stats["throttled"] += 1
            self.loop.call_soon(fail, "DESTINATION_OUT_OF_ORDER")
            return
        self.stats["originated"] += 1
        name = f"loopback/{number}-a" if role == "loopback" else (
            f"sofia/external/{number}" if gateway else req.endpoint)
        ch = Channel(
            uuid=uuid, name=name, destination=number,
            caller_id=req.variables.get("origination_caller_id_number", "0000000000"),
            role=role, variables=dict(req.variables), created_us=_now_us(), gateway=gateway,
        )
        ch.variables.setdefault("origination_uuid", uuid)
        ch.job, ch.job_app = (job_uuid, arg, req.app, req.app_arg), (req.app, req.app_arg)
        self.channels[uuid] = ch
        self.emit("CHANNEL_CREATE", ch)
        if role == "customer":
            ch.plan = self.pinned.pop(number, None) or plan_call(self.pop, self.rng, self.hour())
            self._customer(ch)
        elif role == "loopback":
            kind = next((k for k in ("human", "machine", "robot", "silence") if k in number), "human")
            ch.plan = CallPlan("voicemail" if kind == "machine" else kind, 0.0, False,
                               self.pop.talk.sample(self.rng), self.pop.patience.sample(self.rng),
                               self.pop.machine_length.sample(self.rng))
            ch.state = "CS_CONSUME_MEDIA"
            self.later(ch, 0.0, lambda: self._answer(ch))
        else:
            ch.state = "CS_CONSUME_MEDIA"
            self.later(ch, self.progress_s, lambda: self._progress(ch, media=False))
            self.later(ch, self.operator_answer_s, lambda: self._answer(ch))

    def _customer(self, ch: Channel) -> None:
        plan = ch.plan
        assert isinstance(plan, CallPlan)
        ch.state = "CS_CONSUME_MEDIA"
        timeout = float(ch.variables.get("originate_timeout", "60") or 60)
        if plan.kind in FAILURES:
            cause, status = FAILURES[plan.kind]
            self.later(ch, plan.ring_s, lambda: self._refused(ch, cause, status))
            return
        self.later(ch, min(self.progress_s, plan.ring_s / 2), lambda: self._progress(ch, plan.early_media))
        if plan.kind == "no_answer" or plan.ring_s >= timeout:
            self.later(ch, timeout, lambda: self._no_answer(ch))
        else:
            self.later(ch, plan.ring_s, lambda: self._answer(ch))

    def _progress(self, ch: Channel, media: bool) -> None:
        if media:
            ch.answer_state = "early"
            self.emit("CHANNEL_PROGRESS_MEDIA", ch)
            ch.call_state = "EARLY"
            if ch.variables.get("ignore_early_media", "false") not in ("true", "consume", "ring_ready"):
                # Without ignore_early_media FreeSWITCH counts early media as success.
                self._job_ok(ch)
                self._start_app(ch)
        else:
            self.emit("CHANNEL_PROGRESS", ch)
            ch.call_state = "RINGING"

    def _job_ok(self, ch: Channel) -> None:
        job, ch.job = ch.job, None
        if job:
            self.emit_job(job[0], "originate", job[1], f"+OK {ch.uuid}\n")

    def _job_err(self, ch: Channel, cause: str) -> None:
        job, ch.job = ch.job, None
        if job:
            self.emit_job(job[0], "originate", job[1], f"-ERR {cause}\n")

    def _refused(self, ch: Channel, cause: str, status: str) -> None:
        ch.variables.update({
            "sip_hangup_disposition": "recv_refuse", "sip_invite_failure_status": status,
            "sip_term_status": status, "proto_specific_hangup_cause": f"sip:{status}",
        })
        ch.answer_state, ch.hangup_cause = "hangup", cause
        self.emit("CHANNEL_HANGUP", ch)
        self._finish(ch, job_before_complete=False)

    def _no_answer(self, ch: Channel) -> None:
        if ch.app is not None:  # early media already counted as success: hang up a parked leg
            self.hangup(ch.uuid, "NO_ANSWER")
            return
        ch.answer_state, ch.hangup_cause = "hangup", "NO_ANSWER"
        self.emit("CHANNEL_HANGUP", ch)
        self._finish(ch, job_before_complete=True)

    def _finish(self, ch: Channel, *, job_before_complete: bool) -> None:
        """End of a leg that never got its originate result: the order differs by cause."""
        ch.cancel_timers()
        if job_before_complete:
            self._job_err(ch, ch.hangup_cause)
        ch.state, ch.call_state = "CS_REPORTING", "HANGUP"
        self.emit("CHANNEL_HANGUP_COMPLETE", ch)
        self._job_err(ch, ch.hangup_cause)
        self.emit("CHANNEL_DESTROY", ch)
        self.channels.pop(ch.uuid, None)

    def _answer(self, ch: Channel) -> None:
        ch.answer_state, ch.answered_us = "answered", _now_us()
        self.emit("CHANNEL_ANSWER", ch)
        ch.call_state = "ACTIVE"
        if ch.app is None:
            self._job_ok(ch)
            self._start_app(ch)
        self._behave(ch)

    def _start_app(self, ch: Channel) -> None:
        app, arg = ch.job_app
        ch.state = "CS_EXECUTE"
        ch.app, ch.app_uuid = (app, arg), str(uuidlib.uuid4())
        self.emit_app("CHANNEL_EXECUTE", ch, app, arg)
        if app == "park":
            self.emit("CHANNEL_PARK", ch)

    def _behave(self, ch: Channel) -> None:
        """Customer-side behaviour once answered: patience, machines hanging up."""
        plan = ch.plan
        if not isinstance(plan, CallPlan):
            return
        if plan.kind == "human":
            self.later(ch, plan.patience_s, lambda: self._impatient(ch))
        else:
            self.later(ch, plan.machine_s, lambda: self.hangup(ch.uuid, "NORMAL_CLEARING"))

    def _impatient(self, ch: Channel) -> None:
        if not ch.bridged:
            log.debug("customer %s hung up waiting for an operator", ch.uuid)
            self.hangup(ch.uuid, "NORMAL_CLEARING")

    # -- hangup -----------------------------------------------------------------------------
    def hangup(self, uuid: str, cause: str = "NORMAL_CLEARING") -> bool:
        ch = self.channels.get(uuid)
        if ch is None or not ch.alive:
            return False
        if ch.job:  # still originating: the originate fails with this cause
            ch.answer_state, ch.hangup_cause = "hangup", cause
            self.emit("CHANNEL_HANGUP", ch)
            self._finish(ch, job_before_complete=True)
            return True
        ch.cancel_timers()
        if ch.audio_stop is not None:
            ch.audio_stop()
            ch.audio_stop = None
        ch.answer_state, ch.hangup_cause = "hangup", cause
        self.emit("CHANNEL_HANGUP", ch)
        peer = self.channels.get(ch.other_leg) if ch.bridged else None
        if peer is not None:
            self._release_peer(peer)
            self.emit("CHANNEL_UNBRIDGE", ch)
        if ch.state_parked or ch.broadcast_tainted:
            self.emit("CHANNEL_UNPARK", ch)
        for app, arg in reversed(ch.overlay):
            self.emit_app("CHANNEL_EXECUTE_COMPLETE", ch, app, arg)
        ch.overlay.clear()
        if ch.app is not None:
            self.emit_app("CHANNEL_EXECUTE_COMPLETE", ch, *ch.app)
            ch.app = None
        ch.state, ch.call_state = "CS_REPORTING", "HANGUP"
        self.emit("CHANNEL_HANGUP_COMPLETE", ch)
        self.emit("CHANNEL_DESTROY", ch)
        self.channels.pop(uuid, None)
        if peer is not None and not peer.park_after_bridge:
            self.hangup(peer.uuid, "NORMAL_CLEARING")
        return True

    def _release_peer(self, peer: Channel) -> None:
        """The other leg of a bridge that is ending: re-park (nailed-up) or leave for hangup."""
        peer.bridged = False
        if peer.park_after_bridge:
            peer.state, peer.state_parked = "CS_PARK", True
            self.emit("CHANNEL_PARK", peer)

    def hupall(self, cause: str) -> int:
        uuids = list(self.channels)
        return sum(1 for u in uuids if self.hangup(u, cause))

    def playback_seconds(self, arg: str) -> float | None:
        return playback_seconds(arg, self.pop.playback_s)
