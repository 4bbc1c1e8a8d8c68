"""Outgoing mail (temporary passwords, reports) over SMTP with aiosmtplib.

One connection per message: mails are rare (password resets, scheduled reports), and a
fresh connection never trips over a relay that silently dropped an idle session.
"""

from __future__ import annotations

import logging
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from typing import Literal

import aiosmtplib

log = logging.getLogger("dialer.mail")


@dataclass(frozen=True)
class MailConfig:
    host: str
    port: int
    username: str
    password: str
    sender: str
    auth_type: Literal["none", "plain", "login"]
    domain: str  # name sent in EHLO; "" lets aiosmtplib use the machine's FQDN
    security: Literal["none", "starttls", "tls"]
    timeout_s: float = 10


class MailError(Exception):
    """Sending failed; the message says why in words an administrator can act on."""


def build_message(cfg: MailConfig, to: str, subject: str, body: str) -> EmailMessage:
    """A UTF-8 text/plain message; non-ASCII headers become RFC 2047 encoded words."""
    for name, value in (("recipient", to), ("sender", cfg.sender)):
        if "\r" in value or "\n" in value:
            raise MailError(f"{name} address must be one line: {value!r}")
        if not _one_address(value):
            raise MailError(f"{name} address {value!r} is not a valid e-mail address")
    msg = EmailMessage()
    msg["From"] = cfg.sender
    msg["To"] = to
    # Subjects come from templates with user data in them; a newline would be a header
    # injection, so fold it into a space instead of failing the whole mail.
    msg["Subject"] = " ".join(subject.split())
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=cfg.domain or None)
    # base64, not the 8bit email picks by default: a relay without 8BITMIME would mangle
    # Cyrillic, and for Cyrillic base64 is also shorter than quoted-printable.
    msg.set_content(body, subtype="plain", charset="utf-8", cte="base64")
    return msg


def _one_address(value: str) -> bool:
    pairs = getaddresses([value])
    if len(pairs) != 1:
        return False
    addr = pairs[0][1]
    local, sep, domain = addr.rpartition("@")
    if not (local and sep and domain):
        return False
    try:
        Address(addr_spec=addr)
    except (ValueError, IndexError):
        return False
    return True


async def send_mail(cfg: MailConfig, to: str, subject: str, body: str) -> None:
    """Send one message or raise :class:`MailError` saying what went wrong."""
    msg = build_message(cfg, to, subject, body)
    where = f"{cfg.host}:{cfg.port}"
    client = aiosmtplib.SMTP(
        hostname=cfg.host,
        port=cfg.port,
        use_tls=cfg.security == "tls",
        # False (not None) for "none": aiosmtplib would otherwise upgrade opportunistically
        # and then fail on relays that advertise STARTTLS with a broken certificate.
        start_tls=cfg.security == "starttls",
        timeout=cfg.timeout_s,
        local_hostname=cfg.domain or None,
    )
    try:
        try:
            await client.connect()
        except aiosmtplib.SMTPConnectTimeoutError as exc:
            raise MailError(f"mail server {where} did not answer within {cfg.timeout_s:g} s") from exc
        except aiosmtplib.SMTPConnectError as exc:
            raise MailError(f"cannot connect to mail server {where}: {exc}") from exc
        except aiosmtplib.SMTPNotSupported as exc:
            raise MailError(f"mail server {where} does not support STARTTLS: {exc}") from exc
        except ssl.SSLError as exc:
            raise MailError(f"TLS with mail server {where} failed: {exc}") from exc

        # EHLO again: after STARTTLS the extension list (AUTH among them) must be re-read,
        # and without STARTTLS connect() has not greeted the server at all.
        await client.ehlo()
        if cfg.auth_type != "none":
            try:
                if cfg.auth_type == "plain":
                    await client.auth_plain(cfg.username, cfg.password)
                else:
                    await client.auth_login(cfg.username, cfg.password)
            except aiosmtplib.SMTPAuthenticationError as exc:
                raise MailError(
                    f"mail server {where} rejected the login {cfg.username!r} "
                    f"(AUTH {cfg.auth_type.upper()}): {exc.code} {exc.message}"
                ) from exc

        try:
            await client.send_message(msg)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            reasons = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
            raise MailError(f"mail server {where} refused the recipient {to}: {reasons}") from exc
        except aiosmtplib.SMTPRecipientRefused as exc:
            raise MailError(
                f"mail server {where} refused the recipient {to}: {exc.code} {exc.message}"
            ) from exc
        except aiosmtplib.SMTPSenderRefused as exc:
            hint = " (authentication may be required)" if cfg.auth_type == "none" else ""
            raise MailError(
                f"mail server {where} refused the sender {exc.sender}{hint}: {exc.code} {exc.message}"
            ) from exc
        except aiosmtplib.SMTPDataError as exc:
            raise MailError(f"mail server {where} refused the message: {exc.code} {exc.message}") from exc
        log.info("mail to %s sent via %s: %s", to, where, msg["Subject"])
    except MailError as exc:
        log.warning("mail to %s failed: %s", to, exc)
        raise
    except aiosmtplib.SMTPTimeoutError as exc:
        log.warning("mail to %s via %s timed out", to, where)
        raise MailError(f"mail server {where} stopped answering (timeout {cfg.timeout_s:g} s)") from exc
    except aiosmtplib.SMTPServerDisconnected as exc:
        log.warning("mail to %s via %s: disconnected: %s", to, where, exc)
        raise MailError(f"mail server {where} closed the connection: {exc}") from exc
    except aiosmtplib.SMTPResponseException as exc:
        log.warning("mail to %s via %s: %s %s", to, where, exc.code, exc.message)
        raise MailError(f"mail server {where} answered {exc.code} {exc.message}") from exc
    except (aiosmtplib.SMTPException, OSError) as exc:
        log.warning("mail to %s via %s failed: %s", to, where, exc)
        raise MailError(f"sending mail via {where} failed: {exc}") from exc
    finally:
        if client.is_connected:
            # QUIT is a courtesy; a server that already went away must not mask the outcome.
            try:
                await client.quit()
            except (aiosmtplib.SMTPException, OSError):
                client.close()
