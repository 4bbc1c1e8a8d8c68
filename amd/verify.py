"""Layer (b2): exact-recording check of a landmark candidate.

Landmark hashes only say that some spectral peak pairs recur at one time offset. The same
words said again - another take, another voice, the same text-to-speech phrase with other
speed or pitch - share many such pairs, so hashes alone cannot tell "this is the library
recording" from "this is another recording of the same phrase" early in a call. A replayed
recording, however, keeps its whole fine structure: every frame's harmonic comb (the pitch),
formant envelope and the frame-to-frame timing stay as they were, and the phone line only adds
gain, noise, G.711 quantisation and lost packets. So a candidate (sample, offset) is verified by
correlating the call's log spectrum with the sample's, frame by frame, at that offset.

A replay may run a few per cent fast or slow (WSOLA tempo change in a player or a PBX); the check
tries small tempo factors and shifts and keeps the best, which a different take cannot exploit:
its pitch contour disagrees everywhere, not only its timing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from amd.audio import Pcm
from amd.stft import BINS, LogSpectrum, log_columns, n_columns

SPEECH_RANGE_DB = 30.0
"""Sample frames this far below the sample's loudest are pauses: they carry line noise, not the recording."""
DROP_DB = 12.0
"""Call frames this far below the matching sample frame's level (after gain) were lost packets."""
TEMPOS = (0.96, 0.97, 0.98, 0.99, 1.0, 1.01, 1.02, 1.03, 1.04)
SHIFTS = (-3, -2, -1, 0, 1, 2, 3)
"""Columns around the hash offset: hash offsets are binned by three columns."""

Spectrum = NDArray[np.float32]

_LN10 = float(np.log(10.0))


def log_spectrum(pcm: Pcm | NDArray[np.float64]) -> Spectrum:
    """(columns, bins) log power in dB, column c starting at sample c * HOP."""
    x = np.asarray(pcm, dtype=np.float64)
    k = n_columns(len(x))
    if k == 0:
        return np.zeros((0, BINS), dtype=np.float32)
    return log_columns(x, 0, k).astype(np.float32)


@dataclass(frozen=True)
class SampleSpectrum:
    """A library sample prepared for verification: frames normalised once, at load time."""

    power: NDArray[np.float64]
    speech: NDArray[np.bool_]
    level_db: NDArray[np.float32]

    @classmethod
    def of(cls, pcm: Pcm) -> SampleSpectrum:
        spec = log_spectrum(pcm)
        level = spec.max(axis=1) if len(spec) else np.zeros(0, dtype=np.float32)
        speech = level >= (float(level.max()) if len(level) else 0.0) - SPEECH_RANGE_DB
        return cls(np.power(10.0, spec.astype(np.float64) / 10.0), speech, level.astype(np.float32))

    @cached_property
    def power_sum(self) -> NDArray[np.float64]:
        """Per frame, the power summed over the band: the denominator of every gain estimate."""
        return np.maximum(self.power.sum(axis=1), 1e-9)

    @cached_property
    def power32(self) -> NDArray[np.float32]:
        return self.power.astype(np.float32)


@dataclass(frozen=True)
class Verification:
    similarity: float
    """Mean per-frame correlation of the log spectra over the compared speech frames."""
    frames: int
    tempo: float
    shift: int


NOISE_PERCENTILE = 20.0
"""Per band, the call's quieter columns are the line's noise: a greeting does not fill every band at once."""


def noise_floor(power: NDArray[np.float64]) -> NDArray[np.float64]:
    """Per band, `np.percentile(power, NOISE_PERCENTILE, axis=0)` to the last bit, at a fifth of its cost.

    A partition around one order statistic; the next one up is the least of those above it. The
    interpolation is numpy's ("linear" method, `_lerp`), step by step.
    """
    n = len(power)
    if n == 0:
        return np.zeros(BINS, dtype=np.float64)
    v = (n - 1) * (NOISE_PERCENTILE / 100)
    i = math.floor(v)
    if v >= n - 1:
        return power.max(axis=0)
    part = np.partition(np.ascontiguousarray(power.T), i, axis=1)
    a, b = part[:, i], part[:, i + 1:].min(axis=1)
    g, d = v - i, b - a
    return b - d * (1 - g) if g >= 0.5 else a + d * g


@dataclass(frozen=True)
class CallPower:
    """The call's power spectrum and noise floor as of one check, shared by all its candidates."""

    power: NDArray[np.float64]
    log_power32: NDArray[np.float32]
    noise: NDArray[np.float64]

    @staticmethod
    def columns(call: Spectrum) -> tuple[NDArray[np.float64], NDArray[np.float32]]:
        """(power, log10 power) of float32 dB columns; per column, so a growing call converts only new ones."""
        power = np.power(10.0, call.astype(np.float64) / 10.0)
        return power, np.log10(power).astype(np.float32)

    @classmethod
    def of(cls, call: Spectrum) -> CallPower:
        return cls.with_noise(*cls.columns(call))

    @classmethod
    def with_noise(cls, power: NDArray[np.float64], log_power32: NDArray[np.float32]) -> CallPower:
        return cls(power, log_power32, noise_floor(power))

    @cached_property
    def log_power(self) -> NDArray[np.float64]:
        return np.log10(self.power)

    @cached_property
    def noise32(self) -> NDArray[np.float32]:
        return self.noise.astype(np.float32)

    @cached_property
    def excess(self) -> NDArray[np.float64]:
        """Per column, the power above the noise floor summed over the band (for the gain estimate)."""
        return np.maximum(self.power - self.noise, 0.0).sum(axis=1)


class CallPowerTrack:
    """`CallPower` of a growing call: columns are converted once; the noise floor is re-estimated per check."""

    def __init__(self) -> None:
        self._power = np.zeros((64, BINS), dtype=np.float64)
        self._log32 = np.zeros((64, BINS), dtype=np.float32)
        self._n = 0

    def update(self, spec: LogSpectrum) -> CallPower:
        """`spec`: the call's log spectrum so far (float64 dB; it only ever grows)."""
        n = len(spec)
        if n > self._n:
            if n > len(self._power):
                cap = max(2 * len(self._power), n)
                self._power = np.concatenate([self._power[:self._n], np.zeros((cap - self._n, BINS))])
                self._log32 = np.concatenate([self._log32[:self._n],
                                              np.zeros((cap - self._n, BINS), dtype=np.float32)])
            # The float32 round trip keeps the figures those of `log_spectrum` (the decibels as stored).
            self._power[self._n:n], self._log32[self._n:n] = CallPower.columns(spec[self._n:n].astype(np.float32))
            self._n = n
        return CallPower.with_noise(self._power[:n], self._log32[:n])


@dataclass(frozen=True)
class Alignments:
    """Where to look for a sample in the call: its start column and the tempos and shifts around it."""

    sample: SampleSpectrum
    offset_col: int
    tempos: tuple[float, ...] = TEMPOS
    shifts: tuple[int, ...] = SHIFTS


def verify(call: CallPower, sample: SampleSpectrum, offset_col: int, tempos: tuple[float, ...] = TEMPOS,
           shifts: tuple[int, ...] = SHIFTS) -> Verification:
    """Compare the call from `offset_col` (where the sample starts in it, may be negative) with the sample.

    The line is modelled as gain plus additive noise: the sample's power spectrum times the gain,
    plus the call's noise floor, predicts each call frame. A replay of the sample then differs from
    the prediction only by the noise's own fluctuation; another recording misses the prediction at
    every harmonic and formant. The score is the correlation of call and prediction (log power)
    over the bands where the predicted recording stands above the noise.

    The best alignment (tempo x shift) is the first (tempo-major, then shift) of the highest score.
    """
    return verify_all(call, [Alignments(sample, offset_col, tempos, shifts)])[0]


def verify_all(call: CallPower, checks: Sequence[Alignments]) -> list[Verification]:
    """`verify` for several candidates at once.

    Candidates of one sample at neighbouring offsets (the pooled hash bins b and b - 1 are three
    columns apart) share most of their alignments: each distinct (tempo, start column) is scored
    once, and every candidate takes its best among its own.
    """
    rows: dict[int, tuple[SampleSpectrum, dict[tuple[float, int], int]]] = {}
    for c in checks:
        keys = rows.setdefault(id(c.sample), (c.sample, {}))[1]
        for t in c.tempos:
            for s in c.shifts:
                keys.setdefault((t, c.offset_col + s), len(keys))
    scores = {sid: _score(call, sample, np.array([k[0] for k in keys], dtype=np.float64),
                          np.array([k[1] for k in keys], dtype=np.int64))
              for sid, (sample, keys) in rows.items()}
    out = []
    for c in checks:
        keys = rows[id(c.sample)][1]
        sim_all, frames_all = scores[id(c.sample)]
        order = [(t, s) for t in c.tempos for s in c.shifts]
        at = np.array([keys[(t, c.offset_col + s)] for t, s in order], dtype=np.int64)
        sim = sim_all[at] if len(at) else np.full(1, -np.inf)
        k = int(np.argmax(sim))
        if not sim[k] > 0.0:
            out.append(Verification(0.0, 0, 1.0, 0))
            continue
        out.append(Verification(float(sim[k]), int(frames_all[at[k]]), float(order[k][0]), int(order[k][1])))
    return out


def _score(call: CallPower, sample: SampleSpectrum, tempo: NDArray[np.float64],
           start: NDArray[np.int64]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """(similarity, compared columns) of each alignment (tempo, start column); -inf where too little compares."""
    sim = np.full(len(tempo), -np.inf)
    frames = np.zeros(len(tempo), dtype=np.int64)
    n_call, n_sample = len(call.power), len(sample.power)
    lo = max(int(start.min()), 0) if len(start) else n_call
    if n_call - lo < 3 or n_sample == 0:
        return sim, frames
    qi = np.arange(lo, n_call)
    rel = qi[None, :] - start[:, None]
    # A faster replay (tempo > 1) covers more of the sample per call column.
    si = np.round(rel * tempo[:, None]).astype(np.int64)
    valid = (rel >= 0) & (si >= 0) & (si < n_sample)
    si = np.clip(si, 0, n_sample - 1)
    valid &= sample.speech[si]
    counts = valid.sum(axis=1)
    rows = np.nonzero(counts >= 3)[0]
    if len(rows) == 0:
        return sim, frames
    valid, si, counts = valid[rows], si[rows], counts[rows]
    gains = call.excess[qi][None, :] / sample.power_sum[si]
    # Per alignment, the median gain over its compared columns (np.median's midpoint rule).
    ordered = np.sort(np.where(valid, gains, np.inf), axis=1)
    r = np.arange(len(rows))
    gain = (ordered[r, (counts - 1) // 2] + ordered[r, counts // 2]) / 2.0
    # Lost packets are silent columns where the recording should sound: leave them out.
    alive = valid & (gains >= (gain / 16.0)[:, None])
    n_alive = alive.sum(axis=1)
    # One row per compared (alignment, column) pair: a dense alignments x columns block would be
    # half made of columns an alignment does not compare.
    pa, pc = np.nonzero(alive)
    noise = call.noise32
    # np.take, not fancy indexing: the same rows, gathered in half the time.
    pred = np.take(sample.power32, si[pa, pc], axis=0)
    pred *= gain.astype(np.float32)[pa][:, None]
    # Per-frame centring: the loudness envelope is common to all speech, the spectra are not.
    # Only audible bands count (weight 1, the rest 0), so the centred sums come from plain
    # weighted sums: sum w(a-ma)(b-mb) = sum wab - sum wa * sum wb / nw, per frame. Per frame the
    # 99 bands are summed in float32, the frames in float64.
    w = np.empty_like(pred)
    np.greater_equal(pred, noise, out=w)
    pred += noise
    # Natural log, not log10: the correlation does not see the scale, and it is twice as fast.
    lb = np.log(pred, out=pred)
    lb *= w
    la = np.take(call.log_power32, qi[pc], axis=0)
    la *= w
    nw = np.einsum("ij->i", w)
    sa, sb = np.einsum("ij->i", la).astype(np.float64), np.einsum("ij->i", lb).astype(np.float64)
    per_frame = np.maximum(nw, 1.0).astype(np.float64)
    m = len(rows)
    sab = np.bincount(pa, np.einsum("ij,ij->i", la, lb) - sa * sb / per_frame, m)
    saa = np.bincount(pa, np.einsum("ij,ij->i", la, la) - sa * sa / per_frame, m)
    sbb = np.bincount(pa, np.einsum("ij,ij->i", lb, lb) - sb * sb / per_frame, m)
    audible = np.bincount(pa, nw, m)
    # lb is ln10 times the log10 figure: sbb carries ln10 squared, so does the guard term.
    s = sab / np.sqrt(saa * sbb + 1e-12 * _LN10 * _LN10)
    sim[rows] = np.where((n_alive >= 3) & (audible >= 10), s, -np.inf)
    frames[rows] = n_alive
    return sim, frames
