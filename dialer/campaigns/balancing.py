"""Operators shared between running campaigns (R5.8).

Heavier campaigns get operators first. First every campaign, in weight order, gets its
minimum or nothing (a campaign below its minimum does not dial, so a partial share would
idle those operators); then the remaining operators go one at a time to the campaign with
the fewest operators per unit of weight, never beyond a campaign's maximum. An operator
serves a campaign only when they have the strategy's skill.

Operators fit for fewer campaigns are placed first, so a scarce skill is not spent on a
campaign anybody could serve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class OperatorInfo:
    id: int
    skills: frozenset[int] = frozenset()


@dataclass(frozen=True)
class CampaignDemand:
    id: int
    weight: int  # >= 1
    min_operators: int = 0
    max_operators: int | None = None  # None: no limit
    skill_id: int | None = None  # None: any operator


def _fits(op: OperatorInfo, c: CampaignDemand) -> bool:
    return c.skill_id is None or c.skill_id in op.skills


def balance(
    operators: Sequence[OperatorInfo], campaigns: Sequence[CampaignDemand]
) -> Mapping[int, tuple[int, ...]]:
    """Campaign id -> the ids of its operators (sorted); every campaign is a key."""
    for c in campaigns:
        if (
            c.weight < 1
            or c.min_operators < 0
            or (c.max_operators is not None and c.max_operators < c.min_operators)
        ):
            raise ValueError(f"campaign {c.id}: weight >= 1 and 0 <= min <= max")
    order = sorted(campaigns, key=lambda c: (-c.weight, c.id))
    contention = {op.id: sum(_fits(op, c) for c in campaigns) for op in operators}
    free = sorted(operators, key=lambda op: (contention[op.id], op.id))
    got: dict[int, list[int]] = {c.id: [] for c in campaigns}

    def take(c: CampaignDemand, n: int) -> None:
        chosen = [op for op in free if _fits(op, c)][:n]
        for op in chosen:
            free.remove(op)
            got[c.id].append(op.id)

    active: list[CampaignDemand] = []
    for c in order:
        if c.min_operators == 0:
            active.append(c)
        elif sum(_fits(op, c) for op in free) >= c.min_operators:
            take(c, c.min_operators)
            active.append(c)

    while free:
        open_ = [
            c
            for c in active
            if (c.max_operators is None or len(got[c.id]) < c.max_operators)
            and any(_fits(op, c) for op in free)
        ]
        if not open_:
            break
        best = min(open_, key=lambda c: (Fraction(len(got[c.id]), c.weight), -c.weight, c.id))
        take(best, 1)
    return {cid: tuple(sorted(ids)) for cid, ids in got.items()}
