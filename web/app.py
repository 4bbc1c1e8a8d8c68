"""The aiohttp application factory: portal, static files and the /api/v1 sub-application."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from markupsafe import Markup

from dialer.access import catalog
from web import middleware, sessions
from web.api.openapi import DOC, build_document
from web.context import CTX, AppContext
from web.i18n import translator
from web.live import install_hub
from web.routes import API, PORTAL
from web.routing import GUARDS, PUBLIC, install

HERE = Path(__file__).resolve().parent
API_PREFIX = "/api/v1"


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return Markup("✓") if value else ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def base_context(request: web.Request) -> dict[str, Any]:
    """What every page's layout needs; computed at render time so error pages have it too."""
    principal = request.get(sessions.PRINCIPAL)
    session = request.get(sessions.SESSION)
    lang = middleware.language(request)
    nav = []
    if principal is not None:
        nav = [
            (k, t, [p for p in ps if principal.can_page(p.key)]) for k, t, ps in catalog.pages_by_section()
        ]
    return {
        "request": request,
        "_": translator(lang),
        "lang": lang,
        "principal": principal,
        "nav": nav,
        "csrf": session.csrf if session is not None else "",
        "flashes": session.pop_flash() if session is not None else [],
    }


async def _import_jobs(app: web.Application) -> AsyncIterator[None]:
    """Contact import jobs run as tasks of this process: recover on start, stop on exit."""
    from dialer.contacts import jobs

    await jobs.recover(app[CTX].pool)
    yield
    await jobs.stop_all()


def create_app(context: AppContext) -> web.Application:
    app = web.Application(
        middlewares=[
            middleware.error_middleware,
            middleware.session_middleware,
            # Before the guard and CSRF checks, so refused attempts are on the record too.
            middleware.audit_middleware,
            middleware.guard_middleware,
            middleware.csrf_middleware,
        ],
        client_max_size=context.settings.max_body_mb * 1024 * 1024,
    )
    app[CTX] = context
    env = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
    )
    env.filters["cell"] = _cell
    install(app, PORTAL)
    install_hub(app)
    app.router.add_static("/static/", HERE / "static", name="static")
    app[GUARDS]["static"] = PUBLIC  # stylesheets and scripts are needed on the sign-in page

    api = web.Application(client_max_size=context.settings.max_body_mb * 1024 * 1024)
    install(api, API)
    app[DOC] = build_document(API, API_PREFIX)
    app.add_subapp(API_PREFIX, api)
    app.cleanup_ctx.append(_import_jobs)
    from web import amd_library

    amd_library.install(app)  # the AMD sample library, reloaded on every change (R6.2)
    from web import console_bridge

    console_bridge.install(app)  # engine events and commands for the console and workplace (#7)
    return app
