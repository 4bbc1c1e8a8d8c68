"""The sample library («слепки»): known robot and smart-secretary recordings.

Storage-agnostic: the web layer keeps samples in PostgreSQL and calls `reload()` with what it
read; detectors read `index` once per query, so a reload reaches running calls at their next
fingerprint step without a restart.
"""

from __future__ import annotations

import enum
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from amd.audio import RATE, AudioError, Pcm, read_audio
from amd.fingerprint import FingerprintIndex, Hashes, MatchAccumulator, MatchRule, Times, fingerprint
from amd.verify import SampleSpectrum

log = logging.getLogger("dialer.amd.library")


class SampleStatus(enum.StrEnum):
    CANDIDATE = "candidate"
    VERIFIED = "verified"
    DISABLED = "disabled"


@dataclass(frozen=True)
class Sample:
    sample_id: str
    status: SampleStatus
    duration_s: float
    sha256: str
    name: str = ""
    source: str = "import"  # import | operator | auto
    created_at: float = 0.0


@dataclass(frozen=True)
class SampleStats:
    matches: int = 0
    last_match_at: float | None = None


class DuplicateSampleError(ValueError):
    def __init__(self, existing_id: str, how: str) -> None:
        super().__init__(f"the sample duplicates {existing_id} ({how})")
        self.existing_id = existing_id


@dataclass(frozen=True)
class SampleRecord:
    """What a storage backend hands to `reload()`: the sample and its 8 kHz audio."""

    sample: Sample
    pcm: Pcm


# Stricter than call matching: two samples are the same recording only if most of one is found in the other.
DUPLICATE_RULE = MatchRule(min_votes=8, min_coverage_s=0.5, min_coverage_share=0.5, min_score=0.1,
                           min_offset_s=float("-inf"))


def pcm_sha256(pcm: Pcm) -> str:
    return hashlib.sha256(np.asarray(pcm, dtype="<i2").tobytes()).hexdigest()


class SampleLibrary:
    def __init__(self, on_match: Callable[[str, float], None] | None = None) -> None:
        self._lock = threading.RLock()
        self._samples: dict[str, Sample] = {}
        self._prints: dict[str, tuple[Hashes, Times]] = {}
        self._spectra: dict[str, SampleSpectrum] = {}
        self._stats: dict[str, SampleStats] = {}
        self._on_match = on_match
        self._index = FingerprintIndex({})
        self._all_index = FingerprintIndex({})
        self.generation = 0

    @property
    def index(self) -> FingerprintIndex:
        """Verified samples only: candidates wait for a supervisor before they hang up calls."""
        return self._index

    def _rebuild(self) -> None:
        verified = {sid: (*self._prints[sid], s.duration_s) for sid, s in self._samples.items()
                    if s.status is SampleStatus.VERIFIED}
        everything = {sid: (*self._prints[sid], s.duration_s) for sid, s in self._samples.items()}
        self._index = FingerprintIndex(verified, self._spectra)
        self._all_index = FingerprintIndex(everything, self._spectra)
        self.generation += 1

    def find_duplicate(self, pcm: Pcm) -> tuple[str, str] | None:
        digest = pcm_sha256(pcm)
        with self._lock:
            for s in self._samples.values():
                if s.sha256 == digest:
                    return s.sample_id, "identical audio"
            index = self._all_index
        if len(index) == 0:
            return None
        acc = MatchAccumulator(index, DUPLICATE_RULE)
        m = acc.add(*fingerprint(pcm))
        if m is None:
            return None
        own = len(pcm) / RATE
        other = float(index.durations[index.sample_ids.index(m.sample_id)])
        if m.coverage_s >= 0.5 * min(own, other) - 0.3:
            return m.sample_id, f"same recording, {m.votes} matching landmarks"
        return None

    def add(self, sample_id: str, pcm: Pcm, status: SampleStatus = SampleStatus.CANDIDATE, *,
            name: str = "", source: str = "import", check_duplicate: bool = True) -> Sample:
        if len(pcm) < RATE // 2:
            raise AudioError(f"{name or sample_id}: a sample must hold at least 0.5 s of audio")
        if float(np.max(np.abs(pcm.astype(np.int32)))) < 100:
            raise AudioError(f"{name or sample_id}: the sample is silent")
        if check_duplicate:
            dup = self.find_duplicate(pcm)
            if dup is not None:
                raise DuplicateSampleError(*dup)
        sample = Sample(sample_id, status, round(len(pcm) / RATE, 3), pcm_sha256(pcm), name or sample_id, source,
                        time.time())
        hashes, times = fingerprint(pcm)
        spectrum = SampleSpectrum.of(pcm)
        with self._lock:
            self._samples[sample_id] = sample
            self._prints[sample_id] = (hashes, times)
            self._spectra[sample_id] = spectrum
            self._stats.setdefault(sample_id, SampleStats())
            self._rebuild()
        log.info("sample %s added (%s, %.1f s, %d landmarks)", sample_id, status, sample.duration_s, len(hashes))
        return sample

    def set_status(self, sample_id: str, status: SampleStatus) -> Sample:
        with self._lock:
            sample = replace(self._samples[sample_id], status=status)
            self._samples[sample_id] = sample
            self._rebuild()
        return sample

    def remove(self, sample_id: str) -> None:
        with self._lock:
            self._samples.pop(sample_id, None)
            self._prints.pop(sample_id, None)
            self._spectra.pop(sample_id, None)
            self._stats.pop(sample_id, None)
            self._rebuild()

    def get(self, sample_id: str) -> Sample | None:
        return self._samples.get(sample_id)

    def samples(self, status: SampleStatus | None = None) -> list[Sample]:
        with self._lock:
            items = list(self._samples.values())
        return sorted((s for s in items if status is None or s.status is status), key=lambda s: s.sample_id)

    def on_match(self, callback: Callable[[str, float], None] | None) -> None:
        """Where matches are reported besides the in-memory counts (the store, once it is open)."""
        self._on_match = callback

    def stats(self, sample_id: str) -> SampleStats:
        return self._stats.get(sample_id, SampleStats())

    def record_match(self, sample_id: str, at: float | None = None) -> None:
        when = time.time() if at is None else at
        with self._lock:
            old = self._stats.get(sample_id, SampleStats())
            self._stats[sample_id] = SampleStats(old.matches + 1, when)
        if self._on_match is not None:
            self._on_match(sample_id, when)

    def reload(self, records: Iterable[SampleRecord], stats: dict[str, SampleStats] | None = None) -> None:
        """Replace the whole library at once (the storage backend's view is the truth)."""
        records = list(records)
        # Fingerprinting happens outside the lock so detectors keep matching during a reload.
        prints = {r.sample.sample_id: fingerprint(r.pcm) for r in records}
        spectra = {r.sample.sample_id: SampleSpectrum.of(r.pcm) for r in records}
        with self._lock:
            self._samples = {r.sample.sample_id: r.sample for r in records}
            self._prints = prints
            self._spectra = spectra
            self._stats = dict(stats) if stats is not None else {
                sid: self._stats.get(sid, SampleStats()) for sid in self._samples}
            self._rebuild()
        log.info("library reloaded: %d samples, %d verified", len(self._samples), len(self._index))

    def __len__(self) -> int:
        return len(self._samples)


def load_directory(library: SampleLibrary, directory: str | Path,
                   status: SampleStatus = SampleStatus.VERIFIED) -> list[str]:
    """Every `<sample_id>.wav` (or .mp3) in `directory`; returns the ids loaded, skips bad files."""
    loaded: list[str] = []
    for path in sorted(Path(directory).iterdir()):
        if path.suffix.lower() not in (".wav", ".mp3"):
            continue
        try:
            library.add(path.stem, read_audio(path), status, name=path.name, source="import")
        except (AudioError, DuplicateSampleError) as exc:
            log.warning("skipping library file %s: %s", path.name, exc)
            continue
        loaded.append(path.stem)
    return loaded
