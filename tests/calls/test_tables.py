from __future__ import annotations

import pytest

from fs_app.calls.call_states import CALL_TABLE, CallEvent, CallState
from fs_app.calls.causes import SystemCode, code_for_amd, code_for_failure, code_for_job_error
from fs_app.calls.fsm import IllegalTransition
from fs_app.calls.operator_states import Operator, OperatorEvent, OperatorState
from tests.esl.fixtures import FIXTURES
from tests.switchsim.compare import real_events

C, V = CallState, CallEvent


def run(events: list[CallEvent]) -> CallState:
    state = C.DIALING
    for event in events:
        state = CALL_TABLE.next(state, event)
    return state


def test_happy_path_to_done() -> None:
    assert run([V.PROGRESS, V.ANSWER, V.DETECT, V.DETECTED_HUMAN, V.ENQUEUE, V.CONNECT, V.BRIDGED,
                V.HOLD, V.UNHOLD, V.HANGUP, V.WRAPPED_UP]) is C.DONE


def test_failures_and_machines() -> None:
    assert run([V.PROGRESS, V.ORIGINATE_FAILED]) is C.FAILED
    assert run([V.PROGRESS_MEDIA, V.ANSWER, V.DETECT, V.DETECTED_MACHINE, V.HANGUP]) is C.DONE
    assert run([V.ANSWER, V.ENQUEUE, V.HANGUP]) is C.DONE  # abandoned in the queue


def test_illegal_call_transition_raises_and_changes_nothing() -> None:
    state = C.DIALING
    with pytest.raises(IllegalTransition):
        state = CALL_TABLE.next(state, V.BRIDGED)
    assert state is C.DIALING
    for terminal in (C.DONE, C.FAILED):
        assert CALL_TABLE.allowed(terminal) == set()


def test_operator_cycle_with_wrap_up_timeout_default_code() -> None:
    op = Operator().apply(OperatorEvent.LOGIN, 0).apply(OperatorEvent.SET_READY, 1)
    op = op.apply(OperatorEvent.CONNECTED, 2).apply(OperatorEvent.CALL_ENDED, 10)
    assert op.state is OperatorState.WRAP_UP and op.wrap_up_deadline == 40
    assert op.tick(39).state is OperatorState.WRAP_UP
    done = op.tick(40)
    assert done.state is OperatorState.READY and done.code == "wrapup_timeout"


def test_wrap_up_needs_a_code() -> None:
    op = Operator(state=OperatorState.WRAP_UP)
    with pytest.raises(ValueError):
        op.apply(OperatorEvent.WRAP_UP_DONE, 5)
    assert op.apply(OperatorEvent.WRAP_UP_DONE, 5, code="sale").code == "sale"


def test_supervisor_change_applies_after_the_call() -> None:
    talking = Operator(state=OperatorState.TALKING)
    pending = talking.supervisor(OperatorEvent.SET_NOT_READY, 3)
    assert pending.state is OperatorState.TALKING and pending.pending is OperatorEvent.SET_NOT_READY
    after = pending.apply(OperatorEvent.CALL_ENDED, 4).apply(OperatorEvent.WRAP_UP_DONE, 5, code="x")
    assert after.state is OperatorState.NOT_READY and after.pending is None
    idle = Operator(state=OperatorState.READY).supervisor(OperatorEvent.LOGOUT, 1)
    assert idle.state is OperatorState.LOGGED_OUT


def test_illegal_operator_transition_raises_and_changes_nothing() -> None:
    op = Operator()
    with pytest.raises(IllegalTransition):
        op.apply(OperatorEvent.CONNECTED, 1)
    assert op.state is OperatorState.LOGGED_OUT


@pytest.mark.parametrize(
    ("name", "code"),
    [("busy_486", SystemCode.BUSY), ("unallocated_404", SystemCode.UNALLOCATED),
     ("no_user_response_480", SystemCode.NO_ANSWER), ("rejected_603", SystemCode.REJECTED),
     ("temp_failure_503", SystemCode.NETWORK_FAILURE), ("no_answer_timeout", SystemCode.NO_ANSWER)],
)
def test_causes_against_fixtures(name: str, code: SystemCode) -> None:
    events = real_events(FIXTURES / f"{name}.esl")
    hc = next(e for e in events if e.name == "CHANNEL_HANGUP_COMPLETE")
    assert code_for_failure(hc.get("Hangup-Cause"), hc.var("sip_term_status")) is code
    job = next(e for e in events if e.name == "BACKGROUND_JOB")
    assert code_for_job_error(job.body) is code


def test_job_errors_without_channels() -> None:
    for name, code in (("invalid_gateway", SystemCode.INVALID_GATEWAY),
                       ("throttled", SystemCode.NETWORK_FAILURE)):
        job = next(e for e in real_events(FIXTURES / f"{name}.esl") if e.name == "BACKGROUND_JOB")
        assert code_for_job_error(job.body) is code


def test_early_media_answered_call_is_not_a_failure_code_and_amd() -> None:
    events = real_events(FIXTURES / "early_media_consume_then_answer.esl")
    assert any(e.name == "CHANNEL_ANSWER" for e in events)
    assert code_for_amd("human") is SystemCode.ANSWERED_HUMAN
    assert code_for_amd("machine") is SystemCode.ANSWERING_MACHINE
    assert code_for_amd("robot") is SystemCode.ROBOT
    with pytest.raises(ValueError):
        code_for_amd("martian")
