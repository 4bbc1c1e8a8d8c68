"""The exact-recording check: a replay through the phone line passes, other audio does not."""

from __future__ import annotations

import numpy as np

from amd.verify import CallPower, SampleSpectrum, log_spectrum, verify
from tests.amd.test_fingerprint import degrade


def test_replay_passes_and_other_audio_fails(machine_pcm: np.ndarray, human_pcm: np.ndarray) -> None:
    sample = SampleSpectrum.of(machine_pcm[: 3 * 8000])
    lead = np.zeros(1600, dtype=np.int16)  # 0.2 s = 12.5 columns before the sample starts
    replay = np.concatenate([lead, degrade(machine_pcm[: 2 * 8000], "alaw", 15.0, -10.0, 0.02)])
    ok = verify(CallPower.of(log_spectrum(replay)), sample, 12)
    assert ok.frames > 30
    other = np.concatenate([lead, human_pcm[: 2 * 8000]])
    bad = verify(CallPower.of(log_spectrum(other)), sample, 12)
    assert bad.similarity < ok.similarity - 0.3
