"""``python -m bench.import_contacts --rows 1000000``: import path vs raw COPY, zones, export.

Builds a 10-column CSV with two phone columns, imports it through the product's job
(validation, phones, zones, COPY), loads the same file with raw ``COPY``, then times the
time-zone service over every phone and a streamed export. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from pathlib import Path

import asyncpg

from bench.import_contacts.scratch import peak_rss_mb, scratch_db
from dialer.contacts import fields, jobs, lists, timezones
from dialer.contacts.export import csv_chunk, export_rows

COLUMNS = ["mobile", "work", "email", "first_name", "last_name", "city", "debt", "born", "vip", "note"]
TYPES = {
    "mobile": "phone",
    "work": "phone",
    "email": "email",
    "debt": "number",
    "born": "date",
    "vip": "boolean",
}


# The pool's statement timeout is for the product's queries; the floor's COPYs of millions of
# indexed rows on a loaded machine may take longer.
COPY_TIMEOUT_S = 1800.0


def build_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    cities = ["Москва", "Казань", "Новосибирск", "Якутск", "Омск"]
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(";".join(COLUMNS) + "\n")
        for i in range(rows):
            fh.write(
                f"8 (9{rng.randint(10, 99)}) {rng.randint(100, 999)}-{rng.randint(10, 99)}-{rng.randint(10, 99)};"
                f"+7 495 {rng.randint(1000000, 9999999)};user{i}@example.ru;Имя{i % 1000};Фамилия{i % 5000};"
                f"{cities[i % 5]};{rng.randint(0, 100000)}.{rng.randint(0, 99)};{1950 + i % 50}-0{1 + i % 9}-1{i % 9};"
                f"{'да' if i % 3 else 'нет'};примечание {i}\n"
            )


async def _schema_floor(conn: asyncpg.Connection, tmp: Path) -> tuple[float, float]:
    """Seconds to COPY the import's own result (already validated, normalised and zoned)
    into empty copies of ``contacts`` and ``contact_phones`` with the same keys, indexes and
    foreign key: what the database alone costs for this data, with no Python work at all.
    No import can be faster than this, so ``copy_seconds / floor`` bounds the ratio.
    Returns the seconds for the contacts and for their phones."""
    contacts_file, phones_file = tmp / "contacts.copy", tmp / "phones.copy"
    await conn.copy_from_query(
        "SELECT id, list_id, organization_id, attrs FROM contacts", output=contacts_file, timeout=COPY_TIMEOUT_S
    )
    await conn.copy_from_query(
        "SELECT contact_id, list_id, field, e164, tz, tz_source FROM contact_phones", output=phones_file,
        timeout=COPY_TIMEOUT_S,
    )
    await conn.execute(
        "CREATE TABLE floor_contacts (LIKE contacts INCLUDING ALL);"
        "CREATE TABLE floor_phones (LIKE contact_phones INCLUDING ALL,"
        " FOREIGN KEY (contact_id) REFERENCES floor_contacts (id) ON DELETE CASCADE)"
    )
    t0 = time.perf_counter()
    async with conn.transaction():
        await conn.copy_to_table(
            "floor_contacts", source=contacts_file, columns=["id", "list_id", "organization_id", "attrs"],
            timeout=COPY_TIMEOUT_S,
        )
        t1 = time.perf_counter()
        await conn.copy_to_table(
            "floor_phones",
            source=phones_file,
            columns=["contact_id", "list_id", "field", "e164", "tz", "tz_source"],
            timeout=COPY_TIMEOUT_S,
        )
    t2 = time.perf_counter()
    await conn.execute("DROP TABLE floor_phones; DROP TABLE floor_contacts")
    return t1 - t0, t2 - t1


async def run(rows: int) -> dict[str, float | int]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "contacts.csv"
        build_csv(path, rows)
        async with scratch_db("import") as (_dsn, pool):
            async with pool.acquire() as conn:
                ids = [
                    await fields.save_field(conn, {"name": c, "type": TYPES.get(c, "text")}) for c in COLUMNS
                ]
                lid = await lists.save_list(conn, {"name": "bench", "field_ids": ids})
                # ranges for the zone service: every 9xx mobile code and the Moscow 495 code
                await conn.executemany(
                    "INSERT INTO number_ranges (code, range_from, range_to, region, tz) VALUES ($1,$2,$3,$4,$5)",
                    [
                        (
                            f"9{c:02d}",
                            int(f"79{c:02d}0000000"),
                            int(f"79{c:02d}9999999"),
                            "r",
                            "Asia/Novosibirsk" if c % 2 else "Europe/Moscow",
                        )
                        for c in range(100)
                    ]
                    + [("495", 74950000000, 74959999999, "г. Москва", "Europe/Moscow")],
                )
                job_id = await jobs.create_job(
                    conn,
                    target="contacts",
                    file_path=path,
                    source_name="bench",
                    list_id=lid,
                    options={"mapping": {c: c for c in COLUMNS}},
                    status="queued",
                )
            t0 = time.perf_counter()
            await jobs.run_job(pool, job_id)
            seconds = time.perf_counter() - t0
            async with pool.acquire() as conn:
                job = await jobs.get_job(conn, job_id)
                assert job["status"] == "done" and job["rows_ok"] == rows, job
                await conn.execute("CREATE TABLE raw_copy (" + ", ".join(f"{c} text" for c in COLUMNS) + ")")
                t0 = time.perf_counter()
                await conn.copy_to_table("raw_copy", source=path, format="csv", delimiter=";", header=True)
                copy_seconds = time.perf_counter() - t0
                floor_contacts_s, floor_phones_s = await _schema_floor(conn, Path(tmp))
                floor_seconds = floor_contacts_s + floor_phones_s
                # zones: move every number's zone, so every phone is rewritten
                await conn.execute("UPDATE number_ranges SET tz = 'Asia/Omsk'")
                t0 = time.perf_counter()
                rezoned = await timezones.reassign(conn)
                tz_seconds = time.perf_counter() - t0
                rss_before_export = peak_rss_mb()
                t0 = time.perf_counter()
                exported = size = 0
                async for chunk in export_rows(conn, lid, COLUMNS, lambda a: a):
                    size += len(csv_chunk(chunk))
                    exported += len(chunk)
                export_seconds = time.perf_counter() - t0
    return {
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "copy_seconds": round(copy_seconds, 2),
        "copy_rows_per_s": round(rows / copy_seconds),
        "ratio": round(copy_seconds / seconds, 3),
        # The import's finished rows COPYed into the product's own tables (keys, indexes, FK):
        # the database's share alone; the goal's ratio can never exceed schema_copy_ratio.
        "schema_copy_seconds": round(floor_seconds, 2),
        "schema_copy_contacts_seconds": round(floor_contacts_s, 2),
        "schema_copy_phones_seconds": round(floor_phones_s, 2),
        "schema_copy_ratio": round(copy_seconds / floor_seconds, 3),
        "ratio_vs_schema_copy": round(floor_seconds / seconds, 3),
        "tz_phones": rezoned["checked"],
        "tz_changed": rezoned["changed"],
        "tz_seconds": round(tz_seconds, 2),
        "export_rows": exported,
        "export_rows_per_s": round(exported / export_seconds),
        "export_mb": round(size / 2**20, 1),
        "peak_rss_mb_before_export": round(rss_before_export, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.rows))))


if __name__ == "__main__":
    main()
