"""check_restriction against a local stand-in HTTP server that records what it was asked."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from dialer.campaigns.restrictions import Restriction, ResultCache, check_restriction


class StandIn:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.answer = "ok"
        self.status = 200
        self.delay = 0.0

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path_qs))
        if self.delay:
            await asyncio.sleep(self.delay)
        return web.Response(text=self.answer + "\n", status=self.status)


@pytest.fixture
async def stand_in(aiohttp_server: Any) -> tuple[StandIn, str]:
    srv = StandIn()
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", srv.handle)
    server = await aiohttp_server(app)
    return srv, f"http://127.0.0.1:{server.port}"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_expected_answer_allows_dialing_and_is_cached(stand_in: tuple[StandIn, str]) -> None:
    srv, base = stand_in
    clock = Clock()
    cache = ResultCache(ttl=60, clock=clock)
    r = Restriction(1, base + "/check?phone={phone}&name={name}", "ok")
    contact = {"phone": "+79160000001", "name": "Иван Петров"}
    assert await check_restriction(r, contact, cache=cache) is True
    assert srv.requests == [
        (
            "GET",
            "/check?phone=%2B79160000001&name=%D0%98%D0%B2%D0%B0%D0%BD%20%D0%9F%D0%B5%D1%82%D1%80%D0%BE%D0%B2",
        )
    ]
    srv.answer = "blocked"
    assert await check_restriction(r, contact, cache=cache) is True  # still cached
    assert len(srv.requests) == 1
    clock.now += 61
    assert await check_restriction(r, contact, cache=cache) is False
    assert len(srv.requests) == 2
    assert (
        await check_restriction(r, {"phone": "1", "name": "x"}, cache=cache) is False
    )  # another contact asks again
    assert len(srv.requests) == 3


async def test_errors_and_timeouts_skip_the_contact(stand_in: tuple[StandIn, str]) -> None:
    srv, base = stand_in
    r = Restriction(2, base + "/c/{id}", "ok", method="POST")
    srv.status = 500
    assert await check_restriction(r, {"id": 5}, cache=ResultCache()) is False
    assert srv.requests[-1] == ("POST", "/c/5")
    srv.status, srv.delay = 200, 1.0
    assert await check_restriction(r, {"id": 6}, cache=ResultCache(), timeout_s=0.2) is False
    dead = Restriction(3, "http://127.0.0.1:9/x", "ok")
    assert await check_restriction(dead, {}, cache=ResultCache()) is False
