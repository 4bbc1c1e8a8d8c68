from __future__ import annotations

import asyncio
import io
from pathlib import Path
from typing import Any

import asyncpg
import openpyxl
from aiohttp import FormData
from aiohttp.test_utils import TestClient

from dialer.contacts import jobs
from tests.contacts.helpers import admin, make_list, wait_job
from tests.webtools import post_form

HEADER = "Телефон;Рабочий;E-mail;ФИО;Долг\r\n"


async def _api_upload(
    client: TestClient, csrf: str, lid: int, name: str, data: bytes, mapping: str | None = None, **extra: str
) -> dict[str, Any]:
    form = FormData()
    form.add_field("file", data, filename=name)
    form.add_field(
        "mapping",
        mapping
        or '{"Телефон": "mobile", "Рабочий": "work", "E-mail": "email", "ФИО": "name", "Долг": "debt"}',
    )
    form.add_field("wait", "1")
    for k, v in extra.items():
        form.add_field(k, v)
    resp = await client.post(f"/api/v1/contact-lists/{lid}/import", data=form, headers={"X-CSRF-Token": csrf})
    body: dict[str, Any] = await resp.json()
    assert resp.status in (200, 422), body
    return body


async def test_csv_in_three_encodings_good_rows_land_bad_rows_are_reported(
    client: TestClient, pool: asyncpg.Pool
) -> None:
    lid = await make_list(pool)
    csrf = await admin(client, pool)
    rows = (
        HEADER + "8 (916) 123-45-67;+7 495 1234567;a@b.ru;Иванов;100,5\r\n"
        "8 916 ABC;;;Петров;1\r\n"  # letters in the phone
        "79161234568;;not-mail;Сидоров;x\r\n"  # two bad fields, both named
        ";;;;\r\n"  # empty row
        "79161234569;;;Ragged;1;extra\r\n"
    )
    for enc, prefix in (("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1251", b"")):
        job = await _api_upload(client, csrf, lid, f"f-{enc}.csv", prefix + rows.encode(enc))
        assert job["status"] == "done", job
        assert (job["rows_done"], job["rows_ok"], job["rows_failed"], job["rows_skipped"]) == (5, 1, 3, 1)
        by_row = {r["row_no"]: r for r in job["rows"]}
        assert "contains letters" in by_row[3]["message"] and "Телефон → mobile" in by_row[3]["message"]
        assert "e-mail" in by_row[4]["message"] and "not a number" in by_row[4]["message"]
        assert by_row[5]["status"] == "skipped"
        assert "6 cells" in by_row[6]["message"]
    async with pool.acquire() as conn:
        attrs = await conn.fetch("SELECT attrs FROM contacts WHERE list_id=$1", lid)
        phones = await conn.fetch("SELECT field, e164 FROM contact_phones ORDER BY field")
    assert (
        all(a["attrs"]["name"] == "Иванов" and a["attrs"]["debt"] == "100.5" for a in attrs)
        and len(attrs) == 3
    )
    assert {p["e164"] for p in phones} == {"+79161234567", "+74951234567"}


async def test_dedupe_duplicate_headers_and_file_level_errors(client: TestClient, pool: asyncpg.Pool) -> None:
    lid = await make_list(pool)
    csrf = await admin(client, pool)
    data = "Телефон,Телефон,ФИО\n89161234567,84951234567,A\n+79161234567,,B\n89161112233,,C\n".encode()
    job = await _api_upload(
        client,
        csrf,
        lid,
        "d.csv",
        data,
        '{"Телефон": "mobile", "Телефон (2)": "work", "ФИО": "name"}',
        dedupe="1",
    )
    assert job["rows_ok"] == 2 and job["rows_skipped"] == 1 and "duplicate header" in job["message"]
    assert "already in the list" in job["rows"][0]["message"]
    again = await _api_upload(
        client, csrf, lid, "d.csv", data, '{"Телефон": "mobile", "ФИО": "name"}', dedupe="1"
    )
    assert again["rows_ok"] == 0 and again["rows_skipped"] == 3
    for content, why in ((b"", "empty"), (b"\x00\x01\x02binary\x00", "encoding")):
        form = FormData()
        form.add_field("file", content, filename="x.csv")
        r = await client.post(
            f"/api/v1/contact-lists/{lid}/import", data=form, headers={"X-CSRF-Token": csrf}
        )
        assert r.status == 422 and why in (await r.json())["fields"]["file"]
    header_only = await _api_upload(client, csrf, lid, "h.csv", "Телефон;ФИО\r\n".encode())
    assert header_only["status"] == "done" and "no rows" in header_only["message"]


async def test_xlsx_with_formulas_and_merged_cells(
    client: TestClient, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    lid = await make_list(pool)
    csrf = await admin(client, pool)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["Телефон", "ФИО", "Долг"])
    sheet.append(["89161234567", "Merged", 10])
    sheet.append([79161234568, None, "=C2*2"])
    sheet.merge_cells("B2:B3")
    buf = io.BytesIO()
    book.save(buf)
    job = await _api_upload(
        client, csrf, lid, "x.xlsx", buf.getvalue(), '{"Телефон": "mobile", "ФИО": "name", "Долг": "debt"}'
    )
    # openpyxl stores no cached formula value, so the debt of row 3 is empty, not an error
    assert job["status"] == "done" and job["rows_ok"] == 2, job
    async with pool.acquire() as conn:
        got = sorted(r["e164"] for r in await conn.fetch("SELECT e164 FROM contact_phones"))
    assert got == ["+79161234567", "+79161234568"]


async def test_json_batch_through_the_api(client: TestClient, pool: asyncpg.Pool) -> None:
    lid = await make_list(pool)
    csrf = await admin(client, pool)
    batch = {
        "contacts": [
            {"mobile": "8 916 123 45 67", "name": "A"},
            {"mobile": "oops"},
            {"mobile": "+7 916 123 45 68", "vip": "да"},
        ],
        "dedupe": True,
    }
    r = await client.post(f"/api/v1/contact-lists/{lid}/import", json=batch, headers={"X-CSRF-Token": csrf})
    job = await r.json()
    assert r.status == 200 and job["rows_ok"] == 2 and job["rows_failed"] == 1
    assert job["rows"] == [
        {"row_no": 3, "status": "error", "message": "mobile → mobile: phone 'oops' contains letters"}
    ]
    rows = await (await client.get(f"/api/v1/import-jobs/{job['id']}/rows")).json()
    assert rows["rows"][0]["row_no"] == 3


async def test_portal_upload_mapping_progress_and_row_export(client: TestClient, pool: asyncpg.Pool) -> None:
    lid = await make_list(pool)
    csrf = await admin(client, pool)
    form = FormData()
    form.add_field("_csrf", csrf)
    form.add_field(
        "file", (HEADER + "89161234567;;;Иванов;1\r\nbad;;;X;1\r\n").encode("cp1251"), filename="p.csv"
    )
    r = await client.post(f"/contacts/lists/{lid}/import", data=form, allow_redirects=False)
    assert r.status == 302
    job_url = r.headers["Location"]
    page = await (await client.get(job_url)).text()
    assert "Телефон" in page and "Иванов" in page  # columns and a sample row
    r = await post_form(
        client,
        job_url + "/start",
        csrf,
        {"map:Телефон": "mobile", "map:ФИО": "name", "template_name": "Мой шаблон"},
    )
    assert r.status == 302
    job = await wait_job(client, int(job_url.rsplit("/", 1)[1]))
    assert job["rows_ok"] == 1 and job["rows_failed"] == 1
    page = await (await client.get(job_url)).text()
    assert "not a phone number" in page or "letters" in page
    csv_rows = await (await client.get(job_url + "/rows.csv")).text()
    assert csv_rows.splitlines()[1].startswith("3;error;")
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT mapping FROM import_templates WHERE name='Мой шаблон'") == {
            "Телефон": "mobile",
            "ФИО": "name",
        }


async def test_interrupted_job_is_marked_and_resumes_without_duplicates(
    client: TestClient, pool: asyncpg.Pool, tmp_path: Path
) -> None:
    lid = await make_list(pool)
    await admin(client, pool)
    path = tmp_path / "big.csv"
    path.write_text("Телефон;ФИО\n" + "".join(f"7916{i:07d};N{i}\n" for i in range(25_000)), encoding="utf-8")
    async with pool.acquire() as conn:
        job_id = await jobs.create_job(
            conn,
            target="contacts",
            file_path=path,
            source_name="big.csv",
            list_id=lid,
            options={"mapping": {"Телефон": "mobile", "ФИО": "name"}},
            status="queued",
        )
        # what a crash leaves behind: the first batch committed, the job still "running"
        await conn.execute("UPDATE import_jobs SET status='running' WHERE id=$1", job_id)
    task = jobs.start(pool, job_id)
    while True:
        await asyncio.sleep(0.01)
        async with pool.acquire() as conn:
            if await conn.fetchval("SELECT rows_done FROM import_jobs WHERE id=$1", job_id) >= 10_000:
                break
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert await jobs.recover(pool) == 0  # the shutdown already marked it failed
    async with pool.acquire() as conn:
        job = await jobs.get_job(conn, job_id)
        assert job["status"] == "failed" and "resume" in job["message"]
        stored = await conn.fetchval("SELECT count(*) FROM contacts")
        assert stored == job["rows_ok"]
        await conn.execute("UPDATE import_jobs SET status='queued' WHERE id=$1", job_id)
    await jobs.start(pool, job_id)
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM contacts") == 25_000
        assert await conn.fetchval("SELECT count(DISTINCT e164) FROM contact_phones") == 25_000
        assert (await jobs.get_job(conn, job_id))["status"] == "done"


async def test_export_csv_and_xlsx(client: TestClient, pool: asyncpg.Pool) -> None:
    lid = await make_list(pool)
    csrf = await admin(client, pool)
    batch = {"contacts": [{"mobile": f"8916{i:07d}", "name": f"Имя {i}"} for i in range(12_000)]}
    r = await client.post(f"/api/v1/contact-lists/{lid}/import", json=batch, headers={"X-CSRF-Token": csrf})
    job = await r.json()
    assert job["rows_ok"] == 12_000, {k: job[k] for k in ("status", "message", "rows_done", "rows_failed")}
    text = (await (await client.get(f"/api/v1/contact-lists/{lid}/export?format=csv")).read()).decode(
        "utf-8-sig"
    )
    lines = text.splitlines()
    assert (
        lines[0].startswith("id;mobile;work;email;name") and len(lines) == 12_001 and "Имя 11999" in lines[-1]
    )
    data = await (await client.get(f"/contacts/lists/{lid}/export?format=xlsx")).read()
    sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).active
    assert sheet.max_row == 12_001


async def test_upload_size_limit_has_a_clear_message(aiohttp_client, app_context, pool: asyncpg.Pool) -> None:  # type: ignore[no-untyped-def]
    from web.app import create_app

    app_context.settings = app_context.settings.model_copy(update={"max_body_mb": 1})
    client = await aiohttp_client(create_app(app_context))
    lid = await make_list(pool)
    csrf = await admin(client, pool)
    form = FormData()
    form.add_field("file", b"x" * (2 * 1024 * 1024), filename="big.csv")
    r = await client.post(f"/api/v1/contact-lists/{lid}/import", data=form, headers={"X-CSRF-Token": csrf})
    assert r.status == 413 and "1 МБ" in (await r.json())["message"]
