"""Per-frame voice activity: webrtcvad plus two energy gates, an absolute one and one relative to
the line's own noise."""

from __future__ import annotations

import math

import numpy as np
import webrtcvad

from amd.audio import RATE, Pcm

# webrtcvad flags low-level hiss on quiet lines; speech this far below full scale is not a greeting.
MIN_SPEECH_DBFS = -60.0
NOISE_MARGIN_DB = 3.0
"""A frame is speech only this far above the line's noise floor. On noisy lines (SNR ~12 dB and
less) webrtcvad fires on the hiss itself, joining the silence before and after a person's «Алло?»
into one 3-4 s utterance that reads as a recording. 20 ms of stationary line noise varies by about
±0.5 dB and its quietest frames sit ~1.5 dB under its mean, so 3 dB above the floor rejects it,
while even the quieter half of speech at 10 dB SNR passes (training corpus, seed 2)."""
NOISE_RISE_DB_PER_FRAME = 0.02
"""The floor is the quietest frame heard, drifting up 1 dB/s so that a line whose noise grows (or
a first frame that was already speech) is re-learned; any quieter frame resets it at once."""
NOISE_HANGOVER_FRAMES = 10
"""webrtcvad's own decisions stand for 0.2 s after the last frame above the noise gate: its hangover
bridges the dips between the words of one phrase, and the greeting timing the classifier was
trained on depends on that. Only longer stretches that never rise above the noise are vetoed."""
LOST_FRAME_DBFS = -100.0
"""A zeroed (lost) packet says nothing about the line's noise."""


def frame_dbfs(frame: Pcm) -> float:
    x = frame.astype(np.float64)
    return mean_square_dbfs(float(np.dot(x, x)) / max(len(x), 1))


def mean_square_dbfs(ms: float) -> float:
    return 10.0 * math.log10(ms / (32768.0 * 32768.0) + 1e-12)


class Vad:
    """One call's voice activity; it learns that call's noise floor, so use one per call."""

    def __init__(self, aggressiveness: int = 3, noise_margin_db: float = NOISE_MARGIN_DB) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)
        self._margin = noise_margin_db
        self.noise_floor_dbfs: float | None = None
        self._since_loud = NOISE_HANGOVER_FRAMES + 1

    def is_speech(self, frame: Pcm, dbfs: float) -> bool:
        if dbfs <= LOST_FRAME_DBFS:
            return False
        floor = self.noise_floor_dbfs
        floor = dbfs if floor is None or dbfs < floor else floor + NOISE_RISE_DB_PER_FRAME
        self.noise_floor_dbfs = floor
        if dbfs < MIN_SPEECH_DBFS:
            return False
        # webrtcvad adapts to what it is fed: it hears every frame it used to, the gate only vetoes.
        pcm = frame if frame.dtype == np.dtype("<i2") else frame.astype("<i2")
        voiced = bool(self._vad.is_speech(pcm.tobytes(), RATE))
        if dbfs >= floor + self._margin:
            self._since_loud = 0
        else:
            self._since_loud += 1
        return voiced and self._since_loud <= NOISE_HANGOVER_FRAMES
