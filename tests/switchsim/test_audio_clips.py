"""The simulated switch's unicast clips: what a detector hears must start at the answer."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np
import pytest

from amd.audio import frames
from amd.detector import Detector
from amd.verdict import VerdictKind
from fs_app.switchsim.audio import load_library
from fs_app.switchsim.server import SwitchConfig

SHIPPED = Path(__file__).resolve().parents[2] / "amd" / "data" / "sim"


def _wav(path: Path, pcm: bytes) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(pcm)


def test_a_clip_recorded_with_its_ringing_starts_at_the_answer(tmp_path: Path) -> None:
    before, after = b"\x01\x00" * 8000, b"\x02\x00" * 4000  # 1 s of ringing, 0.5 s after the answer
    _wav(tmp_path / "a.wav", before + after)
    _wav(tmp_path / "b.wav", after)
    (tmp_path / "manifest.json").write_text(json.dumps({"items": [
        {"file": "a.wav", "label": "human", "answer_at_s": 1.0},
        {"file": "b.wav", "label": "voicemail", "answer_at_s": None}]}), encoding="utf-8")
    lib = load_library(tmp_path)
    assert lib["human"] == [after]
    assert lib["voicemail"] == [after]


def test_every_shipped_person_is_heard_as_a_person() -> None:
    # Before the clips were cut at the answer, people whose recording began with two seconds of
    # ringing reached the engine's detector as SILENCE in the demo.
    lib = load_library(SHIPPED)
    assert lib["human"]
    for pcm in lib["human"]:
        det = Detector()
        verdict = None
        for fr in frames(np.frombuffer(pcm, dtype=np.int16)):
            verdict = det.feed(fr)
            if verdict is not None:
                break
        kind = (verdict or det.finish()).kind
        assert kind in (VerdictKind.HUMAN, VerdictKind.NOTSURE)


def test_the_switch_finds_its_clips_from_any_working_directory(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # the demo is started from wherever the user stands
    assert load_library(SwitchConfig().audio_dir)["human"]
