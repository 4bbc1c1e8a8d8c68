"""The selector over a real database: order, leases, DNC, windows, attempts, callbacks."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import asyncpg

from dialer.dialing import lifecycle, selector
from tests.dialing.helpers import make_campaign, make_dnc, make_list, make_strategy

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)  # a Tuesday: 12:00 in Moscow


async def _setup(conn: asyncpg.Connection, **strategy: object) -> tuple[int, list[int], list[int]]:
    sid = await make_strategy(conn, **strategy)  # type: ignore[arg-type]
    l1, c1 = await make_list(conn, "L1", [[("phone", f"+7916000000{i}", "Europe/Moscow")] for i in range(5)])
    l2, c2 = await make_list(conn, "L2", [[("phone", f"+7926000000{i}", "Asia/Tokyo")] for i in range(3)])
    dnc = await make_dnc(conn, "D", ["+79160000002"])
    cid = await make_campaign(
        conn, strategy_id=sid, lists=[l2, l1], list_order="ordered", dnc_lists=[dnc], campaign_tz="Europe/Moscow"
    )
    await lifecycle.change_state(conn, cid, "start")
    return cid, c1, c2


async def test_fresh_in_list_order_without_dnc_and_leased_once(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, c1, c2 = await _setup(conn)
        got = await selector.select(conn, cid, 10, NOW, "a")
        assert [t.contact_id for t in got] == c2 + [c for c in c1 if c != c1[2]]
        assert all(t.kind == "fresh" and t.lease_id for t in got)
        assert await selector.select(conn, cid, 10, NOW, "b") == []
        # the DNC contact was finished so it is never scanned again
        assert await conn.fetchval(
            "SELECT finish_reason FROM campaign_contacts WHERE contact_id = $1", c1[2]
        ) == "dnc"
        # an expired lease comes back
        later = await selector.select(conn, cid, 10, NOW + timedelta(seconds=selector.LEASE_S + 1), "b")
        assert len(later) == 7


async def test_window_in_customer_zone(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, c1, _c2 = await _setup(conn, start=time(9), end=time(17))
        # 09:00 UTC: 12:00 Moscow (open), 18:00 Tokyo (closed)
        got = await selector.select(conn, cid, 10, NOW, "a")
        assert {t.contact_id for t in got} == {c for c in c1 if c != c1[2]}


async def test_window_crossing_midnight(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, c1, _c2 = await _setup(conn, start=time(20), end=time(10))
        # 12:00 Moscow closed, 18:00 Tokyo closed
        assert await selector.select(conn, cid, 10, NOW, "a") == []
        # 06:00 UTC: 09:00 Moscow open, 15:00 Tokyo closed
        got = await selector.select(conn, cid, 10, NOW - timedelta(hours=3), "a")
        assert {t.contact_id for t in got} == {c for c in c1 if c != c1[2]}


async def test_concurrent_callers_never_share(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, _c1, _c2 = await _setup(conn)

    async def one(owner: str) -> list[int]:
        async with pool.acquire() as conn:
            return [t.contact_id for t in await selector.select(conn, cid, 2, NOW, owner)]

    results = await asyncio.gather(*(one(f"o{i}") for i in range(5)))
    flat = [c for r in results for c in r]
    assert len(flat) == len(set(flat)) == 7


async def test_not_started_or_paused_dials_nothing(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        cid, _, _ = await _setup(conn)
        await lifecycle.change_state(conn, cid, "pause")
        assert await selector.select(conn, cid, 10, NOW, "a") == []
        await lifecycle.change_state(conn, cid, "resume")
        assert len(await selector.select(conn, cid, 10, NOW, "a")) == 7
