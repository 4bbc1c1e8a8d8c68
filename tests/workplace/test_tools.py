"""The workplace's tools around a call: masked card, SMS, callback, DNC, history, integrations
and the customer's data from a local stand-in web service."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from dialer.kv import LiveStore
from tests.webtools import csrf_of, sign_in
from tests.workplace.test_console import make_operator, post_json
from web.views import workplace_tools

PHONE = "+79161234567"
DIGITS = "9161234567"
MASKED = "+791******67"


@dataclass
class Call:
    op_id: int
    campaign_id: int
    contact_id: int
    call_id: str
    csrf: str


async def _seed(
    client: TestClient, pool: asyncpg.Pool, live: LiveStore, masked: bool = True, integration_url: str = ""
) -> Call:
    """An operator in a call (as the engine reports it) with a contact whose phone the role masks."""
    op_id = await make_operator(pool, "anna", "Anna", ("1001",))
    call_id = str(uuid.uuid4())
    async with pool.acquire() as conn:
        if masked:
            await conn.execute(
                "UPDATE roles SET field_rules = $1 WHERE preset = 'specialist'",
                {"phone": {"visible": True, "masked": True}},
            )
        integration = None
        if integration_url:
            integration = await conn.fetchval(
                "INSERT INTO integrations (name, url_template, open_by_default) VALUES ('CRM', $1, true) RETURNING id",
                integration_url,
            )
        campaign = await conn.fetchval(
            "INSERT INTO campaigns (name, integration_id) VALUES ('Кампания', $1) RETURNING id", integration
        )
        lst = await conn.fetchval("INSERT INTO contact_lists (name) VALUES ('Список') RETURNING id")
        await conn.execute(
            "INSERT INTO campaign_lists (campaign_id, list_id, position) VALUES ($1, $2, 0)", campaign, lst
        )
        contact = await conn.fetchval(
            "INSERT INTO contacts (list_id, attrs) VALUES ($1, $2) RETURNING id",
            lst,
            {"name": "Иван", "phone": PHONE},
        )
        await conn.execute(
            "INSERT INTO contact_phones (contact_id, list_id, field, e164) VALUES ($1, $2, 'phone', $3)",
            contact,
            lst,
            PHONE,
        )
        await conn.execute(
            "INSERT INTO call_attempts (campaign_id, contact_id, phone, phone_field, uuid, connector, caller_id, "
            "state, started_at, connected_at, operator_id) VALUES ($1, $2, $3, 'phone', $4, 'c1', '100', "
            "'connected', now(), now(), $5)",
            campaign,
            contact,
            PHONE,
            call_id,
            str(op_id),
        )
        await conn.execute(
            "INSERT INTO workplace_sessions (operator_id, user_id, mode, number) "
            "SELECT $1, user_id, 'simulated', '1001' FROM operators WHERE id = $1",
            op_id,
        )
    await live.set(
        "engine",
        "operator",
        op_id,
        value=json.dumps({"operator_id": str(op_id), "state": "talking", "call_id": call_id, "since": 0}),
    )
    await sign_in(client, "anna")
    return Call(op_id, campaign, contact, call_id, await csrf_of(client, "/workplace"))


async def test_a_masked_field_never_reaches_the_operator(
    client: TestClient, pool: asyncpg.Pool, live: LiveStore
) -> None:
    c = await _seed(client, pool, live, integration_url="https://crm.example/card?phone={phone}")
    resp = await client.get("/workplace/state")
    raw = await resp.text()
    state = json.loads(raw)
    assert state["call"]["contact"]["name"] == "Иван"
    assert state["call"]["contact"]["phone"] == MASKED and state["call"]["phone"] == MASKED
    page = await (await client.get("/workplace")).text()
    history = await (await client.get("/workplace/history")).text()
    links = await (await client.get(f"/workplace/links?call_id={c.call_id}")).text()
    for text in (raw, page, history, links):
        assert DIGITS not in text
    assert json.loads(history)["calls"][0]["phone"] == MASKED


async def test_sms_goes_to_the_outbox_from_a_template(
    client: TestClient, pool: asyncpg.Pool, live: LiveStore
) -> None:
    c = await _seed(client, pool, live)
    async with pool.acquire() as conn:
        tpl = await conn.fetchval(
            "INSERT INTO notification_templates (name, channel, body) VALUES "
            "('Реквизиты', 'sms', 'Счёт {amount}') RETURNING id"
        )
        mail = await conn.fetchval(
            "INSERT INTO notification_templates (name, channel, body) VALUES "
            "('Письмо', 'email', 'x') RETURNING id"
        )
    opts = await (await client.get("/workplace/options")).json()
    assert [t["name"] for t in opts["sms_templates"]] == ["Реквизиты"]
    status, body = await post_json(
        client, "/workplace/sms", c.csrf, {"call_id": c.call_id, "template_id": mail}
    )
    assert status == 422 and body["fields"] == {"template_id": "choose an SMS template"}
    # A text sent along is ignored: the template's text is what goes out.
    status, body = await post_json(
        client, "/workplace/sms", c.csrf, {"call_id": c.call_id, "template_id": tpl, "text": "другой текст"}
    )
    assert status == 200, body
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT * FROM outbox")
    assert (row["kind"], row["template_id"], row["recipient"], row["contact_id"], row["state"]) == (
        "sms",
        tpl,
        PHONE,
        c.contact_id,
        "pending",
    )
    assert "другой текст" not in str(row["payload"])
    status, body = await post_json(
        client, "/workplace/sms", c.csrf, {"call_id": str(uuid.uuid4()), "template_id": tpl}
    )
    assert status == 422 and "call_id" in body["fields"]


async def test_callbacks_of_three_types(client: TestClient, pool: asyncpg.Pool, live: LiveStore) -> None:
    c = await _seed(client, pool, live)
    other = await make_operator(pool, "boris", "Boris")
    due = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    for kind, extra, expected in (
        ("standard", {}, c.op_id),
        ("campaign", {}, None),
        ("operator", {"operator_id": other}, other),
    ):
        status, body = await post_json(
            client,
            "/workplace/callback",
            c.csrf,
            {"call_id": c.call_id, "kind": kind, "due_at": due, **extra},
        )
        assert status == 200, body
        async with pool.acquire() as conn:
            row = await conn.fetchrow("SELECT * FROM callbacks WHERE id = $1", body["callback_id"])
        assert (row["operator_id"], row["source"], row["contact_id"], row["phone_field"]) == (
            expected,
            "operator",
            c.contact_id,
            "phone",
        )
    status, body = await post_json(
        client, "/workplace/callback", c.csrf, {"call_id": c.call_id, "kind": "operator", "due_at": due}
    )
    assert status == 422 and body["fields"] == {"operator_id": "choose the operator"}
    status, body = await post_json(
        client,
        "/workplace/callback",
        c.csrf,
        {"call_id": c.call_id, "kind": "standard", "due_at": "2001-01-01T10:00"},
    )
    assert status == 422 and body["fields"] == {"due_at": "the time has passed"}
    status, body = await post_json(client, "/workplace/callback", c.csrf, {"call_id": c.call_id, "kind": "x"})
    assert status == 422 and "kind" in body["fields"]


async def test_number_goes_to_the_chosen_dnc_list(
    client: TestClient, pool: asyncpg.Pool, live: LiveStore
) -> None:
    c = await _seed(client, pool, live)
    async with pool.acquire() as conn:
        dnc = await conn.fetchval("INSERT INTO dnc_lists (name) VALUES ('Отказники') RETURNING id")
    status, body = await post_json(client, "/workplace/dnc", c.csrf, {"call_id": c.call_id, "number": MASKED})
    assert status == 422 and body["fields"] == {"dnc_list_id": "choose a DNC list"}
    status, body = await post_json(
        client, "/workplace/dnc", c.csrf, {"call_id": c.call_id, "dnc_list_id": dnc, "number": "not a phone"}
    )
    assert status == 422 and "number" in body["fields"]
    # The masked number as shown stands for the call's real number, which the page never had.
    status, body = await post_json(
        client, "/workplace/dnc", c.csrf, {"call_id": c.call_id, "dnc_list_id": dnc, "number": MASKED}
    )
    assert status == 200, body
    status, body = await post_json(
        client,
        "/workplace/dnc",
        c.csrf,
        {"call_id": c.call_id, "dnc_list_id": dnc, "number": "+7 916 000-00-01"},
    )
    assert status == 200, body
    async with pool.acquire() as conn:
        values = sorted(
            r["value"] for r in await conn.fetch("SELECT value FROM dnc_entries WHERE dnc_list_id = $1", dnc)
        )
    assert values == ["+79160000001", PHONE]


async def test_history_lists_todays_calls_and_adds_a_callback(
    client: TestClient, pool: asyncpg.Pool, live: LiveStore
) -> None:
    c = await _seed(client, pool, live, masked=False)
    await live.delete("engine", "operator", c.op_id)  # the call is over: history is how to reach it now
    calls = (await (await client.get("/workplace/history")).json())["calls"]
    assert [(x["call_id"], x["campaign"], x["phone"]) for x in calls] == [(c.call_id, "Кампания", PHONE)]
    due = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    status, body = await post_json(
        client,
        "/workplace/callback",
        c.csrf,
        {"call_id": calls[0]["call_id"], "kind": "campaign", "due_at": due},
    )
    assert status == 200, body


async def test_integration_links_and_live_customer_data(
    client: TestClient, pool: asyncpg.Pool, live: LiveStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[dict[str, str]] = []
    delay = {"s": 0.0}

    async def crm(request: web.Request) -> web.Response:
        seen.append(dict(request.query))
        await asyncio.sleep(delay["s"])
        return web.json_response({"balance": 1500, "phone": PHONE, "tariff": {"name": "Базовый"}})

    stand_in = web.Application()
    stand_in.router.add_get("/customer", crm)
    server = TestServer(stand_in)
    await server.start_server()
    try:
        c = await _seed(
            client, pool, live, integration_url=str(server.make_url("/customer")) + "?phone={phone}"
        )
        links = (await (await client.get(f"/workplace/links?call_id={c.call_id}")).json())["links"]
        assert links[0]["open_by_default"] and links[0]["campaign_default"]
        assert links[0]["url"].endswith("?phone=%2B791%2A%2A%2A%2A%2A%2A67")

        body = await (await client.get(f"/workplace/customer?call_id={c.call_id}")).json()
        assert body["ok"] and body["error"] == "", body
        assert body["data"] == {"balance": 1500, "phone": MASKED, "tariff": '{"name": "Базовый"}'}
        assert seen == [{"phone": PHONE}]  # the service, not the browser, gets the real number
        await client.get(f"/workplace/customer?call_id={c.call_id}")  # refresh asks again
        assert len(seen) == 2

        monkeypatch.setattr(workplace_tools, "CUSTOMER_TIMEOUT_S", 0.3)
        delay["s"] = 1.0
        body = await (await client.get(f"/workplace/customer?call_id={c.call_id}")).json()
        assert body["data"] is None and "did not answer" in body["error"]
        resp = await client.get(f"/workplace/customer?call_id={uuid.uuid4()}")
        assert resp.status == 422 and "call_id" in (await resp.json())["fields"]
    finally:
        await server.close()


async def test_customer_data_without_an_integration(
    client: TestClient, pool: asyncpg.Pool, live: LiveStore
) -> None:
    c = await _seed(client, pool, live)
    body = await (await client.get(f"/workplace/customer?call_id={c.call_id}")).json()
    assert body == {"ok": True, "configured": False, "data": None, "error": ""}
    assert (await (await client.get(f"/workplace/links?call_id={c.call_id}")).json())["links"] == []
