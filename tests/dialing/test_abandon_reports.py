"""The console's and dashboards' abandon figures agree with the engine's accounting on the same rows."""

from __future__ import annotations

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from dialer.workplace.counters import abandon_windows, campaign_counters
from dialer.workplace.dashboards import series
from fs_app.engine.abandons import Attempt, Tally, false_positive_share
from fs_app.engine.store import PgAttemptStore
from fs_app.pacing.abandon import WINDOW_24H_S, WINDOW_30D_S, abandon_counts
from tests.dialing.test_amd_fp_rate import running_campaign

DAY = 86_400.0


async def insert(conn: asyncpg.Connection, cid: int, age_s: float, *, wait_ms: int | None = None,
                 connected: bool = False, verdict: str | None = None, code: str = "answered_human",
                 answered: bool = True) -> None:
    now = datetime.now(UTC)
    answered_at = now - timedelta(seconds=age_s)
    await conn.execute(
        "INSERT INTO call_attempts (campaign_id, contact_id, phone, uuid, connector, caller_id, state, started_at,"
        " answered_at, connected_at, ended_at, amd_verdict, code, wait_to_operator_ms)"
        " VALUES ($1, 1, '+79160000001', $2, 'carrier', '74950000001', 'done', $3, $4, $5, $6, $7, $8, $9)",
        cid, uuid.uuid4(), answered_at - timedelta(seconds=12), answered_at if answered else None,
        answered_at + timedelta(seconds=(wait_ms or 0) / 1000 + 1.5) if connected else None,
        answered_at + timedelta(seconds=60), verdict, code, wait_ms)


async def random_rows(conn: asyncpg.Connection, cid: int, n: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(n):
        age = rng.uniform(0, 40 * DAY)
        if any(abs(age - edge) < 600 for edge in (WINDOW_24H_S, WINDOW_30D_S)):
            continue  # the database's now() and ours differ by the test's run time
        verdict = rng.choice([None, None, "human", "notsure", "machine", "robot", "silence"])
        kind = rng.random()
        if verdict in ("machine", "robot", "silence") and kind < 0.6:  # hung up on the verdict
            code = {"machine": "answering_machine", "robot": "robot", "silence": "silence"}[verdict]
            await insert(conn, cid, age, verdict=verdict, code=code)
        elif kind < 0.75:
            await insert(conn, cid, age, verdict=verdict, code="abandoned_queue")
        elif kind < 0.8:
            await insert(conn, cid, age, code="no_answer", answered=False)
        else:
            wait = rng.choice([0, 150, 1999, 2000, 2001, 2500, 9000])
            await insert(conn, cid, age, verdict=verdict, connected=True, wait_ms=wait)


def expected(attempts: list[Attempt], fp: float, now: float, window_s: float) -> tuple[float, float]:
    """The shared ``abandon_counts`` over the engine's view of the rows, with the estimated share."""
    inside = [a for a in attempts if a.answered_at is not None and a.answered_at >= now - window_s]
    total = Tally()
    for a in inside:
        total += Tally.of(a)
    share = false_positive_share(fp, total.amd_passed, total.amd_hung_up)
    counts = abandon_counts([a.record() for a in inside], since=now - window_s, until=now + 60,
                            amd_false_positive_share=share).get(str(inside[0].campaign_id))
    assert counts is not None
    return counts.live, counts.abandoned


@pytest.mark.parametrize("override_pct", [None, 2.0])
async def test_console_sql_agrees_with_the_engine_on_the_same_rows(pool: asyncpg.Pool,
                                                                   override_pct: float | None) -> None:
    async with pool.acquire() as conn:
        cid = await running_campaign(conn, amd=True, override_pct=override_pct)
        await random_rows(conn, cid, 400, seed=7)
        now = time.time()
        # What a new engine run would seed its windows with (the same loader the driver uses).
        attempts = await PgAttemptStore(pool).answered_attempts(cid, now - WINDOW_30D_S, now + 60)
        day, month = (await abandon_windows(conn, [cid]))[cid]
    fp = 0.02 if override_pct is not None else 0.0  # the shipped model loses nobody on the frozen set
    assert (day.live, day.abandoned) == pytest.approx(expected(attempts, fp, now, WINDOW_24H_S))
    assert (month.live, month.abandoned) == pytest.approx(expected(attempts, fp, now, WINDOW_30D_S))
    assert month.live > day.live > 0 and month.abandoned > day.abandoned > 0


async def test_a_machine_verdict_routed_to_an_operator_is_a_live_answer_on_console_and_dashboard(
        pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid = await running_campaign(conn, amd=True, override_pct=0.0)
        await insert(conn, cid, 60, verdict="machine", code="answering_machine")  # hung up on: no person
        await insert(conn, cid, 50, verdict="machine", connected=True, wait_ms=400)  # the lever routed it
        [row] = await campaign_counters(conn, None)
        assert row["abandon_24h"] == 0.0 and row["abandon_30d"] == 0.0  # one live answer, on time
        await insert(conn, cid, 40, verdict="machine", code="abandoned_queue")  # routed, nobody was free
        await insert(conn, cid, 30, verdict="machine", connected=True, wait_ms=2600)  # routed, too late
        [row] = await campaign_counters(conn, None)
        assert row["abandon_24h"] == 66.67  # rounded to hundredths of a percent
        points = dict(await series(conn, "abandon_rate", cid))
        hours = {r["h"] for r in await conn.fetch(
            "SELECT DISTINCT to_char(date_trunc('hour', answered_at), 'HH24') AS h FROM call_attempts")}
        assert len(points) == 24
        if len(hours) == 1:  # (the minute straddled a full hour otherwise: the next test covers the hours)
            assert points[hours.pop()] == pytest.approx(200 / 3)


async def test_dashboard_hours_agree_with_the_engine(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid = await running_campaign(conn, amd=True, override_pct=3.0)
        await random_rows(conn, cid, 300, seed=11)
        labels = {str(r["uuid"]): r["label"] for r in await conn.fetch(
            "SELECT uuid, to_char(date_trunc('hour', answered_at), 'HH24') AS label FROM call_attempts"
            " WHERE answered_at >= date_trunc('hour', now()) - interval '23 hours'")}
        rows = await conn.fetch("SELECT uuid, extract(epoch FROM answered_at)::float8 AS answered,"
                                " extract(epoch FROM connected_at)::float8 AS connected, wait_to_operator_ms,"
                                " amd_verdict, code FROM call_attempts")
        points = dict(await series(conn, "abandon_rate", cid))
    by_hour: dict[str, Tally] = {}
    for r in rows:
        label = labels.get(str(r["uuid"]))
        if label is not None:
            a = Attempt(cid, r["answered"], r["connected"], r["wait_to_operator_ms"], r["amd_verdict"], r["code"])
            by_hour[label] = by_hour.get(label, Tally()) + Tally.of(a)
    assert by_hour
    for label, tally in by_hour.items():
        counts = tally.counts(0.03)
        want = 100.0 * counts.abandoned / counts.live if counts.live > 0 else 0.0
        assert points[label] == pytest.approx(want), label
