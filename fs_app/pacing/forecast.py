"""The predictive model: operator supply versus customer demand over the next minute.

Supply ``S(t)``: ready operators plus busy operators who will be free by ``t`` (remaining talk given the
time already talked, plus a full wrap-up; or remaining wrap-up), each an independent Bernoulli.
Demand ``A(t)``: queued customers plus dials in flight that will need an operator by ``t`` (from the
answer-time distribution conditioned on each dial's age). A new dial answering at ``t`` is served within
the grace ``g`` iff ``S(t+g) >= A_other(t) + 1`` (FIFO); the sums are approximated as normal. The pacer
adds dials while the *marginal* dial's probability of waiting past the grace stays under a threshold --
the Lagrangian form of "maximise connects subject to an abandon budget".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from fs_app.pacing.estimator import DurationView, ResolutionView


@dataclass(frozen=True, slots=True)
class Supply:
    """Mean and variance of operators available by t = 0, 1, ..., horizon seconds (ready ones included)."""

    mean: np.ndarray
    var: np.ndarray
    busy: int

    @property
    def frees_within_horizon(self) -> float:
        return float(self.mean[-1] - self.mean[0])


def _conditional_cdf(dist: DurationView, elapsed: tuple[float, ...], horizon_s: int) -> np.ndarray:
    """P(end <= elapsed + t | end > elapsed) for t = 0..horizon, shape (len(elapsed), horizon + 1)."""
    last = len(dist.cdf) - 1
    e = np.minimum(np.asarray(elapsed, dtype=float).astype(int), last)
    idx = np.minimum(e[:, None] + np.arange(horizon_s + 1)[None, :], last)
    base = np.where(e > 0, dist.cdf[np.maximum(e - 1, 0)], 0.0)[:, None]
    surv = np.maximum(1.0 - base, 1e-12)
    # Durations are binned by whole seconds, so an operator at second e may end within this second.
    out = (dist.cdf[idx] - base) / surv
    out[:, 0] = 0.0
    return np.clip(out, 0.0, 1.0)


def _talk_free(talk: DurationView, wrap: DurationView, elapsed: np.ndarray, horizon_s: int) -> np.ndarray:
    """P(free by t | talked ``elapsed`` s so far): the talk ends, then a whole wrap-up."""
    end_cdf = _conditional_cdf(talk, tuple(elapsed.tolist()), horizon_s)
    pmf = np.empty_like(end_cdf)
    pmf[:, 0] = end_cdf[:, 0]
    np.subtract(end_cdf[:, 1:], end_cdf[:, :-1], out=pmf[:, 1:])
    # Talk ending in second j, then a whole wrap-up: free by i with prob lag[i, j].
    # A contiguous copy: a matmul against the strided transpose is ~10x slower.
    return np.asarray(pmf @ np.ascontiguousarray(wrap.lag[: horizon_s + 1, : horizon_s + 1].T))


# Elapsed times past this quantile of a duration are rare: their rows are computed on demand.
_TABLE_QUANTILE = 0.999
# (talk view, wrap view, horizon) -> the views themselves (identity guard) and the per-second tables.
_TABLES: dict[tuple[int, int, int], tuple[DurationView, DurationView, np.ndarray, np.ndarray]] = {}


def _free_tables(talk: DurationView, wrap: DurationView, horizon_s: int) -> tuple[np.ndarray, np.ndarray]:
    """The free-by-t rows of every whole elapsed second up to the 99.9 % quantile, for talking and for
    wrapping operators. Views are immutable and rebuilt only after ~2 % of their sample changed, so one
    table serves hundreds of decisions; without it every decision redid the same conditional
    distributions per busy operator (the benchmark's hottest path)."""
    key = (id(talk), id(wrap), horizon_s)
    hit = _TABLES.get(key)
    if hit is not None and hit[0] is talk and hit[1] is wrap:
        return hit[2], hit[3]
    if len(_TABLES) >= 8:
        _TABLES.clear()
    talk_max = int(np.searchsorted(talk.cdf, _TABLE_QUANTILE))
    wrap_max = int(np.searchsorted(wrap.cdf, _TABLE_QUANTILE))
    talk_rows = _talk_free(talk, wrap, np.arange(talk_max + 1), horizon_s)
    wrap_rows = _conditional_cdf(wrap, tuple(range(wrap_max + 1)), horizon_s)
    _TABLES[key] = (talk, wrap, talk_rows, wrap_rows)
    return talk_rows, wrap_rows


def _rows(table: np.ndarray, elapsed: tuple[float, ...], rare: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    e = np.asarray(elapsed, dtype=float).astype(int)
    last = len(table) - 1
    if e.size == 0 or int(e.max()) <= last:
        return table[e]
    out = table[np.minimum(e, last)]
    beyond = e > last
    out[beyond] = rare(e[beyond])
    return out


def operator_supply(
    ready: int,
    talk_elapsed: tuple[float, ...],
    wrap_elapsed: tuple[float, ...],
    talk: DurationView,
    wrap: DurationView,
    horizon_s: int,
) -> Supply:
    mean = np.full(horizon_s + 1, float(ready))
    var = np.zeros(horizon_s + 1)
    if not talk_elapsed and not wrap_elapsed:
        return Supply(mean=mean, var=var, busy=0)
    talk_rows, wrap_rows = _free_tables(talk, wrap, horizon_s)
    if talk_elapsed:
        p = _rows(talk_rows, talk_elapsed, lambda e: _talk_free(talk, wrap, e, horizon_s))
        mean += p.sum(axis=0)
        var += (p * (1.0 - p)).sum(axis=0)
    if wrap_elapsed:
        p = _rows(wrap_rows, wrap_elapsed,
                  lambda e: _conditional_cdf(wrap, tuple(e.tolist()), horizon_s))
        mean += p.sum(axis=0)
        var += (p * (1.0 - p)).sum(axis=0)
    return Supply(mean=mean, var=var, busy=len(talk_elapsed) + len(wrap_elapsed))


@dataclass(frozen=True, slots=True)
class Demand:
    mean: np.ndarray
    var: np.ndarray


@dataclass(frozen=True, slots=True)
class _DialCurves:
    """What a resolution view implies on a given horizon, computed once per view (views change only after
    ~2 % of the sample did, so one serves many decisions)."""

    q: np.ndarray  # P(a new dial needs an operator within t)
    qq: np.ndarray  # q (1 - q)
    weights: np.ndarray | None  # answer-time density of a dial that needs an operator; None: none does
    future_mean: np.ndarray  # sum over tau = 1..t of q[t - tau]
    future_var: np.ndarray
    inflight: np.ndarray  # inflight[:, : horizon + 1]
    inflight_var: np.ndarray


_CURVES: dict[tuple[int, int], tuple[ResolutionView, _DialCurves]] = {}


def _curves(res: ResolutionView, horizon_s: int) -> _DialCurves:
    key = (id(res), horizon_s)
    hit = _CURVES.get(key)
    if hit is not None and hit[0] is res:
        return hit[1]
    if len(_CURVES) >= 8:
        _CURVES.clear()
    h = horizon_s + 1
    q = np.zeros(h)
    width = min(len(res.new_cdf), h)
    q[:width] = res.new_cdf[:width]
    if width < h:
        q[width:] = q[width - 1]
    qq = q * (1.0 - q)
    dq = np.diff(q, prepend=0.0)
    total = float(dq.sum())
    future_mean = np.zeros(h)
    future_var = np.zeros(h)
    # Dials at 1, 2, ..., t seconds from now, each needing an operator by t with q[t - tau].
    future_mean[1:] = np.cumsum(q)[:-1]
    future_var[1:] = np.cumsum(qq)[:-1]
    sub = res.inflight[:, :h]
    curves = _DialCurves(q=q, qq=qq, weights=dq / total if total > 0 else None, future_mean=future_mean,
                         future_var=future_var, inflight=sub, inflight_var=sub * (1.0 - sub))
    _CURVES[key] = (res, curves)
    return curves


def customer_demand(queued: int, ringing_ages: tuple[float, ...], res: ResolutionView,
                    horizon_s: int, future_dials_per_s: float = 0.0) -> Demand:
    """``future_dials_per_s``: the dials the pacer will go on placing, one batch a second. A customer is
    served in order of answer, so a later dial that answers sooner (a short ring) is served first: without
    them a dial answering late in the horizon looked safe against today's calls only, and predictive
    underestimated the late probability of exactly the customers who answer after a long ring."""
    curves = _curves(res, horizon_s)
    mean = np.full(horizon_s + 1, float(queued))
    var = np.zeros(horizon_s + 1)
    if future_dials_per_s > 0:
        mean += future_dials_per_s * curves.future_mean
        var += future_dials_per_s * curves.future_var
    if ringing_ages:
        sub = curves.inflight
        max_age = sub.shape[0] - 1
        idx = np.minimum(np.asarray(ringing_ages, dtype=float).astype(int), max_age)
        counts = np.bincount(idx, minlength=max_age + 1).astype(float)
        width = sub.shape[1]
        mean[:width] += counts @ sub
        var[:width] += counts @ curves.inflight_var
        if width < horizon_s + 1:
            mean[width:] = mean[width - 1]
            var[width:] = var[width - 1]
    return Demand(mean=mean, var=var)


def _late_function(
    supply: Supply, demand: Demand, res: ResolutionView, grace_s: int, connect_cv: float
) -> Callable[[np.ndarray], np.ndarray] | None:
    """The n-th-dial late probability as a function of candidate sizes, with everything that does not
    depend on n computed once per decision; None when no dial ever needs an operator."""
    h = len(demand.mean) - 1
    curves = _curves(res, h)
    weights = curves.weights
    if weights is None:
        return None
    q, qq = curves.q, curves.qq
    shift = np.minimum(np.arange(h + 1) + grace_s, h)
    base_margin = 0.5 - (supply.mean[shift] - demand.mean)
    base_var = supply.var[shift] + demand.var + 1e-9

    def late(n: np.ndarray) -> np.ndarray:
        k = (np.asarray(n, dtype=float) - 1.0)[:, None]
        var = base_var[None, :] + k * qq[None, :]
        if connect_cv > 0:
            var = var + (connect_cv * (demand.mean[None, :] + k * q[None, :])) ** 2
        return np.asarray(ndtr((base_margin[None, :] + k * q[None, :]) / np.sqrt(var)) @ weights)

    return late


def marginal_late_probability(
    n: np.ndarray, supply: Supply, demand: Demand, res: ResolutionView, grace_s: int,
    connect_cv: float = 0.0,
) -> np.ndarray:
    """For each candidate batch size ``n``, the probability that the n-th new dial, if it reaches a
    person, waits past the grace. Shape (len(n),).

    ``connect_cv``: relative error of the estimated connect rate. The error is shared by every dial in
    flight (dials placed together answer together), so it adds ``(cv * expected customers)^2`` to the
    demand variance -- growing with the square of the batch, where the binomial term grows linearly. Without
    it a refill of hundreds of dials looks as safe as a steady trickle, and one estimate a few per cent low
    turns into a burst of abandons that sends the governor braking for hours."""
    late = _late_function(supply, demand, res, grace_s, connect_cv)
    return np.zeros(len(n)) if late is None else late(n)


def largest_batch(
    threshold: float, cap: int, supply: Supply, demand: Demand, res: ResolutionView, grace_s: int,
    connect_cv: float = 0.0,
) -> int:
    """Largest n <= cap whose marginal dial's late probability stays <= threshold (0 if none)."""
    if cap <= 0:
        return 0
    late = _late_function(supply, demand, res, grace_s, connect_cv)
    if late is None:
        return cap
    lo = 0
    # Steady dialing adds a few dials per decision: a small first block usually settles it.
    block = 8
    start = 1
    while start <= cap:
        cands = np.arange(start, min(start + block, cap + 1))
        ok = late(cands) <= threshold
        if not ok.all():
            bad = int(np.argmin(ok))
            return int(cands[bad - 1]) if bad > 0 else lo
        lo = int(cands[-1])
        start = lo + 1
        block *= 4
    return lo


def expected_wait(supply: Supply, queued: int, mean_handle_s: float) -> float:
    """Expected seconds until an operator is free for a customer who answers now (behind the queue)."""
    need = queued + 1
    hits = np.nonzero(supply.mean >= need)[0]
    if hits.size:
        return float(hits[0])
    horizon = len(supply.mean) - 1
    missing = need - float(supply.mean[-1])
    if supply.busy == 0:
        return float("inf")
    return horizon + missing * mean_handle_s / supply.busy
