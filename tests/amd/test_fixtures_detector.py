"""The detector on real FreeSWITCH unicast audio."""

from __future__ import annotations

import numpy as np

from amd.audio import FRAME_SAMPLES, frames
from amd.detector import Detector
from amd.library import SampleLibrary, SampleStatus
from amd.verdict import Verdict, VerdictKind


def run(pcm: np.ndarray, det: Detector) -> Verdict:
    for fr in frames(pcm):
        v = det.feed(fr)
        if v is not None:
            return v
    return det.finish()


def test_human_fixture_routes_to_operator(human_pcm: np.ndarray) -> None:
    v = run(human_pcm, Detector())
    assert v.kind in (VerdictKind.HUMAN, VerdictKind.NOTSURE), v
    assert v.at_s < 4.0


def test_machine_fixture_is_machine(machine_pcm: np.ndarray) -> None:
    v = run(machine_pcm, Detector())
    assert v.kind is VerdictKind.MACHINE, v
    assert v.reason


def test_machine_fixture_found_in_library_as_robot(machine_pcm: np.ndarray, human_pcm: np.ndarray) -> None:
    lib = SampleLibrary()
    lib.add("vm-greeting", machine_pcm[: 4 * 8000], SampleStatus.VERIFIED)
    v = run(machine_pcm, Detector(lib))
    assert v.kind is VerdictKind.ROBOT and v.sample_id == "vm-greeting", v
    assert lib.stats("vm-greeting").matches == 1
    assert run(human_pcm, Detector(lib)).kind is not VerdictKind.ROBOT


def test_stream_stopping_mid_call_gives_verdict_on_what_arrived(machine_pcm: np.ndarray) -> None:
    det = Detector()
    for fr in list(frames(machine_pcm))[:60]:  # 1.2 s: greeting under way
        assert det.feed(fr) is None
    v = det.finish()
    assert v.kind in (VerdictKind.NOTSURE, VerdictKind.HUMAN, VerdictKind.MACHINE)
    assert abs(v.at_s - 1.2) < 1e-6
    assert det.finish() is v  # idempotent


def test_silent_call_is_silence() -> None:
    det = Detector()
    rng = np.random.default_rng(0)
    verdict = None
    for _ in range(200):
        verdict = det.feed((rng.normal(0, 30, FRAME_SAMPLES)).astype(np.int16))
        if verdict:
            break
    assert verdict is not None and verdict.kind is VerdictKind.SILENCE
    assert 2.0 <= verdict.at_s <= 3.0


def test_early_media_speech_is_ignored_until_answer(human_pcm: np.ndarray) -> None:
    det = Detector(answered_at_s=None)
    for fr in frames(human_pcm):
        assert det.feed(fr) is None
    assert det.finish().kind is VerdictKind.NOTSURE


def test_short_frames_are_accepted(human_pcm: np.ndarray) -> None:
    det = Detector()
    assert det.feed(human_pcm[:100]) is None
    assert det.feed(np.zeros(0, dtype=np.int16)) is None
