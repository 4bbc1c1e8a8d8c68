"""Call-result rule chains: validation, the stored form and the evaluator's invariants."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.campaigns.rules import (
    Action,
    AttemptState,
    Finish,
    MoveToList,
    Retry,
    RuleError,
    SendMessage,
    StrategyRules,
    WebRequest,
    next_actions,
    parse_rules,
    reply_actions,
    rules_to_json,
)

CODES = ["busy", "no_answer", "answering_machine", "rejected"]

DOC: dict[str, Any] = {
    "interval_seconds": 600,
    "working": [
        {
            "code": "busy",
            "attempts_previous": 3,
            "interval_seconds": 300,
            "actions": [
                {"type": "retry", "field": "phone2"},
                {"type": "web_request", "url": "https://crm.example/busy?id={id}"},
                {"type": "sms", "template_id": 4, "field": "phone", "wait_reply": True},
                {"type": "move", "list_id": 9000000000},
            ],
        },
        {"code": "no_answer", "actions": [{"type": "retry", "after_seconds": 3600}, {"type": "finish"}]},
    ],
    "holiday": [{"code": "busy", "actions": [{"type": "email", "template_id": 5}, {"type": "finish"}]}],
    "sms_replies": {"working": [{"text": "Да", "actions": [{"type": "retry", "field": "phone"}]}]},
}


def test_a_document_round_trips_through_its_stored_form() -> None:
    rules = parse_rules(DOC)
    assert parse_rules(rules_to_json(rules)) == rules
    assert rules.working[0].actions[3] == MoveToList(9000000000, step=3)


@pytest.mark.parametrize(
    "doc, where",
    [
        ({"working": [{"code": "busy", "actions": []}]}, "working[0].actions"),
        ({"working": [{"code": "Busy!", "actions": [{"type": "finish"}]}]}, "working[0].code"),
        ({"working": [{"code": "busy", "actions": [{"type": "fly"}]}]}, "working[0].actions[0].type"),
        ({"working": [{"code": "busy", "actions": [{"type": "sms"}]}]}, "working[0].actions[0].template_id"),
        (
            {"holiday": [{"code": "busy", "actions": [{"type": "finish"}, {"type": "retry"}]}]},
            "holiday[0].actions[0]",
        ),
        (
            {"working": [{"code": "busy", "actions": [{"type": "retry", "after_seconds": 0}]}]},
            "after_seconds",
        ),
        ({"working": [{"code": "busy", "actions": [{"type": "web_request", "url": "ftp://x"}]}]}, "url"),
        (
            {
                "working": [
                    {"code": "a", "actions": [{"type": "finish"}]},
                    {"code": "a", "actions": [{"type": "finish"}]},
                ]
            },
            "working[1].code",
        ),
        (
            {"sms_replies": {"working": [{"text": " ", "actions": [{"type": "finish"}]}]}},
            "sms_replies.working[0].text",
        ),
        ({"extra": 1}, "unknown keys"),
    ],
)
def test_bad_documents_name_the_bad_part(doc: dict[str, Any], where: str) -> None:
    with pytest.raises(RuleError, match=__import__("re").escape(where)):
        parse_rules(doc)


def test_busy_repeats_the_same_number_then_walks_the_chain() -> None:
    rules = parse_rules(DOC)
    first = next_actions(rules, "busy", "working", AttemptState(attempts_on_number=1, phone_field="phone"))
    assert first == [Retry(field="phone", after_seconds=300, step=-1)]
    third = next_actions(rules, "busy", "working", AttemptState(attempts_on_number=3, total_attempts=3))
    assert third == [Retry(field="phone2", after_seconds=300, step=0)]
    later = next_actions(
        rules, "busy", "working", AttemptState(step=1, attempts_on_number=1, total_attempts=4)
    )
    assert [type(a) for a in later] == [WebRequest, SendMessage]
    assert isinstance(later[-1], SendMessage) and later[-1].wait_reply
    last = next_actions(rules, "busy", "working", AttemptState(step=3, total_attempts=4))
    assert last == [MoveToList(9000000000, step=3)]


def test_the_common_interval_applies_when_the_rule_has_none() -> None:
    rules = parse_rules(
        {"interval_seconds": 120, "working": [{"code": "busy", "actions": [{"type": "retry"}]}]}
    )
    assert next_actions(rules, "busy", "working", AttemptState()) == [Retry("phone", 120, 0)]


def test_holidays_use_their_own_rule_or_fall_back_to_working_days() -> None:
    rules = parse_rules(DOC)
    assert next_actions(rules, "busy", "holiday", AttemptState(attempts_on_number=5)) == [
        SendMessage("email", 5, "email", False, 0),
        Finish("rule", 1),
    ]
    assert next_actions(rules, "no_answer", "holiday", AttemptState()) == next_actions(
        rules, "no_answer", "working", AttemptState()
    )


def test_limits_and_unknown_codes_finish() -> None:
    rules = parse_rules(DOC)
    assert next_actions(rules, "no_answer", "working", AttemptState(total_attempts=3, max_attempts=3)) == [
        Finish("max attempts")
    ]
    assert next_actions(rules, "fax", "working", AttemptState()) == [Finish("no rule")]


def test_sms_replies_match_case_insensitively() -> None:
    rules = parse_rules(DOC)
    assert reply_actions(rules, "  да ", "working", AttemptState(phone_field="phone")) == [
        Retry("phone", 600, 0)
    ]
    assert reply_actions(rules, "нет", "working", AttemptState()) == [Finish("no reply rule")]


# --- properties --------------------------------------------------------------------------------

_fields = st.sampled_from(["phone", "phone2", "mobile"])
_action = st.one_of(
    st.builds(
        lambda f, s: {"type": "retry", **({"field": f} if f else {}), **({"after_seconds": s} if s else {})},
        st.none() | _fields,
        st.none() | st.integers(1, 86400),
    ),
    st.builds(
        lambda ch, t, w: {"type": ch, "template_id": t, "wait_reply": w},
        st.sampled_from(["sms", "email"]),
        st.integers(1, 50),
        st.booleans(),
    ),
    st.just({"type": "web_request", "url": "https://x.example/{phone}"}),
)
_terminal = st.one_of(
    st.just({"type": "finish"}), st.builds(lambda n: {"type": "move", "list_id": n}, st.integers(1, 10))
)


@st.composite
def _chain(draw: st.DrawFn) -> list[dict[str, Any]]:
    body = draw(st.lists(_action, min_size=0, max_size=6))
    tail = draw(st.lists(_terminal, max_size=1))
    return (body + tail) or [{"type": "finish"}]


@st.composite
def _doc(draw: st.DrawFn) -> dict[str, Any]:
    def rules() -> list[dict[str, Any]]:
        codes = draw(st.lists(st.sampled_from(CODES), unique=True, max_size=4))
        return [
            {
                "code": c,
                "attempts_previous": draw(st.integers(1, 4)),
                "actions": draw(_chain()),
                **({"interval_seconds": draw(st.integers(1, 9999))} if draw(st.booleans()) else {}),
            }
            for c in codes
        ]

    return {"interval_seconds": draw(st.integers(1, 9999)), "working": rules(), "holiday": rules()}


_state = st.builds(
    AttemptState,
    step=st.integers(0, 8),
    attempts_on_number=st.integers(1, 6),
    total_attempts=st.integers(1, 12),
    max_attempts=st.none() | st.integers(1, 12),
    phone_field=_fields,
)


def _stops(a: Action) -> bool:
    return isinstance(a, Retry | MoveToList | Finish) or (isinstance(a, SendMessage) and a.wait_reply)


@settings(max_examples=300, deadline=None)
@given(_doc(), st.sampled_from([*CODES, "fax"]), st.sampled_from(["working", "holiday"]), _state)
def test_every_answer_ends_with_exactly_one_stopping_action(
    doc: dict[str, Any], code: str, day: Any, state: AttemptState
) -> None:
    rules = parse_rules(doc)
    out = next_actions(rules, code, day, state)
    assert out and _stops(out[-1])
    assert not any(_stops(a) for a in out[:-1])
    steps = [a.step for a in out if a.step >= 0]
    assert steps == sorted(steps) and all(s >= state.step for s in steps)
    for a in out:
        if isinstance(a, Retry):
            assert a.field and a.after_seconds and a.after_seconds > 0
    if state.max_attempts is not None and state.total_attempts >= state.max_attempts:
        assert not any(isinstance(a, Retry) for a in out)
    assert next_actions(rules, code, day, state) == out  # pure


@settings(max_examples=200, deadline=None)
@given(_doc(), st.sampled_from(CODES), st.integers(1, 30))
def test_a_contact_that_keeps_failing_is_finished_within_its_attempts(
    doc: dict[str, Any], code: str, limit: int
) -> None:
    """The engine's loop: apply the answer, call again while the rules say so; it always ends."""
    rules = parse_rules(doc)
    state = AttemptState(max_attempts=limit)
    for _ in range(limit + 2):
        out = next_actions(rules, code, "working", state)
        last = out[-1]
        if not isinstance(last, Retry):
            return
        steps = [a.step for a in out if a.step >= 0]
        same = last.field == state.phone_field and last.step < 0
        state = AttemptState(
            step=max(steps) + 1 if steps else state.step,
            attempts_on_number=state.attempts_on_number + 1 if same else 1,
            total_attempts=state.total_attempts + 1,
            max_attempts=limit,
            phone_field=last.field or state.phone_field,
        )
    pytest.fail("the rules kept calling beyond the maximum attempts")


@settings(max_examples=200, deadline=None)
@given(_doc())
def test_valid_documents_round_trip(doc: dict[str, Any]) -> None:
    rules = parse_rules(doc)
    assert isinstance(rules, StrategyRules)
    assert parse_rules(rules_to_json(rules)) == rules
