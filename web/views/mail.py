"""Settings → Mail settings (R1.7), with a test letter."""

from __future__ import annotations

from aiohttp import web

from dialer import mailsettings
from dialer.errors import InvalidInput
from dialer.mailer import MailError, send_mail
from web.context import ctx
from web.forms import flash, form_data, render
from web.i18n import translate
from web.middleware import language


async def mail_form(request: web.Request) -> web.StreamResponse:
    async with ctx(request).pool.acquire() as conn:
        values = await mailsettings.load(conn)
    return render(request, "settings/mail.html", {"values": values, "errors": {}})


async def mail_save(request: web.Request) -> web.StreamResponse:
    c = ctx(request)
    data = await form_data(request)
    try:
        async with c.pool.acquire() as conn:
            await mailsettings.save(conn, c.box, data)
    except InvalidInput as exc:
        return render(request, "settings/mail.html", {"values": data, "errors": exc.fields}, status=422)
    flash(request, "success", translate(language(request), "Saved"))
    raise web.HTTPFound("/settings/mail")


async def mail_test(request: web.Request) -> web.StreamResponse:
    c = ctx(request)
    data = await form_data(request)
    lang = language(request)
    to = str(data.get("to", "")).strip()
    if "@" not in to:
        flash(request, "error", translate(lang, "Enter the address for the test letter"))
        raise web.HTTPFound("/settings/mail")
    async with c.pool.acquire() as conn:
        cfg = await mailsettings.mail_config(conn, c.box)
    if cfg is None:
        flash(request, "error", translate(lang, "Set the mail server first"))
        raise web.HTTPFound("/settings/mail")
    try:
        await send_mail(
            cfg, to, translate(lang, "Dialer: test letter"), translate(lang, "The mail settings work.")
        )
        flash(request, "success", translate(lang, "The test letter was sent to {to}", to=to))
    except MailError as exc:
        flash(request, "error", translate(lang, "The letter was not sent") + f": {exc}")
    raise web.HTTPFound("/settings/mail")
