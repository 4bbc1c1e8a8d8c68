"""Cruise control: holds the measured service level at its target.

It tunes a gain on the model's marginal-late threshold by stochastic approximation (each late customer
lowers it, each on-time one raises it a little, balanced exactly at the target rate), and pauses
predictive over-dialing when a recent window (~150 answers) shows the service level far below target (a
late rate of 2.5x the budget: a burst the integral cannot absorb quickly), resuming once it is back. The
pacer honours the pause only while the abandon windows have no headroom (``GovernorVerdict.headroom``).
The model alone is biased (normal approximation, estimation noise); this loop removes the bias.
"""

from __future__ import annotations

import math

_MIN_LOG_GAIN = math.log(0.05)
_MAX_LOG_GAIN = math.log(20.0)
_PAUSE_CUT = math.log(2.0)


class CruiseControl:
    def __init__(self, *, memory_answers: float = 300.0, short_answers: float = 150.0,
                 step: float = 0.5) -> None:
        self._memory = memory_answers
        self._short = short_answers
        self._step = step
        self.log_gain = 0.0
        self._short_late = 0.0
        self._short_n = 0.0
        self.paused = False

    @property
    def gain(self) -> float:
        return math.exp(self.log_gain)

    def short_late_rate(self) -> float:
        return self._short_late / self._short_n if self._short_n > 0 else 0.0

    def observe(self, late: bool, target_late: float, learn: bool = True) -> None:
        """``learn``: the customer was dialed by the model at this gain. Customers of one-to-one dialing
        (warm-up, braking, pause) are never late, and learning from them winds the gain up until the next
        predictive refill bursts; they still count towards resuming from a pause."""
        target = min(max(target_late, 1e-3), 0.5)
        if learn:
            # Balanced when late frequency == target: E[delta] = p*(-(1-t)/t) + (1-p)*1 = 0 at p = t.
            delta = -(1.0 - target) / target if late else 1.0
            self.log_gain += self._step * delta / self._memory
            self.log_gain = min(max(self.log_gain, _MIN_LOG_GAIN), _MAX_LOG_GAIN)
        decay = 1.0 - 1.0 / self._short
        self._short_late = self._short_late * decay + (1.0 if late else 0.0)
        self._short_n = self._short_n * decay + 1.0
        rate = self.short_late_rate()
        if self._short_n >= 0.5 * self._short:
            if not self.paused and rate > 2.5 * target:
                self.paused = True
                # The burst says the gain has run past the cliff where lateness takes off (late rates
                # rise steeply with it): resume from well below, not from the edge.
                self.log_gain = max(self.log_gain - _PAUSE_CUT, _MIN_LOG_GAIN)
            elif self.paused and rate <= target:
                self.paused = False
