from __future__ import annotations

import numpy as np
import pytest

from fs_app.pacing.estimator import DurationView, LogNormal, ResolutionModel
from fs_app.pacing.pacer import ModelState


def make_model(*, p_connect: float = 0.3, talk_mean: float = 120.0, wrap_mean: float = 20.0,
               horizon: int = 45, answers_seen: int = 10_000) -> ModelState:
    """A warmed-up model with known parameters (answers ~ 5..20 s after dial)."""
    rng = np.random.default_rng(0)
    n = 20_000
    to_op = rng.random(n) < p_connect
    ages = np.where(to_op, rng.uniform(5, 20, n), rng.uniform(1, 30, n))
    res = ResolutionModel.from_samples(ages[to_op], ages[~to_op], max_age_s=horizon)
    return ModelState(
        resolution=res.view(),
        talk=DurationView.from_lognormal(LogNormal.from_mean_cv(talk_mean, 0.8), horizon),
        wrap=DurationView.from_lognormal(LogNormal.from_mean_cv(wrap_mean, 0.5), horizon),
        answers_seen=answers_seen,
        live_rate_per_s=0.5,
        horizon_s=horizon,
    )


@pytest.fixture
def model() -> ModelState:
    return make_model()
