"""JSON actions of live pages (workplace, console): errors as JSON beside the form fields.

Pages post JSON with the ``X-CSRF-Token`` header; a domain error comes back as
``{"ok": false, "error": "...", "fields": {...}}`` so the page can show it beside the field
it concerns, and the engine's own refusals ("no call", "the call has ended") reach the user.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from dialer.access.policy import Principal
from dialer.errors import Conflict, DialerError, Forbidden, InvalidInput, NotFound
from web import sessions

log = logging.getLogger("dialer.web.actions")

JsonHandler = Callable[[web.Request], Awaitable[Any]]


def principal_of(request: web.Request) -> Principal:
    p: Principal = request[sessions.PRINCIPAL]
    return p


async def payload(request: web.Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except (ValueError, json.JSONDecodeError):
        raise InvalidInput("send a JSON object") from None
    if not isinstance(data, dict):
        raise InvalidInput("send a JSON object")
    request["audit_input"] = data
    return data


def _fail(status: int, error: str, fields: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"ok": False, "error": error, "fields": fields or {}}, status=status)


def json_action(handler: JsonHandler) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            result = await handler(request)
        except InvalidInput as exc:
            return _fail(422, str(exc), exc.fields)
        except NotFound as exc:
            return _fail(404, f"not found: {exc}")
        except Forbidden as exc:
            return _fail(403, str(exc))
        except Conflict as exc:
            return _fail(409, str(exc))
        except DialerError as exc:
            return _fail(400, str(exc))
        return web.json_response({"ok": True, **(result or {})}, dumps=lambda v: json.dumps(v, default=str))

    return wrapped


def text(data: dict[str, Any], key: str, required: bool = True, max_len: int = 200) -> str:
    value = str(data.get(key) or "").strip()
    if required and not value:
        raise InvalidInput({key: "required"})
    if len(value) > max_len:
        raise InvalidInput({key: f"at most {max_len} characters"})
    return value
