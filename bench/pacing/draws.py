"""Per-dial random numbers of a scenario (common random numbers) and the vectorised outcome of each dial."""

from __future__ import annotations

import math

import numpy as np

from bench.pacing.scenario import BUSY_SHARE, INVALID_SHARE, MACHINE_SHARE, Scenario

_CHUNK = 4096
# Dial outcomes.
LIVE, MACHINE, BUSY, NOANSWER, INVALID = range(5)


def _classify(s: Scenario, c: dict[str, np.ndarray], live: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Outcome, needs-an-operator flag and resolution delay of each dial at answer rate ``live``; the
    vectorised twin of the per-dial branch in :meth:`Sim._dial` (same draws, same thresholds)."""
    others = (1.0 - live) / (1.0 - s.live_rate) if s.live_rate < 1 else 0.0
    pm, pb, pi = MACHINE_SHARE * others, BUSY_SHARE * others, INVALID_SHARE * others
    u, amd = c["u"], s.amd_accuracy
    is_live = u < live
    is_mach = ~is_live & (u < live + pm)
    is_busy = ~is_live & ~is_mach & (u < live + pm + pb)
    is_inv = ~is_live & ~is_mach & ~is_busy & (u < live + pm + pb + pi)
    ring = np.where(is_live, c["ring_live"], c["ring_machine"])
    timeout = (is_live | is_mach) & (ring > s.ring_timeout_s)
    outcome = np.full(len(u), NOANSWER)
    outcome[is_live] = LIVE
    outcome[is_mach] = MACHINE
    outcome[is_busy] = BUSY
    outcome[is_inv] = INVALID
    outcome[timeout] = NOANSWER
    answered = (is_live | is_mach) & ~timeout
    delay = c["noans"].copy()
    delay[is_busy] = c["busy"][is_busy]
    delay[is_inv] = c["invalid"][is_inv]
    delay[timeout] = s.ring_timeout_s
    if amd is None:
        delay[answered] = ring[answered]
        to_op = answered
    else:
        verdict = np.where(is_live, c["amd_live"], c["amd_machine"])
        delay[answered] = ring[answered] + verdict[answered]
        correct = c["amd_u"] < amd
        to_op = answered & np.where(is_live, correct, ~correct)
    return outcome, to_op, delay


class Draws:
    """Per-dial random numbers in chunks; chunk c of a scenario is seeded by (seed, c)."""

    names = ("u", "ring_live", "ring_machine", "busy", "invalid", "noans", "amd_u", "amd_live",
             "amd_machine", "patience", "talk", "wrap", "mtalk")

    def __init__(self, s: Scenario) -> None:
        self.s = s
        self.cols: dict[str, list[float]] = {k: [] for k in self.names}
        # The answer rate does not move with the time of day: every dial's fate is known up front, so it is
        # classified once per chunk with numpy (the simulator's hottest path) instead of per dial.
        self.stationary = s.dynamics != "drift"
        self.outcome: list[int] = []
        self.to_op: list[bool] = []
        self.delay: list[float] = []
        self.size = 0

    @staticmethod
    def _lognormal(rng: np.random.Generator, mean: float, cv: float, n: int) -> np.ndarray:
        s2 = math.log(1 + cv * cv)
        return rng.lognormal(math.log(mean) - s2 / 2, math.sqrt(s2), n)

    def ensure(self, k: int) -> None:
        while k >= len(self.cols["u"]):
            c = len(self.cols["u"]) // _CHUNK
            rng = np.random.default_rng([self.s.seed, c])
            s, n = self.s, _CHUNK
            new = {
                "u": rng.random(n),
                "ring_live": self._lognormal(rng, s.live_ring_mean_s, 0.6, n),
                "ring_machine": self._lognormal(rng, s.machine_ring_mean_s, 0.6, n),
                "busy": rng.uniform(2.0, 6.0, n),
                "invalid": rng.uniform(1.0, 4.0, n),
                "noans": rng.uniform(15.0, s.ring_timeout_s, n),
                "amd_u": rng.random(n),
                "amd_live": self._lognormal(rng, s.amd_live_delay_s, 0.4, n),
                "amd_machine": self._lognormal(rng, s.amd_machine_delay_s, 0.4, n),
                "patience": self._lognormal(rng, s.patience_mean_s, 0.8, n),
                "talk": self._lognormal(rng, s.talk_mean_s, s.talk_cv, n),
                "wrap": self._lognormal(rng, s.wrap_mean_s, s.wrap_cv, n),
                "mtalk": self._lognormal(rng, s.machine_handle_s, 0.5, n),
            }
            for key, arr in new.items():
                self.cols[key].extend(arr.tolist())
            if self.stationary:
                outcome, to_op, delay = _classify(s, new, min(s.live_rate, 0.9))
                self.outcome.extend(outcome.tolist())
                self.to_op.extend(to_op.tolist())
                self.delay.extend(delay.tolist())
            self.size = len(self.cols["u"])
