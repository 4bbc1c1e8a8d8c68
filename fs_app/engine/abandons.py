"""Abandon accounting of the engine's attempts: rolling 24-hour and 30-day counts per campaign.

The rule itself is :mod:`fs_app.pacing.abandon` (``is_abandoned``, ``abandon_counts``); this module only
maps an ended attempt -- an engine call or a ``call_attempts`` row, the same way for both -- onto its
:class:`~fs_app.pacing.abandon.CallRecord`, and keeps the counts in memory so the pacer gets them on every
tick without a database query. Pure: attempts and ``now`` in, counts out; the driver loads the history.

The same classification is written once more in SQL (:func:`sql_tally_columns`) for the console and the
dashboards; tests check both on the same rows.

How an attempt counts:

* not answered: nothing;
* AMD said something other than a person and the engine hung up (its code is the verdict's code):
  an AMD hang-up, a person with the estimated probability :func:`false_positive_share`;
* anything else answered is a person -- AMD off, a HUMAN/NOTSURE verdict, a machine verdict the pacer's
  lever sent to an operator (``PacingDecision.amd_hangup`` False: it was treated exactly like a person, so
  it is a live answer and may be abandoned; the verdict stays on the record), and a customer who hung up
  while AMD was still listening (no verdict yet: counted as an abandoned person, the safe side of the cap);
* a person is abandoned unless an operator was bridged within the grace of the moment the person was
  ready (``wait_to_operator_ms``, measured by the engine), or the call went to the agentless IVR, which is
  where such calls are meant to go.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fs_app.calls.causes import AMD_VERDICTS, SystemCode
from fs_app.pacing.abandon import WINDOW_24H_S, WINDOW_30D_S, AnsweredBy, CallRecord, is_abandoned
from fs_app.pacing.types import AbandonCounts

GRACE_S = 2.0
# Verdicts the engine always routes to an operator (NOTSURE: losing a person costs more than a second).
PERSON_VERDICTS: tuple[str, ...] = ("human", "notsure")
# The codes a hang-up on an AMD verdict leaves on the attempt (``code_for_amd``); a machine verdict routed
# to an operator gets the ordinary codes of a person instead (answered_human, abandoned_queue).
AMD_HANGUP_CODES: tuple[str, ...] = tuple(sorted({c.value for c in AMD_VERDICTS.values()} - {"answered_human"}))
# Bucket widths of the rolling windows: a bucket leaves its window only once all of it is older than the
# window, so the counts keep at most one bucket too many -- the conservative side, and a minute in a day.
BUCKET_24H_S = 60.0
BUCKET_30D_S = 600.0


@dataclass(frozen=True, slots=True)
class Attempt:
    """What abandon accounting reads of one ended attempt (columns of ``call_attempts``; times in epoch s)."""

    campaign_id: int
    answered_at: float | None
    connected_at: float | None = None
    wait_to_operator_ms: int | None = None
    amd_verdict: str | None = None
    code: str | None = None

    @property
    def amd_hung_up(self) -> bool:
        return (self.answered_at is not None and (self.amd_verdict or "human") not in PERSON_VERDICTS
                and (self.code or "") in AMD_HANGUP_CODES)

    @property
    def amd_passed(self) -> bool:
        """A person AMD recognised: the base of the false-positive estimate."""
        return self.answered_at is not None and (self.amd_verdict or "") in PERSON_VERDICTS

    def record(self) -> CallRecord:
        """The shared rule's view. ``answered_at`` is the answer (what the reports window by) and the
        bridge is placed ``wait_to_operator_ms`` after it, so ``is_abandoned`` compares exactly the wait the
        engine measured from the moment the person was ready (the AMD verdict) with the grace."""
        cid = str(self.campaign_id)
        if self.answered_at is None:
            return CallRecord(cid, AnsweredBy.NOBODY)
        if self.amd_hung_up:
            return CallRecord(cid, AnsweredBy.AMD_MACHINE, self.answered_at)
        connected: float | None = None
        if self.connected_at is not None:
            connected = self.answered_at + (self.wait_to_operator_ms or 0) / 1000.0
        elif self.code == SystemCode.ANSWERED_HUMAN.value:
            connected = self.answered_at  # agentless: handed to the IVR at once, nobody waited
        return CallRecord(cid, AnsweredBy.HUMAN, self.answered_at, connected)


def false_positive_share(fp_rate: float, amd_passed: float, amd_hung_up: float) -> float:
    """Estimated share of people among AMD hang-ups (``abandon_counts``' ``amd_false_positive_share``).

    ``fp_rate`` is the share of people AMD hangs up on (the model's human-as-machine rate); for every person
    it passed, ``fp_rate / (1 - fp_rate)`` were hung up on, and never more than the hang-ups themselves.
    """
    if fp_rate <= 0.0 or amd_hung_up <= 0:
        return 0.0
    if fp_rate >= 1.0:
        return 1.0
    return min(1.0, fp_rate / (1.0 - fp_rate) * amd_passed / amd_hung_up)


@dataclass(frozen=True, slots=True)
class Tally:
    """Integer counts of a set of attempts; ``counts`` turns them into the pacer's :class:`AbandonCounts`."""

    live: int = 0
    abandoned: int = 0
    amd_passed: int = 0
    amd_hung_up: int = 0

    @classmethod
    def of(cls, attempt: Attempt, grace_s: float = GRACE_S) -> Tally:
        rec = attempt.record()
        if rec.answered_by is AnsweredBy.AMD_MACHINE:
            return cls(amd_hung_up=1)
        if rec.answered_by is not AnsweredBy.HUMAN:
            return cls()
        return cls(live=1, abandoned=int(is_abandoned(rec, grace_s)), amd_passed=int(attempt.amd_passed))

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.live + other.live, self.abandoned + other.abandoned,
                     self.amd_passed + other.amd_passed, self.amd_hung_up + other.amd_hung_up)

    def __sub__(self, other: Tally) -> Tally:
        return Tally(self.live - other.live, self.abandoned - other.abandoned,
                     self.amd_passed - other.amd_passed, self.amd_hung_up - other.amd_hung_up)

    def counts(self, fp_rate: float = 0.0) -> AbandonCounts:
        """What ``abandon_counts`` gives for these attempts with the estimated share of people among the
        AMD hang-ups: each counts as that share of a live answer and of an abandon."""
        share = false_positive_share(fp_rate, self.amd_passed, self.amd_hung_up)
        extra = share * self.amd_hung_up
        return AbandonCounts(live=self.live + extra, abandoned=self.abandoned + extra)


class RollingTally:
    """Counts of the attempts answered in the last ``window_s`` as of ``now``, in buckets of ``bucket_s``.

    Attempts are added when they end, so they may come a little out of answer order (a long conversation);
    the running total makes every read O(1) amortised whatever the window holds.
    """

    def __init__(self, window_s: float, bucket_s: float) -> None:
        self.window_s, self.bucket_s = window_s, bucket_s
        self._buckets: deque[tuple[int, Tally]] = deque()  # (bucket index, counts), index ascending
        self._total = Tally()

    def _first_kept(self, now: float) -> int:
        # Bucket i covers [i*b, (i+1)*b); it is kept while any of it is inside (now - window, now].
        return math.floor((now - self.window_s) / self.bucket_s)

    def _expire(self, now: float) -> None:
        first = self._first_kept(now)
        while self._buckets and self._buckets[0][0] < first:
            self._total -= self._buckets.popleft()[1]

    def add(self, at: float, tally: Tally, now: float) -> None:
        self._expire(now)
        idx = math.floor(at / self.bucket_s)
        if idx < self._first_kept(now) or tally == Tally():
            return
        self._total += tally
        b = self._buckets
        pos = len(b)
        while pos > 0 and b[pos - 1][0] > idx:
            pos -= 1
        if pos > 0 and b[pos - 1][0] == idx:
            b[pos - 1] = (idx, b[pos - 1][1] + tally)
        else:
            b.insert(pos, (idx, tally))

    def merge(self, items: Iterable[tuple[float, Tally]], now: float) -> None:
        """Many attempts at once (the stored history): one sort instead of an insertion each."""
        self._expire(now)
        first = self._first_kept(now)
        merged: dict[int, Tally] = dict(self._buckets)
        for at, tally in items:
            idx = math.floor(at / self.bucket_s)
            if idx >= first and tally != Tally():
                merged[idx] = merged.get(idx, Tally()) + tally
        self._buckets = deque(sorted(merged.items()))
        total = Tally()
        for _, t in self._buckets:
            total += t
        self._total = total

    def total(self, now: float) -> Tally:
        self._expire(now)
        return self._total


class CampaignAbandons:
    """One campaign's rolling 24-hour and 30-day windows, as the governor reads them."""

    def __init__(self, grace_s: float = GRACE_S) -> None:
        self.grace_s = grace_s
        self.day = RollingTally(WINDOW_24H_S, BUCKET_24H_S)
        self.month = RollingTally(WINDOW_30D_S, BUCKET_30D_S)

    def add(self, attempt: Attempt, now: float) -> None:
        if attempt.answered_at is None:
            return
        tally = Tally.of(attempt, self.grace_s)
        self.day.add(attempt.answered_at, tally, now)
        self.month.add(attempt.answered_at, tally, now)

    def seed(self, attempts: Iterable[Attempt], now: float) -> None:
        items = [(a.answered_at, Tally.of(a, self.grace_s)) for a in attempts if a.answered_at is not None]
        self.day.merge(items, now)
        self.month.merge(items, now)

    def counts(self, now: float, fp_rate: float = 0.0) -> tuple[AbandonCounts, AbandonCounts]:
        """(last 24 h, last 30 days) with the estimated AMD false positives counted in."""
        return self.day.total(now).counts(fp_rate), self.month.total(now).counts(fp_rate)


def sql_tally_columns(alias: str = "a", grace_ms: int = round(GRACE_S * 1000)) -> dict[str, str]:
    """The SQL twin of :meth:`Tally.of` over ``call_attempts`` (alias ``alias``): boolean expressions,
    never NULL, for ``count(*) FILTER (WHERE ...)`` -- keys as :class:`Tally`'s fields."""
    p = f"{alias}." if alias else ""
    codes = ", ".join(f"'{c}'" for c in AMD_HANGUP_CODES)
    persons = ", ".join(f"'{v}'" for v in PERSON_VERDICTS)
    answered = f"{p}answered_at IS NOT NULL"
    hung_up = (f"({answered} AND coalesce({p}amd_verdict, 'human') NOT IN ({persons})"
               f" AND coalesce({p}code, '') IN ({codes}))")
    live = f"({answered} AND NOT {hung_up})"
    reached = (f"(({p}connected_at IS NOT NULL AND coalesce({p}wait_to_operator_ms, 0) <= {int(grace_ms)})"
               f" OR ({p}connected_at IS NULL AND coalesce({p}code, '') = '{SystemCode.ANSWERED_HUMAN.value}'))")
    return {
        "live": live,
        "abandoned": f"({live} AND NOT {reached})",
        "amd_passed": f"({answered} AND coalesce({p}amd_verdict, '') IN ({persons}))",
        "amd_hung_up": hung_up,
    }


def sql_tally_select(alias: str = "a", grace_ms: int = round(GRACE_S * 1000), where: str = "TRUE") -> str:
    """``count(*) FILTER (WHERE <kind> AND <where>) AS <kind>`` for the four counts, for a SELECT list."""
    return ", ".join(f"count(*) FILTER (WHERE {expr} AND ({where})) AS {name}"
                     for name, expr in sql_tally_columns(alias, grace_ms).items())


def tally_of_row(row: Any) -> Tally:
    """A :class:`Tally` from a database row holding the four counts (``sql_tally_select``'s names)."""
    return Tally(int(row["live"]), int(row["abandoned"]), int(row["amd_passed"]), int(row["amd_hung_up"]))
