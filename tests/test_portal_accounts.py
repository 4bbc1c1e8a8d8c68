"""Domain sign-in, adding users from the directory, password recovery by mail (R1.1, R1.4, R1.7)."""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from tests.servers import SlapdServer, SmtpServer
from tests.webtools import csrf_of, make_user, post_form, sign_in


@pytest.fixture
async def ldap_client(aiohttp_client: Any, app_context: Any, slapd_server: SlapdServer) -> TestClient:
    from dialer.directory import LdapDirectory
    from web.app import create_app

    s = app_context.settings.model_copy(update={
        "ldap_url": slapd_server.url, "ldap_bind_dn": slapd_server.bind_dn,
        "ldap_bind_password": slapd_server.bind_password, "ldap_base_dn": slapd_server.base_dn,
        "ldap_timeout_s": 2.0,
    })
    app_context.settings = s
    app_context.directory = LdapDirectory(s)
    client: TestClient = await aiohttp_client(create_app(app_context))
    return client


async def test_domain_user_added_from_directory_then_signs_in(
    ldap_client: TestClient, pool: asyncpg.Pool, slapd_server: SlapdServer
) -> None:
    await make_user(pool, "root1")
    csrf = await sign_in(ldap_client, "root1")
    page = await (await ldap_client.get("/settings/users/ldap?q=Иван")).text()
    assert "Иванов Иван" in page and "ivanov" in page
    async with pool.acquire() as conn:
        role_id = await conn.fetchval("SELECT id FROM roles WHERE preset='supervisor'")
    resp = await ldap_client.post("/settings/users/ldap", data=[("logins[]", "ivanov"), ("role_id", str(role_id)),
                                                                ("organization_id", ""), ("_csrf", csrf)],
                                  allow_redirects=False)
    assert resp.status == 302
    async with pool.acquire() as conn:
        row = await conn.fetchrow("SELECT source, full_name, email, position, ldap_dn FROM users WHERE login='ivanov'")
    assert dict(row) == {"source": "ldap", "full_name": "Иванов Иван", "email": "ivanov@example.org",
                         "position": "Оператор", "ldap_dn": slapd_server.user_dn("ivanov")}
    await post_form(ldap_client, "/logout", csrf)
    token = await csrf_of(ldap_client)
    bad = await post_form(ldap_client, "/login", token, {"login": "ivanov", "password": "wrong"})
    assert bad.status == 401
    ok = await post_form(ldap_client, "/login", token, {"login": "ivanov", "password": "Пароль-1"})
    assert ok.status == 302 and ok.headers["Location"] == "/"
    assert "Мониторинг" in await (await ldap_client.get("/")).text()


async def test_directory_down_is_explained_and_local_accounts_still_work(
    ldap_client: TestClient, pool: asyncpg.Pool, slapd_server: SlapdServer
) -> None:
    async with pool.acquire() as conn:
        role_id = await conn.fetchval("SELECT id FROM roles WHERE preset='supervisor'")
        await conn.execute("INSERT INTO users (login, source, role_id) VALUES ('petrova', 'ldap', $1)", role_id)
    await make_user(pool, "local1")
    with slapd_server.stopped():
        token = await csrf_of(ldap_client)
        resp = await post_form(ldap_client, "/login", token, {"login": "petrova", "password": "petrova-secret"})
        assert resp.status == 503
        assert "недоступен" in await resp.text()
        resp = await post_form(ldap_client, "/login", token, {"login": "local1", "password": "secret-pass-1"})
        assert resp.status == 302


async def test_forgotten_password_is_mailed_and_must_be_changed(
    client: TestClient, pool: asyncpg.Pool, smtp_server: SmtpServer
) -> None:
    await make_user(pool, "mailadmin")
    csrf = await sign_in(client, "mailadmin")
    resp = await post_form(client, "/settings/mail", csrf, {
        "host": smtp_server.host, "port": smtp_server.port, "security": "none", "auth_type": "login",
        "username": smtp_server.username, "password": smtp_server.password, "sender": "dialer@example.org",
    })
    assert resp.status == 302
    async with pool.acquire() as conn:
        stored = await conn.fetchval("SELECT password_enc FROM mail_settings")
    assert stored and smtp_server.password not in stored  # encrypted at rest
    await post_form(client, "/logout", csrf)

    await make_user(pool, "forgetful", email="forgetful@example.org", full_name="Сидоров")
    token = await csrf_of(client, "/password/forgot")
    resp = await post_form(client, "/password/forgot", token, {"login": "forgetful"})
    assert resp.status == 302
    assert len(smtp_server.messages) == 1
    mail = smtp_server.messages[0].message
    assert mail["To"] == "forgetful@example.org"
    assert mail["Subject"] == "Временный пароль"
    body = mail.get_content()
    temp = re.search(r"forgetful: (\S+)", body).group(1)  # type: ignore[union-attr]

    # unknown accounts get the same answer and no mail
    resp = await post_form(client, "/password/forgot", token, {"login": "nobody@example.org"})
    assert resp.status == 302 and len(smtp_server.messages) == 1

    resp = await post_form(client, "/login", token, {"login": "forgetful", "password": temp})
    assert resp.headers["Location"] == "/password/change"
    blocked = await client.get("/", allow_redirects=False)
    assert blocked.status == 302 and blocked.headers["Location"] == "/password/change"
    csrf2 = await csrf_of(client, "/password/change")
    resp = await post_form(client, "/password/change", csrf2, {
        "old_password": temp, "new_password": "brand-new-pass", "new_password2": "brand-new-pass"})
    assert resp.status == 302
    assert (await client.get("/", allow_redirects=False)).status == 200
    # the old password still works until changed; the temporary one is gone now
    await post_form(client, "/logout", csrf2)
    token = await csrf_of(client)
    resp = await post_form(client, "/login", token, {"login": "forgetful", "password": temp})
    assert resp.status == 401


async def test_recovery_without_mail_settings_says_so(client: TestClient, pool: asyncpg.Pool) -> None:
    await make_user(pool, "x1", email="x1@example.org")
    token = await csrf_of(client, "/password/forgot")
    resp = await post_form(client, "/password/forgot", token, {"login": "x1"})
    assert resp.status == 503
    assert "не настроено" in await resp.text()


async def test_mail_settings_test_letter(client: TestClient, pool: asyncpg.Pool, smtp_server: SmtpServer) -> None:
    await make_user(pool, "m2")
    csrf = await sign_in(client, "m2")
    await post_form(client, "/settings/mail", csrf, {"host": smtp_server.host, "port": smtp_server.port,
                                                     "sender": "dialer@example.org"})
    resp = await post_form(client, "/settings/mail/test", csrf, {"to": "ops@example.org"})
    assert resp.status == 302
    assert smtp_server.messages[-1].message["To"] == "ops@example.org"
    bad = await post_form(client, "/settings/mail", csrf, {"host": "smtp", "port": "70000", "sender": "nope"})
    text = await bad.text()
    assert bad.status == 422 and "1–65535" in text and "нужен адрес отправителя" in text
