"""Running estimates the predictive model needs: when and how often a dial needs an operator, and how
long talk and wrap-up last. Old observations fade with a half-life so drifting answer rates are
followed; a prior (the strategy's hit rate) carries the model until data arrives."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

# Rescale accumulated weights before they overflow; the ratio between bins is all that matters.
_RESCALE_AT = 1e12


class _Fading:
    """Exponential forgetting by time: an observation at ``now`` weighs 2^(now / half_life)."""

    def __init__(self, half_life_s: float) -> None:
        self.half_life_s = half_life_s
        self._t0: float | None = None

    def weight(self, now: float) -> float:
        if self._t0 is None:
            self._t0 = now
        return float(2.0 ** ((now - self._t0) / self.half_life_s))

    def rebase(self, now: float) -> float:
        """Move the reference to ``now``; returns the factor stored sums must be divided by."""
        w = self.weight(now)
        self._t0 = now
        return w


@dataclass(frozen=True, slots=True)
class ResolutionView:
    """Immutable forecast tables on a 1-second grid.

    ``new_cdf[t]``: probability a dial placed now needs an operator within ``t`` seconds.
    ``inflight[a, t]``: for a dial still unresolved at age ``a`` s, probability it needs an operator
    within the next ``t`` seconds. ``observations``: the faded count of resolved dials behind them.
    """

    p_connect: float
    new_cdf: np.ndarray
    inflight: np.ndarray
    observations: float


class ResolutionModel:
    """Joint distribution of (needs an operator?, seconds from dial to resolution), binned by second.

    Calls AMD labels as machines are kept apart (``_mv``): whether they need an operator is the pacer's
    own choice (``PacingDecision.amd_hangup``), so the model serves both answers -- ``view(False)`` counts
    them as operator calls -- instead of learning a mix of the two regimes that fits neither."""

    def __init__(
        self,
        *,
        hit_rate: float,
        max_age_s: int = 60,
        half_life_s: float = 1800.0,
        prior_dials: float = 20.0,
        prior_answer_s: float = 10.0,
        half_life_obs: float | None = None,
        min_half_life_s: float = 300.0,
    ) -> None:
        self.max_age_s = max_age_s
        self._fade = _Fading(half_life_s)
        # Memory measured in dials rather than seconds when ``half_life_obs`` is set: the time half-life
        # becomes half_life_obs / dial rate, clamped to [min_half_life_s, half_life_s]. A fixed half-life
        # in seconds is either too slow for a fast campaign or too noisy for a slow one.
        self._max_half_life_s = half_life_s
        self._min_half_life_s = min(min_half_life_s, half_life_s)
        self._half_life_obs = half_life_obs
        self._batch_n = 0
        self._batch_t: float | None = None
        self._op = np.zeros(max_age_s + 1)
        self._mv = np.zeros(max_age_s + 1)
        self._all = np.zeros(max_age_s + 1)
        self._connects = 0.0
        self._machine_verdicts = 0.0
        self._total = 0.0
        # Weight of an observation made now, in the units of the stored sums (they grow with time until
        # rebased): ``_total / _w_now`` is the faded count of dials.
        self._w_now = 1.0
        self._answers_seen = 0
        self._view: ResolutionView | None = None
        self._view_amd_off: ResolutionView | None = None
        self._dirty_since_view = 0.0
        # A twin of the connect counts fading twice as slowly, for the trend correction (``p_connect_now``).
        self._slow_connects = self._slow_mv = self._slow_total = 0.0
        self._slow_t: float | None = None
        self._prior(hit_rate, prior_dials, prior_answer_s)

    def _prior(self, hit_rate: float, dials: float, answer_s: float) -> None:
        ages = np.arange(self.max_age_s + 1) + 0.5
        sigma = 0.5
        answer_pdf = np.exp(-((np.log(ages) - math.log(answer_s)) ** 2) / (2 * sigma * sigma)) / ages
        answer_pdf /= answer_pdf.sum()
        flat = np.full(self.max_age_s + 1, 1.0 / (self.max_age_s + 1))
        h = min(max(hit_rate, 0.0), 1.0)
        self._op += dials * h * answer_pdf
        self._all += dials * (h * answer_pdf + (1 - h) * flat)
        self._connects += dials * h
        self._total += dials
        self._slow_connects += dials * h
        self._slow_total += dials

    @classmethod
    def from_samples(cls, to_operator_ages: np.ndarray, other_ages: np.ndarray, *,
                     max_age_s: int = 60, machine_verdict_ages: np.ndarray | None = None) -> ResolutionModel:
        """A model of known parameters (simulation oracles), from sampled resolution ages;
        ``machine_verdict_ages``: calls AMD labels as machines (not among the other two)."""
        model = cls(hit_rate=0.0, max_age_s=max_age_s, prior_dials=0.0)
        bins = max_age_s + 1
        op = np.bincount(np.minimum(to_operator_ages.astype(int), max_age_s), minlength=bins)
        other = np.bincount(np.minimum(other_ages.astype(int), max_age_s), minlength=bins)
        mv = np.zeros(bins, dtype=int) if machine_verdict_ages is None else np.bincount(
            np.minimum(machine_verdict_ages.astype(int), max_age_s), minlength=bins)
        model._op = op.astype(float)
        model._mv = mv.astype(float)
        model._all = (op + other + mv).astype(float)
        model._connects = float(op.sum())
        model._machine_verdicts = float(mv.sum())
        model._total = float(op.sum() + other.sum() + mv.sum())
        model._answers_seen = int(op.sum())
        return model

    @property
    def answers_seen(self) -> int:
        """Operator-bound resolutions actually observed (not counting the prior)."""
        return self._answers_seen

    def _rescale(self, now: float) -> None:
        k = self._fade.rebase(now)
        self._op /= k
        self._mv /= k
        self._all /= k
        self._connects /= k
        self._machine_verdicts /= k
        self._total /= k
        self._w_now /= k

    def _adapt_half_life(self, now: float) -> None:
        """Every 256 dials, set the time half-life from the measured dial rate (exact: the stored sums are
        rebased to ``now`` first, so past weights keep the half-life they were made with)."""
        if self._half_life_obs is None:
            return
        if self._batch_t is None:
            self._batch_t = now
        self._batch_n += 1
        if self._batch_n < 256:
            return
        span = now - self._batch_t
        rate = self._batch_n / span if span > 0 else math.inf
        self._batch_n, self._batch_t = 0, now
        target = min(max(self._half_life_obs / rate, self._min_half_life_s), self._max_half_life_s)
        if abs(target - self._fade.half_life_s) > 0.1 * self._fade.half_life_s:
            self._rescale(now)
            self._fade.half_life_s = target

    def observe(self, age_s: float, to_operator: bool, now: float, machine_verdict: bool = False) -> None:
        """``machine_verdict``: AMD labelled the call a machine; it is counted apart whatever happened to it
        (``to_operator`` then only says whether an operator took it)."""
        self._adapt_half_life(now)
        w = self._fade.weight(now)
        if w > _RESCALE_AT:
            self._rescale(now)
            w = 1.0
        self._w_now = w
        b = min(int(age_s), self.max_age_s)
        self._all[b] += w
        self._total += w
        if machine_verdict:
            self._mv[b] += w
            self._machine_verdicts += w
        elif to_operator:
            self._op[b] += w
            self._connects += w
            self._answers_seen += 1
        self._dirty_since_view += w
        if self._slow_t is not None:
            k = 2.0 ** (-(now - self._slow_t) / (2.0 * self._fade.half_life_s))
            self._slow_connects *= k
            self._slow_mv *= k
            self._slow_total *= k
        self._slow_t = now
        self._slow_total += 1.0
        if machine_verdict:
            self._slow_mv += 1.0
        elif to_operator:
            self._slow_connects += 1.0

    @property
    def effective_dials(self) -> float:
        """Faded count of resolved dials (prior included) behind :meth:`p_connect`: the stored weights grow
        with time, so their sum is divided by the weight of a dial resolved now."""
        return self._total / self._w_now

    def p_connect(self, amd_hangup: bool = True) -> float:
        """Share of dials that need an operator; ``amd_hangup=False``: machine verdicts go to operators."""
        connects = self._connects if amd_hangup else self._connects + self._machine_verdicts
        return connects / self._total if self._total > 0 else 0.0

    def p_connect_now(self, amd_hangup: bool = True) -> float:
        """:meth:`p_connect` corrected for its lag behind a drifting answer rate: an average fading with
        half-life h trails a linear trend by h / ln 2, twice that for 2h, so fast + (fast - slow) has no lag
        (double exponential smoothing). The difference is shrunk by the fast share's standard error, so a
        steady campaign's noise is not amplified; the result stays within half to one and a half times the
        plain share."""
        fast = self.p_connect(amd_hangup)
        if self._slow_total <= 0 or self._total <= 0:
            return fast
        slow_c = self._slow_connects if amd_hangup else self._slow_connects + self._slow_mv
        diff = fast - slow_c / self._slow_total
        se = math.sqrt(max(fast * (1.0 - fast), 0.0) / self.effective_dials)
        step = math.copysign(max(abs(diff) - se, 0.0), diff)
        return min(max(fast + step, 0.5 * fast), min(1.5 * fast, 1.0))

    @property
    def machine_verdict_share(self) -> float:
        """Faded share of dials AMD labelled machines (0 without AMD)."""
        return self._machine_verdicts / self._total if self._total > 0 else 0.0

    def view(self, amd_hangup: bool = True) -> ResolutionView:
        """Forecast tables, rebuilt only after ~2 % of the effective sample has changed."""
        stale = self._dirty_since_view > 0.02 * self._total
        if stale:
            self._view = self._view_amd_off = None
            self._dirty_since_view = 0.0
        if amd_hangup:
            if self._view is None:
                self._view = self._build(True)
            return self._view
        if self._view_amd_off is None:
            self._view_amd_off = self._build(False)
        return self._view_amd_off

    def _build(self, amd_hangup: bool) -> ResolutionView:
        r = self.max_age_s + 1
        op = self._op if amd_hangup else self._op + self._mv
        cum_op = np.concatenate(([0.0], np.cumsum(op)))
        surv_all = np.cumsum(self._all[::-1])[::-1]
        a = np.arange(r)[:, None]
        t = np.arange(r + 1)[None, :]
        hi = np.minimum(a + t, r)
        with np.errstate(divide="ignore", invalid="ignore"):
            table = (cum_op[hi] - cum_op[a]) / surv_all[a]
        table = np.nan_to_num(table, nan=0.0, posinf=0.0)
        fast = self.p_connect(amd_hangup)
        now = self.p_connect_now(amd_hangup)
        if fast > 0 and now != fast:
            # The answer-time shape stays; only how many dials need an operator follows the trend.
            table *= now / fast
        np.clip(table, 0.0, 1.0, out=table)
        return ResolutionView(
            p_connect=now,
            new_cdf=table[0].copy(),
            inflight=table,
            observations=self.effective_dials,
        )


class RateMeter:
    """Events per second over the last ``memory_s`` (exponential average). Starts at zero, so it understates
    the rate for the first ``memory_s`` -- the warm-up covers that time."""

    def __init__(self, memory_s: float) -> None:
        self.memory_s = memory_s
        self._rate = 0.0
        self._t: float | None = None

    def add(self, count: float, now: float) -> None:
        self._rate = self.rate(now) + count / self.memory_s
        self._t = now

    def rate(self, now: float) -> float:
        if self._t is None:
            return 0.0
        return self._rate * math.exp(-max(now - self._t, 0.0) / self.memory_s)


@dataclass(frozen=True, slots=True)
class LogNormal:
    mu: float
    sigma: float

    @classmethod
    def from_mean_cv(cls, mean: float, cv: float) -> LogNormal:
        s2 = math.log(1 + cv * cv)
        return cls(mu=math.log(mean) - s2 / 2, sigma=math.sqrt(s2))

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):
            return np.asarray(ndtr((np.log(np.maximum(x, 1e-9)) - self.mu) / self.sigma))


@dataclass(frozen=True, slots=True)
class DurationView:
    """Empirical duration distribution on a 1-second grid: ``cdf[i] = P(D <= i)``; the last bin holds
    the tail. ``lag[i, j]``: P(D <= i - j + 0.5), for "a phase ending in second j, then this one"."""

    cdf: np.ndarray
    mean: float
    lag: np.ndarray

    @classmethod
    def from_pmf(cls, pmf: np.ndarray, horizon_s: int) -> DurationView:
        total = pmf.sum()
        pmf = pmf / total if total > 0 else np.full(len(pmf), 1.0 / len(pmf))
        cdf = np.cumsum(pmf)
        cdf[-1] = 1.0
        mean = float((pmf * (np.arange(len(pmf)) + 0.5)).sum())
        grid = np.arange(horizon_s + 1)
        diff = grid[:, None] - grid[None, :]
        idx = np.clip(diff, 0, len(cdf) - 1)
        half = np.where(idx > 0, cdf[np.maximum(idx - 1, 0)], 0.0)
        lag = np.where(diff >= 0, (half + cdf[idx]) / 2.0, 0.0)
        return cls(cdf=cdf, mean=mean, lag=lag)

    @classmethod
    def from_lognormal(cls, dist: LogNormal, horizon_s: int, max_s: int = 7200) -> DurationView:
        edges = np.arange(max_s + 2, dtype=float)
        cdf = dist.cdf(edges)
        pmf = np.diff(cdf)
        pmf[-1] += 1.0 - cdf[-1]
        return cls.from_pmf(pmf, horizon_s)


class DurationModel:
    """Empirical distribution of talk or wrap-up durations (1-s bins, fading memory). Non-parametric
    because talk mixes real conversations with seconds-long machine calls that AMD let through."""

    def __init__(self, *, prior_mean_s: float, prior_cv: float = 0.8, prior_n: float = 5.0,
                 half_life_s: float = 3600.0, horizon_s: int = 60, max_s: int = 7200) -> None:
        self._fade = _Fading(half_life_s)
        self.horizon_s = horizon_s
        prior = DurationView.from_lognormal(LogNormal.from_mean_cv(prior_mean_s, prior_cv), horizon_s,
                                            max_s)
        self._pmf = np.diff(prior.cdf, prepend=0.0) * prior_n
        self._total = prior_n
        self._dirty = 0.0
        self._view: DurationView | None = None
        self.max_s = max_s

    def observe(self, duration_s: float, now: float) -> None:
        w = self._fade.weight(now)
        if w > _RESCALE_AT:
            k = self._fade.rebase(now)
            self._pmf /= k
            self._total /= k
            w = 1.0
        self._pmf[min(max(int(duration_s), 0), self.max_s)] += w
        self._total += w
        self._dirty += w

    def view(self) -> DurationView:
        # 5 %: a duration distribution moves slowly, and each new view rebuilds the supply tables.
        if self._view is None or self._dirty > 0.05 * self._total:
            self._view = DurationView.from_pmf(self._pmf, self.horizon_s)
            self._dirty = 0.0
        return self._view
