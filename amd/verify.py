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

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from amd.audio import RATE, Pcm

N_FFT = 256
HOP = 128  # the fingerprint's column grid, so hash offsets are in the same units
COL_S = HOP / RATE
F_LO, F_HI = 10, 109  # 312..3400 Hz, the telephone band
SPEECH_RANGE_DB = 30.0
"""Sample frames this far below the sample's loudest are pauses: they carry line noise, not the recording."""
DROP_DB = 12.0
"""Call frames this far below the matching sample frame's level (after gain) were lost packets."""
TEMPOS = (0.96, 0.97, 0.98, 0.99, 1.0, 1.01, 1.02, 1.03, 1.04)
SHIFTS = (-3, -2, -1, 0, 1, 2, 3)
"""Columns around the hash offset: hash offsets are binned by three columns."""

_WINDOW = np.hanning(N_FFT)

Spectrum = NDArray[np.float32]


def log_spectrum(pcm: Pcm | NDArray[np.float64]) -> Spectrum:
    """(columns, bins) log power in dB, column c starting at sample c * HOP."""
    x = np.asarray(pcm, dtype=np.float64)
    if len(x) < N_FFT:
        return np.zeros((0, F_HI - F_LO), dtype=np.float32)
    n_cols = (len(x) - N_FFT) // HOP + 1
    idx = np.arange(n_cols)[:, None] * HOP + np.arange(N_FFT)[None, :]
    spec = np.abs(np.fft.rfft(x[idx] * _WINDOW, axis=1)) ** 2
    return (10.0 * np.log10(spec[:, F_LO:F_HI] + 1.0)).astype(np.float32)


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


class CallSpectrum:
    """The call's log spectrum on the fingerprint's column grid, grown as audio arrives."""

    def __init__(self) -> None:
        self._tail = np.zeros(0, dtype=np.float64)
        self._cols: list[Spectrum] = []

    def push(self, pcm: Pcm) -> None:
        self._tail = np.concatenate([self._tail, pcm.astype(np.float64)])

    def spectrum(self) -> Spectrum:
        spec = log_spectrum(self._tail)
        if len(spec):
            self._cols.append(spec)
            # Keep the overlap the next column needs; everything before it is final.
            self._tail = self._tail[len(spec) * HOP:]
            self._cols = [np.concatenate(self._cols)]
        return self._cols[0] if self._cols else np.zeros((0, F_HI - F_LO), dtype=np.float32)


@dataclass(frozen=True)
class Verification:
    similarity: float
    """Mean per-frame correlation of the log spectra over the compared speech frames."""
    frames: int
    tempo: float
    shift: int


NOISE_PERCENTILE = 20.0
"""Per band, the call's quieter columns are the line's noise: a greeting does not fill every band at once."""


@dataclass(frozen=True)
class CallPower:
    """The call's power spectrum and noise floor, computed once per check for all candidates."""

    power: NDArray[np.float64]
    log_power: NDArray[np.float64]
    noise: NDArray[np.float64]

    @classmethod
    def of(cls, call: Spectrum) -> CallPower:
        power = np.power(10.0, call.astype(np.float64) / 10.0)
        noise = (np.percentile(power, NOISE_PERCENTILE, axis=0) if len(power)
                 else np.zeros(F_HI - F_LO, dtype=np.float64))
        return cls(power, np.log10(power), noise)

    @cached_property
    def log_power32(self) -> NDArray[np.float32]:
        return self.log_power.astype(np.float32)

    @cached_property
    def excess(self) -> NDArray[np.float64]:
        """Per column, the power above the noise floor summed over the band (for the gain estimate)."""
        return np.maximum(self.power - self.noise, 0.0).sum(axis=1)


def verify(call: CallPower, sample: SampleSpectrum, offset_col: int, tempos: tuple[float, ...] = TEMPOS,
           shifts: tuple[int, ...] = SHIFTS) -> Verification:
    """Compare the call from `offset_col` (where the sample starts in it, may be negative) with the sample.

    The line is modelled as gain plus additive noise: the sample's power spectrum times the gain,
    plus the call's noise floor, predicts each call frame. A replay of the sample then differs from
    the prediction only by the noise's own fluctuation; another recording misses the prediction at
    every harmonic and formant. The score is the correlation of call and prediction (log power)
    over the bands where the predicted recording stands above the noise.

    All alignments (tempo x shift) are scored at once, as rows of one array: a call holds only
    a few dozen comparable columns, so one pass per alignment was mostly numpy's per-call
    overhead. The best alignment is the first (tempo-major, then shift) of the highest score.
    """
    best = Verification(0.0, 0, 1.0, 0)
    n_call, n_sample = len(call.power), len(sample.power)
    tempo = np.repeat(np.asarray(tempos, dtype=np.float64), len(shifts))
    shift = np.tile(np.asarray(shifts, dtype=np.int64), len(tempos))
    start = offset_col + shift
    lo = max(int(start.min()), 0) if len(start) else n_call
    if n_call - lo < 3 or n_sample == 0:
        return best
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
        return best
    valid, si, counts = valid[rows], si[rows], counts[rows]
    gains = call.excess[qi][None, :] / sample.power_sum[si]
    # Per alignment, the median gain over its compared columns (np.median's midpoint rule).
    ordered = np.sort(np.where(valid, gains, np.inf), axis=1)
    r = np.arange(len(rows))
    gain = (ordered[r, (counts - 1) // 2] + ordered[r, counts // 2]) / 2.0
    # Lost packets are silent columns where the recording should sound: leave them out.
    alive = valid & (gains >= (gain / 16.0)[:, None])
    frames = alive.sum(axis=1)
    cols = np.nonzero(alive.any(axis=0))[0]
    alive, si, qi = alive[:, cols], si[:, cols], qi[cols]
    noise = call.noise
    gsp = gain[:, None, None] * sample.power[si]
    audible = (gsp >= noise) & alive[:, :, None]
    # Per-frame centring: the loudness envelope is common to all speech, the spectra are not.
    # Only audible bands count (weight 1, the rest 0), so the centred sums come from plain
    # weighted sums: sum w(a-ma)(b-mb) = sum wab - sum wa * sum wb / nw, per frame. The log spectra
    # come from float32 decibels, so the elementwise work is done in float32 (half the memory
    # traffic); the sums are accumulated in float64.
    w = audible.astype(np.float32)
    la = call.log_power32[qi][None, :, :] * w
    lb = np.log10((gsp + noise).astype(np.float32)) * w
    nw = np.maximum(w.sum(axis=2, dtype=np.float64), 1.0)
    sa, sb = la.sum(axis=2, dtype=np.float64), lb.sum(axis=2, dtype=np.float64)
    sab = np.einsum("aij,aij->a", la, lb, dtype=np.float64) - (sa * sb / nw).sum(axis=1)
    saa = np.einsum("aij,aij->a", la, la, dtype=np.float64) - (sa * sa / nw).sum(axis=1)
    sbb = np.einsum("aij,aij->a", lb, lb, dtype=np.float64) - (sb * sb / nw).sum(axis=1)
    sim = sab / np.sqrt(saa * sbb + 1e-12)
    ok = (frames >= 3) & (audible.sum(axis=(1, 2)) >= 10)
    sim = np.where(ok, sim, -np.inf)
    k = int(np.argmax(sim))
    if not sim[k] > 0.0:
        return best
    a = int(rows[k])
    return Verification(float(sim[k]), int(frames[k]), float(tempo[a]), int(shift[a]))
