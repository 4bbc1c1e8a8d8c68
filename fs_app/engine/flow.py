"""Switch events -> call and operator transitions (the customer leg's life, issue #5 item 2-4)."""

from __future__ import annotations

import logging
from dataclasses import replace

from fs_app.calls.call_states import CallEvent, CallState
from fs_app.calls.causes import SystemCode, code_for_failure, code_for_job_error
from fs_app.calls.fsm import IllegalTransition
from fs_app.calls.operator_states import OperatorEvent, OperatorState
from fs_app.engine.backoff import connector_failed, connector_ok
from fs_app.engine.commands import Api, Command, StartAmd, StopAmd, UpdateAttempt
from fs_app.engine.lifecycle import call_changed, close_call, operator_changed
from fs_app.engine.routing import connect, dispatch_queue, enqueue, route_ready, unclaim
from fs_app.engine.state import Call, EngineState, OperatorSlot
from fs_app.esl.commands import uuid_break, uuid_bridge
from fs_app.esl.events import Event

log = logging.getLogger("dialer.engine")

_PRE_ANSWER = (CallState.DIALING, CallState.RINGING, CallState.EARLY_MEDIA)
_WAITING = (CallState.ANSWERED, CallState.DETECTING, CallState.HUMAN, CallState.QUEUED, CallState.CONNECTING)
# Job errors that come with no channel at all: the node or the gateway refused, not the number.
NODE_ERRORS = frozenset({"INVALID_GATEWAY", "DESTINATION_OUT_OF_ORDER", "NORMAL_CIRCUIT_CONGESTION",
                         "GATEWAY_DOWN", "SWITCH_CONGESTION", "INVALID_ARGS", "CHAN_NOT_IMPLEMENTED"})


def on_event(st: EngineState, ev: Event, now: float, out: list[Command]) -> None:
    name = ev.name
    if name == "BACKGROUND_JOB":
        _on_job(st, ev, now, out)
        return
    uuid = ev.uuid
    call = st.calls.get(uuid)
    if call is not None:
        _on_customer(st, call, ev, now, out)
        return
    if uuid in st.legs or ev.var("dialer_role") == "agent":
        _on_nailed_leg(st, ev, now, out)
    elif uuid in st.direct_legs:
        _on_direct_leg(st, ev, now, out)
    elif uuid in st.supervisors:
        _on_supervisor_leg(st, ev, now, out)
    # Anything else (other tenants' channels, unknown event names) is none of our business.


def _move(call: Call, event: CallEvent, now: float) -> bool:
    try:
        call.move(event, now)
    except IllegalTransition:
        log.debug("call %s: %s ignored in %s", call.call_id, event.value, call.state.value)
        return False
    return True


def _on_customer(st: EngineState, call: Call, ev: Event, now: float, out: list[Command]) -> None:
    name = ev.name
    if name == "CHANNEL_CREATE":
        call.channel_seen = True
    elif name == "CHANNEL_PROGRESS":
        call.channel_seen = True
        if _move(call, CallEvent.PROGRESS, now):
            call_changed(call, out)
    elif name == "CHANNEL_PROGRESS_MEDIA":
        if _move(call, CallEvent.PROGRESS_MEDIA, now):
            call_changed(call, out)
    elif name == "CHANNEL_ANSWER":
        if _move(call, CallEvent.ANSWER, now):
            call.answered_at = now
            conn = st.connectors.get(call.connector)
            if conn is not None:
                connector_ok(conn)
            out.append(UpdateAttempt(call.call_id, {"state": call.state.value, "answered_at": now}))
            call_changed(call, out)
    elif name == "CHANNEL_PARK":
        # Media commands (unicast, playback) and bridges go to a parked leg: with
        # ignore_early_media=consume the park runs right after the answer.
        if call.state is CallState.ANSWERED and call.ready_at is None:
            run = st.campaigns[call.campaign_id]
            if run.config.amd:
                call.move(CallEvent.DETECT, now)
                out.append(StartAmd(call.call_id))
                call_changed(call, out)
            else:
                run.pacer.observe_dial(now - call.started_at, True, now)
                route_ready(st, call, now, out)
    elif name == "CHANNEL_BRIDGE":
        _bridged(st, call, ev, now, out)
    elif name in ("CHANNEL_HOLD", "CHANNEL_UNHOLD"):
        hold = name == "CHANNEL_HOLD"
        if _move(call, CallEvent.HOLD if hold else CallEvent.UNHOLD, now):
            slot = st.operators.get(call.operator_id or "")
            if slot is not None and slot.state in (OperatorState.TALKING, OperatorState.ON_HOLD):
                slot.apply(OperatorEvent.HOLD if hold else OperatorEvent.UNHOLD, now)
                operator_changed(slot, out)
            call_changed(call, out)
    elif name == "CHANNEL_HANGUP_COMPLETE":
        call.hangup_cause = ev.get("Hangup-Cause")
        call.sip_status = ev.var("sip_term_status")
        customer_gone(st, call, now, out)


def _bridged(st: EngineState, call: Call, ev: Event, now: float, out: list[Command]) -> None:
    slot = st.operators.get(call.operator_id or "")
    if call.state is CallState.CONNECTING:
        call.move(CallEvent.BRIDGED, now)
        call.connected_at = now
        wait = (now - call.ready_at) if call.ready_at is not None else 0.0
        st.campaigns[call.campaign_id].pacer.observe_customer(wait, now)
        out.append(UpdateAttempt(call.call_id, {
            "state": call.state.value, "connected_at": now, "operator_id": call.operator_id,
            "wait_to_operator_ms": round(wait * 1000),
        }))
    if slot is not None and slot.state in (OperatorState.READY, OperatorState.RESERVED, OperatorState.RINGING):
        slot.apply(OperatorEvent.CONNECTED, now)
        operator_changed(slot, out)
    call_changed(call, out)


def customer_gone(st: EngineState, call: Call, now: float, out: list[Command]) -> None:
    """The customer leg hung up (or vanished while we were disconnected)."""
    state = call.state
    run = st.campaigns.get(call.campaign_id)
    if state in _PRE_ANSWER:
        call.move(CallEvent.HANGUP, now)
        if run is not None:
            run.pacer.observe_dial(now - call.started_at, False, now)
        close_call(st, call, code_for_failure(call.hangup_cause, call.sip_status).value, now, out)
        _release_preview(st, call, now, out)
        return
    if state is CallState.DETECTING:
        out.append(StopAmd(call.call_id))
    if state in _WAITING:
        slot = st.operators.get(call.operator_id or "")
        if slot is not None and slot.call_id == call.call_id:
            unclaim(st, slot, now, out)
            operator_changed(slot, out)
        if run is not None and call.ready_at is not None:
            run.pacer.observe_customer(None, now)
        call.move(CallEvent.HANGUP, now)
        close_call(st, call, SystemCode.ABANDONED_QUEUE.value, now, out)
        dispatch_queue(st, now, out)
        return
    if state in (CallState.MACHINE, CallState.ROBOT):
        call.move(CallEvent.HANGUP, now)
        close_call(st, call, call.code or SystemCode.ANSWERING_MACHINE.value, now, out)
        return
    if state in (CallState.TALKING, CallState.ON_HOLD):
        call.move(CallEvent.HANGUP, now)
        slot = st.operators.get(call.operator_id or "")
        close_call(st, call, SystemCode.ANSWERED_HUMAN.value, now, out, await_operator=slot is not None)
        if slot is not None:
            end_for_operator(st, slot, call, now, out)
        return
    st.calls.pop(call.call_id, None)


def end_for_operator(st: EngineState, slot: OperatorSlot, call: Call, now: float, out: list[Command]) -> None:
    """The operator's part of the call is over: wrap-up with the strategy's time limit."""
    cfg = st.campaigns[call.campaign_id].config if call.campaign_id in st.campaigns else None
    if cfg is not None:
        slot.op = replace(slot.op, wrap_up_limit_s=cfg.wrap_up_s, default_code=cfg.default_code)
    if slot.state in (OperatorState.TALKING, OperatorState.ON_HOLD, OperatorState.RINGING):
        slot.apply(OperatorEvent.CALL_ENDED, now)
    slot.call_id = None
    slot.wrap_call = call.call_id
    if slot.mode == "direct":
        slot.leg = None
    operator_changed(slot, out)


def _release_preview(st: EngineState, call: Call, now: float, out: list[Command]) -> None:
    slot = st.operators.get(call.preview_operator or "")
    if slot is not None and slot.call_id == call.call_id:
        unclaim(st, slot, now, out)
        operator_changed(slot, out)
        dispatch_queue(st, now, out)


def _on_job(st: EngineState, ev: Event, now: float, out: list[Command]) -> None:
    job = ev.job_uuid
    body = ev.body
    call = st.calls.get(job)
    if call is not None:
        if body.startswith("+OK") or call.state not in _PRE_ANSWER:
            return
        cause = body.strip().removeprefix("-ERR").strip()
        conn = st.connectors.get(call.connector)
        if not call.channel_seen and cause in NODE_ERRORS and conn is not None:
            connector_failed(conn, cause, now, out)
        call.hangup_cause = cause
        call.move(CallEvent.ORIGINATE_FAILED, now)
        run = st.campaigns.get(call.campaign_id)
        if run is not None:
            run.pacer.observe_dial(now - call.started_at, False, now)
        close_call(st, call, code_for_job_error(body).value, now, out)
        _release_preview(st, call, now, out)
        return
    if job in st.direct_legs and not body.startswith("+OK"):
        _direct_failed(st, job, now, out)
    elif job in st.supervisors and not body.startswith("+OK"):
        st.supervisors.pop(job, None)


def _on_nailed_leg(st: EngineState, ev: Event, now: float, out: list[Command]) -> None:
    uuid = ev.uuid
    if ev.name in ("CHANNEL_PARK", "CHANNEL_ANSWER") and uuid not in st.legs:
        op_id = ev.var("dialer_operator")
        slot = st.operators.get(op_id)
        if slot is None or slot.mode != "nailed":
            return  # a softphone of an operator who is not logged in to the engine
        if slot.leg is not None and slot.leg != uuid:
            st.legs.pop(slot.leg, None)
        slot.leg = uuid
        st.legs[uuid] = op_id
        log.info("operator %s: nailed-up leg %s", op_id, uuid)
        operator_changed(slot, out)
        dispatch_queue(st, now, out)
    elif ev.name == "CHANNEL_HANGUP_COMPLETE":
        op_id = st.legs.pop(uuid, "")
        slot = st.operators.get(op_id)
        if slot is not None and slot.leg == uuid:
            slot.leg = None
            if slot.call_id is not None and slot.state is OperatorState.READY:
                call = st.calls.get(slot.call_id)
                unclaim(st, slot, now, out)
                if call is not None and call.state is CallState.CONNECTING:
                    call.move(CallEvent.ENQUEUE, now)
                    st.queue.insert(0, call.call_id)
                    call.operator_id = None
                    dispatch_queue(st, now, out)
            operator_changed(slot, out)


def _on_direct_leg(st: EngineState, ev: Event, now: float, out: list[Command]) -> None:
    call_id = st.direct_legs[ev.uuid]
    call = st.calls.get(call_id)
    if ev.name == "CHANNEL_PARK" and call is not None and call.state is CallState.CONNECTING:
        out.append(Api(uuid_break(call.call_id)))
        out.append(Api(uuid_bridge(call.call_id, ev.uuid)))
    elif ev.name == "CHANNEL_BRIDGE" and call is not None:
        _bridged(st, call, ev, now, out)
    elif ev.name == "CHANNEL_HANGUP_COMPLETE":
        if call is not None and call.state is CallState.CONNECTING:
            _direct_failed(st, ev.uuid, now, out)
        else:
            st.direct_legs.pop(ev.uuid, None)


def _direct_failed(st: EngineState, leg: str, now: float, out: list[Command]) -> None:
    """The operator's phone did not answer: the operator becomes not ready, the customer waits."""
    call_id = st.direct_legs.pop(leg, "")
    call = st.calls.get(call_id)
    slot = st.operators.get(call.operator_id or "") if call is not None else None
    if slot is not None:
        slot.call_id, slot.leg = None, None
        if slot.state is OperatorState.RINGING:
            slot.apply(OperatorEvent.NO_ANSWER, now)
        operator_changed(slot, out)
    if call is not None and call.state is CallState.CONNECTING:
        call.operator_id = None
        enqueue(st, call, now, out)
        dispatch_queue(st, now, out)


def _on_supervisor_leg(st: EngineState, ev: Event, now: float, out: list[Command]) -> None:
    sup_id, purpose, ref = st.supervisors[ev.uuid]
    if purpose == "takeover" and ev.name == "CHANNEL_PARK":
        call = st.calls.get(ref)
        if call is not None and call.state in (CallState.TALKING, CallState.ON_HOLD):
            out.append(Api(uuid_bridge(call.call_id, ev.uuid)))
            slot = st.operators.get(call.operator_id or "")
            call.operator_id = f"supervisor:{sup_id}"
            if slot is not None:
                end_for_operator(st, slot, call, now, out)
                dispatch_queue(st, now, out)
    elif ev.name == "CHANNEL_HANGUP_COMPLETE":
        st.supervisors.pop(ev.uuid, None)


__all__ = ["connect", "customer_gone", "end_for_operator", "on_event"]
