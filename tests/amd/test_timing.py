from __future__ import annotations

from pathlib import Path

import numpy as np

from amd.audio import frames, read_audio
from amd.timing import TimingTracker
from amd.vad import Vad, frame_dbfs


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


def test_a_short_answer_on_a_loud_noisy_line_is_not_merged_with_the_noise() -> None:
    # Hiss at -20 dBFS with a 0.5 s «Алло?» 12 dB above it: webrtcvad alone calls the whole line speech.
    speech = read_audio(Path(__file__).resolve().parents[2] / "amd" / "data" / "sim" / "library" / "robot00.wav")
    word = speech[:4000].astype(np.float64)
    loud = word[np.abs(word) > 100]
    word *= 3000 * 10 ** (12 / 20) / np.sqrt(np.mean(loud ** 2))
    x = np.random.default_rng(0).normal(0, 3000, 28000)
    x = np.convolve(x, [0.5, 0.5], mode="same") * np.sqrt(2)
    x[4800:4800 + len(word)] += word
    line = np.clip(np.round(x), -32768, 32767).astype(np.int16)
    vad, timing = Vad(2), TimingTracker()
    for fr in frames(line):
        db = frame_dbfs(fr)
        timing.update(vad.is_speech(fr, db), db)
    f = timing.features()
    assert 0.5 <= f.initial_silence_s <= 0.8
    assert f.first_utterance_s <= 0.7
