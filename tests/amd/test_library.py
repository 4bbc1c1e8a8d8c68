from __future__ import annotations

import threading

import numpy as np
import pytest

from amd.audio import AudioError, alaw_decode, alaw_encode, frames, write_wav
from amd.classifier import default_model
from amd.detector import Detector, DetectorConfig
from amd.library import (
    DuplicateSampleError,
    SampleLibrary,
    SampleRecord,
    SampleStatus,
    load_directory,
)
from amd.verdict import VerdictKind


def test_duplicate_is_recognised(machine_pcm: np.ndarray) -> None:
    lib = SampleLibrary()
    lib.add("a", machine_pcm[:32000])
    with pytest.raises(DuplicateSampleError, match="identical") as exc:
        lib.add("b", machine_pcm[:32000].copy())
    assert exc.value.existing_id == "a"
    # The same recording through A-law and at another level is still the same sample.
    again = alaw_decode(alaw_encode((machine_pcm[:32000] * 0.5).astype(np.int16)))
    with pytest.raises(DuplicateSampleError, match="same recording"):
        lib.add("c", again)
    assert [s.sample_id for s in lib.samples()] == ["a"]


def test_different_recordings_are_not_duplicates(machine_pcm: np.ndarray, human_pcm: np.ndarray) -> None:
    lib = SampleLibrary()
    lib.add("vm", machine_pcm[:32000])
    lib.add("hu", human_pcm[:20000])
    assert len(lib) == 2


def test_silent_or_short_sample_refused() -> None:
    lib = SampleLibrary()
    with pytest.raises(AudioError, match="silent"):
        lib.add("s", np.zeros(8000, dtype=np.int16))
    with pytest.raises(AudioError, match=r"0\.5 s"):
        lib.add("s", np.ones(100, dtype=np.int16) * 1000)


def run(det: Detector, pcm: np.ndarray) -> VerdictKind:
    for fr in frames(pcm):
        if (v := det.feed(fr)) is not None:
            return v.kind
    return det.finish().kind


def test_only_verified_samples_match_and_status_changes_apply(machine_pcm: np.ndarray) -> None:
    lib = SampleLibrary()
    lib.add("vm", machine_pcm[:40000], SampleStatus.CANDIDATE)
    assert run(Detector(lib), machine_pcm) is not VerdictKind.ROBOT
    lib.set_status("vm", SampleStatus.VERIFIED)
    assert run(Detector(lib), machine_pcm) is VerdictKind.ROBOT
    lib.set_status("vm", SampleStatus.DISABLED)
    assert run(Detector(lib), machine_pcm) is not VerdictKind.ROBOT
    lib.remove("vm")
    assert lib.get("vm") is None


def test_reload_reaches_a_running_detector(machine_pcm: np.ndarray) -> None:
    lib = SampleLibrary()
    det = Detector(lib)
    frs = list(frames(machine_pcm))
    for fr in frs[:40]:
        assert det.feed(fr) is None
    sample = SampleLibrary().add("vm", machine_pcm[:40000], SampleStatus.VERIFIED, check_duplicate=False)
    done = threading.Event()

    def reload() -> None:
        lib.reload([SampleRecord(sample, machine_pcm[:40000])])
        done.set()

    threading.Thread(target=reload).start()
    assert done.wait(10)
    verdict = None
    for fr in frs[40:]:
        if (verdict := det.feed(fr)) is not None:
            break
    assert verdict is not None and verdict.kind is VerdictKind.ROBOT and verdict.sample_id == "vm"


def test_load_directory_skips_bad_files(tmp_path, machine_pcm: np.ndarray) -> None:  # type: ignore[no-untyped-def]
    write_wav(tmp_path / "robot1.wav", machine_pcm[:32000])
    (tmp_path / "broken.wav").write_bytes(b"RIFFnope")
    (tmp_path / "notes.txt").write_text("x")
    lib = SampleLibrary()
    assert load_directory(lib, tmp_path) == ["robot1"]
    assert lib.get("robot1") is not None and lib.get("robot1").status is SampleStatus.VERIFIED  # type: ignore[union-attr]


def _human_verdict(det: Detector, pcm: np.ndarray, promising: float) -> tuple[VerdictKind, float]:
    assert det._acc is not None
    verdict = None
    for fr in frames(pcm):
        # An empty library never checks a candidate: stand in for one that is half verified.
        det._acc.promising = (promising, 0.4)
        if (verdict := det.feed(fr)) is not None:
            break
    if verdict is None:
        verdict = det.finish()
    return verdict.kind, verdict.at_s


def test_promising_library_candidate_holds_a_human_verdict_briefly(human_pcm: np.ndarray) -> None:
    kind, at = _human_verdict(Detector(SampleLibrary()), human_pcm, 0.0)
    # Past the decision deadline a person's pause gives NOTSURE rather than HUMAN: held all the same.
    assert kind in (VerdictKind.HUMAN, VerdictKind.NOTSURE)
    # A person's answer scores well below the hold threshold: no delay at all.
    assert _human_verdict(Detector(SampleLibrary()), human_pcm, 0.7) == (kind, at)
    # A candidate that looks like the recording holds the verdict, but only for human_hold_s.
    det = Detector(SampleLibrary())
    held_kind, held_at = _human_verdict(det, human_pcm, 0.84)
    assert held_kind.routes_to_operator
    assert at < held_at <= at + det.config.human_hold_s + 0.1 + 1e-9


def _machine_verdict(det: Detector, pcm: np.ndarray, promising: float) -> tuple[VerdictKind, float]:
    assert det._acc is not None
    verdict = None
    for fr in frames(pcm):
        det._acc.promising = (promising, 0.4)
        if (verdict := det.feed(fr)) is not None:
            break
    assert verdict is not None
    return verdict.kind, verdict.at_s


class _SureMachine:
    """A classifier that calls everything a machine, so MACHINE comes as soon as the rules allow."""

    def __init__(self) -> None:
        self.thresholds = default_model().thresholds

    def p_machine(self, x: object) -> float:
        return 1.0


def test_promising_library_candidate_holds_a_machine_verdict_within_the_robot_window(
        machine_pcm: np.ndarray) -> None:
    def det(**kw: float) -> Detector:
        return Detector(SampleLibrary(), model=_SureMachine(),  # type: ignore[arg-type]
                        config=DetectorConfig(min_machine_speech_s=0.2, **kw))

    kind, at = _machine_verdict(det(), machine_pcm, 0.0)
    assert kind is VerdictKind.MACHINE
    # A candidate that does not look like the recording delays nothing.
    assert _machine_verdict(det(), machine_pcm, 0.7) == (kind, at)
    # One that does holds MACHINE (so that ROBOT can name the sample), at most machine_hold_s.
    d = det()
    held_kind, held_at = _machine_verdict(d, machine_pcm, 0.84)
    assert held_kind is VerdictKind.MACHINE
    assert at < held_at <= at + d.config.machine_hold_s + 0.1 + 1e-9
    # Past the time a ROBOT would still count as found quickly, MACHINE is not delayed.
    assert _machine_verdict(det(robot_within_s=0.2), machine_pcm, 0.84) == (kind, at)
