"""The 'leased' state and its reclaim step; results applied in batches."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg

from dialer.dialing import leases, lifecycle, results, selector
from dialer.dialing.engine_adapter import DbResultSink
from tests.dialing.helpers import make_campaign, make_list, make_strategy

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)  # a Tuesday: 12:00 in Moscow
RULES = {"interval_seconds": 60, "working": [{"code": "busy", "attempts_previous": 5, "actions": [{"type": "finish"}]}]}


async def _campaign(conn: asyncpg.Connection, n: int) -> tuple[int, list[int]]:
    sid = await make_strategy(conn, rules=RULES)
    lid, ids = await make_list(conn, "L", [[("phone", f"+791600{i:05d}", "Europe/Moscow")] for i in range(n)])
    cid = await make_campaign(conn, strategy_id=sid, lists=[lid])
    await lifecycle.change_state(conn, cid, "start")
    return cid, ids


async def test_leased_rows_leave_the_index_and_expired_ones_come_back(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, _ids = await _campaign(conn, 4)
        got = await selector.select(conn, cid, 2, NOW, "a")
        rows = await conn.fetch("SELECT state, leased_from FROM campaign_contacts WHERE contact_id = ANY($1)",
                                [t.contact_id for t in got])
        assert {(r["state"], r["leased_from"]) for r in rows} == {("leased", "new")}
        # A result for one puts it where the chain says; the other is reclaimed on expiry.
        await results.process(conn, results.Result(cid, got[0].contact_id, got[0].lease_id, "busy"), NOW)
        assert await leases.reclaim(conn, cid, NOW) == 0
        later = NOW + timedelta(seconds=selector.LEASE_S + 1)
        assert await leases.reclaim(conn, cid, later) == 1
        row = await conn.fetchrow("SELECT state, leased_from, lease_until, lease_id FROM campaign_contacts "
                                  "WHERE contact_id = $1", got[1].contact_id)
        assert (row["state"], row["leased_from"], row["lease_until"]) == ("new", None, None)
        # A late result for a reclaimed contact nobody leased again still applies.
        out = await results.process(conn, results.Result(cid, got[1].contact_id, got[1].lease_id, "busy"), later)
        assert not out.stale and out.state == "retry"
        counts = await lifecycle.counts(conn, cid)
        assert counts["remaining"] == 4 and counts["leased"] == 0


async def test_a_batch_applies_each_result_once(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, _ids = await _campaign(conn, 3)
        got = await selector.select(conn, cid, 3, NOW, "a")
        batch = [(results.Result(cid, t.contact_id, t.lease_id, "busy"), NOW) for t in got]
        batch.append(batch[0])  # the same result twice: the second finds the lease settled
        batch.append((results.Result(cid, got[1].contact_id, "not-the-lease", "busy"), NOW))
        outs = await results.process_many(conn, batch)
        assert [(o.state, o.stale) for o in outs] == [("retry", False)] * 3 + [("retry", True), ("retry", True)]
        assert await conn.fetchval("SELECT count(*) FROM dial_results WHERE stale") == 2
        assert await conn.fetchval("SELECT sum(attempts) FROM campaign_contacts") == 3
        assert await conn.fetchval("SELECT count(*) FROM campaign_contacts WHERE lease_id IS NOT NULL") == 0


async def test_sink_shares_transactions_and_isolates_a_bad_result(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, _ids = await _campaign(conn, 30)
        got = await selector.select(conn, cid, 30, NOW, "a")
    sink = DbResultSink(pool, max_batch=10, max_wait_s=0.05)
    calls: list[int] = []
    real = results.process_many

    async def counting(conn: asyncpg.Connection, batch: list[tuple[results.Result, datetime]],
                       cache: object) -> list[results.Outcome]:
        calls.append(len(batch))
        if any(r.system_code == "bad" for r, _ in batch):
            raise ValueError("bad result")
        return await real(conn, batch, cache)  # type: ignore[arg-type]

    results.process_many = counting  # type: ignore[assignment]
    try:
        coros = [sink.record(results.Result(cid, t.contact_id, t.lease_id, "busy" if i else "bad"), NOW)
                 for i, t in enumerate(got)]
        outs = await asyncio.gather(*coros, return_exceptions=True)
    finally:
        results.process_many = real
    assert isinstance(outs[0], ValueError)
    assert all(isinstance(o, results.Outcome) and o.state == "retry" for o in outs[1:])
    # 30 concurrent results: three shared transactions; the failed one again result by result.
    assert sorted(calls) == [1] * 10 + [10] * 3
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM dial_results") == 29
