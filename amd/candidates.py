"""Automatic sample candidates: the same audio heard on calls to different numbers.

A live person never says the same waveform twice, so an answer whose opening seconds match
the openings of calls to other numbers is a recording - a robot or a secretary not yet in
the library. Matching uses the same landmark hashes as the library.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from amd.audio import RATE, Pcm
from amd.fingerprint import FingerprintIndex, Hashes, MatchAccumulator, MatchRule, Times, fingerprint
from amd.stft import COL_S

log = logging.getLogger("dialer.amd.candidates")

OPENING_S = 4.0


@dataclass(frozen=True)
class Candidate:
    call_ids: tuple[str, ...]
    numbers: tuple[str, ...]
    pcm: Pcm
    """The recurring segment as heard on the newest call."""
    start_s: float
    duration_s: float


class RecurringSegmentFinder:
    """Keeps the openings of the last `window` answered calls; reports recordings that recur."""

    def __init__(self, window: int = 2000, min_numbers: int = 3, rule: MatchRule | None = None) -> None:
        self.window = window
        self.min_numbers = min_numbers
        # Two calls' recordings may start at any offset from each other: no start-offset limit.
        self.rule = rule or MatchRule(min_votes=12, min_coverage_s=0.8, min_coverage_share=0.5, min_score=0.08,
                                      min_offset_s=float("-inf"))
        self._calls: OrderedDict[str, tuple[str, Hashes, Times, float]] = OrderedDict()
        self._reported: set[str] = set()

    def add_call(self, call_id: str, number: str, pcm: Pcm) -> Candidate | None:
        opening = pcm[: int(OPENING_S * RATE)]
        hashes, times = fingerprint(opening)
        matches: list[tuple[str, float, float]] = []  # (call id, start in this call, coverage)
        others = {cid: c for cid, c in self._calls.items() if c[0] != number and cid not in self._reported}
        if others and len(hashes):
            index = FingerprintIndex({cid: (c[1], c[2], c[3]) for cid, c in others.items()})
            acc = MatchAccumulator(index, self.rule)
            # One index over all calls finds the best match only; remove it and look again.
            while True:
                m = acc.add(hashes, times)
                if m is None:
                    break
                matches.append((m.sample_id, m.offset_s, m.coverage_s))
                others.pop(m.sample_id)
                if not others:
                    break
                index = FingerprintIndex({cid: (c[1], c[2], c[3]) for cid, c in others.items()})
                acc = MatchAccumulator(index, self.rule)
        self._calls[call_id] = (number, hashes, times, len(opening) / RATE)
        while len(self._calls) > self.window:
            self._calls.popitem(last=False)
        numbers = {self._calls[c][0] for c, _, _ in matches if c in self._calls} | {number}
        if len(numbers) < self.min_numbers:
            return None
        call_ids = (*tuple(c for c, _, _ in matches), call_id)
        self._reported.update(call_ids)
        # The segment starts where this call's hashes began agreeing (offset of the other call's start).
        start = max(0.0, float(np.median([max(0.0, off) for _, off, _ in matches])))
        duration = min(len(opening) / RATE - start, max(cov for _, _, cov in matches) + 10 * COL_S + 0.5)
        seg = opening[int(start * RATE): int((start + duration) * RATE)]
        log.info("recurring segment on %d numbers (calls %s): candidate of %.1f s", len(numbers),
                 ", ".join(call_ids), duration)
        return Candidate(call_ids, tuple(sorted(numbers)), seg, round(start, 3), round(duration, 3))
