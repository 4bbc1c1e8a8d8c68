"""Answered people to operators: choose by skill and level, bridge, or queue with a greeting."""

from __future__ import annotations

import math
import uuid as uuidlib

from fs_app.calls.call_states import CallEvent, CallState
from fs_app.calls.causes import SystemCode
from fs_app.calls.operator_states import OperatorEvent, OperatorState
from fs_app.engine.commands import Api, Command, Execute, OriginateLeg, Publish
from fs_app.engine.lifecycle import call_changed, close_call
from fs_app.engine.state import Call, EngineState, OperatorSlot
from fs_app.esl.commands import Originate, uuid_break, uuid_bridge, uuid_kill, uuid_transfer
from fs_app.pacing import DialMode


def choose_operator(st: EngineState, call: Call) -> OperatorSlot | None:
    """The free operator with the highest level in the campaign's skill, longest idle among equals."""
    cfg = st.campaigns[call.campaign_id].config
    best: OperatorSlot | None = None
    for slot in st.operators.values():
        if not slot.free() or not slot.serves(cfg):
            continue
        if best is None:
            best = slot
            continue
        level = slot.skills.get(cfg.skill, 0) if cfg.skill else 0
        best_level = best.skills.get(cfg.skill, 0) if cfg.skill else 0
        if (level, -slot.idle_since) > (best_level, -best.idle_since):
            best = slot
    return best


def route_ready(st: EngineState, call: Call, now: float, out: list[Command]) -> None:
    """A person is on the line (AMD said human, or AMD is off): IVR, operator, or the queue."""
    run = st.campaigns[call.campaign_id]
    cfg = run.config
    call.ready_at = now
    run.pacer.observe_live_answer(now)
    if cfg.dial_mode is DialMode.AGENTLESS:
        out.append(Api(uuid_transfer(call.call_id, cfg.ivr_target, cfg.context)))
        call.move(CallEvent.TRANSFER_IVR, now)
        close_call(st, call, SystemCode.ANSWERED_HUMAN.value, now, out)
        return
    slot = st.operators.get(call.preview_operator or "") if call.preview_operator else choose_operator(st, call)
    if slot is not None and (call.preview_operator or slot.free()):
        connect(st, call, slot, now, out)
    else:
        enqueue(st, call, now, out)


def connect(st: EngineState, call: Call, slot: OperatorSlot, now: float, out: list[Command]) -> None:
    call.move(CallEvent.CONNECT, now)
    call.operator_id = slot.operator_id
    slot.call_id = call.call_id
    if call.call_id in st.queue:
        st.queue.remove(call.call_id)
    if call.greeted:
        # Stop the greeting / hold music queued by sendmsg; bridging over it also works, but the
        # operator should not hear the tail of the announcement.
        out.append(Api(uuid_break(call.call_id)))
    if slot.mode == "nailed" and slot.leg is not None:
        out.append(Api(uuid_bridge(call.call_id, slot.leg)))
    else:
        leg = str(uuidlib.uuid4())
        if slot.state is OperatorState.READY:
            slot.apply(OperatorEvent.RING, now)
        slot.leg = leg
        st.direct_legs[leg] = call.call_id
        out.append(OriginateLeg(Originate(leg, slot.endpoint, "&park()", {
            "dialer_role": "agent_direct", "dialer_operator": slot.operator_id, "dialer_call": call.call_id,
            "sip_auto_answer": True, "originate_timeout": 20, "hangup_after_bridge": True,
        })))
    call_changed(call, out)


def enqueue(st: EngineState, call: Call, now: float, out: list[Command]) -> None:
    run = st.campaigns[call.campaign_id]
    cfg = run.config
    call.move(CallEvent.ENQUEUE, now)
    st.queue.append(call.call_id)
    if not call.greeted:
        call.greeted = True
        minutes = max(1, math.ceil(run.expected_wait_s / 60.0))
        # Queued apps on a parked leg run one after another; sendmsg, never uuid_broadcast,
        # because a leg that got a broadcast can no longer be bridged (see the fixtures).
        if cfg.greeting_sound:
            out.append(Execute(call.call_id, "playback", cfg.greeting_sound))
        if cfg.wait_sound:
            out.append(Execute(call.call_id, "playback", cfg.wait_sound))
            out.append(Execute(call.call_id, "say", f"ru TIME_MEASUREMENT pronounced {minutes * 60}"))
        if cfg.hold_music:
            out.append(Execute(call.call_id, "playback", cfg.hold_music))
        out.append(Publish("queued", {"call_id": call.call_id, "campaign_id": call.campaign_id,
                                      "expected_wait_min": minutes}))
    call_changed(call, out)


def dispatch_queue(st: EngineState, now: float, out: list[Command]) -> None:
    """Connect queued customers, oldest first, as soon as a suitable operator is free."""
    for call_id in list(st.queue):
        call = st.calls.get(call_id)
        if call is None or call.state is not CallState.QUEUED:
            st.queue.remove(call_id)
            continue
        slot = choose_operator(st, call)
        if slot is not None:
            connect(st, call, slot, now, out)


def unclaim(st: EngineState, slot: OperatorSlot, now: float, out: list[Command]) -> None:
    """The call this operator was claimed for is gone before the bridge: the operator is free
    again at once (there is nothing to wrap up), and a direct-mode phone stops ringing."""
    slot.call_id = None
    if slot.mode == "direct" and slot.leg is not None:
        st.direct_legs.pop(slot.leg, None)
        out.append(Api(uuid_kill(slot.leg)))
        slot.leg = None
    if slot.state is OperatorState.RINGING:
        slot.apply(OperatorEvent.CALL_ENDED, now)
        slot.apply(OperatorEvent.WRAP_UP_DONE, now, "no_connect")
