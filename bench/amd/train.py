"""Train the default classifier: `python -m bench.amd.train --corpus DIR [--out amd/data/model.json]`.

Feature snapshots are taken every 100 ms after speech onset, exactly as the detector computes
them; every recording weighs the same whatever its length.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from amd.audio import FRAME_S, frames, read_audio
from amd.classifier import DEFAULT_MODEL_PATH, train
from amd.detector import DetectorConfig
from amd.timing import TimingTracker
from amd.tones import ToneDetector
from amd.vad import Vad, frame_dbfs
from bench.amd.labels import read_labels

HORIZON_S = 5.0
MACHINE = {"voicemail": 1, "robot": 1, "human": 0}


def snapshots(path: Path, answer_at: float, every: int = 5) -> list[list[float]]:
    pcm = read_audio(path)
    vad, tones, timing = Vad(DetectorConfig().vad_aggressiveness), ToneDetector(), TimingTracker()
    rows: list[list[float]] = []
    n = 0
    for i, fr in enumerate(frames(pcm)):
        t = i * FRAME_S
        tones.feed(fr, t)
        if t + 1e-9 < answer_at:
            continue
        if t - answer_at > HORIZON_S:
            break
        db = frame_dbfs(fr)
        timing.update(not tones.in_tone and vad.is_speech(fr, db), db)
        n += 1
        if n % every == 0:
            f = timing.features()
            if f.heard_speech:
                rows.append(f.vector())
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m bench.amd.train")
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    ap.add_argument("--human-weight", type=float, default=2.0)
    args = ap.parse_args(argv)
    x: list[list[float]] = []
    y: list[int] = []
    w: list[float] = []
    for row in read_labels(args.corpus):
        if row.label not in MACHINE or (row.label == "robot" and row.lib_id):
            continue  # library robots are the fingerprint layer's job
        snaps = snapshots(args.corpus / row.file, row.answer_at_s or 0.0)
        if not snaps:
            continue
        weight = (args.human_weight if row.label == "human" else 1.0) / len(snaps)
        x.extend(snaps)
        y.extend([MACHINE[row.label]] * len(snaps))
        w.extend([weight] * len(snaps))
    model = train(x, y, w)
    model.save(args.out)
    print(json.dumps({"model": str(args.out), "version": model.version, "rows": len(x),
                      "bytes": args.out.stat().st_size}))


if __name__ == "__main__":
    main()
