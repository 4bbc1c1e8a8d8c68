"""Operator balancing across campaigns (R5.8): validity, priority by weight, fairness."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from dialer.campaigns.balancing import CampaignDemand, OperatorInfo, balance


def _ops(n: int, skills: frozenset[int] = frozenset()) -> list[OperatorInfo]:
    return [OperatorInfo(i, skills) for i in range(1, n + 1)]


def test_heavier_campaign_gets_its_minimum_first_and_a_short_one_gets_none() -> None:
    out = balance(
        _ops(5), [CampaignDemand(1, weight=1, min_operators=2), CampaignDemand(2, weight=5, min_operators=4)]
    )
    # 1 left over is below campaign 1's minimum: it does not dial, and the spare goes to campaign 2
    assert out[1] == () and len(out[2]) == 5
    capped = balance(_ops(5), [CampaignDemand(1, 1, 2), CampaignDemand(2, 5, 4, max_operators=4)])
    assert out[1] == () and len(capped[2]) == 4 and capped[1] == ()


def test_spare_operators_follow_the_weights_up_to_the_maximum() -> None:
    out = balance(
        _ops(12), [CampaignDemand(1, 1), CampaignDemand(2, 2), CampaignDemand(3, 3, max_operators=3)]
    )
    assert {k: len(v) for k, v in out.items()} == {1: 3, 2: 6, 3: 3}


def test_a_scarce_skill_goes_where_it_is_needed() -> None:
    ops = [OperatorInfo(1, frozenset({7})), OperatorInfo(2), OperatorInfo(3)]
    out = balance(ops, [CampaignDemand(1, 10, max_operators=2), CampaignDemand(2, 1, 1, skill_id=7)])
    assert out[2] == (1,) and out[1] == (2, 3)


_campaign = st.builds(
    lambda i, w, lo, extra, skill: CampaignDemand(i, w, lo, None if extra is None else lo + extra, skill),
    st.integers(1, 1000),
    st.integers(1, 10),
    st.integers(0, 4),
    st.none() | st.integers(0, 4),
    st.none() | st.integers(1, 3),
)
_operator = st.builds(OperatorInfo, st.integers(1, 1000), st.frozensets(st.integers(1, 3), max_size=3))


@settings(max_examples=300, deadline=None)
@given(
    st.lists(_operator, unique_by=lambda o: o.id, max_size=25),
    st.lists(_campaign, unique_by=lambda c: c.id, max_size=6),
)
def test_assignments_are_valid_and_leave_no_usable_operator_idle(
    ops: list[OperatorInfo], camps: list[CampaignDemand]
) -> None:
    out = balance(ops, camps)
    by_id = {o.id: o for o in ops}
    assert set(out) == {c.id for c in camps}
    seen = [o for ids in out.values() for o in ids]
    assert len(seen) == len(set(seen))
    free = set(by_id) - set(seen)
    for c in camps:
        n = len(out[c.id])
        assert n == 0 or (n >= c.min_operators and (c.max_operators is None or n <= c.max_operators))
        assert all(c.skill_id is None or c.skill_id in by_id[o].skills for o in out[c.id])
        running = n > 0 or c.min_operators == 0
        if running and (c.max_operators is None or n < c.max_operators):
            assert not any(c.skill_id is None or c.skill_id in by_id[o].skills for o in free)
    assert balance(ops, camps) == out


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 40), st.lists(st.integers(1, 10), min_size=1, max_size=6))
def test_without_limits_shares_follow_the_weights(n: int, weights: list[int]) -> None:
    camps = [CampaignDemand(i, w) for i, w in enumerate(weights, start=1)]
    out = balance(_ops(n), camps)
    assert sum(len(v) for v in out.values()) == n
    for a in camps:
        for b in camps:
            # when a got its last operator its share was the smallest, and b's only grew since
            if out[a.id]:
                assert Fraction(len(out[a.id]) - 1, a.weight) <= Fraction(len(out[b.id]), b.weight)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 30), st.lists(st.tuples(st.integers(1, 10), st.integers(0, 8)), min_size=1, max_size=6))
def test_a_heavier_campaign_misses_its_minimum_only_when_operators_ran_out(
    n: int, spec: list[tuple[int, int]]
) -> None:
    camps = [CampaignDemand(i, w, lo) for i, (w, lo) in enumerate(spec, start=1)]
    out = balance(_ops(n), camps)
    order = sorted(camps, key=lambda c: (-c.weight, c.id))
    left = n
    for c in order:
        if c.min_operators and not out[c.id]:
            assert c.min_operators > left
        elif c.min_operators:
            left -= c.min_operators
