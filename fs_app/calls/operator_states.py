"""Operator states (R5.6, R7.3, R8.2) as a transition table, plus the pure wrap-up/supervisor rules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import Enum

from fs_app.calls.fsm import IllegalTransition, TransitionTable


class OperatorState(Enum):
    LOGGED_OUT = "logged_out"
    NOT_READY = "not_ready"
    READY = "ready"
    RESERVED = "reserved"  # preview card shown, call not yet placed
    RINGING = "ringing"  # direct mode: the operator's phone rings
    TALKING = "talking"
    ON_HOLD = "on_hold"
    WRAP_UP = "wrap_up"


class OperatorEvent(Enum):
    LOGIN = "login"
    LOGOUT = "logout"
    SET_READY = "set_ready"
    SET_NOT_READY = "set_not_ready"
    RESERVE = "reserve"  # preview
    PREVIEW_ACCEPT = "preview_accept"  # dial now
    PREVIEW_REJECT = "preview_reject"
    RING = "ring"  # direct mode originate to the operator's phone
    CONNECTED = "connected"  # bridged to the customer
    NO_ANSWER = "no_answer"  # the operator did not pick up (direct mode)
    HOLD = "hold"
    UNHOLD = "unhold"
    CALL_ENDED = "call_ended"
    WRAP_UP_DONE = "wrap_up_done"  # completion code submitted
    WRAP_UP_TIMEOUT = "wrap_up_timeout"  # default code applied


Op, Ev = OperatorState, OperatorEvent
_TABLE: dict[tuple[OperatorState, OperatorEvent], OperatorState] = {
    (Op.LOGGED_OUT, Ev.LOGIN): Op.NOT_READY,
    (Op.NOT_READY, Ev.SET_READY): Op.READY,
    (Op.NOT_READY, Ev.LOGOUT): Op.LOGGED_OUT,
    (Op.READY, Ev.SET_NOT_READY): Op.NOT_READY,
    (Op.READY, Ev.LOGOUT): Op.LOGGED_OUT,
    (Op.READY, Ev.RESERVE): Op.RESERVED,
    (Op.READY, Ev.RING): Op.RINGING,
    (Op.READY, Ev.CONNECTED): Op.TALKING,  # nailed-up: the customer is bridged straight in
    (Op.RESERVED, Ev.PREVIEW_ACCEPT): Op.RINGING,
    (Op.RESERVED, Ev.CONNECTED): Op.TALKING,
    (Op.RESERVED, Ev.PREVIEW_REJECT): Op.WRAP_UP,
    (Op.RINGING, Ev.CONNECTED): Op.TALKING,
    (Op.RINGING, Ev.NO_ANSWER): Op.NOT_READY,  # an operator who does not pick up is not ready
    (Op.RINGING, Ev.CALL_ENDED): Op.WRAP_UP,
    (Op.TALKING, Ev.HOLD): Op.ON_HOLD,
    (Op.ON_HOLD, Ev.UNHOLD): Op.TALKING,
    (Op.TALKING, Ev.CALL_ENDED): Op.WRAP_UP,
    (Op.ON_HOLD, Ev.CALL_ENDED): Op.WRAP_UP,
    (Op.WRAP_UP, Ev.WRAP_UP_DONE): Op.READY,
    (Op.WRAP_UP, Ev.WRAP_UP_TIMEOUT): Op.READY,
}
OPERATOR_TABLE: TransitionTable[OperatorState, OperatorEvent] = TransitionTable(_TABLE)
_BUSY = frozenset({Op.RESERVED, Op.RINGING, Op.TALKING, Op.ON_HOLD, Op.WRAP_UP})
_SUPERVISOR_EVENTS = frozenset({Ev.SET_READY, Ev.SET_NOT_READY, Ev.LOGOUT})


@dataclass(frozen=True)
class Operator:
    """One operator's state; pure: every method takes ``now`` and returns a new value."""

    state: OperatorState = Op.LOGGED_OUT
    since: float = 0.0
    wrap_up_deadline: float | None = None
    wrap_up_limit_s: float = 30.0
    default_code: str = "wrapup_timeout"
    pending: OperatorEvent | None = None  # supervisor change waiting for the call to end (R8.2)
    code: str | None = None  # the completion code of the last wrap-up

    def apply(self, event: OperatorEvent, now: float, code: str | None = None) -> Operator:
        nxt = OPERATOR_TABLE.next(self.state, event)
        deadline = now + self.wrap_up_limit_s if nxt is Op.WRAP_UP else None
        result = replace(self, state=nxt, since=now, wrap_up_deadline=deadline)
        if event is Ev.WRAP_UP_DONE:
            if not code:
                raise ValueError("a completion code is required to finish wrap-up")
            result = replace(result, code=code)
        elif event is Ev.WRAP_UP_TIMEOUT:
            result = replace(result, code=self.default_code)
        if nxt is Op.READY and self.pending is not None:
            after = OPERATOR_TABLE.next(Op.READY, self.pending) if self.pending is not Ev.SET_READY else Op.READY
            result = replace(result, state=after, pending=None)
        return result

    def supervisor(self, event: OperatorEvent, now: float) -> Operator:
        """Ready / Not ready / Logout from a supervisor: at once if idle, else after the call."""
        if event not in _SUPERVISOR_EVENTS:
            raise IllegalTransition(self.state, event)
        if self.state in _BUSY:
            return replace(self, pending=event)
        return self.apply(event, now)

    def tick(self, now: float) -> Operator:
        """Apply the wrap-up timeout (default code) once its deadline has passed."""
        if self.state is Op.WRAP_UP and self.wrap_up_deadline is not None and now >= self.wrap_up_deadline:
            return self.apply(Ev.WRAP_UP_TIMEOUT, now)
        return self
