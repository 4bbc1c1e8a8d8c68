"""Campaign-configuration pages and API: forms with errors, tables, refusals, access by preset."""

from __future__ import annotations

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from tests.webtools import make_user, post_form, sign_in
from web.views.campaigns.pages import ALL_PAGES


async def test_every_list_and_new_form_renders_for_the_administrator(
    client: TestClient, pool: asyncpg.Pool
) -> None:
    await make_user(pool, "admin")
    await sign_in(client, "admin")
    for p in ALL_PAGES:
        resp = await client.get(p.url + "?sort=name&q=a&per=10")
        assert resp.status == 200, p.url
        text = await resp.text()
        assert 'class="data"' in text and "table-search" in text, p.url
        assert (await client.get(p.url + "/new")).status == 200, p.url


async def test_code_form_shows_errors_beside_fields_and_system_codes_stay(
    client: TestClient, pool: asyncpg.Pool
) -> None:
    await make_user(pool, "admin", language="ru")
    csrf = await sign_in(client, "admin")
    resp = await post_form(
        client, "/campaigns/codes/new", csrf, {"name": "", "key": "Bad", "used_by": "operator"}
    )
    assert resp.status == 422
    text = await resp.text()
    assert "has-error" in text and "обязательное поле" in text
    resp = await post_form(
        client, "/campaigns/codes/new", csrf, {"name": "Продажа", "key": "sale", "used_by": "operator"}
    )
    assert resp.status == 302
    listing = await (await client.get("/campaigns/codes?q=Прод")).text()
    assert "Продажа" in listing and ">sale<" in listing and "Занято" not in listing
    async with pool.acquire() as conn:
        busy = await conn.fetchval("SELECT id FROM completion_codes WHERE key = 'busy'")
    await post_form(client, f"/campaigns/codes/{busy}/delete", csrf)
    page = await (await client.get("/campaigns/codes")).text()
    assert "системный код нельзя удалить" in page
    form = await (await client.get(f"/campaigns/codes/{busy}")).text()
    assert 'name="key"' in form and "disabled" in form


async def test_strategy_page_explains_a_window_across_midnight_and_rule_errors(
    client: TestClient, pool: asyncpg.Pool
) -> None:
    await make_user(pool, "admin", language="ru")
    csrf = await sign_in(client, "admin")
    data = {
        "name": "Ночь",
        "dial_mode": "progressive",
        "calls_per_operator": "1",
        "sip_id_type": "contact",
        "window_start": "21:00",
        "window_end": "06:00",
        "ring_timeout": "10",
        "rules": '{"working": [{"code": "busy", "actions": [{"type": "retry", "after_seconds": -1}]}]}',
    }
    resp = await post_form(client, "/campaigns/strategies/new", csrf, data)
    assert resp.status == 422
    text = await resp.text()
    assert "через полночь" in text
    assert "вне допустимого диапазона" in text  # ring timeout
    assert "working[0].actions[0].after_seconds" in text
    data |= {"ring_timeout": "15", "rules": '{"working": [{"code": "busy", "actions": [{"type": "retry"}]}]}'}
    resp = await post_form(client, "/campaigns/strategies/new", csrf, data)
    assert resp.status == 302, await resp.text()
    async with pool.acquire() as conn:
        sid = await conn.fetchval("SELECT id FROM strategies WHERE name = 'Ночь'")
    form = await (await client.get(f"/campaigns/strategies/{sid}")).text()
    assert "через полночь" in form and "21:00" in form


async def test_deleting_a_used_template_names_the_strategy(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "admin", language="ru")
    csrf = await sign_in(client, "admin")
    resp = await client.post(
        "/api/v1/notification-templates",
        json={"name": "SMS1", "channel": "sms", "body": "@name"},
        headers={"X-CSRF-Token": csrf},
    )
    assert resp.status == 201, await resp.text()
    tid = (await resp.json())["id"]
    resp = await client.post(
        "/api/v1/strategies",
        headers={"X-CSRF-Token": csrf},
        json={
            "name": "Смс",
            "window_start": "9:00",
            "window_end": "20:30",
            "rules": {"working": [{"code": "no_answer", "actions": [{"type": "sms", "template_id": tid}]}]},
        },
    )
    assert resp.status == 201, await resp.text()
    body = await resp.json()
    assert body["window_start"] == "09:00" and body["rules"]["working"][0]["actions"][0]["template_id"] == tid
    resp = await client.delete(f"/api/v1/notification-templates/{tid}", headers={"X-CSRF-Token": csrf})
    assert resp.status == 409
    assert (await resp.json())["message"] == "in use by strategy rules: Смс"
    await post_form(client, f"/messaging/templates/{tid}/delete", csrf)
    page = await (await client.get("/messaging/templates")).text()
    assert "используется" in page and "правила стратегии: Смс" in page


async def test_caller_id_import_and_bulk_delete_pages(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "admin")
    csrf = await sign_in(client, "admin")
    resp = await post_form(client, "/directories/caller-ids/import", csrf, {"numbers": "74950000001;A\nxx"})
    assert resp.status == 422 and "has-error" in await resp.text()
    resp = await post_form(
        client, "/directories/caller-ids/import", csrf, {"numbers": "74950000001;A\n74950000002"}
    )
    assert resp.status == 302
    async with pool.acquire() as conn:
        first = await conn.fetchval("SELECT id FROM caller_ids WHERE number = '74950000001'")
    await post_form(
        client, "/directories/caller-ids/delete", csrf, {"scope": "selected", "ids[]": str(first)}
    )
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM caller_ids") == 1
    await post_form(client, "/directories/caller-ids/delete", csrf, {"scope": "all"})
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM caller_ids") == 0
    resp = await post_form(client, "/directories/connectors/mode", csrf, {"mode": "last"})
    assert resp.status == 302
    assert 'value="last" selected' in await (await client.get("/directories/connectors")).text()


async def test_operators_are_scoped_to_organizations(client: TestClient, pool: asyncpg.Pool) -> None:
    uid_a = await make_user(pool, "opa", preset="specialist", org="Альфа")
    await make_user(pool, "opb", preset="specialist", org="Бета")
    async with pool.acquire() as conn:
        org_a = await conn.fetchval("SELECT id FROM organizations WHERE name = 'Альфа'")
        org_b = await conn.fetchval("SELECT id FROM organizations WHERE name = 'Бета'")
        role = await conn.fetchval(
            "INSERT INTO roles (name, pages, objects, org_access) VALUES ('Оп', $1, $2, 'own') RETURNING id",
            ["operators.operators"],
            {"operators": "full"},
        )
        hidden = await conn.fetchval(
            "INSERT INTO operators (name, user_id, organization_id) VALUES ('Скрытый', $1, $2) RETURNING id",
            await conn.fetchval("SELECT id FROM users WHERE login = 'opb'"),
            org_b,
        )
    await make_user(pool, "boss", role_id=role, org="Альфа")
    csrf = await sign_in(client, "boss")
    assert (await client.get(f"/operators/operators/{hidden}")).status == 404
    resp = await post_form(
        client,
        "/operators/operators/new",
        csrf,
        {"name": "Чужой", "user_id": str(uid_a), "organization_id": str(org_b)},
    )
    assert resp.status == 422
    resp = await post_form(
        client,
        "/operators/operators/new",
        csrf,
        {"name": "Свой", "user_id": str(uid_a), "organization_id": str(org_a), "phones": "79160000001"},
    )
    assert resp.status == 302, await resp.text()
    listing = await (await client.get("/operators/operators")).text()
    assert "Свой" in listing and "Скрытый" not in listing


@pytest.mark.parametrize(
    "preset, allowed, refused",
    [
        (
            "supervisor",
            ["/campaigns/codes", "/campaigns/code-groups", "/campaigns/scripts", "/campaigns/strategies"],
            ["/directories/connectors", "/operators/operators", "/messaging/templates"],
        ),
        (
            "specialist",
            [],
            ["/campaigns/codes", "/campaigns/strategies", "/directories/caller-ids", "/operators/skills"],
        ),
    ],
)
async def test_presets(
    client: TestClient, pool: asyncpg.Pool, preset: str, allowed: list[str], refused: list[str]
) -> None:
    await make_user(pool, f"p-{preset}", preset=preset)
    csrf = await sign_in(client, f"p-{preset}")
    for path in allowed:
        assert (await client.get(path)).status == 200, path
        assert (await client.get(path + "/new")).status == 200, path
    for path in refused:
        assert (await client.get(path, allow_redirects=False)).status == 403, path
    if preset == "supervisor":
        resp = await post_form(client, "/campaigns/code-groups/new", csrf, {"name": "Основные"})
        assert resp.status == 302


async def test_strategy_form_summarises_the_rules(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "admin", language="ru")
    csrf = await sign_in(client, "admin")
    rules = '{"working": [{"code": "busy", "attempts_previous": 2, "actions": [{"type": "retry", "field": "phone2"}]}]}'
    data = {
        "name": "Сводка",
        "dial_mode": "progressive",
        "calls_per_operator": "1",
        "sip_id_type": "contact",
        "window_start": "09:00",
        "window_end": "21:00",
        "ring_timeout": "20",
        "rules": rules,
    }
    assert (await post_form(client, "/campaigns/strategies/new", csrf, data)).status == 302
    async with pool.acquire() as conn:
        sid = await conn.fetchval("SELECT id FROM strategies WHERE name = 'Сводка'")
    page = await (await client.get(f"/campaigns/strategies/{sid}")).text()
    assert "busy: на тот же номер всего 2 раз(а), с интервалом 600 с" in page
    assert "позвонить на phone2 через 600 с" in page


async def test_operator_api_takes_skills_and_phones(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "admin")
    uid = await make_user(pool, "op1", preset="specialist")
    csrf = await sign_in(client, "admin")
    h = {"X-CSRF-Token": csrf}
    skill = await (await client.post("/api/v1/skills", json={"name": "Продажи"}, headers=h)).json()
    body = {
        "name": "Иванова",
        "user_id": uid,
        "phones": ["+7 916 000-00-01"],
        "skills": [{"skill_id": skill["id"], "level": 70, "wrapup_seconds": 15}],
    }
    resp = await client.post("/api/v1/operators", json=body, headers=h)
    assert resp.status == 201, await resp.text()
    op = await resp.json()
    assert op["phones"] == ["+79160000001"]
    assert op["skills"] == [{"skill": skill["id"], "name": "Продажи", "level": 70, "wrapup_seconds": 15}]
    bad = {**body, "name": "Другой", "skills": [{"skill_id": skill["id"], "level": 101}]}
    resp = await client.post("/api/v1/operators", json=bad, headers=h)
    assert resp.status == 422 and "skills.0.level" in (await resp.json())["fields"]
    resp = await client.delete(f"/api/v1/skills/{skill['id']}", headers=h)
    assert resp.status == 409 and "Иванова" in (await resp.json())["message"]
    listing = await (await client.get("/api/v1/operators?q=Иван", headers=h)).json()
    assert listing["total"] == 1 and listing["items"][0]["login"] == "op1"
