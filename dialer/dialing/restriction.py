"""The campaign restriction (R4.6) as the selector's check: the configuration issue's request
with its short timeout and short cache."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from dialer.campaigns.restrictions import Restriction, ResultCache, check_restriction

TIMEOUT_S = 2.0  # the selector waits for this; a slow checker must not stall dialing

Check = Callable[[Mapping[str, Any], Mapping[str, Any]], Awaitable[bool]]


def make_check(*, timeout_s: float = TIMEOUT_S, cache: ResultCache | None = None) -> Check:
    """A check with its own timeout and verdict cache (None: the process-wide cache)."""

    async def check(row: Mapping[str, Any], attrs: Mapping[str, Any]) -> bool:
        restriction = Restriction(row["id"], row["url_template"], row["expected_result"], row["method"])
        return await check_restriction(restriction, attrs, timeout_s=timeout_s, cache=cache)

    return check


default_check = make_check()
