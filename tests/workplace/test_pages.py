"""The pages render, dashboards keep their widgets, and forms show errors beside fields."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from tests.webtools import make_user, post_form, sign_in
from web.svgcharts import bars, line


async def test_console_and_workplace_pages_render(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "boss", preset="supervisor")
    await sign_in(client, "boss")
    page = await client.get("/supervisor/console")
    assert page.status == 200 and "supervisor.events" in await (await client.get("/static/console.js")).text()
    assert (await client.get("/workplace")).status == 403  # supervisors do not take calls by default


async def test_workplace_for_a_user_without_an_operator(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "op", preset="specialist")
    await sign_in(client, "op")
    page = await client.get("/workplace")
    assert page.status == 200 and 'class="flash error"' in await page.text()


async def test_dashboard_widgets_are_added_changed_and_drawn(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "boss", preset="supervisor")
    csrf = await sign_in(client, "boss")
    resp = await post_form(client, "/supervisor/dashboards", csrf, {"name": ""})
    assert resp.status == 422 and 'class="field has-error"' in await resp.text()
    resp = await post_form(client, "/supervisor/dashboards", csrf, {"name": "Смена", "description": "утро"})
    assert resp.status == 302
    url = resp.headers["Location"]
    resp = await post_form(client, url + "/widgets", csrf, {"title": "", "kind": "nonsense", "width": "9"})
    text = await resp.text()
    assert resp.status == 422 and text.count('class="field has-error"') == 3
    for kind in ("call_states", "operator_states", "abandon_rate", "calls_per_hour", "occupancy"):
        resp = await post_form(client, url + "/widgets", csrf, {"title": kind, "kind": kind, "width": "2"})
        assert resp.status == 302, await resp.text()
    async with pool.acquire() as conn:
        wid = await conn.fetchval("SELECT min(id) FROM dashboard_widgets")
    resp = await post_form(client, url + "/widgets", csrf, {"widget_id": wid, "title": "Часы", "kind": "calls_per_hour",
                                                            "position": "5", "width": "3", "height": "2"})
    assert resp.status == 302
    resp = await post_form(client, url, csrf, {"name": "Смена", "on_home": "1"})
    assert resp.status == 302
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT title, kind, position, width, height FROM dashboard_widgets WHERE id = $1",
                                  wid)
        assert dict(row) == {"title": "Часы", "kind": "calls_per_hour", "position": 5, "width": 3, "height": 2}
        assert await conn.fetchval("SELECT on_home FROM dashboards")
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM dashboard_widgets ORDER BY id")]
    for w in ids:
        svg = await client.get(f"{url}/widgets/{w}.svg")
        assert svg.status == 200 and svg.content_type == "image/svg+xml"
        assert (await svg.text()).startswith("<svg")


def test_svg_charts_escape_labels() -> None:
    assert "&lt;b&gt;" in bars("t", [("<b>", 2.0)])
    assert "<polyline" in line("t", [("01", 1.0), ("02", 3.0)])
    assert "no data" in bars("t", [])
