"""The audit trail of R1.6: every mutating request and every login attempt."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg

_SECRET = re.compile(r"pass|secret|token|csrf|key|credential", re.IGNORECASE)
REDACTED = "***"
_MAX_VALUE = 500


def redact(data: Any) -> Any:
    """Copy of request input with secrets hidden and long values cut."""
    if isinstance(data, Mapping):
        return {str(k): (REDACTED if _SECRET.search(str(k)) else redact(v)) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [redact(v) for v in data[:100]]
    if isinstance(data, str) and len(data) > _MAX_VALUE:
        return data[:_MAX_VALUE] + "…"
    if isinstance(data, bytes):
        return f"<{len(data)} bytes>"
    return data


@dataclass(frozen=True)
class AuditEntry:
    action: str
    user_id: int | None = None
    login: str = ""
    method: str = ""
    path: str = ""
    input: Mapping[str, Any] = field(default_factory=dict)
    status: int | None = None
    ip: str = ""
    user_agent: str = ""


async def record(conn: asyncpg.Connection | asyncpg.Pool, entry: AuditEntry) -> None:
    await conn.execute(
        """INSERT INTO audit_log (user_id, login, action, method, path, input, status, ip, user_agent)
           VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)""",
        entry.user_id,
        entry.login,
        entry.action,
        entry.method,
        entry.path,
        redact(dict(entry.input)),
        entry.status,
        entry.ip,
        entry.user_agent[:300],
    )
