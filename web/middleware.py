"""Request pipeline: errors, session and principal, access guard, CSRF, audit."""

from __future__ import annotations

import json
import logging
import secrets
from typing import Any
from urllib.parse import quote

from aiohttp import web

from dialer import audit
from dialer.errors import Conflict, DialerError, Forbidden, InvalidInput, NotFound
from dialer.tokens import user_for_token
from dialer.users import load_principal
from web import sessions
from web.context import ctx
from web.i18n import translate
from web.routing import Handler, guard_for

log = logging.getLogger("dialer.web")

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Paths a user with a temporary password may still reach before choosing a new one.
_CHANGE_PASSWORD_PATHS = ("/password/change", "/logout", "/static/", "/lang/")


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


def language(request: web.Request) -> str:
    principal = request.get(sessions.PRINCIPAL)
    if principal is not None and principal.language:
        lang: str = principal.language
        return lang
    session = request.get(sessions.SESSION)
    if session is not None and session.lang:
        return str(session.lang)
    return ctx(request).settings.default_language


def json_error(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> web.Response:
    body: dict[str, Any] = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return web.json_response(body, status=status)


def _html_error(request: web.Request, status: int, message: str) -> web.Response:
    from web.forms import render

    try:
        return render(request, "error.html", {"status": status, "message": message}, status=status)
    except Exception:  # a broken template must not hide the original error
        log.exception("error page failed")
        return web.Response(status=status, text=message)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    api = is_api(request)
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400 or exc.content_type == "application/json":
            raise
        lang = language(request)
        if exc.status == 413:
            msg = translate(
                lang, "The request is too large (limit {mb} MB)", mb=ctx(request).settings.max_body_mb
            )
        elif exc.text and not exc.text.startswith(f"{exc.status}:"):
            msg = exc.text
        else:
            msg = translate(lang, exc.reason or "Error")
        if api:
            return json_error(exc.status, (exc.reason or "error").lower().replace(" ", "_"), msg)
        return _html_error(request, exc.status, msg)
    except InvalidInput as exc:
        if api:
            return json_error(422, "invalid_input", str(exc), exc.fields)
        return _html_error(request, 422, str(exc))
    except NotFound as exc:
        return (
            json_error(404, "not_found", f"not found: {exc}")
            if api
            else _html_error(request, 404, translate(language(request), "Not found") + f": {exc}")
        )
    except Forbidden as exc:
        return json_error(403, "forbidden", str(exc)) if api else _html_error(request, 403, str(exc))
    except Conflict as exc:
        return json_error(409, "conflict", str(exc)) if api else _html_error(request, 409, str(exc))
    except DialerError as exc:
        return json_error(400, "error", str(exc)) if api else _html_error(request, 400, str(exc))
    except json.JSONDecodeError:
        return (
            json_error(400, "bad_json", "the body is not valid JSON")
            if api
            else _html_error(request, 400, "bad request")
        )
    except Exception:
        # Never a stack trace to the client: the id lets an engineer find the log line.
        incident = secrets.token_hex(4)
        log.exception("unhandled error %s on %s %s", incident, request.method, request.path)
        text = translate(language(request), "Internal error; reference {ref}", ref=incident)
        return json_error(500, "internal", text) if api else _html_error(request, 500, text)


@web.middleware
async def session_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    c = ctx(request)
    live = c.live
    session = None
    principal = None
    auth_header = request.headers.get("Authorization", "")
    request["via_token"] = False
    if auth_header.startswith("Bearer "):
        async with c.pool.acquire() as conn:
            uid = await user_for_token(conn, auth_header[7:].strip(), c.clock())
            if uid is not None:
                principal = await load_principal(conn, uid)
        if principal is None:
            return json_error(401, "unauthorized", "invalid or revoked API token")
        request["via_token"] = True
    else:
        session = await sessions.load(live, request.cookies.get(sessions.COOKIE))
        if session is not None and session.uid is not None:
            async with c.pool.acquire() as conn:
                principal = await load_principal(conn, session.uid)
            if principal is None:  # account deleted or disabled since login
                session.uid = None
                session.changed = True
    if session is None and not request["via_token"]:
        session = sessions.fresh()
    request[sessions.SESSION] = session
    request[sessions.PRINCIPAL] = principal
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        # Redirects are raised; they must carry the session cookie too (login, logout).
        await _finish_session(request, exc)
        raise
    await _finish_session(request, response)
    return response


async def _finish_session(request: web.Request, response: web.StreamResponse) -> None:
    c = ctx(request)
    session = request.get(sessions.SESSION)
    if session is None or request["via_token"]:
        return
    await sessions.save(c.live, session, c.settings.session_idle_minutes * 60)
    if session.new or request.get("session_rotated"):
        secure = c.settings.cookie_secure == "always" or (
            c.settings.cookie_secure == "auto"
            and (request.secure or request.headers.get("X-Forwarded-Proto") == "https")
        )
        response.set_cookie(
            sessions.COOKIE, session.sid, httponly=True, samesite="Lax", secure=secure, path="/"
        )


@web.middleware
async def guard_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    guard = guard_for(request)
    if guard is None:
        if request.match_info.http_exception is not None:
            raise request.match_info.http_exception
        return await handler(request)
    if guard.public:
        return await handler(request)
    principal = request.get(sessions.PRINCIPAL)
    api = is_api(request)
    lang = language(request)
    if principal is None:
        if api:
            return json_error(401, "unauthorized", "sign in or send an API token")
        if request.method == "GET":
            raise web.HTTPFound("/login?next=" + quote(request.path_qs))
        raise web.HTTPUnauthorized(text=translate(lang, "Please sign in"))
    if principal.must_change_password and not request.path.startswith(_CHANGE_PASSWORD_PATHS):
        if api:
            return json_error(403, "password_change_required", "change the temporary password first")
        raise web.HTTPFound("/password/change")
    allowed = (guard.page is None or principal.can_page(guard.page)) and (
        guard.obj is None or principal.can(guard.obj, guard.action)
    )
    if not allowed:
        if api:
            return json_error(403, "forbidden", "your role does not allow this")
        raise web.HTTPForbidden(text=translate(lang, "Your role does not allow this page or action"))
    return await handler(request)


@web.middleware
async def csrf_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method in UNSAFE and not request.get("via_token"):
        session = request.get(sessions.SESSION)
        sent = request.headers.get("X-CSRF-Token")
        if sent is None and request.content_type in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            form = await request.post()
            value = form.get("_csrf")
            sent = value if isinstance(value, str) else None
        if session is None or not sent or not secrets.compare_digest(sent, session.csrf):
            if is_api(request):
                return json_error(403, "csrf", "missing or wrong CSRF token")
            raise web.HTTPForbidden(
                text=translate(language(request), "The form has expired; reload the page")
            )
    return await handler(request)


async def _input_of(request: web.Request) -> dict[str, Any]:
    if "audit_input" in request:
        data: dict[str, Any] = request["audit_input"]
        return data
    try:
        if request.content_type == "application/json" and request.can_read_body:
            body = await request.json()
            return body if isinstance(body, dict) else {"body": body}
        if request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            return {
                k: (v if isinstance(v, str) else f"<file {getattr(v, 'filename', '')}>")
                for k, v in form.items()
            }
    except Exception:
        return {"body": "<unreadable>"}
    return {}


@web.middleware
async def audit_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.method not in UNSAFE:
        return await handler(request)
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        if not request.get("audit_done"):
            principal = request.get(sessions.PRINCIPAL)
            entry = audit.AuditEntry(
                action=request.get("audit_action") or (request.match_info.route.name or "unknown"),
                user_id=principal.user_id if principal else None,
                login=principal.login if principal else "",
                method=request.method,
                path=request.path,
                input={**dict(request.query), **(await _input_of(request))},
                status=status,
                ip=request.remote or "",
                user_agent=request.headers.get("User-Agent", ""),
            )
            try:
                await audit.record(ctx(request).pool, entry)
            except Exception:
                log.exception("audit record failed for %s %s", request.method, request.path)
