from __future__ import annotations

import asyncpg
from aiohttp.test_utils import TestClient

from tests.webtools import csrf_of, make_user, post_form, sign_in


async def test_login_page_is_russian_and_admin_sees_navigation(client: TestClient, pool: asyncpg.Pool) -> None:
    resp = await client.get("/login")
    text = await resp.text()
    assert resp.status == 200
    assert "Вход" in text and 'lang="ru"' in text
    await make_user(pool, "boss")
    await sign_in(client, "boss")
    home = await (await client.get("/")).text()
    for section in ("Мониторинг", "Кампании", "Контакты", "Операторы", "Справочники",
                    "Неголосовые коммуникации", "Отчёты", "Супервизор", "Настройки"):
        assert section in home, section
    assert "/settings/users" in home


async def test_anonymous_is_sent_to_login(client: TestClient) -> None:
    resp = await client.get("/settings/users?sort=login", allow_redirects=False)
    assert resp.status == 302
    assert resp.headers["Location"].startswith("/login?next=/settings/users")


async def test_wrong_password_is_generic_and_rate_limited(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "victim")
    token = await csrf_of(client)
    bodies = []
    for _ in range(5):
        resp = await post_form(client, "/login", token, {"login": "victim", "password": "wrong-wrong"})
        assert resp.status == 401
        bodies.append(await resp.text())
    unknown = await post_form(client, "/login", token, {"login": "nobody-here", "password": "x"})
    assert "Неверный логин или пароль" in bodies[0]
    assert "Неверный логин или пароль" in await unknown.text()
    # the sixth try with the RIGHT password is refused too: the limit is per login
    resp = await post_form(client, "/login", token, {"login": "victim", "password": "secret-pass-1"})
    assert resp.status == 429
    async with pool.acquire() as conn:
        actions = [r["action"] for r in await conn.fetch("SELECT action FROM audit_log ORDER BY id")]
    assert actions.count("login.failed") == 6 and actions[-1] == "login.rate_limited"


async def test_csrf_is_required_on_forms(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "admin1")
    await sign_in(client, "admin1")
    resp = await client.post("/settings/organizations/new", data={"name": "X"}, allow_redirects=False)
    assert resp.status == 403
    resp = await client.post("/settings/organizations/new", data={"name": "X", "_csrf": "forged"},
                             allow_redirects=False)
    assert resp.status == 403
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM organizations WHERE name='X'") == 0


async def test_session_id_changes_at_login_and_logout_ends_it(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "admin2")
    await csrf_of(client)
    before = client.session.cookie_jar.filter_cookies(client.make_url("/"))["dialer_session"].value
    csrf = await sign_in(client, "admin2")
    after = client.session.cookie_jar.filter_cookies(client.make_url("/"))["dialer_session"].value
    assert before != after
    resp = await post_form(client, "/logout", csrf)
    assert resp.status == 302
    resp = await client.get("/", allow_redirects=False)
    assert resp.status == 302 and resp.headers["Location"].startswith("/login")


async def test_idle_session_expires(client: TestClient, pool: asyncpg.Pool, live) -> None:  # type: ignore[no-untyped-def]
    await make_user(pool, "admin3")
    await sign_in(client, "admin3")
    sid = client.session.cookie_jar.filter_cookies(client.make_url("/"))["dialer_session"].value
    ttl = await live.client.ttl(live.key("session", sid))
    assert 0 < ttl <= 30 * 60
    await live.delete("session", sid)  # what the TTL does after 30 idle minutes
    resp = await client.get("/", allow_redirects=False)
    assert resp.status == 302


async def test_password_change_rules(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "pw")
    csrf = await sign_in(client, "pw")
    resp = await post_form(client, "/password/change", csrf,
                           {"old_password": "bad-old-pass", "new_password": "short", "new_password2": "short"})
    text = await resp.text()
    assert resp.status == 422
    assert "Неверный пароль" in text
    resp = await post_form(client, "/password/change", csrf,
                           {"old_password": "secret-pass-1", "new_password": "short", "new_password2": "short"})
    assert "не менее 8 символов" in await resp.text()
    resp = await post_form(client, "/password/change", csrf,
                           {"old_password": "secret-pass-1", "new_password": "new-pass-123",
                            "new_password2": "new-pass-123"})
    assert resp.status == 302
    await post_form(client, "/logout", csrf)
    await sign_in(client, "pw", "new-pass-123")


async def test_language_switch_is_remembered_per_user(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "eng")
    csrf = await sign_in(client, "eng")
    resp = await post_form(client, "/lang/en", csrf, {"next": "/"})
    assert resp.status == 302
    text = await (await client.get("/")).text()
    assert "Settings" in text and "Настройки" not in text
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT language FROM users WHERE login='eng'") == "en"


async def test_open_redirect_after_login_is_refused(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "nav")
    token = await csrf_of(client)
    resp = await post_form(client, "/login", token,
                           {"login": "nav", "password": "secret-pass-1", "next": "//evil.example/"})
    assert resp.headers["Location"] == "/"


async def test_malformed_and_oversized_bodies_get_clear_4xx(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "api1")
    csrf = await sign_in(client, "api1")
    resp = await client.post("/api/v1/organizations", data=b"{not json", headers={
        "Content-Type": "application/json", "X-CSRF-Token": csrf})
    assert resp.status == 400
    assert (await resp.json())["error"] == "bad_json"
    resp = await client.post("/api/v1/organizations", json={"nmae": "x"}, headers={"X-CSRF-Token": csrf})
    body = await resp.json()
    assert resp.status == 422 and "name" in body["fields"] and "nmae" in body["fields"]
    big = b"x" * (201 * 1024 * 1024)
    resp = await client.post("/api/v1/organizations", data=big, headers={
        "Content-Type": "application/json", "X-CSRF-Token": csrf})
    assert resp.status == 413
    assert "Traceback" not in await resp.text()
