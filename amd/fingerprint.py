"""Layer (b): landmark fingerprints (spectral peak pairs) and their index.

A hash is (anchor frequency, frequency step, time step) of two spectrogram peaks. Peaks are
local maxima of the log spectrum, so gain changes do not move them, and G.711 or moderate
noise only removes some of them; a match therefore needs many hashes that agree on one time
offset, not all of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from amd.audio import RATE, Pcm
from amd.stft import BINS, COL_S, F_LO, LogSpectrum, Stft
from amd.verify import SampleSpectrum

log = logging.getLogger("dialer.amd.fingerprint")

PEAK_F, PEAK_T = 9, 7  # neighbourhood (bins, columns) in which a peak is the maximum
PEAK_HALF_T = PEAK_T // 2
MAX_PEAKS_PER_COL = 3
FLOOR_DB = 35.0  # peaks below this are background, whatever the gain
MIN_PROMINENCE_DB = 6.0
FANOUT = 6
MAX_DT = 20
MAX_DF = 30
OFFSET_BIN = 3

Hashes = NDArray[np.int64]
Times = NDArray[np.int32]


def _pack(f1: NDArray[np.int64], f2: NDArray[np.int64], dt: NDArray[np.int64]) -> Hashes:
    return ((f1 << 13) | ((f2 - f1 + 64) << 6) | dt).astype(np.int64)


def _run_max(a: LogSpectrum, size: int, axis: int) -> LogSpectrum:
    """Maximum of every run of `size` neighbours along `axis` (the result is `size - 1` shorter).

    Runs of 2, 4, 8... by doubling, then two overlapping power-of-two runs cover any size: a few
    whole-array passes, where scipy's filter spent most of its time in Python set-up on arrays
    this small. A maximum is exact in any order, so the result is the filter's to the bit.
    """
    def part(m: LogSpectrum, start: int, stop: int) -> LogSpectrum:
        return m[start:stop] if axis == 0 else m[:, start:stop]

    m, k = a, 1
    while 2 * k <= size:
        n = m.shape[axis]
        m = np.maximum(part(m, 0, n - k), part(m, k, n))
        k *= 2
    n = m.shape[axis]
    return np.maximum(part(m, 0, n - (size - k)), part(m, size - k, n))


_NEAREST_BINS = np.clip(np.arange(-(PEAK_F // 2), BINS + PEAK_F // 2), 0, BINS - 1)


def _peaks(spec: LogSpectrum, lo: int = 0, hi: int | None = None) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """(column, bin) of peaks in columns lo..hi of `spec`, strongest few per column.

    The columns around them are context: a peak is the maximum of its PEAK_T x PEAK_F
    neighbourhood, the spectrogram's edges extended by their nearest column and bin
    (`scipy.ndimage.maximum_filter(spec, (PEAK_T, PEAK_F), mode="nearest")` on the whole).
    """
    hi = len(spec) if hi is None else hi
    if lo >= PEAK_HALF_T and hi + PEAK_HALF_T <= len(spec):
        around = spec[lo - PEAK_HALF_T:hi + PEAK_HALF_T]
    else:
        around = spec[np.clip(np.arange(lo - PEAK_HALF_T, hi + PEAK_HALF_T), 0, len(spec) - 1)]
    local_max = _run_max(_run_max(around, PEAK_T, 0)[:, _NEAREST_BINS], PEAK_F, 1)
    spec = spec[lo:hi]
    # np.mean's own sum and division, without its overhead.
    local_mean = spec.sum(axis=1, keepdims=True) / spec.shape[1]
    ok = (spec >= local_max) & (spec > FLOOR_DB) & (spec - local_mean > MIN_PROMINENCE_DB)
    cols, bins = np.nonzero(ok)
    if len(cols) == 0:
        return cols.astype(np.int64), bins.astype(np.int64)
    strength = spec[cols, bins]
    order = np.lexsort((-strength, cols))
    cols, bins = cols[order], bins[order]
    rank = np.arange(len(cols)) - np.searchsorted(cols, cols, side="left")
    keep = rank < MAX_PEAKS_PER_COL
    return cols[keep].astype(np.int64) + lo, (bins[keep] + F_LO).astype(np.int64)


class Fingerprinter:
    """Incremental fingerprinting: push audio, take out the hashes whose peaks are final.

    Peaks near the growing edge are provisional (a later column may be louder), so a column's
    peaks are kept only once PEAK_HALF_T columns follow it, and an anchor's hashes only once all
    its possible targets are final. `finish()` treats the end of audio as final, so offline and
    streaming fingerprints of the same audio agree.

    With a shared `stft` (a detector's, also read by its library matcher) the audio is pushed
    there, once, by its owner.
    """

    def __init__(self, stft: Stft | None = None) -> None:
        self._stft = stft if stft is not None else Stft()
        self._peak_cols: list[int] = []
        self._peak_bins: list[int] = []
        self._peaks_done = 0  # columns below this have final peaks
        self._anchors_done = 0  # index into the peak lists

    def push(self, pcm: Pcm) -> None:
        self._stft.push(pcm)

    def take(self, final: bool = False) -> tuple[Hashes, Times]:
        spec = self._stft.columns()
        if final and len(spec) == 0:
            spec = self._stft.padded_column()
        n_cols = len(spec)
        peak_end = n_cols if final else n_cols - PEAK_HALF_T
        if peak_end > self._peaks_done:
            cols, bins = _peaks(spec, self._peaks_done, peak_end)
            self._peak_cols.extend(cols.tolist())
            self._peak_bins.extend(bins.tolist())
            self._peaks_done = peak_end
        anchor_end = peak_end if final else peak_end - MAX_DT
        return self._pair(anchor_end)

    def _pair(self, anchor_end_col: int) -> tuple[Hashes, Times]:
        pc, pb = self._peak_cols, self._peak_bins
        hashes: list[int] = []
        times: list[int] = []
        i = self._anchors_done
        while i < len(pc) and pc[i] < anchor_end_col:
            t1, f1, made = pc[i], pb[i], 0
            j = i + 1
            while j < len(pc) and made < FANOUT and pc[j] - t1 <= MAX_DT:
                dt = pc[j] - t1
                if dt > 0 and abs(pb[j] - f1) <= MAX_DF:
                    hashes.append((f1 << 13) | ((pb[j] - f1 + 64) << 6) | dt)
                    times.append(t1)
                    made += 1
                j += 1
            i += 1
        self._anchors_done = i
        return np.asarray(hashes, dtype=np.int64), np.asarray(times, dtype=np.int32)

    @property
    def seconds(self) -> float:
        return self._stft.samples / RATE


def fingerprint(pcm: Pcm) -> tuple[Hashes, Times]:
    fp = Fingerprinter()
    fp.push(pcm)
    return fp.take(final=True)


@dataclass(frozen=True)
class Match:
    sample_id: str
    votes: int
    coverage_s: float
    offset_s: float
    """Where in the call the sample starts (seconds of stream)."""
    score: float


class FingerprintIndex:
    """Immutable hash index over a set of samples; safe to share between threads."""

    def __init__(self, entries: dict[str, tuple[Hashes, Times, float]],
                 spectra: dict[str, SampleSpectrum] | None = None) -> None:
        ids = sorted(entries)
        self.sample_ids: tuple[str, ...] = tuple(ids)
        # For the exact-recording check (amd.verify); an index without them matches on hashes alone.
        self.spectra: tuple[SampleSpectrum, ...] | None = (
            tuple(spectra[s] for s in ids) if spectra is not None and all(s in spectra for s in ids) else None)
        self.durations = np.array([entries[s][2] for s in ids], dtype=np.float64)
        hs = [entries[s][0] for s in ids]
        ts = [entries[s][1] for s in ids]
        owners = [np.full(len(h), k, dtype=np.int32) for k, h in enumerate(hs)]
        h = np.concatenate(hs) if hs else np.zeros(0, dtype=np.int64)
        order = np.argsort(h, kind="stable")
        self._h = h[order]
        self._t = (np.concatenate(ts) if ts else np.zeros(0, dtype=np.int32))[order]
        self._o = (np.concatenate(owners) if owners else np.zeros(0, dtype=np.int32))[order]
        self._hash_counts = np.array([len(x) for x in hs], dtype=np.int64)

    def __len__(self) -> int:
        return len(self.sample_ids)

    def lookup(self, hashes: Hashes, times: Times) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.int32]]:
        """(owner, reference time, query time) for every hash hit."""
        if len(self._h) == 0 or len(hashes) == 0:
            empty = np.zeros(0, dtype=np.int32)
            return empty, empty, empty
        lo = np.searchsorted(self._h, hashes, side="left")
        hi = np.searchsorted(self._h, hashes, side="right")
        counts = hi - lo
        total = int(counts.sum())
        if total == 0:
            empty = np.zeros(0, dtype=np.int32)
            return empty, empty, empty
        q = np.repeat(np.arange(len(hashes)), counts)
        pos = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(total)
        return self._o[pos], self._t[pos], times[q].astype(np.int32)


@dataclass(frozen=True)
class MatchRule:
    min_votes: int = 10
    min_coverage_s: float = 0.5
    min_coverage_share: float = 0.4  # of the sample, for samples shorter than the coverage
    min_score: float = 0.04  # consistent hits per query hash in the matched stretch
    min_offset_s: float = -0.5
    """A robot plays its recording from the start after answer, so the sample cannot have begun
    long before the stream did; a later phrase shared by another greeting ("...after the tone")
    lines up only at such an impossible offset. Sample-vs-sample comparison lifts this."""


class MatchAccumulator:
    """Votes of one stream against one index, kept across incremental queries."""

    def __init__(self, index: FingerprintIndex, rule: MatchRule | None = None) -> None:
        self.index = index
        self.rule = rule or MatchRule()
        self._votes: dict[tuple[int, int], list[int]] = {}
        self._query_times: list[NDArray[np.int32]] = []
        self._recent: set[tuple[int, int]] = set()

    def add(self, hashes: Hashes, times: Times) -> Match | None:
        if len(hashes) == 0:
            return None
        self._query_times.append(times)
        owner, ref_t, q_t = self.index.lookup(hashes, times)
        if len(owner) == 0:
            return None
        touched: set[tuple[int, int]] = set()
        for o, rt, qt in zip(owner.tolist(), ref_t.tolist(), q_t.tolist(), strict=True):
            key = (o, (qt - rt) // OFFSET_BIN)
            self._votes.setdefault(key, []).append(rt)
            touched.add(key)
        self._recent |= touched
        return self._best(touched)

    def candidates(self, limit: int, min_votes: int = 1) -> list[tuple[int, int, int]]:
        """(sample index, offset in columns, votes) of the offsets that gained votes since the last call.

        Far fewer votes than `_best` needs: these are only proposals for the exact-recording
        check, which makes the decision. Offsets the rule calls impossible are left out here too.
        """
        touched, self._recent = self._recent, set()
        pooled: dict[tuple[int, int], int] = {}
        for o, b in touched:
            for key in ((o, b), (o, b - 1)):
                if key not in pooled and key[1] * OFFSET_BIN * COL_S >= self.rule.min_offset_s:
                    pooled[key] = len(self._votes.get(key, ())) + len(self._votes.get((key[0], key[1] + 1), ()))
        ranked = sorted(((v, o, b) for (o, b), v in pooled.items() if v >= min_votes), reverse=True)[:limit]
        # The pooled pair spans two bins; its centre is the best single offset guess.
        return [(o, b * OFFSET_BIN + OFFSET_BIN, v) for v, o, b in ranked]

    def _best(self, touched: set[tuple[int, int]]) -> Match | None:
        best: Match | None = None
        rule = self.rule
        for o, b in touched:
            # Neighbouring offset bins are pooled: tempo drift and jitter smear the offset.
            refs = self._votes.get((o, b), []) + self._votes.get((o, b + 1), [])
            if len(refs) < rule.min_votes or b * OFFSET_BIN * COL_S < rule.min_offset_s:
                continue
            lo_t, hi_t = int(np.percentile(refs, 5)), int(np.percentile(refs, 95))
            coverage = (hi_t - lo_t) * COL_S
            need = min(rule.min_coverage_s, rule.min_coverage_share * float(self.index.durations[o]))
            if coverage < need:
                continue
            start_q = lo_t + b * OFFSET_BIN
            end_q = hi_t + (b + 1) * OFFSET_BIN
            qt = np.concatenate(self._query_times)
            in_span = int(np.count_nonzero((qt >= start_q) & (qt <= end_q)))
            score = len(refs) / max(in_span, 1)
            if score < rule.min_score:
                continue
            m = Match(self.index.sample_ids[o], len(refs), round(coverage, 3), round(b * OFFSET_BIN * COL_S, 3),
                      round(score, 3))
            if best is None or m.votes > best.votes:
                best = m
        return best
