"""Campaign configuration against the real database: seeds, validation, "in use" refusals."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from dialer.campaigns import refs, scripts, telephony
from dialer.campaigns.codes import CODE_GROUPS, CODES, SYSTEM_CODES
from dialer.campaigns.operators import OPERATORS, SKILLS
from dialer.campaigns.scripts import SCRIPTS
from dialer.campaigns.strategies import STRATEGIES
from dialer.campaigns.telephony import CALLER_ID_GROUPS, CONNECTORS
from dialer.campaigns.templates import TEMPLATES
from dialer.errors import Conflict, InvalidInput
from tests.webtools import make_user

BASE: dict[str, Any] = {
    "name": "Основная",
    "dial_mode": "progressive",
    "calls_per_operator": "1.5",
    "sip_id_type": "contact",
    "window_start": "09:00",
    "window_end": "21:00",
    "ring_timeout": "30",
}


async def _code_id(conn: asyncpg.Connection, key: str) -> int:
    value: int = await conn.fetchval("SELECT id FROM completion_codes WHERE key = $1", key)
    return value


async def test_system_codes_are_seeded_with_russian_names_and_cannot_be_deleted(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT key, name, system FROM completion_codes")
        assert {r["key"] for r in rows} == set(SYSTEM_CODES)
        assert all(r["system"] and any("а" <= ch <= "я" for ch in r["name"].lower()) for r in rows)
        busy = await _code_id(conn, "busy")
        with pytest.raises(Conflict, match="system code"):
            await refs.delete(conn, CODES, busy)
        # the name of a system code may change, its key and origin may not
        await refs.save(conn, CODES, {"name": "Линия занята", "key": "hacked", "used_by": "operator"}, busy)
        row = await conn.fetchrow("SELECT key, name, used_by FROM completion_codes WHERE id = $1", busy)
        assert dict(row) == {"key": "busy", "name": "Линия занята", "used_by": "system"}


async def test_codes_validate_and_names_are_unique(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        with pytest.raises(InvalidInput) as err:
            await refs.save(conn, CODES, {"name": "", "key": "Bad Key", "used_by": "robot"})
        assert set(err.value.fields) == {"name", "key", "used_by"}
        await refs.save(conn, CODES, {"name": "Продажа", "key": "sale", "used_by": "operator"})
        with pytest.raises(InvalidInput) as err:
            await refs.save(conn, CODES, {"name": "продажа", "key": "sale2", "used_by": "operator"})
        assert err.value.fields == {"name": "already exists"}


async def test_a_code_or_template_used_by_rules_is_not_deleted(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        sale = await refs.save(conn, CODES, {"name": "Продажа", "key": "sale", "used_by": "operator"})
        sms = await refs.save(
            conn, TEMPLATES, {"name": "Напоминание", "channel": "sms", "body": "@name, ждём"}
        )
        group = await refs.save(conn, CODE_GROUPS, {"name": "Продажи", "code_ids": [str(sale)]})
        rules = {"working": [{"code": "sale", "actions": [{"type": "sms", "template_id": sms}]}]}
        await refs.save(conn, STRATEGIES, {**BASE, "rules": rules})
        with pytest.raises(Conflict) as err:
            await refs.delete(conn, CODES, sale)
        assert "strategy rules: Основная" in str(err.value) and "code group: Продажи" in str(err.value)
        with pytest.raises(Conflict, match="strategy rules: Основная"):
            await refs.delete(conn, TEMPLATES, sms)
        await refs.delete(conn, CODE_GROUPS, group)
        with pytest.raises(Conflict, match="Основная"):
            await refs.delete(conn, CODES, sale)


async def test_strategy_fields_are_checked(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        bad = {
            **BASE,
            "ring_timeout": "10",
            "intensity": "high",
            "min_operators": "5",
            "max_operators": "2",
            "quality_percent": "10",
            "window_start": "25:00",
        }
        with pytest.raises(InvalidInput) as err:
            await refs.save(conn, STRATEGIES, bad)
        assert set(err.value.fields) == {"ring_timeout", "window_start"}
        bad |= {"ring_timeout": "15", "window_start": "22:00"}
        with pytest.raises(InvalidInput) as err:
            await refs.save(conn, STRATEGIES, bad)
        assert set(err.value.fields) == {"intensity", "max_operators", "quality_ivr_id"}
        with pytest.raises(InvalidInput) as err:
            await refs.save(conn, STRATEGIES, {**BASE, "rules": "{not json"})
        assert "not valid JSON" in err.value.fields["rules"]
        with pytest.raises(InvalidInput) as err:
            await refs.save(
                conn,
                STRATEGIES,
                {**BASE, "rules": {"working": [{"code": "nope", "actions": [{"type": "finish"}]}]}},
            )
        assert err.value.fields == {"rules": "unknown completion codes: nope"}
        with pytest.raises(InvalidInput, match="no such notification templates: email 77"):
            await refs.save(
                conn,
                STRATEGIES,
                {
                    **BASE,
                    "rules": {
                        "holiday": [{"code": "busy", "actions": [{"type": "email", "template_id": 77}]}]
                    },
                },
            )
        sid = await refs.save(
            conn,
            STRATEGIES,
            {
                **BASE,
                "window_start": "21:00",
                "window_end": "06:00",
                "rules": {
                    "working": [{"code": "busy", "actions": [{"type": "move", "list_id": 12345678901}]}]
                },
            },
        )
        row = await refs.get(conn, STRATEGIES, sid)
        assert row["rules"]["working"][0]["actions"] == [{"type": "move", "list_id": 12345678901}]
        assert str(row["calls_per_operator"]) == "1.50" and row["quality_percent"] == 0


async def test_caller_id_group_and_skill_in_use(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        assert (
            await telephony.import_caller_ids(
                conn, "7 495 000-00-01;Москва\n74950000002\n\n74950000001;Центр"
            )
            == 2
        )
        ids = [r["id"] for r in await conn.fetch("SELECT id FROM caller_ids ORDER BY number")]
        assert (
            await conn.fetchval("SELECT description FROM caller_ids WHERE number = '74950000001'") == "Центр"
        )
        with pytest.raises(InvalidInput, match="lines that are not phone numbers: 2"):
            await telephony.import_caller_ids(conn, "74950000003\nhello")
        group = await refs.save(
            conn, CALLER_ID_GROUPS, {"name": "Москва", "caller_id_ids": [str(i) for i in ids]}
        )
        assert await telephony.group_numbers(conn, group) == ["74950000001", "74950000002"]
        skill = await refs.save(conn, SKILLS, {"name": "Продажи"})
        await refs.save(conn, STRATEGIES, {**BASE, "caller_id_group_id": str(group), "skill_id": str(skill)})
        with pytest.raises(Conflict, match="strategy: Основная"):
            await refs.delete(conn, CALLER_ID_GROUPS, group)
        with pytest.raises(Conflict, match="strategy: Основная"):
            await refs.delete(conn, SKILLS, skill)
        assert await telephony.delete_caller_ids(conn, ids[:1]) == 1
        assert await telephony.delete_caller_ids(conn, None) == 1
        assert await telephony.group_numbers(conn, group) == []


async def test_operators_skills_and_phones(pool: asyncpg.Pool) -> None:
    u1 = await make_user(pool, "op1", preset="specialist")
    u2 = await make_user(pool, "op2", preset="specialist")
    async with pool.acquire() as conn:
        await refs.save(conn, SKILLS, {"name": "Продажи"})
        oid = await refs.save(
            conn,
            OPERATORS,
            {
                "name": "Иванова",
                "user_id": str(u1),
                "phones": "+7 916 000 00 01\n79160000002",
                "skills": "продажи = 80 / 20",
            },
        )
        row = await refs.get(conn, OPERATORS, oid)
        assert row["phones"] == ["+79160000001", "79160000002"]
        assert [(s["name"], s["level"], s["wrapup_seconds"]) for s in row["skills"]] == [("Продажи", 80, 20)]
        with pytest.raises(InvalidInput) as err:
            await refs.save(conn, OPERATORS, {"name": "иванова", "user_id": str(u2)})
        assert err.value.fields == {"name": "already exists"}
        with pytest.raises(InvalidInput) as err:
            await refs.save(conn, OPERATORS, {"name": "Петров", "user_id": str(u1)})
        assert err.value.fields == {"user_id": "already exists"}
        with pytest.raises(InvalidInput, match="no such skill: Танцы"):
            await refs.save(conn, OPERATORS, {"name": "Петров", "user_id": str(u2), "skills": "Танцы = 5"})
        other = await refs.save(
            conn, OPERATORS, {"name": "Петров", "user_id": str(u2), "phones": "79160000002"}
        )
        # a shared number, but one signed-in operator at a time
        await conn.execute(
            "INSERT INTO operator_phone_sessions (number, operator_id) VALUES ('79160000002', $1)", oid
        )
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.execute(
                "INSERT INTO operator_phone_sessions (number, operator_id) VALUES ('79160000002', $1)", other
            )


async def test_script_answers_need_mandatory_questions(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        sid = await refs.save(
            conn, SCRIPTS, {"name": "Опрос", "questions": "age | Возраст? | required\nnote | Заметка"}
        )
        with pytest.raises(InvalidInput) as err:
            await scripts.save_answers(conn, 10**12, 5, sid, {"note": "x", "zzz": "1"})
        assert err.value.fields == {"zzz": "no such question", "age": "required"}
        await scripts.save_answers(conn, 10**12, 5, sid, {"age": "42"})
        await scripts.save_answers(conn, 10**12, 5, sid, {"age": "43", "note": "перезвонить"})
        assert await scripts.answers_of(conn, 10**12) == {"age": "43", "note": "перезвонить"}


async def test_connectors_mode_and_load(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await refs.save(
            conn,
            CONNECTORS,
            {"name": "fs1", "address": "10.0.0.1", "position": "2", "capacity": "30", "active": "on"},
        )
        await refs.save(
            conn, CONNECTORS, {"name": "fs2", "address": "10.0.0.2", "position": "1", "capacity": "10"}
        )
        await telephony.set_connector_mode(conn, "round_robin")
        conns, mode = await telephony.load_connectors(conn)
        assert mode == "round_robin"
        picked = telephony.pick_connector(conns, {}, mode, None)
        assert picked is not None and picked.address == "10.0.0.1"  # fs2 is inactive
        with pytest.raises(InvalidInput):
            await telephony.set_connector_mode(conn, "random")


async def test_tables_added_later_are_named_when_they_refer_to_an_object(pool: asyncpg.Pool) -> None:
    """Foreign keys are read from the catalog: a campaign-like table needs no registration."""
    async with pool.acquire() as conn:
        sid = await refs.save(conn, STRATEGIES, BASE)
        await conn.execute(
            "CREATE TABLE later_users (id serial PRIMARY KEY, name text, "
            "strategy_id integer REFERENCES strategies (id) ON DELETE RESTRICT)"
        )
        await conn.execute(
            "INSERT INTO later_users (name, strategy_id) VALUES ('Весна', $1), ('Лето', $1)", sid
        )
        with pytest.raises(Conflict) as err:
            await refs.delete(conn, STRATEGIES, sid)
        assert str(err.value) == "in use by later_users: Весна, Лето"
        await conn.execute("DELETE FROM later_users")
        await refs.delete(conn, STRATEGIES, sid)


async def test_a_queue_password_is_never_shown_and_empty_keeps_it(pool: asyncpg.Pool) -> None:
    from dialer.campaigns.telephony import QUEUES

    async with pool.acquire() as conn:
        qid = await refs.save(
            conn, QUEUES, {"name": "Входящие", "number": "100", "password": "s3cret", "identifier": "in"}
        )
        assert refs.form_values(QUEUES, await refs.get(conn, QUEUES, qid))["password"] == ""
        await refs.save(
            conn, QUEUES, {"name": "Входящие", "number": "101", "password": "", "identifier": "in"}, qid
        )
        assert await conn.fetchval("SELECT password FROM queues WHERE id = $1", qid) == "s3cret"
        with pytest.raises(InvalidInput) as err:
            await refs.save(conn, QUEUES, {"name": "Другая", "number": "102", "identifier": "in"})
        assert err.value.fields == {"identifier": "already exists"}
