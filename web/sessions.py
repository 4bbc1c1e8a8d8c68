"""Server-side sessions in the live store; the cookie carries only a random id."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from dialer.kv import LiveStore

COOKIE = "dialer_session"


@dataclass
class Session:
    sid: str
    uid: int | None = None
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    flash: list[tuple[str, str]] = field(default_factory=list)
    lang: str | None = None
    new: bool = True
    changed: bool = True

    def to_json(self) -> str:
        return json.dumps({"uid": self.uid, "csrf": self.csrf, "flash": self.flash, "lang": self.lang})

    def add_flash(self, level: str, message: str) -> None:
        self.flash.append((level, message))
        self.changed = True

    def pop_flash(self) -> list[tuple[str, str]]:
        out, self.flash = self.flash, []
        if out:
            self.changed = True
        return out


async def load(live: LiveStore, sid: str | None) -> Session | None:
    if not sid or len(sid) > 100:
        return None
    raw = await live.get("session", sid)
    if raw is None:
        return None
    data: dict[str, Any] = json.loads(raw)
    return Session(
        sid=sid,
        uid=data.get("uid"),
        csrf=data["csrf"],
        flash=[(a, b) for a, b in data.get("flash", [])],
        lang=data.get("lang"),
        new=False,
        changed=False,
    )


def fresh() -> Session:
    return Session(sid=secrets.token_urlsafe(32))


async def save(live: LiveStore, session: Session, ttl_s: int) -> None:
    # Saving every request also renews the TTL: that TTL is the idle expiry.
    await live.set("session", session.sid, value=session.to_json(), ttl_s=ttl_s)


async def destroy(live: LiveStore, session: Session) -> None:
    await live.delete("session", session.sid)


def rotate(old: Session) -> Session:
    """A new id after login, so an id planted before login is worthless (session fixation)."""
    return Session(sid=secrets.token_urlsafe(32), flash=list(old.flash), lang=old.lang)


SESSION = "session"
PRINCIPAL = "principal"


def get_session(request: web.Request) -> Session:
    s: Session = request[SESSION]
    return s
