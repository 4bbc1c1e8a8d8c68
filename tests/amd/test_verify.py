"""The exact-recording check: a replay through the phone line passes, other audio does not."""

from __future__ import annotations

import numpy as np

from amd.fingerprint import Match, MatchRule
from amd.libmatch import RELOCK_FRAMES, LibraryMatcher, _Pending
from amd.library import SampleLibrary, SampleStatus
from amd.stft import Stft
from amd.verify import (
    SHIFTS,
    TEMPOS,
    Alignments,
    CallPower,
    CallPowerTrack,
    SampleSpectrum,
    log_spectrum,
    noise_floor,
    verify,
    verify_all,
)
from tests.amd.test_fingerprint import degrade


def test_replay_passes_and_other_audio_fails(machine_pcm: np.ndarray, human_pcm: np.ndarray) -> None:
    sample = SampleSpectrum.of(machine_pcm[: 3 * 8000])
    lead = np.zeros(1600, dtype=np.int16)  # 0.2 s = 12.5 columns before the sample starts
    replay = np.concatenate([lead, degrade(machine_pcm[: 2 * 8000], "alaw", 15.0, -10.0, 0.02)])
    ok = verify(CallPower.of(log_spectrum(replay)), sample, 12)
    assert ok.frames > 30
    other = np.concatenate([lead, human_pcm[: 2 * 8000]])
    bad = verify(CallPower.of(log_spectrum(other)), sample, 12)
    assert bad.similarity < ok.similarity - 0.3


def _reference_verify(call: CallPower, sample: SampleSpectrum, offset_col: int,
                      tempos: tuple[float, ...], shifts: tuple[int, ...]) -> tuple[float, int, float, int]:
    """The check one alignment at a time, in float64, as it was before it was vectorised."""
    best = (0.0, 0, 1.0, 0)
    for tempo in tempos:
        for shift in shifts:
            start = offset_col + shift
            qi = np.arange(max(start, 0), len(call.power))
            si = np.round((qi - start) * tempo).astype(np.int64)
            ok = (si >= 0) & (si < len(sample.power))
            qi, si = qi[ok], si[ok]
            qi, si = qi[sample.speech[si]], si[sample.speech[si]]
            if len(qi) < 3:
                continue
            sp = sample.power[si]
            gains = np.maximum(call.power[qi] - call.noise, 0.0).sum(axis=1) / np.maximum(sp.sum(axis=1), 1e-9)
            gain = float(np.median(gains))
            alive = gains >= gain / 16.0
            qi, sp = qi[alive], sp[alive]
            if len(qi) < 3:
                continue
            audible = gain * sp >= call.noise
            if int(audible.sum()) < 10:
                continue
            la, lb, w = call.log_power[qi], np.log10(gain * sp + call.noise), audible.astype(np.float64)
            nw = np.maximum(w.sum(axis=1, keepdims=True), 1.0)
            la = la - (la * w).sum(axis=1, keepdims=True) / nw
            lb = lb - (lb * w).sum(axis=1, keepdims=True) / nw
            sim = float((la * lb * w).sum() / np.sqrt((la * la * w).sum() * (lb * lb * w).sum() + 1e-12))
            if sim > best[0]:
                best = (sim, len(qi), tempo, shift)
    return best


def test_all_alignments_at_once_score_as_one_at_a_time(machine_pcm: np.ndarray, human_pcm: np.ndarray) -> None:
    sample = SampleSpectrum.of(machine_pcm[: 3 * 8000])
    lead = np.zeros(1600, dtype=np.int16)
    for audio in (degrade(machine_pcm[: 2 * 8000], "alaw", 15.0, -10.0, 0.02), human_pcm[: 2 * 8000]):
        call = CallPower.of(log_spectrum(np.concatenate([lead, audio])))
        for offset, tempos, shifts in ((12, TEMPOS, SHIFTS), (-20, TEMPOS, SHIFTS),
                                       (13, (0.99, 1.0, 1.01), (-2, -1, 0)), (200, TEMPOS, SHIFTS)):
            got = verify(call, sample, offset, tempos, shifts)
            sim, frames, tempo, shift = _reference_verify(call, sample, offset, tempos, shifts)
            assert (got.frames, got.tempo, got.shift) == (frames, tempo, shift)
            assert abs(got.similarity - sim) < 1e-5


def test_an_early_tempo_pick_is_searched_again_until_enough_is_compared(machine_pcm: np.ndarray) -> None:
    # A candidate first checked over a few columns may have been given a wrong tempo; the narrow
    # search around it (+-0.01 per check) would take seconds to reach the right one.
    lib = SampleLibrary()
    lib.add("vm", machine_pcm[: 3 * 8000], SampleStatus.VERIFIED)
    call = np.concatenate([np.zeros(1600, dtype=np.int16), machine_pcm[:12000]])

    def check(frames: int) -> Match | None:
        m = LibraryMatcher(lib.index, MatchRule())
        m.push(call)
        # Aligned at 0.96 after a short first look, as a candidate can be after one word.
        m._pending[(0, 12)] = _Pending(votes=5, tempo=0.96, shift=3, frames=frames)
        return m.add(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int32))

    found = check(RELOCK_FRAMES - 1)
    assert found is not None and found.sample_id == "vm"
    # Once a candidate has been compared over enough columns its tempo stands: the narrow search
    # around the wrong pick does not find the replay.
    assert check(RELOCK_FRAMES) is None


def test_candidates_scored_together_score_as_alone(machine_pcm: np.ndarray, human_pcm: np.ndarray) -> None:
    # A step's candidates share their common alignments; each still gets its own best.
    sample = SampleSpectrum.of(machine_pcm[: 3 * 8000])
    other = SampleSpectrum.of(human_pcm[: 2 * 8000])
    lead = np.zeros(1600, dtype=np.int16)
    call = CallPower.of(log_spectrum(np.concatenate([lead, degrade(machine_pcm[: 2 * 8000], "ulaw", 15.0, 0.0, 0.02)])))
    checks = [Alignments(sample, 12), Alignments(sample, 9), Alignments(other, 12),
              Alignments(sample, 13, (0.99, 1.0, 1.01), (-1, 0, 1)), Alignments(sample, 400)]
    together = verify_all(call, checks)
    alone = [verify(call, c.sample, c.offset_col, c.tempos, c.shifts) for c in checks]
    assert [(v.frames, v.tempo, v.shift) for v in together] == [(v.frames, v.tempo, v.shift) for v in alone]
    assert all(abs(a.similarity - b.similarity) < 1e-9 for a, b in zip(together, alone, strict=True))
    assert together[0].frames > 30 and together[-1].frames == 0


def test_noise_floor_is_numpys_percentile() -> None:
    rng = np.random.default_rng(5)
    for n in (1, 2, 3, 6, 11, 97, 250):
        power = 10 ** rng.normal(5, 1, (n, 99))
        power[rng.random((n, 99)) < 0.2] = 1.0  # ties, as silent columns give
        assert np.array_equal(noise_floor(power), np.percentile(power, 20.0, axis=0))


def test_call_power_grown_per_check_is_that_of_the_whole(machine_pcm: np.ndarray) -> None:
    stft, track = Stft(), CallPowerTrack()
    pcm = machine_pcm[: 3 * 8000]
    for i in range(0, len(pcm), 1600):
        stft.push(pcm[i:i + 1600])
        grown = track.update(stft.columns())
    whole = CallPower.of(log_spectrum(pcm))
    assert np.array_equal(grown.power, whole.power) and np.array_equal(grown.noise, whole.noise)
    assert np.array_equal(grown.log_power32, whole.log_power32)
