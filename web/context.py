"""What every request handler can reach: settings, stores, directory, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg
from aiohttp import web

from dialer.directory import LdapDirectory
from dialer.kv import LiveStore
from dialer.secretbox import SecretBox
from dialer.settings import Settings


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class AppContext:
    settings: Settings
    pool: asyncpg.Pool
    live: LiveStore
    directory: LdapDirectory
    box: SecretBox
    clock: Callable[[], datetime] = field(default=utcnow)


CTX = web.AppKey("ctx", AppContext)


def ctx(request: web.Request) -> AppContext:
    return request.config_dict[CTX]
