from __future__ import annotations

from datetime import date

import asyncpg
import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from dialer.contacts import calendar, timezones
from dialer.contacts.regions import region_zone, subjects
from tests.contacts.helpers import admin, make_list, wait_directory_job
from tests.webtools import post_form

REGISTRY = (
    "АВС/ DEF;От;До;Емкость;Оператор;Регион\n"
    "916;1000000;1999999;1000000;ПАО МТС;г. Москва * Московская область\n"
    "914;2000000;2999999;1000000;ПАО МТС;Республика Саха /Якутия/\n"
    "383;2000000;2999999;1000000;ПАО Ростелеком;Новосибирская обл.\n"
    "999;9;1;1;X;Y\n"
    "950;0000000;0999999;1000000;ООО Т2;Неведомая земля\n"
)


@pytest.mark.parametrize(
    "region, tz",
    [
        ("г. Москва", "Europe/Moscow"),
        ("Москва и Московская область", "Europe/Moscow"),
        ("Республика Саха /Якутия/", "Asia/Yakutsk"),
        ("Ханты-Мансийский автономный округ - Югра", "Asia/Yekaterinburg"),
        ("Ханты - Мансийский - Югра АО", "Asia/Yekaterinburg"),
        ("Кемеровская область - Кузбасс", "Asia/Novokuznetsk"),
        ("Ямало-Ненецкий АО", "Asia/Yekaterinburg"),
        ("Ненецкий АО", "Europe/Moscow"),
        ("Томская обл.", "Asia/Tomsk"),
        ("Омская обл.", "Asia/Omsk"),
        ("Сахалинская обл.", "Asia/Sakhalin"),
        ("Калининградская обл.", "Europe/Kaliningrad"),
        ("Камчатский край", "Asia/Kamchatka"),
        ("Чукотский АО", "Asia/Anadyr"),
        ("Краснодарский край|г. Сочи", "Europe/Moscow"),
        ("Удмуртская Республика", "Europe/Samara"),
        ("Республика Северная Осетия - Алания", "Europe/Moscow"),
    ],
)
def test_registry_spellings_map_to_zones(region: str, tz: str) -> None:
    assert region_zone(region) == tz


def test_every_subject_is_covered_and_every_zone_exists() -> None:
    names = [s.name for s in subjects()]
    assert len(names) == 89 and len(set(names)) == 89
    for s in subjects():
        timezones.zone(s.tz)
        assert region_zone(s.name) == s.tz, s.name


async def test_ranges_import_zones_and_incremental_updates(client: TestClient, pool: asyncpg.Pool) -> None:
    lid = await make_list(pool)
    csrf = await admin(client, pool)
    h = {"X-CSRF-Token": csrf}
    rows = [
        {"mobile": "89161500000", "work": "89142500000"},
        {"mobile": "83832500000"},
        {"mobile": "89505000000"},
    ]
    await client.post(f"/api/v1/contact-lists/{lid}/import", json={"contacts": rows}, headers=h)
    form = FormData()
    form.add_field("file", REGISTRY.encode("cp1251"), filename="DEF-9xx.csv")
    form.add_field("wait", "true")
    r = await client.post("/api/v1/number-ranges/import", data=form, headers=h)
    result = await r.json()
    assert r.status == 200 and result["status"] == "done", result
    assert (
        result["rows_ok"] == 4
        and result["rows_failed"] == 1
        and result["errors"][0]["row_no"] == 5
        and "greater" in result["errors"][0]["message"]
    )
    assert result["unknown_regions"] == ["Неведомая земля"] and result["rezoned"] == 3
    async with pool.acquire() as conn:
        zones = dict(await conn.fetch("SELECT e164, tz FROM contact_phones"))
    assert zones == {
        "+79161500000": "Europe/Moscow",
        "+79142500000": "Asia/Yakutsk",
        "+73832500000": "Asia/Novosibirsk",
        "+79505000000": None,
    }
    # a code fills the gap; a new contact gets its zone at import time
    r = await client.post("/api/v1/phone-codes", json={"code": "7950", "utc_offset_min": 180}, headers=h)
    assert r.status == 201
    await client.post(
        f"/api/v1/contact-lists/{lid}/contacts", json={"attrs": {"mobile": "89161600000"}}, headers=h
    )
    async with pool.acquire() as conn:
        zones = dict(await conn.fetch("SELECT e164, tz FROM contact_phones"))
        assert zones["+79505000000"] == "UTC+03:00" and zones["+79161600000"] == "Europe/Moscow"
        # "replace on match": the same range with another region moves its numbers
        form = FormData()
        form.add_field(
            "file", "АВС/ DEF;От;До;Регион\n916;1000000;1999999;Омская обл.\n".encode(), filename="r.csv"
        )
        r = await client.post("/api/v1/number-ranges/import", data=form, headers=h)
        assert r.status == 202  # a background job by default
        await wait_directory_job(client, "number-ranges", (await r.json())["id"])
        assert await conn.fetchval("SELECT count(*) FROM number_ranges") == 4
        assert await conn.fetchval("SELECT tz FROM contact_phones WHERE e164='+79161500000'") == "Asia/Omsk"
        assert await conn.fetchval("SELECT tz FROM contact_phones WHERE e164='+79161600000'") == "Asia/Omsk"
    r = await client.put("/api/v1/number-ranges/tz-method", json={"tz_method": "code"}, headers=h)
    assert (await r.json())["changed"] == 4  # only +7950 has a code: the rest lose their zone
    for url in ("/directories/phone-codes", "/directories/number-ranges", "/directories/calendar?year=2025"):
        assert (await client.get(url)).status == 200, url


async def test_production_calendar(client: TestClient, pool: asyncpg.Pool) -> None:
    csrf = await admin(client, pool)
    async with pool.acquire() as conn:
        assert not await calendar.is_working_day(conn, date(2025, 1, 1))  # New Year holidays
        assert not await calendar.is_working_day(conn, date(2025, 3, 8))
        assert await calendar.is_working_day(conn, date(2025, 3, 11))
        assert not await calendar.is_working_day(conn, date(2025, 3, 15))  # a Saturday
    r = await post_form(
        client, "/directories/calendar", csrf, {"day": "2025-03-15", "working": "on", "action": "set"}
    )
    assert r.status == 302
    day = await (await client.get("/api/v1/calendar/2025-03-15")).json()
    assert day["working"] is True
    async with pool.acquire() as conn:
        cal = await calendar.load_calendar(conn)
    assert cal.is_working_day(date(2025, 3, 15)) and not cal.is_working_day(date(2025, 3, 16))
    await post_form(client, "/directories/calendar", csrf, {"day": "2025-03-15", "action": "clear"})
    assert (await (await client.get("/api/v1/calendar/2025-03-15")).json())["working"] is False
