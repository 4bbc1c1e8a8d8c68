"""The AMD false-positive rate the pacer budgets for: the share of people AMD hangs up on as machines.

The estimate is the active AMD model's human-as-machine rate on the frozen evaluation set
(``dialer.amd_training.evaluate``), as the latest ``amd_eval_runs`` row of that model and set records it.
A model nobody has evaluated yet (the shipped one, before the first retraining) is evaluated here once per
process and version -- a couple of seconds of CPU in a thread -- so AMD campaigns never run on an unknown
rate. A strategy may set its own rate (``strategies.amd_false_positive_pct``), which wins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import Any

import asyncpg

log = logging.getLogger("dialer.dialing.amd_estimate")

# (model version, evaluation set) -> human-as-machine rate measured by this process.
_measured: dict[tuple[str, str], float | None] = {}


async def model_false_positive_rate(conn: asyncpg.Connection, *, measure: bool = True) -> float | None:
    """The active model's rate on the frozen evaluation set; None when unknown (no stored evaluation and
    ``measure`` False, or no evaluation set installed)."""
    from amd.classifier import default_model
    from dialer import amd_training

    try:
        eval_set = amd_training.eval_set_id()
    except OSError as exc:
        log.warning("AMD evaluation set unavailable (%s): false-positive rate unknown", exc)
        return None
    version: str | None = await conn.fetchval("SELECT version FROM amd_models WHERE active")
    if version is None:
        version = default_model().version  # nothing promoted yet: the shipped model runs
    rate = await conn.fetchval(
        "SELECT human_as_machine_rate FROM amd_eval_runs WHERE model_version = $1 AND eval_set = $2"
        " ORDER BY id DESC LIMIT 1", version, eval_set)
    if rate is not None:
        return float(rate)
    key = (version, eval_set)
    if key in _measured:
        return _measured[key]
    if not measure:
        return None
    try:
        model = await amd_training.active_model(conn)
        result = await asyncio.to_thread(amd_training.evaluate, model)
    except (OSError, ValueError) as exc:
        # Remembered as unknown: a broken evaluation set must not cost seconds of CPU on every refresh.
        log.error("AMD model %s could not be evaluated (%s): false-positive rate unknown", version, exc)
        _measured[key] = None
        return None
    _measured[key] = result.human_as_machine_rate
    log.info("AMD model %s: %.2f %% of people hung up on as machines on evaluation set %s",
             version, 100.0 * result.human_as_machine_rate, eval_set)
    return result.human_as_machine_rate


def strategy_false_positive_rate(amd: bool, override_pct: Any, measured: float | None) -> float:
    """What one campaign's pacer assumes: nothing without AMD, the strategy's own figure when it has one,
    else the model's measured rate (0 when unknown: the pacer then counts no false positives)."""
    if not amd:
        return 0.0
    if override_pct is not None:
        return float(override_pct) / 100.0
    return measured if measured is not None else 0.0


async def campaign_false_positive_rates(conn: asyncpg.Connection, campaign_ids: Iterable[int]) -> dict[int, float]:
    """The rate each campaign's strategy implies, for figures computed outside the engine (the console), so
    they match the engine's. A model without a stored evaluation is measured here too (once per process and
    version): the measurement is not written to ``amd_eval_runs``, whose latest row dates the last
    retraining for the scheduler."""
    rows = await conn.fetch(
        "SELECT c.id, s.amd, s.amd_false_positive_pct FROM campaigns c JOIN strategies s ON s.id = c.strategy_id"
        " WHERE c.id = ANY($1::int[])", list(campaign_ids))
    need_model = any(r["amd"] and r["amd_false_positive_pct"] is None for r in rows)
    measured = await model_false_positive_rate(conn) if need_model else None
    return {r["id"]: strategy_false_positive_rate(r["amd"], r["amd_false_positive_pct"], measured) for r in rows}
