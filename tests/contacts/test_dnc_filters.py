from __future__ import annotations

import asyncpg
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from dialer.contacts import dnc
from tests.contacts.helpers import admin, make_list, wait_job
from tests.webtools import post_form


async def test_dnc_entries_batch_import_and_lookup(client: TestClient, pool: asyncpg.Pool) -> None:
    csrf = await admin(client, pool)
    h = {"X-CSRF-Token": csrf}
    d = await (await client.post("/api/v1/dnc-lists", json={"name": "Stop"}, headers=h)).json()
    r = await client.post(
        f"/api/v1/dnc-lists/{d['id']}/entries", json={"value": "8 (916) 123-45-67"}, headers=h
    )
    assert (await r.json())["value"] == "+79161234567"
    r = await client.post(
        f"/api/v1/dnc-lists/{d['id']}/entries", json={"kind": "email", "value": "A@B.RU"}, headers=h
    )
    assert r.status == 201
    bad = await client.post(f"/api/v1/dnc-lists/{d['id']}/entries", json={"value": "12"}, headers=h)
    assert bad.status == 422 and "not a valid" in (await bad.json())["fields"]["value"]
    form = FormData()
    form.add_field("_csrf", csrf)
    form.add_field(
        "file", "Номер\n89161110000\n+7 916 111 00 01\nnope\n89161110000\n".encode(), filename="dnc.csv"
    )
    r = await client.post(f"/contacts/dnc/{d['id']}/import", data=form, allow_redirects=False)
    job = await wait_job(client, int(r.headers["Location"].rsplit("/", 1)[1]))
    assert job["rows_ok"] == 3 and job["rows_failed"] == 1, job
    check = await client.post(
        "/api/v1/dnc/check", json={"values": ["+79161110001", "8 916 123 45 67", "+79990000000"]}, headers=h
    )
    assert (await check.json())["listed"] == ["+79161110001", "8 916 123 45 67"]
    async with pool.acquire() as conn:
        assert await dnc.lookup(conn, ["a@b.ru"], "email") == {"a@b.ru"}
        assert await dnc.lookup(conn, ["+79161110000"], dnc_list_ids=[d["id"] + 1]) == set()
    page = await (await client.get(f"/contacts/dnc/{d['id']}")).text()
    assert "+79161110001" in page
    r = await post_form(
        client, f"/contacts/dnc/{d['id']}/entries/delete", csrf, {"kind": "phone", "value": "+79161110001"}
    )
    assert r.status == 302
    async with pool.acquire() as conn:
        assert await dnc.lookup(conn, ["+79161110001"]) == set()


async def test_filters_or_within_a_field_and_across_fields(client: TestClient, pool: asyncpg.Pool) -> None:
    lid = await make_list(pool)
    csrf = await admin(client, pool)
    h = {"X-CSRF-Token": csrf}
    rows = [
        {"mobile": "89161234501", "name": "Анна", "debt": "100", "born": "01.02.1990"},
        {"mobile": "89161234502", "name": "Борис", "debt": "5000", "born": "1985-05-05"},
        {"mobile": "89161234503", "name": "Вера", "debt": "20000"},
    ]
    await client.post(f"/api/v1/contact-lists/{lid}/import", json={"contacts": rows}, headers=h)
    conds = [
        {"field": "name", "op": "eq", "value": "Анна"},
        {"field": "name", "op": "eq", "value": "Вера"},
        {"field": "debt", "op": "gte", "value": "1000"},
    ]
    r = await client.post(
        "/api/v1/contact-filters/preview", json={"list_id": lid, "conditions": conds}, headers=h
    )
    found = await r.json()
    assert found["count"] == 1 and found["sample"][0]["attrs"]["name"] == "Вера"
    r = await client.post(
        "/api/v1/contact-filters/preview",
        json={"conditions": [{"field": "born", "op": "lt", "value": "01.01.1989"}]},
        headers=h,
    )
    assert (await r.json())["count"] == 1
    r = await client.post(
        "/api/v1/contact-filters/preview",
        json={"conditions": [{"field": "debt", "op": "gt", "value": "x"}]},
        headers=h,
    )
    assert r.status == 422 and "debt" in (await r.json())["fields"]["conditions"]
    saved = await client.post(
        "/api/v1/contact-filters", json={"name": "Big", "list_id": lid, "conditions": conds}, headers=h
    )
    assert saved.status == 201
    page = await post_form(
        client,
        "/contacts/filters/new",
        csrf,
        {"name": "P", "field_0": "debt", "op_0": "lt", "value_0": "1000", "action": "preview"},
    )
    assert "Анна" in await page.text()
    r = await post_form(
        client, "/contacts/filters/new", csrf, {"name": "Small", "field_0": "debt", "op_0": "empty"}
    )
    assert r.status == 302
    assert "Small" in await (await client.get("/contacts/filters")).text()
