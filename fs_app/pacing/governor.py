"""Abandon governor: keeps the rolling 24-hour and 30-day abandon rates under the cap with a margin.

It turns the windows' counts into the abandon probability the pacer may still spend on the next quarter
window of live answers: ``(target * (L + L_ahead) - A) / L_ahead`` per window, the tighter of the two. A clean
history lends a little headroom (capped); a burst of abandons drives the allowance to zero and the pacer
brakes to dials that cannot be abandoned until the windows recover.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from scipy.special import bdtrc, ndtr

from fs_app.pacing.types import AbandonCounts

# Never spend more than this multiple of the target ahead, however clean the past.
_MAX_HEADROOM = 1.5
# One-sided z for "95 % of 24-h windows under the cap", inflated because abandons come in bursts.
_WINDOW_Z = 1.8


# Above this many live answers per window the normal approximation is within a hair of the exact tail.
_EXACT_BELOW = 2000.0
# The tail probability the normal bound above stands for (one-sided z = 1.8).
_WINDOW_TAIL = float(ndtr(-_WINDOW_Z))


@lru_cache(maxsize=4096)
def _exact_mean(cap: float, live: int) -> float:
    """Largest mean abandon rate m such that a window of ``live`` answers (binomial) holds more than
    ``cap * live`` abandons with probability at most the tail: small windows are granular (one abandon in
    90 answers is 1.1 %), which the normal approximation misses."""
    allowed = math.floor(cap * live + 1e-9)
    lo, hi = 0.0, cap
    for _ in range(40):
        mid = (lo + hi) / 2.0
        if bdtrc(allowed, live, mid) <= _WINDOW_TAIL:
            lo = mid
        else:
            hi = mid
    return lo


def abandon_target(cap: float, margin: float, expected_live_per_window: float) -> float:
    """The mean abandon rate to aim at so that a window holding ``expected_live_per_window`` live answers
    stays under ``cap`` about 95 % of the time, and never closer to the cap than ``margin``. Small teams get
    a lower target: exact binomial tail below ``_EXACT_BELOW`` answers, else the largest m with
    m + z*sqrt(m/L) <= cap (normal approximation)."""
    n = max(expected_live_per_window, 1.0)
    if n < _EXACT_BELOW:
        return max(min(_exact_mean(round(cap, 6), max(round(n), 1)), cap - margin), 0.0)
    b = _WINDOW_Z / math.sqrt(n)
    x = (-b + math.sqrt(b * b + 4.0 * cap)) / 2.0
    return max(min(x * x, cap - margin), 0.0)


@dataclass(frozen=True, slots=True)
class GovernorVerdict:
    # Abandon probability per live answer the pacer may aim at, AMD false positives included.
    allowed_rate: float
    # What is left for pacing once the AMD false positives are paid for.
    pacing_budget: float
    braking: bool


def govern(
    last_24h: AbandonCounts,
    last_30d: AbandonCounts,
    *,
    cap: float,
    margin: float,
    amd_false_positive_rate: float,
    expected_live_ahead: float,
) -> GovernorVerdict:
    target = max(cap - margin, 0.0)
    ahead = max(expected_live_ahead, 1.0)
    allowed = target * _MAX_HEADROOM
    for window in (last_24h, last_30d):
        allowed = min(allowed, (target * (window.live + ahead) - window.abandoned) / ahead)
    allowed = max(allowed, 0.0)
    budget = allowed - amd_false_positive_rate
    # Below a tenth of the target nothing useful can be spent without risking the cap.
    braking = budget <= 0.1 * target
    return GovernorVerdict(allowed_rate=allowed, pacing_budget=max(budget, 0.0), braking=braking)
