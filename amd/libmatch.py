"""Library matching in two stages: landmark hashes propose, the exact-recording check decides.

Hashes accumulate slowly (an anchor is final only ~0.4 s after it sounds) and a firm hash match
needs ten and more votes over half a second of the sample, so a hash-only decision lands well over
a second after the robot starts. Worse, a low vote count cannot separate the library recording from
another recording of the same words. Here a handful of consistent hashes is enough to *propose*
(sample, offset); `amd.verify` then compares the call with that sample frame by frame, which a
re-recording fails however many landmarks it shares.
"""

from __future__ import annotations

from dataclasses import dataclass

from amd.audio import Pcm
from amd.fingerprint import COL_S, FingerprintIndex, Hashes, Match, MatchAccumulator, MatchRule, Times
from amd.verify import CallPower, CallSpectrum, verify

MAX_PENDING = 24
CHECK_EVERY_COLS = 12
"""~0.2 s of new audio between checks: a decision a tenth of a second later costs less than the CPU."""
RELOCK_FRAMES = 40
"""Until a candidate has been compared over this many call columns (~0.64 s), every check searches
all tempos and shifts again: the first few words do not pin the tempo down, and the narrow search
around a wrong early pick only creeps 0.01 per check (a 3 % slower replay was found 2 s late)."""


@dataclass(frozen=True)
class VerifyRule:
    min_similarity: float = 0.85
    """Replays through G.711 at 12 dB SNR score ~0.8-0.95; another espeak voice saying the same first
    word scores up to ~0.82 over that word (measured on a training corpus, seed 2)."""
    min_verified_s: float = 0.35
    """Sample speech compared before a decision: one short word is not a recording."""
    long_similarity: float = 0.8
    long_verified_s: float = 0.7
    """Over a longer stretch a re-recording has left the shared word and fails; a noisy replay is
    accepted at this lower similarity once that much of it agrees."""
    give_up_s: float = 1.5
    """A candidate compared over this much speech without passing is another recording."""
    min_votes: int = 2
    per_step: int = 2
    """Candidates checked per fingerprint step, most votes first: bounds the CPU per call."""


@dataclass
class _Pending:
    votes: int
    tempo: float | None = None
    shift: int = 0
    frames: int = 0


class LibraryMatcher:
    """One call against one index; `reset` when the library is reloaded."""

    def __init__(self, index: FingerprintIndex, rule: MatchRule, verify_rule: VerifyRule | None = None) -> None:
        self.index = index
        self.rule = verify_rule or VerifyRule()
        self._acc = MatchAccumulator(index, rule)
        self._pending: dict[tuple[int, int], _Pending] = {}
        self._spectrum = CallSpectrum()
        self._checked_cols = -CHECK_EVERY_COLS
        self.promising: tuple[float, float] = (0.0, 0.0)
        """(similarity, seconds compared) of the best candidate still pending after the last check."""

    def push(self, pcm: Pcm) -> None:
        self._spectrum.push(pcm)

    def reset(self, index: FingerprintIndex, rule: MatchRule) -> None:
        self.index = index
        self._acc = MatchAccumulator(index, rule)
        self._pending = {}
        self.promising = (0.0, 0.0)

    def add(self, hashes: Hashes, times: Times) -> Match | None:
        strong = self._acc.add(hashes, times)
        spectra = self.index.spectra
        if spectra is None:
            return strong  # samples without spectra (a bare index): the hash rule alone decides
        r = self.rule
        for o, off, votes in self._acc.candidates(limit=8, min_votes=r.min_votes):
            p = self._pending.get((o, off))
            if p is None:
                self._pending[(o, off)] = _Pending(votes)
            else:
                p.votes = max(p.votes, votes)
        if strong is not None:
            # A firm hash match is still checked, at its own offset, like any proposal.
            o = self.index.sample_ids.index(strong.sample_id)
            key = (o, round(strong.offset_s / COL_S))
            self._pending.setdefault(key, _Pending(strong.votes))
        if not self._pending:
            self.promising = (0.0, 0.0)
            return None
        if len(self._pending) > MAX_PENDING:
            keep = sorted(self._pending.items(), key=lambda kv: -kv[1].votes)[:MAX_PENDING]
            self._pending = dict(keep)
        spec = self._spectrum.spectrum()
        if len(spec) - self._checked_cols < CHECK_EVERY_COLS:
            return None
        self._checked_cols = len(spec)
        call = CallPower.of(spec)
        best = (0.0, 0.0)
        for key, p in sorted(self._pending.items(), key=lambda kv: -kv[1].votes)[:r.per_step]:
            o, off = key
            if p.tempo is None or p.frames < RELOCK_FRAMES:
                v = verify(call, spectra[o], off)
            else:
                # Once aligned, only the neighbourhood of the best alignment is searched again.
                v = verify(call, spectra[o], off, (p.tempo - 0.01, p.tempo, p.tempo + 0.01),
                           (p.shift - 1, p.shift, p.shift + 1))
            seconds = v.frames * COL_S
            if v.frames:
                p.tempo, p.shift, p.frames = v.tempo, v.shift, v.frames
            if ((v.similarity >= r.min_similarity and seconds >= r.min_verified_s)
                    or (v.similarity >= r.long_similarity and seconds >= r.long_verified_s)):
                return Match(self.index.sample_ids[o], p.votes, round(seconds, 3),
                             round((off + v.shift) * COL_S, 3), round(v.similarity, 3))
            if seconds >= r.give_up_s:
                del self._pending[key]
            elif v.similarity > best[0]:
                best = (v.similarity, seconds)
        self.promising = best
        return None
