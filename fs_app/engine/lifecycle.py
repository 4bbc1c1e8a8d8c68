"""Ending calls and recording results: the one place a call leaves the engine's books."""

from __future__ import annotations

import logging

from fs_app.calls.call_states import CallState
from fs_app.engine.abandons import Attempt
from fs_app.engine.commands import Command, Publish, RecordResult, SetLive, UpdateAttempt
from fs_app.engine.ports import AttemptResult
from fs_app.engine.state import Call, EngineState, OperatorSlot

log = logging.getLogger("dialer.engine")


def wait_ms(call: Call) -> int | None:
    if call.ready_at is None or call.connected_at is None:
        return None
    return max(0, round((call.connected_at - call.ready_at) * 1000))


def result_of(call: Call, operator_code: str | None = None) -> AttemptResult:
    t = call.target
    return AttemptResult(
        call_id=call.call_id, campaign_id=call.campaign_id, contact_id=t.contact_id, lease_id=t.lease_id,
        phone=t.number_e164, phone_field=t.phone_field, system_code=call.code or "network_failure",
        operator_code=operator_code, operator_id=call.operator_id, connector=call.connector,
        hangup_cause=call.hangup_cause, sip_status=call.sip_status, amd_verdict=call.amd_verdict,
        started_at=call.started_at, answered_at=call.answered_at, connected_at=call.connected_at,
        ended_at=call.ended_at, wait_to_operator_ms=wait_ms(call),
    )


def attempt_of(call: Call) -> Attempt:
    """The call as abandon accounting reads it: the same columns the attempt row gets."""
    return Attempt(call.campaign_id, call.answered_at, call.connected_at, wait_ms(call), call.amd_verdict, call.code)


def live_call(call: Call) -> dict[str, object]:
    return {"call_id": call.call_id, "campaign_id": call.campaign_id, "contact_id": call.target.contact_id,
            "phone": call.target.number_e164, "state": call.state.value, "since": call.since,
            "operator_id": call.operator_id, "connector": call.connector}


def call_changed(call: Call, out: list[Command]) -> None:
    out.append(SetLive(("engine", "call", call.call_id), live_call(call)))
    out.append(Publish("call", live_call(call)))


def release_port(st: EngineState, call: Call) -> None:
    conn = st.connectors.get(call.connector)
    if conn is not None and conn.active > 0:
        conn.active -= 1


# AMD verdicts the pacer's lever may send to an operator: the ones a person can be misheard as.
LEVER_VERDICTS = frozenset({"machine", "robot"})


def machine_handled(call: Call) -> bool:
    """A machine verdict the pacer's AMD lever sent to an operator. The pacer learns its seconds-long
    handling apart from people's calls: mixed in, it made the forecast believe operators come free within
    seconds, and the first dials after the lever turned back on were a burst of abandons."""
    return (call.amd_verdict or "") in LEVER_VERDICTS


def close_call(st: EngineState, call: Call, code: str, now: float, out: list[Command], *,
               await_operator: bool = False) -> None:
    """The customer leg is gone (or left our control): write the row; the result goes to the sink
    now, or after the operator's wrap-up when ``await_operator``."""
    if call.code is None or call.state is not CallState.WRAP_UP:
        call.code = code
    call.ended_at = call.ended_at or now
    st.calls.pop(call.call_id, None)
    if call.call_id in st.queue:
        st.queue.remove(call.call_id)
    release_port(st, call)
    run = st.campaigns.get(call.campaign_id)
    if run is not None and call.answered_at is not None:
        # Everything abandon accounting needs is final now (a wrap-up only adds the operator's code).
        run.abandons.add(attempt_of(call), now)
    if run is not None and call.connected_at is not None:
        # The predictive forecast of when busy operators come free needs real talk times, not its prior.
        run.pacer.observe_talk(max(0.0, call.ended_at - call.connected_at), now, machine_handled(call))
    out.append(UpdateAttempt(call.call_id, {
        "state": call.state.value, "ended_at": call.ended_at, "code": call.code,
        "hangup_cause": call.hangup_cause, "sip_status": call.sip_status, "amd_verdict": call.amd_verdict,
        "operator_id": call.operator_id, "wait_to_operator_ms": wait_ms(call),
        "answered_at": call.answered_at, "connected_at": call.connected_at,
    }))
    out.append(SetLive(("engine", "call", call.call_id), None))
    out.append(Publish("call_ended", {**live_call(call), "code": call.code}))
    if await_operator:
        st.wrapping[call.call_id] = call
    else:
        record(call, None, out)


def record(call: Call, operator_code: str | None, out: list[Command]) -> None:
    if call.recorded:
        return
    call.recorded = True
    if operator_code is not None:
        out.append(UpdateAttempt(call.call_id, {"operator_code": operator_code, "state": call.state.value}))
    out.append(RecordResult(result_of(call, operator_code)))


def operator_changed(slot: OperatorSlot, out: list[Command]) -> None:
    data = {"operator_id": slot.operator_id, "state": slot.state.value, "since": slot.op.since,
            "mode": slot.mode, "leg": slot.leg, "call_id": slot.call_id or slot.wrap_call,
            "pending": slot.op.pending.value if slot.op.pending else None,
            "wrap_up_deadline": slot.op.wrap_up_deadline}
    out.append(SetLive(("engine", "operator", slot.operator_id), data))
    out.append(Publish("operator", data))
