"""Asterisk's AMD() (app_amd.c) re-implemented as the benchmark's baseline.

Defaults are those of current Asterisk (maximumNumberOfWords = 2; releases before 1.8/11 had
3): initialSilence 2500, greeting 1500, afterGreetingSilence 800, totalAnalysisTime 5000,
minimumWordLength 100, betweenWordsSilence 50, maximumWordLength 5000, silenceThreshold 256.
Silence is Asterisk's DSP rule: a frame is silent when its mean absolute amplitude is below the
threshold, and the silence length is the run of such frames. The word-count check uses ">"
as in current app_amd.c. Asterisk has no SILENCE verdict: a silent line is MACHINE
(INITIALSILENCE).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from amd.audio import Pcm
from amd.verdict import Verdict, VerdictKind


@dataclass(frozen=True)
class AsteriskParams:
    initial_silence: int = 2500
    greeting: int = 1500
    after_greeting_silence: int = 800
    total_analysis_time: int = 5000
    minimum_word_length: int = 100
    between_words_silence: int = 50
    maximum_number_of_words: int = 2
    silence_threshold: int = 256
    maximum_word_length: int = 5000


class AsteriskAmd:
    """Feed 20 ms frames from answer on; `feed` returns the verdict once reached."""

    def __init__(self, params: AsteriskParams | None = None) -> None:
        self.p = params or AsteriskParams()
        self.total_ms = 0
        self.silence_run_ms = 0  # the DSP's running silence
        self.silence_ms = 0
        self.voice_ms = 0
        self.consecutive_voice_ms = 0
        self.words = 0
        self.in_word = True  # app_amd.c starts in STATE_IN_WORD: the first word needs a silence before it
        self.in_initial_silence = True
        self.in_greeting = False
        self.verdict: Verdict | None = None

    def _done(self, kind: VerdictKind, cause: str) -> Verdict:
        self.verdict = Verdict(kind, cause, self.total_ms / 1000.0)
        return self.verdict

    def feed(self, frame: Pcm) -> Verdict | None:
        if self.verdict is not None:
            return None
        p = self.p
        ms = len(frame) // 8
        self.total_ms += ms
        if self.total_ms >= p.total_analysis_time:
            return self._done(VerdictKind.NOTSURE, f"TOOLONG-{self.total_ms}")
        silent = float(np.mean(np.abs(frame.astype(np.int32)))) < p.silence_threshold
        self.silence_run_ms = self.silence_run_ms + ms if silent else 0
        if silent:
            self.silence_ms = self.silence_run_ms
            if self.silence_ms >= p.between_words_silence:
                self.in_word = False
                self.consecutive_voice_ms = 0
            if self.in_initial_silence and self.silence_ms >= p.initial_silence:
                return self._done(VerdictKind.MACHINE, f"INITIALSILENCE-{self.silence_ms}-{p.initial_silence}")
            if self.in_greeting and self.silence_ms >= p.after_greeting_silence:
                return self._done(VerdictKind.HUMAN, f"HUMAN-{self.silence_ms}-{p.after_greeting_silence}")
            return None
        self.consecutive_voice_ms += ms
        self.voice_ms += ms
        if self.consecutive_voice_ms >= p.minimum_word_length and not self.in_word:
            self.words += 1
            self.in_word = True
        if self.consecutive_voice_ms >= p.maximum_word_length:
            return self._done(VerdictKind.MACHINE, f"MAXWORDLENGTH-{self.consecutive_voice_ms}")
        if self.words > p.maximum_number_of_words:
            return self._done(VerdictKind.MACHINE, f"MAXWORDS-{self.words}-{p.maximum_number_of_words}")
        if self.in_greeting and self.voice_ms >= p.greeting:
            return self._done(VerdictKind.MACHINE, f"LONGGREETING-{self.voice_ms}-{p.greeting}")
        if self.voice_ms >= p.minimum_word_length:
            self.silence_ms = 0
        if self.consecutive_voice_ms >= p.minimum_word_length and not self.in_greeting:
            self.in_initial_silence = False
            self.in_greeting = True
        return None

    def finish(self) -> Verdict:
        # A hangup before a decision: Asterisk reports HANGUP, which routes like NOTSURE.
        return self.verdict or self._done(VerdictKind.NOTSURE, f"HANGUP-{self.total_ms}")
