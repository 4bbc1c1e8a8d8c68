"""Every registered route refuses the anonymous and a role without the right.

The list of routes is read from the running application, so a route added later
without a guard, or with a guard the checks do not enforce, fails here.
"""

from __future__ import annotations

import re

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient

from tests.webtools import make_user, sign_in
from web.routing import GUARDS, Guard

_PARAM = re.compile(r"\{(\w+)(?::[^}]*)?\}")


def _all_routes(app: web.Application) -> list[tuple[str, str, str, Guard]]:
    guards: dict[str, Guard] = dict(app.get(GUARDS, {}))
    for resource in app.router.resources():
        sub = getattr(resource, "_app", None)
        if isinstance(sub, web.Application):
            guards.update(sub.get(GUARDS, {}))
    out = []
    for route in app.router.routes():
        if route.method == "HEAD":
            continue
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or info.get("prefix") or ""
        if route.name == "static":
            path = path + "/app.css"
        assert route.name in guards, f"{route.method} {path} has no guard"
        out.append((route.method, path, str(route.name), guards[str(route.name)]))
    return out


def _concrete(path: str) -> str:
    return _PARAM.sub(lambda m: "en" if m.group(1) == "lang" else "1", path)


async def test_every_route_has_a_guard_and_anonymous_is_refused(client: TestClient) -> None:
    routes = _all_routes(client.app)
    assert len(routes) > 40
    for method, path, name, guard in routes:
        if guard.public:
            continue
        resp = await client.request(method, _concrete(path), allow_redirects=False, headers={"X-CSRF-Token": "x"})
        assert resp.status in (302, 401), f"{method} {path} ({name}) answered {resp.status} to an anonymous user"
        if resp.status == 302:
            assert resp.headers["Location"].startswith("/login")


async def test_a_role_without_rights_is_refused_everywhere_it_needs_them(
    client: TestClient, pool: asyncpg.Pool
) -> None:
    async with pool.acquire() as conn:
        role_id = await conn.fetchval("INSERT INTO roles (name) VALUES ('Никто') RETURNING id")
    await make_user(pool, "nobody", role_id=role_id)
    csrf = await sign_in(client, "nobody")
    checked = 0
    for method, path, name, guard in _all_routes(client.app):
        if guard.public or (guard.page is None and guard.obj is None):
            continue
        resp = await client.request(method, _concrete(path), allow_redirects=False, headers={"X-CSRF-Token": csrf})
        assert resp.status == 403, f"{method} {path} ({name}) answered {resp.status} to a role without rights"
        checked += 1
    assert checked > 30


async def test_api_token_of_a_role_without_rights_is_refused(client: TestClient, pool: asyncpg.Pool) -> None:
    from dialer.tokens import create_token

    async with pool.acquire() as conn:
        role_id = await conn.fetchval("INSERT INTO roles (name, pages) VALUES ('Все страницы', $1) RETURNING id",
                                      ["settings.users"])
    uid = await make_user(pool, "pagesonly", role_id=role_id)
    async with pool.acquire() as conn:
        _, token = await create_token(conn, uid, "t")
    for method, path, name, guard in _all_routes(client.app):
        if not path.startswith("/api/v1") or guard.obj is None:
            continue
        resp = await client.request(method, _concrete(path), headers={"Authorization": f"Bearer {token}"})
        assert resp.status == 403, f"{method} {path} ({name}) answered {resp.status}"


@pytest.mark.parametrize("preset, allowed, refused", [
    ("supervisor", ["/monitoring/status"], ["/settings/users", "/settings/roles", "/reports/user-actions"]),
    ("auditor", ["/reports/user-actions"], ["/settings/users", "/monitoring/status", "/settings/mail"]),
    ("specialist", [], ["/settings/users", "/reports/user-actions", "/monitoring/status"]),
])
async def test_presets_grant_what_the_spec_says(
    client: TestClient, pool: asyncpg.Pool, preset: str, allowed: list[str], refused: list[str]
) -> None:
    await make_user(pool, f"p-{preset}", preset=preset)
    await sign_in(client, f"p-{preset}")
    for path in allowed:
        assert (await client.get(path)).status == 200, path
    for path in refused:
        assert (await client.get(path, allow_redirects=False)).status == 403, path
