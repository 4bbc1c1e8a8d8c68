"""The streaming detector: 20 ms frames of one call in, one verdict out, as early as it is sure."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from amd.audio import FRAME_S, FRAME_SAMPLES, Pcm
from amd.classifier import Model, default_model
from amd.fingerprint import Fingerprinter, FingerprintIndex, Hashes, MatchRule, Times
from amd.libmatch import LibraryMatcher, VerifyRule
from amd.library import SampleLibrary
from amd.stft import Stft
from amd.timing import TimingTracker
from amd.tones import CNG_HZ, FREQ_TOL_HZ, ToneDetector, ToneEvent, ToneKind
from amd.vad import Vad, mean_square_dbfs
from amd.verdict import Verdict, VerdictKind

log = logging.getLogger("dialer.amd")

BEEP_MAX_AFTER_SPEECH_S = 0.95
"""Longest 440 Hz / 1100 Hz tone taken for a beep: beeps last ~0.2-0.9 s, a Russian ringback burst
1.0 s (it measures 0.98-1.02 s on 20 ms frames)."""
TALKING_GAP_S = 0.1
"""The line counts as still talking while its last word ended less than this ago: a person who has
just finished a long greeting must not pass for a recording that goes on."""


@dataclass(frozen=True)
class DetectorConfig:
    silence_timeout_s: float = 2.4
    decision_deadline_s: float = 2.4
    """From answer: past this a line that has gone quiet is not waited on for the full after-greeting
    silence (`Thresholds.human_min_silence_s`): `deadline_silence_s` of it and a human-like
    P(machine) give NOTSURE, which the engine routes to an operator. A person's answer rarely starts
    later than ~1.2 s after pickup and lasts up to ~2.7 s («Компания Ромашка, Анна, слушаю вас»), so
    most of them have finished by now; 2.4 s is the latest moment that still lets a verdict land
    within the 2.5 s the engine is given. A line still talking at the deadline is not cut short:
    long greetings of people and the first sentences of voicemails have the same timing, and
    NOTSURE on every voicemail still talking would send a fifth of all calls to operators."""
    deadline_silence_s: float = 0.6
    """Past the deadline, this much silence with a human-like P(machine) ends the wait. Shorter
    pauses are sentence breaks inside recorded greetings (up to ~0.8 s, which P(machine) then
    tells apart) and the gap before a short voicemail's beep."""
    hard_limit_s: float = 6.0
    """From answer: NOTSURE past this whatever is heard; the engine cannot hold a call longer."""
    min_machine_speech_s: float = 1.2
    """The classifier may call MACHINE only after this much time since speech onset."""
    max_greeting_s: float = 3.0
    """A line talking this long since its speech onset, with no pause longer than
    `max_greeting_pause_s`, is a recording: a person's one-breath greeting
    («Компания Ромашка, Анна, слушаю вас», "Good afternoon, Acme sales, Mary speaking") runs up to
    ~2.7 s (training corpus, seed 2); the margin covers slow speakers, line noise merging with the
    first word and VAD hangover (at 2.8 s people who had just finished were cut). Counted from the
    onset rather than per utterance, so a voicemail's sentence breaks do not restart the count."""
    max_greeting_pause_s: float = 1.2
    """A longer pause followed by talk is a person repeating «Алло?» after hearing nothing (they wait
    1.5 s and more); recorded greetings pause at most ~0.8 s between sentences."""
    human_hold_s: float = 0.5
    """A HUMAN verdict (or NOTSURE at the deadline) waits at most this long (once per call) while the
    library matcher verifies a
    candidate that already looks like the recording: a noisy robot saying «Здравствуйте!» and pausing
    times like a person, and the exact-recording check passes only a few tenths of a second later."""
    human_hold_similarity: float = 0.75
    """Partial similarity of a pending candidate that holds a HUMAN verdict; people's answers score
    up to ~0.71 against the nearest sample (training corpus, seed 2), a noisy replay ~0.8 and more."""
    machine_hold_s: float = 0.4
    """A classifier MACHINE verdict waits at most this long (once per call) while the library matcher
    verifies a candidate that already looks like the recording (`human_hold_similarity`): routing is
    the same, but ROBOT names the sample and counts its use. Only while a ROBOT could still come
    within `robot_within_s` of speech onset; past that the MACHINE is not delayed."""
    robot_within_s: float = 2.0
    """How soon after its speech starts a library robot is to be named (the benchmark's goal)."""
    fingerprint_every_frames: int = 5
    classify_every_frames: int = 5
    vad_aggressiveness: int = 2
    match_rule: MatchRule = field(default_factory=MatchRule)
    verify_rule: VerifyRule = field(default_factory=VerifyRule)


class Detector:
    """One call's detector.

    `answered_at_s` is the stream time of answer: audio before it is early media, where only tones
    count (a SIT or fax there is a verdict; speech there is a network announcement). With None,
    the detector waits for `answered()`.
    """

    def __init__(self, library: SampleLibrary | None = None, model: Model | None = None,
                 config: DetectorConfig | None = None, answered_at_s: float | None = 0.0) -> None:
        self.config = config or DetectorConfig()
        self._library = library
        self._model = model if model is not None else default_model()
        self._tones = ToneDetector()
        self._vad = Vad(self.config.vad_aggressiveness)
        self._timing = TimingTracker()
        # One spectrum of the call for the fingerprints and the library check, each column computed
        # once. It is kept from answer on, even while the library is empty: a reload mid-call
        # re-votes with all hashes so far and must find the audio they came from.
        self._stft = Stft()
        self._fp = Fingerprinter(self._stft)
        self._acc: LibraryMatcher | None = None
        self._acc_index: FingerprintIndex | None = None
        if library is not None:
            self._acc_index = library.index
            self._acc = LibraryMatcher(self._acc_index, self.config.match_rule, self.config.verify_rule,
                                       self._stft)
        self._frames = 0
        self._answered_frames = 0
        self._answer_at = answered_at_s
        self._hist_h: list[Hashes] = []
        self._hist_t: list[Times] = []
        self._hold_from: float | None = None
        self._machine_hold_from: float | None = None
        self.verdict: Verdict | None = None
        self.p_machine: float | None = None

    @property
    def t(self) -> float:
        return self._frames * FRAME_S

    def answered(self, at_s: float | None = None) -> None:
        if self._answer_at is None:
            self._answer_at = self.t if at_s is None else at_s

    def feed(self, frame: Pcm) -> Verdict | None:
        """One 20 ms frame (160 samples); returns the verdict once, when reached."""
        if self.verdict is not None:
            return None
        if len(frame) != FRAME_SAMPLES:
            frame = np.resize(np.asarray(frame, dtype=np.int16), FRAME_SAMPLES) if len(frame) else \
                np.zeros(FRAME_SAMPLES, dtype=np.int16)
        t0 = self.t
        self._frames += 1
        tone = self._tones.feed(frame, t0)
        if tone is not None and (v := self._on_tone(tone)) is not None:
            return self._decide(v)
        if self._answer_at is None or t0 + 1e-9 < self._answer_at:
            return None
        self._answered_frames += 1
        # The tone bank has just summed this frame's squares: its level comes from there.
        dbfs = mean_square_dbfs(self._tones.frame.mean_square)
        tonal = self._tones.in_tone
        self._timing.update(not tonal and self._vad.is_speech(frame, dbfs), dbfs)
        self._stft.push(frame)
        n = self._answered_frames
        if n % self.config.fingerprint_every_frames == 0 and (v := self._match(final=False)) is not None:
            return self._decide(v)
        # While a tone sounds, wait for it to end: a beep must not pass for the silence after a greeting.
        if (n % self.config.classify_every_frames == 0 and not self._tones.busy
                and (v := self._classify(final=False)) is not None):
            return self._decide(v)
        return None

    def finish(self) -> Verdict:
        """The stream ended: a verdict on what arrived."""
        if self.verdict is not None:
            return self.verdict
        tone = self._tones.finish()
        if tone is not None and (v := self._on_tone(tone)) is not None:
            return self._decide(v)
        if self._answer_at is None or self._answered_frames == 0:
            return self._decide(Verdict(VerdictKind.NOTSURE, "stream ended before answer", self.t))
        if (v := self._match(final=True)) is not None:
            return self._decide(v)
        v = self._classify(final=True)
        assert v is not None
        return self._decide(v)

    def _decide(self, v: Verdict) -> Verdict:
        self.verdict = v
        log.debug("verdict %s at %.2f s: %s", v.kind, v.at_s, v.reason)
        return v

    def _beep_after_greeting(self, tone: ToneEvent, answered: bool) -> bool:
        """A voicemail beep at 425-460 Hz or near 1100 Hz, not a ringback burst or a fax's CNG.

        The tones are the same; the context is not. Ringback sounds before answer, 1 s on 4 s off;
        a calling fax's CNG (1100 Hz, 0.5 s every 3 s) follows no speech. One steady tone of up to
        `BEEP_MAX_AFTER_SPEECH_S` after answer, once a greeting has been heard, is the beep.
        """
        if not answered or not tone.steady or tone.duration_s > BEEP_MAX_AFTER_SPEECH_S:
            return False
        if tone.kind is ToneKind.FAX and abs(tone.freq_hz - CNG_HZ) > FREQ_TOL_HZ:
            return False  # CED (2100 Hz) answers only as a fax
        return tone.kind in (ToneKind.RINGBACK, ToneKind.FAX) and self._timing.features().heard_speech

    def _on_tone(self, tone: ToneEvent) -> Verdict | None:
        t = self.t
        answered = self._answer_at is not None and tone.start_s + 1e-9 >= self._answer_at
        if tone.kind is ToneKind.SIT:
            return Verdict(VerdictKind.SIT, f"special information tone ({tone.freq_hz:.0f} Hz segment)", t,
                           confidence=0.99)
        if tone.kind is ToneKind.FAX and not self._beep_after_greeting(tone, answered):
            return Verdict(VerdictKind.FAX, f"fax tone {tone.freq_hz:.0f} Hz", t, confidence=0.99)
        if (tone.kind is ToneKind.BEEP and answered) or self._beep_after_greeting(tone, answered):
            return Verdict(VerdictKind.MACHINE, f"voicemail beep {tone.freq_hz:.0f} Hz "
                           f"{tone.end_s - tone.start_s:.2f} s", t, confidence=0.97)
        return None

    def _match(self, final: bool) -> Verdict | None:
        if self._library is None:
            return None
        hashes, times = self._fp.take(final=final)
        self._hist_h.append(hashes)
        self._hist_t.append(times)
        index = self._library.index
        if index is not self._acc_index:
            # The library was reloaded: vote afresh against the new index with all hashes so far.
            self._acc_index = index
            if self._acc is not None:
                self._acc.reset(index, self.config.match_rule)
            hashes, times = np.concatenate(self._hist_h), np.concatenate(self._hist_t)
        if self._acc is None or len(index) == 0:
            return None
        m = self._acc.add(hashes, times)
        if m is None:
            return None
        self._library.record_match(m.sample_id)
        return Verdict(VerdictKind.ROBOT, f"matches library sample {m.sample_id}: {m.votes} landmarks, "
                       f"spectra agree over {m.coverage_s:.1f} s (r={m.score:.2f})", self.t,
                       sample_id=m.sample_id, confidence=min(0.99, 0.5 + m.score))

    def _hold(self) -> bool:
        """Whether to hold a HUMAN verdict for the library check (see `DetectorConfig.human_hold_s`)."""
        if self._acc is None:
            return False
        # Held once per call, and released as soon as the candidate stops looking like the recording.
        if self._acc.promising[0] < self.config.human_hold_similarity:
            return False
        if self._hold_from is None:
            self._hold_from = self.t
        return self.t - self._hold_from < self.config.human_hold_s - 1e-9

    def _hold_machine(self, since_onset_s: float) -> bool:
        """Whether to hold a classifier MACHINE verdict for the library check (`machine_hold_s`)."""
        if self._acc is None or self._acc.promising[0] < self.config.human_hold_similarity:
            return False
        if since_onset_s >= self.config.robot_within_s - 1e-9:
            return False
        if self._machine_hold_from is None:
            self._machine_hold_from = self.t
        return self.t - self._machine_hold_from < self.config.machine_hold_s - 1e-9

    def _classify(self, final: bool) -> Verdict | None:
        f = self._timing.features()
        elapsed = f.elapsed_s
        cfg = self.config
        if not f.heard_speech:
            if elapsed >= cfg.silence_timeout_s or (final and elapsed >= 1.0):
                return Verdict(VerdictKind.SILENCE, f.explain(), self.t, confidence=0.9)
            if final:
                return Verdict(VerdictKind.NOTSURE, f"stream ended after {elapsed:.1f} s of silence", self.t)
            return None
        p = self._model.p_machine(f.vector())
        self.p_machine = p
        th = self._model.thresholds
        why = f"{f.explain()}; P(machine)={p:.2f}"
        if p >= th.machine and f.since_onset_s >= cfg.min_machine_speech_s:
            if not final and self._hold_machine(f.since_onset_s):
                return None
            return Verdict(VerdictKind.MACHINE, why, self.t, confidence=round(p, 3))
        if p <= th.human and f.current_silence_s >= th.human_min_silence_s:
            if not final and self._hold():
                return None
            return Verdict(VerdictKind.HUMAN, why, self.t, confidence=round(1 - p, 3))
        if final or elapsed >= cfg.hard_limit_s:
            return Verdict(VerdictKind.NOTSURE, why, self.t, confidence=round(1 - p, 3))
        if (f.current_silence_s < TALKING_GAP_S and f.since_onset_s >= cfg.max_greeting_s
                and f.longest_pause_s < cfg.max_greeting_pause_s and p >= th.deadline_machine):
            return Verdict(VerdictKind.MACHINE, f"talking for longer than a person's greeting; {why}", self.t,
                           confidence=round(p, 3))
        if elapsed >= cfg.decision_deadline_s and (
                f.current_silence_s >= th.human_min_silence_s
                or (f.current_silence_s >= cfg.deadline_silence_s and p <= th.human)):
            if not final and self._hold():
                return None
            return Verdict(VerdictKind.NOTSURE, f"decision deadline; {why}", self.t, confidence=round(1 - p, 3))
        # Still talking yet not clearly a machine: a beep, a library match or the greeting's end will come.
        return None
