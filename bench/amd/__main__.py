"""`python -m bench.amd --corpus DIR [--library DIR]`: run the detector and the Asterisk AMD
baseline over a labelled corpus and print the figures as JSON."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from amd.audio import FRAME_S, AudioError, Pcm, frames, read_audio
from amd.detector import Detector
from amd.library import SampleLibrary, load_directory
from amd.verdict import Verdict, VerdictKind
from bench.amd.asterisk import AsteriskAmd
from bench.amd.labels import LabelRow, read_labels

RIGHT: dict[str, set[VerdictKind]] = {
    "human": {VerdictKind.HUMAN, VerdictKind.NOTSURE},
    "voicemail": {VerdictKind.MACHINE, VerdictKind.ROBOT},
    "robot": {VerdictKind.MACHINE, VerdictKind.ROBOT},
    "silence": {VerdictKind.SILENCE},
    "sit": {VerdictKind.SIT, VerdictKind.FAX},
    "fax": {VerdictKind.SIT, VerdictKind.FAX},
}
GOALS = {
    "accuracy": (">=", 0.97),
    "human_as_machine_rate": ("<=", 0.01),
    "robot_recall_2s": (">=", 0.99),
    "human_latency_p95_s": ("<=", 1.2),
    "latency_p95_s": ("<=", 2.5),
    "cpu_ms_per_audio_s": ("<=", 10.0),
}


@dataclass(frozen=True)
class Outcome:
    row: LabelRow
    verdict: Verdict
    cpu_s: float
    audio_s: float


def run_one(row: LabelRow, pcm: Pcm, make: Callable[[float], Any], from_answer: bool) -> Outcome:
    answer = row.answer_at_s or 0.0
    det = make(answer)
    skip = round(answer / FRAME_S) if from_answer else 0
    verdict: Verdict | None = None
    n = 0
    t0 = time.process_time()
    for i, fr in enumerate(frames(pcm)):
        if i < skip:
            continue
        n += 1
        verdict = det.feed(fr)
        if verdict is not None:
            break
    if verdict is None:
        verdict = det.finish()
    cpu = time.process_time() - t0
    if from_answer:
        # The baseline starts at answer; put its time on the stream clock like ours.
        verdict = Verdict(verdict.kind, verdict.reason, verdict.at_s + skip * FRAME_S, verdict.sample_id,
                          verdict.confidence)
    return Outcome(row, verdict, cpu, n * FRAME_S)


def _pct(values: list[float], q: float) -> float | None:
    return round(float(np.percentile(values, q)), 3) if values else None


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    n = len(outcomes)
    confusion: dict[str, dict[str, int]] = {}
    right = ham = humans = mah = machines = notsure = 0
    robots = robots_found = 0
    latency: list[float] = []
    human_latency: list[float] = []
    for o in outcomes:
        lab, v = o.row.label, o.verdict
        confusion.setdefault(lab, {}).setdefault(v.kind.value, 0)
        confusion[lab][v.kind.value] += 1
        right += v.kind in RIGHT[lab]
        notsure += v.kind is VerdictKind.NOTSURE
        answer = o.row.answer_at_s or 0.0
        if v.at_s >= answer:
            latency.append(v.at_s - answer)
        if lab == "human":
            humans += 1
            # Any verdict that does not reach an operator loses the person, not only MACHINE.
            ham += not v.kind.routes_to_operator
            if v.kind is VerdictKind.HUMAN and o.row.first_utterance_end_s is not None:
                human_latency.append(v.at_s - o.row.first_utterance_end_s)
        if lab in ("voicemail", "robot"):
            machines += 1
            mah += v.kind.routes_to_operator
        if o.row.lib_id:
            robots += 1
            onset = o.row.speech_onset_s if o.row.speech_onset_s is not None else answer
            robots_found += (v.kind is VerdictKind.ROBOT and v.sample_id == o.row.lib_id and v.at_s <= onset + 2.0)
    cpu = sum(o.cpu_s for o in outcomes)
    audio = sum(o.audio_s for o in outcomes)
    return {
        "files": n,
        "accuracy": round(right / n, 4) if n else None,
        "human_as_machine_rate": round(ham / humans, 4) if humans else None,
        "machine_as_human_rate": round(mah / machines, 4) if machines else None,
        "notsure_rate": round(notsure / n, 4) if n else None,
        "robot_recall_2s": round(robots_found / robots, 4) if robots else None,
        "latency_median_s": _pct(latency, 50),
        "latency_p95_s": _pct(latency, 95),
        "human_latency_median_s": _pct(human_latency, 50),
        "human_latency_p95_s": _pct(human_latency, 95),
        "cpu_ms_per_audio_s": round(1000.0 * cpu / audio, 3) if audio else None,
        "confusion": confusion,
    }


def goals(res: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, (op, target) in GOALS.items():
        v = res.get(key)
        met = v is not None and (v >= target if op == ">=" else v <= target)
        out[key] = {"target": f"{op} {target}", "value": v, "met": met}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.amd", description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--library", type=Path, help="load every <sample_id>.wav here as a verified sample")
    ap.add_argument("--details", action="store_true", help="add one line per file")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")
    # One stream is one thread's work; BLAS worker threads spinning on tiny products would be
    # counted as CPU per stream and do not exist in a worker pool sized to the cores.
    from threadpoolctl import threadpool_limits
    threadpool_limits(1)
    rows = read_labels(args.corpus)
    library = SampleLibrary()
    lib_dir = args.library or (Path(os.environ["DIALER_AMD_LIBRARY"]) if os.environ.get("DIALER_AMD_LIBRARY")
                               else None)
    if lib_dir is not None:
        loaded = load_directory(library, lib_dir)
        print(f"library: {len(loaded)} samples from {lib_dir}", file=sys.stderr)
    ours: list[Outcome] = []
    base: list[Outcome] = []
    skipped: list[str] = []
    for row in rows:
        try:
            pcm = read_audio(args.corpus / row.file)
        except AudioError as exc:
            skipped.append(str(exc))
            continue
        ours.append(run_one(row, pcm, lambda a: Detector(library, answered_at_s=a), from_answer=False))
        base.append(run_one(row, pcm, lambda a: AsteriskAmd(), from_answer=True))
    result = summarise(ours)
    result["goals"] = goals(result)
    result["baseline"] = {"name": "Asterisk app_amd defaults (maximumNumberOfWords=2)", **summarise(base)}
    result["skipped"] = skipped
    if args.details:
        result["details"] = [{"file": o.row.file, "label": o.row.label, "verdict": o.verdict.kind.value,
                              "at_s": round(o.verdict.at_s, 2), "sample_id": o.verdict.sample_id,
                              "reason": o.verdict.reason} for o in ours]
    print(json.dumps(result, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
