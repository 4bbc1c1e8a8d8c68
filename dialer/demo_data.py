"""The demo's sample data, written once into the demo's database on its first start.

A real campaign the engine dials through the ordinary wiring (dialer.engine_wiring): an
organization, contact fields and a list of generated Russian mobile numbers, a connector named
after the simulated switch's gateway, a caller-ID group, completion codes, a predictive
strategy with AMD, a running campaign, and robot operators (users with operators) who take
the calls on the simulated switch (dialer.demo_robots).
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from dataclasses import dataclass
from datetime import time

import asyncpg

from dialer.dialing import campaigns, lifecycle
from dialer.passwords import generate_password
from dialer.users import create_user

log = logging.getLogger("dialer.demo")

ORGANIZATION = "Демо"
CAMPAIGN = "Демо: напоминание о платеже"
CONTACTS = 2000
GATEWAY = "carrier"  # fs_app.switchsim.Population's default gateway
ROBOTS = 5
TZ = "Europe/Moscow"
_FIRST = ("Иван", "Анна", "Олег", "Мария", "Павел", "Елена", "Сергей", "Ольга", "Дмитрий", "Наталья")
_LAST = ("Петров", "Смирнов", "Кузнецов", "Иванов", "Соколов", "Попов", "Лебедев", "Козлов", "Новиков", "Морозов")
_CODES = (("sale", "Оплата обещана"), ("refusal", "Отказ"), ("callback", "Перезвонить"))  # RobotProfile's codes


@dataclass(frozen=True)
class DemoData:
    campaign_id: int
    operator_ids: tuple[int, ...]


def _full_name(rng: random.Random) -> str:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    return f"{first} {last}{'а' if first.endswith('а') else ''}"


async def _id(conn: asyncpg.Connection, select: str, insert: str, key: object, *values: object) -> int:
    """The row found by ``key`` ($1 of ``select``), or a new one (``insert`` takes key and values)."""
    found: int | None = await conn.fetchval(select, key)
    if found is not None:
        return found
    made: int = await conn.fetchval(insert, key, *values)
    return made


async def _organization(conn: asyncpg.Connection) -> int:
    return await _id(conn, "SELECT id FROM organizations WHERE name = $1",
                     "INSERT INTO organizations (name, description) VALUES ($1, 'Организация демонстрации') "
                     "RETURNING id", ORGANIZATION)


async def _contact_list(conn: asyncpg.Connection, org_id: int) -> int:
    field_ids = []
    for pos, (name, title, kind) in enumerate((("phone", "Телефон", "phone"), ("name", "ФИО", "text"),
                                               ("amount", "Сумма долга", "number")), 1):
        fid = await _id(conn, "SELECT id FROM contact_fields WHERE name = $1",
                        "INSERT INTO contact_fields (name, title, type) VALUES ($1, $2, $3) RETURNING id",
                        name, title, kind)
        field_ids.append((fid, pos))
    list_id: int = await conn.fetchval(
        "INSERT INTO contact_lists (organization_id, name, description) VALUES ($1, 'Демо: должники', "
        "'Сгенерированные номера для демонстрации') RETURNING id", org_id)
    await conn.executemany("INSERT INTO contact_list_fields (list_id, field_id, position) VALUES ($1, $2, $3)",
                           [(list_id, fid, pos) for fid, pos in field_ids])
    rng = random.Random(7)
    numbers = rng.sample(range(900_000_0000, 999_999_9999), CONTACTS)  # +7 9xx xxx-xx-xx, distinct
    rows = [(list_id, org_id, json.dumps({"phone": f"+7{n}", "name": _full_name(rng),
                                          "amount": str(rng.randrange(500, 90_000, 50))}, ensure_ascii=False))
            for n in numbers]
    ids = [r["id"] for r in await conn.fetch(
        "INSERT INTO contacts (list_id, organization_id, attrs) "
        "SELECT * FROM unnest($1::int[], $2::int[], $3::jsonb[]) RETURNING id",
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])]
    await conn.executemany(
        "INSERT INTO contact_phones (contact_id, list_id, field, e164, tz, tz_source) "
        "VALUES ($1, $2, 'phone', $3, $4, 'code')",
        [(cid, list_id, f"+7{n}", TZ) for cid, n in zip(ids, numbers, strict=True)])
    return list_id


async def _telephony(conn: asyncpg.Connection) -> int:
    """The connector and the caller-ID group; returns the group id."""
    await conn.execute(
        "INSERT INTO connectors (name, address, position, capacity, description) "
        "SELECT $1, '127.0.0.1', 1, 30, 'Шлюз симулятора АТС' WHERE NOT EXISTS "
        "(SELECT 1 FROM connectors WHERE lower(name) = lower($1))", GATEWAY)
    group_id = await _id(conn, "SELECT id FROM caller_id_groups WHERE name = $1",
                         "INSERT INTO caller_id_groups (name) VALUES ($1) RETURNING id", "Демо: Москва")
    for number in ("74951234567", "74951234568"):
        cid = await _id(conn, "SELECT id FROM caller_ids WHERE number = $1",
                        "INSERT INTO caller_ids (number, description) VALUES ($1, 'Демо') RETURNING id", number)
        await conn.execute("INSERT INTO caller_id_group_members (group_id, caller_id_id) VALUES ($1, $2) "
                           "ON CONFLICT DO NOTHING", group_id, cid)
    return group_id


async def _code_group(conn: asyncpg.Connection) -> int:
    group_id = await _id(conn, "SELECT id FROM code_groups WHERE name = $1",
                         "INSERT INTO code_groups (name) VALUES ($1) RETURNING id", "Демо: результаты")
    for key, name in _CODES:
        code_id = await _id(conn, "SELECT id FROM completion_codes WHERE key = $1",
                            "INSERT INTO completion_codes (key, name) VALUES ($1, $2) RETURNING id", key, name)
        await conn.execute("INSERT INTO code_group_members (group_id, code_id) VALUES ($1, $2) "
                           "ON CONFLICT DO NOTHING", group_id, code_id)
    return group_id


async def _strategy(conn: asyncpg.Connection, caller_group: int) -> int:
    return await _id(
        conn, "SELECT id FROM strategies WHERE name = $1",
        "INSERT INTO strategies (name, dial_mode, calls_per_operator, window_start, window_end, ring_timeout, "
        "caller_id_group_id, max_attempts, wrapup_seconds, max_ports, amd) "
        "VALUES ($1, 'predictive', 1.5, $2, $3, 20, $4, 3, 20, 20, true) RETURNING id",
        "Демо: предиктивная", time(0, 0), time(23, 59), caller_group)


async def _robots(conn: asyncpg.Connection, org_id: int) -> tuple[int, ...]:
    """Users with operators for the robots; their passwords are never shown (nobody signs in as them)."""
    role_id = await conn.fetchval("SELECT id FROM roles WHERE preset = 'specialist'")
    out = []
    for i in range(1, ROBOTS + 1):
        user_id = await conn.fetchval("SELECT id FROM users WHERE login = $1", f"robot{i}")
        if user_id is None:
            user_id = await create_user(conn, {"login": f"robot{i}", "password": generate_password(),
                                               "full_name": f"Робот {i}", "role_id": role_id,
                                               "organization_id": org_id, "language": "ru"})
        out.append(await _operator(conn, user_id, org_id, i))
    return tuple(out)


async def _operator(conn: asyncpg.Connection, user_id: int, org_id: int, i: int) -> int:
    found: int | None = await conn.fetchval("SELECT id FROM operators WHERE user_id = $1", user_id)
    if found is not None:
        return found
    op_id: int = await conn.fetchval(
        "INSERT INTO operators (name, user_id, organization_id, description) "
        "VALUES ($1, $2, $3, 'Демо-оператор симулятора') RETURNING id", f"Робот {i}", user_id, org_id)
    await conn.execute("INSERT INTO operator_phones (operator_id, number) VALUES ($1, $2)", op_id, f"10{i:02d}")
    return op_id


async def _amd_samples(conn: asyncpg.Connection) -> int:
    """The recorded robots the simulated switch plays (amd/data/sim/library), as verified samples:
    without them the demo's AMD never says ROBOT. Only into an empty library."""
    from pathlib import Path

    import amd
    from amd.library import SampleLibrary
    from dialer import amd_store

    if await conn.fetchval("SELECT count(*) FROM amd_samples"):
        return 0
    folder = Path(amd.__file__).parent / "data" / "sim" / "library"
    library = SampleLibrary()  # only for the duplicate check between the files
    added = 0
    files = await asyncio.to_thread(lambda: [(p.name, p.read_bytes()) for p in sorted(folder.glob("*.wav"))])
    for name, data in files:
        result = await amd_store.add_sample(conn, library, name, data, status="verified")
        added += result.ok
    return added


async def ensure_demo_data(conn: asyncpg.Connection) -> DemoData:
    """Idempotent: the first start writes everything; later starts find the campaign and reuse it."""
    org_id = await _organization(conn)
    operators = await _robots(conn, org_id)
    campaign_id: int | None = await conn.fetchval("SELECT id FROM campaigns WHERE name = $1", CAMPAIGN)
    if campaign_id is None:
        async with conn.transaction():
            list_id = await _contact_list(conn, org_id)
            caller_group = await _telephony(conn)
            strategy_id = await _strategy(conn, caller_group)
            code_group = await _code_group(conn)
            campaign_id = await campaigns.save(conn, {
                "name": CAMPAIGN, "organization_id": org_id, "strategy_id": strategy_id,
                "code_group_id": code_group, "lists": [list_id], "campaign_tz": TZ,
                "description": "Демонстрационная кампания: роботы-операторы на симуляторе АТС",
            })
            await lifecycle.change_state(conn, campaign_id, "start")
            samples = await _amd_samples(conn)
        log.info("demo: sample campaign %s with %d contacts and %d AMD samples created", campaign_id, CONTACTS,
                 samples)
    return DemoData(campaign_id, operators)
