"""Logging in: local and directory accounts, temporary passwords, the outcome of an attempt."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import asyncpg

from dialer.directory import DirectoryUnavailable, LdapDirectory
from dialer.passwords import generate_password, hash_password, verify_password

log = logging.getLogger("dialer.auth")

Outcome = Literal["ok", "invalid", "directory_down"]


@dataclass(frozen=True)
class LoginResult:
    outcome: Outcome
    user_id: int | None = None
    temporary: bool = False


async def authenticate(
    conn: asyncpg.Connection, directory: LdapDirectory, login: str, password: str, now: datetime
) -> LoginResult:
    row = await conn.fetchrow(
        """SELECT id, login, source, password_hash, active, temp_password_hash, temp_password_expires
           FROM users WHERE lower(login) = lower($1)""",
        login.strip(),
    )
    if row is None or not password:
        verify_password(None, password or "x")  # same cost as a real check
        return LoginResult("invalid")
    if row["source"] == "ldap":
        try:
            found = await directory.authenticate(row["login"], password)
        except DirectoryUnavailable as exc:
            log.warning("directory unavailable during login of %s: %s", row["login"], exc)
            return LoginResult("directory_down")
        if found is None or not row["active"]:
            return LoginResult("invalid")
        await conn.execute(
            "UPDATE users SET last_login_at=$2, full_name=COALESCE(NULLIF($3,''), full_name), "
            "email=COALESCE(NULLIF($4,''), email), ldap_dn=$5 WHERE id=$1",
            row["id"],
            now,
            found.full_name,
            found.email,
            found.dn,
        )
        return LoginResult("ok", row["id"])
    if verify_password(row["password_hash"], password):
        if not row["active"]:
            return LoginResult("invalid")
        await conn.execute("UPDATE users SET last_login_at=$2 WHERE id=$1", row["id"], now)
        return LoginResult("ok", row["id"])
    expires = row["temp_password_expires"]
    if row["temp_password_hash"] and expires is not None and expires > now:
        if verify_password(row["temp_password_hash"], password) and row["active"]:
            await conn.execute(
                "UPDATE users SET must_change_password=true, last_login_at=$2 WHERE id=$1", row["id"], now
            )
            return LoginResult("ok", row["id"], temporary=True)
    return LoginResult("invalid")


@dataclass(frozen=True)
class TemporaryPassword:
    user_id: int
    login: str
    email: str
    full_name: str
    language: str | None
    password: str


async def issue_temporary_password(
    conn: asyncpg.Connection, login_or_email: str, now: datetime, lifetime: timedelta
) -> TemporaryPassword | None:
    """A temporary password for a local account with an e-mail, or None (caller says nothing)."""
    key = login_or_email.strip()
    if not key:
        return None
    rows = await conn.fetch(
        """SELECT id, login, email, full_name, language FROM users
           WHERE active AND source='local' AND email <> '' AND (lower(login)=lower($1) OR lower(email)=lower($1))""",
        key,
    )
    # An e-mail shared by several accounts is ambiguous: asking by login is then required.
    if len(rows) != 1:
        return None
    row = rows[0]
    password = generate_password()
    await conn.execute(
        "UPDATE users SET temp_password_hash=$2, temp_password_expires=$3 WHERE id=$1",
        row["id"],
        hash_password(password),
        now + lifetime,
    )
    return TemporaryPassword(
        row["id"], row["login"], row["email"], row["full_name"], row["language"], password
    )
