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
from amd.fingerprint import FingerprintIndex, Hashes, Match, MatchAccumulator, MatchRule, Times
from amd.stft import COL_S, Stft
from amd.verify import TEMPOS, Alignments, CallPowerTrack, verify_all

MAX_PENDING = 24
CHECK_EVERY_COLS = 12
"""~0.2 s of new audio between checks: a decision a tenth of a second later costs less than the CPU."""
RELOCK_FRAMES = 40
"""Until a candidate has been compared over this many call columns (~0.64 s), every check searches
all tempos again: the first few words do not pin the tempo down, and the narrow search around a
wrong early pick only creeps 0.01 per check (a 3 % slower replay was found 2 s late). The shift
is searched in full at the first check only, then within one column of the last best: where the
sample starts is clear from the first word, and a shift pick moves a whole column per check."""
FIRST_TEMPOS = (0.98, 1.0, 1.02)
"""The first check of a candidate, over its first few words, tries these tempos only (with every
shift): over so short a stretch the tempo hardly tells, and the checks after it search all of
`TEMPOS`. The first check was the costliest one (9 x 7 alignments for each new candidate, and
most candidates are other recordings). With this and the narrow shift search above, CPU per check
fell by more than half and no verdict moved (training corpus, seed 2; 1.0 alone delayed four
robots by a check)."""


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
    """One call against one index; `reset` when the library is reloaded.

    `stft` is the call's spectrum; a detector shares its fingerprinter's and pushes the audio there
    once (then `push` here is not called), a matcher of its own keeps one for what `push` gives it.
    """

    def __init__(self, index: FingerprintIndex, rule: MatchRule, verify_rule: VerifyRule | None = None,
                 stft: Stft | None = None) -> None:
        self.index = index
        self.rule = verify_rule or VerifyRule()
        self._acc = MatchAccumulator(index, rule)
        self._pending: dict[tuple[int, int], _Pending] = {}
        self._stft = stft if stft is not None else Stft()
        self._power = CallPowerTrack()
        self._checked_cols = -CHECK_EVERY_COLS
        self.promising: tuple[float, float] = (0.0, 0.0)
        """(similarity, seconds compared) of the best candidate still pending after the last check."""

    def push(self, pcm: Pcm) -> None:
        self._stft.push(pcm)

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
        spec = self._stft.columns()
        if len(spec) - self._checked_cols < CHECK_EVERY_COLS:
            return None
        self._checked_cols = len(spec)
        call = self._power.update(spec)
        best = (0.0, 0.0)
        step = sorted(self._pending.items(), key=lambda kv: -kv[1].votes)[:r.per_step]
        # The step's candidates are scored together: most often they are one sample at offsets three
        # columns apart (neighbouring hash bins), whose alignments overlap (`verify_all`).
        checks = []
        for (o, off), p in step:
            if p.tempo is None:
                checks.append(Alignments(spectra[o], off, FIRST_TEMPOS))
            elif p.frames < RELOCK_FRAMES:
                checks.append(Alignments(spectra[o], off, TEMPOS, (p.shift - 1, p.shift, p.shift + 1)))
            else:
                # Once aligned, only the neighbourhood of the best alignment is searched again.
                checks.append(Alignments(spectra[o], off, (p.tempo - 0.01, p.tempo, p.tempo + 0.01),
                                         (p.shift - 1, p.shift, p.shift + 1)))
        for ((o, off), p), v in zip(step, verify_all(call, checks), strict=True):
            key = (o, off)
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
