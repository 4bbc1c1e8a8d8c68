"""The user's own page: language, password, API tokens."""

from __future__ import annotations

from aiohttp import web

from dialer.errors import InvalidInput, NotFound
from dialer.tokens import create_token, list_tokens, revoke_token
from web import sessions
from web.context import ctx
from web.forms import flash, form_data, int_param, render
from web.i18n import translate
from web.middleware import language


async def profile(request: web.Request) -> web.StreamResponse:
    principal = request[sessions.PRINCIPAL]
    async with ctx(request).pool.acquire() as conn:
        tokens = await list_tokens(conn, principal.user_id)
    return render(request, "profile.html", {"tokens": tokens, "new_token": None, "errors": {}})


async def token_create(request: web.Request) -> web.StreamResponse:
    principal = request[sessions.PRINCIPAL]
    data = await form_data(request)
    try:
        async with ctx(request).pool.acquire() as conn:
            _, token = await create_token(conn, principal.user_id, str(data.get("name", "")))
            tokens = await list_tokens(conn, principal.user_id)
    except InvalidInput as exc:
        async with ctx(request).pool.acquire() as conn:
            tokens = await list_tokens(conn, principal.user_id)
        return render(
            request, "profile.html", {"tokens": tokens, "new_token": None, "errors": exc.fields}, status=422
        )
    # Rendered directly, never stored in the session: the token is shown exactly once.
    return render(request, "profile.html", {"tokens": tokens, "new_token": token, "errors": {}})


async def token_revoke(request: web.Request) -> web.StreamResponse:
    principal = request[sessions.PRINCIPAL]
    try:
        async with ctx(request).pool.acquire() as conn:
            await revoke_token(conn, principal.user_id, int_param(request), ctx(request).clock())
        flash(request, "success", translate(language(request), "Token revoked"))
    except NotFound:
        flash(request, "error", translate(language(request), "No such active token"))
    raise web.HTTPFound("/profile")
