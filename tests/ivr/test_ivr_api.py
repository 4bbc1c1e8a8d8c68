"""The IVR scripts' API: contact attributes through the field policy, survey scores stored."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from dialer.access.roles import save_role
from dialer.tokens import create_token
from tests.webtools import make_user


async def _ivr_token(pool: asyncpg.Pool, objects: dict[str, str], org: str = "Org A") -> dict[str, str]:
    """A technical IVR user: the ivr object, the amount masked and the name hidden."""
    async with pool.acquire() as conn:
        role_id = await save_role(conn, {
            "name": f"IVR {sorted(objects.items())}", "objects": objects, "org_access": "own",
            "field_rules": {"amount": {"visible": True, "masked": True}, "name": {"visible": False, "masked": False}},
        })
    uid = await make_user(pool, f"ivr{role_id}", preset=None, role_id=role_id, org=org)
    async with pool.acquire() as conn:
        _, token = await create_token(conn, uid, "ivr")
    return {"Authorization": f"Bearer {token}"}


async def _contact(pool: asyncpg.Pool, org: str) -> int:
    async with pool.acquire() as conn:
        org_id = await conn.fetchval("SELECT id FROM organizations WHERE name = $1", org) or await conn.fetchval(
            "INSERT INTO organizations (name) VALUES ($1) RETURNING id", org)
        list_id = await conn.fetchval("INSERT INTO contact_lists (organization_id, name) VALUES ($1, $2) "
                                      "RETURNING id", org_id, f"L {org}")
        cid: int = await conn.fetchval(
            "INSERT INTO contacts (list_id, organization_id, attrs) VALUES ($1, $2, $3) RETURNING id",
            list_id, org_id, {"phone": "+79161234567", "name": "Иван Петров", "amount": "1500.50",
                              "due_date": "2026-12-01"})
        return cid


async def test_contact_attributes_pass_the_token_users_field_policy(client: TestClient, pool: asyncpg.Pool) -> None:
    headers = await _ivr_token(pool, {"ivr": "read"})
    own = await _contact(pool, "Org A")
    other = await _contact(pool, "Org B")
    resp = await client.get(f"/api/v1/ivr/contacts/{own}", headers=headers)
    assert resp.status == 200
    attrs = (await resp.json())["attrs"]
    assert "name" not in attrs and attrs["due_date"] == "2026-12-01" and attrs["phone"] == "+79161234567"
    assert attrs["amount"] != "1500.50" and len(attrs["amount"]) == len("1500.50")  # masked, same shape
    assert (await client.get(f"/api/v1/ivr/contacts/{other}", headers=headers)).status == 404
    assert (await client.get("/api/v1/ivr/contacts/999999", headers=headers)).status == 404
    # Without the object the token is refused.
    plain = await _ivr_token(pool, {"campaigns": "read"})
    assert (await client.get(f"/api/v1/ivr/contacts/{own}", headers=plain)).status == 403


async def test_survey_scores_are_stored_once_per_call(client: TestClient, pool: asyncpg.Pool) -> None:
    headers = await _ivr_token(pool, {"ivr": "full"})
    cid = await _contact(pool, "Org A")
    call = "0b6f8f5e-3c1a-4a57-9d8e-2f1a5c6b7d80"
    async with pool.acquire() as conn:
        attempt = await conn.fetchval(
            "INSERT INTO call_attempts (campaign_id, contact_id, phone, uuid, connector, caller_id, started_at) "
            "VALUES (1, $1, '+79161234567', $2, 'carrier', '74950000001', now()) RETURNING id", cid, call)
    resp = await client.post(f"/api/v1/ivr/calls/{call}/survey", json={"score": 4}, headers=headers)
    assert resp.status == 201
    saved = await resp.json()
    assert saved["score"] == 4 and saved["attempt_id"] == attempt and saved["contact_id"] == cid  # from the attempt
    resp = await client.post(f"/api/v1/ivr/calls/{call}/survey", json={"score": 5, "contact_id": cid}, headers=headers)
    assert resp.status == 201
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT score, contact_id FROM ivr_surveys WHERE call_id = $1", call)
    assert [(r["score"], r["contact_id"]) for r in rows] == [(5, cid)]

    bad = await client.post(f"/api/v1/ivr/calls/{call}/survey", json={"score": 6}, headers=headers)
    assert bad.status == 422 and "score" in (await bad.json())["fields"]
    other = await _contact(pool, "Org B")
    hidden = await client.post("/api/v1/ivr/calls/x1/survey", json={"score": 3, "contact_id": other}, headers=headers)
    assert hidden.status == 404
    reader = await _ivr_token(pool, {"ivr": "read"})
    assert (await client.post(f"/api/v1/ivr/calls/{call}/survey", json={"score": 3}, headers=reader)).status == 403
