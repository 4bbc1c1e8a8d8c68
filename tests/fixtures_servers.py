"""Pytest fixtures for the real test servers; the root conftest imports them by name.

``slapd_server`` is session-scoped (starting OpenLDAP and seeding it takes a while) and
fails, rather than skips, without slapd: CI installs it, so a missing binary is a broken
environment, not an optional feature. ``smtp_server`` is per test so each test sees only
its own messages.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import ServerUnavailable, SlapdServer, SmtpServer


@pytest.fixture(scope="session")
def slapd_server() -> Iterator[SlapdServer]:
    try:
        server = SlapdServer()
        server.start()
    except ServerUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """SMTP offering AUTH LOGIN/PLAIN (checked when used, not required)."""
    server = SmtpServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def smtp_server_auth_required() -> Iterator[SmtpServer]:
    """SMTP that refuses MAIL FROM until the client has authenticated."""
    server = SmtpServer(auth_required=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()
