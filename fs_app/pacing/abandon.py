"""The one abandon-accounting rule, shared by the call engine, the pacer's governor and the reports.

A call is *abandoned* when a person answered it and it was not connected to an operator within
``grace_s`` (2 s by default) of the moment the person was ready (the end of the greeting, i.e. the AMD
verdict when AMD is on) -- whether the person then hung up, was hung up on, or reached an operator later.
Calls AMD hung up on as machines may have been people: when the true label is unknown, each such call
counts as ``amd_false_positive_share`` of a live answer and of an abandon (an estimate), so the rate
includes AMD false positives. The rate is abandons / live answers, per campaign, in a window.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

from fs_app.pacing.types import AbandonCounts

DAY_S = 86_400.0
WINDOW_24H_S = DAY_S
WINDOW_30D_S = 30 * DAY_S


class AnsweredBy(StrEnum):
    HUMAN = "human"
    # Answered by a machine that reached an operator or was detected (never an abandon).
    MACHINE = "machine"
    # AMD said "machine" and hung up; the truth is unknown.
    AMD_MACHINE = "amd_machine"
    NOBODY = "nobody"


@dataclass(frozen=True, slots=True)
class CallRecord:
    campaign_id: str
    answered_by: AnsweredBy
    # When the person was ready for an operator; None when nobody answered.
    answered_at: float | None = None
    connected_at: float | None = None


def is_abandoned(record: CallRecord, grace_s: float = 2.0) -> bool:
    """True for a person-answered call not connected to an operator within ``grace_s`` of answer."""
    if record.answered_by is not AnsweredBy.HUMAN or record.answered_at is None:
        return False
    return record.connected_at is None or record.connected_at - record.answered_at > grace_s


def abandoned_mask(answered_at: np.ndarray, connected_at: np.ndarray, grace_s: float = 2.0) -> np.ndarray:
    """:func:`is_abandoned` for many person-answered calls at once (reports over long runs):
    ``connected_at`` NaN where the person never reached an operator."""
    with np.errstate(invalid="ignore"):
        return np.asarray(np.isnan(connected_at) | (connected_at - answered_at > grace_s))


def abandon_counts(
    records: Iterable[CallRecord],
    *,
    since: float,
    until: float,
    grace_s: float = 2.0,
    amd_false_positive_share: float = 0.0,
) -> dict[str, AbandonCounts]:
    """Per-campaign live answers and abandons among calls answered in ``[since, until)``."""
    live: dict[str, float] = defaultdict(float)
    aband: dict[str, float] = defaultdict(float)
    for rec in records:
        if rec.answered_at is None or not since <= rec.answered_at < until:
            continue
        if rec.answered_by is AnsweredBy.HUMAN:
            live[rec.campaign_id] += 1.0
            if is_abandoned(rec, grace_s):
                aband[rec.campaign_id] += 1.0
        elif rec.answered_by is AnsweredBy.AMD_MACHINE and amd_false_positive_share > 0:
            live[rec.campaign_id] += amd_false_positive_share
            aband[rec.campaign_id] += amd_false_positive_share
    return {cid: AbandonCounts(live=live[cid], abandoned=aband[cid]) for cid in live}


@dataclass(frozen=True, slots=True)
class CampaignAbandon:
    last_24h: AbandonCounts
    last_30d: AbandonCounts


def abandon_report(
    records: Sequence[CallRecord],
    now: float,
    *,
    grace_s: float = 2.0,
    amd_false_positive_share: float = 0.0,
) -> dict[str, CampaignAbandon]:
    """Rolling 24-hour and 30-day abandon counts per campaign as of ``now``."""
    day = abandon_counts(
        records, since=now - WINDOW_24H_S, until=now + 1e-9, grace_s=grace_s,
        amd_false_positive_share=amd_false_positive_share,
    )
    month = abandon_counts(
        records, since=now - WINDOW_30D_S, until=now + 1e-9, grace_s=grace_s,
        amd_false_positive_share=amd_false_positive_share,
    )
    return {
        cid: CampaignAbandon(last_24h=day.get(cid, AbandonCounts()), last_30d=counts)
        for cid, counts in month.items()
    }


def rolling_rates(
    answered_at: Sequence[float],
    abandoned: Sequence[bool],
    *,
    window_s: float,
    step_s: float,
    start: float,
    end: float,
) -> list[AbandonCounts]:
    """Counts in every window ``[t - window_s, t)`` for t from ``start + window_s`` to ``end`` by
    ``step_s`` (reports' "share of 24-h windows over the cap"). ``answered_at`` must be sorted and
    ``abandoned`` must come from :func:`is_abandoned` so reports and the engine agree."""
    out: list[AbandonCounts] = []
    n = len(answered_at)
    lo = hi = 0
    ab_prefix = [0]
    for flag in abandoned:
        ab_prefix.append(ab_prefix[-1] + (1 if flag else 0))
    t = start + window_s
    while t <= end + 1e-9:
        while hi < n and answered_at[hi] < t:
            hi += 1
        while lo < hi and answered_at[lo] < t - window_s:
            lo += 1
        out.append(AbandonCounts(live=float(hi - lo), abandoned=float(ab_prefix[hi] - ab_prefix[lo])))
        t += step_s
    return out
