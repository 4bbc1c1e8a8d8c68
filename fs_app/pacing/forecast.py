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
    # [mean | var] in one array when built by :func:`operator_supply`: the late test shifts both at once.
    both: np.ndarray | None = None

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


# Rows a table holds past the longest elapsed time it was built or extended for.
_TABLE_SPARE_S = 60


@dataclass(frozen=True, slots=True)
class _FreeTable:
    """Free-by-t rows of whole elapsed seconds from 0, talking operators' rows first and wrapping
    operators' after (``wrap_offset``); each row is ``[p(t) | p(t) (1 - p(t))]`` so that one gather and
    one product give the supply's mean and variance together."""

    talk: np.ndarray  # p rows of talking operators, elapsed 0 .. talk_last
    wrap: np.ndarray  # p rows of wrapping operators, elapsed 0 .. wrap_last
    rows: np.ndarray

    @property
    def talk_last(self) -> int:
        return len(self.talk) - 1

    @property
    def wrap_last(self) -> int:
        return len(self.wrap) - 1

    @property
    def wrap_offset(self) -> int:
        return len(self.talk)

    @classmethod
    def of(cls, talk: np.ndarray, wrap: np.ndarray) -> _FreeTable:
        # Filled in place: big teams' talk tables run to thousands of rows and are rebuilt every ~40
        # decisions, so the copies count.
        nt, h = talk.shape
        rows = np.empty((nt + len(wrap), 2 * h))
        p, v = rows[:, :h], rows[:, h:]
        p[:nt] = talk
        p[nt:] = wrap
        np.subtract(1.0, p, out=v)
        v *= p
        return cls(talk=talk, wrap=wrap, rows=rows)


# (talk view, wrap view, horizon) -> the views themselves (identity guard) and the per-second table.
_TABLES: dict[tuple[int, int, int], tuple[DurationView, DurationView, _FreeTable]] = {}


def _free_table(talk: DurationView, wrap: DurationView, horizon_s: int,
                talk_need: int = 0, wrap_need: int = 0) -> _FreeTable:
    """The table of these views covering elapsed ``talk_need`` / ``wrap_need``. Views are immutable and
    rebuilt only after ~5 % of their sample changed, so one table serves many decisions; without it every
    decision redid the same conditional distributions per busy operator (the benchmark's hottest path).
    A table is built only as far as the calls in progress need (views of a young campaign change every
    few calls) with a minute to spare, and a longer call extends it (with room to spare) rather than
    being computed alone: a big team nearly always has someone in a call past the 99.9 % quantile."""
    key = (id(talk), id(wrap), horizon_s)
    hit = _TABLES.get(key)
    if hit is not None and hit[0] is talk and hit[1] is wrap:
        table = hit[2]
        if talk_need <= table.talk_last and wrap_need <= table.wrap_last:
            return table
        t_rows, w_rows = table.talk, table.wrap
    else:
        if len(_TABLES) >= 8:
            _TABLES.clear()
        t_rows = _talk_free(talk, wrap, np.arange(talk_need + _TABLE_SPARE_S + 1), horizon_s)
        w_rows = _conditional_cdf(wrap, tuple(range(wrap_need + _TABLE_SPARE_S + 1)), horizon_s)
    if talk_need >= len(t_rows):
        last = len(t_rows) - 1
        upto = talk_need + max(_TABLE_SPARE_S, last // 2)
        t_rows = np.concatenate((t_rows, _talk_free(talk, wrap, np.arange(last + 1, upto + 1), horizon_s)))
    if wrap_need >= len(w_rows):
        last = len(w_rows) - 1
        upto = wrap_need + max(_TABLE_SPARE_S, last // 2)
        w_rows = np.concatenate((w_rows, _conditional_cdf(wrap, tuple(range(last + 1, upto + 1)), horizon_s)))
    table = _FreeTable.of(t_rows, w_rows)
    _TABLES[key] = (talk, wrap, table)
    return table


def operator_supply(
    ready: int,
    talk_elapsed: tuple[float, ...],
    wrap_elapsed: tuple[float, ...],
    talk: DurationView,
    wrap: DurationView,
    horizon_s: int,
) -> Supply:
    h = horizon_s + 1
    nt, nw = len(talk_elapsed), len(wrap_elapsed)
    if not nt and not nw:
        return Supply(mean=np.full(h, float(ready)), var=np.zeros(h), busy=0)
    # Rows past the end of a duration's grid are all the same as its last row.
    talk_cap, wrap_cap = len(talk.cdf) - 1, len(wrap.cdf) - 1
    talk_max = min(max(int(max(talk_elapsed)), 0), talk_cap) if nt else 0
    wrap_max = min(max(int(max(wrap_elapsed)), 0), wrap_cap) if nw else 0
    table = _free_table(talk, wrap, horizon_s, talk_max, wrap_max)
    # Whole seconds elapsed, talking operators first, then wrapping ones (their rows follow the talk rows).
    idx = np.fromiter(talk_elapsed + wrap_elapsed, float, nt + nw).astype(np.intp)
    # Negative elapsed times (clock skew in the engine) count as just started.
    np.maximum(idx, 0, out=idx)
    if talk_max == talk_cap and nt:
        np.minimum(idx[:nt], talk_cap, out=idx[:nt])
    if nw:
        if wrap_max == wrap_cap:
            np.minimum(idx[nt:], wrap_cap, out=idx[nt:])
        idx[nt:] += table.wrap_offset
    # A product with ones sums the rows in one BLAS call (a strided reduction is ~2x slower here).
    both = _ones(nt + nw) @ table.rows.take(idx, axis=0)
    both[:h] += float(ready)
    return Supply(mean=both[:h], var=both[h:], busy=nt + nw, both=both)


_ONES = np.ones(256)


def _ones(n: int) -> np.ndarray:
    global _ONES
    if n > len(_ONES):
        _ONES = np.ones(2 * n)
    return _ONES[:n]


@dataclass(frozen=True, slots=True)
class Demand:
    mean: np.ndarray
    var: np.ndarray
    both: np.ndarray | None = None  # [mean | var], as in Supply


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
    # [inflight | inflight_var] and [future_mean | future_var]: one product per decision gives both.
    inflight_both: np.ndarray
    future_both: np.ndarray
    # k q and k q (1 - q) for the first block of candidates (k = n - 1 = 0 .. 7).
    first_q: np.ndarray
    first_qq: np.ndarray


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
    sub_var = sub * (1.0 - sub)
    curves = _DialCurves(q=q, qq=qq, weights=dq / total if total > 0 else None, future_mean=future_mean,
                         future_var=future_var, inflight=sub, inflight_var=sub_var,
                         inflight_both=np.concatenate((sub, sub_var), axis=1),
                         future_both=np.concatenate((future_mean, future_var)),
                         first_q=_FIRST_K * q, first_qq=_FIRST_K * qq)
    _CURVES[key] = (res, curves)
    return curves


def customer_demand(queued: int, ringing_ages: tuple[float, ...], res: ResolutionView,
                    horizon_s: int, future_dials_per_s: float = 0.0) -> Demand:
    """``future_dials_per_s``: the dials the pacer will go on placing, one batch a second. A customer is
    served in order of answer, so a later dial that answers sooner (a short ring) is served first: without
    them a dial answering late in the horizon looked safe against today's calls only, and predictive
    underestimated the late probability of exactly the customers who answer after a long ring."""
    curves = _curves(res, horizon_s)
    h = horizon_s + 1
    # Mean and variance side by side in one array: every step below is one call for both.
    both = (future_dials_per_s * curves.future_both if future_dials_per_s > 0 else np.zeros(2 * h))
    both[:h] += float(queued)
    if ringing_ages:
        sub = curves.inflight
        max_age = sub.shape[0] - 1
        n = len(ringing_ages)
        idx = np.fromiter(ringing_ages, float, n).astype(np.intp)
        if max(ringing_ages) >= max_age + 1:
            np.minimum(idx, max_age, out=idx)
        counts = np.bincount(idx, minlength=max_age + 1).astype(float)
        width = sub.shape[1]
        if width == h:
            both += counts @ curves.inflight_both
        else:
            mean, var = both[:h], both[h:]
            mean[:width] += counts @ sub
            var[:width] += counts @ curves.inflight_var
            mean[width:] = mean[width - 1]
            var[width:] = var[width - 1]
    return Demand(mean=both[:h], var=both[h:], both=both)


# Per horizon h and grace: indices of S(t + grace) in [mean | var], then signs and constants that turn
# [S_mean(t + g) | S_var(t + g)] + [A_mean(t) | A_var(t)] into [margin(t) | variance(t)] in place.
_SHIFTS: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
# Candidate batch sizes of the first block, as multiples k = n - 1 of one more dial's demand.
_FIRST_BLOCK = 8
_FIRST_K = np.arange(_FIRST_BLOCK, dtype=float)[:, None]


def _shift(h: int, grace_s: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    key = (h, grace_s)
    hit = _SHIFTS.get(key)
    if hit is None:
        one = np.minimum(np.arange(h + 1) + grace_s, h)
        sign = np.concatenate((np.full(h + 1, -1.0), np.ones(h + 1)))
        const = np.concatenate((np.full(h + 1, 0.5), np.full(h + 1, 1e-9)))
        hit = _SHIFTS[key] = (np.concatenate((one, one + h + 1)), sign, const)
    return hit


def _bases(supply: Supply, demand: Demand, grace_s: int) -> tuple[np.ndarray, np.ndarray]:
    """Per answer second t, the margin ``0.5 - (S(t + g) - A(t))`` and the variance of S(t + g) - A(t)
    before the new dials (continuity-corrected normal approximation)."""
    h = len(demand.mean) - 1
    s_both = supply.both if supply.both is not None else np.concatenate((supply.mean, supply.var))
    d_both = demand.both if demand.both is not None else np.concatenate((demand.mean, demand.var))
    idx, sign, const = _shift(h, grace_s)
    base = s_both.take(idx)
    base *= sign
    base += d_both
    base += const
    return base[: h + 1], base[h + 1:]


def _late_function(
    supply: Supply, demand: Demand, res: ResolutionView, grace_s: int, connect_cv: float
) -> Callable[[np.ndarray], np.ndarray] | None:
    """The n-th-dial late probability as a function of ``k = n - 1`` (a column of candidates), with
    everything that does not depend on n computed once per decision; None when no dial ever needs an
    operator."""
    h = len(demand.mean) - 1
    curves = _curves(res, h)
    weights = curves.weights
    if weights is None:
        return None
    q, qq = curves.q, curves.qq
    base_margin, base_var = _bases(supply, demand, grace_s)
    dm = demand.mean
    cv2 = connect_cv * connect_cv

    def late(k: np.ndarray) -> np.ndarray:
        return _late_of(base_margin, base_var, dm, cv2, k * q, k * qq, weights)

    return late


def _late_of(base_margin: np.ndarray, base_var: np.ndarray, demand_mean: np.ndarray, cv2: float, kq: np.ndarray,
             kqq: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Late probability of each candidate batch from its k-products (``kq`` = k*q, ``kqq`` = k*q*(1-q)),
    written for the fewest array operations: it runs on every predictive decision."""
    var = base_var + kqq
    if cv2 > 0:
        d = demand_mean + kq
        d *= d
        d *= cv2
        var += d
    np.sqrt(var, out=var)
    z = base_margin + kq
    z /= var
    return np.asarray(ndtr(z) @ weights)


def _first_block(supply: Supply, demand: Demand, curves: _DialCurves, weights: np.ndarray, grace_s: int,
                 cv2: float, threshold: float, size: int) -> int:
    """:func:`largest_batch` over n = 1 .. size (size <= ``_FIRST_BLOCK``) with the k-products taken from
    the cached curves: most decisions end here, so it is written for the fewest array operations."""
    base_margin, base_var = _bases(supply, demand, grace_s)
    ok = _late_of(base_margin, base_var, demand.mean, cv2, curves.first_q[:size], curves.first_qq[:size],
                  weights) <= threshold
    bad = int(ok.argmin())
    # Every candidate passes: the whole block; else the candidate before the first failing one.
    return size if ok[bad] else bad


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
    k = (np.asarray(n, dtype=float) - 1.0)[:, None]
    return np.zeros(len(n)) if late is None else late(k)


def largest_batch(
    threshold: float, cap: int, supply: Supply, demand: Demand, res: ResolutionView, grace_s: int,
    connect_cv: float = 0.0,
) -> int:
    """Largest n <= cap whose marginal dial's late probability stays <= threshold (0 if none)."""
    if cap <= 0:
        return 0
    curves = _curves(res, len(demand.mean) - 1)
    if curves.weights is None:
        return cap
    # Steady dialing adds a few dials per decision: a small first block usually settles it.
    size = min(_FIRST_BLOCK, cap)
    lo = _first_block(supply, demand, curves, curves.weights, grace_s, connect_cv * connect_cv, threshold,
                      size)
    if lo < size or lo == cap:
        return lo
    late = _late_function(supply, demand, res, grace_s, connect_cv)
    assert late is not None
    block = 4 * _FIRST_BLOCK
    start = lo + 1
    while start <= cap:
        stop = min(start + block, cap + 1)
        ok = late(np.arange(start - 1.0, stop - 1.0)[:, None]) <= threshold
        bad = int(ok.argmin())
        if not ok[bad]:
            return start + bad - 1 if bad > 0 else lo
        lo = stop - 1
        start = stop
        block *= 4
    return lo


def expected_wait(supply: Supply, queued: int, mean_handle_s: float) -> float:
    """Expected seconds until an operator is free for a customer who answers now (behind the queue)."""
    need = queued + 1
    hits = supply.mean >= need
    first = int(hits.argmax())
    if hits[first]:
        return float(first)
    horizon = len(supply.mean) - 1
    missing = need - float(supply.mean[-1])
    if supply.busy == 0:
        return float("inf")
    return horizon + missing * mean_handle_s / supply.busy
