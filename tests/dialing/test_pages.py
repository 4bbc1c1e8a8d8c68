"""Campaign and callback pages and API: forms, lifecycle messages, refusals that name the user."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import asyncpg
from aiohttp.test_utils import TestClient

from dialer.contacts.lists import delete_list
from dialer.errors import Conflict
from tests.dialing.helpers import make_list, make_strategy
from tests.webtools import make_user, post_form, sign_in


async def _admin(client: TestClient, pool: asyncpg.Pool) -> str:
    await make_user(pool, "admin")
    return await sign_in(client, "admin")


async def test_form_lifecycle_and_status(client: TestClient, pool: asyncpg.Pool) -> None:
    csrf = await _admin(client, pool)
    async with pool.acquire() as conn:
        lid, _ = await make_list(conn, "Spring", [[("phone", "+79160000001", "Europe/Moscow")]])
        sid = await make_strategy(conn, "Night", time(21), time(9))
    resp = await post_form(client, "/campaigns/campaigns/new", csrf, {"name": "", "weight": "500"})
    assert resp.status == 422
    text = await resp.text()
    assert "required" in text and "must be between 1 and 100" in text
    resp = await post_form(client, "/campaigns/campaigns/new", csrf, {"name": "Sale", "lists[]": [str(lid)],
                                                                      "finite": "on", "percent_1": "50"})
    assert resp.status == 302
    cid = int(resp.headers["Location"].split("/")[3])
    # no strategy: the start is refused and the page says why
    resp = await post_form(client, f"/campaigns/campaigns/{cid}/state", csrf, {"action": "start"})
    page = await (await client.get(resp.headers["Location"])).text()
    assert "перед запуском выберите стратегию" in page  # the page is in Russian by default
    resp = await post_form(client, f"/campaigns/campaigns/{cid}", csrf,
                           {"name": "Sale", "lists[]": [str(lid)], "strategy_id": str(sid), "finite": "on"})
    assert resp.status == 302
    await post_form(client, f"/campaigns/campaigns/{cid}/state", csrf, {"action": "start"})
    page = await (await client.get(f"/campaigns/campaigns/{cid}/status")).text()
    assert "переходит через полночь" in page and "идёт" in page
    # the list is used by the campaign: its deletion names the campaign
    async with pool.acquire() as conn:
        try:
            await delete_list(conn, lid)
            raise AssertionError("deleted a list in use")
        except Conflict as exc:
            assert "Sale" in str(exc)
    listing = await (await client.get("/campaigns/campaigns")).text()
    assert "Sale" in listing


async def test_min_operators_waits_and_says_why(client: TestClient, pool: asyncpg.Pool) -> None:
    await _admin(client, pool)
    async with pool.acquire() as conn:
        lid, _ = await make_list(conn, "L", [[("phone", "+79160000001", None)]])
        sid = await make_strategy(conn, min_operators=2)
    resp = await client.post("/api/v1/campaigns", json={"name": "W", "strategy_id": sid, "lists": [lid]},
                             headers={"X-CSRF-Token": await _token(client)})
    assert resp.status == 201, await resp.text()
    cid = (await resp.json())["id"]
    resp = await client.post(f"/api/v1/campaigns/{cid}/state", json={"action": "start"},
                             headers={"X-CSRF-Token": await _token(client)})
    assert (await resp.json())["state"] == "running"
    status = await (await client.get(f"/api/v1/campaigns/{cid}/status")).json()
    assert status["waiting_for"] == "waiting for operators: 0 of 2 needed"
    assert status["contacts"] == 1 and status["remaining"] == 1


async def _token(client: TestClient) -> str:
    from tests.webtools import csrf_of

    return await csrf_of(client, "/profile")


async def test_callbacks_form_period_and_import(client: TestClient, pool: asyncpg.Pool) -> None:
    csrf = await _admin(client, pool)
    async with pool.acquire() as conn:
        lid, ids = await make_list(conn, "L", [[("phone", f"+7916000000{i}", None)] for i in range(3)])
    resp = await post_form(client, "/campaigns/campaigns/new", csrf,
                           {"name": "CB", "lists[]": [str(lid)], "callback_hours": "24"})
    cid = int(resp.headers["Location"].split("/")[3])
    far = (datetime.now(UTC) + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    resp = await post_form(client, "/campaigns/callbacks/new", csrf,
                           {"campaign_id": str(cid), "contact_id": str(ids[0]), "due_at": far})
    assert resp.status == 422 and "outside the callback period" in await resp.text()
    soon = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    resp = await post_form(client, "/campaigns/callbacks/new", csrf,
                           {"campaign_id": str(cid), "contact_id": str(ids[0]), "due_at": soon})
    assert resp.status == 302
    csv_text = f"contact_id,due_at\n{ids[1]},{soon}\n999999,{soon}\n"
    resp = await client.post(f"/api/v1/campaigns/{cid}/callbacks/import", json={"csv": csv_text},
                             headers={"X-CSRF-Token": await _token(client)})
    assert resp.status == 422
    assert "row 3, contact_id" in await resp.text()
    resp = await client.post(f"/api/v1/campaigns/{cid}/callbacks/import",
                             json={"csv": f"contact_id;due_at\n{ids[1]};{soon}\n{ids[2]};{soon}\n"},
                             headers={"X-CSRF-Token": await _token(client)})
    assert (await resp.json())["imported"] == 2
    listing = await (await client.get(f"/campaigns/callbacks?campaign={cid}")).text()
    assert listing.count("/campaigns/callbacks/") >= 3  # a cancel button per planned callback
