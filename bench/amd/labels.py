"""`labels.csv` of an AMD corpus."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

LABELS = ("human", "voicemail", "robot", "silence", "sit", "fax")


@dataclass(frozen=True)
class LabelRow:
    file: str
    label: str
    answer_at_s: float | None
    speech_onset_s: float | None
    first_utterance_end_s: float | None
    lib_id: str | None


def _num(v: str | None) -> float | None:
    v = (v or "").strip()
    return float(v) if v else None


def read_labels(corpus: Path) -> list[LabelRow]:
    path = corpus / "labels.csv"
    if not path.is_file():
        raise SystemExit(f"{path}: no labels.csv in the corpus")
    rows: list[LabelRow] = []
    with path.open(newline="") as fh:
        for n, rec in enumerate(csv.DictReader(fh), start=2):
            label = (rec.get("label") or "").strip().lower()
            if label not in LABELS or not rec.get("file"):
                raise SystemExit(f"{path}:{n}: bad row (label must be one of {', '.join(LABELS)})")
            rows.append(LabelRow(rec["file"].strip(), label, _num(rec.get("answer_at_s")),
                                 _num(rec.get("speech_onset_s")), _num(rec.get("first_utterance_end_s")),
                                 (rec.get("lib_id") or "").strip() or None))
    return rows
