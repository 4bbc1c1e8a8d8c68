"""The main page and the system status page (Monitoring)."""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from dialer.workplace import dashboards as dash
from web.context import ctx
from web.forms import render
from web.jsonaction import principal_of


async def home(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    boards: list[dict[str, Any]] = []
    # Only for users who may open the dashboards: the widgets' images are served by that page's routes.
    if principal.can_page("supervisor.dashboards"):
        async with ctx(request).pool.acquire() as conn:
            for board in await dash.list_for(conn, principal.user_id):
                if board["on_home"]:
                    boards.append(await dash.get(conn, principal.user_id, board["id"]))
    return render(request, "home.html", {"boards": boards})


async def health_checks(request: web.Request) -> list[dict[str, Any]]:
    """Each store's reachability and round-trip time (R11.1 health checks)."""
    c = ctx(request)
    out: list[dict[str, Any]] = []
    start = time.perf_counter()
    try:
        async with c.pool.acquire() as conn:
            version = await conn.fetchval("SHOW server_version")
            applied = await conn.fetchval("SELECT max(version) FROM schema_migrations")
        out.append(
            {
                "service": "postgresql",
                "ok": True,
                "ms": round((time.perf_counter() - start) * 1000, 1),
                "detail": f"PostgreSQL {version}, schema {applied}",
            }
        )
    except Exception as exc:
        out.append({"service": "postgresql", "ok": False, "ms": None, "detail": str(exc)[:200]})
    start = time.perf_counter()
    try:
        await c.live.ping()
        detail = "in-process (REDIS_URL not set)" if c.live.embedded else "Redis"
        out.append(
            {
                "service": "redis",
                "ok": True,
                "ms": round((time.perf_counter() - start) * 1000, 1),
                "detail": detail,
            }
        )
    except Exception as exc:
        out.append({"service": "redis", "ok": False, "ms": None, "detail": str(exc)[:200]})
    out.append(
        {
            "service": "ldap",
            "ok": None if not c.directory.enabled else True,
            "ms": None,
            "detail": c.settings.ldap_url or "off",
        }
    )
    return out


async def status_page(request: web.Request) -> web.StreamResponse:
    return render(request, "monitoring/status.html", {"checks": await health_checks(request)})


async def health_api(request: web.Request) -> web.StreamResponse:
    checks = await health_checks(request)
    ok = all(ch["ok"] is not False for ch in checks)
    # Public and terse: a load balancer needs up or down, not versions.
    return web.json_response({"status": "ok" if ok else "degraded"}, status=200 if ok else 503)


async def status_api(request: web.Request) -> web.StreamResponse:
    return web.json_response({"checks": await health_checks(request)})
