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
    if talk_elapsed:
        end_cdf = _conditional_cdf(talk, talk_elapsed, horizon_s)
        pmf = np.empty_like(end_cdf)
        pmf[:, 0] = end_cdf[:, 0]
        np.subtract(end_cdf[:, 1:], end_cdf[:, :-1], out=pmf[:, 1:])
        # Talk ending in second j, then a whole wrap-up: free by i with prob lag[i, j].
        p = pmf @ wrap.lag[: horizon_s + 1, : horizon_s + 1].T
        mean += p.sum(axis=0)
        var += (p * (1.0 - p)).sum(axis=0)
    if wrap_elapsed:
        p = _conditional_cdf(wrap, wrap_elapsed, horizon_s)
        mean += p.sum(axis=0)
        var += (p * (1.0 - p)).sum(axis=0)
    return Supply(mean=mean, var=var, busy=len(talk_elapsed) + len(wrap_elapsed))


@dataclass(frozen=True, slots=True)
class Demand:
    mean: np.ndarray
    var: np.ndarray


def customer_demand(queued: int, ringing_ages: tuple[float, ...], res: ResolutionView,
                    horizon_s: int) -> Demand:
    mean = np.full(horizon_s + 1, float(queued))
    var = np.zeros(horizon_s + 1)
    if ringing_ages:
        table = res.inflight
        max_age = table.shape[0] - 1
        idx = np.minimum(np.asarray(ringing_ages, dtype=float).astype(int), max_age)
        counts = np.bincount(idx, minlength=max_age + 1).astype(float)
        sub = table[:, : horizon_s + 1]
        width = sub.shape[1]
        mean[:width] += counts @ sub
        var[:width] += counts @ (sub * (1.0 - sub))
        if width < horizon_s + 1:
            mean[width:] = mean[width - 1]
            var[width:] = var[width - 1]
    return Demand(mean=mean, var=var)


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
    h = len(demand.mean) - 1
    q = np.zeros(h + 1)
    width = min(len(res.new_cdf), h + 1)
    q[:width] = res.new_cdf[:width]
    if width < h + 1:
        q[width:] = q[width - 1]
    dq = np.diff(q, prepend=0.0)
    total = dq.sum()
    if total <= 0:
        return np.zeros(len(n))
    shift = np.minimum(np.arange(h + 1) + grace_s, h)
    s_mean = supply.mean[shift]
    s_var = supply.var[shift]
    k = (np.asarray(n, dtype=float) - 1.0)[:, None]
    margin = s_mean[None, :] - demand.mean[None, :] - k * q[None, :]
    var = s_var[None, :] + demand.var[None, :] + k * (q * (1.0 - q))[None, :] + 1e-9
    if connect_cv > 0:
        var = var + (connect_cv * (demand.mean[None, :] + k * q[None, :])) ** 2
    late = ndtr((0.5 - margin) / np.sqrt(var))
    return np.asarray((late * dq[None, :]).sum(axis=1) / total)


def largest_batch(
    threshold: float, cap: int, supply: Supply, demand: Demand, res: ResolutionView, grace_s: int,
    connect_cv: float = 0.0,
) -> int:
    """Largest n <= cap whose marginal dial's late probability stays <= threshold (0 if none)."""
    if cap <= 0:
        return 0
    lo = 0
    block = 32
    start = 1
    while start <= cap:
        cands = np.arange(start, min(start + block, cap + 1))
        ok = marginal_late_probability(cands, supply, demand, res, grace_s, connect_cv) <= threshold
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
