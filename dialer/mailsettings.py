"""Mail settings (R1.7): stored once, password encrypted, used by recovery and report mailing."""

from __future__ import annotations

from typing import Any

import asyncpg

from dialer.errors import InvalidInput
from dialer.mailer import MailConfig
from dialer.secretbox import SecretBox

PUBLIC_FIELDS = ("host", "port", "username", "sender", "auth_type", "domain", "security")


async def load(conn: asyncpg.Connection) -> dict[str, Any]:
    row = await conn.fetchrow("SELECT * FROM mail_settings WHERE id=1")
    assert row is not None  # the migration inserts the row
    out = {k: row[k] for k in PUBLIC_FIELDS}
    out["password_set"] = bool(row["password_enc"])
    return out


def validate(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    out["host"] = str(data.get("host", "") or "").strip()
    try:
        out["port"] = int(data.get("port") or 25)
        if not 1 <= out["port"] <= 65535:
            raise ValueError
    except (TypeError, ValueError):
        errors["port"] = "1-65535"
    out["username"] = str(data.get("username", "") or "").strip()
    out["sender"] = str(data.get("sender", "") or "").strip()
    if out["host"] and "@" not in out["sender"]:
        errors["sender"] = "an e-mail address is required when a host is set"
    out["auth_type"] = data.get("auth_type") or "none"
    if out["auth_type"] not in ("none", "plain", "login"):
        errors["auth_type"] = "none, plain or login"
    if out["auth_type"] != "none" and not out["username"]:
        errors["username"] = "required with authentication"
    out["domain"] = str(data.get("domain", "") or "").strip()
    out["security"] = data.get("security") or "none"
    if out["security"] not in ("none", "starttls", "tls"):
        errors["security"] = "none, starttls or tls"
    if errors:
        raise InvalidInput(errors)
    return out


async def save(conn: asyncpg.Connection, box: SecretBox, data: dict[str, Any]) -> None:
    clean = validate(data)
    password = data.get("password")
    # An empty password field keeps the stored one: forms never echo secrets back.
    keep = password in (None, "")
    await conn.execute(
        """UPDATE mail_settings SET host=$1, port=$2, username=$3, sender=$4, auth_type=$5, domain=$6,
                  security=$7, password_enc = CASE WHEN $8 THEN password_enc ELSE $9 END, updated_at=now()
           WHERE id=1""",
        clean["host"],
        clean["port"],
        clean["username"],
        clean["sender"],
        clean["auth_type"],
        clean["domain"],
        clean["security"],
        keep,
        "" if keep else box.seal(str(password)),
    )


async def mail_config(conn: asyncpg.Connection, box: SecretBox) -> MailConfig | None:
    row = await conn.fetchrow("SELECT * FROM mail_settings WHERE id=1")
    if row is None or not row["host"]:
        return None
    return MailConfig(
        host=row["host"],
        port=row["port"],
        username=row["username"],
        password=box.open(row["password_enc"]),
        sender=row["sender"],
        auth_type=row["auth_type"],
        domain=row["domain"],
        security=row["security"],
    )
