"""Layer (c): a gradient-boosted tree classifier over timing and energy features.

The trained scikit-learn model is stored as plain JSON (tree arrays), so loading a model
never unpickles anything, and evaluating it needs no scikit-learn at run time.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from amd.timing import FEATURE_NAMES

log = logging.getLogger("dialer.amd.classifier")

FORMAT = "dialer-amd-gbt/1"
DEFAULT_MODEL_PATH = Path(__file__).parent / "data" / "model.json"


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds on P(machine); biased toward HUMAN: a person hung up on costs most."""

    machine: float = 0.95
    """While the line is still talking. At 0.9 one person in fifty with a long greeting
    ("Good afternoon, Acme sales, Mary speaking") was hung up on (out-of-fold on the training
    corpus, seed 2); 0.95 keeps it under one in a hundred."""
    human: float = 0.5
    human_min_silence_s: float = 0.9
    """A person who said "Алло?" waits 2 s and more for an answer; a recorded greeting pauses up to
    ~0.8 s between sentences ("Здравствуйте! <pause> Вы позвонили..."), so 0.7 s was mistaken for
    the after-greeting silence. 0.9 s still keeps HUMAN within ~1.1 s of the person's last word."""
    deadline_machine: float = 0.6
    """A line still talking past a person's greeting (`DetectorConfig.max_greeting_s`) is MACHINE
    above this; below, it is heard out until the greeting ends or the hard limit."""


@dataclass(frozen=True)
class _Tree:
    feature: tuple[int, ...]
    threshold: tuple[float, ...]
    left: tuple[int, ...]
    right: tuple[int, ...]
    value: tuple[float, ...]

    def eval(self, x: Sequence[float]) -> float:
        node = 0
        left, feature = self.left, self.feature
        while left[node] >= 0:
            node = left[node] if x[feature[node]] <= self.threshold[node] else self.right[node]
        return self.value[node]


@dataclass(frozen=True)
class Model:
    version: str
    features: tuple[str, ...]
    prior: float
    learning_rate: float
    trees: tuple[_Tree, ...]
    thresholds: Thresholds = field(default_factory=Thresholds)
    metrics: dict[str, float] = field(default_factory=dict)
    created_at: float = 0.0

    def p_machine(self, x: Sequence[float]) -> float:
        raw = self.prior + self.learning_rate * sum(t.eval(x) for t in self.trees)
        return 1.0 / (1.0 + math.exp(-raw))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "version": self.version, "created_at": self.created_at,
            "features": list(self.features), "prior": self.prior, "learning_rate": self.learning_rate,
            "thresholds": asdict(self.thresholds),
            "metrics": self.metrics,
            "trees": [{"f": list(t.feature), "t": list(t.threshold), "l": list(t.left), "r": list(t.right),
                       "v": list(t.value)} for t in self.trees],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Model:
        if data.get("format") != FORMAT:
            raise ValueError(f"unknown AMD model format {data.get('format')!r}")
        features = tuple(data["features"])
        if features != FEATURE_NAMES:
            raise ValueError("AMD model was trained on other features than this detector computes")
        th = data.get("thresholds", {})
        return cls(
            version=str(data["version"]), features=features, prior=float(data["prior"]),
            learning_rate=float(data["learning_rate"]),
            trees=tuple(_Tree(tuple(t["f"]), tuple(t["t"]), tuple(t["l"]), tuple(t["r"]), tuple(t["v"]))
                        for t in data["trees"]),
            thresholds=Thresholds(**th), metrics={k: float(v) for k, v in data.get("metrics", {}).items()},
            created_at=float(data.get("created_at", 0.0)),
        )

    def save(self, path: str | Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), separators=(",", ":")))


def load_model(path: str | Path = DEFAULT_MODEL_PATH) -> Model:
    return Model.from_json(json.loads(Path(path).read_text()))


_default: Model | None = None


def default_model() -> Model:
    global _default
    if _default is None:
        _default = load_model()
    return _default


def train(x: Sequence[Sequence[float]], y: Sequence[int], weights: Sequence[float] | None = None,
          thresholds: Thresholds | None = None, n_trees: int = 80, depth: int = 3,
          learning_rate: float = 0.1, seed: int = 0) -> Model:
    """Fit on feature snapshots (`FEATURE_NAMES` order); y is 1 for machine, 0 for human."""
    from sklearn.ensemble import GradientBoostingClassifier

    xa, ya = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.int64)
    if xa.ndim != 2 or xa.shape[1] != len(FEATURE_NAMES):
        raise ValueError(f"expected {len(FEATURE_NAMES)} features per row")
    if set(ya.tolist()) != {0, 1}:
        raise ValueError("training needs both human and machine examples")
    gbc = GradientBoostingClassifier(n_estimators=n_trees, max_depth=depth, learning_rate=learning_rate,
                                     subsample=0.8, random_state=seed)
    gbc.fit(xa, ya, sample_weight=None if weights is None else np.asarray(weights, dtype=np.float64))
    p1 = float(np.clip(np.average(ya, weights=weights), 1e-6, 1 - 1e-6))
    trees = []
    for est in gbc.estimators_[:, 0]:
        tr = est.tree_
        trees.append(_Tree(tuple(int(v) for v in tr.feature), tuple(float(v) for v in tr.threshold),
                           tuple(int(v) for v in tr.children_left), tuple(int(v) for v in tr.children_right),
                           tuple(float(v) for v in tr.value[:, 0, 0])))
    digest = hashlib.sha256(xa.tobytes() + ya.tobytes()).hexdigest()[:10]
    created = time.time()
    return Model(
        version=time.strftime("%Y%m%d-%H%M%S", time.gmtime(created)) + "-" + digest,
        features=FEATURE_NAMES, prior=math.log(p1 / (1 - p1)), learning_rate=learning_rate,
        trees=tuple(trees), thresholds=thresholds or Thresholds(), created_at=created,
    )


@dataclass(frozen=True)
class EvalResult:
    """A model's score on the frozen evaluation set, identified by its content hash."""

    eval_set: str
    human_as_machine_rate: float
    accuracy: float


def should_promote(candidate: EvalResult, active: EvalResult | None) -> bool:
    """A retrained model replaces the active one only if it hangs up on people no more often."""
    if active is None:
        return True
    if candidate.eval_set != active.eval_set:
        # Rates on different sets are not comparable; re-evaluate the active model first.
        return False
    return candidate.human_as_machine_rate <= active.human_as_machine_rate
