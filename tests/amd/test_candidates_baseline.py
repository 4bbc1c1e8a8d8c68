from __future__ import annotations

import numpy as np

from amd.audio import frames, ulaw_decode, ulaw_encode
from amd.candidates import RecurringSegmentFinder
from amd.verdict import VerdictKind
from bench.amd.asterisk import AsteriskAmd
from tests.amd.conftest import silence


def noisy(x: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.clip(x.astype(float) + rng.normal(0, 150, len(x)), -32768, 32767).astype(np.int16)
    return ulaw_decode(ulaw_encode(y))


def test_recurring_recording_becomes_candidate(machine_pcm: np.ndarray, human_pcm: np.ndarray) -> None:
    f = RecurringSegmentFinder(min_numbers=3)
    rec = machine_pcm[: 4 * 8000]
    assert f.add_call("c1", "+700001", noisy(np.concatenate([silence(0.3), rec]), 1)) is None
    assert f.add_call("c2", "+700001", noisy(rec, 2)) is None  # same number again: not evidence
    assert f.add_call("c3", "+700002", noisy(human_pcm, 3)) is None
    assert f.add_call("c4", "+700003", noisy(np.concatenate([silence(0.7), rec]), 4)) is None
    cand = f.add_call("c5", "+700004", noisy(rec, 5))
    assert cand is not None
    assert "c5" in cand.call_ids and "c3" not in cand.call_ids
    assert len(cand.numbers) >= 3 and cand.duration_s > 1.0


def asterisk(pcm: np.ndarray) -> tuple[VerdictKind, str]:
    a = AsteriskAmd()
    for fr in frames(pcm):
        if (v := a.feed(fr)) is not None:
            return v.kind, v.reason
    v = a.finish()
    return v.kind, v.reason


def burst(seconds: float) -> np.ndarray:
    return np.random.default_rng(0).normal(0, 3000, int(seconds * 8000)).astype(np.int16)


def test_asterisk_baseline_rules(human_pcm: np.ndarray, machine_pcm: np.ndarray) -> None:
    assert asterisk(np.concatenate([silence(0.5), burst(0.4), silence(1.5)]))[0] is VerdictKind.HUMAN
    assert asterisk(np.concatenate([silence(0.5), burst(2.0)]))[1].startswith("LONGGREETING")
    words = np.concatenate([silence(0.3), *[np.concatenate([burst(0.2), silence(0.1)]) for _ in range(4)]])
    assert asterisk(words)[1].startswith("MAXWORDS-3-2")
    assert asterisk(machine_pcm)[0] is VerdictKind.MACHINE
    # Asterisk has no SILENCE verdict: a silent line is a machine.
    assert asterisk(silence(3.0))[1] == "INITIALSILENCE-2500-2500"
    # "Алло? Да, слушаю." is three words: the default maximumNumberOfWords=2 hangs up on this person.
    assert asterisk(human_pcm)[1].startswith("MAXWORDS")
