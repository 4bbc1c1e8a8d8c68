"""End to end: generate a small corpus, run the benchmark, check the report's shape and sanity."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

KEYS = {"accuracy", "human_as_machine_rate", "machine_as_human_rate", "notsure_rate", "robot_recall_2s",
        "latency_p95_s", "human_latency_p95_s", "cpu_ms_per_audio_s", "confusion"}


@pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                    reason="needs espeak-ng and sox")
def test_corpus_and_bench(tmp_path: Path) -> None:
    corpus = tmp_path / "c"
    gen = subprocess.run([sys.executable, "-m", "bench.amd.corpus", "--out", str(corpus), "--n", "40",
                          "--seed", "7"], capture_output=True, text=True, check=True)
    assert json.loads(gen.stdout)["items"] == 40
    header = (corpus / "labels.csv").read_text().splitlines()[0]
    assert header == "file,label,answer_at_s,speech_onset_s,first_utterance_end_s,lib_id"
    assert len(list((corpus / "library").glob("*.wav"))) == 8
    out = subprocess.run([sys.executable, "-m", "bench.amd", "--corpus", str(corpus), "--library",
                          str(corpus / "library")], capture_output=True, text=True, check=True)
    res = json.loads(out.stdout)
    assert KEYS <= set(res) and KEYS <= set(res["baseline"])
    assert sum(sum(v.values()) for v in res["confusion"].values()) == 40
    # Loose floors: the figures themselves are what the benchmark reports, not what tests assert.
    assert res["accuracy"] > res["baseline"]["accuracy"]
    assert res["confusion"].get("sit", {}).get("SIT", 0) >= 1


@pytest.mark.skipif(shutil.which("espeak-ng") is None or shutil.which("sox") is None,
                    reason="needs espeak-ng and sox")
def test_one_seed_gives_the_same_corpus_byte_for_byte(tmp_path: Path) -> None:
    # Evaluation figures are only comparable between runs if regenerating the corpus gives the same files.
    def digests(out: Path) -> dict[str, str]:
        subprocess.run([sys.executable, "-m", "bench.amd.corpus", "--out", str(out), "--n", "12", "--seed", "3"],
                       capture_output=True, text=True, check=True)
        return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(out.rglob("*")) if p.is_file()}

    first, second = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert len(first) == 12 + 8 + 2  # calls, library robots, labels.csv and manifest.json
    assert first == second
