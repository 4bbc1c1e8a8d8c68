"""Short-lived copies of the configuration every selection and every result reads.

Calendar overrides and a campaign's strategy change a few times a day but are read for each
of thousands of results a second; re-reading them per result was a third of the result
processing time. A cache belongs to one pool (one database): the engine adapter makes one per
source and sink. A change made in the portal reaches dialing within ``ttl_s``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import asyncpg

from dialer.campaigns.rules import StrategyRules, parse_rules
from dialer.dialing import clock

TTL_S = 5.0


@lru_cache(maxsize=256)
def _rules(text: str) -> StrategyRules:
    return parse_rules(json.loads(text))


@dataclass(frozen=True)
class CampaignRules:
    """What result processing needs of a campaign and its strategy."""

    campaign_tz: str
    tz_mode: str
    list_order: str
    rules: StrategyRules
    max_attempts: int | None


_CAMPAIGN_SQL = """
SELECT c.campaign_tz, c.tz_mode, c.list_order, s.rules::text AS rules, s.max_attempts
FROM campaigns c LEFT JOIN strategies s ON s.id = c.strategy_id WHERE c.id = $1
"""


async def _load_campaign(conn: asyncpg.Connection, campaign_id: int) -> CampaignRules | None:
    row = await conn.fetchrow(_CAMPAIGN_SQL, campaign_id)
    if row is None:
        return None
    return CampaignRules(row["campaign_tz"], row["tz_mode"], row["list_order"], _rules(row["rules"] or "{}"),
                         row["max_attempts"])


class ConfigCache:
    """Overrides and per-campaign rules, each kept ``ttl_s`` seconds after it was read.

    ``ttl_s=0`` reads every time (what callers without a cache get).
    """

    def __init__(self, ttl_s: float = TTL_S, now: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s = ttl_s
        self._now = now
        self._entries: dict[tuple[str, int], tuple[float, Any]] = {}

    def _get(self, key: tuple[str, int]) -> tuple[bool, Any]:
        hit = self._entries.get(key)
        if hit is not None and self._now() - hit[0] < self.ttl_s:
            return True, hit[1]
        return False, None

    def _put(self, key: tuple[str, int], value: Any) -> None:
        if self.ttl_s > 0:
            self._entries[key] = (self._now(), value)

    async def overrides(self, conn: asyncpg.Connection) -> dict[date, bool]:
        found, value = self._get(("overrides", 0))
        if not found:
            value = await clock.load_overrides(conn)
            self._put(("overrides", 0), value)
        return dict(value)

    async def campaign(self, conn: asyncpg.Connection, campaign_id: int) -> CampaignRules | None:
        found, value = self._get(("campaign", campaign_id))
        if not found:
            value = await _load_campaign(conn, campaign_id)
            self._put(("campaign", campaign_id), value)
        out: CampaignRules | None = value
        return out


NO_CACHE = ConfigCache(ttl_s=0)
