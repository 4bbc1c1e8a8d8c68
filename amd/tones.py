"""Layer (a): call-progress tones found with a Goertzel filter bank.

Special information tones, fax (CNG 1100 Hz, CED 2100 Hz), ringback and answering-machine
beeps are steady single tones, so one bank of Goertzel filters over the 20 ms frames finds
them all; what separates them is frequency, duration and sequence.
"""

from __future__ import annotations

import enum
import logging
import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from amd.audio import FRAME_S, FRAME_SAMPLES, RATE, Pcm

log = logging.getLogger("dialer.amd.tones")

_FREQS = np.arange(300.0, 2210.0, 10.0)
_WINDOW = np.hanning(FRAME_SAMPLES)
# Goertzel outputs for all bank frequencies at once: a Goertzel filter evaluated at the end of
# the block equals the DFT term at its frequency, and with the frame zero-padded to RATE / 10 Hz
# points the real FFT's bins fall exactly on the bank's 10 Hz grid. The FFT, not a matrix product
# with the bank: numpy hands a matrix product to a multi-threaded BLAS, whose threads cost ~5 ms per
# 20 ms frame on a loaded 2-core host instead of ~20 us.
_FFT_N = int(RATE / 10.0)
_BINS = slice(int(_FREQS[0] / 10.0), int(_FREQS[-1] / 10.0) + 1)
_PURITY_NORM = 3.0 / FRAME_SAMPLES

MIN_TONE_RMS = 120.0
MIN_PURITY = 0.72
FREQ_TOL_HZ = 30.0

SIT_BANDS = ((913.8, 985.2), (1370.6, 1428.5), (1776.7,))
SIT_SEGMENT_S = (0.2, 0.45)
SIT_GAP_S = 0.12
CNG_HZ, CNG_S = 1100.0, (0.35, 0.75)
CED_HZ, CED_MIN_S = 2100.0, 0.8
RINGBACK_MAX_HZ, RINGBACK_MIN_S = 460.0, 0.6
BEEP_HZ = (440.0, 2000.0)
BEEP_MIN_S = 0.16
BEEP_MAX_DRIFT_HZ = 20.0


class ToneKind(enum.StrEnum):
    SIT = "sit"
    FAX = "fax"
    RINGBACK = "ringback"
    BEEP = "beep"


@dataclass(frozen=True, slots=True)
class ToneEvent:
    kind: ToneKind
    freq_hz: float
    start_s: float
    end_s: float
    steady: bool = True
    """The frequency held within `BEEP_MAX_DRIFT_HZ`, as a generated tone's does."""

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class ToneFrame:
    freq_hz: float
    purity: float
    rms: float
    mean_square: float = 0.0
    """Of the samples: the frame's level (`amd.vad.mean_square_dbfs`) without a second pass over it."""

    @property
    def tonal(self) -> bool:
        return self.rms >= MIN_TONE_RMS and self.purity >= MIN_PURITY


def analyse_frame(frame: Pcm) -> ToneFrame:
    x = frame.astype(np.float64)
    # Squares of 16-bit samples and their sum are exact in float64 whatever the order, so the dot
    # product gives np.mean(x * x) to the last bit, without np.mean's overhead (a third of the cost).
    ms = float(np.dot(x, x)) / max(len(x), 1)
    rms = math.sqrt(ms)
    if rms < MIN_TONE_RMS:
        return ToneFrame(0.0, 0.0, rms, ms)
    xw = x * _WINDOW
    power: NDArray[np.float64] = np.abs(np.fft.rfft(xw, _FFT_N)[_BINS]) ** 2
    k = int(power.argmax())
    energy = float(np.dot(xw, xw))
    purity = float(power[k] * _PURITY_NORM / energy) if energy > 0 else 0.0
    return ToneFrame(float(_FREQS[k]), min(purity, 1.0), rms, ms)


def _sit_band(freq: float) -> int:
    for i, band in enumerate(SIT_BANDS):
        if any(abs(freq - f) <= 40.0 for f in band):
            return i
    return -1


@dataclass(slots=True)
class _Run:
    start_s: float
    end_s: float
    freq_sum: float
    n: int
    gap: int = 0
    f_min: float = 0.0
    f_max: float = 0.0

    @property
    def freq(self) -> float:
        return self.freq_sum / self.n

    @property
    def steady(self) -> bool:
        """A generated tone holds its frequency; a sung or drawn-out vowel glides."""
        return self.f_max - self.f_min <= BEEP_MAX_DRIFT_HZ

    @property
    def duration(self) -> float:
        return self.end_s - self.start_s


class ToneDetector:
    """Feeds on 20 ms frames; reports a tone event once its kind is certain."""

    def __init__(self) -> None:
        self._run: _Run | None = None
        self._pending: _Run | None = None  # a finished run that may be the start of a SIT
        self._sit_chain = 0
        self._last_sit_band = -1
        self._reported_long = False
        self.tonal_frames = 0
        self.in_tone = False
        self.frame = ToneFrame(0.0, 0.0, 0.0)
        """The last frame's analysis."""

    def feed(self, frame: Pcm, t_s: float) -> ToneEvent | None:
        """`t_s` is the stream time at the start of the frame."""
        tf = analyse_frame(frame)
        self.frame = tf
        self.in_tone = tf.tonal
        end = t_s + FRAME_S
        event: ToneEvent | None = None
        if self._pending is not None and end - self._pending.end_s > SIT_GAP_S + FRAME_S:
            run = self._run
            continues_sit = (run is not None and run.start_s - self._pending.end_s <= SIT_GAP_S
                             and _sit_band(run.freq) == self._last_sit_band + 1)
            if not continues_sit:
                event = self._settle_pending()
        run = self._run
        if tf.tonal and run is not None and abs(tf.freq_hz - run.freq) <= FREQ_TOL_HZ:
            run.end_s, run.freq_sum, run.n, run.gap = end, run.freq_sum + tf.freq_hz, run.n + 1, 0
            run.f_min, run.f_max = min(run.f_min, tf.freq_hz), max(run.f_max, tf.freq_hz)
            self.tonal_frames += 1
            return event or self._check_long(run)
        if run is not None and not tf.tonal and run.gap == 0 and run.n >= 3:
            # One bad frame (packet loss, a click) should not split a tone in two.
            run.gap = 1
            return event
        if run is not None:
            event = event or self._finish_run(run)
        self._run = _Run(t_s, end, tf.freq_hz, 1, 0, tf.freq_hz, tf.freq_hz) if tf.tonal else None
        self._reported_long = False
        if tf.tonal:
            self.tonal_frames += 1
        return event

    @property
    def busy(self) -> bool:
        """A tone sounds now or has just ended without a verdict on what it was."""
        # A run in its one-frame grace gap (see `feed`) has not been judged yet either: the
        # silence before a beep must not end in a HUMAN verdict one frame before the beep's.
        run = self._run
        return self.in_tone or self._pending is not None or (run is not None and run.gap > 0)

    def finish(self) -> ToneEvent | None:
        event = self._finish_run(self._run) if self._run is not None else None
        self._run = None
        return event or (self._settle_pending() if self._pending is not None else None)

    def _check_long(self, run: _Run) -> ToneEvent | None:
        """Long tones are reported while still sounding: a fax or a beep need not end first."""
        if self._reported_long:
            return None
        f, d = run.freq, run.duration
        kind: ToneKind | None = None
        if abs(f - CED_HZ) <= FREQ_TOL_HZ and d >= CED_MIN_S:
            kind = ToneKind.FAX
        elif f < RINGBACK_MAX_HZ:
            # A 440 Hz voicemail beep and a ringback burst differ only in length and cadence, so
            # the tone is judged once it ends (`_classify_single`), not while it sounds.
            return None
        elif (BEEP_HZ[0] <= f <= BEEP_HZ[1] and d > max(SIT_SEGMENT_S[1], CNG_S[1]) and abs(f - CED_HZ) > 50
              and run.steady):
            kind = ToneKind.BEEP
        if kind is None:
            return None
        self._reported_long = True
        return ToneEvent(kind, round(f, 1), run.start_s, run.end_s)

    def _finish_run(self, run: _Run) -> ToneEvent | None:
        if self._reported_long:
            self._reported_long = False
            return None
        f, d = run.freq, run.duration
        band = _sit_band(f)
        if band >= 0 and SIT_SEGMENT_S[0] <= d <= SIT_SEGMENT_S[1]:
            follows = self._pending is not None and band == self._last_sit_band + 1
            self._sit_chain = self._sit_chain + 1 if follows else 1
            self._last_sit_band = band
            if self._sit_chain >= 2:
                self._pending, self._sit_chain, self._last_sit_band = None, 0, -1
                return ToneEvent(ToneKind.SIT, round(f, 1), run.start_s, run.end_s)
            self._pending = run
            return None
        self._pending, self._sit_chain, self._last_sit_band = None, 0, -1
        return self._classify_single(run)

    def _settle_pending(self) -> ToneEvent | None:
        run, self._pending = self._pending, None
        self._sit_chain, self._last_sit_band = 0, -1
        return self._classify_single(run) if run is not None else None

    @staticmethod
    def _classify_single(run: _Run) -> ToneEvent | None:
        f, d = run.freq, run.duration
        if abs(f - CNG_HZ) <= FREQ_TOL_HZ and CNG_S[0] <= d <= CNG_S[1]:
            return ToneEvent(ToneKind.FAX, round(f, 1), run.start_s, run.end_s, run.steady)
        if f < RINGBACK_MAX_HZ and d >= RINGBACK_MIN_S:
            return ToneEvent(ToneKind.RINGBACK, round(f, 1), run.start_s, run.end_s, run.steady)
        if BEEP_HZ[0] <= f <= BEEP_HZ[1] and d >= BEEP_MIN_S and run.steady:
            return ToneEvent(ToneKind.BEEP, round(f, 1), run.start_s, run.end_s)
        return None
