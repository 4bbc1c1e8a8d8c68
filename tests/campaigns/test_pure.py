"""Pure rules: caller-ID and connector choice, operator phone numbers, substitutions, call window."""

from __future__ import annotations

import random
from collections import Counter
from datetime import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.campaigns.integrations import render_url
from dialer.campaigns.operators import effective_wrapup, login_numbers, mask_matches, parse_skills
from dialer.campaigns.scripts import missing_mandatory, parse_questions, show_questions
from dialer.campaigns.strategies import in_call_window
from dialer.campaigns.telephony import Connector, pick_caller_id, pick_connector
from dialer.campaigns.templates import render_text, template_fields

C = [Connector(1, "10.0.0.1", 1, 2), Connector(2, "10.0.0.2", 2, 1), Connector(3, "10.0.0.3", 3, 2)]


def test_caller_id_is_random_within_the_group() -> None:
    rng = random.Random(7)
    picks = Counter(pick_caller_id(["111", "222", "333"], rng) for _ in range(3000))
    assert set(picks) == {"111", "222", "333"} and min(picks.values()) > 800
    assert pick_caller_id([], rng) is None


def test_first_and_last_fill_connectors_in_order() -> None:
    assert pick_connector(C, {}, "first", None) == C[0]
    assert pick_connector(C, {1: 2}, "first", None) == C[1]
    assert pick_connector(C, {1: 2, 2: 1}, "first", None) == C[2]
    assert pick_connector(C, {}, "last", None) == C[2]
    assert pick_connector(C, {3: 2}, "last", None) == C[1]
    assert pick_connector(C, {1: 2, 2: 1, 3: 2}, "first", None) is None


def test_round_robin_takes_the_next_one_with_room() -> None:
    assert pick_connector(C, {}, "round_robin", None) == C[0]
    assert pick_connector(C, {}, "round_robin", 1) == C[1]
    assert pick_connector(C, {}, "round_robin", 3) == C[0]
    assert pick_connector(C, {2: 1}, "round_robin", 1) == C[2]
    assert pick_connector(C, {}, "round_robin", 99) == C[0]


def test_inactive_connectors_are_never_chosen() -> None:
    conns = [Connector(1, "a", 1, 5, active=False), Connector(2, "b", 2, 1)]
    assert pick_connector(conns, {}, "first", None) == conns[1]
    assert pick_connector(conns, {2: 1}, "round_robin", None) is None


_conn = st.builds(
    Connector,
    id=st.integers(1, 20),
    address=st.just("x"),
    position=st.integers(0, 5),
    capacity=st.integers(1, 4),
    active=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_conn, unique_by=lambda c: c.id, max_size=8),
    st.dictionaries(st.integers(1, 20), st.integers(0, 5)),
    st.sampled_from(["first", "last", "round_robin"]),
    st.none() | st.integers(1, 20),
)
def test_a_picked_connector_is_active_with_room_and_none_only_when_all_are_full(
    conns: list[Connector], in_use: dict[int, int], mode: str, rr: int | None
) -> None:
    got = pick_connector(conns, in_use, mode, rr)  # type: ignore[arg-type]
    room = [c for c in conns if c.active and in_use.get(c.id, 0) < c.capacity]
    if got is None:
        assert room == []
    else:
        assert got in room


@settings(max_examples=100, deadline=None)
@given(st.lists(_conn, unique_by=lambda c: c.id, min_size=1, max_size=6))
def test_round_robin_fills_every_slot_before_refusing(conns: list[Connector]) -> None:
    in_use: dict[int, int] = {}
    rr = None
    total = sum(c.capacity for c in conns if c.active)
    for _ in range(total):
        c = pick_connector(conns, in_use, "round_robin", rr)
        assert c is not None
        in_use[c.id] = in_use.get(c.id, 0) + 1
        rr = c.id
    assert pick_connector(conns, in_use, "round_robin", rr) is None


@pytest.mark.parametrize(
    "mask, number, ok",
    [
        ("7916XXXXXXX", "79161234567", True),
        ("7916XXXXXXX", "7916123456", False),
        ("+7*", "+79001112233", True),
        ("+7*", "79001112233", False),
        ("1XX", "1a3", False),
        ("bad", "123", False),
    ],
)
def test_masks(mask: str, number: str, ok: bool) -> None:
    assert mask_matches(mask, number) is ok


def test_login_numbers_share_but_never_at_once() -> None:
    sessions = {"79160000001": 2}
    d = login_numbers(
        1,
        {"79160000001", "79160000002"},
        ["79160000001", "7916 000-00-02", "79990000000", "x"],
        ["7999XXXXXXX"],
        sessions,
    )
    assert d.use == ("79160000002", "79990000000")
    assert d.add == ("79990000000",)
    assert d.refused == {"79160000001": "in use by another signed-in operator", "x": "not a phone number"}
    again = login_numbers(2, {"79160000001"}, ["79160000001", "74950000000"], ["7916*"], sessions)
    assert again.use == ("79160000001",) and again.refused == {"74950000000": "matches no allowed mask"}


def test_operator_wrapup_overrides_the_strategy() -> None:
    assert effective_wrapup(10, 60) == 10
    assert effective_wrapup(None, 60) == 60
    assert effective_wrapup(None, None, 5) == 5


def test_skill_and_question_lines() -> None:
    assert parse_skills("Sales = 80 / 30\n\nSupport=5") == [
        {"skill": "Sales", "level": 80, "wrapup_seconds": 30},
        {"skill": "Support", "level": 5, "wrapup_seconds": None},
    ]
    for bad in ("Sales = 0", "Sales = 101", "Sales", "= 5"):
        with pytest.raises(ValueError):
            parse_skills(bad)
    text = "q1 | Как вас зовут? | required | https://a.example https://b.example\nq2 | Удобно говорить?"
    qs = parse_questions(text)
    assert qs[0] == {
        "identifier": "q1",
        "text": "Как вас зовут?",
        "mandatory": True,
        "links": ["https://a.example", "https://b.example"],
    }
    assert parse_questions(show_questions(qs)) == qs
    assert missing_mandatory(qs, {"q2": "да"}) == ["q1"]
    with pytest.raises(ValueError):
        parse_questions("q1 | a\nq1 | b")


def test_substitutions() -> None:
    attrs = {"name": "Иван", "phone": "+7 916", "debt": 100}
    assert render_text("@name, долг @debt руб. Пишите: info@@bank.ru @missing.", attrs) == (
        "Иван, долг 100 руб. Пишите: info@bank.ru ."
    )
    assert template_fields("@name @debt @@x") == {"name", "debt"}
    assert render_url("https://crm.example/c?p={phone}&n={name}", attrs) == (
        "https://crm.example/c?p=%2B7%20916&n=%D0%98%D0%B2%D0%B0%D0%BD"
    )
    assert (
        render_url("https://x.example/{a}/{b}", {"a": "../admin?x=1"})
        == "https://x.example/..%2Fadmin%3Fx%3D1/"
    )


def test_call_window_crossing_midnight() -> None:
    assert in_call_window(time(9), time(21), time(12))
    assert not in_call_window(time(9), time(21), time(21))
    assert in_call_window(time(21), time(6), time(23, 30))
    assert in_call_window(time(21), time(6), time(5, 59))
    assert not in_call_window(time(21), time(6), time(12))
    assert in_call_window(time(8), time(8), time(3))
