"""The call's short-time log spectrum, each column computed once, as its audio arrives.

Landmark fingerprints (`amd.fingerprint`) and the exact-recording check (`amd.verify`) read the
same columns: a 256-point Hann window every 128 samples, the telephone band only. A detector feeds
one `Stft` to both, so a column is transformed once per call and no step re-reads earlier audio
(re-transforming or re-joining the whole call at every step made the cost grow with its length).
"""

from __future__ import annotations

import functools

import numpy as np
from numpy.typing import NDArray

from amd.audio import RATE, Pcm

N_FFT = 256
HOP = 128
COL_S = HOP / RATE
F_LO, F_HI = 10, 109  # bins 312..3400 Hz: what survives a telephone band-pass
BINS = F_HI - F_LO

_WINDOW = np.hanning(N_FFT)

LogSpectrum = NDArray[np.float64]
"""(columns, bins) log power in dB, column c starting at sample c * HOP."""


@functools.cache
def _frame_index(n_cols: int) -> NDArray[np.intp]:
    """Sample indexes of columns 0..n_cols (a streaming call transforms the same few counts over and over)."""
    idx = np.arange(n_cols)[:, None] * HOP + np.arange(N_FFT)[None, :]
    idx.setflags(write=False)
    return idx


def log_columns(x: NDArray[np.float64], first_col: int, n_cols: int) -> LogSpectrum:
    """Columns `first_col`.. of the audio `x`, which must hold all their samples."""
    idx = _frame_index(n_cols) if n_cols <= 64 else _frame_index.__wrapped__(n_cols)
    spec = np.abs(np.fft.rfft(x[first_col * HOP:][idx] * _WINDOW, axis=1)[:, F_LO:F_HI]) ** 2
    return 10.0 * np.log10(spec + 1.0)


def n_columns(n_samples: int) -> int:
    return 0 if n_samples < N_FFT else (n_samples - N_FFT) // HOP + 1


class Stft:
    """Push audio, read the columns whose samples have all arrived (computed lazily, in batches)."""

    def __init__(self) -> None:
        self._pending: list[NDArray[np.float64]] = []
        self._tail = np.zeros(0, dtype=np.float64)
        """Samples from the next column's start on."""
        self._cols = np.zeros((64, BINS), dtype=np.float64)
        self._n = 0
        self.samples = 0

    def push(self, pcm: Pcm) -> None:
        # Transforms are batched until read: one FFT call per step, not one per 20 ms frame. The
        # copy (as float64) keeps the samples even if the caller reuses its buffer.
        self._pending.append(pcm.astype(np.float64))
        self.samples += len(pcm)

    def columns(self) -> LogSpectrum:
        """All complete columns so far (a view: valid until the next `columns()`)."""
        if self._pending:
            self._tail = np.concatenate([self._tail, *self._pending])
            self._pending = []
            k = n_columns(len(self._tail))
            if k:
                if self._n + k > len(self._cols):
                    grown = np.zeros((max(2 * len(self._cols), self._n + k), BINS), dtype=np.float64)
                    grown[:self._n] = self._cols[:self._n]
                    self._cols = grown
                self._cols[self._n:self._n + k] = log_columns(self._tail, 0, k)
                self._n += k
                self._tail = self._tail[k * HOP:]
        return self._cols[:self._n]

    def padded_column(self) -> LogSpectrum:
        """For audio shorter than one window: a single column with the rest zero-padded."""
        self.columns()
        x = np.concatenate([self._tail, np.zeros(max(N_FFT - len(self._tail), 0))])
        return log_columns(x, 0, 1)
