"""Landmark matching survives G.711, noise, gain and lost frames; it does not match other audio."""

from __future__ import annotations

import numpy as np
import pytest

from amd.audio import alaw_decode, alaw_encode, frames, ulaw_decode, ulaw_encode
from amd.fingerprint import Fingerprinter, FingerprintIndex, MatchAccumulator, fingerprint


def degrade(x: np.ndarray, codec: str, snr_db: float, gain_db: float, loss: float, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = x.astype(np.float64) * 10 ** (gain_db / 20)
    loud = y[np.abs(y) > 100]
    ref = float(np.sqrt(np.mean(loud ** 2))) if len(loud) else 1000.0
    y = y + rng.normal(0, ref / 10 ** (snr_db / 20), len(y))
    y = np.clip(np.round(y), -32768, 32767).astype(np.int16)
    if codec == "ulaw":
        y = ulaw_decode(ulaw_encode(y))
    elif codec == "alaw":
        y = alaw_decode(alaw_encode(y))
    for i in np.nonzero(rng.random(len(y) // 160) < loss)[0]:
        y[i * 160:(i + 1) * 160] = 0
    return y


def stream_match(index: FingerprintIndex, pcm: np.ndarray) -> tuple[str | None, float | None]:
    fp, acc = Fingerprinter(), MatchAccumulator(index)
    for i, fr in enumerate(frames(pcm)):
        fp.push(fr)
        if i % 5 == 4 and (m := acc.add(*fp.take())) is not None:
            return m.sample_id, (i + 1) * 0.02
    m = acc.add(*fp.take(final=True))
    return (m.sample_id, len(pcm) / 8000) if m else (None, None)


@pytest.fixture
def index(machine_pcm: np.ndarray) -> FingerprintIndex:
    greeting = machine_pcm[: 5 * 8000]
    return FingerprintIndex({"vm": (*fingerprint(greeting), 5.0)})


@pytest.mark.parametrize("codec", ["ulaw", "alaw", "l16"])
@pytest.mark.parametrize("snr_db,gain_db", [(40.0, 0.0), (15.0, -15.0), (20.0, 6.0)])
def test_match_is_robust(index: FingerprintIndex, machine_pcm: np.ndarray, codec: str, snr_db: float,
                         gain_db: float) -> None:
    query = np.concatenate([np.zeros(4000, dtype=np.int16), degrade(machine_pcm, codec, snr_db, gain_db, 0.02)])
    sid, at = stream_match(index, query)
    assert sid == "vm"
    assert at is not None and at <= 0.5 + 0.4 + 2.0  # within 2 s of the greeting's speech onset


def test_no_match_on_other_audio(index: FingerprintIndex, human_pcm: np.ndarray) -> None:
    rng = np.random.default_rng(3)
    assert stream_match(index, human_pcm) == (None, None)
    assert stream_match(index, rng.normal(0, 2000, 40000).astype(np.int16)) == (None, None)


def test_streaming_equals_offline(machine_pcm: np.ndarray) -> None:
    h_off, t_off = fingerprint(machine_pcm)
    fp = Fingerprinter()
    parts_h, parts_t = [], []
    for i, fr in enumerate(frames(machine_pcm)):
        fp.push(fr)
        if i % 7 == 0:
            h, t = fp.take()
            parts_h.append(h)
            parts_t.append(t)
    h, t = fp.take(final=True)
    h_st, t_st = np.concatenate([*parts_h, h]), np.concatenate([*parts_t, t])
    # The tail frame padding differs by under one frame; everything before it must agree.
    common = min(len(h_off), len(h_st)) - 50
    assert common > 200
    assert np.array_equal(h_off[:common], h_st[:common]) and np.array_equal(t_off[:common], t_st[:common])


def test_gain_does_not_move_landmarks(machine_pcm: np.ndarray) -> None:
    a = set(fingerprint(machine_pcm)[0].tolist())
    b = set(fingerprint((machine_pcm.astype(np.float64) * 0.25).astype(np.int16))[0].tolist())
    assert len(a & b) / len(a) > 0.8
