"""Users, roles, organizations and audit through the portal and the API (R1.2-R1.6, R1.8)."""

from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from dialer.tokens import create_token
from tests.webtools import make_user, post_form, sign_in


async def _token(pool: asyncpg.Pool, login: str, preset: str = "administrator", **kw: object) -> dict[str, str]:
    uid = await make_user(pool, login, preset=preset, **kw)  # type: ignore[arg-type]
    async with pool.acquire() as conn:
        _, token = await create_token(conn, uid, "tests")
    return {"Authorization": f"Bearer {token}"}


async def test_user_crud_through_the_portal_with_errors_beside_fields(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "adm")
    csrf = await sign_in(client, "adm")
    async with pool.acquire() as conn:
        role_id = await conn.fetchval("SELECT id FROM roles WHERE preset='specialist'")
    resp = await post_form(client, "/settings/users/new", csrf, {"login": "a b", "password": "123", "role_id": ""})
    text = await resp.text()
    assert resp.status == 422
    assert "2–64 символа" in text and "не менее 8 символов" in text and "обязательное поле" in text
    resp = await post_form(client, "/settings/users/new", csrf, {
        "login": "op1", "password": "operator-pass", "role_id": role_id, "full_name": "Оператор Один",
        "email": "op1@example.org", "active": "on"})
    assert resp.status == 302
    listing = await (await client.get("/settings/users?q=Один")).text()
    assert "op1" in listing and "adm" not in listing.split("<tbody>")[1]
    async with pool.acquire() as conn:
        uid = await conn.fetchval("SELECT id FROM users WHERE login='op1'")
    resp = await post_form(client, f"/settings/users/{uid}", csrf, {
        "role_id": role_id, "full_name": "Оператор 1", "email": "bad-mail", "active": "on"})
    assert resp.status == 422 and "это не адрес e-mail" in await resp.text()
    async with pool.acquire() as conn:  # nothing stored from the rejected form
        assert await conn.fetchval("SELECT full_name FROM users WHERE id=$1", uid) == "Оператор Один"
    resp = await post_form(client, f"/settings/users/{uid}/delete", csrf)
    assert resp.status == 302
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM users WHERE login='op1'") == 0


async def test_table_sorts_searches_and_pages(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "adm2")
    async with pool.acquire() as conn:
        await conn.executemany("INSERT INTO organizations (name) VALUES ($1)", [(f"Org {i:02d}",) for i in range(30)])
    await sign_in(client, "adm2")
    page1 = await (await client.get("/settings/organizations?sort=name&dir=desc&per=10")).text()
    assert page1.index("Org 29") < page1.index("Org 28") and "Org 19" not in page1
    assert "Страница 1 из 3" in page1
    page3 = await (await client.get("/settings/organizations?sort=name&dir=desc&per=10&page=3")).text()
    assert "Org 00" in page3 and "Org 29" not in page3
    found = await (await client.get("/settings/organizations?q=org+1")).text()
    assert "Найдено: 10" in found
    hostile = await client.get("/settings/organizations?sort=name;DROP TABLE users&dir=sideways&page=-3&per=7")
    assert hostile.status == 200  # unknown values fall back to defaults, never reach SQL


async def test_roles_custom_role_rights_and_set_all(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "adm3")
    csrf = await sign_in(client, "adm3")
    form = {"name": "Только пользователи", "description": "чтение", "pages[]": "settings.users",
            "obj_users": "read", "org_access": "all", "report_access": "list",
            "field_name_0": "phone", "field_visible_0": "on", "field_masked_0": "on"}
    resp = await post_form(client, "/settings/roles/new", csrf, form)
    assert resp.status == 302, await resp.text()
    async with pool.acquire() as conn:
        role = await conn.fetchrow("SELECT * FROM roles WHERE name='Только пользователи'")
    assert role["pages"] == ["settings.users"]
    assert role["objects"] == {"users": "read"}
    assert role["field_rules"] == {"phone": {"visible": True, "masked": True}}
    await make_user(pool, "reader", role_id=role["id"])
    await post_form(client, "/logout", csrf)
    csrf2 = await sign_in(client, "reader")
    assert (await client.get("/settings/users")).status == 200
    assert (await client.get("/settings/users/new", allow_redirects=False)).status == 403
    resp = await post_form(client, "/settings/users/new", csrf2, {"login": "zz", "password": "zzzzzzzz"})
    assert resp.status == 403
    home = await (await client.get("/")).text()
    assert "/settings/users" in home and "/settings/roles" not in home


async def test_preset_roles_cannot_be_deleted_and_a_used_role_names_its_users(
    client: TestClient, pool: asyncpg.Pool
) -> None:
    headers = await _token(pool, "adm4")
    roles = (await (await client.get("/api/v1/roles", headers=headers)).json())["items"]
    presets = {r["preset"]: r["id"] for r in roles if r["preset"]}
    assert set(presets) == {"administrator", "supervisor", "specialist", "auditor"}
    resp = await client.delete(f"/api/v1/roles/{presets['supervisor']}", headers=headers)
    assert resp.status == 409
    resp = await client.put(f"/api/v1/roles/{presets['administrator']}", json={"name": "x"}, headers=headers)
    assert resp.status == 422
    created = await (await client.post("/api/v1/roles", json={"name": "Custom", "pages": ["nope"]},
                                       headers=headers)).json()
    assert "pages" in created["fields"]
    role = await (await client.post("/api/v1/roles", json={"name": "Custom"}, headers=headers)).json()
    await make_user(pool, "holder", role_id=role["id"])
    resp = await client.delete(f"/api/v1/roles/{role['id']}", headers=headers)
    assert resp.status == 409 and "holder" in (await resp.json())["message"]


async def test_organization_scope_limits_what_a_supervisor_sees(client: TestClient, pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn:
        await conn.execute("UPDATE roles SET objects = objects || '{\"users\": \"full\"}' WHERE preset='supervisor'")
    headers = await _token(pool, "sup", preset="supervisor", org="Север")
    await make_user(pool, "north-op", preset="specialist", org="Север")
    south = await make_user(pool, "south-op", preset="specialist", org="Юг")
    items = (await (await client.get("/api/v1/users?per=100", headers=headers)).json())["items"]
    logins = {u["login"] for u in items}
    assert "north-op" in logins and "south-op" not in logins
    assert (await client.get(f"/api/v1/users/{south}", headers=headers)).status == 404
    async with pool.acquire() as conn:
        south_org = await conn.fetchval("SELECT id FROM organizations WHERE name='Юг'")
        role_id = await conn.fetchval("SELECT id FROM roles WHERE preset='specialist'")
    resp = await client.post("/api/v1/users", headers=headers, json={
        "login": "sneaky", "password": "sneaky-pass", "role_id": role_id, "organization_id": south_org})
    assert resp.status == 422 and "organization_id" in (await resp.json())["fields"]


async def test_api_tokens_are_per_user_shown_once_and_revocable(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "tok")
    csrf = await sign_in(client, "tok")
    resp = await post_form(client, "/profile/tokens", csrf, {"name": "CRM"})
    page = await resp.text()
    token = page.split('id="new-token">')[1].split("<")[0]
    assert token.startswith("dlr_")
    assert token not in await (await client.get("/profile")).text()  # shown once
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM api_tokens WHERE token_hash=$1", token) == 0
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert (await me.json())["login"] == "tok"
    tokens = (await (await client.get("/api/v1/me/tokens", headers={"Authorization": f"Bearer {token}"})).json())
    token_id = tokens["items"][0]["id"]
    assert "token_hash" not in tokens["items"][0]
    await post_form(client, f"/profile/tokens/{token_id}/revoke", csrf)
    again = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert again.status == 401


async def test_audit_records_mutations_with_secrets_redacted_for_the_auditor(
    client: TestClient, pool: asyncpg.Pool
) -> None:
    admin = await _token(pool, "adm5")
    auditor = await _token(pool, "aud", preset="auditor")
    async with pool.acquire() as conn:
        role_id = await conn.fetchval("SELECT id FROM roles WHERE preset='specialist'")
    resp = await client.post("/api/v1/users", headers=admin, json={
        "login": "newbie", "password": "very-secret-pw", "role_id": role_id})
    assert resp.status == 201
    assert (await client.get("/api/v1/audit", headers=admin)).status == 200
    rows = (await (await client.get("/api/v1/audit?action=api.users", headers=auditor)).json())["items"]
    entry = next(r for r in rows if r["action"] == "api.users.create")
    assert entry["login"] == "adm5" and entry["status"] == 201 and entry["method"] == "POST"
    assert entry["path"] == "/api/v1/users"
    assert '"very-secret-pw"' not in entry["input"] and "***" in entry["input"] and "newbie" in entry["input"]
    assert (await client.get("/api/v1/users", headers=auditor)).status == 403
    page_client_rows = await client.get("/api/v1/audit?from=not-a-date", headers=auditor)
    assert page_client_rows.status == 400


async def test_openapi_document_lists_every_api_route(client: TestClient) -> None:
    doc = await (await client.get("/api/v1/openapi.json")).json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/users/{id}" in doc["paths"]
    assert doc["paths"]["/api/v1/users"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert "UserIn" in doc["components"]["schemas"]
    from web.routes import API

    assert sum(len(ops) for ops in doc["paths"].values()) == len(API)


async def test_refused_mutations_are_audited_too(client: TestClient, pool: asyncpg.Pool) -> None:
    headers = await _token(pool, "aud2", preset="auditor")
    resp = await client.post("/api/v1/organizations", json={"name": "Z"}, headers=headers)
    assert resp.status == 403
    anon = await client.delete("/api/v1/users/1")
    assert anon.status == 401
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT action, login, status FROM audit_log ORDER BY id")
    assert [tuple(r) for r in rows] == [("api.organizations.create", "aud2", 403), ("api.users.delete", "", 401)]


async def test_a_non_numeric_organization_in_a_form_is_a_field_error(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "orgform")
    csrf = await sign_in(client, "orgform")
    for path in ("/contacts/lists/new", "/contacts/dnc/new"):
        resp = await post_form(client, path, csrf, {"name": "Бета", "organization_id": "abc"})
        assert resp.status == 422, path
        assert "должно быть числом" in await resp.text(), path
