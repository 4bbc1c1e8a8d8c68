"""The restriction web request (R4.6) against a local stand-in server: verdicts, timeout, cache."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from aiohttp import web

from dialer.campaigns.restrictions import ResultCache
from dialer.dialing import lifecycle, selector
from dialer.dialing.restriction import make_check
from tests.dialing.helpers import make_campaign, make_list, make_strategy

NOW = datetime(2025, 3, 4, 9, 0, tzinfo=UTC)  # a Tuesday: 12:00 in Moscow
PHONES = ["+79160000001", "+79160000002", "+79160000003"]  # allowed, refused, too slow


async def _checker(aiohttp_server: Any, seen: list[str]) -> str:
    async def check(request: web.Request) -> web.Response:
        phone = request.query["phone"]
        seen.append(phone)
        if phone.endswith("3"):
            await asyncio.sleep(2)  # longer than the check's timeout
        return web.Response(text="ok\n" if phone.endswith("1") else "no")

    app = web.Application()
    app.router.add_get("/check", check)
    server = await aiohttp_server(app)
    return f"http://127.0.0.1:{server.port}/check?phone=" + "{phone}"


async def test_restriction_request_timeout_and_cache(pool: asyncpg.Pool, aiohttp_server: Any) -> None:
    seen: list[str] = []
    url = await _checker(aiohttp_server, seen)
    async with pool.acquire() as conn:
        rid = await conn.fetchval(
            "INSERT INTO restrictions (name, url_template, expected_result) VALUES ('R', $1, 'ok') RETURNING id", url
        )
        sid = await make_strategy(conn)
        lid, ids = await make_list(conn, "L", [[("phone", p, "Europe/Moscow")] for p in PHONES])
        cid = await make_campaign(conn, strategy_id=sid, lists=[lid], restriction_id=rid)
        await lifecycle.change_state(conn, cid, "start")
        clock = [0.0]
        check = make_check(timeout_s=0.3, cache=ResultCache(ttl=60, clock=lambda: clock[0]))

        started = time.monotonic()
        got = await selector.select(conn, cid, 10, NOW, "a", restriction_check=check)
        assert time.monotonic() - started < 1.5, "a slow checker stalled the selection"
        assert [t.contact_id for t in got] == [ids[0]]
        assert sorted(seen) == PHONES  # one request per contact, the phone in the URL
        # Refused contacts (a "no", a timeout) are given back to be checked again later.
        rows = await conn.fetch(
            "SELECT state, lease_id, next_attempt_at FROM campaign_contacts WHERE contact_id = ANY($1)", ids[1:]
        )
        assert {(r["state"], r["lease_id"]) for r in rows} == {("retry", None)}
        assert {r["next_attempt_at"] for r in rows} == {NOW + selector.RESTRICTION_RECHECK}
        assert await selector.select(conn, cid, 10, NOW, "a", restriction_check=check) == []

        # An hour on, all three are due again (the allowed one's lease has expired too);
        # within the cache's lifetime the cached verdicts answer, without a request.
        later = NOW + selector.RESTRICTION_RECHECK + timedelta(seconds=1)
        clock[0] = 30
        got = await selector.select(conn, cid, 10, later, "a", restriction_check=check)
        assert [t.contact_id for t in got] == [ids[0]]
        assert len(seen) == 3
        # After the cache's lifetime: asked again.
        clock[0] = 61
        later += selector.RESTRICTION_RECHECK + timedelta(seconds=1)
        got = await selector.select(conn, cid, 10, later, "a", restriction_check=check)
        assert [t.contact_id for t in got] == [ids[0]]
        assert sorted(seen[3:]) == PHONES
