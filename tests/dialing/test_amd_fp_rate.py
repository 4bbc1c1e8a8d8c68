"""The AMD false-positive rate from the active model's evaluation to the engine's CampaignConfig."""

from __future__ import annotations

import json
from datetime import time

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from amd.classifier import EvalResult, default_model
from dialer import amd_training
from dialer.dialing import amd_estimate, lifecycle
from dialer.dialing.engine_config import load_running
from tests.dialing.helpers import make_campaign, make_list
from tests.webtools import make_user, post_form, sign_in


async def running_campaign(conn: asyncpg.Connection, *, amd: bool, override_pct: float | None = None,
                           name: str = "C") -> int:
    list_id, _ = await make_list(conn, f"L{name}", [[("phone", "+79160000001", "Europe/Moscow")]])
    if not await conn.fetchval("SELECT count(*) FROM connectors"):
        await conn.execute("INSERT INTO connectors (name, address, capacity) VALUES ('carrier', '127.0.0.1', 10)")
    group = await conn.fetchval("INSERT INTO caller_id_groups (name) VALUES ($1) RETURNING id", f"G{name}")
    number = await conn.fetchval("INSERT INTO caller_ids (number) VALUES ($1) RETURNING id",
                                 f"+7495{ord(name[0]):07d}")
    await conn.execute("INSERT INTO caller_id_group_members VALUES ($1, $2)", group, number)
    strategy = await conn.fetchval(
        "INSERT INTO strategies (name, dial_mode, window_start, window_end, caller_id_group_id, amd,"
        " amd_false_positive_pct) VALUES ($1, 'predictive', $2, $2, $3, $4, $5) RETURNING id",
        f"S{name}", time(0, 0), group, amd, override_pct)
    cid = await make_campaign(conn, name, strategy_id=strategy, lists=[list_id])
    await lifecycle.change_state(conn, cid, "start")
    return cid


async def store_model(conn: asyncpg.Connection, version: str, rates: dict[str, float]) -> None:
    """An active model row and its evaluation runs (eval set -> human-as-machine rate), in that order."""
    model = default_model().to_json() | {"version": version}
    await conn.execute("UPDATE amd_models SET active = false WHERE active")
    await conn.execute("INSERT INTO amd_models (version, model, active) VALUES ($1, $2, true)", version,
                       json.dumps(model))
    for eval_set, rate in rates.items():
        await conn.execute("INSERT INTO amd_eval_runs (model_version, eval_set, accuracy, human_as_machine_rate)"
                           " VALUES ($1, $2, 0.9, $3)", version, eval_set, rate)


@pytest.fixture(autouse=True)
def _forget_measurements() -> None:
    amd_estimate._measured.clear()


async def test_the_active_models_rate_on_the_frozen_set_reaches_amd_campaigns_only(pool: asyncpg.Pool) -> None:
    frozen = amd_training.eval_set_id()
    async with pool.acquire() as conn:
        with_amd = await running_campaign(conn, amd=True, name="A")
        without = await running_campaign(conn, amd=False, name="B")
        own = await running_campaign(conn, amd=True, override_pct=1.5, name="C")
        # The latest run on the frozen set counts; a run on another set does not.
        await store_model(conn, "m-1", {frozen: 0.04, "sim-other": 0.5})
        await conn.execute("INSERT INTO amd_eval_runs (model_version, eval_set, accuracy, human_as_machine_rate)"
                           " VALUES ('m-1', $1, 0.9, 0.021)", frozen)
        loaded = await load_running(conn)
        assert loaded.configs[with_amd].amd_false_positive_rate == pytest.approx(0.021)
        assert loaded.configs[without].amd_false_positive_rate == 0.0
        assert loaded.configs[own].amd_false_positive_rate == pytest.approx(0.015)  # the strategy's own figure
        # A retrained model is promoted: the next load follows it.
        await store_model(conn, "m-2", {frozen: 0.012})
        loaded = await load_running(conn)
        assert loaded.configs[with_amd].amd_false_positive_rate == pytest.approx(0.012)
        assert loaded.configs[own].amd_false_positive_rate == pytest.approx(0.015)


async def test_a_model_never_evaluated_is_measured_once(pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []

    def fake_evaluate(model: object) -> EvalResult:
        calls.append(getattr(model, "version", ""))
        return EvalResult(amd_training.eval_set_id(), human_as_machine_rate=0.07, accuracy=0.9)

    monkeypatch.setattr(amd_training, "evaluate", fake_evaluate)
    async with pool.acquire() as conn:
        cid = await running_campaign(conn, amd=True)
        for _ in range(3):
            loaded = await load_running(conn)
            assert loaded.configs[cid].amd_false_positive_rate == pytest.approx(0.07)
    assert calls == [default_model().version]  # the shipped model (none promoted), evaluated once


async def test_no_amd_campaign_no_evaluation(pool: asyncpg.Pool, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(model: object) -> EvalResult:
        raise AssertionError("evaluated without an AMD campaign")

    monkeypatch.setattr(amd_training, "evaluate", boom)
    async with pool.acquire() as conn:
        cid = await running_campaign(conn, amd=False)
        assert (await load_running(conn)).configs[cid].amd_false_positive_rate == 0.0


async def test_the_shipped_model_really_is_measured_on_the_frozen_set(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rate = await amd_estimate.model_false_positive_rate(conn)
    assert rate == amd_training.evaluate(default_model()).human_as_machine_rate


async def test_strategy_override_is_validated_in_the_api_and_the_form(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "admin", language="ru")
    csrf = await sign_in(client, "admin")
    base = {"name": "AMD", "window_start": "9:00", "window_end": "20:30", "amd": True}
    resp = await client.post("/api/v1/strategies", headers={"X-CSRF-Token": csrf},
                             json=base | {"amd_false_positive_pct": 75})
    assert resp.status == 422 and "amd_false_positive_pct" in (await resp.json())["fields"]
    resp = await client.post("/api/v1/strategies", headers={"X-CSRF-Token": csrf},
                             json=base | {"amd": False, "amd_false_positive_pct": 2})
    assert resp.status == 422
    assert (await resp.json())["fields"] == {"amd_false_positive_pct": "only with answering-machine detection"}
    resp = await client.post("/api/v1/strategies", headers={"X-CSRF-Token": csrf},
                             json=base | {"amd_false_positive_pct": 2.5})
    assert resp.status == 201, await resp.text()
    async with pool.acquire() as conn:
        stored = await conn.fetchval("SELECT amd_false_positive_pct FROM strategies WHERE name = 'AMD'")
    assert float(stored) == 2.5
    form = {"name": "Форма", "dial_mode": "progressive", "calls_per_operator": "1", "sip_id_type": "contact",
            "window_start": "09:00", "window_end": "21:00", "ring_timeout": "30", "amd_false_positive_pct": "3"}
    resp = await post_form(client, "/campaigns/strategies/new", csrf, form)
    assert resp.status == 422
    text = await resp.text()
    assert "только при включённом определении автоответчика" in text
    assert "Люди, принятые за автоответчик, %" in text
    resp = await post_form(client, "/campaigns/strategies/new", csrf, form | {"amd": "on"})
    assert resp.status == 302, await resp.text()
