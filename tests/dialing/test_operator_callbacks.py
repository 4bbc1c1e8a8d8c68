"""Operator-only callbacks: dialed only while their operator is free; anyone's callbacks always."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg

from dialer.dialing import lifecycle, results, selector
from dialer.dialing.engine_adapter import DbContactSource
from tests.dialing.helpers import make_campaign, make_list, make_strategy
from tests.webtools import make_user

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)  # a Tuesday: 12:00 in Moscow


async def _operator(pool: asyncpg.Pool, name: str) -> int:
    user_id = await make_user(pool, name)
    async with pool.acquire() as conn:
        op: int = await conn.fetchval(
            "INSERT INTO operators (name, user_id) VALUES ($1, $2) RETURNING id", name, user_id
        )
    return op


async def _setup(pool: asyncpg.Pool) -> tuple[int, list[int], int, int, int, int]:
    """A campaign whose two contacts were already called (done), with one callback each:
    contact 0 for operator 1 only, contact 1 for any operator."""
    op1, op2 = await _operator(pool, "op1"), await _operator(pool, "op2")
    async with pool.acquire() as conn:
        sid = await make_strategy(conn)
        lid, ids = await make_list(conn, "L", [[("phone", f"+7916000000{i}", "Europe/Moscow")] for i in range(2)])
        cid = await make_campaign(conn, strategy_id=sid, lists=[lid])
        await lifecycle.change_state(conn, cid, "start")
        await conn.execute("UPDATE campaign_contacts SET state = 'done', attempts = 1")
        own, anyone = [await conn.fetchval(
            "INSERT INTO callbacks (campaign_id, contact_id, phone_field, due_at, operator_id) "
            "VALUES ($1, $2, 'phone', $3, $4) RETURNING id", cid, contact, NOW - timedelta(minutes=5), op,
        ) for contact, op in ((ids[0], op1), (ids[1], None))]
    return cid, ids, op1, op2, own, anyone


async def test_own_callback_waits_for_its_operator(pool: asyncpg.Pool) -> None:
    cid, ids, op1, op2, own, anyone = await _setup(pool)
    async with pool.acquire() as conn:
        # Another operator is free: only the callback for anyone is dialed.
        got = await selector.select(conn, cid, 10, NOW, "a", free_operators=[op2])
        assert [(t.contact_id, t.kind, t.callback_id) for t in got] == [(ids[1], "callback", anyone)]
        # Nobody free (or only busy ones): the operator's own callback keeps waiting.
        assert await selector.select(conn, cid, 10, NOW, "a", free_operators=[]) == []
        assert await selector.select(conn, cid, 10, NOW + timedelta(minutes=1), "a", free_operators=[op2]) == []
        # Its operator is free: now it is dialed, once.
        [t] = await selector.select(conn, cid, 10, NOW, "a", free_operators=[op1])
        assert (t.contact_id, t.kind, t.callback_id) == (ids[0], "callback", own)
        assert await selector.select(conn, cid, 10, NOW, "b", free_operators=[op1]) == []
        # The result closes the operator's callback. The other callback got no result: once
        # its lease expires it comes back (a crashed caller loses nothing); the closed one not.
        out = await results.process(conn, results.Result(cid, t.contact_id, t.lease_id, "busy"), NOW)
        assert not out.stale
        assert await conn.fetchval("SELECT state FROM callbacks WHERE id = $1", own) == "done"
        later = NOW + timedelta(seconds=selector.LEASE_S + 1)
        got = await selector.select(conn, cid, 10, later, "c", free_operators=[op1])
        assert [(t.contact_id, t.callback_id) for t in got] == [(ids[1], anyone)]


async def test_engine_source_passes_free_operators(pool: asyncpg.Pool) -> None:
    cid, ids, op1, _op2, own, anyone = await _setup(pool)
    free: dict[int, set[int]] = {cid: set()}
    source = DbContactSource(pool, free_operators=lambda c: free[c], owner="engine")
    [t] = await source.next_targets(cid, 10, NOW.timestamp())
    assert (t.contact_id, t.attrs["callback_id"]) == (ids[1], str(anyone))
    assert await source.next_targets(cid, 10, NOW.timestamp()) == []
    free[cid].add(op1)
    [t] = await source.next_targets(cid, 10, NOW.timestamp())
    assert (t.contact_id, t.attrs["callback_id"]) == (ids[0], str(own))
