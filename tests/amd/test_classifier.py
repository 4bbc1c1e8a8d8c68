from __future__ import annotations

import numpy as np
import pytest

from amd.classifier import EvalResult, Model, default_model, should_promote, train
from amd.timing import FEATURE_NAMES


def synthetic(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 4, size=(n, len(FEATURE_NAMES)))
    y = (x[:, 2] + 0.3 * rng.normal(size=n) > 1.6).astype(int)  # "speech_s" decides
    return x, y


def test_exported_model_equals_sklearn() -> None:
    from sklearn.ensemble import GradientBoostingClassifier

    x, y = synthetic(600, 0)
    model = train(x, y, n_trees=30, depth=3, seed=1)
    ref = GradientBoostingClassifier(n_estimators=30, max_depth=3, learning_rate=0.1, subsample=0.8,
                                     random_state=1).fit(x, y)
    ours = np.array([model.p_machine(row) for row in x[:100]])
    assert np.allclose(ours, ref.predict_proba(x[:100])[:, 1], atol=1e-9)
    again = Model.from_json(model.to_json())
    assert again.p_machine(x[0]) == model.p_machine(x[0])
    assert again.version == model.version


def test_train_refuses_one_class() -> None:
    x, _ = synthetic(50, 1)
    with pytest.raises(ValueError, match="both"):
        train(x, np.zeros(50, dtype=int))


def test_shipped_model_loads() -> None:
    m = default_model()
    assert m.features == FEATURE_NAMES and m.trees and m.version
    assert m.thresholds.machine > m.thresholds.human


def test_promotion_rule() -> None:
    active = EvalResult("set-1", human_as_machine_rate=0.010, accuracy=0.95)
    assert should_promote(EvalResult("set-1", 0.010, 0.90), active)  # not worse on the costly error
    assert should_promote(EvalResult("set-1", 0.005, 0.90), active)
    assert not should_promote(EvalResult("set-1", 0.011, 0.99), active)  # better accuracy does not buy it
    assert not should_promote(EvalResult("set-2", 0.0, 0.99), active)  # other evaluation set
    assert should_promote(EvalResult("set-1", 0.2, 0.5), None)
