"""Operator and supervisor actions (R5.1, R5.6, R7.3, R7.5, R8.2) on the pure state."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Mapping
from dataclasses import replace
from typing import Literal

from fs_app.calls.call_states import CallEvent, CallState
from fs_app.calls.causes import SystemCode
from fs_app.calls.operator_states import Operator, OperatorEvent, OperatorState
from fs_app.engine.commands import Api, Command, OriginateLeg, Publish
from fs_app.engine.dialing import dial
from fs_app.engine.flow import end_for_operator
from fs_app.engine.lifecycle import close_call, machine_handled, operator_changed, record
from fs_app.engine.ports import OperatorMode
from fs_app.engine.routing import dispatch_queue
from fs_app.engine.state import Call, EngineState, OperatorSlot
from fs_app.esl.commands import (
    Originate,
    operator_login_originate,
    uuid_bridge,
    uuid_hold,
    uuid_kill,
    uuid_recv_dtmf,
    uuid_transfer,
)

EavesdropMode = Literal["listen", "whisper", "barge"]
# The digits mod_eavesdrop listens for on the supervisor's leg (see the eavesdrop fixture).
EAVESDROP_DTMF: Mapping[str, str] = {"listen": "0", "whisper": "2", "barge": "3"}


class ControlError(ValueError):
    """An action that does not apply now (unknown operator, no call, wrong state)."""


def _slot(st: EngineState, operator_id: str) -> OperatorSlot:
    slot = st.operators.get(operator_id)
    if slot is None:
        raise ControlError(f"operator {operator_id!r} is not logged in")
    return slot


def _talking_call(st: EngineState, operator_id: str) -> tuple[OperatorSlot, Call]:
    slot = _slot(st, operator_id)
    call = st.calls.get(slot.call_id or "")
    if call is None or call.state not in (CallState.TALKING, CallState.ON_HOLD):
        raise ControlError(f"operator {operator_id!r} has no call in progress")
    return slot, call


def login(st: EngineState, operator_id: str, now: float, out: list[Command], *, mode: OperatorMode = "nailed",
          endpoint: str = "", skills: Mapping[str, int] | None = None, campaigns: frozenset[int] = frozenset(),
          ready: bool = False) -> None:
    slot = st.operators.get(operator_id)
    if slot is None:
        slot = OperatorSlot(operator_id, Operator(), idle_since=now)
        st.operators[operator_id] = slot
    slot.mode, slot.endpoint = mode, endpoint
    slot.skills, slot.campaigns = dict(skills or {}), campaigns
    if slot.state is OperatorState.LOGGED_OUT:
        slot.apply(OperatorEvent.LOGIN, now)
    if mode == "nailed" and endpoint and slot.leg is None:
        # Technical call (R5.6): the engine calls the phone once and keeps the leg parked.
        leg = str(uuidlib.uuid4())
        out.append(OriginateLeg(operator_login_originate(uuid=leg, endpoint=endpoint, operator_id=operator_id)))
    if ready and slot.state is OperatorState.NOT_READY:
        slot.apply(OperatorEvent.SET_READY, now)
    operator_changed(slot, out)
    dispatch_queue(st, now, out)


def set_state(st: EngineState, operator_id: str, event: OperatorEvent, now: float, out: list[Command]) -> None:
    """Ready / Not ready / Logout, from the operator or a supervisor: after the call if busy (R8.2)."""
    slot = _slot(st, operator_id)
    if slot.state is OperatorState.READY and slot.call_id is not None:
        slot.op = replace(slot.op, pending=event)  # claimed for a call being bridged: after that call
    else:
        slot.op = slot.op.supervisor(event, now)
    _after_change(st, slot, now, out)


def _after_change(st: EngineState, slot: OperatorSlot, now: float, out: list[Command]) -> None:
    if slot.state is OperatorState.READY:
        slot.idle_since = now
    if slot.state is OperatorState.LOGGED_OUT:
        if slot.leg is not None:
            st.legs.pop(slot.leg, None)
            out.append(Api(uuid_kill(slot.leg)))
        operator_changed(slot, out)
        del st.operators[slot.operator_id]
        return
    operator_changed(slot, out)
    dispatch_queue(st, now, out)


def finish_wrap_up(st: EngineState, slot: OperatorSlot, code: str, now: float, out: list[Command], *,
                   timed_out: bool = False) -> None:
    call = st.wrapping.pop(slot.wrap_call or "", None)
    slot.wrap_call = None
    if call is not None:
        if call.state is CallState.WRAP_UP:
            call.move(CallEvent.WRAPPED_UP, now)
        record(call, code, out)
        if call.campaign_id in st.campaigns and call.ended_at is not None:
            st.campaigns[call.campaign_id].pacer.observe_wrap(now - call.ended_at, now, machine_handled(call))
    out.append(Publish("wrap_up", {"operator_id": slot.operator_id, "code": code, "timed_out": timed_out}))
    _after_change(st, slot, now, out)


def wrap_up(st: EngineState, operator_id: str, code: str, now: float, out: list[Command]) -> None:
    slot = _slot(st, operator_id)
    if slot.state is not OperatorState.WRAP_UP:
        raise ControlError(f"operator {operator_id!r} is not in wrap-up")
    slot.apply(OperatorEvent.WRAP_UP_DONE, now, code)
    finish_wrap_up(st, slot, code, now, out)


def preview_accept(st: EngineState, operator_id: str, now: float, out: list[Command]) -> None:
    slot = _slot(st, operator_id)
    call = st.previews.pop(operator_id, None)
    if call is None or slot.state is not OperatorState.RESERVED:
        raise ControlError(f"operator {operator_id!r} has no preview card")
    slot.apply(OperatorEvent.PREVIEW_ACCEPT, now)
    slot.preview_deadline = None
    operator_changed(slot, out)
    run = st.campaigns[call.campaign_id]
    dial(st, run, [call.target], now, out, lambda: call.call_id, call=call)


def preview_reject(st: EngineState, operator_id: str, code: str, now: float, out: list[Command]) -> None:
    slot = _slot(st, operator_id)
    call = st.previews.pop(operator_id, None)
    if call is None or slot.state is not OperatorState.RESERVED:
        raise ControlError(f"operator {operator_id!r} has no preview card")
    if not code:
        raise ControlError("rejecting a preview card needs a completion code")
    slot.apply(OperatorEvent.PREVIEW_REJECT, now)
    slot.apply(OperatorEvent.WRAP_UP_DONE, now, code)
    slot.call_id, slot.preview_deadline = None, None
    call.code, call.ended_at, call.state = SystemCode.PREVIEW_REJECTED.value, now, CallState.DONE
    call.operator_id = operator_id
    record(call, code, out)
    _after_change(st, slot, now, out)


def hold(st: EngineState, operator_id: str, on: bool, out: list[Command]) -> None:
    _, call = _talking_call(st, operator_id)
    out.append(Api(uuid_hold(call.call_id, off=not on)))  # CHANNEL_HOLD / UNHOLD move the states


def end_call(st: EngineState, operator_id: str, now: float, out: list[Command]) -> None:
    """The operator ends the call: the quality survey for the strategy's share, else hang up (R5.11)."""
    _, call = _talking_call(st, operator_id)
    cfg = st.campaigns[call.campaign_id].config
    run = st.campaigns[call.campaign_id]
    if cfg.quality_ivr and run.rng.random() * 100 < cfg.quality_percent:
        _to_ivr(st, operator_id, cfg.quality_ivr, now, out)
    else:
        out.append(Api(uuid_kill(call.call_id)))  # CHANNEL_HANGUP_COMPLETE starts the wrap-up


def transfer(st: EngineState, operator_id: str, now: float, out: list[Command], *, to_operator: str | None = None,
             to_ivr: str | None = None) -> None:
    slot, call = _talking_call(st, operator_id)
    if to_ivr:
        _to_ivr(st, operator_id, to_ivr, now, out)
        return
    target = _slot(st, to_operator or "")
    if not target.free() or target.mode != "nailed" or target.leg is None:
        raise ControlError(f"operator {to_operator!r} cannot take a call now")
    target.call_id = call.call_id
    out.append(Api(uuid_bridge(call.call_id, target.leg)))
    end_for_operator(st, slot, call, now, out)
    slot.wrap_call = None  # the call goes on with the new operator, whose code is the result
    call.operator_id = target.operator_id
    out.append(Publish("transfer", {"call_id": call.call_id, "from": operator_id, "to": to_operator}))


def _to_ivr(st: EngineState, operator_id: str, extension: str, now: float, out: list[Command]) -> None:
    slot, call = _talking_call(st, operator_id)
    cfg = st.campaigns[call.campaign_id].config
    out.append(Api(uuid_transfer(call.call_id, extension, cfg.context)))
    if call.state is CallState.ON_HOLD:
        call.move(CallEvent.UNHOLD, now)
    call.move(CallEvent.TRANSFER_IVR, now)
    close_call(st, call, SystemCode.ANSWERED_HUMAN.value, now, out, await_operator=True)
    end_for_operator(st, slot, call, now, out)


def eavesdrop(st: EngineState, supervisor_id: str, endpoint: str, operator_id: str, mode: EavesdropMode,
              out: list[Command]) -> str:
    slot = _slot(st, operator_id)
    if slot.leg is None:
        raise ControlError(f"operator {operator_id!r} has no leg to listen to")
    leg = str(uuidlib.uuid4())
    st.supervisors[leg] = (supervisor_id, "eavesdrop", operator_id)
    variables: dict[str, str | int | bool] = {"dialer_role": "supervisor", "dialer_supervisor": supervisor_id,
                                              "eavesdrop_enable_dtmf": True}
    if mode == "whisper":
        variables["eavesdrop_whisper_aleg"] = True
    elif mode == "barge":
        variables["eavesdrop_bridge_aleg"] = True
        variables["eavesdrop_bridge_bleg"] = True
    out.append(OriginateLeg(Originate(leg, endpoint, f"&eavesdrop({slot.leg})", variables)))
    return leg


def eavesdrop_mode(st: EngineState, supervisor_id: str, mode: EavesdropMode, out: list[Command]) -> None:
    legs = [u for u, (sid, purpose, _) in st.supervisors.items() if sid == supervisor_id and purpose == "eavesdrop"]
    if not legs:
        raise ControlError(f"supervisor {supervisor_id!r} is not listening to a call")
    for leg in legs:
        out.append(Api(uuid_recv_dtmf(leg, EAVESDROP_DTMF[mode])))


def take_over(st: EngineState, supervisor_id: str, endpoint: str, operator_id: str, out: list[Command]) -> str:
    _, call = _talking_call(st, operator_id)
    leg = str(uuidlib.uuid4())
    st.supervisors[leg] = (supervisor_id, "takeover", call.call_id)
    out.append(OriginateLeg(Originate(leg, endpoint, "&park()", {
        "dialer_role": "supervisor", "dialer_supervisor": supervisor_id, "sip_auto_answer": True})))
    return leg
