"""send_mail against a real aiosmtpd server (tests/servers.py)."""

from __future__ import annotations

import socket
import time

import pytest

from dialer.mailer import MailConfig, MailError, send_mail
from tests.fixtures_servers import smtp_server, smtp_server_auth_required
from tests.servers import SmtpServer, free_port

__all__ = ["smtp_server", "smtp_server_auth_required"]  # fixtures, imported for pytest

SUBJECT = "Временный пароль для входа в «Диалер»"
BODY = "Здравствуйте, Иван!\n\nВаш временный пароль: Ёжик-42\nОн действует 24 часа.\n"


def config(server: SmtpServer, **overrides: object) -> MailConfig:
    values: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "username": "",
        "password": "",
        "sender": "Диалер <dialer@example.org>",
        "auth_type": "none",
        "domain": "dialer.example.org",
        "security": "none",
        "timeout_s": 5,
    }
    values.update(overrides)
    return MailConfig(**values)  # type: ignore[arg-type]


async def test_delivers_cyrillic_subject_and_body(smtp_server: SmtpServer) -> None:
    await send_mail(config(smtp_server), "ivanov@example.org", SUBJECT, BODY)
    assert len(smtp_server.messages) == 1
    got = smtp_server.messages[0]
    assert got.mail_from == "dialer@example.org"
    assert got.rcpt_tos == ("ivanov@example.org",)
    assert got.auth_login is None
    msg = got.message
    assert msg["Subject"] == SUBJECT
    assert msg["To"] == "ivanov@example.org"
    assert msg["From"].addresses[0].display_name == "Диалер"
    assert msg["Message-ID"].endswith("@dialer.example.org>")
    assert msg.get_content_type() == "text/plain"
    assert msg.get_content_charset() == "utf-8"
    assert msg.get_content().replace("\r\n", "\n") == BODY  # SMTP carries CRLF line ends
    # The wire form is 7-bit: headers as encoded words, the body transfer-encoded.
    assert got.raw.isascii()


@pytest.mark.parametrize("auth_type", ["plain", "login"])
async def test_auth_ok(smtp_server_auth_required: SmtpServer, auth_type: str) -> None:
    srv = smtp_server_auth_required
    cfg = config(srv, auth_type=auth_type, username=srv.username, password=srv.password)
    await send_mail(cfg, "Петрова Анна <petrova@example.org>", "Отчёт", "Готово.")
    assert len(srv.messages) == 1
    assert srv.messages[0].auth_login == srv.username
    assert srv.messages[0].rcpt_tos == ("petrova@example.org",)


@pytest.mark.parametrize("auth_type", ["plain", "login"])
async def test_wrong_auth(smtp_server: SmtpServer, auth_type: str) -> None:
    cfg = config(smtp_server, auth_type=auth_type, username=smtp_server.username, password="wrong")
    with pytest.raises(MailError, match="rejected the login"):
        await send_mail(cfg, "ivanov@example.org", SUBJECT, BODY)
    assert smtp_server.messages == []


async def test_auth_required_but_not_configured(smtp_server_auth_required: SmtpServer) -> None:
    with pytest.raises(MailError, match="authentication may be required"):
        await send_mail(config(smtp_server_auth_required), "ivanov@example.org", SUBJECT, BODY)


async def test_rejected_recipient(smtp_server: SmtpServer) -> None:
    to = f"someone@{smtp_server.reject_domain}"
    with pytest.raises(MailError, match="refused the recipient"):
        await send_mail(config(smtp_server), to, SUBJECT, BODY)
    assert smtp_server.messages == []


async def test_connection_refused() -> None:
    cfg = MailConfig(
        host="127.0.0.1",
        port=free_port(),
        username="",
        password="",
        sender="dialer@example.org",
        auth_type="none",
        domain="",
        security="none",
        timeout_s=3,
    )
    with pytest.raises(MailError, match="cannot connect"):
        await send_mail(cfg, "ivanov@example.org", SUBJECT, BODY)


async def test_starttls_not_offered(smtp_server: SmtpServer) -> None:
    with pytest.raises(MailError, match="STARTTLS"):
        await send_mail(config(smtp_server, security="starttls"), "ivanov@example.org", SUBJECT, BODY)


@pytest.mark.parametrize(
    "to", ["", "not-an-address", "a@example.org\r\nBcc: x@example.org", "a@x.org, b@x.org"]
)
async def test_bad_recipient_is_refused_before_connecting(smtp_server: SmtpServer, to: str) -> None:
    with pytest.raises(MailError):
        await send_mail(config(smtp_server), to, SUBJECT, BODY)
    assert smtp_server.messages == []


async def test_newline_in_subject_cannot_inject_headers(smtp_server: SmtpServer) -> None:
    await send_mail(config(smtp_server), "ivanov@example.org", "Отчёт\r\nBcc: evil@example.org", BODY)
    msg = smtp_server.messages[0].message
    assert msg["Bcc"] is None
    assert msg["Subject"] == "Отчёт Bcc: evil@example.org"


async def test_silent_server_times_out() -> None:
    # Accepted by the kernel, never greeted: the client must give up after timeout_s.
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        cfg = MailConfig(
            host="127.0.0.1",
            port=hung.getsockname()[1],
            username="",
            password="",
            sender="dialer@example.org",
            auth_type="none",
            domain="",
            security="none",
            timeout_s=1,
        )
        started = time.monotonic()
        with pytest.raises(MailError, match=r"did not answer|stopped answering"):
            await send_mail(cfg, "ivanov@example.org", SUBJECT, BODY)
        assert time.monotonic() - started < 5
