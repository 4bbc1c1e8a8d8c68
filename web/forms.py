"""Small helpers for HTML forms: read fields, re-render with errors beside them."""

from __future__ import annotations

from typing import Any

import aiohttp_jinja2
from aiohttp import web

from web import sessions


async def form_data(request: web.Request) -> dict[str, Any]:
    """Form fields as a dict; repeated names (checkbox groups) become lists."""
    form = await request.post()
    out: dict[str, Any] = {}
    for key in form.keys():
        if key == "_csrf":
            continue
        values = [v for v in form.getall(key) if isinstance(v, str)]
        if key.endswith("[]"):
            out[key[:-2]] = values
        elif values:
            out[key] = values[-1]
    request["audit_input"] = out
    return out


def render(request: web.Request, template: str, context: dict[str, Any], status: int = 200) -> web.Response:
    from web.app import base_context

    return aiohttp_jinja2.render_template(template, request, {**base_context(request), **context}, status=status)


def flash(request: web.Request, level: str, message: str) -> None:
    sessions.get_session(request).add_flash(level, message)


def redirect(location: str) -> web.HTTPFound:
    return web.HTTPFound(location)


def int_param(request: web.Request, name: str = "id") -> int:
    try:
        return int(request.match_info[name])
    except (KeyError, ValueError):
        raise web.HTTPNotFound() from None
