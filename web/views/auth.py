"""Sign in and out, temporary passwords, password change, language choice."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from aiohttp import web

from dialer import audit, mailsettings
from dialer.auth import authenticate, issue_temporary_password
from dialer.errors import InvalidInput
from dialer.mailer import MailError, send_mail
from dialer.passwords import verify_password
from dialer.users import set_password
from web import sessions
from web.context import ctx
from web.forms import flash, form_data, render
from web.i18n import LANGUAGES, translate
from web.middleware import language

log = logging.getLogger("dialer.web.auth")


def _safe_next(target: str | None) -> str:
    # Only local paths: an open redirect after login is a phishing tool.
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


async def login_page(request: web.Request) -> web.StreamResponse:
    if request.get(sessions.PRINCIPAL) is not None:
        raise web.HTTPFound("/")
    return render(
        request, "login.html", {"errors": {}, "values": {}, "next": _safe_next(request.query.get("next"))}
    )


async def _too_many(request: web.Request, login: str) -> bool:
    c = ctx(request)
    live, s = c.live, c.settings
    by_login = await live.get("rl", "login", login.lower())
    by_ip = await live.get("rl", "ip", request.remote or "")
    return int(by_login or 0) >= s.login_max_attempts or int(by_ip or 0) >= s.login_max_attempts * 4


async def _count_failure(request: web.Request, login: str) -> None:
    c = ctx(request)
    window = c.settings.login_window_seconds
    await c.live.incr_window("rl", "login", login.lower(), window_s=window)
    await c.live.incr_window("rl", "ip", request.remote or "", window_s=window)


async def _audit_login(
    request: web.Request, login: str, result: str, user_id: int | None, status: int
) -> None:
    request["audit_done"] = True
    await audit.record(
        ctx(request).pool,
        audit.AuditEntry(
            action=f"login.{result}",
            user_id=user_id,
            login=login[:100],
            method=request.method,
            path=request.path,
            input={"login": login[:100]},
            status=status,
            ip=request.remote or "",
            user_agent=request.headers.get("User-Agent", ""),
        ),
    )


async def login_submit(request: web.Request) -> web.StreamResponse:
    c = ctx(request)
    data = await form_data(request)
    login = str(data.get("login", "")).strip()
    password = str(data.get("password", ""))
    next_url = _safe_next(data.get("next"))
    lang = language(request)
    context: dict[str, Any] = {"errors": {}, "values": {"login": login}, "next": next_url}
    if await _too_many(request, login):
        await _audit_login(request, login, "rate_limited", None, 429)
        context["errors"] = {"__all__": "Too many failed attempts. Try again in a few minutes."}
        return render(request, "login.html", context, status=429)
    async with c.pool.acquire() as conn:
        result = await authenticate(conn, c.directory, login, password, c.clock())
    if result.outcome == "directory_down":
        await _audit_login(request, login, "directory_down", None, 503)
        context["directory_down"] = True
        return render(request, "login.html", context, status=503)
    if result.outcome != "ok" or result.user_id is None:
        await _count_failure(request, login)
        await _audit_login(request, login, "failed", None, 401)
        # One message for unknown login and wrong password: nothing to enumerate accounts with.
        context["errors"] = {"__all__": "Wrong login or password"}
        return render(request, "login.html", context, status=401)
    await _audit_login(request, login, "temporary" if result.temporary else "ok", result.user_id, 302)
    new = sessions.rotate(sessions.get_session(request))
    await sessions.destroy(c.live, sessions.get_session(request))
    new.uid = result.user_id
    request[sessions.SESSION] = new
    request["session_rotated"] = True
    if result.temporary:
        new.add_flash("warning", translate(lang, "Choose a new password"))
        raise web.HTTPFound("/password/change")
    raise web.HTTPFound(next_url)


async def logout(request: web.Request) -> web.StreamResponse:
    session = sessions.get_session(request)
    await sessions.destroy(ctx(request).live, session)
    fresh = sessions.fresh()
    fresh.lang = session.lang
    request[sessions.SESSION] = fresh
    request["session_rotated"] = True
    raise web.HTTPFound("/login")


async def forgot_page(request: web.Request) -> web.StreamResponse:
    return render(request, "forgot.html", {"errors": {}, "values": {}})


async def forgot_submit(request: web.Request) -> web.StreamResponse:
    c = ctx(request)
    data = await form_data(request)
    key = str(data.get("login", "")).strip()
    lang = language(request)
    if not key:
        return render(request, "forgot.html", {"errors": {"login": "required"}, "values": data}, status=422)
    if await _too_many(request, key):
        return render(
            request,
            "forgot.html",
            {"errors": {"__all__": "Too many failed attempts. Try again in a few minutes."}, "values": data},
            status=429,
        )
    # Counted like a failed login: otherwise this form mails passwords to a victim on repeat.
    await _count_failure(request, key)
    async with c.pool.acquire() as conn:
        cfg = await mailsettings.mail_config(conn, c.box)
        if cfg is None:
            log.error("password recovery asked but mail settings are empty")
            return render(
                request,
                "forgot.html",
                {
                    "errors": {
                        "__all__": "Password recovery by e-mail is not configured; ask an administrator."
                    },
                    "values": data,
                },
                status=503,
            )
        temp = await issue_temporary_password(
            conn, key, c.clock(), timedelta(hours=c.settings.temp_password_hours)
        )
    if temp is not None:
        mlang = temp.language or lang
        name = temp.full_name or temp.login
        body = "\n\n".join([
            translate(mlang, "Hello, {name}.", name=name),
            translate(mlang, "A temporary password for the login {login}: {password}", login=temp.login,
                      password=temp.password),
            translate(mlang, "It is valid for {hours} hours. After signing in at {url} you will choose a new password.",
                      hours=c.settings.temp_password_hours, url=c.settings.portal_url()),
            translate(mlang, "If you did not ask for this, ignore this letter: your password has not changed."),
        ])
        try:
            await send_mail(cfg, temp.email, translate(mlang, "Temporary password"), body)
        except MailError as exc:
            log.error("temporary password mail to user %s failed: %s", temp.user_id, exc)
            return render(
                request,
                "forgot.html",
                {
                    "errors": {
                        "__all__": "The mail server did not accept the letter; try later or ask an administrator."
                    },
                    "values": data,
                },
                status=502,
            )
    flash(
        request,
        "info",
        translate(lang, "If the account exists and has an e-mail, a temporary password was sent."),
    )
    raise web.HTTPFound("/login")


async def change_password_page(request: web.Request) -> web.StreamResponse:
    return render(request, "change_password.html", {"errors": {}})


async def change_password_submit(request: web.Request) -> web.StreamResponse:
    c = ctx(request)
    principal = request[sessions.PRINCIPAL]
    data = await form_data(request)
    old, new, new2 = (str(data.get(k, "")) for k in ("old_password", "new_password", "new_password2"))
    errors: dict[str, str] = {}
    async with c.pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT source, password_hash, temp_password_hash, temp_password_expires FROM users WHERE id=$1",
            principal.user_id,
        )
        if row["source"] != "local":
            errors["__all__"] = "A domain account's password is changed in the domain"
        else:
            temp_ok = (
                row["temp_password_hash"] is not None
                and row["temp_password_expires"] is not None
                and row["temp_password_expires"] > c.clock()
                and verify_password(row["temp_password_hash"], old)
            )
            if not (verify_password(row["password_hash"], old) or temp_ok):
                errors["old_password"] = "Wrong password"
            if new != new2:
                errors["new_password2"] = "The passwords differ"
            if new == old:
                errors["new_password"] = "The new password must differ from the current one"
        if not errors:
            try:
                await set_password(conn, principal.user_id, new)
            except InvalidInput as exc:
                errors.update(exc.fields)
    if errors:
        return render(request, "change_password.html", {"errors": errors}, status=422)
    flash(request, "success", translate(language(request), "Password changed"))
    raise web.HTTPFound("/")


async def set_language(request: web.Request) -> web.StreamResponse:
    c = ctx(request)
    lang = request.match_info["lang"]
    if lang not in LANGUAGES:
        raise web.HTTPNotFound()
    data = await form_data(request)
    session = sessions.get_session(request)
    session.lang = lang
    session.changed = True
    principal = request.get(sessions.PRINCIPAL)
    if principal is not None:
        async with c.pool.acquire() as conn:
            await conn.execute("UPDATE users SET language=$2 WHERE id=$1", principal.user_id, lang)
    raise web.HTTPFound(_safe_next(data.get("next")))
