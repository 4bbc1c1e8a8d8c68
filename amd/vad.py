"""Per-frame voice activity: webrtcvad plus an energy gate."""

from __future__ import annotations

import math

import numpy as np
import webrtcvad

from amd.audio import RATE, Pcm

# webrtcvad flags low-level hiss on quiet lines; speech this far below full scale is not a greeting.
MIN_SPEECH_DBFS = -60.0


def frame_dbfs(frame: Pcm) -> float:
    x = frame.astype(np.float64)
    ms = float(np.dot(x, x)) / max(len(x), 1)
    return 10.0 * math.log10(ms / (32768.0 * 32768.0) + 1e-12)


class Vad:
    def __init__(self, aggressiveness: int = 3) -> None:
        self._vad = webrtcvad.Vad(aggressiveness)

    def is_speech(self, frame: Pcm, dbfs: float) -> bool:
        if dbfs < MIN_SPEECH_DBFS:
            return False
        return bool(self._vad.is_speech(frame.astype("<i2").tobytes(), RATE))
