from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from amd.audio import frames, read_audio
from amd.detector import Detector
from amd.tones import ToneDetector, ToneEvent, ToneKind
from amd.verdict import Verdict, VerdictKind
from tests.amd.conftest import silence, tone


def events(sig: np.ndarray) -> list[ToneEvent]:
    d = ToneDetector()
    out = [e for i, fr in enumerate(frames(sig)) if (e := d.feed(fr, i * 0.02)) is not None]
    last = d.finish()
    return out + ([last] if last else [])


@pytest.mark.parametrize("freq", [440.0, 1000.0, 1400.0, 2000.0])
def test_beep(freq: float) -> None:
    ev = events(np.concatenate([silence(0.3), tone(freq, 0.4), silence(0.5)]))
    assert [e.kind for e in ev] == [ToneKind.BEEP]
    assert abs(ev[0].freq_hz - freq) <= 15


@pytest.mark.parametrize("lo,mid", [(913.8, 1370.6), (985.2, 1428.5)])
def test_sit(lo: float, mid: float) -> None:
    sig = np.concatenate([silence(0.2), tone(lo, 0.274), tone(mid, 0.274), tone(1776.7, 0.38), silence(0.3)])
    ev = events(sig)
    assert ev and ev[0].kind is ToneKind.SIT


def test_fax_cng_and_ced() -> None:
    assert events(np.concatenate([silence(0.3), tone(1100, 0.5), silence(1.0)]))[0].kind is ToneKind.FAX
    assert events(np.concatenate([silence(0.3), tone(2100, 2.0)]))[0].kind is ToneKind.FAX


def test_ringback_is_not_a_beep() -> None:
    assert [e.kind for e in events(np.concatenate([tone(425, 1.0), silence(1.0)]))] == [ToneKind.RINGBACK]


def test_gliding_tone_is_not_a_beep() -> None:
    t = np.arange(int(0.5 * 8000)) / 8000
    glide = (8000 * np.sin(2 * np.pi * (600 * t + 400 * t * t))).astype(np.int16)  # 600 -> 1000 Hz
    assert all(e.kind is not ToneKind.BEEP for e in events(np.concatenate([glide, silence(0.5)])))


def test_noise_is_not_a_tone() -> None:
    rng = np.random.default_rng(1)
    assert events(rng.normal(0, 3000, 16000).astype(np.int16)) == []


def test_detector_verdicts_on_tones() -> None:
    def verdict(sig: np.ndarray, answer: float | None = 0.0) -> VerdictKind:
        det = Detector(answered_at_s=answer)
        for fr in frames(sig):
            if (v := det.feed(fr)) is not None:
                return v.kind
        return det.finish().kind

    sit = np.concatenate([silence(0.2), tone(913.8, 0.274), tone(1370.6, 0.274), tone(1776.7, 0.38), silence(1)])
    assert verdict(sit, answer=None) is VerdictKind.SIT  # SIT in early media, never answered
    assert verdict(np.concatenate([silence(0.3), tone(2100, 3.0)])) is VerdictKind.FAX
    assert verdict(np.concatenate([silence(0.5), tone(1000, 0.5), silence(1.0)])) is VerdictKind.MACHINE
    # A beep in early media (before answer) does not make the answered call a machine.
    assert verdict(np.concatenate([tone(1000, 0.5), silence(3.0)]), answer=1.0) is VerdictKind.SILENCE


SPEECH = Path(__file__).resolve().parents[2] / "amd" / "data" / "sim" / "library" / "robot00.wav"


def _after_greeting(freq: float, seconds: float) -> np.ndarray:
    greeting = read_audio(SPEECH)[: 8000 * 3 // 2]  # 1.5 s of a spoken sentence
    return np.concatenate([silence(0.3), greeting, silence(0.3), tone(freq, seconds), silence(2.0)])


def _verdict(sig: np.ndarray) -> Verdict:
    det = Detector()
    for fr in frames(sig):
        if (v := det.feed(fr)) is not None:
            return v
    return det.finish()


@pytest.mark.parametrize("freq,seconds", [(440.0, 0.8), (425.0, 0.9), (1100.0, 0.6)])
def test_a_ringback_or_cng_pitched_beep_after_a_greeting_is_a_voicemail_beep(freq: float, seconds: float) -> None:
    v = _verdict(_after_greeting(freq, seconds))
    assert v.kind is VerdictKind.MACHINE and "beep" in v.reason


def test_a_ringback_burst_after_a_greeting_is_not_a_beep() -> None:
    # 1 s on: a call being transferred after an announcement, not a voicemail.
    assert "beep" not in _verdict(_after_greeting(425.0, 1.0)).reason


def test_cng_with_no_greeting_is_still_a_fax() -> None:
    sig = np.concatenate([silence(0.5), tone(1100.0, 0.5), silence(3.0), tone(1100.0, 0.5), silence(1.0)])
    assert _verdict(sig).kind is VerdictKind.FAX
