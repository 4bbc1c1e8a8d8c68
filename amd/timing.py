"""Layer (d): the classic timing view of a greeting - initial silence, words, utterances,
after-greeting silence - kept as features for the classifier and as words for the reason."""

from __future__ import annotations

from dataclasses import dataclass

from amd.audio import FRAME_S
from amd.vad import LOST_FRAME_DBFS

MIN_WORD_S = 0.1
WORD_GAP_S = 0.06  # shorter dips inside a word are plosives, not pauses
UTTERANCE_GAP_S = 0.35
MIN_SPEECH_S = 0.1  # a pause this long ends an utterance (a phrase the caller waits after)
# Right after answer webrtcvad has not yet adapted to the line and fires for a few frames on plain
# noise (or on the click of the answer itself): a run that starts this early is a word only once it
# is clearly louder than the quietest line heard so far, or once it lasts long enough to be speech.
EARLY_S = 0.15
EARLY_MARGIN_DB = 6.0
EARLY_MIN_WORD_S = 0.2


FEATURE_NAMES: tuple[str, ...] = (
    "elapsed_s", "initial_silence_s", "speech_s", "words", "current_silence_s",
    "utterance_s", "first_utterance_s", "longest_pause_s", "speech_ratio", "utterances",
    "since_onset_s", "energy_std_db",
)


@dataclass(frozen=True, slots=True)
class TimingFeatures:
    elapsed_s: float
    initial_silence_s: float
    speech_s: float
    words: int
    current_silence_s: float
    utterance_s: float
    first_utterance_s: float
    longest_pause_s: float
    speech_ratio: float
    utterances: int
    since_onset_s: float
    energy_std_db: float

    @property
    def heard_speech(self) -> bool:
        # Clicks and tone edges make 0.1 s "words"; a greeting, however short, has more voice.
        return self.words > 0 and self.speech_s >= MIN_SPEECH_S

    def vector(self) -> list[float]:
        return [float(getattr(self, n)) for n in FEATURE_NAMES]

    def explain(self) -> str:
        if not self.heard_speech:
            return f"no speech for {self.elapsed_s:.1f} s"
        return (f"initial silence {self.initial_silence_s:.2f} s, {self.words} words in {self.utterances} "
                f"utterance(s), first utterance {self.first_utterance_s:.2f} s, "
                f"silence after {self.current_silence_s:.2f} s")


class TimingTracker:
    """Speech/silence bookkeeping over VAD decisions, from the moment of answer.

    A run of speech counts only once it is a word (MIN_WORD_S): webrtcvad fires for a few frames
    on clicks and while it adapts to the line noise, and those blips must not become the onset.
    """

    def __init__(self) -> None:
        self.elapsed = 0.0
        self.onset: float | None = None
        self.speech = 0.0
        self.words = 0
        self.utterances = 0
        self.first_utterance: float | None = None
        self.longest_pause = 0.0
        self._run_start: float | None = None
        self._run_len = 0.0
        self._dip = 0.0  # non-speech inside the current run
        self._committed = False
        self._utt_start: float | None = None
        self._last_speech_end: float | None = None
        self._db_n = 0
        self._db_sum = 0.0
        self._db_sq = 0.0
        self._floor_db: float | None = None
        self._run_peak_db = -200.0

    def update(self, speech: bool, dbfs: float) -> None:
        t = self.elapsed
        self.elapsed += FRAME_S
        if dbfs > LOST_FRAME_DBFS and (self._floor_db is None or dbfs < self._floor_db):
            self._floor_db = dbfs
        if not speech:
            if self._run_start is not None:
                self._dip += FRAME_S
                if self._dip >= WORD_GAP_S:
                    self._run_start, self._run_len, self._dip, self._committed = None, 0.0, 0.0, False
            return
        self._db_n += 1
        self._db_sum += dbfs
        self._db_sq += dbfs * dbfs
        if self._run_start is None:
            self._run_start = t
            self._run_peak_db = dbfs
        self._run_peak_db = max(self._run_peak_db, dbfs)
        self._run_len += FRAME_S + self._dip
        self._dip = 0.0
        if self._committed:
            self.speech += FRAME_S
            self._last_speech_end = self.elapsed
            return
        if self._run_len + 1e-9 < MIN_WORD_S:
            return
        if (self._run_start < EARLY_S and self._run_len + 1e-9 < EARLY_MIN_WORD_S
                and not self._run_peak_db >= (self._floor_db if self._floor_db is not None else dbfs)
                + EARLY_MARGIN_DB):
            return
        self._committed = True
        self.words += 1
        start = self._run_start
        if self.onset is None:
            self.onset = start
        gap = start - self._last_speech_end if self._last_speech_end is not None else None
        if gap is None or gap >= UTTERANCE_GAP_S:
            if self._utt_start is not None and self._last_speech_end is not None and self.first_utterance is None:
                self.first_utterance = self._last_speech_end - self._utt_start
            self._utt_start = start
            self.utterances += 1
        if gap is not None:
            self.longest_pause = max(self.longest_pause, gap)
        self.speech += self._run_len
        self._last_speech_end = self.elapsed

    @property
    def current_silence(self) -> float:
        if self._last_speech_end is None or self._committed:
            return 0.0
        return self.elapsed - self._last_speech_end

    def features(self) -> TimingFeatures:
        onset = self.onset if self.onset is not None else self.elapsed
        end = self._last_speech_end
        utt = 0.0 if self._utt_start is None or end is None else end - self._utt_start
        first = self.first_utterance if self.first_utterance is not None else utt
        since = self.elapsed - onset
        mean = self._db_sum / self._db_n if self._db_n else 0.0
        var = self._db_sq / self._db_n - mean * mean if self._db_n else 0.0
        return TimingFeatures(
            elapsed_s=round(self.elapsed, 3),
            initial_silence_s=round(onset, 3),
            speech_s=round(self.speech, 3),
            words=self.words,
            current_silence_s=round(self.current_silence, 3),
            utterance_s=round(utt, 3),
            first_utterance_s=round(first, 3),
            longest_pause_s=round(self.longest_pause, 3),
            speech_ratio=round(self.speech / since, 3) if since > 0 else 0.0,
            utterances=self.utterances,
            since_onset_s=round(since, 3),
            energy_std_db=round(max(var, 0.0) ** 0.5, 3),
        )
