"""The forecast's cached tables and fast paths give what the plain formulas give."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from fs_app.pacing.estimator import DurationView
from fs_app.pacing.forecast import (
    _conditional_cdf,
    _talk_free,
    customer_demand,
    largest_batch,
    marginal_late_probability,
    operator_supply,
)

from .conftest import make_model

MODEL = make_model()
H = MODEL.horizon_s


def _plain_supply(ready: int, talk: tuple[float, ...], wrap: tuple[float, ...], t: DurationView,
                  w: DurationView) -> tuple[np.ndarray, np.ndarray]:
    """Each busy operator's free-by-t probabilities computed on their own, summed."""
    mean = np.full(H + 1, float(ready))
    var = np.zeros(H + 1)
    for rows in (_talk_free(t, w, np.asarray(talk, dtype=float).astype(int), H) if talk else None,
                 _conditional_cdf(w, wrap, H) if wrap else None):
        if rows is not None:
            mean += rows.sum(axis=0)
            var += (rows * (1.0 - rows)).sum(axis=0)
    return mean, var


elapsed = st.floats(0.0, 9000.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 5), st.lists(elapsed, max_size=30), st.lists(st.floats(0.0, 400.0), max_size=8))
def test_supply_from_tables_matches_per_operator_rows(ready: int, talk: list[float], wrap: list[float]) -> None:
    # Elapsed times far past the tables' first build (and past the 7200-s duration grid) extend them.
    got = operator_supply(ready, tuple(talk), tuple(wrap), MODEL.talk, MODEL.wrap, H)
    mean, var = _plain_supply(ready, tuple(talk), tuple(wrap), MODEL.talk, MODEL.wrap)
    np.testing.assert_allclose(got.mean, mean, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(got.var, var, rtol=1e-9, atol=1e-9)
    assert got.busy == len(talk) + len(wrap)


def test_supply_table_grows_for_a_call_longer_than_any_before() -> None:
    short = operator_supply(0, (30.0,), (), MODEL.talk, MODEL.wrap, H)
    long = operator_supply(0, (30.0, 5000.0), (), MODEL.talk, MODEL.wrap, H)
    mean, _ = _plain_supply(0, (30.0, 5000.0), (), MODEL.talk, MODEL.wrap)
    np.testing.assert_allclose(long.mean, mean, rtol=1e-9, atol=1e-9)
    assert long.mean[-1] > short.mean[-1]


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 40), st.lists(elapsed, max_size=40), st.lists(st.floats(0.0, 60.0), max_size=80),
       st.integers(0, 3), st.floats(0.0, 3.0), st.floats(0.001, 0.3), st.sampled_from([0.0, 0.03, 0.1]),
       st.integers(0, 300))
def test_largest_batch_is_the_last_size_before_the_first_late_one(
    ready: int, talk: list[float], ringing: list[float], queued: int, rate: float, threshold: float,
    cv: float, cap: int,
) -> None:
    supply = operator_supply(ready, tuple(talk), (), MODEL.talk, MODEL.wrap, H)
    demand = customer_demand(queued, tuple(ringing), MODEL.resolution, H, rate)
    n = largest_batch(threshold, cap, supply, demand, MODEL.resolution, 2, cv)
    # Brute force over every size with the public per-candidate function.
    sizes = np.arange(1, cap + 1)
    late = marginal_late_probability(sizes, supply, demand, MODEL.resolution, 2, cv) if cap else np.zeros(0)
    first_bad = int(np.argmax(late > threshold)) if (late > threshold).any() else cap
    assert n == first_bad


def test_negative_elapsed_times_count_as_just_started() -> None:
    # Clock skew in the engine: an operator "-100 s" into a call is one who just started it.
    got = operator_supply(1, (-100.0, -250.0), (-1.0,), MODEL.talk, MODEL.wrap, H)
    mean, var = _plain_supply(1, (0.0, 0.0), (0.0,), MODEL.talk, MODEL.wrap)
    np.testing.assert_allclose(got.mean, mean, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(got.var, var, rtol=1e-9, atol=1e-9)
