from __future__ import annotations

from amd.timing import TimingTracker


def feed(tr: TimingTracker, pattern: list[tuple[bool, float]]) -> None:
    for speech, db in pattern:
        tr.update(speech, db)


def test_vad_blip_on_line_noise_right_after_answer_is_not_a_word() -> None:
    # webrtcvad fires for a few frames on flat line noise before it adapts (a lost packet inside).
    tr = TimingTracker()
    feed(tr, [(True, -51.0), (False, -120.0), (True, -49.0), (True, -50.0), (True, -50.0)])
    feed(tr, [(False, -50.0)] * 60)
    f = tr.features()
    assert f.words == 0 and not f.heard_speech


def test_loud_word_right_after_answer_still_counts() -> None:
    tr = TimingTracker()
    feed(tr, [(True, -46.0), (True, -37.0), (True, -25.0), (True, -24.0), (True, -29.0)])
    f = tr.features()
    assert f.words == 1 and f.initial_silence_s == 0.0


def test_long_flat_run_right_after_answer_is_speech() -> None:
    tr = TimingTracker()
    feed(tr, [(True, -40.0)] * 15)
    f = tr.features()
    assert f.words == 1 and f.initial_silence_s == 0.0


def test_quiet_word_later_is_unaffected() -> None:
    tr = TimingTracker()
    feed(tr, [(False, -50.0)] * 20 + [(True, -49.0)] * 5)
    f = tr.features()
    assert f.words == 1 and f.initial_silence_s == 0.4
