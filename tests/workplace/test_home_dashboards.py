"""Dashboards marked "show on the main page" draw their widgets on the home page (R8.3)."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from tests.webtools import make_user, post_form, sign_in


async def test_home_shows_only_dashboards_marked_for_it(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "boss", preset="supervisor")
    csrf = await sign_in(client, "boss")
    urls = []
    for name in ("На главной", "Скрытая"):
        resp = await post_form(
            client,
            "/supervisor/dashboards",
            csrf,
            {"name": name, "on_home": "1" if name == "На главной" else ""},
        )
        assert resp.status == 302
        urls.append(resp.headers["Location"])
        resp = await post_form(
            client,
            urls[-1] + "/widgets",
            csrf,
            {"title": f"Звонки {name}", "kind": "calls_per_hour", "width": "2"},
        )
        assert resp.status == 302
    async with pool.acquire() as conn:
        shown = await conn.fetchval(
            "SELECT w.id FROM dashboard_widgets w JOIN dashboards d ON d.id = w.dashboard_id WHERE d.on_home"
        )
    text = await (await client.get("/")).text()
    assert f'src="{urls[0]}/widgets/{shown}.svg"' in text and "Звонки На главной" in text
    assert "Скрытая" not in text
    svg = await client.get(f"{urls[0]}/widgets/{shown}.svg")
    assert svg.status == 200 and (await svg.text()).startswith("<svg")


async def test_home_without_the_dashboards_page(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "op", preset="specialist")
    await sign_in(client, "op")
    resp = await client.get("/")
    assert resp.status == 200 and "home-dashboard" not in await resp.text()
