"""The directories' REST API and registry imports as background jobs (R2.5-R2.7)."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from tests.contacts.helpers import admin, make_list, wait_directory_job
from tests.webtools import post_form

RANGES = (
    "АВС/ DEF;От;До;Емкость;Оператор;Регион\n"
    "916;1000000;1999999;1000000;ПАО МТС;г. Москва\n"
    "916;2000000;2999999;1000000;ПАО МТС;Омская обл.\n"
    "914;2000000;2999999;1000000;ПАО МТС;Республика Саха /Якутия/\n"
    "383;2000000;2999999;1000000;ПАО Ростелеком;Новосибирская обл.\n"
)


def _file(text: str, name: str = "f.csv", wait: bool = False, encoding: str = "utf-8") -> FormData:
    form = FormData()
    form.add_field("file", text.encode(encoding), filename=name)
    if wait:
        form.add_field("wait", "true")
    return form


async def _phones(pool: asyncpg.Pool) -> dict[str, Any]:
    async with pool.acquire() as conn:
        return dict(await conn.fetch("SELECT e164, tz FROM contact_phones"))


async def _setup(client: TestClient, pool: asyncpg.Pool) -> tuple[int, dict[str, str]]:
    lid = await make_list(pool)
    h = {"X-CSRF-Token": await admin(client, pool)}
    rows = [{"mobile": "89161500000"}, {"mobile": "89162500000"}, {"mobile": "83832500000"}]
    r = await client.post(f"/api/v1/contact-lists/{lid}/import", json={"contacts": rows}, headers=h)
    assert r.status in (200, 201), await r.text()
    return lid, h


async def test_registry_import_is_a_background_job_with_row_errors(
    client: TestClient, pool: asyncpg.Pool
) -> None:
    _, h = await _setup(client, pool)
    bad_rows = RANGES + "916;9;1;1;X;г. Москва\n;1;2;1;X;Y\n\n383;abc;2;1;X;Y\n"
    # the portal: the upload starts a job and shows its progress page
    csrf = h["X-CSRF-Token"]
    form = _file(bad_rows, "DEF.csv", encoding="cp1251")
    form.add_field("_csrf", csrf)
    r = await client.post("/directories/number-ranges/import", data=form, headers=h, allow_redirects=False)
    assert r.status == 302, await r.text()
    m = re.fullmatch(r"/directories/number-ranges/imports/(\d+)", r.headers["Location"])
    assert m, r.headers["Location"]
    job = await wait_directory_job(client, "number-ranges", int(m.group(1)))
    assert job["status"] == "done" and job["rows_ok"] == 4 and job["rows_failed"] == 3, job
    # per-row errors carry the file's row number (the header is row 1; the blank row 8 is no error)
    assert [e["row_no"] for e in job["errors"]] == [6, 7, 9]
    assert "greater" in job["errors"][0]["message"] and "code" in job["errors"][1]["message"]
    assert job["rezoned"] == 3 and "time zones changed: 3" in job["message"]
    assert await _phones(pool) == {
        "+79161500000": "Europe/Moscow",
        "+79162500000": "Asia/Omsk",
        "+73832500000": "Asia/Novosibirsk",
    }
    page = await (await client.get(r.headers["Location"])).text()
    assert "DEF.csv" in page and "from 9 is greater than to 1" in page
    listing = await (await client.get("/directories/number-ranges")).text()
    assert f"/directories/number-ranges/imports/{m.group(1)}" in listing
    # a directory job is not a contact import: the contacts' job API does not show it
    assert (await client.get(f"/api/v1/import-jobs/{m.group(1)}")).status == 404
    assert (await client.get(f"/api/v1/phone-codes/imports/{m.group(1)}")).status == 404
    # a file without the registry's columns is refused at once, naming the file; nothing is lost
    r = await client.post("/api/v1/number-ranges/import", data=_file("a;b\n1;2\n"), headers=h)
    assert r.status == 422 and "АВС/ DEF" in (await r.json())["fields"]["file"]
    r = await client.post("/api/v1/number-ranges/import", data=FormData({"x": "1"}), headers=h)
    assert r.status == 422 and "file" in (await r.json())["fields"]
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM number_ranges") == 4
    # replace on match, in the background: only the matching range changes
    r = await client.post(
        "/api/v1/number-ranges/import",
        data=_file("АВС/ DEF;От;До;Регион\n916;2000000;2999999;г. Москва\n"),
        headers=h,
    )
    assert r.status == 202
    job = await wait_directory_job(client, "number-ranges", (await r.json())["id"])
    assert job["rows_ok"] == 1 and job["rezoned"] == 1
    assert (await _phones(pool))["+79162500000"] == "Europe/Moscow"


async def test_phone_code_import_and_api(client: TestClient, pool: asyncpg.Pool) -> None:
    _, h = await _setup(client, pool)
    codes = (
        "code;name;utc offset;tz\n7916;МТС Москва;+03:00;\n7383;Новосибирск;420;\n7999;X;bad;\n"
        "7916;Дубль;+03:00;Europe/Moscow\n"
    )
    r = await client.post("/api/v1/phone-codes/import", data=_file(codes, wait=True), headers=h)
    job = await r.json()
    assert r.status == 200 and job["status"] == "done" and job["rows_ok"] == 3 and job["rows_failed"] == 1, (
        job
    )
    assert job["errors"] == [{"row_no": 4, "message": "utc_offset_min: minutes from UTC, -720..840"}]
    async with pool.acquire() as conn:
        stored = {r["code"]: dict(r) for r in await conn.fetch("SELECT * FROM phone_codes")}
    assert set(stored) == {"7916", "7383"}
    assert stored["7916"]["name"] == "Дубль" and stored["7916"]["tz"] == "Europe/Moscow"  # the last row wins
    assert stored["7383"]["utc_offset_min"] == 420
    assert await _phones(pool) == {
        "+79161500000": "Europe/Moscow",
        "+79162500000": "Europe/Moscow",
        "+73832500000": "UTC+07:00",
    }
    # the portal upload shows a job page too
    form = _file("code;utc\n7495;180\n")
    form.add_field("_csrf", h["X-CSRF-Token"])
    r = await client.post("/directories/phone-codes/import", data=form, headers=h, allow_redirects=False)
    assert r.status == 302 and "/directories/phone-codes/imports/" in r.headers["Location"]
    await wait_directory_job(client, "phone-codes", int(r.headers["Location"].rsplit("/", 1)[1]))
    assert (await client.get(r.headers["Location"])).status == 200
    form = _file("name\nx\n")
    form.add_field("_csrf", h["X-CSRF-Token"])
    r = await client.post("/directories/phone-codes/import", data=form, headers=h, allow_redirects=False)
    assert r.status == 302 and r.headers["Location"] == "/directories/phone-codes"
    # get one, update one (re-zones the phones under it), bad input names the field
    cid = stored["7383"]["id"]
    one = await (await client.get(f"/api/v1/phone-codes/{cid}")).json()
    assert one["code"] == "7383" and one["name"] == "Новосибирск"
    r = await client.put(
        f"/api/v1/phone-codes/{cid}",
        json={"code": "7383", "name": "НСК", "utc_offset_min": 420, "tz": "Asia/Novosibirsk"},
        headers=h,
    )
    assert r.status == 200 and (await r.json())["tz"] == "Asia/Novosibirsk"
    assert (await _phones(pool))["+73832500000"] == "Asia/Novosibirsk"
    r = await client.put(
        f"/api/v1/phone-codes/{cid}",
        json={"code": "7383", "utc_offset_min": 420, "tz": "Mars/Olympus"},
        headers=h,
    )
    assert r.status == 422 and "tz" in (await r.json())["fields"]
    r = await client.put(
        f"/api/v1/phone-codes/{cid}", json={"code": "7383", "utc_offset_min": 9999}, headers=h
    )
    assert r.status == 422 and "utc_offset_min" in (await r.json())["fields"]
    r = await client.put(
        f"/api/v1/phone-codes/{cid}", json={"code": "7916", "utc_offset_min": 180}, headers=h
    )
    assert r.status == 422 and (await r.json())["fields"] == {"code": "this code exists"}
    assert (await (await client.get(f"/api/v1/phone-codes/{cid}")).json())["name"] == "НСК"  # nothing lost
    # a changed code re-zones the phones under the old prefix too
    r = await client.put(f"/api/v1/phone-codes/{cid}", json={"code": "7384", "utc_offset_min": 420}, headers=h)
    assert r.status == 200 and (await _phones(pool))["+73832500000"] is None
    assert (await client.get("/api/v1/phone-codes/999999")).status == 404
    assert (
        await client.put("/api/v1/phone-codes/999999", json={"code": "1", "utc_offset_min": 0}, headers=h)
    ).status == 404


async def test_number_ranges_api_list_lookup_delete(client: TestClient, pool: asyncpg.Pool) -> None:
    _, h = await _setup(client, pool)
    r = await client.post("/api/v1/number-ranges/import", data=_file(RANGES, wait=True), headers=h)
    assert (await r.json())["rows_ok"] == 4
    r = await client.post("/api/v1/phone-codes", json={"code": "7383", "utc_offset_min": 420}, headers=h)
    assert r.status == 201
    page = await (await client.get("/api/v1/number-ranges?per=10")).json()
    assert page["total"] == 4 and page["per"] == 10 and len(page["items"]) == 4
    assert page["items"][0]["range_from"] == 73832000000  # sorted by range start
    page = await (await client.get("/api/v1/number-ranges?code=916")).json()
    assert page["total"] == 2 and {i["region"] for i in page["items"]} == {"г. Москва", "Омская обл."}
    page = await (await client.get("/api/v1/number-ranges?region=омская")).json()
    assert page["total"] == 1 and page["items"][0]["tz"] == "Asia/Omsk"
    r = await client.get("/api/v1/number-ranges?code=9x")
    assert r.status == 422 and "code" in (await r.json())["fields"]
    rid = page["items"][0]["id"]
    one = await (await client.get(f"/api/v1/number-ranges/{rid}")).json()
    assert (
        one["range_from"] == 79162000000 and one["range_to"] == 79162999999 and one["operator"] == "ПАО МТС"
    )
    # the time zone of one number, and where it comes from
    found = await (
        await client.get("/api/v1/number-ranges/lookup", params={"phone": "8 (916) 250-00-00"})
    ).json()
    assert found["e164"] == "+79162500000" and found["tz"] == "Asia/Omsk" and found["source"] == "range"
    assert found["range"]["id"] == rid and found["code"] is None
    found = await (await client.get("/api/v1/number-ranges/lookup", params={"phone": "+73839000000"})).json()
    assert found["tz"] == "UTC+07:00" and found["source"] == "code" and found["range"] is None
    r = await client.get("/api/v1/number-ranges/lookup", params={"phone": "abc"})
    assert r.status == 422 and "phone" in (await r.json())["fields"]
    # delete one: its phones fall back to the code (none for 916: no zone)
    r = await client.delete(f"/api/v1/number-ranges/{rid}", headers=h)
    assert (await r.json()) == {"deleted": 1, "rezoned": 1}
    assert (await _phones(pool))["+79162500000"] is None
    assert (await client.get(f"/api/v1/number-ranges/{rid}")).status == 404
    assert (await client.delete(f"/api/v1/number-ranges/{rid}", headers=h)).status == 404
    r = await client.post("/api/v1/number-ranges/delete", json={}, headers=h)
    assert r.status == 422 and "code" in (await r.json())["fields"]
    r = await client.post("/api/v1/number-ranges/delete", json={"code": "916"}, headers=h)
    assert (await r.json()) == {"deleted": 1, "rezoned": 1}
    r = await client.post("/api/v1/number-ranges/delete", json={"all": True}, headers=h)
    assert (await r.json())["deleted"] == 2
    assert await _phones(pool) == {"+79161500000": None, "+79162500000": None, "+73832500000": "UTC+07:00"}


async def test_calendar_overrides_api(client: TestClient, pool: asyncpg.Pool) -> None:
    h = {"X-CSRF-Token": await admin(client, pool)}
    for day, working in (("2025-03-15", True), ("2025-03-10", False), ("2026-01-12", False)):
        r = await client.put(
            "/api/v1/calendar/overrides", json={"day": day, "working": working, "note": "x"}, headers=h
        )
        assert r.status == 200
    listed = await (await client.get("/api/v1/calendar/overrides?year=2025")).json()
    assert [(i["day"], i["working"]) for i in listed["items"]] == [
        ("2025-03-10", False),
        ("2025-03-15", True),
    ]
    r = await client.get("/api/v1/calendar/overrides?year=abc")
    assert r.status == 422 and "year" in (await r.json())["fields"]
    r = await client.delete("/api/v1/calendar/overrides/2025-03-15", headers=h)
    assert (await r.json()) == {"deleted": True, "day": "2025-03-15", "working": False}  # a Saturday again
    assert (await client.delete("/api/v1/calendar/overrides/2025-03-15", headers=h)).status == 404
    r = await client.delete("/api/v1/calendar/overrides/15.03.2025", headers=h)
    assert r.status == 422 and "day" in (await r.json())["fields"]
    r = await client.put("/api/v1/calendar/overrides", json={"day": "2025-02-30", "working": True}, headers=h)
    assert r.status == 422 and "day" in (await r.json())["fields"]
    listed = await (await client.get("/api/v1/calendar/overrides?year=2025")).json()
    assert [i["day"] for i in listed["items"]] == ["2025-03-10"]
    assert (
        await post_form(
            client, "/directories/calendar", h["X-CSRF-Token"], {"day": "2025-03-10", "action": "clear"}
        )
    ).status == 302
