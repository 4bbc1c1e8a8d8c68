"""The call's shared spectrum: streamed columns are the offline ones; peaks as scipy's filter finds them."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import maximum_filter

from amd.audio import frames
from amd.fingerprint import F_LO, MAX_PEAKS_PER_COL, PEAK_F, PEAK_T, _peaks
from amd.stft import Stft
from amd.verify import log_spectrum


def test_streamed_columns_are_the_offline_spectrum(machine_pcm: np.ndarray) -> None:
    pcm = machine_pcm[: 3 * 8000]
    stft = Stft()
    for i, fr in enumerate(frames(pcm)):
        stft.push(fr)
        if i % 3 == 0:
            stft.columns()
    assert np.array_equal(stft.columns().astype(np.float32), log_spectrum(pcm))


def test_pushed_audio_is_copied() -> None:
    # A receiver may reuse its frame buffer: columns read later must not see the new contents.
    buf = np.full(160, 3000, dtype=np.int16)
    stft, ref = Stft(), Stft()
    for _ in range(4):
        stft.push(buf)
        ref.push(buf.copy())
    buf[:] = 0
    assert np.array_equal(stft.columns(), ref.columns())


def _reference_peaks(spec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Peaks of the whole spectrogram with scipy's 2-D maximum filter (the former implementation)."""
    local_max = maximum_filter(spec, size=(PEAK_T, PEAK_F), mode="nearest")
    ok = (spec >= local_max) & (spec > 35.0) & (spec - spec.mean(axis=1, keepdims=True) > 6.0)
    cols, bins = np.nonzero(ok)
    order = np.lexsort((-spec[cols, bins], cols))
    cols, bins = cols[order], bins[order]
    keep = np.arange(len(cols)) - np.searchsorted(cols, cols) < MAX_PEAKS_PER_COL
    return cols[keep], bins[keep] + F_LO


@pytest.mark.parametrize("lo,hi", [(0, None), (0, 5), (3, 12), (40, 47), (80, 95), (-3, None)])
def test_peaks_in_a_stretch_are_those_of_the_whole(machine_pcm: np.ndarray, lo: int, hi: int | None) -> None:
    # Stretches at both edges (where the filter extends the spectrogram) and inside it.
    spec = log_spectrum(machine_pcm[: 2 * 8000]).astype(np.float64)
    lo = lo % len(spec)
    stop = len(spec) if hi is None else hi
    ref_cols, ref_bins = _reference_peaks(spec)
    assert len(ref_cols) > 50
    sel = (ref_cols >= lo) & (ref_cols < stop)
    cols, bins = _peaks(spec, lo, hi)
    assert np.array_equal(cols, ref_cols[sel]) and np.array_equal(bins, ref_bins[sel])
