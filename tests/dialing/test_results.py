"""Result processing: rule chains move contacts to retry, other fields, lists, the outbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from dialer.dialing import lifecycle, results, selector
from tests.dialing.helpers import make_campaign, make_list, make_strategy

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)  # Tuesday
SATURDAY = datetime(2025, 3, 8, 9, 0, tzinfo=UTC)

RULES = {
    "interval_seconds": 600,
    "working": [
        {"code": "busy", "attempts_previous": 2, "interval_seconds": 60,
         "actions": [{"type": "retry", "field": "phone2"}, {"type": "finish"}]},
        {"code": "no_answer", "actions": [{"type": "web_request", "url": "https://crm.example/x?p={phone}"},
                                          {"type": "sms", "template_id": 1, "field": "phone"},
                                          {"type": "finish"}]},
    ],
    "holiday": [{"code": "busy", "actions": [{"type": "finish"}]}],
}


async def _one(conn: asyncpg.Connection, max_attempts: int | None = None) -> tuple[int, selector.Target]:
    sid = await make_strategy(conn, rules=RULES, max_attempts=max_attempts)
    lid, _ = await make_list(conn, "L", [[("phone", "+79160000001", "Europe/Moscow"),
                                          ("phone2", "+79260000001", "Europe/Moscow")]])
    cid = await make_campaign(conn, strategy_id=sid, lists=[lid])
    await lifecycle.change_state(conn, cid, "start")
    [t] = await selector.select(conn, cid, 1, NOW, "a")
    return cid, t


def _res(cid: int, t: selector.Target, code: str) -> results.Result:
    return results.Result(cid, t.contact_id, t.lease_id, code, phone=t.e164, phone_field=t.phone_field,
                          started_at=NOW, ended_at=NOW + timedelta(seconds=20))


async def test_busy_repeats_then_moves_to_another_field(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, t = await _one(conn)
        out = await results.process(conn, _res(cid, t, "busy"), NOW)
        assert out.state == "retry" and isinstance(out.actions[-1], results.Retry)
        assert await selector.select(conn, cid, 1, NOW + timedelta(seconds=30), "a") == []
        [t2] = await selector.select(conn, cid, 1, NOW + timedelta(seconds=61), "a")
        assert t2.kind == "retry" and t2.phone_field == "phone"
        out = await results.process(conn, _res(cid, t2, "busy"), NOW + timedelta(seconds=61))
        assert out.state == "retry"
        [t3] = await selector.select(conn, cid, 1, NOW + timedelta(seconds=700), "a")
        assert t3.phone_field == "phone2" and t3.e164 == "+79260000001"
        out = await results.process(conn, _res(cid, t3, "busy"), NOW + timedelta(seconds=700))
        assert out.state == "done"
        n = await conn.fetchval("SELECT count(*) FROM dial_results WHERE campaign_id = $1 AND NOT stale", cid)
        assert n == 3


async def test_holiday_chain_and_outbox(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, t = await _one(conn)
        out = await results.process(conn, _res(cid, t, "busy"), SATURDAY)
        assert out.state == "done"
        assert await conn.fetchval("SELECT day_type FROM dial_results") == "holiday"


async def test_messages_go_to_the_outbox(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, t = await _one(conn)
        out = await results.process(conn, _res(cid, t, "no_answer"), NOW)
        assert out.state == "done"
        rows = await conn.fetch("SELECT kind, recipient, url FROM outbox ORDER BY id")
        assert [(r["kind"], r["recipient"]) for r in rows] == [("web", ""), ("sms", "+79160000001")]
        assert rows[0]["url"] == "https://crm.example/x?p=%2B79160000001"


async def test_stale_lease_changes_nothing(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, t = await _one(conn)
        later = NOW + timedelta(seconds=selector.LEASE_S + 1)
        [t2] = await selector.select(conn, cid, 1, later, "b")
        out = await results.process(conn, _res(cid, t, "busy"), later)
        assert out.stale
        assert await conn.fetchval("SELECT lease_id FROM campaign_contacts") == t2.lease_id


async def test_max_attempts_finishes(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, t = await _one(conn, max_attempts=1)
        out = await results.process(conn, _res(cid, t, "busy"), NOW)
        assert out.state == "done"
        assert await conn.fetchval("SELECT finish_reason FROM campaign_contacts") == "max attempts"


async def test_engine_adapter_round_trip(pool: asyncpg.Pool) -> None:
    from dialer.dialing.engine_adapter import DbContactSource, DbResultSink
    from fs_app.engine.ports import AttemptResult, ContactSource, ResultSink

    async with pool.acquire() as conn:
        sid = await make_strategy(conn, rules=RULES)
        lid, _ = await make_list(conn, "L", [[("phone", "+79160000001", "Europe/Moscow")]])
        cid = await make_campaign(conn, strategy_id=sid, lists=[lid], prefix="9")
        await lifecycle.change_state(conn, cid, "start")
    source: ContactSource = DbContactSource(pool, owner="test")
    sink: ResultSink = DbResultSink(pool)
    [t] = await source.next_targets(cid, 5, NOW.timestamp())
    assert t.number_e164 == "+79160000001" and t.attrs["dial_prefix"] == "9"
    await sink.record_result(AttemptResult("u1", cid, t.contact_id, t.lease_id, t.number_e164, t.phone_field,
                                           "busy", started_at=NOW.timestamp(), ended_at=NOW.timestamp() + 5))
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT state, attempts, lease_id FROM campaign_contacts")
    assert (row["state"], row["attempts"], row["lease_id"]) == ("retry", 1, None)
