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

# Share of the target under which the governor brakes to one-to-one dialing.
BRAKE_BELOW = 0.1
# Never spend more than this multiple of the target ahead, however clean the past.
MAX_HEADROOM = 1.5
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


_TARGETS: dict[tuple[float, float, int], float] = {}


def abandon_target(cap: float, margin: float, expected_live_per_window: float) -> float:
    """The mean abandon rate to aim at so that a window holding ``expected_live_per_window`` live answers
    stays under ``cap`` about 95 % of the time, and never closer to the cap than ``margin``. Small teams get
    a lower target: exact binomial tail below ``_EXACT_BELOW`` answers, else the largest m with
    m + z*sqrt(m/L) <= cap (normal approximation)."""
    n = max(expected_live_per_window, 1.0)
    if n < _EXACT_BELOW:
        # Called twice per decision with only a few distinct (cap, margin, whole answers) in a campaign.
        key = (cap, margin, round(n))
        hit = _TARGETS.get(key)
        if hit is None:
            if len(_TARGETS) > 65536:
                _TARGETS.clear()
            hit = _TARGETS[key] = max(min(_exact_mean(round(cap, 6), max(round(n), 1)), cap - margin), 0.0)
        return hit
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
    # False: the estimated AMD false positives alone would overspend the allowance; connect machine
    # verdicts to operators (then they are no false positives, and cost nothing here).
    amd_hangup: bool = True
    # The AMD false positives can never be afforded: hang-ups stay off for the whole run, so every machine
    # verdict is an operator's call and their handling belongs in the talk and wrap-up forecast.
    amd_never: bool = False
    # The windows are at or under the long-run target (cap - margin): a short burst of late customers can be
    # absorbed there, so cruise control's pause is not needed to protect them (see ``pacer.decide``).
    headroom: bool = True


def govern(
    last_24h: AbandonCounts,
    last_30d: AbandonCounts,
    *,
    cap: float,
    margin: float,
    amd_false_positive_rate: float,
    expected_live_ahead: float,
    amd_fallback: bool = False,
    amd_affordable: float | None = None,
) -> GovernorVerdict:
    """``amd_fallback``: when the AMD false positives alone exceed the allowance, they are not spent --
    the pacer stops hanging up on machine verdicts (``amd_hangup`` False) and paces with all of it.
    ``amd_affordable``: the highest mean abandon rate that keeps the windows under the cap (small teams'
    windows are granular, see :func:`abandon_target`); false positives above it are never affordable."""
    target = max(cap - margin, 0.0)
    ahead = max(expected_live_ahead, 1.0)
    allowed = target * MAX_HEADROOM
    for window in (last_24h, last_30d):
        allowed = min(allowed, (target * (window.live + ahead) - window.abandoned) / ahead)
    allowed = max(allowed, 0.0)
    ceiling = target * MAX_HEADROOM if amd_affordable is None else min(target * MAX_HEADROOM, amd_affordable)
    never_affordable = amd_false_positive_rate > ceiling
    # An AMD that can never be afforded is off and costs nothing. One that is off only until the windows
    # recover still leaves no budget: the pacer brakes to one call per ready operator, so the calls in flight
    # when the lever flips back -- dialed for AMD's lower connect rate -- each have an operator waiting.
    budget = allowed - (0.0 if amd_fallback and never_affordable else amd_false_positive_rate)
    # Below a tenth of the target nothing useful can be spent without risking the cap.
    braking = budget <= BRAKE_BELOW * target
    # While braking, false positives are not spent either: one call per ready operator with hang-ups off
    # abandons nobody, so the windows recover fastest.
    amd_hangup = not (amd_fallback and (never_affordable or braking or amd_false_positive_rate > allowed))
    return GovernorVerdict(allowed_rate=allowed, pacing_budget=max(budget, 0.0), braking=braking,
                           amd_hangup=amd_hangup, amd_never=amd_fallback and never_affordable,
                           headroom=allowed >= target)
