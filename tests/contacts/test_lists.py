from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from tests.contacts.helpers import admin, make_list
from tests.webtools import make_user, post_form, sign_in


async def test_fields_lists_and_contacts_through_the_api(client: TestClient, pool: asyncpg.Pool) -> None:
    csrf = await admin(client, pool)
    h = {"X-CSRF-Token": csrf}
    f1 = await (
        await client.post("/api/v1/contact-fields", json={"name": "phone", "type": "phone"}, headers=h)
    ).json()
    f2 = await (
        await client.post("/api/v1/contact-fields", json={"name": "fio", "type": "text"}, headers=h)
    ).json()
    bad = await client.post("/api/v1/contact-fields", json={"name": "Имя", "type": "text"}, headers=h)
    assert bad.status == 422 and "name" in (await bad.json())["fields"]
    lst = await (
        await client.post(
            "/api/v1/contact-lists", json={"name": "A", "field_ids": [f1["id"], f2["id"]]}, headers=h
        )
    ).json()
    lid = lst["id"]
    for raw in ("8 (916) 123-45-67", "+7 916 1234567"):
        r = await client.post(
            f"/api/v1/contact-lists/{lid}/contacts", json={"attrs": {"phone": raw, "fio": "Ива"}}, headers=h
        )
        assert r.status == 201, await r.text()
        assert (await r.json())["attrs"]["phone"] == "+79161234567"
    r = await client.post(
        f"/api/v1/contact-lists/{lid}/contacts", json={"attrs": {"phone": "8 916 12"}}, headers=h
    )
    assert r.status == 422 and "phone" in (await r.json())["fields"]
    page = await (await client.get(f"/api/v1/contact-lists/{lid}/contacts")).json()
    assert page["total"] == 2 and len(page["items"]) == 2
    cid = page["items"][0]["id"]
    r = await client.put(
        f"/api/v1/contact-lists/{lid}/contacts/{cid}",
        json={"attrs": {"phone": "84951234567", "extra_note": "x"}},
        headers=h,
    )
    assert (await r.json())["attrs"] == {"phone": "+74951234567", "extra_note": "x"}
    # a field in use cannot be deleted; the message names the list
    r = await client.delete(f"/api/v1/contact-fields/{f1['id']}", headers=h)
    assert r.status == 409 and "A" in (await r.json())["message"]
    # copy fields into another list
    other = await (await client.post("/api/v1/contact-lists", json={"name": "B"}, headers=h)).json()
    r = await client.post(
        f"/api/v1/contact-lists/{other['id']}/copy-fields", json={"from_list": lid}, headers=h
    )
    assert (await r.json())["added"] == 2
    assert (await (await client.get(f"/api/v1/contact-lists/{other['id']}")).json())["field_ids"] == [
        f1["id"],
        f2["id"],
    ]
    # delete one, then all
    assert (await client.delete(f"/api/v1/contact-lists/{lid}/contacts/{cid}", headers=h)).status == 200
    r = await client.post(f"/api/v1/contact-lists/{lid}/contacts/delete", json={"all": True}, headers=h)
    assert (await r.json())["deleted"] == 1
    listed = await (await client.get("/api/v1/contact-lists")).json()
    assert {i["name"]: i["contacts"] for i in listed["items"]} == {"A": 0, "B": 0}


async def test_portal_pages_and_field_policy(client: TestClient, pool: asyncpg.Pool) -> None:
    lid = await make_list(pool)
    csrf = await admin(client, pool)
    r = await post_form(
        client,
        f"/contacts/lists/{lid}/contacts/new",
        csrf,
        {"mobile": "8 916 123 45 67", "email": "X@Y.RU", "name": "Пётр"},
    )
    assert r.status == 302, await r.text()
    r = await post_form(client, f"/contacts/lists/{lid}/contacts/new", csrf, {"mobile": "12", "email": "bad"})
    assert r.status == 422
    text = await r.text()
    assert "not a valid number" in text and "is not an e-mail address" in text
    page = await (await client.get(f"/contacts/lists/{lid}")).text()
    assert "+79161234567" in page and "Пётр" in page and "Удалить выбранные" in page
    for url in (
        "/contacts/lists",
        "/contacts/fields",
        "/contacts/fields/new",
        "/contacts/lists/new",
        f"/contacts/lists/{lid}/edit",
        f"/contacts/lists/{lid}/import",
        "/contacts/imports",
    ):
        assert (await client.get(url)).status == 200, url
    # a role that masks the mobile and hides the e-mail sees neither in pages, API or export
    async with pool.acquire() as conn:
        role = await conn.fetchval(
            "INSERT INTO roles (name, pages, objects, field_rules) VALUES ('Masked', $1, $2, $3) RETURNING id",
            ["contacts.lists"],
            {"contacts": "read", "contact_lists": "read"},
            {"mobile": {"visible": True, "masked": True}, "email": {"visible": False, "masked": False}},
        )
    await make_user(pool, "masked", role_id=role)
    await post_form(client, "/logout", csrf)
    await sign_in(client, "masked")
    page = await (await client.get(f"/contacts/lists/{lid}")).text()
    assert "+79161234567" not in page and "x@y.ru" not in page and "Пётр" in page
    items = (await (await client.get(f"/api/v1/contact-lists/{lid}/contacts")).json())["items"]
    assert "email" not in items[0]["attrs"] and items[0]["attrs"]["mobile"] != "+79161234567"
    one = await (await client.get(f"/api/v1/contact-lists/{lid}/contacts/{items[0]['id']}")).json()
    assert one["phones"][0]["e164"] != "+79161234567"
    exported = await (await client.get(f"/contacts/lists/{lid}/export?format=csv")).text()
    assert "+79161234567" not in exported and "x@y.ru" not in exported and "Пётр" in exported
    assert (await client.get(f"/contacts/lists/{lid}/contacts/new")).status == 403


async def test_organization_scoping(client: TestClient, pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        org_a = await conn.fetchval("INSERT INTO organizations (name) VALUES ('A') RETURNING id")
        org_b = await conn.fetchval("INSERT INTO organizations (name) VALUES ('B') RETURNING id")
        role = await conn.fetchval(
            "INSERT INTO roles (name, pages, objects, org_access) VALUES ('Own', $1, $2, 'own') RETURNING id",
            ["contacts.lists"],
            {"contacts": "full", "contact_lists": "full"},
        )
    mine = await make_list(pool, "Mine", org_a)
    theirs = await make_list(pool, "Theirs", org_b)
    await make_user(pool, "scoped", role_id=role, org="A")
    await sign_in(client, "scoped")
    assert (await client.get(f"/contacts/lists/{mine}")).status == 200
    assert (await client.get(f"/contacts/lists/{theirs}")).status == 404
    assert (await client.get(f"/api/v1/contact-lists/{theirs}/contacts")).status == 404
    names = [i["name"] for i in (await (await client.get("/api/v1/contact-lists")).json())["items"]]
    assert names == ["Mine"]
